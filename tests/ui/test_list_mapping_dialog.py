"""List mapping dialog (Lijsttoewijzing): duplicates are red, marked and counted, and saving is
refused until they are resolved."""

from __future__ import annotations

from typing import Any

from erp_tui.screens.list_mapping_dialog import ListMappingDialog
from erp_tui.screens.widgets.dialog_kit import MessageDialog, PickerDialog
from erp_tui.screens.widgets.grid_table import GridTable
from erp_tui.services.lists import load_list_mapping
from tests.store_support import DUTCH

from .dialog_fixtures import Answers, connection_id, make_app, status_text


def line(grid: GridTable, row: int) -> str:
    return "".join(segment.text for segment in grid.render_line(row + 1))


async def test_duplicate_refused_then_fixed_and_saved(two_connections: Any) -> None:
    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    app, answers = make_app(ctx), Answers()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = ListMappingDialog(ctx, cid, "country")
        await app.push_screen(dialog, answers)
        await pilot.pause()
        grid = dialog.query_one("#items", GridTable)
        assert "Netherlands" in line(grid, 0)
        # Map the second ERP item (Sweden) to the CRM item of the first (NL): a duplicate.
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PickerDialog)
        await pilot.press(*"netherl", "enter")
        await pilot.pause()
        assert dialog.state.duplicate_rows() == {"NL", "SE"}
        assert line(grid, 0).startswith("!") and line(grid, 1).startswith("!")
        assert "duplicate" in line(grid, 1)
        assert "! 2 rows have a duplicate CRM item" in status_text(dialog)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, MessageDialog)
        assert "duplicate" in app.screen.message
        await pilot.press("escape")
        await pilot.pause()
        # Fix: (No selection) for Sweden with Delete, then save.
        await pilot.press("delete")
        assert dialog.state.duplicate_rows() == set()
        assert "(No selection)" in line(grid, 1)
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert dialog.saved_any and answers.values == [True]  # one Save for all lists closes it
    saved = {row.erp_key: row.crm_key for row in
             load_list_mapping(ctx, cid, "country").rows}
    assert saved["NL"] == "NL" and saved["SE"] is None


async def test_suggestions_and_dutch_terms(two_connections: Any) -> None:
    ctx = two_connections
    app = make_app(ctx, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = ListMappingDialog(ctx, connection_id(ctx, DUTCH), "customer_group")
        await app.push_screen(dialog)
        await pilot.pause()
        grid = dialog.query_one("#items", GridTable)
        text = "\n".join(line(grid, row) for row in range(grid.row_count))
        assert "voorgesteld" in text
        await pilot.press("x")  # the first item to "(No selection)"
        text = "\n".join(line(grid, row) for row in range(grid.row_count))
        assert "(Geen selectie)" in text
        assert "Lijsttoewijzing" in str(dialog.query_one("#title").render())


async def test_no_mapped_lists_says_what_to_do(two_connections: Any) -> None:
    from erp_tui.services.mappings import load_mappings, save_mappings, set_crm_field

    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    state = load_mappings(ctx, cid)
    for tab in state.tabs:
        for row in tab.rows:
            if row.erp.list_name:
                set_crm_field(tab, row, None)
    save_mappings(ctx, state)
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = ListMappingDialog(ctx, cid)
        await app.push_screen(dialog)
        await pilot.pause()
        assert "in Mappings first" in status_text(dialog)
