"""Snapshots at 80x24 of the Sync run screen (finished) and the Sync log's three views, in
English and Dutch. The demo is seeded and the screens show counts, not durations; run
timestamps are frozen after the syncs.

Review changes with `pytest tests/snapshots/test_snap_runner.py --snapshot-update` and the
report it writes.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from erp_tui.screens.app import ErpTuiApp
from tests.list_support import map_list_item
from tests.store_support import FROZEN_TIME, NORDIC

SIZE = (80, 24)


def _freeze_runs(ctx: Any) -> None:
    from sqlalchemy import update

    from erp_tui.model import Connection, SyncRun

    with ctx.session() as session:
        session.execute(update(SyncRun).values(started=FROZEN_TIME, ended=FROZEN_TIME))
        session.execute(update(Connection).values(last_sync_at=FROZEN_TIME))


@pytest.fixture
def log_ctx(demo_ctx: Any) -> Any:
    """Three runs: a first sync with open errors (one country unmapped), a change of three
    customers' phone numbers, synced."""
    from erp_tui.connectors.sample_data import touch_actors
    from erp_tui.runner import run_sync
    erp_file = demo_ctx.settings.data_dir / "demo" / "erp-nordic.sqlite"
    map_list_item(demo_ctx, NORDIC, "country", "DE", None)
    run_sync(demo_ctx)
    with sqlite3.connect(erp_file) as conn:
        keys = [k for (k,) in conn.execute("SELECT erp_key FROM customer WHERE country <> 'DE' "
                                           "ORDER BY erp_key LIMIT 3")]
    touch_actors(erp_file, "Customer", keys, {"phone": "+46 555 0100"})
    run_sync(demo_ctx)
    _freeze_runs(demo_ctx)
    return demo_ctx


@pytest.mark.parametrize("language", ["en", "nl"])
def test_run_screen_finished(snap_compare: Any, demo_ctx: Any, language: str) -> None:
    async def run_before(pilot: Any) -> None:
        await pilot.press("s")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(ErpTuiApp(demo_ctx, language=language), run_before=run_before,
                        terminal_size=SIZE)


@pytest.mark.parametrize("view", ["1", "2", "3"])
@pytest.mark.parametrize("language", ["en", "nl"])
def test_log_screen_views(snap_compare: Any, log_ctx: Any, language: str, view: str) -> None:
    assert snap_compare(ErpTuiApp(log_ctx, language=language), press=["g", view],
                        terminal_size=SIZE)
