"""Search in ERP (Zoeken in ERP): choose a connection and actor type, write criteria rows
(a searchable field, an operator fitting its type, the value or values), run the search in a
worker and act on a result: link it to the CRM record the dialog was opened from, open the CRM
record it is linked to, or import it as a new CRM record (its parent first).

The result columns are the fields marked "show in search", in rank order. Reading the
searchable fields, the search itself, linking and importing reach the ERP: all run in thread
workers, so keys never wait on them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from erp_tui.contract import FieldType, SearchOperator
from erp_tui.crm_catalog import actor_label, entity_label
from erp_tui.errors import ErpTuiError, ValidationFailed
from erp_tui.screens.css import load_css
from erp_tui.screens.engine_text import engine_text
from erp_tui.screens.i18n import N_, label_language, localize, tr
from erp_tui.screens.log_text import actor_text, error_text
from erp_tui.screens.widgets.busy import BusyLine
from erp_tui.screens.widgets.grid_table import GridColumn, GridTable
from erp_tui.screens.widgets.keys import KeyBar, localize_bindings
from erp_tui.screens.widgets.modal import Dialog
from erp_tui.screens.widgets.relabel import relabel

if TYPE_CHECKING:
    from erp_tui.context import AppContext
    from erp_tui.services.erp_search import Criterion, SearchField, SearchHit, SearchResults

TEXT = {
    "title": N_("Search in ERP"),
    "title_for": N_("Search in ERP — for {name}"),
    "connection": N_("Connection"),
    "actor": N_("Actor type"),
    "criteria": N_("Criteria (all must match; F3 adds a row, F4 removes it):"),
    "no_targets": N_("No connection has an enabled actor type; enable one in Mappings first."),
    "reading_fields": N_("Reading the searchable fields of {actor}…"),
    "no_fields": N_("The ERP searches {actor} on no field; F5 lists every {actor}."),
    "value": N_("value"),
    "value2": N_("and"),
    "any": N_("(choose)"),
    "yes": N_("yes"),
    "no": N_("no"),
    "searching": N_("Searching {actor} in '{connection}'…"),
    "linking": N_("Linking ERP {actor} '{erp_key}'…"),
    "importing": N_("Importing ERP {actor} '{erp_key}'…"),
    "hits": N_("{count} found."),
    "hits_more": N_("{count} shown; there are more: narrow the criteria."),
    "no_hits": N_("Nothing found."),
    "ready": N_("F5 searches (no criteria: every {actor})."),
    "col_key": N_("ERP key"),
    "col_crm": N_("CRM"),
    "hit_linked": N_("ERP key {erp_key} · linked to CRM {entity} {id}: o (or Enter) opens it."),
    "hit_free": N_("ERP key {erp_key} · not linked: {actions}."),
    "hit_link": N_("l links it to {name}"),
    "hit_import": N_("i imports it as a new CRM record"),
    "not_linked": N_("This ERP record is not linked to a CRM record."),
    "already_linked": N_("This ERP record is linked already; o opens its CRM record."),
    "refused": N_("✗ {message}"),
    "unexpected": N_("✗ Unexpected error: {kind}: {message}"),
    "Close": N_("Close"),
    "Search": N_("Search"),
    "Add criterion": N_("Add criterion"),
    "Remove criterion": N_("Remove criterion"),
    "Link": N_("Link"),
    "Open": N_("Open"),
    "Import": N_("Import"),
    "discard": N_("Discard the criteria you typed and close?"),
}

MAX_CRITERIA = 8


@dataclass(frozen=True)
class SearchOutcome:
    """What the user did with a result: `action` is linked (to the record the dialog was
    opened for), open (its linked CRM record) or imported (a new CRM record)."""

    action: str
    entity: str
    record_id: int
    connection: str
    actor_type: str
    erp_key: str


class CriterionRow(Horizontal):
    """One criteria row: field, operator and value(s)."""

    DEFAULT_CSS = """
    CriterionRow { height: 1; }
    CriterionRow .field { width: 22; }
    CriterionRow .operator { width: 22; }
    CriterionRow .value, CriterionRow .value2, CriterionRow .choice { width: 1fr; }
    """

    def __init__(self, fields: list[SearchField], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.fields = fields
        self.field = fields[0]

    def compose(self) -> ComposeResult:
        yield Select([(Content(f.label), f.key) for f in self.fields], allow_blank=False,
                     value=self.field.key, compact=True, classes="field")
        yield Select(self._operators(self.field), allow_blank=False, compact=True,
                     classes="operator")
        yield Input(placeholder=tr(TEXT, "value"), compact=True, classes="value")
        yield Input(placeholder=tr(TEXT, "value2"), compact=True, classes="value2")
        yield Select([], prompt=tr(TEXT, "any"), compact=True, classes="choice")

    def on_mount(self) -> None:
        self._shape()

    @staticmethod
    def _operators(field: SearchField) -> list[tuple[Content, str]]:
        from erp_tui.services.erp_search import operator_name, operators_for

        return [(Content(localize(operator_name(op))), op.value)
                for op in operators_for(field.type)]

    @property
    def operator(self) -> SearchOperator:
        value = self.query_one(".operator", Select).value
        return SearchOperator(value) if isinstance(value, str) else SearchOperator.EQUALS

    def _uses_choice(self) -> bool:
        return self.field.type in (FieldType.LIST, FieldType.CHECKBOX) and bool(
            self._choices())

    def _choices(self) -> list[tuple[str, str]]:
        if self.field.type is FieldType.CHECKBOX:
            return [("1", tr(TEXT, "yes")), ("0", tr(TEXT, "no"))]
        return list(self.field.choices)

    def _shape(self) -> None:
        """Show the value widgets that fit the field and operator."""
        choice = self.query_one(".choice", Select)
        uses_choice = self._uses_choice()
        choice.display = uses_choice
        self.query_one(".value", Input).display = not uses_choice
        self.query_one(".value2", Input).display = (not uses_choice
                                                    and self.operator is SearchOperator.BETWEEN)

    @on(Select.Changed, ".field")
    def _field_changed(self, event: Select.Changed) -> None:
        event.stop()
        key = event.value
        found = next((f for f in self.fields if f.key == key), None)
        if found is None or found == self.field:
            return
        self.field = found
        self.query_one(".operator", Select).set_options(self._operators(found))
        choice = self.query_one(".choice", Select)
        choice.set_options([(Content(f"{text} ({key})"), key) for key, text in self._choices()])
        self._shape()

    @on(Select.Changed, ".operator")
    def _operator_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._shape()

    @on(Select.Changed, ".choice")
    def _choice_changed(self, event: Select.Changed) -> None:
        event.stop()

    def criterion(self) -> Criterion:
        """The row as a criterion (values as typed; the engine checks them)."""
        from erp_tui.services.erp_search import Criterion, value_count

        op = self.operator
        if self._uses_choice():
            value = self.query_one(".choice", Select).value
            values: tuple[str, ...] = (value,) if isinstance(value, str) else ("",)
        elif op is SearchOperator.BETWEEN:
            values = (self.query_one(".value", Input).value,
                      self.query_one(".value2", Input).value)
        elif value_count(op) is None:
            values = tuple(v.strip() for v in self.query_one(".value", Input).value.split(",")
                           if v.strip())
        else:
            values = (self.query_one(".value", Input).value,)
        return Criterion(self.field.key, op, values)

    def set_value(self, field_key: str, operator: SearchOperator, *values: str) -> None:
        """Fill the row (for tests and for starting a search from a record)."""
        self.query_one(".field", Select).value = field_key
        found = next((f for f in self.fields if f.key == field_key), None)
        if found is not None and found != self.field:
            self.field = found
            self.query_one(".operator", Select).set_options(self._operators(found))
            self.query_one(".choice", Select).set_options(
                [(Content(f"{text} ({key})"), key) for key, text in self._choices()])
        self.query_one(".operator", Select).value = operator.value
        self._shape()
        if self._uses_choice():
            self.query_one(".choice", Select).value = values[0] if values else Select.NULL
        else:
            self.query_one(".value", Input).value = values[0] if values else ""
            self.query_one(".value2", Input).value = values[1] if len(values) > 1 else ""


class ErpSearchDialog(Dialog[SearchOutcome | None]):
    """Zoeken in ERP: answers what was done with a result, or None when closed."""

    CSS = load_css("erp_search_dialog.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="search.close"),
        Binding("f10", "close", "Close", show=False, id="search.close_f10"),
        Binding("f5", "search", "Search", id="search.search"),
        Binding("f3", "add_row", "Add criterion", id="search.add"),
        Binding("f4", "remove_row", "Remove criterion", id="search.remove"),
        Binding("l", "link", "Link", id="search.link"),
        Binding("o", "open", "Open", id="search.open"),
        Binding("i", "import", "Import", id="search.import"),
    ]

    class FieldsRead(Message):
        """The searchable fields of a target were read (or `error` says why not)."""

        def __init__(self, target: tuple[str, str], fields: list[Any], error: str) -> None:
            super().__init__()
            self.target = target
            self.fields = fields
            self.error = error

    class Found(Message):
        """A search ended with `results`, or `error` (and the `problems` of the criteria)."""

        def __init__(self, results: Any, error: str, problems: list[str]) -> None:
            super().__init__()
            self.results = results
            self.error = error
            self.problems = problems

    class ActionDone(Message):
        """A link or import ended: `outcome`, or `error` (one sentence)."""

        def __init__(self, outcome: SearchOutcome | None, error: str) -> None:
            super().__init__()
            self.outcome = outcome
            self.error = error

    def __init__(self, ctx: AppContext, entity: str | None = None,
                 record_id: int | None = None, record_title: str = "") -> None:
        super().__init__()
        localize_bindings(self, TEXT)
        self.ctx = ctx
        self.entity = entity
        self.record_id = record_id
        self.record_title = record_title
        self.targets: list[tuple[str, list[tuple[str, str]]]] = []
        self.error = ""
        self.fields: list[SearchField] = []
        self.results: SearchResults | None = None
        self.busy = False
        self._rows = 0
        self._searched: list[Criterion] = []
        self._preferred: tuple[str, str] | None = None
        from erp_tui.services.erp_search import actor_types_for, search_targets

        try:
            self.targets = search_targets(ctx)
            if entity is not None:
                choices = actor_types_for(ctx, entity)
                if choices:
                    self._preferred = (choices[0][0], choices[0][1])
        except ErpTuiError as exc:
            self.error = error_text(exc)
        self.connection = self._preferred[0] if self._preferred else (
            self.targets[0][0] if self.targets else "")
        self.actor_type = self._preferred[1] if self._preferred else (
            self.targets[0][1][0][0] if self.targets else "")

    # ---- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        title = (tr(TEXT, "title_for", name=self.record_title) if self.record_id is not None
                 else tr(TEXT, "title"))
        with Vertical(id="dialog"):
            yield Label(title, id="title", markup=False)
            with Horizontal(id="target"):
                yield Label(tr(TEXT, "connection"), classes="caption")
                yield Select([(Content(name), name) for name, _ in self.targets],
                             allow_blank=not self.targets,
                             value=self.connection if self.targets else Select.NULL,
                             compact=True, id="connection")
                yield Label(tr(TEXT, "actor"), classes="caption")
                yield Select(self._actor_options(), allow_blank=not self.targets,
                             value=self.actor_type if self.targets else Select.NULL,
                             compact=True, id="actor")
            yield Static(tr(TEXT, "criteria"), id="criteria-head")
            yield VerticalScroll(id="criteria")
            yield BusyLine(id="busy")
            yield Static(self.error or ("" if self.targets else tr(TEXT, "no_targets")),
                         id="status", markup=False)
            yield Vertical(id="results-box")
            yield Static("", id="detail", markup=False)
        yield KeyBar()

    def _actor_options(self) -> list[tuple[Content, str]]:
        for name, actors in self.targets:
            if name == self.connection:
                return [(Content(text), key) for key, text in _actor_choices(actors)]
        return []

    async def on_mount(self) -> None:
        if self.targets:
            await self._read_fields()

    # ---- target and searchable fields ----------------------------------------------------

    @on(Select.Changed, "#connection")
    async def _connection_changed(self, event: Select.Changed) -> None:
        if not isinstance(event.value, str) or event.value == self.connection:
            return
        self.connection = event.value
        options = self._actor_options()
        actor = self.query_one("#actor", Select)
        actor.set_options(options)
        if options:
            self.actor_type = options[0][1]
            actor.value = self.actor_type
        await self._read_fields()

    @on(Select.Changed, "#actor")
    async def _actor_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.actor_type:
            self.actor_type = event.value
            await self._read_fields()

    async def _read_fields(self) -> None:
        self.fields = []
        self.results = None
        await self.query_one("#criteria", VerticalScroll).remove_children()
        await self.query_one("#results-box", Vertical).remove_children()
        self._rows = 0
        self._paint_detail()
        self._start_busy(tr(TEXT, "reading_fields", actor=actor_text(self.actor_type)))
        self._fields_worker((self.connection, self.actor_type))

    @work(thread=True, exclusive=True, group="search-fields", exit_on_error=False)
    def _fields_worker(self, target: tuple[str, str]) -> None:
        from erp_tui.services.erp_search import searchable_fields

        fields: list[Any] = []
        error = ""
        try:
            fields = searchable_fields(self.ctx, *target)
        except ErpTuiError as exc:
            error = tr(TEXT, "refused", message=error_text(exc))
        except Exception as exc:  # never a traceback in the UI
            error = tr(TEXT, "unexpected", kind=type(exc).__name__, message=error_text(exc))
        self.post_message(self.FieldsRead(target, fields, error))

    @on(FieldsRead)
    async def _fields_read(self, event: FieldsRead) -> None:
        if event.target != (self.connection, self.actor_type) or self.closing:
            return
        self._stop_busy()
        self.fields = event.fields
        if event.error:
            self._status(event.error)
            return
        if self.fields:
            await self.action_add_row()
            self._status(tr(TEXT, "ready", actor=actor_text(self.actor_type)))
        else:
            self._status(tr(TEXT, "no_fields", actor=actor_text(self.actor_type)))

    # ---- criteria rows -------------------------------------------------------------------

    def rows(self) -> list[CriterionRow]:
        """The criteria rows, top to bottom."""
        return list(self.query(CriterionRow))

    async def action_add_row(self) -> None:
        if not self.fields or len(self.rows()) >= MAX_CRITERIA:
            return
        self._rows += 1
        row = CriterionRow(self.fields, id=f"criterion-{self._rows}")
        await self.query_one("#criteria", VerticalScroll).mount(row)
        for select in row.query(".field").results(Select):
            select.focus()

    def action_remove_row(self) -> None:
        rows = self.rows()
        if not rows:
            return
        focused = self.focused
        target = next((row for row in rows if focused is not None
                       and focused in row.query("*")), rows[-1])
        target.remove()

    # ---- search --------------------------------------------------------------------------

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_search()

    def action_search(self) -> None:
        if self.busy or not self.targets:
            return
        criteria = [row.criterion() for row in self.rows()]
        self._searched = criteria
        self._start_busy(tr(TEXT, "searching", actor=actor_text(self.actor_type),
                            connection=self.connection))
        self._search_worker(self.connection, self.actor_type, criteria)

    @work(thread=True, exclusive=True, group="search-run", exit_on_error=False)
    def _search_worker(self, connection: str, actor_type: str,
                       criteria: list[Criterion]) -> None:
        from erp_tui.services.erp_search import search

        results, error, problems = None, "", []
        try:
            results = search(self.ctx, connection, actor_type, criteria)
        except ValidationFailed as exc:
            error = tr(TEXT, "refused", message=engine_text(exc.summary))
            problems = [engine_text(p.message) for p in exc.problems]
        except ErpTuiError as exc:
            error = tr(TEXT, "refused", message=error_text(exc))
        except Exception as exc:  # never a traceback in the UI
            error = tr(TEXT, "unexpected", kind=type(exc).__name__, message=error_text(exc))
        self.post_message(self.Found(results, error, problems))

    @on(Found)
    async def _found(self, event: Found) -> None:
        if self.closing:
            return
        self._stop_busy()
        if event.error:
            self._status("\n".join([event.error, *(f"  ✗ {p}" for p in event.problems)]))
            return
        self.results = event.results
        await self._show_results()

    async def _show_results(self) -> None:
        results = self.results
        box = self.query_one("#results-box", Vertical)
        await box.remove_children()
        if results is None:
            return
        columns = [GridColumn("key", tr(TEXT, "col_key"), 11)]
        columns += [GridColumn(f"c{i}", label, 12, flex=True)
                    for i, (_key, label) in enumerate(results.columns)]
        columns.append(GridColumn("crm", tr(TEXT, "col_crm"), 4, align="center"))
        grid = GridTable(columns, self._cell, cursor_type="row", row_count=len(results.hits),
                         id="results")
        relabel(grid, "activate", tr(TEXT, "Open"))
        await box.mount(grid)
        count = f"{len(results.hits):,}"
        self._status(tr(TEXT, "hits_more" if results.more else "hits", count=count)
                     if results.hits else tr(TEXT, "no_hits"))
        if results.hits:
            self.call_after_refresh(self._focus_results)
        self._paint_detail()

    def _focus_results(self) -> None:
        for grid in self.query("#results").results(GridTable):
            grid.focus()
        self.refresh_bindings()

    def _cell(self, row: int, column: int) -> tuple[str, str]:
        if self.results is None or row >= len(self.results.hits):
            return "", ""
        hit = self.results.hits[row]
        if column == 0:
            return hit.erp_key, ""
        if column <= len(hit.values):
            return hit.values[column - 1], ""
        return ("●", "selected") if hit.linked else ("", "")

    def current(self) -> SearchHit | None:
        """The result under the cursor."""
        if self.results is None or not self.results.hits:
            return None
        grids = list(self.query("#results").results(GridTable))
        row = grids[0].cursor_row if grids else 0
        return self.results.hits[min(row, len(self.results.hits) - 1)]

    @on(GridTable.CursorMoved, "#results")
    def _moved(self) -> None:
        self._paint_detail()

    def _paint_detail(self) -> None:
        hit = self.current()
        detail = self.query_one("#detail", Static)
        if hit is None:
            detail.update("")
        elif hit.linked is not None:
            detail.update(tr(TEXT, "hit_linked", erp_key=hit.erp_key,
                             entity=entity_label(hit.linked[0], label_language()).lower(),
                             id=hit.linked[1]))
        else:
            actions = [tr(TEXT, "hit_import")]
            if self.record_id is not None:
                actions.insert(0, tr(TEXT, "hit_link", name=self.record_title))
            detail.update(tr(TEXT, "hit_free", erp_key=hit.erp_key, actions=", ".join(actions)))
        self.refresh_bindings()

    # ---- acting on a result --------------------------------------------------------------

    def _on_results(self) -> bool:
        focused = self.focused
        return isinstance(focused, GridTable) and focused.id == "results"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not super().check_action(action, parameters):
            return False
        if action in ("link", "open", "import"):
            hit = self.current()
            if not self._on_results() or hit is None or self.busy:
                return False
            if action == "open":
                return hit.linked is not None or None
            if action == "link" and self.record_id is None:
                return False
            return hit.linked is None or None
        if action == "search":
            return (bool(self.targets) and not self.busy) or None
        if action == "add_row":
            return (bool(self.fields) and len(self.rows()) < MAX_CRITERIA) or None
        if action == "remove_row":
            return bool(self.rows()) or None
        return True

    @on(GridTable.Activated, "#results")
    def _activated(self) -> None:
        hit = self.current()
        if hit is None:
            return
        if hit.linked is not None:
            self.action_open()
        else:
            self._status(tr(TEXT, "not_linked"))

    def action_open(self) -> None:
        hit = self.current()
        if hit is None or hit.linked is None:
            return
        self.dismiss(SearchOutcome("open", hit.linked[0], hit.linked[1], self.connection,
                                   self.actor_type, hit.erp_key))

    def action_link(self) -> None:
        hit = self.current()
        if hit is None or self.record_id is None or self.busy:
            return
        if hit.linked is not None:
            self._status(tr(TEXT, "already_linked"))
            return
        self._start_busy(tr(TEXT, "linking", actor=actor_text(self.actor_type),
                            erp_key=hit.erp_key))
        self._act_worker("link", self.connection, self.actor_type, hit.erp_key)

    def action_import(self) -> None:
        hit = self.current()
        if hit is None or self.busy:
            return
        if hit.linked is not None:
            self._status(tr(TEXT, "already_linked"))
            return
        self._start_busy(tr(TEXT, "importing", actor=actor_text(self.actor_type),
                            erp_key=hit.erp_key))
        self._act_worker("import", self.connection, self.actor_type, hit.erp_key)

    @work(thread=True, exclusive=True, group="search-act", exit_on_error=False)
    def _act_worker(self, action: str, connection: str, actor_type: str, erp_key: str) -> None:
        outcome, error = None, ""
        try:
            if action == "link":
                from erp_tui.runner.linking import link_record

                assert self.entity is not None and self.record_id is not None
                link_record(self.ctx, connection, actor_type, erp_key, self.record_id)
                outcome = SearchOutcome("linked", self.entity, self.record_id, connection,
                                        actor_type, erp_key)
            else:
                from erp_tui.services.erp_search import import_actor

                entity, record_id = import_actor(self.ctx, connection, actor_type, erp_key)
                outcome = SearchOutcome("imported", entity, record_id, connection, actor_type,
                                        erp_key)
        except ErpTuiError as exc:
            error = tr(TEXT, "refused", message=_sentences(exc))
        except Exception as exc:  # never a traceback in the UI
            error = tr(TEXT, "unexpected", kind=type(exc).__name__, message=error_text(exc))
        self.post_message(self.ActionDone(outcome, error))

    @on(ActionDone)
    def _action_done(self, event: ActionDone) -> None:
        self._stop_busy()
        if event.outcome is not None:
            self.dismiss(event.outcome)
        else:
            self._status(event.error)

    # ---- helpers -------------------------------------------------------------------------

    def _start_busy(self, text: str) -> None:
        self.busy = True
        self.query_one(BusyLine).start(text)
        self.refresh_bindings()

    def _stop_busy(self) -> None:
        self.busy = False
        self.query_one(BusyLine).stop()
        self.refresh_bindings()

    def _status(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    def status_text(self) -> str:
        """The status line as shown (for tests)."""
        return str(self.query_one("#status", Static).render())

    def column_labels(self) -> list[str]:
        """The result columns' labels, left to right (for tests)."""
        return [label for _key, label in self.results.columns] if self.results else []

    @property
    def dirty(self) -> bool:
        """Are there typed criteria that no search has used yet?"""
        if not self.is_mounted:
            return False
        criteria = [row.criterion() for row in self.rows()]
        typed = any(value.strip() for criterion in criteria for value in criterion.values)
        return typed and criteria != self._searched

    def action_close(self) -> None:
        """Close; when typed criteria would be lost, ask first."""
        if not self.dirty:
            self.dismiss(None)
            return
        from erp_tui.screens.widgets.confirm import ConfirmScreen

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen("", tr(TEXT, "discard"), default=False), answered)


def _actor_choices(actors: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(key, text) of the actor types offered: each by its name in the UI's language; the key
    (a code) follows a name only when two of them read the same."""
    names = [(key, actor_label(key, label_language(), fallback=label)) for key, label in actors]
    counts = Counter(name for _key, name in names)
    return [(key, name if counts[name] == 1 else f"{name} ({key})") for key, name in names]


def _sentences(error: ErpTuiError) -> str:
    if isinstance(error, ValidationFailed):
        return "\n".join([engine_text(error.summary),
                          *(f"- {engine_text(p.message)}" for p in error.problems)])
    return error_text(error)
