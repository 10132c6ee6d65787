"""The source page's whole workflow ("ERP-verbinding configureren") on the demo, by keys only.

Starting from the connections screen of the demo ("Nordic Trading AB" active, "Dutch Wholesale BV"
inactive and not activatable), every step is driven by key presses — no screen is pushed by the
test — and the database is checked through the services after each step:

0. activate Dutch: refused (Customer › Name has no direction), Enter on the problem opens
   Mappings at that field, `=` gives it a direction, F10 saves, `a` activates it;
1. Nordic: `m` opens Mappings read-only; a change offers to deactivate it first, `y` does;
2. Mappings: map ERP field orgno to CRM field Number 2 and give it direction `>`; clear the
   direction of the mandatory field Name (so reactivating will be refused); F10 saves;
3. List mapping: choose the same CRM item for two ERP items (saving is refused), then fix it;
4. Defaults: add a mandatory default without value or prompt (refused), then with a value;
5. Rank fields: move the first field down; F10 saves;
6. Test: `t` tests the connection;
7. Reactivate: refused with a message for Name, fixed through the problem, accepted;
8. Set sync priority: Nordic moves below Dutch; F10 saves.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, OptionList, Static

from erp_tui.screens.activation_problems import ActivationProblemsScreen
from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.connections import ConnectionsScreen
from erp_tui.screens.defaults_dialog import DefaultEditDialog, DefaultsDialog
from erp_tui.screens.list_mapping_dialog import ListMappingDialog
from erp_tui.screens.mappings_dialog import MappingsDialog
from erp_tui.screens.priority_dialog import SyncPriorityDialog
from erp_tui.screens.rank_dialog import RankFieldsDialog
from erp_tui.screens.widgets.confirm import ConfirmScreen
from erp_tui.screens.widgets.dialog_kit import MessageDialog, PickerDialog
from erp_tui.screens.widgets.grid_table import GridTable
from erp_tui.services.connections import list_connections, priority_order
from erp_tui.services.defaults import load_defaults
from erp_tui.services.lists import load_list_mapping, mapped_lists
from erp_tui.services.mappings import load_mappings
from erp_tui.services.ranking import load_ranking

NORDIC = "Nordic Trading AB"
DUTCH = "Dutch Wholesale BV"


def _connection(ctx: Any, name: str) -> Any:
    return next(c for c in list_connections(ctx) if c.name == name)


def _row(ctx: Any, name: str, actor: str, field: str) -> Any:
    return load_mappings(ctx, name).tab(actor).row(field)


def _message(app: ErpTuiApp) -> str:
    return str(app.screen.query_one("#message", Static).render())


async def _settle(app: ErpTuiApp, pilot: Any) -> None:
    """Let workers (test, activate) finish and their messages be handled."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def _pick(pilot: Any, text: str) -> None:
    """In an open picker: type `text` to filter and choose the first match."""
    await pilot.press(*text)
    await pilot.press("enter")
    await pilot.pause()


