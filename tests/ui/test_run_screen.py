"""The Sync run screen: Sync now from the connections screen, live counts, cancel with Escape,
dry run, and errors shown as one clear message."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from erp_tui.model import Connection, Link
from erp_tui.runner import recent_runs
from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.connections import ConnectionsScreen
from erp_tui.screens.run_screen import SyncRunScreen, progress_bar

NORDIC = "Nordic Trading AB"


def _erp_file(ctx: Any) -> Any:
    return ctx.settings.data_dir / "demo" / "erp-nordic.sqlite"


def _erp_actors(ctx: Any) -> int:
    with sqlite3.connect(_erp_file(ctx)) as conn:
        return sum(conn.execute(f"SELECT count(*) FROM {table} WHERE deleted = 0").fetchone()[0]
                   for table in ("customer", "supplier", "person", "project"))


def _links(ctx: Any) -> int:
    table = Link.__table__  # type: ignore[attr-defined]
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _set_page_size(ctx: Any, size: int) -> None:
    from sqlmodel import select as sm_select

    with ctx.session() as session:
        connection = session.exec(sm_select(Connection).where(Connection.name == NORDIC)).one()
        connection.config = {**connection.config, "page_size": size}
        session.add(connection)
        session.commit()


async def _wait(app: ErpTuiApp, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def test_progress_bar_reads_without_colour() -> None:
    assert progress_bar(0.5, 10) == "[█████░░░░░]  50 %"
    assert progress_bar(1.5, 4) == "[████] 100 %"


async def test_sync_now_shows_counts_that_match_the_run(demo_ctx: Any) -> None:
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        assert isinstance(app.screen, SyncRunScreen)
        await _wait(app, pilot)
        screen = app.screen
        assert isinstance(screen, SyncRunScreen)
        run = recent_runs(demo_ctx)[0]
        assert run.status == "finished" and run.created > 0
        assert screen.counts_of(NORDIC)["created"] == run.created == _links(demo_ctx)
        assert sum(screen.counts_of(NORDIC, actor)["created"]
                   for actor in ("Customer", "Supplier", "Person", "Project")) == run.created
        assert "Finished" in screen.status_text()
        assert "100 %" in str(screen.query_one("#bar").render())
        await pilot.press("escape")  # closes when finished
        assert isinstance(app.screen, ConnectionsScreen)


async def test_escape_cancels_after_the_batch_and_the_next_sync_completes(
        demo_ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from erp_tui.connectors.sample import SampleConnector

    original = SampleConnector.actors_changed_since
    calls: list[int] = []
    gate = threading.Event()  # holds the third page until the test has seen "Cancelling"

    def slow(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) > 2:
            gate.wait(10)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SampleConnector, "actors_changed_since", slow)
    _set_page_size(demo_ctx, 5)
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        screen = app.screen
        assert isinstance(screen, SyncRunScreen)
        for _ in range(200):  # until some batches are in
            await pilot.pause(0.02)
            if screen.counts_of(NORDIC).get("created", 0) > 0:
                break
        await pilot.press("escape")
        assert screen.status_text() == "Cancelling after the current batch…"
        gate.set()
        await _wait(app, pilot)
        assert screen.status_text().startswith("Cancelled")
        run = recent_runs(demo_ctx)[0]
        assert run.status == "cancelled"
        total = _erp_actors(demo_ctx)
        assert 0 < run.created < total
        assert _links(demo_ctx) == run.created

        monkeypatch.setattr(SampleConnector, "actors_changed_since", original)
        await pilot.press("s")  # sync again from the run screen: the rest, nothing twice
        await _wait(app, pilot)
        second = recent_runs(demo_ctx)[0]
        assert second.status == "finished"
        assert run.created + second.created == total == _links(demo_ctx)
        assert screen.counts_of(NORDIC)["created"] == second.created


async def test_dry_run_lists_intended_changes_and_writes_nothing(demo_ctx: Any) -> None:
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(SyncRunScreen(demo_ctx, None, dry_run=True))
        await pilot.pause()
        await _wait(app, pilot)
        screen = app.screen
        assert isinstance(screen, SyncRunScreen)
        assert "Dry run finished: nothing was written" in screen.status_text()
        changes = screen.query_one("#changes")
        assert changes.display and changes.row_count == _erp_actors(demo_ctx)
        assert recent_runs(demo_ctx) == [] and _links(demo_ctx) == 0
        await pilot.press("c")  # back to the counts
        assert screen.query_one("#counts").display
        assert screen.counts_of(NORDIC)["created"] == _erp_actors(demo_ctx)


async def test_no_active_connection_is_one_clear_message(demo_ctx: Any) -> None:
    from erp_tui.services.connections import deactivate

    deactivate(demo_ctx, NORDIC)
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await _wait(app, pilot)
        screen = app.screen
        assert isinstance(screen, SyncRunScreen)
        assert screen.status_text().startswith("✗ No connection is active")
        assert "Traceback" not in screen.status_text()


async def test_a_running_sync_elsewhere_is_refused_clearly(demo_ctx: Any) -> None:
    from erp_tui.runner.lock import run_lock

    with demo_ctx.session() as session:
        from sqlmodel import select as sm_select

        nordic = session.exec(sm_select(Connection).where(Connection.name == NORDIC)).one()
    app = ErpTuiApp(demo_ctx, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        with run_lock(demo_ctx.engine, demo_ctx.settings.data_dir, nordic.id, NORDIC):
            await pilot.press("s")
            await _wait(app, pilot)
        screen = app.screen
        assert isinstance(screen, SyncRunScreen)
        assert "wordt al gesynchroniseerd" in screen.status_text()  # the Dutch UI says it in Dutch
        assert screen.status_text().startswith("✗")
