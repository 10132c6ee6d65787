"""List mapping dialog (Lijsttoewijzing): per mapped ERP list, each ERP item → one CRM item or
"(No selection)". Two ERP items on the same CRM item are duplicates: red, marked `!`, counted in
the status line, and Save (Opslaan) is refused until they are resolved.

As on the source page, the user maps all lists and then saves once: each list keeps its edits
while the user moves between the list tabs, and Save writes every changed list.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Label, Static, Tab, Tabs

from erp_tui.context import AppContext
from erp_tui.crm_catalog import list_label
from erp_tui.errors import ErpTuiError
from erp_tui.screens.css import load_css
from erp_tui.screens.i18n import N_, label_language, tr
from erp_tui.screens.widgets.actor_tabs import actor_name
from erp_tui.screens.widgets.dialog_kit import (
    EditDialog,
    Picked,
    PickerDialog,
    error_message,
    kit_text,
)
from erp_tui.screens.widgets.grid_table import GridColumn, GridTable
from erp_tui.screens.widgets.keys import KeyBar, localize_bindings
from erp_tui.screens.widgets.read_only import ReadOnlyGate
from erp_tui.services.lists import (
    ListMappingState,
    MappedList,
    load_list_mapping,
    mapped_lists,
    save_list_mappings,
)

TEXT = {
    "title": N_("List mapping — {name}"),
    "col_erp": N_("ERP item"),
    "col_crm": N_("CRM item"),
    "no_selection": N_("(No selection)"),
    "suggested": N_("suggested"),
    "duplicate": N_("duplicate"),
    "no_lists": N_(
        "No lists to map: list fields appear here once they are mapped. Map the list "
        "fields (e.g. Country, Customer group) in Mappings first."),
    "status": N_("{rows} items, {mapped} mapped. ERP list '{erp}' → CRM list {crm}, used by "
                 "{actors}."),
    "dups": N_(
        "! {count} rows have a duplicate CRM item; each CRM item may be chosen once. "
        "Saving is refused until resolved."),
    "row": N_("Enter: choose the CRM item for '{item}'. Delete: (No selection)."),
    "pick_title": N_("CRM item for ERP item '{item}'"),
    "discard": N_("Discard the unsaved changes to these lists: {names}?"),
    "save_failed": N_("The list mapping was not saved"),
    "edited": N_("{label} •"),
    "list.clear": N_("No selection"),
    "list.pick": N_("CRM item"),
    "list.prev": N_("Prev list"),
    "list.next": N_("Next list"),
    "grid.activate": N_("Choose"),
}


class ListMappingDialog(EditDialog[bool]):
    """Lijsttoewijzing: answers True when the lists were saved, False when nothing was."""

    CSS = load_css("list_mapping_dialog.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f10", "save", "Save", id="list.save"),
        Binding("f10", "close_view", "Close", id="list.close_f10"),
        Binding("ctrl+s", "save", "Save", id="list.save_ctrl"),
        Binding("escape", "cancel", "Close", id="list.close"),
        Binding("delete,backspace,x", "clear", "No selection", id="list.clear"),
        Binding("f", "pick", "CRM item", show=False, id="list.pick"),
        Binding("left_square_bracket", "switch_list(-1)", "Prev list", show=False,
                id="list.prev"),
        Binding("right_square_bracket", "switch_list(1)", "Next list", id="list.next"),
    ]

    BUTTON_ACTIONS: ClassVar[dict[str, str]] = {"save": "save", "close": "cancel"}

    def __init__(self, ctx: AppContext, connection_id: int,
                 erp_list: str | None = None, *, read_only: bool = False) -> None:
        super().__init__(TEXT)
        self.ctx = ctx
        self.connection_id = connection_id
        self.lists: list[MappedList] = []
        self.states: dict[int, ListMappingState] = {}
        self.saved_any = False
        self.error = ""
        self.connection_name = str(connection_id)
        self._saved_signatures: dict[int, tuple[str | None, ...]] = {}
        self._load_errors: dict[int, str] = {}
        self._duplicates: set[str] = set()
        self._message = ""
        try:
            from erp_tui.services.connections import require_connection

            self.connection_name = require_connection(ctx, connection_id).name
            self.lists = mapped_lists(ctx, connection_id)
        except ErpTuiError as exc:
            self.error = error_message(exc)
        self.list_index = 0
        for index, mapped in enumerate(self.lists):
            if mapped.erp_list == erp_list:
                self.list_index = index
        self._gate = ReadOnlyGate(self, ctx, connection_id, self.connection_name,
                                  read_only=read_only, on_editable=self._became_editable)

    @property
    def state(self) -> ListMappingState | None:
        """The list on screen (None while it cannot be loaded)."""
        return self.states.get(self.list_index)

    # ---- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self._title(), id="title", markup=False)
            if not self.lists:
                yield Static(self.error or tr(TEXT, "no_lists"), id="status",
                             classes="error" if self.error else "", markup=False)
            else:
                tabs = [Tab(Content(self._tab_label(i)), id=f"list-{i}")
                        for i in range(len(self.lists))]
                yield Tabs(*tabs, active=f"list-{self.list_index}", id="lists")
                columns = [
                    GridColumn("mark", "", 1, focusable=False),
                    GridColumn("erp", tr(TEXT, "col_erp"), 30, flex=True),
                    GridColumn("crm", tr(TEXT, "col_crm"), 30, flex=True),
                    GridColumn("note", "", 11),
                ]
                yield GridTable(columns, self._cell, self._row_role, cursor_type="row",
                                id="items")
                yield Static("", id="status", markup=False)
            with Horizontal(id="buttons"):
                if self.lists:
                    yield Button(kit_text("save"), id="save", variant="primary", compact=True)
                yield Button(kit_text("close"), id="close", compact=True)
        yield KeyBar()

    def _title(self) -> str:
        return self._gate.title(tr(TEXT, "title", name=self.connection_name))

    def _tab_label(self, index: int) -> str:
        """The CRM list's name in the current language, with the actors that use the list when
        two tabs would read the same; marked • while the list has unsaved changes."""
        mapped = self.lists[index]
        label = list_label(mapped.crm_list, label_language())
        if sum(1 for m in self.lists if m.crm_list == mapped.crm_list) > 1:
            label = f"{label} ({_users(mapped, self.lists)})"
        return tr(TEXT, "edited", label=label) if self._list_dirty(index) else label

    def on_mount(self) -> None:
        if self.lists:
            grid = self.query_one("#items", GridTable)
            localize_bindings(grid, TEXT)
            self._gate.show(self._title(), "#save")
            self._show(self.list_index)
            grid.focus()

    def _show(self, index: int) -> None:
        """Show list `index`, loading it the first time (its edits stay when it is left)."""
        self.list_index = index
        if index not in self.states and index not in self._load_errors:
            self._load(index)
        self._message = self._load_errors.get(index, "")
        self._recount()
        grid = self.query_one("#items", GridTable)
        grid.set_data(len(self.state.rows) if self.state else 0)
        self._update_status()
        self._relabel(index)

    def _load(self, index: int) -> None:
        mapped = self.lists[index]
        try:
            state = load_list_mapping(self.ctx, self.connection_id, mapped.erp_list,
                                      mapped.crm_list)
        except ErpTuiError as exc:
            self._load_errors[index] = error_message(exc)
            return
        self.states[index] = state
        self._saved_signatures[index] = _signature(state)

    def _list_dirty(self, index: int) -> bool:
        """Unsaved changes in list `index` (never in the read-only view: nothing can change,
        and its suggestions cannot be saved)."""
        state = self.states.get(index)
        if state is None or self._gate.read_only:
            return False
        return (_signature(state) != self._saved_signatures.get(index)
                or any(row.suggested for row in state.rows))

    @property
    def dirty(self) -> bool:
        """Unsaved changes in any list (suggestions never saved count as changes)."""
        return any(self._list_dirty(index) for index in self.states)

    def _recount(self) -> None:
        self._duplicates = self.state.duplicate_rows() if self.state else set()

    # ---- read-only view ----------------------------------------------------------------------

    @property
    def read_only_view(self) -> bool:
        return self._gate.read_only

    def _became_editable(self) -> None:
        """The connection was deactivated: reload the lists (its version changed)."""
        self.states.clear()
        self._saved_signatures.clear()
        self._load_errors.clear()
        self._gate.show(self._title(), "#save")
        self._show(self.list_index)
        for index in range(len(self.lists)):
            self._relabel(index)

    # ---- painting ----------------------------------------------------------------------------
    def _cell(self, row: int, column: int) -> tuple[str, str]:
        assert self.state is not None
        item = self.state.rows[row]
        duplicate = item.erp_key in self._duplicates
        if column == 0:
            return ("!", "error") if duplicate else (" ", "")
        if column == 1:
            return item.erp_text, ""
        if column == 2:
            if item.crm_key is None:
                return tr(TEXT, "no_selection"), "dim"
            return self.state.crm_items.get(item.crm_key, item.crm_key), ""
        if duplicate:
            return tr(TEXT, "duplicate"), "error"
        return (tr(TEXT, "suggested"), "dim") if item.suggested else ("", "")

    def _row_role(self, row: int) -> str:
        assert self.state is not None
        return "error" if self.state.rows[row].erp_key in self._duplicates else ""

    def _update_status(self) -> None:
        status = self.query_one("#status", Static)
        status.set_class(False, "error")
        state = self.state
        if state is None:
            status.update(self._message)
            status.set_class(True, "error")
            return
        mapped = self.lists[self.list_index]
        lines = []
        if self._duplicates:
            lines.append(tr(TEXT, "dups", count=len(self._duplicates)))
            status.set_class(True, "error")
        if self._message:
            lines.append(self._message)
        else:
            lines.append(tr(TEXT, "status", rows=len(state.rows),
                            mapped=sum(1 for r in state.rows if r.crm_key),
                            erp=state.erp_list, crm=list_label(state.crm_list, label_language()),
                            actors=", ".join(dict.fromkeys(
                                actor_name(field.split(".")[0]) for field in mapped.fields))))
        if len(lines) < 2 and state.rows:
            row = state.rows[self.query_one("#items", GridTable).cursor_row]
            lines.append(tr(TEXT, "row", item=row.erp_text))
        status.update("\n".join(lines))

    @on(GridTable.CursorMoved, "#items")
    def _moved(self) -> None:
        self._message = ""
        self._update_status()

    # ---- switching lists ---------------------------------------------------------------------

    @on(Tabs.TabActivated, "#lists")
    def _tab(self, event: Tabs.TabActivated) -> None:
        if event.tab.id is None:
            return
        index = int(event.tab.id.split("-")[1])
        if index != self.list_index:
            self._show(index)

    def action_switch_list(self, delta: int) -> None:
        if self.lists:
            self._switch_to((self.list_index + delta) % len(self.lists))

    def _switch_to(self, index: int) -> None:
        tabs = self.query_one("#lists", Tabs)
        with tabs.prevent(Tabs.TabActivated):
            tabs.active = f"list-{index}"
        self._show(index)

    # ---- editing -----------------------------------------------------------------------------

    @on(GridTable.Activated, "#items")
    def _activated(self) -> None:
        self.action_pick()

    def action_pick(self) -> None:
        state = self.state
        if state is None or not state.rows or not self._gate.allow():
            return
        row = state.rows[self.query_one("#items", GridTable).cursor_row]
        choices = list(state.crm_items.items())

        def picked(answer: Picked | None) -> None:
            if answer is not None:
                self._set(row.erp_key, answer.key)

        self.app.push_screen(PickerDialog(tr(TEXT, "pick_title", item=row.erp_text), choices,
                                          row.crm_key, none_label=tr(TEXT, "no_selection")),
                             picked)

    def action_clear(self) -> None:
        state = self.state
        if state is None or not state.rows or not self._gate.allow():
            return
        row = state.rows[self.query_one("#items", GridTable).cursor_row]
        self._set(row.erp_key, None)

    def _set(self, erp_key: str, crm_key: str | None) -> None:
        if self.state is None:
            return
        for row in self.state.rows:
            if row.erp_key == erp_key:
                row.crm_key = crm_key
                row.suggested = False
        self._recount()
        self._message = ""
        self.query_one("#items", GridTable).refresh()
        self._update_status()
        self._relabel(self.list_index)

    def _relabel(self, index: int) -> None:
        self.query_one(f"#list-{index}", Tab).label = Content(self._tab_label(index))

    # ---- save / close ------------------------------------------------------------------------

    def cancel_result(self) -> bool:
        return self.saved_any

    def discard_question(self) -> str:
        names = ", ".join(list_label(self.lists[index].crm_list, label_language())
                          for index in sorted(self.states) if self._list_dirty(index))
        return tr(TEXT, "discard", names=names)

    def action_save(self) -> None:
        """Save every changed list at once; a list with duplicates refuses the whole save
        (it is shown) and nothing is written."""
        if self._gate.read_only or not self.lists:  # nothing to save: Done closes
            self.dismiss(self.cancel_result())
            return
        changed = [index for index in sorted(self.states) if self._list_dirty(index)]
        if not changed:
            self.dismiss(self.saved_any)
            return
        # A list with duplicates is shown; the service refuses the whole save and says why.
        refused = next((index for index in changed if self.states[index].duplicates()), None)
        if refused is not None and refused != self.list_index:
            self._switch_to(refused)
        states = [self.states[index] for index in changed]
        if not self.attempt(partial(save_list_mappings, self.ctx, states), "save_failed"):
            return
        self.saved_any = self.saved_any or bool(changed)
        for index in changed:
            self._saved_signatures[index] = _signature(self.states[index])
        self.dismiss(self.saved_any)


def _users(mapped: MappedList, lists: list[MappedList]) -> str:
    """The actors whose fields use `mapped` ("Klant, Leverancier"), or the ERP list's key when
    another list with the same CRM list has the same actors."""
    def actors(m: MappedList) -> str:
        names = dict.fromkeys(actor_name(field.split(".")[0]) for field in m.fields)
        return ", ".join(names)

    mine = actors(mapped)
    twins = [m for m in lists if m.crm_list == mapped.crm_list and actors(m) == mine]
    return mine if len(twins) == 1 else mapped.erp_list


def _signature(state: ListMappingState) -> tuple[str | None, ...]:
    return tuple(row.crm_key for row in state.rows)
