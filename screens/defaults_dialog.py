"""Sync defaults dialog (Standaardwaarden voor synchronisatie) with its Add/Edit dialog
(Standaardwaarden voor synchronisatie toevoegen).

Every add, edit or delete is saved at once through the services (`save_default`,
`remove_default`), as in the original where each Add dialog has its own OK.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, Tab, Tabs

from erp_tui.context import AppContext
from erp_tui.contract import FieldType
from erp_tui.errors import ErpTuiError
from erp_tui.rules import DefaultSpec, ErpFieldView
from erp_tui.screens.css import load_css
from erp_tui.screens.engine_text import engine_text
from erp_tui.screens.i18n import N_, tr
from erp_tui.screens.widgets.actor_tabs import actor_name, actor_order, in_actor_order
from erp_tui.screens.widgets.confirm import ConfirmScreen
from erp_tui.screens.widgets.dialog_kit import (
    EditDialog,
    MarkedCheckbox,
    MessageDialog,
    Picked,
    PickerDialog,
    error_message,
    kit_text,
    value_hint,
)
from erp_tui.screens.widgets.direction_cells import check_look
from erp_tui.screens.widgets.field_types import type_name
from erp_tui.screens.widgets.grid_table import GridColumn, GridTable
from erp_tui.screens.widgets.keys import KeyBar, localize_bindings
from erp_tui.screens.widgets.read_only import ReadOnlyGate
from erp_tui.services.defaults import (
    DefaultRow,
    DefaultsState,
    DefaultsTab,
    check_default,
    load_defaults,
    remove_default,
    save_default,
)

TEXT = {
    "title": N_("Sync defaults — {name}"),
    "col_field": N_("ERP field"),
    "col_value": N_("Default value"),
    "col_ask": N_("Ask"),
    "col_mandatory": N_("Mandatory"),
    "none": N_("—"),
    "add": N_("Add (a)"),
    "edit": N_("Edit (e)"),
    "delete": N_("Delete (d)"),
    "empty": N_("No defaults for {actor} yet. Press a (or Insert) to add one."),
    "row": N_("{field}: {value}{ask}{mandatory}. e/Enter edit, d/Delete delete."),
    "row_value": N_("value '{value}'"),
    "row_no_value": N_("no fixed value"),
    "row_ask": N_(", the user is asked"),
    "row_mandatory": N_(", mandatory"),
    "row_forced": N_(" (mandatory in the ERP)"),
    "confirm_delete": N_("Delete the default of '{field}' ({actor})?"),
    "delete_failed": N_("The default was not deleted"),
    "no_actors": N_("This connection has no ERP actors yet."),
    "load_failed": N_("The defaults cannot be opened"),
    "deleted": N_("Deleted the default of '{field}'."),
    "saved": N_("Saved the default of '{field}'."),
    "defaults.add": N_("Add"),
    "defaults.add_insert": N_("Add"),
    "defaults.edit": N_("Edit"),
    "defaults.delete": N_("Delete"),
    "defaults.delete_key": N_("Delete"),
    "defaults.prev_tab": N_("Prev actor"),
    "defaults.next_tab": N_("Next actor"),
    "grid.activate": N_("Edit"),
    "add_title": N_("Add sync default — {actor}"),
    "edit_title": N_("Edit sync default — {actor}"),
    "erp_field": N_("ERP field"),
    "choose_field": N_("(choose an ERP field — Enter)"),
    "set_value": N_("Set default value"),
    "value": N_("Value"),
    "ask_user": N_("Ask the user for a value"),
    "mandatory": N_("Mandatory – user must fill in a value"),
    "forced": N_("(the ERP requires this field)"),
    "valid": N_("Ready: OK saves this default."),
    "pick_field": N_("ERP field for the default ({actor})"),
    "no_field": N_("Choose an ERP field first."),
    "save_failed": N_("The default was not saved"),
    "discard": N_("Throw away what you entered for this default?"),
}


class DefaultsDialog(EditDialog[bool]):
    """Standaardwaarden voor synchronisatie: answers True when anything was saved."""

    CSS = load_css("defaults_dialog.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add", id="defaults.add"),
        Binding("insert", "add", "Add", show=False, id="defaults.add_insert"),
        Binding("e", "edit", "Edit", id="defaults.edit"),
        Binding("d", "delete", "Delete", id="defaults.delete"),
        Binding("delete", "delete", "Delete", show=False, id="defaults.delete_key"),
        Binding("escape", "cancel", "Close", id="defaults.close"),
        Binding("f10", "cancel", "Close", show=False, id="defaults.close_f10"),
        Binding("left_square_bracket", "switch_tab(-1)", "Prev actor", show=False,
                id="defaults.prev_tab"),
        Binding("right_square_bracket", "switch_tab(1)", "Next actor",
                id="defaults.next_tab"),
    ]

    BUTTON_ACTIONS: ClassVar[dict[str, str]] = {
        "add": "add", "edit": "edit", "delete": "delete", "close": "cancel"}

    def __init__(self, ctx: AppContext, connection_id: int, actor: str | None = None, *,
                 read_only: bool = False) -> None:
        super().__init__(TEXT)
        self.ctx = ctx
        self.connection_id = connection_id
        self.state: DefaultsState | None = None
        self.error = ""
        self.saved_any = False
        self.connection_name = str(connection_id)
        self._message = ""
        self._last_pos = (-1, -1)
        self._names: dict[str, str] = {}
        try:
            from erp_tui.services.connections import require_connection

            self.connection_name = require_connection(ctx, connection_id).name
            self._names = dict(actor_order(ctx, connection_id))
            self.state = self._ordered(load_defaults(ctx, connection_id))
        except ErpTuiError as exc:
            self.error = error_message(exc)
        self._gate = ReadOnlyGate(self, ctx, connection_id, self.connection_name,
                                  read_only=read_only, on_editable=self._became_editable)
        self.tab_index = 0
        if self.state and actor:
            for index, tab in enumerate(self.state.tabs):
                if tab.actor_type.lower() == actor.lower():
                    self.tab_index = index

    @property
    def tab(self) -> DefaultsTab | None:
        if self.state is None or not self.state.tabs:
            return None
        return self.state.tabs[self.tab_index]

    def _ordered(self, state: DefaultsState) -> DefaultsState:
        """`state` with its tabs in the order Mappings shows the actors."""
        order = in_actor_order([tab.actor_type for tab in state.tabs], list(self._names.items()))
        state.tabs.sort(key=lambda tab: order.index(tab.actor_type))
        return state

    def actor(self, actor_type: str) -> str:
        """The name Mappings gives the actor ("Contact person", not "Person")."""
        return self._names.get(actor_type) or actor_name(actor_type)

    def _title(self) -> str:
        return self._gate.title(tr(TEXT, "title", name=self.connection_name))

    def _became_editable(self) -> None:
        """The connection was deactivated: reload (its version changed) and allow changes."""
        self._gate.show(self._title())
        self._reload()

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self._title(), id="title", markup=False)
            if self.state is None or not self.state.tabs:
                yield Static(self.error or tr(TEXT, "no_actors"), id="status", classes="error",
                             markup=False)
            else:
                yield Tabs(*[Tab(Content(self.actor(t.actor_type)), id=f"actor-{i}")
                             for i, t in enumerate(self.state.tabs)],
                           active=f"actor-{self.tab_index}", id="actors")
                columns = [
                    GridColumn("field", tr(TEXT, "col_field"), 26, flex=True),
                    GridColumn("value", tr(TEXT, "col_value"), 24, flex=True),
                    GridColumn("ask", tr(TEXT, "col_ask"), 6, align="center"),
                    GridColumn("mandatory", tr(TEXT, "col_mandatory"), 9, align="center"),
                ]
                yield GridTable(columns, self._cell, cursor_type="row", id="defaults")
                yield Static("", id="status", markup=False)
            with Horizontal(id="buttons"):
                if self.state is not None and self.state.tabs:
                    yield Button(tr(TEXT, "add"), id="add", compact=True)
                    yield Button(tr(TEXT, "edit"), id="edit", compact=True)
                    yield Button(tr(TEXT, "delete"), id="delete", compact=True)
                yield Button(kit_text("close"), id="close", variant="primary", compact=True)
        yield KeyBar()

    def on_mount(self) -> None:
        if self.tab is not None:
            grid = self.query_one("#defaults", GridTable)
            localize_bindings(grid, TEXT)
            self._show(self.tab_index)
            grid.focus()

    def _show(self, index: int, cursor_field: str | None = None) -> None:
        self.tab_index = index
        tab = self.tab
        assert tab is not None
        row = 0
        for i, default in enumerate(tab.rows):
            if default.erp_field == cursor_field:
                row = i
        self._last_pos = (index, row)  # the CursorMoved of set_data keeps the message
        self.query_one("#defaults", GridTable).set_data(len(tab.rows), cursor_row=row)
        self._update_status()

    def _reload(self, cursor_field: str | None = None) -> None:
        try:
            self.state = self._ordered(load_defaults(self.ctx, self.connection_id))
        except ErpTuiError as exc:
            self.app.push_screen(MessageDialog(tr(TEXT, "load_failed"), error_message(exc)))
            return
        self._show(min(self.tab_index, len(self.state.tabs) - 1), cursor_field)

    def _cell(self, row: int, column: int) -> tuple[str, str]:
        tab = self.tab
        assert tab is not None
        default = tab.rows[row]
        if column == 0:
            return default.label, ""
        if column == 1:
            if not default.set_value:
                return tr(TEXT, "none"), "dim"
            return _value_text(tab, default), ""
        if column == 2:
            return check_look(default.ask_user)
        text, role = check_look(default.mandatory)
        return (f"{text}*", "mark") if default.forced_mandatory else (text, role)

    def _current(self) -> DefaultRow | None:
        tab = self.tab
        if tab is None or not tab.rows:
            return None
        return tab.rows[self.query_one("#defaults", GridTable).cursor_row]

    def _update_status(self) -> None:
        tab = self.tab
        if tab is None:
            return
        status = self.query_one("#status", Static)
        default = self._current()
        if default is None:
            text = tr(TEXT, "empty", actor=self.actor(tab.actor_type))
        else:
            value = (tr(TEXT, "row_value", value=_value_text(tab, default)) if default.set_value
                     else tr(TEXT, "row_no_value"))
            mandatory = ""
            if default.mandatory:
                mandatory = tr(TEXT, "row_mandatory") + (
                    tr(TEXT, "row_forced") if default.forced_mandatory else "")
            text = tr(TEXT, "row", field=default.label, value=value,
                      ask=tr(TEXT, "row_ask") if default.ask_user else "", mandatory=mandatory)
        if self._message:
            text = f"{self._message}\n{text}"
        status.update(text)

    @on(GridTable.CursorMoved, "#defaults")
    def _moved(self, event: GridTable.CursorMoved) -> None:
        if (self.tab_index, event.row) != self._last_pos:
            self._last_pos = (self.tab_index, event.row)
            self._message = ""
        self._update_status()

    @on(Tabs.TabActivated, "#actors")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab.id is not None:
            index = int(event.tab.id.split("-")[1])
            if index != self.tab_index:
                self._message = ""
                self._show(index)

    def action_switch_tab(self, delta: int) -> None:
        if self.state and self.state.tabs:
            index = (self.tab_index + delta) % len(self.state.tabs)
            self.query_one("#actors", Tabs).active = f"actor-{index}"

    # ---- actions -----------------------------------------------------------------------------

    @on(GridTable.Activated, "#defaults")
    def _activated(self) -> None:
        self.action_edit()

    def cancel_result(self) -> bool:
        return self.saved_any

    def action_add(self) -> None:
        if self._gate.allow():
            self._open_editor(None)

    def action_edit(self) -> None:
        default = self._current()
        if default is not None and self._gate.allow():
            self._open_editor(default)

    def _open_editor(self, default: DefaultRow | None) -> None:
        tab, state = self.tab, self.state
        if tab is None or state is None:
            return

        def done(saved_field: str | None) -> None:
            if saved_field:
                self.saved_any = True
                self._message = tr(TEXT, "saved", field=saved_field)
                self._reload(saved_field)

        self.app.push_screen(DefaultEditDialog(self.ctx, self.connection_id, tab, state.version,
                                               default, actor=self.actor(tab.actor_type)), done)

    def action_delete(self) -> None:
        tab, default, state = self.tab, self._current(), self.state
        if tab is None or default is None or state is None or not self._gate.allow():
            return

        def answered(yes: bool | None) -> None:
            if not yes or not self.attempt(
                    lambda: remove_default(self.ctx, self.connection_id, tab.actor_type,
                                           default.erp_field, state.version),
                    "delete_failed"):
                return
            self.saved_any = True
            self._message = tr(TEXT, "deleted", field=default.label)
            self._reload()

        self.app.push_screen(ConfirmScreen("", tr(TEXT, "confirm_delete", field=default.label,
                                                  actor=self.actor(tab.actor_type)),
                                           default=False),
                         answered)


def _value_text(tab: DefaultsTab, default: DefaultRow) -> str:
    view = tab.field(default.erp_field)
    if view is not None and view.type is FieldType.LIST:
        text = tab.list_items.get(view.list_name, {}).get(default.value)
        if text:
            return f"{text} ({default.value})"
    return default.value


class DefaultEditDialog(EditDialog[str | None]):
    """Standaardwaarden voor synchronisatie toevoegen / bewerken. Saves through `save_default`
    and answers the saved field's label (None when cancelled). OK stays disabled, with every
    reason shown, until the default is valid."""

    CSS = load_css("defaults_dialog.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f10", "ok", "OK", id="edit.ok"),
        Binding("ctrl+s", "ok", "OK", id="edit.ok_ctrl"),
        Binding("escape", "cancel", "Cancel", id="edit.cancel"),
    ]

    BUTTON_ACTIONS: ClassVar[dict[str, str]] = {"ok": "ok", "cancel": "cancel"}

    def __init__(self, ctx: AppContext, connection_id: int, tab: DefaultsTab, version: int,
                 default: DefaultRow | None = None, *, actor: str = "") -> None:
        super().__init__(TEXT)
        self.ctx = ctx
        self.connection_id = connection_id
        self.tab = tab
        self.version = version
        self.default = default
        self.actor = actor or actor_name(tab.actor_type)
        self.field: ErpFieldView | None = tab.field(default.erp_field) if default else None
        self._initial: tuple[str | None, DefaultSpec] | None = None

    def compose(self) -> ComposeResult:
        default = self.default
        title = "edit_title" if default else "add_title"
        with Vertical(id="editor"):
            yield Label(tr(TEXT, title, actor=self.actor), id="edit-title", markup=False)
            with Horizontal(classes="row"):
                yield Label(tr(TEXT, "erp_field"), classes="caption")
                yield Button(Content(self._field_text()), id="field", compact=True,
                             disabled=default is not None)
            yield MarkedCheckbox(tr(TEXT, "set_value"), default.set_value if default else False,
                           id="set-value", compact=True)
            with Horizontal(classes="row"):
                yield Label(tr(TEXT, "value"), classes="caption")
                yield Input(default.value if default and default.set_value else "",
                            id="value", compact=True)
                yield Select[str]([], id="value-list", compact=True, allow_blank=True)
            yield MarkedCheckbox(tr(TEXT, "ask_user"), default.ask_user if default else False,
                           id="ask", compact=True)
            yield MarkedCheckbox(tr(TEXT, "mandatory"), default.mandatory if default else False,
                           id="mandatory", compact=True)
            yield Static(tr(TEXT, "forced"), id="forced", markup=False)
            yield Static("", id="problems", markup=False)
            with Horizontal(id="edit-buttons"):
                yield Button(kit_text("ok"), id="ok", variant="primary", compact=True)
                yield Button(kit_text("cancel"), id="cancel", compact=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self._field_changed()
        if self.default is None:
            self.query_one("#field", Button).focus()
        else:
            self.query_one("#set-value", Checkbox).focus()
        self._initial = self._form()

    def _form(self) -> tuple[str | None, DefaultSpec]:
        return (self.field.key if self.field else None), self.spec()

    @property
    def dirty(self) -> bool:
        """Has anything been entered or changed since the dialog opened?"""
        return self._initial is not None and self._form() != self._initial

    def _field_text(self) -> str:
        if self.field is None:
            return tr(TEXT, "choose_field")
        marker = " *" if self.field.mandatory else ""
        return f"{self.field.label} ({self.field.key}, {type_name(self.field.type)}){marker}"

    def _field_changed(self) -> None:
        """Show the value widget that fits the field's type; force mandatory if the ERP does."""
        view = self.field
        is_list = view is not None and view.type is FieldType.LIST
        value_input = self.query_one("#value", Input)
        value_list = self.query_one("#value-list", Select)
        value_input.display = not is_list
        value_list.display = is_list
        if view is not None:
            value_input.placeholder = value_hint(view.type)
            if is_list:
                items = self.tab.list_items.get(view.list_name, {})
                value_list.set_options([(f"{text} ({key})", key) for key, text in items.items()])
                if self.default and self.default.value in items:
                    value_list.value = self.default.value
        mandatory = self.query_one("#mandatory", Checkbox)
        forced = bool(view and view.mandatory)
        if forced:
            mandatory.value = True
        mandatory.disabled = forced
        # The ERP's reason goes on a line of its own: beside the label it is cut at 80 columns.
        mandatory.set_class(forced, "forced")
        self.query_one("#forced", Static).display = forced
        self._validate()

    def spec(self) -> DefaultSpec:
        """The default as the form now describes it."""
        view = self.field
        if view is not None and view.type is FieldType.LIST:
            selected = self.query_one("#value-list", Select).value
            value = selected if isinstance(selected, str) else ""
        else:
            value = self.query_one("#value", Input).value
        return DefaultSpec(view.key if view else "", self.query_one("#set-value", Checkbox).value,
                           value, self.query_one("#ask", Checkbox).value,
                           self.query_one("#mandatory", Checkbox).value)

    def problems(self) -> list[str]:
        """Why OK is disabled (empty when the default can be saved)."""
        if self.field is None:
            return [tr(TEXT, "no_field")]
        return [engine_text(p) for p in check_default(self.tab, self.spec())]

    def _validate(self) -> None:
        problems = self.problems()
        self.query_one("#ok", Button).disabled = bool(problems)
        status = self.query_one("#problems", Static)
        status.set_class(bool(problems), "error")
        status.update("\n".join(f"✗ {p}" for p in problems) if problems else
                      f"✓ {tr(TEXT, 'valid')}")
        set_value = self.query_one("#set-value", Checkbox).value
        self.query_one("#value", Input).disabled = not set_value
        self.query_one("#value-list", Select).disabled = not set_value

    @on(Checkbox.Changed)
    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self._validate()

    @on(Input.Submitted, "#value")
    def _submitted(self) -> None:
        self.action_ok()

    @on(Button.Pressed, "#field")
    def _pick_field(self) -> None:
        taken = {row.erp_field for row in self.tab.rows}
        choices = [(v.key, f"{v.label} — {type_name(v.type)}{' *' if v.mandatory else ''}")
                   for v in self.tab.fields if v.key not in taken and not v.missing]

        def picked(answer: Picked | None) -> None:
            if answer is not None and answer.key is not None:
                self.field = self.tab.field(answer.key)
                self.query_one("#field", Button).label = Content(self._field_text())
                self._field_changed()
                self.query_one("#set-value", Checkbox).focus()

        self.app.push_screen(PickerDialog(tr(TEXT, "pick_field", actor=self.actor),
                                          choices, self.field.key if self.field else None),
                             picked)

    def action_ok(self) -> None:
        if self.problems() or self.field is None:
            self._validate()
            return
        label, spec = self.field.label, self.spec()
        if self.attempt(lambda: save_default(self.ctx, self.connection_id, self.tab.actor_type,
                                             spec, self.version)):
            self.dismiss(label)
