"""The ERP search dialog: connection and actor type, criteria rows with operators by field type
(in the UI's language), the search in a worker, results with the "show in search" columns in
rank order, and link / open / import from a result."""

from __future__ import annotations

from typing import Any

from textual.widgets import Select

from erp_tui.contract import SearchOperator
from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.erp_search_dialog import CriterionRow, ErpSearchDialog, SearchOutcome
from erp_tui.screens.widgets.grid_table import GridTable
from erp_tui.services.erp_search import search_targets
from tests.store_support import NORDIC

from .crm_support import companies, customer_key, link, settle


async def _dialog(app: ErpTuiApp, pilot: Any, outcomes: list[Any], **kwargs: Any
                  ) -> ErpSearchDialog:
    await pilot.pause()
    dialog = ErpSearchDialog(app.ctx, **kwargs)  # type: ignore[arg-type]
    app.push_screen(dialog, outcomes.append)
    await settle(app, pilot)
    return dialog


async def test_search_from_a_record_and_link_a_result(demo_ctx: Any) -> None:
    from erp_tui.services.erp_tab import erp_tab_links

    company = companies(demo_ctx)[0]
    key = customer_key(demo_ctx, "10001")
    outcomes: list[Any] = []
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await _dialog(app, pilot, outcomes, entity="company", record_id=company.id,
                               record_title=company.title)
        assert (dialog.connection, dialog.actor_type) == (NORDIC, "Customer")
        assert len(dialog.rows()) == 1
        await pilot.press("tab", "tab", *"10001", "enter")  # field, operator, value
        await settle(app, pilot)
        assert dialog.results is not None
        assert [hit.erp_key for hit in dialog.results.hits] == [key]
        assert dialog.column_labels() == ["Name", "Email"]  # show in search, rank order
        assert dialog.status_text() == "1 found."
        assert isinstance(dialog.focused, GridTable)
        await pilot.press("l")
        await settle(app, pilot)
    assert outcomes == [SearchOutcome("linked", "company", company.id, NORDIC, "Customer", key)]
    links = erp_tab_links(demo_ctx, "company", company.id)
    assert [(x.connection, x.erp_key) for x in links] == [(NORDIC, key)]


async def test_operators_follow_the_field_type_in_dutch(demo_ctx: Any) -> None:
    app = ErpTuiApp(demo_ctx, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await _dialog(app, pilot, [])
        row = dialog.rows()[0]
        operators = row.query_one(".operator", Select)
        labels = [str(prompt) for prompt, _value in operators._options]
        assert "begint met" in labels and "bevat" in labels and "groter dan" not in labels
        row.set_value("credit_limit", SearchOperator.GREATER, "5000")
        await pilot.pause()
        labels = [str(prompt) for prompt, _value in operators._options]
        assert "groter dan" in labels and "begint met" not in labels


async def test_bad_criteria_are_refused_with_their_reason(demo_ctx: Any) -> None:
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await _dialog(app, pilot, [])
        dialog.rows()[0].set_value("credit_limit", SearchOperator.GREATER, "lots")
        await pilot.press("f5")
        await settle(app, pilot)
        assert "cannot be used" in dialog.status_text()
        assert "needs a number, not 'lots'" in dialog.status_text()
        assert dialog.results is None


async def test_rows_are_added_and_removed_by_key(demo_ctx: Any) -> None:
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await _dialog(app, pilot, [])
        await pilot.press("f3", "f3")
        await pilot.pause()
        assert len(dialog.rows()) == 3
        await pilot.press("f4")
        await pilot.pause()
        assert len(dialog.rows()) == 2
        rows = dialog.rows()
        rows[0].set_value("name", SearchOperator.BEGINS, "Gran")
        rows[1].set_value("customer_no", SearchOperator.EQUALS, "10001")
        await pilot.press("f5")
        await settle(app, pilot)
        assert dialog.results is not None and len(dialog.results.hits) == 1


async def test_open_a_linked_result_and_import_another(demo_ctx: Any) -> None:
    from erp_tui.services.records import get_record

    company = companies(demo_ctx)[0]
    key1, key2 = customer_key(demo_ctx, "10001"), customer_key(demo_ctx, "10002")
    link(demo_ctx, company.id, key1)
    outcomes: list[Any] = []
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await _dialog(app, pilot, outcomes)
        assert isinstance(dialog.rows()[0], CriterionRow)
        dialog.rows()[0].set_value("customer_no", SearchOperator.BETWEEN, "10001", "10002")
        await pilot.press("f5")
        await settle(app, pilot)
        assert dialog.results is not None
        assert [h.erp_key for h in dialog.results.hits] == [key1, key2]
        assert "linked to CRM company" in str(dialog.query_one("#detail").render())
        await pilot.press("enter")  # the linked one: opens its record
        await pilot.pause()
    assert outcomes == [SearchOutcome("open", "company", company.id, NORDIC, "Customer", key1)]
    outcomes.clear()
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await _dialog(app, pilot, outcomes)
        dialog.rows()[0].set_value("customer_no", SearchOperator.EQUALS, "10002")
        await pilot.press("f5")
        await settle(app, pilot)
        await pilot.press("l")  # not opened from a record: nothing to link to
        await pilot.pause()
        assert app.screen is dialog
        await pilot.press("i")
        await settle(app, pilot)
    assert len(outcomes) == 1 and outcomes[0].action == "imported"
    imported = get_record(demo_ctx, "company", outcomes[0].record_id)
    assert [(b.connection, b.erp_key) for b in imported.links] == [(NORDIC, key2)]


async def test_no_connection_to_search(ctx: Any) -> None:
    assert search_targets(ctx) == []
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await _dialog(app, pilot, [])
        assert "No connection has an enabled actor type" in dialog.status_text()
        await pilot.press("f5", "f3", "escape")
        await pilot.pause()
        assert app.screen is not dialog
