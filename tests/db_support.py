"""Test helper: throw-away databases on the loopback PostgreSQL and MariaDB servers the tests
need (they fail, never skip, when a server is missing: CI must have them). The admin URLs can
be overridden with ERP_TUI_TEST_PG_URL / ERP_TUI_TEST_MYSQL_URL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get("ERP_TUI_TEST_PG_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MYSQL_ADMIN_URL = os.environ.get("ERP_TUI_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/")
BACKENDS = ("sqlite", "postgresql", "mariadb")


def create_database(backend: str, tmp_path: Path) -> tuple[str, Callable[[], None]]:
    """URL of a new empty database on `backend` (one of BACKENDS) and a function that drops
    it (a SQLite file in `tmp_path` goes with the folder)."""
    name = f"erp_tui_test_{uuid.uuid4().hex[:12]}"
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'erp.sqlite'}", lambda: None
    if backend == "postgresql":
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = admin.url.set(database=name).render_as_string(hide_password=False)

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        return url, drop
    admin = sa.create_engine(MYSQL_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 "
                             f"COLLATE utf8mb4_unicode_ci"))
    url = admin.url.set(database=name, query={"charset": "utf8mb4"}).render_as_string(
        hide_password=False)

    def drop_my() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()

    return url, drop_my
