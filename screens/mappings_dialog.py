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
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Checkbox, Input, Label, Static, Tab, Tabs

from erp_tui.context import AppContext
from erp_tui.crm_catalog import CrmField, entity_label
from erp_tui.errors import ErpTuiError, ValidationFailed
from erp_tui.rules import Direction, DirectionCell, show_on_tab_warning
from erp_tui.screens.css import load_css
from erp_tui.screens.engine_text import engine_text
from erp_tui.screens.i18n import N_, label_language, localize, tr
from erp_tui.screens.widgets.actor_tabs import actor_name
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
from erp_tui.screens.widgets.field_types import type_name
from erp_tui.screens.widgets.grid_table import GridColumn, GridTable
from erp_tui.screens.widgets.keys import KeyBar, localize_bindings
from erp_tui.screens.widgets.read_only import ReadOnlyGate
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
    "mappings.filter": N_("Find field"),
    "crm_read_only": N_("read-only"),
    "legend": N_("* mandatory  [>] chosen  · not possible  ! see status  / find  F1 help"),
    "legend_chosen": N_("chosen: > to the CRM, < to the ERP, <> both ways"),
    "legend_open": N_("a direction that can be chosen"),
    "legend_closed": N_("not possible here; the status line says why"),
    "legend_check": N_("Search / ERP tab: on / off"),
    "legend_warning": N_("a warning; the status line explains it"),
    "filter_placeholder": N_("part of an ERP field name; Enter: to the table, Esc: clear"),
    "filter_count": N_("{shown} of {total}"),
    "filter_none": N_("No ERP field matches '{text}'; Esc clears the filter."),
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
        Binding("slash", "filter", "Find field", show=False, id="mappings.filter"),
    ]

    def __init__(self, ctx: AppContext, connection_id: int, focus_actor: str | None = None,
                 focus_field: str | None = None, *, read_only: bool = False) -> None:
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
        self._view: list[int] = []
        self._haystack: list[str] = []
        name = self.state.connection_name if self.state else str(connection_id)
        self._gate = ReadOnlyGate(self, ctx, connection_id, name, read_only=read_only,
                                  on_editable=self._became_editable)

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
        if tab is None or not self._view:
            return None
        grid = self.query_one("#fields", GridTable)
        return tab.rows[self._view[grid.cursor_row]]

    def _row_cells(self, row: int) -> list[DirectionCell]:
        """The direction cells of the table's `row` (cached by field, not by position)."""
        index = self._view[row]
        cells = self._cells.get(index)
        if cells is None:
            tab = self.tab
            assert tab is not None
            cells = tab.cells(tab.rows[index])
            self._cells[index] = cells
        return cells

    # ---- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self._title(), id="title", markup=False)
            if self.state is None or not self.state.tabs:
                yield Static(self.load_error or tr(TEXT, "no_actors"), id="status",
                             classes="error", markup=False)
            else:
                yield Tabs(*[Tab(Content(actor_name(t.actor_type, t.label)), id=f"actor-{i}")
                             for i, t in enumerate(self.state.tabs)],
                           active=f"actor-{self.tab_index}", id="actors")
                yield MarkedCheckbox("", id="enabled", compact=True)
                columns = [
                    GridColumn("erp", tr(TEXT, "col_erp"), 26, flex=True),
                    GridColumn("crm", tr(TEXT, "col_crm"), 20, flex=True),
                    GridColumn("to_crm", ">", 4, align="center"),
                    GridColumn("to_erp", "<", 4, align="center"),
                    GridColumn("both", "<>", 4, align="center"),
                    _fitted_column("search", tr(TEXT, "col_search"), 6),
                    _fitted_column("tab", tr(TEXT, "col_tab"), 7),
                ]
                yield GridTable(columns, self._cell, self._row_role, id="fields")
                with Horizontal(id="find"):
                    yield Static(tr(TEXT, "legend"), id="legend", markup=False)
                    yield Input(placeholder=tr(TEXT, "filter_placeholder"), id="filter",
                                compact=True)
                    yield Label("", id="filter-count", markup=False)
                yield Static("", id="status", markup=False)
            yield done_cancel_buttons(self.state is not None)
        yield KeyBar()

    def _title(self) -> str:
        name = self.state.connection_name if self.state else str(self.connection_id)
        return self._gate.title(tr(TEXT, "title", name=name))

    def on_mount(self) -> None:
        if self.state is not None:
            self._gate.show(self._title(), "#done")
        if self.state is None or not self.state.tabs:
            return
        self._show_filter(False)
        grid = self.query_one("#fields", GridTable)
        localize_bindings(grid, TEXT)
        self._show_tab(self.tab_index, self._initial_row)
        grid.focus()

    # ---- read-only view ----------------------------------------------------------------------

    @property
    def read_only_view(self) -> bool:
        return self._gate.read_only

    def _became_editable(self) -> None:
        """The connection was deactivated: reload (its version changed) and allow changes."""
        try:
            self.state = load_mappings(self.ctx, self.connection_id)
        except ErpTuiError as exc:
            self._message = error_message(exc)
            self._update_status()
            return
        self._saved_signature = self._signature()
        self._gate.show(self._title(), "#done")
        grid = self.query_one("#fields", GridTable)
        self._show_tab(self.tab_index, self._view[grid.cursor_row] if self._view else 0)

    # ---- filter ------------------------------------------------------------------------------

    def action_filter(self) -> None:
        if self.tab is None:
            return
        self._show_filter(True)
        self.query_one("#filter", Input).focus()

    def _show_filter(self, shown: bool) -> None:
        self.query_one("#legend", Static).display = not shown
        self.query_one("#filter", Input).display = shown
        self.query_one("#filter-count", Label).display = shown

    @property
    def filtering(self) -> bool:
        """Is the field filter open?"""
        return self.tab is not None and self.query_one("#filter", Input).display

    def _apply_filter(self, keep: int | None = None) -> None:
        """Show the rows whose ERP field name or key holds the filter text; the cursor stays on
        the field `keep` (an index into the tab's rows) when it is still shown."""
        tab = self.tab
        assert tab is not None
        text = self.query_one("#filter", Input).value if self.filtering else ""
        needle = text.strip().lower()
        total = len(tab.rows)
        self._view = ([i for i, hay in enumerate(self._haystack) if needle in hay] if needle
                      else list(range(total)))
        row = self._view.index(keep) if keep is not None and keep in self._view else 0
        self.query_one("#fields", GridTable).set_data(len(self._view), cursor_row=row)
        self.query_one("#filter-count", Label).update(
            tr(TEXT, "filter_count", shown=len(self._view), total=total))

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._message = ""
        self._apply_filter(self._view[self.query_one("#fields", GridTable).cursor_row]
                           if self._view else None)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.query_one("#fields", GridTable).focus()

    def _clear_filter(self) -> None:
        grid = self.query_one("#fields", GridTable)
        keep = self._view[grid.cursor_row] if self._view else None
        filter_input = self.query_one("#filter", Input)
        with filter_input.prevent(Input.Changed):
            filter_input.value = ""
        self._show_filter(False)
        self._message = ""
        self._apply_filter(keep)
        grid.focus()

    def action_cancel(self) -> None:
        """Escape clears an open field filter first; then it closes the dialog."""
        if self.filtering:
            self._clear_filter()
            return
        super().action_cancel()

    def _show_tab(self, index: int, cursor_row: int = 0) -> None:
        assert self.state is not None
        self.tab_index = index
        tab = self.state.tabs[index]
        self._cells = {}
        self._crm_labels = {f.key: f.label_in(label_language()) for f in tab.crm_fields}
        self._haystack = [f"{row.erp.label}\n{row.erp.key}".lower() for row in tab.rows]
        checkbox = self.query_one("#enabled", Checkbox)
        checkbox.label = Content(tr(TEXT, "actor_toggle",
                                    actor=actor_name(tab.actor_type, tab.label),
                                    entity=entity_label(tab.crm_entity, label_language())))
        with checkbox.prevent(Checkbox.Changed):
            checkbox.value = tab.enabled
        self._message = ""
        self._apply_filter(cursor_row)
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
        field_row = tab.rows[self._view[row]]
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
        return "dim" if tab.rows[self._view[row]].missing else ""

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
        if self.state.active and not self._gate.read_only:  # read-only: the title says it
            text = f"{tr(TEXT, 'active', name=self.state.connection_name)}\n{text}"
            kind = kind or "warning"
        status.update(text)
        if kind:
            status.set_class(True, kind)

    def _describe_cursor(self) -> tuple[str, str]:
        tab, row = self.tab, self._current_row()
        if tab is not None and row is None and self.filtering:
            return tr(TEXT, "filter_none", text=self.query_one("#filter", Input).value), "warning"
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
                      type=type_name(erp.type), extra=extra)
            if row.description:
                text += f"\n{localize(row.description)}"
            return text, "warning" if erp.missing else ""
        if column == COL_CRM:
            choices = tab.choices(row)
            if not choices:
                return tr(TEXT, "crm_none", type=type_name(erp.type)), "warning"
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
        if warning:  # on the same line: the status has two and the warning may need both
            return f"{text} ⚠ {localize(warning)}", "warning"
        return text, ""

    def _changed(self, message: str = "") -> None:
        """A cell of the cursor row changed: repaint it and say what happened."""
        grid = self.query_one("#fields", GridTable)
        if self._view:
            self._cells.pop(self._view[grid.cursor_row], None)
        grid.refresh()
        self._message = message
        self._update_status()

    # ---- editing -----------------------------------------------------------------------------

    @on(GridTable.Activated, "#fields")
    def _activated(self, event: GridTable.Activated) -> None:
        column = event.column
        if column != COL_ERP and not self._gate.allow():
            return
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
            self._changed(tr(TEXT, "dir_disabled", reason=localize(refusal)))
            return
        warning = show_on_tab_warning(row.direction, row.show_on_tab) if row else ""
        self._changed(f"⚠ {localize(warning)}" if warning else "")

    def action_direction(self, value: str) -> None:
        tab, row = self.tab, self._current_row()
        if tab is None or row is None or self.state is None or not self._gate.allow():
            return
        direction = Direction(value) if value else None
        refusal = set_direction(tab, row, direction)
        self._after_direction(refusal)

    def action_toggle_column(self, column: int) -> None:
        row = self._current_row()
        if row is None or not self._gate.allow():
            return
        if column == COL_SEARCH:
            row.show_in_search = not row.show_in_search
            self._changed()
        elif column == COL_TAB:
            row.show_on_tab = not row.show_on_tab
            warning = show_on_tab_warning(row.direction, row.show_on_tab)
            self._changed(f"⚠ {localize(warning)}" if warning else "")

    def action_toggle_actor(self) -> None:
        if self.tab is None or not self._gate.allow():
            return
        checkbox = self.query_one("#enabled", Checkbox)
        checkbox.value = not checkbox.value  # posts Changed -> _actor_changed

    @on(Checkbox.Changed, "#enabled")
    def _actor_changed(self, event: Checkbox.Changed) -> None:
        tab = self.tab
        if tab is None:
            return
        if not self._gate.allow():
            with event.checkbox.prevent(Checkbox.Changed):
                event.checkbox.value = tab.enabled
            return
        tab.enabled = event.value

    def action_pick(self) -> None:
        tab, row = self.tab, self._current_row()
        if tab is None or row is None or not self._gate.allow():
            return
        grid = self.query_one("#fields", GridTable)
        grid.move_cursor(column=COL_CRM)
        choices = tab.choices(row)
        if not choices:
            self._changed(tr(TEXT, "crm_none", type=type_name(row.erp.type)))
            return
        self.app.push_screen(
            PickerDialog(tr(TEXT, "pick_title", label=row.erp.label, type=type_name(row.erp.type)),
                         [(f.key, _crm_choice_label(f)) for f in choices], row.crm_field,
                         none_label=tr(TEXT, "none_choice")),
            lambda picked: self._picked(tab, row, picked))

    def _picked(self, tab: ActorTab, row: FieldRow, picked: Picked | None) -> None:
        if picked is None:
            return
        refusal = set_crm_field(tab, row, picked.key)
        self._changed(tr(TEXT, "crm_refused", reason=localize(refusal)) if refusal else "")

    # ---- done / cancel -----------------------------------------------------------------------

    def action_save(self) -> None:
        state = self.state
        if state is None:
            self.dismiss(False)
            return
        if self._gate.read_only:  # nothing can have changed: Done closes the view
            self.dismiss(self.cancel_result())
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
                        if self.filtering:
                            self._clear_filter()
                        if index != self.tab_index:
                            self.query_one("#actors", Tabs).active = f"actor-{index}"
                            self._show_tab(index, row_index)
                        else:
                            self.query_one("#fields", GridTable).move_cursor(row=row_index)
                        return

    # ---- help --------------------------------------------------------------------------------

    def help_legend(self) -> list[tuple[str, str]]:
        """(mark, meaning) of every mark in the table, for the help (F1)."""
        return [
            ("*", tr(TEXT, "mandatory")),
            ("✗", tr(TEXT, "missing")),
            ("[>] [<] [<>]", tr(TEXT, "legend_chosen")),
            (">  <  <>", tr(TEXT, "legend_open")),
            ("·  ··", tr(TEXT, "legend_closed")),
            ("[x] [ ]", tr(TEXT, "legend_check")),
            ("!", tr(TEXT, "legend_warning")),
        ]


def _fitted_column(key: str, label: str, width: int) -> GridColumn:
    """A centred column at least as wide as its header in the current language."""
    return GridColumn(key, label, max(width, len(label)), align="center")


def _crm_choice_label(field: CrmField) -> str:
    suffix = f" ({tr(TEXT, 'crm_read_only')})" if field.read_only else ""
    return f"{field.label_in(label_language())} — {type_name(field.type)}{suffix}"
