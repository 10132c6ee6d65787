"""Database engine creation and schema migration (Alembic, applied automatically)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def make_engine(url: str) -> Engine:
    """Create an engine for `url`; SQLite files get their folder, foreign keys and WAL.

    A SQLite file erp-tui creates is readable by its owner only (0600, its folder 0700): the
    store holds CRM data.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            _create_private_file(Path(database).expanduser())
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _create_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 (and its folder 0700) unless it exists."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # 16 KB pages for new files (ignored once a file exists): the wide CRM and link rows of a
    # bulk sync then cost a third of the page writes of the 4 KB default.
    cursor.execute("PRAGMA page_size=16384")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 64 MB of page cache: index maintenance of large link and CRM tables stays in memory.
    cursor.execute("PRAGMA cache_size=-65536")
    # The runner's staging table of new records lives in memory, not in a temporary file.
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "erp_tui:migrations")
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (default: the newest)."""
    from alembic import command

    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision the code knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def _stored_revision(engine: Engine) -> str | None:
    """The database's revision, read with plain SQL (no Alembic import on the fast path)."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def open_engine(url: str) -> Engine:
    """An engine whose schema is migrated to the newest revision."""
    from erp_tui.migrations import HEAD_REVISION

    engine = make_engine(url)
    if _stored_revision(engine) != HEAD_REVISION:
        upgrade(engine)
    return engine
