"""Mappings dialog (Toewijzingen): keys, looks, refusals, saving through the services."""

from __future__ import annotations

from typing import Any

from erp_tui.rules import Direction
from erp_tui.screens.mappings_dialog import MappingsDialog
from erp_tui.screens.widgets.confirm import ConfirmScreen
from erp_tui.screens.widgets.dialog_kit import MessageDialog, PickerDialog
from erp_tui.screens.widgets.grid_table import GridTable
from erp_tui.services.mappings import load_mappings
from tests.store_support import DUTCH, NORDIC

from .dialog_fixtures import Answers, connection_id, make_app, status_text


async def test_toggle_actor_and_done_saves(two_connections: Any) -> None:
    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    app, answers = make_app(ctx), Answers()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = MappingsDialog(ctx, cid)
        await app.push_screen(dialog, answers)
        await pilot.pause()
        assert "Synchronise ERP Customer with CRM Company" in str(
            dialog.query_one("#enabled").label)
        await pilot.press("e")
        assert dialog.dirty
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert answers.values == [True]
    assert load_mappings(ctx, cid).tab("Customer").enabled is True


async def test_crm_field_and_direction_by_keys(two_connections: Any) -> None:
    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    app, answers = make_app(ctx), Answers()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = MappingsDialog(ctx, cid, focus_actor="Customer", focus_field="orgno")
        await app.push_screen(dialog, answers)
        await pilot.pause()
        grid = dialog.query_one("#fields", GridTable)
        assert grid.cursor_row == 2  # orgno, the third Customer field
        await pilot.press("right", "enter")  # CRM field column: opens the picker
        await pilot.pause()
        assert isinstance(app.screen, PickerDialog)
        await pilot.press(*"number2", "enter")
        await pilot.pause()
        assert app.screen is dialog
        await pilot.press("greater_than_sign")
        row = dialog.state.tab("Customer").row("orgno")
        assert (row.crm_field, row.direction) == ("number2", Direction.TO_CRM)
        # Space on the selected `>` cell clears it; `=` sets both ways.
        await pilot.press("right")
        assert grid.cursor_column == 2
        await pilot.press("space")
        assert row.direction is None
        await pilot.press("equals_sign")
        assert row.direction is Direction.BOTH
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert answers.values == [True]
    saved = load_mappings(ctx, cid).tab("Customer").row("orgno")
    assert (saved.crm_field, saved.direction) == ("number2", Direction.BOTH)


async def test_grey_cell_shows_reason_and_refuses(two_connections: Any) -> None:
    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = MappingsDialog(ctx, cid, focus_actor="Customer", focus_field="orgno")
        await app.push_screen(dialog)
        await pilot.pause()
        await pilot.press("right", "right")  # the `>` cell of a row without CRM field
        assert "Choose a CRM field first." in status_text(dialog)
        await pilot.press("space")
        await pilot.press("greater_than_sign")
        assert dialog.state.tab("Customer").row("orgno").direction is None
        assert "Not available: Choose a CRM field first." in status_text(dialog)
        assert not dialog.dirty


async def test_read_only_and_show_on_tab_warning(two_connections: Any) -> None:
    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = MappingsDialog(ctx, cid, focus_actor="Customer", focus_field="name")
        await app.push_screen(dialog)
        await pilot.pause()
        row = dialog.state.tab("Customer").row("name")
        await pilot.press("equals_sign")
        if row.show_on_tab:
            await pilot.press("t")  # off first, so that the next `t` switches it on
        await pilot.press("t")
        status = status_text(dialog)
        assert "already synced" in status  # warned ...
        assert dialog.state.tab("Customer").row("name").show_on_tab is True  # ... not forbidden
        await pilot.press("s")
        assert dialog.state.tab("Customer").row("name").show_in_search is True
        # The mandatory mark and the selected direction are readable without colour.
        grid = dialog.query_one("#fields", GridTable)
        line = "".join(segment.text for segment in grid.render_line(2))
        assert "* Name" in line and "[<>]" in line and "[x]!" in line


async def test_escape_with_changes_asks(two_connections: Any) -> None:
    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    app, answers = make_app(ctx), Answers()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = MappingsDialog(ctx, cid)
        await app.push_screen(dialog, answers)
        await pilot.pause()
        await pilot.press("e", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is dialog and dialog.dirty
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert answers.values == [False]
    assert load_mappings(ctx, cid).tab("Customer").enabled is False


async def test_escape_without_changes_closes(two_connections: Any) -> None:
    ctx = two_connections
    app, answers = make_app(ctx), Answers()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(MappingsDialog(ctx, connection_id(ctx, DUTCH)), answers)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert answers.values == [False]


async def test_stale_edit_keeps_the_form(two_connections: Any) -> None:
    from erp_tui.rules import DefaultSpec
    from erp_tui.services.defaults import save_default

    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    app, answers = make_app(ctx), Answers()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = MappingsDialog(ctx, cid)
        await app.push_screen(dialog, answers)
        await pilot.pause()
        await pilot.press("e")
        # Someone else changes the connection meanwhile.
        save_default(ctx, cid, "Customer", DefaultSpec("note", True, "x", False, False))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, MessageDialog)
        assert "changed by someone else" in app.screen.message
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and dialog.dirty
        assert dialog.state.tab("Customer").enabled is True
    assert answers.values == []


async def test_active_connection_is_refused_with_its_message(two_connections: Any) -> None:
    ctx = two_connections
    cid = connection_id(ctx, NORDIC)
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = MappingsDialog(ctx, cid)
        await app.push_screen(dialog)
        await pilot.pause()
        assert "is active" in status_text(dialog)
        await pilot.press("e", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, MessageDialog)
        assert "deactivate it first" in app.screen.message


async def test_switching_actor_tabs(two_connections: Any) -> None:
    ctx = two_connections
    app = make_app(ctx, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = MappingsDialog(ctx, connection_id(ctx, DUTCH))
        await app.push_screen(dialog)
        await pilot.pause()
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert dialog.tab is not None and dialog.tab.actor_type == "Supplier"
        assert "Synchroniseer ERP-Leverancier met CRM-Bedrijf" in str(
            dialog.query_one("#enabled").label)
