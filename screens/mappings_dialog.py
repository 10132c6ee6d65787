"""Mappings dialog (Toewijzingen): per ERP actor the "Synchronise ERP <actor> with CRM <entity>"
toggle and, per ERP field, CRM field, direction, show in search and show on the ERP tab.

Only the rows on screen are painted (GridTable), so an actor with thousands of fields opens as
fast as one with ten. The dialog edits a `MappingsState` with the services' pure helpers and
saves it whole with `save_mappings`.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Checkbox, Label, Static, Tab, Tabs

from erp_tui.context import AppContext
from erp_tui.crm_catalog import CrmField, entity_label
from erp_tui.errors import ErpTuiError, ValidationFailed
from erp_tui.rules import Direction, DirectionCell, show_on_tab_warning
from erp_tui.screens.css import load_css
from erp_tui.screens.engine_text import engine_text
from erp_tui.screens.i18n import N_, label_language, tr
from erp_tui.screens.widgets.dialog_kit import (
    EditDialog,
    MarkedCheckbox,
    Picked,
    PickerDialog,
    done_bindings,
    done_cancel_buttons,
    error_message,
)
from erp_tui.screens.widgets.direction_cells import check_look, direction_look
from erp_tui.screens.widgets.grid_table import GridColumn, GridTable
from erp_tui.screens.widgets.keys import KeyBar, localize_bindings
from erp_tui.services.mappings import (
    ActorTab,
    FieldRow,
    MappingsState,
    load_mappings,
    save_mappings,
    set_crm_field,
    set_direction,
    toggle_direction,
)

TEXT = {
    "title": N_("Mappings — {name}"),
    "actor_toggle": N_("Synchronise ERP {actor} with CRM {entity}"),
    "col_erp": N_("ERP field"),
    "col_crm": N_("CRM field"),
    "col_search": N_("Search"),
    "col_tab": N_("ERP tab"),
    "none": N_("—"),
    "none_choice": N_("(none)"),
    "missing": N_("no longer available in the ERP"),
    "mandatory": N_("mandatory in the ERP"),
    "read_only": N_("read-only in the ERP"),
    "erp_status": N_("{mark}{label} ({fkey}, {type}){extra}"),
    "crm_status": N_("CRM field: {crm}. Enter: choose one of {count} fitting CRM fields."),
    "crm_none": N_("This ERP field cannot be mapped: no CRM field fits a {type} field."),
    "dir_names": N_("> ERP → CRM|< CRM → ERP|<> both ways"),
    "dir_status": N_(
        "Direction (Richting) {name}: {state}. Space/Enter switches it; > < = set a "
        "direction, - clears it."),
    "dir_selected": N_("selected"),
    "dir_enabled": N_("not selected"),
    "dir_disabled": N_("Not available: {reason}"),
    "search_status": N_("Show in search: {value}. Space switches it."),
    "search_not": N_(" (the ERP cannot search this field)"),
    "tab_status": N_("Show on ERP tab: {value}. Space switches it."),
    "yes": N_("yes"),
    "no": N_("no"),
    "active": N_("Connection '{name}' is active: changes cannot be saved until it is deactivated."),
    "discard": N_("Discard the unsaved changes to the mappings?"),
    "save_failed": N_("The mappings were not saved"),
    "no_actors": N_("This connection has no ERP actors yet (refresh its metadata first)."),
    "load_failed": N_("The mappings cannot be opened"),
    "pick_title": N_("CRM field for ERP field '{label}' ({type})"),
    "crm_refused": N_("Refused: {reason}"),
    "saved": N_("Saved."),
    "mappings.toggle_actor": N_("Toggle actor"),
    "mappings.toggle_actor_f2": N_("Toggle actor"),
    "mappings.to_crm": N_("Set >"),
    "mappings.to_erp": N_("Set <"),
    "mappings.both": N_("Set <>"),
    "mappings.clear": N_("Clear direction"),
    "mappings.search": N_("Search on/off"),
    "mappings.tab": N_("ERP tab on/off"),
    "mappings.pick": N_("CRM field"),
    "mappings.prev_tab": N_("Prev actor"),
    "mappings.next_tab": N_("Next actor"),
    "grid.activate": N_("Change"),
}

COL_ERP, COL_CRM, COL_TO_CRM, COL_TO_ERP, COL_BOTH, COL_SEARCH, COL_TAB = range(7)
DIRECTION_COLUMNS = {COL_TO_CRM: Direction.TO_CRM, COL_TO_ERP: Direction.TO_ERP,
                     COL_BOTH: Direction.BOTH}


class MappingsDialog(EditDialog[bool]):
    """Toewijzingen: answers True when the mapping was saved, False when cancelled."""

    CSS = load_css("mappings_dialog.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        *done_bindings("mappings"),
        Binding("e", "toggle_actor", "Toggle actor", id="mappings.toggle_actor"),
        Binding("f2", "toggle_actor", "Toggle actor", show=False,
                id="mappings.toggle_actor_f2"),
        Binding("greater_than_sign", "direction('>')", "Set >", show=False,
                id="mappings.to_crm"),
        Binding("less_than_sign", "direction('<')", "Set <", show=False, id="mappings.to_erp"),
        Binding("equals_sign", "direction('<>')", "Set <>", show=False, id="mappings.both"),
        Binding("minus", "direction('')", "Clear direction", show=False,
                id="mappings.clear"),
        Binding("s", "toggle_column(5)", "Search on/off", show=False, id="mappings.search"),
        Binding("t", "toggle_column(6)", "ERP tab on/off", show=False, id="mappings.tab"),
        Binding("f", "pick", "CRM field", show=False, id="mappings.pick"),
        Binding("left_square_bracket", "switch_tab(-1)", "Prev actor", show=False,
                id="mappings.prev_tab"),
        Binding("right_square_bracket", "switch_tab(1)", "Next actor",
                id="mappings.next_tab"),
    ]

    def __init__(self, ctx: AppContext, connection_id: int, focus_actor: str | None = None,
                 focus_field: str | None = None) -> None:
        super().__init__(TEXT, cancelled=False)
        self.ctx = ctx
        self.connection_id = connection_id
        self.focus_actor = focus_actor
        self.focus_field = focus_field
        self.state: MappingsState | None = None
        self.load_error = ""
        try:
            self.state = load_mappings(ctx, connection_id)
        except ErpTuiError as exc:
            self.load_error = error_message(exc)
        self._saved_signature = self._signature()
        self.tab_index, self._initial_row = self._initial_focus()
        self._message = ""
        self._cells: dict[int, list[DirectionCell]] = {}
        self._crm_labels: dict[str, str] = {}

    # ---- state helpers -----------------------------------------------------------------------

    def _initial_focus(self) -> tuple[int, int]:
        """(tab index, row index) of `focus_actor` / `focus_field` (else the first tab)."""
        if self.state is None or not self.focus_actor:
            return 0, 0
        for index, tab in enumerate(self.state.tabs):
            if tab.actor_type.lower() == self.focus_actor.lower():
                for row_index, row in enumerate(tab.rows):
                    if row.erp.key == self.focus_field:
                        return index, row_index
                return index, 0
        return 0, 0

    def _signature(self) -> tuple[object, ...]:
        if self.state is None:
            return ()
        return tuple((tab.enabled, tuple((r.crm_field, r.direction, r.show_in_search,
                                          r.show_on_tab) for r in tab.rows))
                     for tab in self.state.tabs)

    @property
    def dirty(self) -> bool:
        """Are there changes that were not saved?"""
        return self._signature() != self._saved_signature

    @property
    def tab(self) -> ActorTab | None:
        if self.state is None or not self.state.tabs:
            return None
        return self.state.tabs[self.tab_index]

    def _current_row(self) -> FieldRow | None:
        tab = self.tab
        if tab is None or not tab.rows:
            return None
        grid = self.query_one("#fields", GridTable)
        return tab.rows[grid.cursor_row]

    def _row_cells(self, index: int) -> list[DirectionCell]:
        cells = self._cells.get(index)
        if cells is None:
            tab = self.tab
            assert tab is not None
            cells = tab.cells(tab.rows[index])
            self._cells[index] = cells
        return cells

    # ---- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        name = self.state.connection_name if self.state else str(self.connection_id)
        with Vertical(id="dialog"):
            yield Label(tr(TEXT, "title", name=name), id="title", markup=False)
            if self.state is None or not self.state.tabs:
                yield Static(self.load_error or tr(TEXT, "no_actors"), id="status",
                             classes="error", markup=False)
            else:
                yield Tabs(*[Tab(Content(t.label), id=f"actor-{i}")
                             for i, t in enumerate(self.state.tabs)],
                           active=f"actor-{self.tab_index}", id="actors")
                yield MarkedCheckbox("", id="enabled", compact=True)
                columns = [
                    GridColumn("erp", tr(TEXT, "col_erp"), 26, flex=True),
                    GridColumn("crm", tr(TEXT, "col_crm"), 20, flex=True),
                    GridColumn("to_crm", ">", 4, align="center"),
                    GridColumn("to_erp", "<", 4, align="center"),
                    GridColumn("both", "<>", 4, align="center"),
                    GridColumn("search", tr(TEXT, "col_search"), 6, align="center"),
                    GridColumn("tab", tr(TEXT, "col_tab"), 7, align="center"),
                ]
                yield GridTable(columns, self._cell, self._row_role, id="fields")
                yield Static("", id="status", markup=False)
            yield done_cancel_buttons(self.state is not None)
        yield KeyBar()

    def on_mount(self) -> None:
        if self.state is None or not self.state.tabs:
            return
        grid = self.query_one("#fields", GridTable)
        localize_bindings(grid, TEXT)
        self._show_tab(self.tab_index, self._initial_row)
        grid.focus()

    def _show_tab(self, index: int, cursor_row: int = 0) -> None:
        assert self.state is not None
        self.tab_index = index
        tab = self.state.tabs[index]
        self._cells = {}
        self._crm_labels = {f.key: f.label for f in tab.crm_fields}
        checkbox = self.query_one("#enabled", Checkbox)
        checkbox.label = Content(tr(TEXT, "actor_toggle", actor=tab.label,
                                    entity=entity_label(tab.crm_entity, label_language())))
        with checkbox.prevent(Checkbox.Changed):
            checkbox.value = tab.enabled
        grid = self.query_one("#fields", GridTable)
        grid.set_data(len(tab.rows), cursor_row=cursor_row)
        self._message = ""
        self._update_status()

    @on(Tabs.TabActivated, "#actors")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab.id is None:
            return
        index = int(event.tab.id.split("-")[1])
        if index != self.tab_index:
            self._show_tab(index)

    def action_switch_tab(self, delta: int) -> None:
        if self.state is None or not self.state.tabs:
            return
        index = (self.tab_index + delta) % len(self.state.tabs)
        self.query_one("#actors", Tabs).active = f"actor-{index}"
        self._show_tab(index)

    # ---- painting cells ----------------------------------------------------------------------

    def _cell(self, row: int, column: int) -> tuple[str, str]:
        tab = self.tab
        assert tab is not None
        field_row = tab.rows[row]
        erp = field_row.erp
        if column == COL_ERP:
            mark = "✗" if erp.missing else ("*" if erp.mandatory else " ")
            return f"{mark} {erp.label}", "mark" if erp.missing else ""
        if column == COL_CRM:
            if field_row.crm_field is None:
                return tr(TEXT, "none"), "dim"
            return self._crm_labels.get(field_row.crm_field, field_row.crm_field), ""
        if column in DIRECTION_COLUMNS:
            cell = self._row_cells(row)[column - COL_TO_CRM]
            return direction_look(cell, field_row.direction)
        if column == COL_SEARCH:
            return check_look(field_row.show_in_search)
        warn = show_on_tab_warning(field_row.direction, field_row.show_on_tab)
        text, role = check_look(field_row.show_on_tab)
        return (f"{text}!", "mark") if warn else (text, role)

    def _row_role(self, row: int) -> str:
        tab = self.tab
        assert tab is not None
        return "dim" if tab.rows[row].missing else ""

    # ---- status line -------------------------------------------------------------------------

    @on(GridTable.CursorMoved, "#fields")
    def _cursor_moved(self) -> None:
        self._message = ""
        self._update_status()

    def _update_status(self) -> None:
        if self.state is None:
            return
        status = self.query_one("#status", Static)
        status.set_class(False, "error")
        status.set_class(False, "warning")
        if self._message:
            status.update(self._message)
            status.set_class(True, "warning")
            return
        text, kind = self._describe_cursor()
        if self.state.active:
            text = f"{tr(TEXT, 'active', name=self.state.connection_name)}\n{text}"
            kind = kind or "warning"
        status.update(text)
        if kind:
            status.set_class(True, kind)

    def _describe_cursor(self) -> tuple[str, str]:
        tab, row = self.tab, self._current_row()
        if tab is None or row is None:
            return "", ""
        grid = self.query_one("#fields", GridTable)
        column = grid.cursor_column
        erp = row.erp
        yes_no = {True: tr(TEXT, "yes"), False: tr(TEXT, "no")}
        if column == COL_ERP:
            extras = []
            if erp.missing:
                extras.append(tr(TEXT, "missing"))
            if erp.mandatory:
                extras.append(tr(TEXT, "mandatory"))
            if erp.read_only:
                extras.append(tr(TEXT, "read_only"))
            extra = f" — {', '.join(extras)}" if extras else ""
            mark = "✗ " if erp.missing else ("* " if erp.mandatory else "")
            text = tr(TEXT, "erp_status", mark=mark, label=erp.label, fkey=erp.key,
                      type=erp.type.value, extra=extra)
            if row.description:
                text += f"\n{row.description}"
            return text, "warning" if erp.missing else ""
        if column == COL_CRM:
            choices = tab.choices(row)
            if not choices:
                return tr(TEXT, "crm_none", type=erp.type.value), "warning"
            crm = (self._crm_labels.get(row.crm_field, row.crm_field) if row.crm_field
                   else tr(TEXT, "none_choice"))
            return tr(TEXT, "crm_status", crm=crm, count=len(choices)), ""
        if column in DIRECTION_COLUMNS:
            cell = self._row_cells(grid.cursor_row)[column - COL_TO_CRM]
            names = tr(TEXT, "dir_names").split("|")
            name = names[column - COL_TO_CRM]
            if not cell.enabled:
                return tr(TEXT, "dir_disabled", reason=engine_text(cell.reason)), "error"
            state = tr(TEXT, "dir_selected" if row.direction is cell.direction
                       else "dir_enabled")
            return tr(TEXT, "dir_status", name=name, state=state), ""
        if column == COL_SEARCH:
            text = tr(TEXT, "search_status", value=yes_no[row.show_in_search])
            if not row.searchable and not row.missing:
                text += tr(TEXT, "search_not")
            return text, ""
        text = tr(TEXT, "tab_status", value=yes_no[row.show_on_tab])
        warning = show_on_tab_warning(row.direction, row.show_on_tab)
        if warning:
            return f"{text}\n⚠ {warning}", "warning"
        return text, ""

    def _changed(self, message: str = "") -> None:
        """A cell of the cursor row changed: repaint it and say what happened."""
        grid = self.query_one("#fields", GridTable)
        self._cells.pop(grid.cursor_row, None)
        grid.refresh()
        self._message = message
        self._update_status()

    # ---- editing -----------------------------------------------------------------------------

    @on(GridTable.Activated, "#fields")
    def _activated(self, event: GridTable.Activated) -> None:
        column = event.column
        if column == COL_CRM:
            self.action_pick()
        elif column in DIRECTION_COLUMNS:
            self._press_direction(DIRECTION_COLUMNS[column])
        elif column in (COL_SEARCH, COL_TAB):
            self.action_toggle_column(column)
        elif column == COL_ERP:
            self._message = ""
            self._update_status()

    def _press_direction(self, direction: Direction) -> None:
        tab, row = self.tab, self._current_row()
        if tab is None or row is None:
            return
        grid = self.query_one("#fields", GridTable)
        cell = self._row_cells(grid.cursor_row)[list(Direction).index(direction)]
        if not cell.enabled and row.direction is not direction:
            self._changed(tr(TEXT, "dir_disabled", reason=engine_text(cell.reason)))
            return
        refusal = toggle_direction(tab, row, direction)
        self._after_direction(refusal)

    def _after_direction(self, refusal: str) -> None:
        row = self._current_row()
        if refusal:
            self._changed(tr(TEXT, "dir_disabled", reason=refusal))
            return
        warning = show_on_tab_warning(row.direction, row.show_on_tab) if row else ""
        self._changed(f"⚠ {warning}" if warning else "")

    def action_direction(self, value: str) -> None:
        tab, row = self.tab, self._current_row()
        if tab is None or row is None or self.state is None:
            return
        direction = Direction(value) if value else None
        refusal = set_direction(tab, row, direction)
        self._after_direction(refusal)

    def action_toggle_column(self, column: int) -> None:
        row = self._current_row()
        if row is None:
            return
        if column == COL_SEARCH:
            row.show_in_search = not row.show_in_search
            self._changed()
        elif column == COL_TAB:
            row.show_on_tab = not row.show_on_tab
            warning = show_on_tab_warning(row.direction, row.show_on_tab)
            self._changed(f"⚠ {warning}" if warning else "")

    def action_toggle_actor(self) -> None:
        if self.tab is None:
            return
        checkbox = self.query_one("#enabled", Checkbox)
        checkbox.value = not checkbox.value  # posts Changed -> _actor_changed

    @on(Checkbox.Changed, "#enabled")
    def _actor_changed(self, event: Checkbox.Changed) -> None:
        tab = self.tab
        if tab is not None:
            tab.enabled = event.value

    def action_pick(self) -> None:
        tab, row = self.tab, self._current_row()
        if tab is None or row is None:
            return
        grid = self.query_one("#fields", GridTable)
        grid.move_cursor(column=COL_CRM)
        choices = tab.choices(row)
        if not choices:
            self._changed(tr(TEXT, "crm_none", type=row.erp.type.value))
            return
        self.app.push_screen(
            PickerDialog(tr(TEXT, "pick_title", label=row.erp.label, type=row.erp.type.value),
                         [(f.key, _crm_choice_label(f)) for f in choices], row.crm_field,
                         none_label=tr(TEXT, "none_choice")),
            lambda picked: self._picked(tab, row, picked))

    def _picked(self, tab: ActorTab, row: FieldRow, picked: Picked | None) -> None:
        if picked is None:
            return
        refusal = set_crm_field(tab, row, picked.key)
        self._changed(tr(TEXT, "crm_refused", reason=refusal) if refusal else "")

    # ---- done / cancel -----------------------------------------------------------------------

    def action_save(self) -> None:
        state = self.state
        if state is None:
            self.dismiss(False)
            return

        def save() -> None:
            try:
                save_mappings(self.ctx, state)
            except ValidationFailed as exc:
                self._show_first_problem(exc)
                raise

        if self.attempt(save):
            self._saved_signature = self._signature()
            self.dismiss(True)

    def _show_first_problem(self, exc: ValidationFailed) -> None:
        if self.state is None:
            return
        for problem in exc.problems:
            for index, tab in enumerate(self.state.tabs):
                if tab.actor_type != problem.actor_type:
                    continue
                for row_index, row in enumerate(tab.rows):
                    if row.erp.key == problem.field_key:
                        if index != self.tab_index:
                            self.query_one("#actors", Tabs).active = f"actor-{index}"
                            self._show_tab(index, row_index)
                        else:
                            self.query_one("#fields", GridTable).move_cursor(row=row_index)
                        return


def _crm_choice_label(field: CrmField) -> str:
    suffix = " (read-only)" if field.read_only else ""
    return f"{field.label} — {field.type.value}{suffix}"