async def test_whole_workflow_by_keys(demo_ctx: Any) -> None:
    ctx = demo_ctx
    assert _connection(ctx, NORDIC).active and not _connection(ctx, DUTCH).active
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ConnectionsScreen)

        # ---- 0. activate Dutch: refused, fixed through the problem, accepted --------------
        await pilot.press("down", "space")
        await _settle(app, pilot)
        problems = app.screen
        assert isinstance(problems, ActivationProblemsScreen)
        messages = [p.message for p in problems.problems]
        assert any("Customer › Name: mandatory ERP field has no sync direction" in m
                   for m in messages), messages
        assert not _connection(ctx, DUTCH).active
        name_index = next(i for i, p in enumerate(problems.problems)
                          if p.code == "mandatory_direction" and p.field_key == "name")
        await pilot.press(*["down"] * name_index)  # the problems list has the focus
        assert problems.query_one(OptionList).highlighted == name_index
        await pilot.press("enter")
        await pilot.pause()
        mappings = app.screen
        assert isinstance(mappings, MappingsDialog)
        assert mappings.tab is not None and mappings.tab.actor_type == "Customer"
        assert mappings._current_row() is not None
        assert mappings._current_row().erp.key == "name"
        await pilot.press("equals_sign", "f10")
        await pilot.pause()
        assert app.screen is problems
        assert str(_row(ctx, DUTCH, "Customer", "name").direction) == "<>"
        await pilot.press("a")
        await _settle(app, pilot)
        assert isinstance(app.screen, ConnectionsScreen)
        dutch = _connection(ctx, DUTCH)
        assert dutch.active and dutch.priority == 2
        assert "is active now" in _message(app)

        # ---- 1. Nordic: Mappings opens read-only; a change asks to deactivate first -------
        await pilot.press("up", "m")
        await pilot.pause()
        mappings = app.screen
        assert isinstance(mappings, MappingsDialog)
        await pilot.press("minus")  # a change: refused, the deactivation is offered
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert _connection(ctx, NORDIC).active  # nothing changed by asking
        await pilot.press("y")
        await pilot.pause()
        assert not _connection(ctx, NORDIC).active
        assert app.screen is mappings

        # ---- 2. Mappings: a field mapping and its direction; Name loses its direction ----
        assert mappings.tab is not None and mappings.tab.actor_type == "Customer"
        keys = [row.erp.key for row in mappings.tab.rows]
        grid = mappings.query_one("#fields", GridTable)
        await pilot.press(*["down"] * keys.index("orgno"))
        assert mappings._current_row().erp.key == "orgno"
        await pilot.press("right", "enter")  # CRM field column: the picker
        await pilot.pause()
        assert isinstance(app.screen, PickerDialog)
        await _pick(pilot, "number2")
        assert app.screen is mappings
        await pilot.press("right", "space")  # the `>` cell
        assert grid.cursor_column == 2
        assert str(mappings._current_row().direction) == ">"
        await pilot.press(*["up"] * (keys.index("orgno") - keys.index("name")))
        assert mappings._current_row().erp.key == "name"
        await pilot.press("minus")  # clear Name's direction: reactivation must be refused
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionsScreen)
        orgno = _row(ctx, NORDIC, "Customer", "orgno")
        assert orgno.crm_field == "number2" and str(orgno.direction) == ">"
        assert _row(ctx, NORDIC, "Customer", "name").direction is None
        assert _row(ctx, NORDIC, "Customer", "name").crm_field == "name"
        assert "Saved" in _message(app)

        # ---- 3. List mapping: a duplicate is refused, then fixed ------------------------
        lists = mapped_lists(ctx, NORDIC)
        first = lists[0]
        before = {r.erp_key: r.crm_key for r in
                  load_list_mapping(ctx, NORDIC, first.erp_list, first.crm_list).rows}
        await pilot.press("l")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ListMappingDialog)
        assert dialog.state is not None and dialog.state.erp_list == first.erp_list
        rows = dialog.state.rows
        assert len(rows) >= 2 and rows[1].crm_key is not None
        second_crm = rows[1].crm_key
        await pilot.press("enter")  # the first item: choose the second item's CRM item
        await pilot.pause()
        assert isinstance(app.screen, PickerDialog)
        await _pick(pilot, second_crm)
        assert app.screen is dialog
        assert dialog.state.rows[0].crm_key == second_crm
        assert dialog.state.duplicate_rows() == {rows[0].erp_key, rows[1].erp_key}
        assert "! 2 rows have a duplicate CRM item" in str(
            dialog.query_one("#status", Static).render())
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, MessageDialog)
        assert "duplicate" in app.screen.message
        after = {r.erp_key: r.crm_key for r in
                 load_list_mapping(ctx, NORDIC, first.erp_list, first.crm_list).rows}
        assert after == before  # refused: nothing saved
        await pilot.press("escape")  # close the message
        await pilot.pause()
        assert app.screen is dialog
        await pilot.press("x")  # the first item to "(No selection)": no duplicate left
        assert not dialog.state.duplicate_rows()
        await pilot.press("f10")
        await pilot.pause()
        saved = {r.erp_key: r.crm_key for r in
                 load_list_mapping(ctx, NORDIC, first.erp_list, first.crm_list).rows}
        assert saved[rows[0].erp_key] is None and saved[rows[1].erp_key] == second_crm
        if app.screen is dialog:  # several lists: the dialog stays open after saving one
            await pilot.press("escape")
            await pilot.pause()
        assert isinstance(app.screen, ConnectionsScreen)

        # ---- 4. Defaults: mandatory without value or prompt is refused; with a value ----
        defaults_before = {r.erp_field for r in load_defaults(ctx, NORDIC).tab("Customer").rows}
        assert "credit_limit" not in defaults_before
        await pilot.press("d")
        await pilot.pause()
        defaults = app.screen
        assert isinstance(defaults, DefaultsDialog)
        await pilot.press("a")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, DefaultEditDialog)
        await pilot.press("enter")  # the ERP field button: the picker
        await pilot.pause()
        assert isinstance(app.screen, PickerDialog)
        await _pick(pilot, "credit_limit")
        assert app.screen is editor and editor.field is not None
        assert editor.field.key == "credit_limit"
        assert editor.focused is not None and editor.focused.id == "set-value"
        await pilot.press("tab")  # the value input is disabled: on to "ask the user"
        assert editor.focused is not None and editor.focused.id == "ask"
        await pilot.press("tab", "space")  # mandatory on, neither value nor prompt
        assert editor.spec().mandatory and not editor.spec().set_value
        await pilot.press("f10")
        await pilot.pause()
        assert app.screen is editor  # refused: OK is disabled and says why
        assert "is mandatory" in str(editor.query_one("#problems", Static).render())
        assert {r.erp_field for r in load_defaults(ctx, NORDIC).tab("Customer").rows} \
            == defaults_before
        await pilot.press("shift+tab", "shift+tab", "space")  # "set default value" on
        assert editor.spec().set_value
        await pilot.press("tab", *"5000")
        assert isinstance(editor.focused, Input) and editor.focused.value == "5000"
        await pilot.press("f10")
        await pilot.pause()
        assert app.screen is defaults
        credit = next(r for r in load_defaults(ctx, NORDIC).tab("Customer").rows
                      if r.erp_field == "credit_limit")
        assert credit.set_value and credit.value == "5000" and credit.mandatory
        assert not credit.ask_user
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionsScreen)

        # ---- 5. Rank fields: the first field one place down -----------------------------
        rank_before = [r.erp_field for r in load_ranking(ctx, NORDIC).tabs["Customer"]]
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RankFieldsDialog)
        await pilot.press("shift+down", "f10")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionsScreen)
        rank_after = [r.erp_field for r in load_ranking(ctx, NORDIC).tabs["Customer"]]
        assert rank_after == [rank_before[1], rank_before[0], *rank_before[2:]]

        # ---- 6. Test ------------------------------------------------------------------
        tested_before = _connection(ctx, NORDIC).last_test_at
        await pilot.press("t")
        await _settle(app, pilot)
        nordic = _connection(ctx, NORDIC)
        assert nordic.last_test_ok is True and nordic.last_test_at != tested_before
        assert "passed" in _message(app)

        # ---- 7. Reactivate: refused for Name, fixed, accepted ---------------------------
        await pilot.press("space")
        await _settle(app, pilot)
        problems = app.screen
        assert isinstance(problems, ActivationProblemsScreen)
        assert [p.message for p in problems.problems] == [
            "Customer › Name: mandatory ERP field has no sync direction; map it to a CRM "
            "field and choose a direction."]
        assert not _connection(ctx, NORDIC).active
        await pilot.press("enter")  # Mappings at Customer › Name
        await pilot.pause()
        mappings = app.screen
        assert isinstance(mappings, MappingsDialog)
        assert mappings._current_row().erp.key == "name"
        await pilot.press("equals_sign", "f10")
        await pilot.pause()
        assert app.screen is problems
        assert str(_row(ctx, NORDIC, "Customer", "name").direction) == "<>"
        await pilot.press("a")
        await _settle(app, pilot)
        assert isinstance(app.screen, ConnectionsScreen)
        nordic = _connection(ctx, NORDIC)
        assert nordic.active and nordic.priority == 2  # after Dutch, which is active
        assert "is active now" in _message(app)

        # ---- 8. Set sync priority: Nordic first again ------------------------------------
        assert [c.name for c in priority_order(ctx)] == [DUTCH, NORDIC]
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, SyncPriorityDialog)
        await pilot.press("down", "shift+up", "f10")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionsScreen)
        assert [c.name for c in priority_order(ctx)] == [NORDIC, DUTCH]
        assert [c.priority for c in priority_order(ctx)] == [1, 2]
