"""The record view: one CRM record's fields, edited by type, and its ERP tab.

CRM tab: every field of the record (standard and user-defined) as an input of its type — a
choice of the CRM list for list fields, a checkbox, text for dates and numbers (checked as typed
by the engine's own parser); read-only fields are shown and locked. Save (F2 / Ctrl+S) hands the
changed values to `records.edit_record` with the stamp the record was read with: a problem is
shown at its field, a save by someone else meanwhile offers to reload.

ERP tab: per link the connection, actor type, ERP key, state and last sync (from the store, at
once), the "show on ERP tab" fields in rank order with their live ERP values (read through the
connector in a worker: "Loading…" first, the message on a time-out or failure), both values where
a synced field differs, the open record errors (retry with r) and the field-change history.
Search in ERP, Create in ERP and Disconnect start here, and Re-read from ERP (e): the link's
ERP actor read again and applied in a worker, also when the incremental sync skipped its edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from erp_tui.contract import FieldType
from erp_tui.crm_catalog import CrmField, entity_label
from erp_tui.errors import ErpTuiError, StaleEditError, ValidationFailed
from erp_tui.screens.css import load_css
from erp_tui.screens.engine_text import engine_text
from erp_tui.screens.i18n import N_, label_language, localize, msgn, tr
from erp_tui.screens.log_text import actor_text, error_text, stored_text
from erp_tui.screens.widgets.busy import BusyLine
from erp_tui.screens.widgets.dialog_kit import MarkedCheckbox, Picked, PickerDialog
from erp_tui.screens.widgets.keys import KeyBar, localize_bindings
from erp_tui.screens.widgets.modal import DismissOnce
from erp_tui.sync_marks import ChangeKind, LinkState

if TYPE_CHECKING:
    from erp_tui.context import AppContext
    from erp_tui.services.erp_tab import TabLink, TabValues
    from erp_tui.services.records import FieldValue, RecordDetail

TEXT = {
    "title": N_("{entity} › {name}"),
    "tab_crm": N_("CRM"),
    "tab_erp": N_("ERP"),
    "parent": N_("{entity}: {name}  (F6 opens it)"),
    "read_only": N_("read-only"),
    "hint.date": N_("YYYY-MM-DD"),
    "hint.datetime": N_("YYYY-MM-DD HH:MM"),
    "hint.integer": N_("a whole number"),
    "hint.double": N_("a number, e.g. 12.5"),
    "none": N_("(none)"),
    "yes": N_("yes"),
    "no": N_("no"),
    "nothing_changed": N_("Nothing to save: no field was changed."),
    "saved": N_("✓ Saved. The next sync pushes the change to the linked ERPs."),
    "stale_title": N_("Changed by someone else"),
    "reload": N_("Reload"),
    "keep": N_("Keep editing"),
    "kept": N_("Your changes are still in the form; nothing was saved."),
    "reloaded": N_("Read again; your unsaved changes were dropped."),
    "discard_title": N_("Discard changes?"),
    "discard_question": N_("The record has unsaved changes. Discard them and go back?"),
    "discard_yes": N_("Discard"),
    "discard_no": N_("Keep editing"),
    "gone": N_("✗ {message}"),
    "error": N_("✗ {message}"),
    "unexpected": N_("✗ Unexpected error: {kind}: {message}"),
    "no_links": N_(
        "This record is not linked to an ERP. F7 searches an ERP for it (to link it), F8 "
        "creates it in an ERP."),
    "link_head": N_("{mark} {connection} · {actor} {erp_key} · {state}"),
    "last_sync": N_("Last sync: {when}"),
    "never": N_("never"),
    "state_linked": N_("linked"),
    "state_deleted_in_erp": N_("deleted in ERP"),
    "state_error": N_("open error"),
    "loading": N_("⏳ Loading…"),
    "no_fields": N_("No fields are marked 'show on ERP tab' for {actor}."),
    "values_failed": N_("✗ {message}"),
    "crm_value": N_("≠ CRM: {value}"),
    "empty_value": N_("∅"),
    "errors": N_("Open errors ({count}) — r retries them:"),
    "history": N_("Field changes ({count}):"),
    "no_history": N_("No field changes logged yet."),
    "record_event": N_("record"),
    "disconnect_title": N_("Disconnect '{connection}'?"),
    "disconnect_question": N_(
        "This removes the link between this record and ERP {actor} '{erp_key}'. The data "
        "stays on both sides; they no longer sync."),
    "disconnect_yes": N_("Disconnect"),
    "disconnect_no": N_("Keep linked"),
    "disconnected": N_("✓ Disconnected from {connection} ({actor} '{erp_key}')."),
    "pick_link": N_("Which link?"),
    "no_errors": N_("This record has no open errors."),
    "retrying": N_("Retrying the errors of this record in '{connection}'…"),
    "rereading": N_("Re-reading {actor} '{erp_key}' from '{connection}'…"),
    "reread_done": N_(
        "✓ Re-read '{erp_key}' from '{connection}': {updated} updated, {conflicts} "
        "conflicts."),
    "created": N_("✓ Created in the ERP as {actor} '{erp_key}' ({connection}) and linked."),
    "linked": N_("✓ Linked to {actor} '{erp_key}' in {connection}."),
    "Back": N_("Back"),
    "Save": N_("Save"),
    "CRM fields": N_("CRM fields"),
    "ERP tab": N_("ERP tab"),
    "Open company": N_("Open company"),
    "Refresh": N_("Refresh"),
    "Search in ERP": N_("Search in ERP"),
    "Create in ERP": N_("Create in ERP"),
    "Disconnect": N_("Disconnect"),
    "Retry errors": N_("Retry errors"),
    "Re-read from ERP": N_("Re-read from ERP"),
}

# Actions of the ERP tab bound to plain letters: only while the ERP tab is shown (on the CRM
# tab letters are typed into fields; F7/F8 reach search and create from there).
_ERP_TAB_ACTIONS = ("disconnect", "retry_errors", "reread_erp", "search_erp_key",
                    "create_erp_key")
LINK_MARKS = {LinkState.LINKED: "●", LinkState.DELETED_IN_ERP: "✗", "error": "!"}
LABEL_WIDTH = 26
HISTORY_SHOWN = 12


def moment(value: datetime | None) -> str:
    """A timestamp as shown: minutes precision, as stored (UTC)."""
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else tr(TEXT, "never")


def _state_text(state: str) -> str:
    text = tr(TEXT, f"state_{state}")
    return state if text == f"state_{state}" else text


@dataclass
class _LinkView:
    """A link on the ERP tab and what the worker has read for it so far."""

    link: TabLink
    values: TabValues | None = None
    error: str = ""


class RecordView(DismissOnce, Screen[bool]):
    """A CRM record: answers True when something was saved (or linked, created, disconnected)."""

    CSS = load_css("record_view.tcss")

    BINDINGS = [
        Binding("escape", "back", "Back", id="record.back"),
        Binding("f2", "save", "Save", id="record.save"),
        Binding("ctrl+s", "save", "Save", show=False, id="record.save_ctrl"),
        Binding("f3", "show_tab('crm')", "CRM fields", id="record.crm"),
        Binding("f4", "show_tab('erp')", "ERP tab", id="record.erp"),
        Binding("f6", "open_parent", "Open company", id="record.parent"),
        Binding("f7", "search_erp", "Search in ERP", id="record.search"),
        Binding("f8", "create_erp", "Create in ERP", id="record.create"),
        Binding("s", "search_erp_key", "Search in ERP", show=False, id="record.search_s"),
        Binding("c", "create_erp_key", "Create in ERP", show=False, id="record.create_c"),
        Binding("d", "disconnect", "Disconnect", id="record.disconnect"),
        Binding("r", "retry_errors", "Retry errors", id="record.retry"),
        Binding("e", "reread_erp", "Re-read from ERP", id="record.reread"),
        Binding("f5", "refresh", "Refresh", show=False, id="record.refresh"),
    ]

    class ValuesRead(Message):
        """The live ERP values of link `index` were read (or `error` says why not)."""

        def __init__(self, generation: int, index: int, values: Any, error: str) -> None:
            super().__init__()
            self.generation = generation
            self.index = index
            self.values = values
            self.error = error

    class RetryFinished(Message):
        """A retry of this record's errors ended; `text` says how it went."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class RereadFinished(Message):
        """A re-read of one link from the ERP ended; `text` says how it went."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, ctx: AppContext, entity: str, record_id: int, tab: str = "crm") -> None:
        super().__init__()
        localize_bindings(self, TEXT)
        self.ctx = ctx
        self.entity = entity
        self.record_id = record_id
        self.initial_tab = tab if tab in ("crm", "erp") else "crm"
        self.detail: RecordDetail | None = None
        self.load_error = ""
        self.choices: dict[str, list[tuple[str, str]]] = {}
        self.changed_anything = False
        self.links: list[_LinkView] = []
        self.generation = 0
        self.retrying = False
        self.rereading = False
        self._read()

    def _read(self) -> None:
        from erp_tui.services.records import get_record, list_choices

        try:
            self.detail = get_record(self.ctx, self.entity, self.record_id)
        except ErpTuiError as exc:
            self.detail = None
            self.load_error = error_text(exc)
            return
        for field in self.detail.fields:
            if field.type is FieldType.LIST and field.list_name not in self.choices:
                self.choices[field.list_name] = list_choices(self.ctx, field.list_name)

    # ---- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        detail = self.detail
        name = detail.title if detail is not None else str(self.record_id)
        yield Static(tr(TEXT, "title", entity=entity_label(self.entity, label_language()),
                        name=name), id="title", markup=False)
        if detail is not None and detail.parent is not None:
            yield Static(tr(TEXT, "parent", entity=entity_label(detail.parent[0], label_language()),
                            name=detail.parent[2]), id="parent", markup=False)
        with TabbedContent(id="tabs", initial=self.initial_tab):
            with TabPane(tr(TEXT, "tab_crm"), id="crm"), VerticalScroll(id="form"):
                if detail is None:
                    yield Static(tr(TEXT, "gone", message=self.load_error), id="gone",
                                 markup=False)
                else:
                    for index, field in enumerate(detail.fields):
                        yield from self._field_row(index, field)
            with TabPane(tr(TEXT, "tab_erp"), id="erp"), VerticalScroll(id="erp-body"):
                yield Static("", id="erp-text")
        yield BusyLine(id="busy")
        yield Static("", id="message", markup=False)
        yield KeyBar()

    def _field_row(self, index: int, field: FieldValue) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield Label(Content(field.label_in(label_language())), classes="caption")
            yield self._editor(index, field)
        yield Static("", id=f"problem-{index}", classes="problem", markup=False)

    def _editor(self, index: int, field: FieldValue) -> Widget:
        ident = f"field-{index}"
        if field.read_only:
            text = Text(_shown(field))
            text.append(f"  ({tr(TEXT, 'read_only')})", style="dim")
            return Static(text, id=ident, classes="locked")
        if field.type is FieldType.LIST:
            items = list(self.choices.get(field.list_name, []))
            if field.value and field.value not in {key for key, _ in items}:
                items.append((field.value, field.value))
            options = [(Content(f"{text} ({key})"), key) for key, text in items]
            select: Select[str] = Select(options, prompt=tr(TEXT, "none"), allow_blank=True,
                                         value=field.value if field.value else Select.NULL,
                                         compact=True, id=ident)
            return select
        if field.type is FieldType.CHECKBOX:
            return MarkedCheckbox("", field.value == "1", compact=True, id=ident)
        hint_key = f"hint.{field.type.value}"
        hint = tr(TEXT, hint_key) if hint_key in TEXT else ""
        return Input(field.value, placeholder=hint,
                     compact=True, id=ident)

    def on_mount(self) -> None:
        self.load_links()
        if self.initial_tab == "erp":
            self.query_one("#erp-body").focus()
        else:
            self._focus_first_field()

    def _focus_first_field(self) -> None:
        if self.detail is None:
            return
        for index, field in enumerate(self.detail.fields):
            if not field.read_only:
                self.query_one(f"#field-{index}").focus()
                return

    # ---- the CRM form --------------------------------------------------------------------

    def current_value(self, index: int) -> str:
        """What field `index` holds now, as text (list: item key, checkbox: 1/0)."""
        assert self.detail is not None
        field = self.detail.fields[index]
        if field.read_only:
            return field.value
        widget = self.query_one(f"#field-{index}")
        if isinstance(widget, Select):
            value = widget.value
            return value if isinstance(value, str) else ""
        if isinstance(widget, Checkbox):
            return "1" if widget.value else "0"
        if isinstance(widget, Input):
            return widget.value
        return field.value

    def changes(self) -> dict[str, str]:
        """The fields whose value differs from the one read, by key."""
        if self.detail is None or not self.is_mounted:
            return {}
        out = {}
        for index, field in enumerate(self.detail.fields):
            if field.read_only:
                continue
            value = self.current_value(index)
            original = field.value if field.type is not FieldType.CHECKBOX else (
                "1" if field.value == "1" else "0")
            if value != original:
                out[field.key] = value
        return out

    @property
    def dirty(self) -> bool:
        return bool(self.changes())

    def _fill_form(self) -> None:
        """Put the values read into the form (after a save or a reload)."""
        if self.detail is None:
            return
        for index, field in enumerate(self.detail.fields):
            if field.read_only:
                text = Text(_shown(field))
                text.append(f"  ({tr(TEXT, 'read_only')})", style="dim")
                self.query_one(f"#field-{index}", Static).update(text)
                continue
            widget = self.query_one(f"#field-{index}")
            if isinstance(widget, Select):
                widget.value = field.value if field.value else Select.NULL
            elif isinstance(widget, Checkbox):
                widget.value = field.value == "1"
            elif isinstance(widget, Input):
                widget.value = field.value
            self._show_problem(index, "")

    def _show_problem(self, index: int, problem: str) -> None:
        line = self.query_one(f"#problem-{index}", Static)
        line.update(f"✗ {problem}" if problem else "")
        line.set_class(bool(problem), "-shown")

    def problem_text(self, key: str) -> str:
        """The problem shown at field `key` ("" when none)."""
        index = self._index(key)
        if index is None:
            return ""
        return str(self.query_one(f"#problem-{index}", Static).render()).strip()

    def _index(self, key: str) -> int | None:
        if self.detail is None:
            return None
        for index, field in enumerate(self.detail.fields):
            if field.key == key:
                return index
        return None

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        """Check a typed value at once with the engine's parser (the save checks it again)."""
        ident = event.input.id or ""
        if not ident.startswith("field-") or self.detail is None:
            return
        index = int(ident.removeprefix("field-"))
        field = self.detail.fields[index]
        from erp_tui.services.records import parse_crm_value

        crm_field = CrmField(key=field.key, label=field.label, type=field.type,
                             list_name=field.list_name, read_only=field.read_only,
                             max_length=field.max_length)
        try:
            parse_crm_value(crm_field, event.value, {})
        except ValueError as exc:
            self._show_problem(index, error_text(exc))
        else:
            self._show_problem(index, "")

    def action_save(self) -> None:
        if self.detail is None:
            return
        values = self.changes()
        if not values:
            self._say(tr(TEXT, "nothing_changed"))
            return
        from erp_tui.services.records import edit_record

        try:
            detail = edit_record(self.ctx, self.entity, self.record_id, values,
                                 self.detail.stamp)
        except ValidationFailed as exc:
            self._show_problems(exc)
            return
        except StaleEditError as exc:
            self._offer_reload(error_text(exc))
            return
        except ErpTuiError as exc:
            self._say(tr(TEXT, "error", message=error_text(exc)))
            return
        self.detail = detail
        self.changed_anything = True
        self._fill_form()
        self._paint_title()
        self._say(tr(TEXT, "saved"))

    def _show_problems(self, error: ValidationFailed) -> None:
        unplaced: list[str] = []
        for index in range(len(self.detail.fields) if self.detail else 0):
            self._show_problem(index, "")
        for problem in error.problems:
            at = self._index(problem.field_key)
            if at is None:
                unplaced.append(engine_text(problem.message))
            else:
                self._show_problem(at, engine_text(problem.message))
        text = localize(msgn("✗ Not saved: {count} problem, shown at its field.",
                             "✗ Not saved: {count} problems, shown at their fields.",
                             len(error.problems)))
        self._say("\n".join([text, *unplaced]))

    def _offer_reload(self, sentence: str) -> None:
        from erp_tui.screens.widgets.confirm import ConfirmScreen

        def answered(reload: bool | None) -> None:
            if reload:
                self.reload_record()
                self._say(tr(TEXT, "reloaded"))
            else:
                self._say(tr(TEXT, "kept"))

        self.app.push_screen(ConfirmScreen(tr(TEXT, "stale_title"), sentence,
                                           tr(TEXT, "reload"), tr(TEXT, "keep")),
                             callback=answered)

    def reload_record(self) -> None:
        """Read the record again; the form shows what is stored now."""
        self._read()
        if self.detail is not None:
            self._fill_form()
            self._paint_title()
        self.load_links()

    def _paint_title(self) -> None:
        if self.detail is not None:
            self.query_one("#title", Static).update(tr(
                TEXT, "title", entity=entity_label(self.entity, label_language()),
                name=self.detail.title))

    # ---- the ERP tab ---------------------------------------------------------------------

    def load_links(self) -> None:
        """Read the links from the store and start reading their ERP values in workers."""
        from erp_tui.services.erp_tab import erp_tab_links

        self.generation += 1
        self.workers.cancel_group(self, "erp-values")
        try:
            links = erp_tab_links(self.ctx, self.entity, self.record_id)
        except ErpTuiError as exc:
            links = []
            self._say(tr(TEXT, "error", message=error_text(exc)))
        self.links = [_LinkView(link) for link in links]
        for index, view in enumerate(self.links):
            if view.link.field_keys and view.link.state != LinkState.DELETED_IN_ERP:
                self._values_worker(self.generation, index, view.link)
        self._paint_erp()
        self.refresh_bindings()

    @work(thread=True, group="erp-values", exit_on_error=False)
    def _values_worker(self, generation: int, index: int, link: TabLink) -> None:
        from erp_tui.services.erp_tab import erp_tab_values

        values, error = None, ""
        try:
            values = erp_tab_values(self.ctx, self.entity, self.record_id, link.connection,
                                    link.actor_type, link.erp_key)
        except ErpTuiError as exc:
            error = error_text(exc)
        except Exception as exc:  # never a traceback in the UI
            error = tr(TEXT, "unexpected", kind=type(exc).__name__, message=error_text(exc))
        if not get_current_worker().is_cancelled:
            self.post_message(self.ValuesRead(generation, index, values, error))

    @on(ValuesRead)
    def _values_read(self, event: ValuesRead) -> None:
        if event.generation != self.generation or event.index >= len(self.links):
            return
        view = self.links[event.index]
        view.values = event.values
        view.error = event.error
        self._paint_erp()

    def values_loading(self) -> bool:
        """Are live values still being read for some link?"""
        return any(v.values is None and not v.error and v.link.field_keys
                   and v.link.state != LinkState.DELETED_IN_ERP for v in self.links)

    def _paint_erp(self) -> None:
        self.query_one("#erp-text", Static).update(self.erp_text())

    def erp_text(self) -> Text:
        """The ERP tab's content (every link, one after the other)."""
        if not self.links:
            return Text(tr(TEXT, "no_links"))
        out = Text()
        for number, view in enumerate(self.links):
            if number:
                out.append("\n")
            self._paint_link(out, view)
        return out

    def _paint_link(self, out: Text, view: _LinkView) -> None:
        link = view.link
        state_style = {LinkState.LINKED: "bold", LinkState.DELETED_IN_ERP: "bold red",
                       "error": "bold yellow"}.get(link.state, "")
        out.append(tr(TEXT, "link_head", mark=LINK_MARKS.get(link.state, "?"),
                      connection=link.connection, actor=actor_text(link.actor_type),
                      erp_key=link.erp_key,
                      state=_state_text(link.state)),
                   style=state_style)
        out.append(f"\n  {tr(TEXT, 'last_sync', when=moment(link.last_sync))}\n", style="dim")
        if not link.field_keys:
            out.append(f"  {tr(TEXT, 'no_fields', actor=actor_text(link.actor_type))}\n",
                       style="dim")
        elif view.values is None and not view.error and link.state != LinkState.DELETED_IN_ERP:
            for _key, label in link.field_keys:
                out.append(f"  {_cut(label, LABEL_WIDTH - 2):<{LABEL_WIDTH - 2}} ")
                out.append(tr(TEXT, "loading"), style="dim")
                out.append("\n")
        elif view.error or (view.values is not None and view.values.message):
            message = view.error or (view.values.message if view.values else "")
            out.append(f"  {tr(TEXT, 'values_failed', message=engine_text(message))}\n",
                       style="bold red")
        if view.values is not None:
            self._paint_values(out, view.values)
        if link.errors:
            out.append(f"  {tr(TEXT, 'errors', count=len(link.errors))}\n", style="bold")
            for error in link.errors:
                out.append(f"  ! {moment(error.at)} ({error.direction}) ", style="bold yellow")
                out.append(f"{stored_text(error.message)}\n")
        if link.history:
            out.append(f"  {tr(TEXT, 'history', count=len(link.history))}\n", style="bold")
            for change in link.history[:HISTORY_SHOWN]:
                whole = change.field == ChangeKind.RECORD
                field = tr(TEXT, "record_event") if whole else change.field
                out.append(f"  {moment(change.at)} {field} {change.direction} ", style="dim")
                empty = tr(TEXT, "empty_value")
                old, new = change.old or "", change.new or ""
                if whole:
                    old, new = stored_text(old), stored_text(new)
                out.append(f"{old or empty} → {new or empty}\n")
        else:
            out.append(f"  {tr(TEXT, 'no_history')}\n", style="dim")

    @staticmethod
    def _paint_values(out: Text, values: TabValues) -> None:
        for field in values.fields:
            mark = "≠" if field.differs else " "
            out.append(f"{mark} ", style="bold yellow" if field.differs else "")
            out.append(f"{_cut(field.label, LABEL_WIDTH - 2):<{LABEL_WIDTH - 2}} ",
                       style="bold" if field.differs else "")
            out.append(f"{field.direction:<2} ", style="dim")
            out.append(field.erp_value or tr(TEXT, "empty_value"))
            out.append("\n")
            if field.differs:
                out.append(" " * (LABEL_WIDTH + 3))
                out.append(tr(TEXT, "crm_value", value=field.crm_value or tr(
                    TEXT, "empty_value")), style="bold yellow")
                out.append("\n")

    def erp_plain(self) -> str:
        """The ERP tab's text as shown (for tests)."""
        return self.erp_text().plain

    # ---- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted or self.closing:
            return False
        if action in _ERP_TAB_ACTIONS and self._active_tab() != "erp":
            return False
        if action == "open_parent":
            return self.detail is not None and self.detail.parent is not None
        if action == "save":
            return self.detail is not None
        if action == "disconnect":
            return bool(self.links) or None
        if action == "retry_errors":
            return (not self.retrying and any(v.link.errors for v in self.links)) or None
        if action == "reread_erp":
            return (not self.rereading and bool(self.links)) or None
        if action in ("search_erp", "create_erp", "search_erp_key", "create_erp_key"):
            return self.detail is not None
        return True

    def _active_tab(self) -> str:
        return self.query_one("#tabs", TabbedContent).active or "crm"

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#tabs", TabbedContent).active = tab
        if tab == "erp":
            self.query_one("#erp-body").focus()
        else:
            self._focus_first_field()
        self.refresh_bindings()

    def action_back(self) -> None:
        if not self.dirty:
            self.dismiss(self.changed_anything)
            return
        from erp_tui.screens.widgets.confirm import ConfirmScreen

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(self.changed_anything)

        self.app.push_screen(ConfirmScreen(tr(TEXT, "discard_title"),
                                           tr(TEXT, "discard_question"),
                                           tr(TEXT, "discard_yes"), tr(TEXT, "discard_no")),
                             callback=answered)

    def action_refresh(self) -> None:
        if self.dirty:
            self.load_links()
        else:
            self.reload_record()

    def action_open_parent(self) -> None:
        if self.detail is None or self.detail.parent is None:
            return
        entity, record_id, _title = self.detail.parent
        self.app.push_screen(RecordView(self.ctx, entity, record_id))

    def action_search_erp_key(self) -> None:
        self.action_search_erp()

    def action_create_erp_key(self) -> None:
        self.action_create_erp()

    def action_search_erp(self) -> None:
        if self.detail is None:
            return
        from erp_tui.screens.erp_search_dialog import ErpSearchDialog, SearchOutcome

        def done(outcome: SearchOutcome | None) -> None:
            if outcome is None:
                return
            self.changed_anything = True
            if outcome.action == "linked":
                self.load_links()
                self.action_show_tab("erp")
                self._say(tr(TEXT, "linked", actor=actor_text(outcome.actor_type),
                             erp_key=outcome.erp_key, connection=outcome.connection))
            elif (outcome.entity, outcome.record_id) != (self.entity, self.record_id):
                self.app.push_screen(RecordView(self.ctx, outcome.entity, outcome.record_id,
                                                tab="erp"))

        self.app.push_screen(ErpSearchDialog(self.ctx, self.entity, self.record_id,
                                             self.detail.title), callback=done)

    def action_create_erp(self) -> None:
        if self.detail is None:
            return
        from erp_tui.screens.create_in_erp_dialog import Created, CreateInErpDialog

        def done(created: Created | None) -> None:
            if created is None:
                return
            self.changed_anything = True
            self.load_links()
            self.action_show_tab("erp")
            self._say(tr(TEXT, "created", actor=actor_text(created.actor_type),
                         erp_key=created.erp_key, connection=created.connection))

        linked = {view.link.connection for view in self.links}
        self.app.push_screen(CreateInErpDialog(self.ctx, self.entity, self.record_id,
                                               self.detail.title, linked), callback=done)

    def _choose_link(self, views: list[_LinkView], then: Any) -> None:
        """Run `then(view)` for the one link, or for the link the user picks."""
        if len(views) == 1:
            then(views[0])
            return
        if not views:
            return
        choices = [(str(i), f"{v.link.connection} · {actor_text(v.link.actor_type)} "
                            f"{v.link.erp_key}") for i, v in enumerate(views)]

        def picked(answer: Picked | None) -> None:
            if answer is not None and answer.key is not None:
                then(views[int(answer.key)])

        self.app.push_screen(PickerDialog(tr(TEXT, "pick_link"), choices), picked)

    def action_disconnect(self) -> None:
        self._choose_link(self.links, self._confirm_disconnect)

    def _confirm_disconnect(self, view: _LinkView) -> None:
        from erp_tui.screens.widgets.confirm import ConfirmScreen

        link = view.link

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            from erp_tui.runner.linking import disconnect

            try:
                disconnect(self.ctx, link.connection, link.actor_type, link.erp_key)
            except ErpTuiError as exc:
                self._say(tr(TEXT, "error", message=error_text(exc)))
                return
            self.changed_anything = True
            self.load_links()
            self._say(tr(TEXT, "disconnected", connection=link.connection,
                         actor=actor_text(link.actor_type), erp_key=link.erp_key))

        self.app.push_screen(ConfirmScreen(
            tr(TEXT, "disconnect_title", connection=link.connection),
            tr(TEXT, "disconnect_question", actor=actor_text(link.actor_type),
               erp_key=link.erp_key),
            tr(TEXT, "disconnect_yes"), tr(TEXT, "disconnect_no")), callback=answered)

    def action_retry_errors(self) -> None:
        failing = [v for v in self.links if v.link.errors]
        if not failing:
            self._say(tr(TEXT, "no_errors"))
            return
        self._choose_link(failing, self._retry)

    def _retry(self, view: _LinkView) -> None:
        if self.retrying:
            return
        self.retrying = True
        self.query_one(BusyLine).start(tr(TEXT, "retrying", connection=view.link.connection))
        self.refresh_bindings()
        self._retry_worker(view.link.connection, [e.id for e in view.link.errors])

    @work(thread=True, exclusive=True, group="record-retry", exit_on_error=False)
    def _retry_worker(self, connection: str, error_ids: list[int]) -> None:
        from erp_tui.services.erp_tab import retry_record_errors

        try:
            text = retry_record_errors(self.ctx, connection, error_ids)
        except ErpTuiError as exc:
            text = tr(TEXT, "error", message=error_text(exc))
        except Exception as exc:  # never a traceback in the UI
            text = tr(TEXT, "unexpected", kind=type(exc).__name__, message=error_text(exc))
        self.post_message(self.RetryFinished(text))

    @on(RetryFinished)
    def _retried(self, event: RetryFinished) -> None:
        self.retrying = False
        self.query_one(BusyLine).stop()
        self.changed_anything = True
        self.load_links()
        self._say(engine_text(event.text))

    def action_reread_erp(self) -> None:
        self._choose_link(self.links, self._reread)

    def _reread(self, view: _LinkView) -> None:
        if self.rereading:
            return
        self.rereading = True
        link = view.link
        self.query_one(BusyLine).start(tr(TEXT, "rereading", actor=actor_text(link.actor_type),
                                          erp_key=link.erp_key, connection=link.connection))
        self.refresh_bindings()
        self._reread_worker(link.connection, link.actor_type, link.erp_key)

    @work(thread=True, exclusive=True, group="record-reread", exit_on_error=False)
    def _reread_worker(self, connection: str, actor_type: str, erp_key: str) -> None:
        from erp_tui.runner import resync_from_erp

        names = {"erp_key": erp_key, "connection": connection}
        try:
            report = resync_from_erp(self.ctx, connection, actor_type, [erp_key])
            c = report.counts
            text = (localize(msgn(
                "✗ Re-read '{erp_key}' from '{connection}': {count} error, shown on the ERP "
                "tab.",
                "✗ Re-read '{erp_key}' from '{connection}': {count} errors, shown on the ERP "
                "tab.", c.errors, **names)) if c.errors else
                    tr(TEXT, "reread_done", updated=c.updated, conflicts=c.conflicts, **names))
        except ErpTuiError as exc:
            text = tr(TEXT, "error", message=error_text(exc))
        except Exception as exc:  # never a traceback in the UI
            text = tr(TEXT, "unexpected", kind=type(exc).__name__, message=error_text(exc))
        self.post_message(self.RereadFinished(text))

    @on(RereadFinished)
    def _reread_done(self, event: RereadFinished) -> None:
        self.rereading = False
        self.query_one(BusyLine).stop()
        self.changed_anything = True
        self.action_refresh()  # the CRM tab shows the values read (unless being edited)
        self._say(event.text)

    def _say(self, text: str) -> None:
        self.query_one("#message", Static).update(text)

    def message_text(self) -> str:
        """The message line as shown (for tests)."""
        return str(self.query_one("#message", Static).render())


def _shown(field: FieldValue) -> str:
    """A read-only field's value as shown (a checkbox as yes or no in the UI's language)."""
    if field.type is FieldType.CHECKBOX and field.value in ("1", "0"):
        return tr(TEXT, "yes" if field.value == "1" else "no")
    return field.display


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"
