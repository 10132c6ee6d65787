"""The Sync log screen shows a run whose process died as interrupted, with where it ran and when
it was last seen (English and Dutch); a run whose process is alive stays running."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select

from erp_tui.model import SyncRun
from erp_tui.runner.lock import run_lock
from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.log_screen import SyncLogScreen

NORDIC = "Nordic Trading AB"
RUNS = SyncRun.__table__  # type: ignore[attr-defined]
STARTED = datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC)
LAST_SEEN = datetime(2026, 12, 1, 9, 7, 31, tzinfo=UTC)


def _left_running(ctx: Any) -> int:
    """A run recorded as running by a process on another host that is gone."""
    with ctx.engine.begin() as conn:
        key = conn.execute(insert(RUNS).values(
            connection_id=1, started=STARTED, last_seen=LAST_SEEN, status="running",
            kind="sync", host="web-2", pid=4242)).inserted_primary_key
    assert key is not None
    return int(key[0])


def _status(ctx: Any, run_id: int) -> tuple[str, Any]:
    with ctx.engine.connect() as conn:
        row = conn.execute(select(RUNS.c.status, RUNS.c.ended).where(RUNS.c.id == run_id)).one()
    return row.status, row.ended


@pytest.mark.parametrize(("language", "label", "detail"), [
    ("en", "✗ interrupted", "Interrupted: its process (host web-2, process 4242) stopped "
     "without finishing, last seen 2026-12-01 09:07:31 UTC; the next sync carries on where it "
     "stopped."),
    ("nl", "✗ onderbroken", "Onderbroken: het proces (host web-2, proces 4242) stopte zonder "
     "af te ronden, laatst gezien 2026-12-01 09:07:31 UTC; de volgende synchronisatie gaat "
     "verder waar deze stopte."),
])
async def test_a_run_whose_process_died_shows_as_interrupted(
        demo_ctx: Any, language: str, label: str, detail: str) -> None:
    run_id = _left_running(demo_ctx)
    app = ErpTuiApp(demo_ctx, language=language)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("g")
        screen = app.screen
        assert isinstance(screen, SyncLogScreen)
        assert screen.cell_text("runs", 0, 0).strip() == str(run_id)
        assert screen.cell_text("runs", 0, 4).strip() == label
        assert detail in " ".join(screen.detail_text().split())
    status, ended = _status(demo_ctx, run_id)
    assert status == "interrupted" and ended.replace(tzinfo=UTC) == LAST_SEEN


async def test_a_run_whose_process_holds_the_lock_stays_running(demo_ctx: Any) -> None:
    app = ErpTuiApp(demo_ctx, language="en")
    with run_lock(demo_ctx.engine, demo_ctx.settings.data_dir, 1, NORDIC):
        run_id = _left_running(demo_ctx)  # recorded by the process holding the lock (us)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.press("g")
            screen = app.screen
            assert isinstance(screen, SyncLogScreen)
            assert screen.cell_text("runs", 0, 4).strip() == "… running"
            await pilot.press("f5")  # read again: still alive, still running
            assert screen.cell_text("runs", 0, 4).strip() == "… running"
    assert _status(demo_ctx, run_id) == ("running", None)
