"""Re-read from ERP on the record view's ERP tab (e, or the command palette): the link's ERP
actor is read again in a worker — also an edit the incremental sync skipped — and the tab and
the CRM fields show the value read."""

from __future__ import annotations

import sqlite3
from typing import Any

from textual.widgets import Input

from erp_tui.connectors.sample_data import touch_actors
from erp_tui.runner import recent_runs, run_sync
from erp_tui.runner.lock import run_lock
from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.record_view import RecordView
from erp_tui.services.connections import require_connection
from erp_tui.services.records import get_record
from tests.screen_support import screen_text
from tests.store_support import NORDIC

from .crm_support import companies, customer_key, link, nordic_erp, settle

LATE = "Late [b]ERP[/b] edit"


async def _view(app: ErpTuiApp, pilot: Any, company_id: int, tab: str) -> RecordView:
    await pilot.pause()
    view = RecordView(app.ctx, "company", company_id, tab=tab)  # type: ignore[arg-type]
    await app.push_screen(view)
    await settle(app, pilot)
    return view


def _skipped_erp_edit(ctx: Any, erp_key: str, name: str) -> None:
    """Rename an ERP customer with a last-modified before the sync's cursor."""
    touch_actors(nordic_erp(ctx), "Customer", [erp_key], {"name": name})
    with sqlite3.connect(nordic_erp(ctx)) as conn:
        conn.execute("UPDATE customer SET last_modified = '2024-01-01T00:00:00.000000Z' "
                     "WHERE erp_key = ?", (erp_key,))


def _name(ctx: Any, company_id: int) -> Any:
    return {f.key: f.value for f in get_record(ctx, "company", company_id).fields}["name"]


async def test_e_rereads_the_link_and_shows_the_value_read(demo_ctx: Any) -> None:
    company = companies(demo_ctx)[0]
    key = customer_key(demo_ctx, "10001")
    link(demo_ctx, company.id, key)
    run_sync(demo_ctx, [NORDIC])
    _skipped_erp_edit(demo_ctx, key, LATE)
    run_sync(demo_ctx, [NORDIC])
    assert _name(demo_ctx, company.id) != LATE  # the sync did not see it
    app = ErpTuiApp(demo_ctx, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _view(app, pilot, company.id, "erp")
        assert "e Opnieuw lezen uit ERP" in screen_text(app)
        await pilot.press("e")
        await settle(app, pilot)
        assert view.message_text() == (f"✓ '{key}' opnieuw gelezen uit '{NORDIC}': "
                                       "1 bijgewerkt, 0 conflicten.")
        assert _name(demo_ctx, company.id) == LATE
        assert f"Naam > {company.title} → {LATE}" in view.erp_plain()  # history, as typed
        assert LATE in screen_text(app)
        assert not view.rereading
        await pilot.press("f3")
        await pilot.pause()
        assert view.query_one(f"#field-{_index(view, 'name')}", Input).value == LATE
        # On the CRM tab 'e' is typed into the field, not a re-read.
        await pilot.press("e")
        await settle(app, pilot)
        assert recent_runs(demo_ctx, NORDIC, 1)[0].kind == "reread"
        assert len([r for r in recent_runs(demo_ctx, NORDIC) if r.kind == "reread"]) == 1


def _index(view: RecordView, key: str) -> int:
    assert view.detail is not None
    return next(i for i, f in enumerate(view.detail.fields) if f.key == key)


async def test_the_palette_offers_it_and_a_running_sync_is_said(demo_ctx: Any) -> None:
    company = companies(demo_ctx)[1]
    key = customer_key(demo_ctx, "10002")
    link(demo_ctx, company.id, key)
    _skipped_erp_edit(demo_ctx, key, "Renamed in Excel")
    connection_id = require_connection(demo_ctx, NORDIC).id or 0
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _view(app, pilot, company.id, "erp")
        with run_lock(demo_ctx.engine, demo_ctx.settings.data_dir, connection_id, NORDIC):
            await pilot.press("e")
            await settle(app, pilot)
        assert view.message_text().startswith(f"✗ Connection '{NORDIC}' is already being "
                                              "synced")
        assert _name(demo_ctx, company.id) == company.title
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"re-read from")
        await settle(app, pilot)
        assert "Re-read from ERP" in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is view
        assert view.message_text() == (f"✓ Re-read '{key}' from '{NORDIC}': 1 "
                                       "updated, 0 conflicts.")
        assert _name(demo_ctx, company.id) == "Renamed in Excel"


async def test_without_links_it_is_offered_but_not_available(demo_ctx: Any) -> None:
    company = companies(demo_ctx)[2]
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _view(app, pilot, company.id, "erp")
        assert view.check_action("reread_erp", ()) is None  # shown, not available
        await pilot.press("e")
        await settle(app, pilot)
        assert [r for r in recent_runs(demo_ctx, NORDIC) if r.kind == "reread"] == []


async def test_an_actor_gone_from_the_erp_is_an_error_on_the_tab(demo_ctx: Any) -> None:
    company = companies(demo_ctx)[3]
    key = customer_key(demo_ctx, "10004")
    link(demo_ctx, company.id, key)
    with sqlite3.connect(nordic_erp(demo_ctx)) as conn:
        conn.execute("DELETE FROM customer WHERE erp_key = ?", (key,))
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _view(app, pilot, company.id, "erp")
        await pilot.press("e")
        await settle(app, pilot)
        assert view.message_text() == (f"✗ Re-read '{key}' from '{NORDIC}': 1 error, "
                                       "shown on the ERP tab.")
        text = view.erp_plain()
        assert "Open errors (1)" in text
        assert "The ERP has no Customer with this key any more" in text
