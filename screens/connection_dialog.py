"""Add or configure an ERP connection (rule 2).

The connector's config fields are shown by type (password masked, list as a choice, checkbox,
number, date). OK stays disabled until the connection test has passed for exactly the values now
in the form, every mandatory field is filled and the scope is set; the reason is always shown on
the status line. The test and the save (a new connection also reads the ERP's fields) run in
thread workers; Escape while testing stops waiting and the late result is ignored. A test's
outcome is marked stale as soon as the connector settings differ from the tested ones; Escape
asks before it throws typed values away.

An active connection opens read-only (`read_only=True`): its values are shown but locked; F2 or
typing offers to deactivate it (`ReadOnlyGate`), after which the dialog is editable.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static
from textual.worker import get_current_worker

from erp_tui.context import AppContext
from erp_tui.contract import FieldInfo, FieldType
from erp_tui.errors import ErpTuiError, ValidationFailed
from erp_tui.screens.css import load_css
from erp_tui.screens.engine_text import engine_text
from erp_tui.screens.i18n import N_, localize, tr
from erp_tui.screens.widgets.busy import BusyLine
from erp_tui.screens.widgets.dialog_kit import EditDialog
from erp_tui.screens.widgets.read_only import ReadOnlyGate
from erp_tui.screens.widgets.tickbox import TickBox

TEXT = {
    "title_add": N_("Add ERP connection"),
    "title_edit": N_("Configure ERP connection '{name}'"),
    "name": N_("Name"),
    "connector": N_("Connector"),
    "scope": N_("Scope"),
    "members": N_("Users/groups"),
    "members_hint": N_("user:NAME, group:NAME"),
    "conflict": N_("Conflict policy"),
    "allow_import": N_("Allow import of new ERP records"),
    "scope_everyone": N_("Everyone"),
    "scope_chosen": N_("Chosen users/groups"),
    "erp_wins": N_("ERP wins"),
    "crm_wins": N_("CRM wins"),
    "newest_wins": N_("Newest change wins"),
    "no_selection": N_("(No selection)"),
    "settings": N_("Connector settings ({connector})"),
    "no_connector": N_("Choose a connector to see its settings."),
    "unchanged": N_("(unchanged)"),
    "date_hint": N_("YYYY-MM-DD"),
    "datetime_hint": N_("YYYY-MM-DD HH:MM"),
    "Test connection": N_("Test connection"),
    "OK": N_("OK"),
    "Cancel": N_("Cancel"),
    "Stop waiting": N_("Stop waiting"),
    "btn_test": N_("Test connection (F5)"),
    "btn_ok": N_("OK (F2)"),
    "btn_cancel": N_("Cancel (Esc)"),
    "disabled": N_("OK is disabled: {reason}"),
    "more": N_(" (+{count} more)"),
    "ready": N_("Ready: the test passed for these values. Press F2 (OK) to save."),
    "testing": N_("Testing the connection… (Esc: stop waiting)"),
    "saving": N_("Saving… (a new connection also reads the ERP's fields)"),
    "test_ok": N_("✓ Test passed: {message}"),
    "test_bad": N_("✗ Test failed: {message}"),
    "test_stale": N_("(tested with other values; test again)"),
    "cancelled": N_("Test cancelled; its result will be ignored."),
    "not_cancellable": N_("Saving cannot be interrupted; please wait."),
    "cannot_save": N_("✗ {message}"),
    "unexpected": N_("✗ Unexpected error: {kind}: {message}"),
    "mandatory_mark": N_(" *"),
    "discard": N_("Discard what you entered and close without saving?"),
    "btn_change": N_("Change… (F2)"),
    "read_only": N_("Read-only: '{name}' is active. F2 or typing offers to deactivate it."),
}

_SPLIT = re.compile(r"[,;\s]+")


def connector_choices() -> list[tuple[str, str]]:
    """(label, kind) of every installed connector, for the connector choice; a broken plugin
    is listed by its kind (its test will say why)."""
    from erp_tui.services.connector_choices import connector_choices as installed

    return [(choice.kind if choice.broken else f"{localize(choice.label)} ({choice.kind})",
             choice.kind) for choice in installed()]


def connector_fields(ctx: AppContext, kind: str) -> list[FieldInfo]:
    """The config fields of connector `kind`, through the engine's service."""
    from erp_tui.services.connections import config_fields

    return config_fields(ctx, kind)


