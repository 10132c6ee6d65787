"""Defaults dialog (Standaardwaarden voor synchronisatie) and its Add dialog."""

from __future__ import annotations

from typing import Any

from textual.widgets import Button, Checkbox, Input, Select

from erp_tui.screens.defaults_dialog import DefaultEditDialog, DefaultsDialog
from erp_tui.screens.widgets.confirm import ConfirmScreen
from erp_tui.screens.widgets.dialog_kit import PickerDialog
from erp_tui.services.defaults import load_defaults
from tests.store_support import DUTCH

from .dialog_fixtures import Answers, connection_id, make_app, status_text


async def test_mandatory_default_needs_value_or_prompt(two_connections: Any) -> None:
    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    app, answers = make_app(ctx), Answers()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = DefaultsDialog(ctx, cid, actor="Customer")
        await app.push_screen(dialog, answers)
        await pilot.pause()
        assert "No defaults for Customer yet" in status_text(dialog)
        await pilot.press("a")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, DefaultEditDialog)
        ok = editor.query_one("#ok", Button)
        assert ok.disabled and "Choose an ERP field first." in status_text(editor, "#problems")
        await pilot.press("enter")  # the ERP field button opens the picker
        await pilot.pause()
        assert isinstance(app.screen, PickerDialog)
        await pilot.press(*"note", "enter")
        await pilot.pause()
        assert app.screen is editor and editor.field is not None
        assert editor.field.key == "note"
        # Mandatory alone is refused, with the reason shown.
        editor.query_one("#mandatory", Checkbox).value = True
        await pilot.pause()
        assert ok.disabled
        assert "is mandatory" in status_text(editor, "#problems")
        # Set default value without a value: still refused.
        editor.query_one("#set-value", Checkbox).value = True
        await pilot.pause()
        assert ok.disabled and "enter a value" in status_text(editor, "#problems")
        editor.query_one("#value", Input).focus()
        await pilot.press(*"Imported", "enter")
        await pilot.pause()
        assert app.screen is dialog
        assert "Note: value 'Imported', mandatory" in status_text(dialog)
        await pilot.press("escape")
        await pilot.pause()
    assert answers.values == [True]
    row = load_defaults(ctx, cid).tab("Customer").rows[0]
    assert (row.erp_field, row.set_value, row.value, row.mandatory) == (
        "note", True, "Imported", True)


async def test_erp_mandatory_field_is_forced_and_list_uses_select(two_connections: Any
                                                                   ) -> None:
    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    app = make_app(ctx, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = DefaultsDialog(ctx, cid, actor="Person")
        await app.push_screen(dialog)
        await pilot.pause()
        await pilot.press("insert")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, DefaultEditDialog)
        await pilot.press("enter", *"first", "enter")
        await pilot.pause()
        mandatory = editor.query_one("#mandatory", Checkbox)
        assert mandatory.value is True and mandatory.disabled
        assert "Verplicht – gebruiker moet waarde invullen" in str(mandatory.label)
        assert editor.query_one("#value", Input).display
        editor.query_one("#ask", Checkbox).value = True
        await pilot.pause()
        assert not editor.query_one("#ok", Button).disabled
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog
    row = load_defaults(ctx, cid).tab("Person").rows[0]
    assert (row.erp_field, row.ask_user, row.mandatory, row.forced_mandatory) == (
        "firstname", True, True, True)


async def test_list_field_default_is_chosen_from_the_list(two_connections: Any) -> None:
    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = DefaultsDialog(ctx, cid, actor="Customer")
        await app.push_screen(dialog)
        await pilot.pause()
        await pilot.press("insert")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, DefaultEditDialog)
        await pilot.press("enter", *"payment", "enter")
        await pilot.pause()
        mandatory = editor.query_one("#mandatory", Checkbox)
        assert mandatory.value is False and not mandatory.disabled
        select = editor.query_one("#value-list", Select)
        assert select.display and not editor.query_one("#value", Input).display


async def test_edit_and_delete_with_confirmation(two_connections: Any) -> None:
    from erp_tui.rules import DefaultSpec
    from erp_tui.services.defaults import save_default

    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    save_default(ctx, cid, "Customer", DefaultSpec("note", True, "x", False, False))
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = DefaultsDialog(ctx, cid)
        await app.push_screen(dialog)
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, DefaultEditDialog)
        assert editor.query_one("#field", Button).disabled  # the field of an edit is fixed
        editor.query_one("#ask", Checkbox).value = True
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert load_defaults(ctx, cid).tab("Customer").rows[0].ask_user is True
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert "Deleted the default of 'Note'" in status_text(dialog)
    assert load_defaults(ctx, cid).tab("Customer").rows == []
