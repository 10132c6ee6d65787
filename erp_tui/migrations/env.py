"""Alembic environment: runs on the connection the caller passes in `config.attributes`."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import erp_tui.model  # noqa: F401  (registers the tables on SQLModel.metadata)

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    """Run migrations online on the caller's connection (or a fresh engine for the CLI)."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        from sqlalchemy import create_engine

        url = context.config.get_main_option("sqlalchemy.url")
        assert url, "set sqlalchemy.url or pass a connection"
        with create_engine(url).connect() as fresh:
            _run(fresh)
        return
    _run(connection)


def _run(connection: object) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,  # type: ignore[arg-type]
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
