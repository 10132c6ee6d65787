"""Snapshots at 80x24 of the configuration dialogs (mappings, CRM field picker, list mapping
with a duplicate, defaults, add default, rank fields, sync priority), in English and Dutch.

Review with `pytest tests/snapshots/test_snap_dialogs.py --snapshot-update` and the report; the
data is seeded through the services and every timestamp frozen, so the pictures are stable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from erp_tui.screens.app import ErpTuiApp
from tests.store_support import DUTCH, NORDIC, TESTED, add_nordic_and_dutch, freeze_times

SIZE = (80, 24)
LANGUAGES = ["en", "nl"]


@pytest.fixture
def dialog_ctx(ctx: Any, tmp_path: Path) -> Iterator[Any]:
    """Nordic and Dutch sample connections, both inactive; Dutch has Customer enabled, a few
    directions and two defaults; timestamps frozen."""
    from erp_tui.rules import DefaultSpec, Direction
    from erp_tui.services import defaults, mappings

    add_nordic_and_dutch(ctx, tmp_path)
    state = mappings.load_mappings(ctx, DUTCH)
    customer = state.tab("Customer")
    customer.enabled = True
    for key, direction in (("name", Direction.BOTH), ("vatno", Direction.BOTH),
                           ("url", Direction.TO_CRM), ("country", Direction.BOTH)):
        mappings.set_direction(customer, customer.row(key), direction)
    customer.row("credit_limit").show_on_tab = True
    customer.row("url").show_on_tab = True
    mappings.save_mappings(ctx, state)
    defaults.save_default(ctx, DUTCH, "Customer",
                          DefaultSpec("payment_terms", False, "", True, True))
    defaults.save_default(ctx, DUTCH, "Customer", DefaultSpec("note", True, "Imported", False,
                                                              False))
    freeze_times(ctx, last_test_message=TESTED)
    yield ctx


def _id(ctx: Any, name: str) -> int:
    from erp_tui.services.connections import require_connection

    return require_connection(ctx, name).id


Step = Callable[[Any, Any], Awaitable[None]]


def _run(ctx: Any, step: Step) -> Callable[[Any], Awaitable[None]]:
    async def run_before(pilot: Any) -> None:
        await step(pilot, ctx)
        await pilot.pause()

    return run_before


async def _mappings(pilot: Any, ctx: Any) -> None:
    from erp_tui.screens.mappings_dialog import MappingsDialog

    await pilot.app.push_screen(MappingsDialog(ctx, _id(ctx, DUTCH)))
    await pilot.pause()
    await pilot.press("right", "right", "right", "right")  # the `>` cell of "Organisation no."


async def _picker(pilot: Any, ctx: Any) -> None:
    from erp_tui.screens.mappings_dialog import MappingsDialog

    await pilot.app.push_screen(MappingsDialog(ctx, _id(ctx, DUTCH), "Customer", "orgno"))
    await pilot.pause()
    await pilot.press("f")
    await pilot.pause()
    await pilot.press(*"num")


async def _list_duplicate(pilot: Any, ctx: Any) -> None:
    from erp_tui.screens.list_mapping_dialog import ListMappingDialog

    await pilot.app.push_screen(ListMappingDialog(ctx, _id(ctx, DUTCH), "country"))
    await pilot.pause()
    await pilot.press("down", "enter")
    await pilot.pause()
    from erp_tui.i18n import language

    # The picker filters the item texts, which are in the UI's language.
    await pilot.press(*("nederl" if language() == "nl" else "netherl"), "enter")


async def _defaults(pilot: Any, ctx: Any) -> None:
    from erp_tui.screens.defaults_dialog import DefaultsDialog

    await pilot.app.push_screen(DefaultsDialog(ctx, _id(ctx, DUTCH), "Customer"))


async def _add_default(pilot: Any, ctx: Any) -> None:
    await _defaults(pilot, ctx)
    await pilot.pause()
    await pilot.press("a")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press(*"credit", "enter")
    await pilot.pause()
    await pilot.press("space", "tab", *"12x")  # Set default value, then a wrong number


async def _rank(pilot: Any, ctx: Any) -> None:
    from erp_tui.screens.rank_dialog import RankFieldsDialog

    await pilot.app.push_screen(RankFieldsDialog(ctx, _id(ctx, DUTCH)))
    await pilot.pause()
    await pilot.press("down", "space", "down")  # grab mode, moved one down


async def _priority(pilot: Any, ctx: Any) -> None:
    from sqlalchemy import update

    from erp_tui.model import Connection
    from erp_tui.screens.priority_dialog import SyncPriorityDialog

    with ctx.session() as session:  # both active (a test shortcut)
        session.execute(update(Connection).where(Connection.name == NORDIC)  # type: ignore[arg-type]
                        .values(active=True, priority=1))
        session.execute(update(Connection).where(Connection.name == DUTCH)  # type: ignore[arg-type]
                        .values(active=True, priority=2))
    await pilot.app.push_screen(SyncPriorityDialog(ctx))
    await pilot.pause()
    await pilot.press("down")


STEPS: dict[str, Step] = {
    "mappings": _mappings, "crm_picker": _picker, "list_duplicate": _list_duplicate,
    "defaults": _defaults, "add_default": _add_default, "rank": _rank, "priority": _priority,
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("dialog", list(STEPS))
def test_dialog_snapshot(snap_compare: Any, dialog_ctx: Any, dialog: str,
                         language: str) -> None:
    app = ErpTuiApp(dialog_ctx, language=language)
    assert snap_compare(app, run_before=_run(dialog_ctx, STEPS[dialog]), terminal_size=SIZE)
