"""Shared fixtures: every test gets its own data directory and database under tmp_path."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

# Helpers shared by every test folder (list_support.py) live here; the suite runs with
# --import-mode=importlib, which puts no test folder on sys.path.
sys.path.insert(0, str(Path(__file__).parent))

# Keep the user's own configuration and terminal habits out of the tests (ERP_TUI_TEST_*
# settings are for the tests themselves: server URLs, key seeds).
for _name in list(os.environ):
    if _name.startswith("ERP_TUI_") and not _name.startswith("ERP_TUI_TEST_"):
        del os.environ[_name]
os.environ["TEXTUAL_ANIMATIONS"] = "none"
os.environ.pop("NO_COLOR", None)

PG_ADMIN_URL = os.environ.get("ERP_TUI_TEST_PG_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
FROZEN_TIME = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Settings pointing at a fresh data directory and SQLite file in tmp_path."""
    from erp_tui.settings import Settings

    data_dir = tmp_path / "data"
    monkeypatch.setenv("ERP_TUI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ERP_TUI_LOG_DIR", str(tmp_path / "log"))  # not the user's log file
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    return Settings(data_dir=data_dir, database_url=f"sqlite:///{tmp_path / 'erp-tui.sqlite'}")


@pytest.fixture
def ctx(settings):  # type: ignore[no-untyped-def]
    """An opened (migrated) store with no connections."""
    from erp_tui.context import AppContext

    context = AppContext.open(settings)
    yield context
    context.engine.dispose()


def freeze_times(context) -> None:  # type: ignore[no-untyped-def]
    """Give every connection fixed timestamps so screens and snapshots are stable."""
    from sqlalchemy import update

    from erp_tui.model import Connection

    with context.session() as session:
        session.execute(update(Connection).values(last_test_at=FROZEN_TIME, created=FROZEN_TIME,
                                                  updated=FROZEN_TIME))


@pytest.fixture
def demo_ctx(ctx) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """The demo (two sample ERP connections, one active) in its own tmp data directory."""
    from erp_tui.demo import build_demo

    build_demo(ctx, size=60)
    freeze_times(ctx)
    yield ctx


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A throw-away PostgreSQL database on the loopback server, dropped afterwards.

    Fails (never skips) when the server is missing: CI must have it.
    """
    import uuid

    from sqlalchemy import create_engine, text

    name = f"erp_tui_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_ADMIN_URL.rpartition('/')[0]}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
