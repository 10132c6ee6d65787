"""Shared fixtures: every test gets its own data directory and database under tmp_path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.db_support import create_database
from tests.store_support import add_nordic_and_dutch, freeze_times

# Keep the user's own configuration and terminal habits out of the tests (ERP_TUI_TEST_*
# settings are for the tests themselves: server URLs, key seeds).
for _name in list(os.environ):
    if _name.startswith("ERP_TUI_") and not _name.startswith("ERP_TUI_TEST_"):
        del os.environ[_name]
os.environ["TEXTUAL_ANIMATIONS"] = "none"
os.environ.pop("NO_COLOR", None)


@pytest.fixture(autouse=True)
def english_by_default() -> Iterator[None]:
    """Every test starts in English and leaves English behind (the language is process-wide)."""
    from erp_tui.i18n import set_language

    set_language("en")
    yield
    set_language("en")


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


@pytest.fixture
def demo_ctx(ctx) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """The demo (two sample ERP connections, one active) in its own tmp data directory."""
    from erp_tui.demo import build_demo

    build_demo(ctx, size=60)
    freeze_times(ctx)
    yield ctx


@pytest.fixture
def two_connections(ctx: Any, tmp_path: Path) -> Iterator[Any]:
    """Two sample connections built through the services, without the demo: "Nordic Trading AB"
    made active directly in the store (the fixture's shortcut; the UI itself only activates
    through the services), "Dutch Wholesale BV" inactive with no actor enabled, so activating it
    is refused; timestamps frozen."""
    from sqlalchemy import update

    from erp_tui.model import Connection

    nordic = add_nordic_and_dutch(ctx, tmp_path)
    with ctx.session() as session:
        session.execute(update(Connection).where(Connection.id == nordic)  # type: ignore[arg-type]
                        .values(active=True, priority=1))
    freeze_times(ctx)
    yield ctx


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    """A throw-away PostgreSQL database on the loopback server, dropped afterwards.

    Fails (never skips) when the server is missing: CI must have it.
    """
    url, drop = create_database("postgresql", tmp_path)
    try:
        yield url
    finally:
        drop()
