"""Snapshots at 80x24 of the CRM screens (records, record view with its CRM and ERP tabs, ERP
search with results, create in ERP with a refused mandatory value), in English and Dutch.

Review with `pytest tests/snapshots/test_snap_records.py --snapshot-update` and the report; the
demo is built with fixed seeds, its timestamps frozen and the linked record's run times fixed,
so the pictures are stable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import update

from erp_tui.screens.app import ErpTuiApp
from tests.store_support import FROZEN_TIME, NORDIC

SIZE = (80, 24)
LANGUAGES = ["en", "nl"]


@pytest.fixture
def crm_ctx(demo_ctx: Any) -> Iterator[Any]:
    """The demo with its first company linked to Nordic customer 10001, a mandatory asked
    default (note) on Nordic, and every timestamp frozen."""
    from erp_tui.model import ChangeLog, Connection, CrmCompany, SyncRun
    from erp_tui.rules import DefaultSpec
    from erp_tui.runner.linking import link_record
    from erp_tui.services import connections, defaults
    from erp_tui.services.records import list_records

    first = list_records(demo_ctx, "company", "", 0, 1)[0]
    link_record(demo_ctx, NORDIC, "Customer", "C0000001", first.id)
    connections.deactivate(demo_ctx, NORDIC)
    defaults.save_default(demo_ctx, NORDIC, "Customer",
                          DefaultSpec("note", False, "", True, True))
    with demo_ctx.session() as session:
        session.execute(update(Connection).values(
            last_test_at=FROZEN_TIME, created=FROZEN_TIME, updated=FROZEN_TIME,
            last_sync_at=FROZEN_TIME))
        session.execute(update(ChangeLog).values(at=FROZEN_TIME))
        session.execute(update(SyncRun).values(started=FROZEN_TIME, ended=FROZEN_TIME))
        session.execute(update(CrmCompany).values(created=FROZEN_TIME, updated=FROZEN_TIME))
    yield demo_ctx


Step = Callable[[Any], Awaitable[None]]


async def _settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _records(pilot: Any) -> None:
    await pilot.press("c")
    await _settle(pilot)


async def _record_crm(pilot: Any) -> None:
    await _records(pilot)
    await pilot.press("enter")
    await _settle(pilot)


async def _record_erp(pilot: Any) -> None:
    await _record_crm(pilot)
    await pilot.press("f4")
    await _settle(pilot)


async def _search(pilot: Any) -> None:
    from textual.widgets import Select

    await _record_crm(pilot)
    await pilot.press("f7")
    await _settle(pilot)
    pilot.app.screen.query_one("#connection", Select).value = NORDIC
    await _settle(pilot)
    await pilot.press("tab", "tab", *"1000", "enter")
    await _settle(pilot)


async def _create(pilot: Any) -> None:
    from textual.widgets import Select

    await _records(pilot)
    await pilot.press("down", "enter")
    await _settle(pilot)
    await pilot.press("f8")
    await _settle(pilot)
    dialog = pilot.app.screen
    nordic = next(i for i, t in enumerate(dialog.targets) if t[0] == NORDIC)
    dialog.query_one("#target", Select).value = str(nordic)
    await _settle(pilot)
    await pilot.press("f10")
    await _settle(pilot)


STEPS: dict[str, Step] = {
    "records": _records,
    "record_crm": _record_crm,
    "record_erp": _record_erp,
    "erp_search": _search,
    "create_in_erp": _create,
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("which", list(STEPS))
def test_crm_snapshot(snap_compare: Any, crm_ctx: Any, which: str, language: str) -> None:
    app = ErpTuiApp(crm_ctx, language=language)
    assert snap_compare(app, run_before=STEPS[which], terminal_size=SIZE)