def parse_members(text: str) -> list[str]:
    """`user:anna, group:sales` -> ['user:anna', 'group:sales']."""
    return [part for part in _SPLIT.split(text.strip()) if part]


@dataclass
class _ConfigInput:
    info: FieldInfo
    widget: Widget | None


class ConnectionDialog(EditDialog[bool]):
    """Add a connection (`connection_id=None`), configure an inactive one, or show an active
    one read-only."""

    CSS = load_css("connection_dialog.tcss")

    BINDINGS = [
        Binding("f5", "test", "Test connection", id="connection_dialog.test"),
        Binding("f2", "ok", "OK", id="connection_dialog.ok"),
        Binding("escape", "cancel", "Cancel", id="connection_dialog.cancel"),
    ]
    BUTTON_ACTIONS: ClassVar[dict[str, str]] = {"test": "test", "ok": "ok", "cancel": "cancel"}

    class TestDone(Message):
        def __init__(self, sequence: int, outcome: Any, error: str) -> None:
            super().__init__()
            self.sequence = sequence
            self.outcome = outcome
            self.error = error

    class SaveDone(Message):
        def __init__(self, connection_id: int | None, error: str) -> None:
            super().__init__()
            self.connection_id = connection_id
            self.error = error

    def __init__(self, ctx: AppContext, connection_id: int | None = None, *,
                 read_only: bool = False) -> None:
        super().__init__(TEXT, cancelled=False)
        from erp_tui.services.connections import ConnectionDraft, draft_for

        self.ctx = ctx
        self.connection_id = connection_id
        self._initial: ConnectionDraft
        if connection_id is None:
            self._initial = ConnectionDraft(name="", connector="")
        else:
            self._initial = draft_for(ctx, connection_id)
        self._gate = ReadOnlyGate(self, ctx, connection_id or 0, self._initial.name,
                                  read_only=read_only and connection_id is not None,
                                  on_editable=self._became_editable)
        self._locked: list[Widget] = []
        self._pristine: Any = None
        self._test_line = ""
        self._tested_values: Any = None
        self._testing_values: Any = None
        self._kept_secrets = {k for k, v in self._initial.values.items() if v is None}
        self._config: list[_ConfigInput] = []
        # Rebuilding the config rows is async; one rebuild at a time, for the latest choice.
        self._build_lock = asyncio.Lock()
        self._built_kind: str | None = None
        self._tested: Any = None
        self._test_sequence = 0
        self._testing = False
        self._saving = False
        self._problems: list[str] = []
        self._load_error = ""
        self._connectors = connector_choices()

    # ---- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        draft = self._initial
        editing = self.connection_id is not None
        title = (tr(TEXT, "title_edit", name=draft.name) if editing else tr(TEXT, "title_add"))
        kinds = [kind for _label, kind in self._connectors]
        connector = draft.connector or (kinds[0] if len(kinds) == 1 else "")
        if connector and connector not in kinds:
            self._connectors.append((connector, connector))
        with Vertical(id="dialog"):
            yield Static(self._gate.title(title), id="dialog-title", markup=False)
            with VerticalScroll(id="form"):
                yield self._row("name", Input(draft.name, id="name", compact=True,
                                              max_length=100), mandatory=True)
                yield self._row("connector", Select(
                    self._connectors, id="connector", compact=True,
                    prompt=tr(TEXT, "no_selection"), disabled=editing,
                    value=connector if connector else Select.NULL), mandatory=True)
                yield self._row("scope", Select(
                    [(tr(TEXT, "scope_everyone"), "everyone"),
                     (tr(TEXT, "scope_chosen"), "chosen")],
                    id="scope", compact=True, prompt=tr(TEXT, "no_selection"),
                    value=draft.scope if draft.scope else Select.NULL), mandatory=True)
                yield self._row("members", Input(
                    ", ".join(draft.scope_members), id="members", compact=True,
                    placeholder=tr(TEXT, "members_hint"), disabled=draft.scope != "chosen"))
                yield self._row("conflict", Select(
                    [(tr(TEXT, p), p) for p in ("erp_wins", "crm_wins", "newest_wins")],
                    id="conflict", compact=True, allow_blank=False,
                    value=draft.conflict_policy))
                with Horizontal(classes="row"):
                    yield Label("", classes="label")
                    yield TickBox(tr(TEXT, "allow_import"), draft.allow_import,
                                   id="allow_import", compact=True)
                yield Static("", id="settings-title", classes="section")
                yield Vertical(id="config")
            yield Static("", id="test-result", markup=False)
            yield BusyLine(id="busy")
            yield Static("", id="why", markup=False)
            with Horizontal(id="buttons"):
                yield Button(tr(TEXT, "btn_test"), id="test", compact=True)
                yield Button(tr(TEXT, "btn_change" if self.read_only else "btn_ok"), id="ok",
                             variant="primary", compact=True, disabled=not self.read_only)
                yield Button(tr(TEXT, "btn_cancel"), id="cancel", compact=True)

    def _row(self, key: str, widget: Widget, *, mandatory: bool = False) -> Horizontal:
        label = tr(TEXT, key) + (tr(TEXT, "mandatory_mark") if mandatory else "")
        return Horizontal(Label(label, classes="label", markup=False), widget, classes="row")

    async def on_mount(self) -> None:
        await self._build_config(self._connector())
        self._pristine = self.draft()
        if self.read_only:
            self._lock()
            self.query_one("#ok", Button).focus()
        else:
            self.query_one("#name", Input).focus()
        self._update_state()

    @property
    def read_only(self) -> bool:
        """Is the dialog showing an active connection that may not change?"""
        return self._gate.read_only

    @property
    def dirty(self) -> bool:
        """Has anything been entered or changed since the dialog opened?"""
        return self._pristine is not None and not self.read_only and \
            self.draft() != self._pristine

    def _lock(self) -> None:
        """Disable every field (remembering which were enabled) for the read-only view."""
        fields = self.query_one("#form").query("Input, Select, Checkbox")
        self._locked = [widget for widget in fields if not widget.disabled]
        for widget in self._locked:
            widget.disabled = True

    def _became_editable(self) -> None:
        """The connection was deactivated: unlock the fields and offer OK."""
        for widget in self._locked:
            widget.disabled = False
        self._locked = []
        self.query_one("#dialog-title", Static).update(
            tr(TEXT, "title_edit", name=self._initial.name))
        self.query_one("#ok", Button).label = tr(TEXT, "btn_ok")
        self.query_one("#name", Input).focus()
        self._update_state()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Mark the row of the focused field (its label is reversed, visible without colour;
        `:focus-within` did not restyle the label when the focus moved on)."""
        for marked in self.query(".row.-current"):
            marked.remove_class("-current")
        row = next((node for node in event.widget.ancestors_with_self
                    if node.has_class("row")), None)
        if row is not None:
            row.add_class("-current")

    def on_key(self, event: events.Key) -> None:
        """Typing in the read-only view is a try to change: offer to deactivate."""
        if self.read_only and event.is_printable and event.character not in (" ", None):
            event.stop()
            self._gate.allow()

    def _connector(self) -> str:
        value = self.query_one("#connector", Select).value
        return value if isinstance(value, str) else ""

    async def _build_config(self, kind: str) -> None:
        """Show the config fields of connector `kind`, filled from the draft or defaults.

        Changes of the connector choice can come faster than the rows are mounted: rebuilds
        run one at a time and each shows the connector chosen by then (never two sets of rows
        with the same ids)."""
        async with self._build_lock:
            if not self.is_attached:
                return
            kind = self._connector()
            if kind == self._built_kind:
                return
            self._built_kind = kind
            await self._build_config_now(kind)

    async def _build_config_now(self, kind: str) -> None:
        container = self.query_one("#config", Vertical)
        await container.remove_children()
        self._config = []
        self._load_error = ""
        title = self.query_one("#settings-title", Static)
        if not kind:
            title.update(tr(TEXT, "no_connector"))
            return
        title.update(tr(TEXT, "settings", connector=kind))
        try:
            fields = connector_fields(self.ctx, kind)
        except ErpTuiError as exc:
            self._load_error = localize(exc)
            return
        same = kind == self._initial.connector
        rows: list[Widget] = []
        for index, info in enumerate(fields):
            value = self._initial.values.get(info.key) if same else None
            widget = self._config_widget(index, info, value, same)
            self._config.append(_ConfigInput(info, widget))
            label = localize(info.label) + (tr(TEXT, "mandatory_mark") if info.mandatory else "")
            caption = Label(label, classes="label", markup=False)
            if widget is None:
                note = Static(localize(info.description) or info.default, classes="note",
                              markup=False)
                rows.append(Horizontal(caption, note, classes="row"))
            else:
                rows.append(Horizontal(caption, widget, classes="row"))
        await container.mount_all(rows)

    def _config_widget(self, index: int, info: FieldInfo, value: Any, same: bool
                       ) -> Widget | None:
        wid = f"cfg-{index}"
        # Verbatim, not markup.
        tooltip = Text(localize(info.description)) if info.description else None
        initial = "" if value is None else str(value)
        if value is None and not same:
            initial = info.default
        if info.type is FieldType.LABEL:
            return None
        if info.type is FieldType.CHECKBOX:
            checked = value if isinstance(value, bool) else str(initial).lower() in (
                "1", "true", "yes", "on")
            return TickBox("", checked, id=wid, compact=True, tooltip=tooltip)
        if info.type is FieldType.LIST:
            options = [(localize(text), key) for key, text in info.options.items()]
            chosen = initial if initial in info.options else Select.NULL
            return Select(options, id=wid, compact=True, prompt=tr(TEXT, "no_selection"),
                          value=chosen, tooltip=tooltip)
        if info.type is FieldType.PASSWORD:
            kept = info.key in self._kept_secrets and same
            return Input("", id=wid, password=True, compact=True, tooltip=tooltip,
                         placeholder=tr(TEXT, "unchanged") if kept else "")
        placeholder = ""
        input_type: Any = "text"
        if info.type is FieldType.INTEGER:
            input_type = "integer"
        elif info.type is FieldType.DOUBLE:
            input_type = "number"
        elif info.type is FieldType.DATE:
            placeholder = tr(TEXT, "date_hint")
        elif info.type is FieldType.DATETIME:
            placeholder = tr(TEXT, "datetime_hint")
        return Input(initial, id=wid, type=input_type, compact=True, tooltip=tooltip,
                     placeholder=placeholder,
                     max_length=info.max_length or 0)

    # ---- the draft and why OK is disabled -----------------------------------------------

    def draft(self) -> Any:
        """A `ConnectionDraft` of exactly what the form holds now."""
        from erp_tui.services.connections import ConnectionDraft

        values: dict[str, Any] = {}
        for item in self._config:
            widget, info = item.widget, item.info
            if widget is None:
                continue
            if isinstance(widget, Checkbox):
                values[info.key] = widget.value
            elif isinstance(widget, Select):
                values[info.key] = widget.value if isinstance(widget.value, str) else ""
            elif isinstance(widget, Input):
                text = widget.value
                if info.type is FieldType.PASSWORD and text == "" and info.key in \
                        self._kept_secrets and self._connector() == self._initial.connector:
                    values[info.key] = None  # keep the stored secret
                else:
                    values[info.key] = text
        scope = self.query_one("#scope", Select).value
        conflict = self.query_one("#conflict", Select).value
        return ConnectionDraft(
            name=self.query_one("#name", Input).value,
            connector=self._connector(),
            values=values,
            scope=scope if isinstance(scope, str) else "",
            scope_members=parse_members(self.query_one("#members", Input).value)
            if scope == "chosen" else [],
            conflict_policy=conflict if isinstance(conflict, str) else "erp_wins",
            allow_import=self.query_one("#allow_import", Checkbox).value,
            connection_id=self.connection_id,
            expected_version=self._initial.expected_version)

    def problems(self) -> list[str]:
        """Why OK is disabled now (empty: it is enabled)."""
        from erp_tui.services.connections import draft_problems

        draft = self.draft()
        if not draft.connector:
            return [tr(TEXT, "no_connector")]
        if self._load_error:
            return [self._load_error]
        try:
            return [engine_text(p) for p in draft_problems(self.ctx, draft, self._tested)]
        except ErpTuiError as exc:
            return [engine_text(exc)]

    def _update_state(self) -> None:
        self._problems = self.problems()
        ok_button = self.query_one("#ok", Button)
        ok_button.disabled = not self.read_only and (bool(self._problems) or self._saving)
        self.query_one("#test", Button).disabled = self._testing or self._saving
        self._show_test_line()
        why = self.query_one("#why", Static)
        if self.read_only:
            why.update(tr(TEXT, "read_only", name=self._initial.name))
        elif self._problems:
            reason = self._problems[0]
            if len(self._problems) > 1:
                reason += tr(TEXT, "more", count=len(self._problems) - 1)
            why.update(tr(TEXT, "disabled", reason=reason))
        else:
            why.update(tr(TEXT, "ready"))
        self.refresh_bindings()

    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _changed(self, _event: Message) -> None:
        if self.is_mounted:
            self._update_state()

    @on(Select.Changed)
    async def _select_changed(self, event: Select.Changed) -> None:
        if not self.is_mounted:
            return
        if event.select.id == "connector":
            await self._build_config(self._connector())
        elif event.select.id == "scope":
            self.query_one("#members", Input).disabled = event.value != "chosen"
        self._update_state()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not super().check_action(action, parameters):
            return False
        if action == "ok" and self.read_only:
            return True
        if action == "ok":
            return None if (self._problems or self._saving or self._testing) else True
        if action == "test":
            return None if (self._testing or self._saving) else True
        return True

    # ---- test ----------------------------------------------------------------------------

    def action_test(self) -> None:
        if self._testing or self._saving:
            return
        self._test_sequence += 1
        self._testing = True
        self.query_one(BusyLine).start(tr(TEXT, "testing"))
        self._update_state()
        draft = self.draft()
        self._testing_values = (draft.connector, draft.values)
        self._test_worker(draft, self._test_sequence)

    @work(thread=True, group="connection-test", exit_on_error=False)
    def _test_worker(self, draft: Any, sequence: int) -> None:
        from erp_tui.services.connections import test_draft

        outcome: Any = None
        error = ""
        try:
            outcome = test_draft(self.ctx, draft)
        except ErpTuiError as exc:
            error = localize(exc)
        except Exception as exc:  # never a traceback in the UI
            error = tr(TEXT, "unexpected", kind=type(exc).__name__, message=str(exc))
        if not get_current_worker().is_cancelled:
            self.post_message(self.TestDone(sequence, outcome, error))

    @on(TestDone)
    def _test_done(self, event: TestDone) -> None:
        if not self._testing or event.sequence != self._test_sequence:
            return  # a cancelled test: ignore its result
        self._testing = False
        self.query_one(BusyLine).stop()
        self._tested_values = self._testing_values
        if event.outcome is None:
            self._tested = None
            self._test_line = tr(TEXT, "test_bad", message=event.error)
        else:
            self._tested = event.outcome
            key = "test_ok" if event.outcome.ok else "test_bad"
            self._test_line = tr(TEXT, key, message=event.outcome.message)
        self._update_state()

    def _tested_key(self) -> tuple[str, dict[str, Any]]:
        """What a connection test depends on: the connector and its settings."""
        draft = self.draft()
        return draft.connector, draft.values

    def _show_test_line(self) -> None:
        """The last test's outcome, or a note that the settings changed since."""
        if not self._test_line:
            return
        stale = self._tested_values != self._tested_key()
        self.query_one("#test-result", Static).update(
            tr(TEXT, "test_stale") if stale else self._test_line)

    def cancel_test(self) -> None:
        """Stop waiting for the running test; its result will be ignored."""
        self._testing = False
        self._test_sequence += 1
        self.workers.cancel_group(self, "connection-test")
        self.query_one(BusyLine).stop()
        self._test_line = ""
        self.query_one("#test-result", Static).update(tr(TEXT, "cancelled"))
        self._update_state()

    # ---- OK / cancel ---------------------------------------------------------------------

    def action_cancel(self) -> None:
        if self._testing:
            self.cancel_test()
            return
        if self._saving:
            self.notify(tr(TEXT, "not_cancellable"))
            return
        super().action_cancel()

    def action_ok(self) -> None:
        if not self._gate.allow():
            return
        self._update_state()
        if self._problems or self._saving or self._testing:
            self.app.bell()
            return
        self._saving = True
        self.query_one(BusyLine).start(tr(TEXT, "saving"))
        self._update_state()
        self._save_worker(self.draft(), self._tested)

    @work(thread=True, exclusive=True, group="connection-save", exit_on_error=False)
    def _save_worker(self, draft: Any, tested: Any) -> None:
        from erp_tui.services.connections import save_draft

        connection_id: int | None = None
        error = ""
        try:
            connection_id = save_draft(self.ctx, draft, tested)
        except ValidationFailed as exc:
            error = "; ".join(engine_text(p.message) for p in exc.problems) or localize(
                exc.summary)
        except ErpTuiError as exc:
            error = engine_text(exc)
        except Exception as exc:  # never a traceback in the UI
            error = tr(TEXT, "unexpected", kind=type(exc).__name__, message=str(exc))
        self.post_message(self.SaveDone(connection_id, error))

    @on(SaveDone)
    def _save_done(self, event: SaveDone) -> None:
        self._saving = False
        self.query_one(BusyLine).stop()
        if event.error:
            self._test_line = tr(TEXT, "cannot_save", message=event.error)
            self._tested_values = self._tested_key()
            self._update_state()
            return
        self._pristine = None
        self.dismiss(True)
