"""Test helper: every screen and dialog of the app, each opened from a fresh app on the demo.

A stop is a name and a step that opens it from the connections screen, by keys where the app
has a key for it, else by pushing the screen as the snapshot tests do (their steps are reused).
The store is `tour_ctx`: the demo (Nordic active, Dutch inactive and not activatable) after one
sync, so the main table, the run screen and the log have something to show.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.app import App

from tests.snapshots import test_snap_dialogs as dialogs
from tests.snapshots import test_snap_records as records

SIZE = (80, 24)
Step = Callable[[Any, Any], Awaitable[None]]


async def settle(pilot: Any) -> None:
    """Let workers (tests, syncs, searches) finish and their messages be handled."""
    for _ in range(2):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def keys(*pressed: str) -> Step:
    async def step(pilot: Any, _ctx: Any) -> None:
        await pilot.press(*pressed)
        await settle(pilot)

    return step


def snapshot_step(step: Callable[..., Awaitable[None]], with_ctx: bool = True) -> Step:
    async def run(pilot: Any, ctx: Any) -> None:
        await (step(pilot, ctx) if with_ctx else step(pilot))
        await settle(pilot)

    return run


async def _create_in_erp(pilot: Any, _ctx: Any) -> None:
    """Create in ERP from the second company (not linked) of the records screen."""
    for pressed in (("c",), ("down", "enter"), ("f8",)):
        await pilot.press(*pressed)
        await settle(pilot)


STOPS: dict[str, Step] = {
    "connections": keys(),
    "quit_question": keys("f10"),
    "help": keys("f1"),
    "command_palette": keys("ctrl+p"),
    "add_connection": keys("a"),
    "edit_active": keys("e"),
    "edit_inactive": keys("down", "e"),
    "delete_confirm": keys("down", "delete"),
    "activation_problems": keys("down", "space"),
    "test_connection": keys("t"),
    "mappings_of_active": keys("m"),
    "mappings": snapshot_step(dialogs._mappings),
    "crm_picker": snapshot_step(dialogs._picker),
    "list_mapping": snapshot_step(dialogs._list_duplicate),
    "defaults": snapshot_step(dialogs._defaults),
    "add_default": snapshot_step(dialogs._add_default),
    "rank": snapshot_step(dialogs._rank),
    "priority": snapshot_step(dialogs._priority),
    "run_screen": keys("s"),
    "dry_run": keys("D"),
    "log_runs": keys("g", "1"),
    "log_changes": keys("g", "2"),
    "log_errors": keys("g", "3"),
    "log_filter": keys("g", "slash"),
    "records": snapshot_step(records._records, with_ctx=False),
    "record_crm": snapshot_step(records._record_crm, with_ctx=False),
    "record_erp": snapshot_step(records._record_erp, with_ctx=False),
    "erp_search": snapshot_step(records._search, with_ctx=False),
    "create_in_erp": _create_in_erp,
    "doctor": keys("k"),
}


def prepare(ctx: Any) -> Any:
    """The demo after one sync, timestamps frozen (the stops' store)."""
    from sqlalchemy import update

    from erp_tui.model import Connection, SyncRun
    from erp_tui.runner import run_sync
    from tests.store_support import FROZEN_TIME

    run_sync(ctx)
    with ctx.session() as session:
        session.execute(update(SyncRun).values(started=FROZEN_TIME, ended=FROZEN_TIME))
        session.execute(update(Connection).values(last_sync_at=FROZEN_TIME,
                                                  last_test_at=FROZEN_TIME))
    return ctx


def screen_name(app: App[Any]) -> str:
    return type(app.screen).__name__
