"""The Connections screen (the Sync tab): the ERP connections and the actions at the bottom of the
source page: Add, Configure, Mappings, List mapping, Defaults, Rank fields, Set sync priority,
Test, Activate/Deactivate and Delete.

Rule 1: a connection is edited only while inactive. The dialogs of an active one open read-only;
trying to change something there offers to deactivate it. Deleting an active one explains the
procedure (deactivate → change → test → OK → reactivate) and offers to deactivate it first.
Slow engine calls (test, activate: it tests the connection too) run in thread workers that post
typed messages back; the screen updates itself in the message handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from erp_tui.errors import ErpTuiError, Problem
from erp_tui.screens.css import load_css
from erp_tui.screens.engine_text import engine_text
from erp_tui.screens.i18n import N_, localize, msgn, tr
from erp_tui.screens.widgets.busy import BusyLine
from erp_tui.screens.widgets.keys import KeyBar, localize_bindings

if TYPE_CHECKING:
    from erp_tui.context import AppContext

TEXT = {
    "title": N_("Synchronise › ERP connections"),
    "col_active": N_("Active"),
    "col_priority": N_("Prio"),
    "col_name": N_("Name"),
    "col_test": N_("Last test"),
    "col_sync": N_("Last sync"),
    "col_status": N_("Status"),
    "never": N_("never"),
    "Add": N_("Add"),
    "Configure": N_("Configure"),
    "Mappings": N_("Mappings"),
    "List mapping": N_("List mapping"),
    "Defaults": N_("Defaults"),
    "Rank fields": N_("Rank fields"),
    "Set sync priority": N_("Set sync priority"),
    "Test": N_("Test"),
    "Activate": N_("Activate"),
    "Deactivate": N_("Deactivate"),
    "Delete": N_("Delete"),
    "Refresh": N_("Refresh"),
    "Stop waiting": N_("Stop waiting"),
    "Sync now": N_("Sync now"),
    "Log": N_("Log"),
    "CRM records": N_("CRM records"),
    "Doctor": N_("Doctor"),
    "Dry run": N_("Dry run"),
    "Retry failed records": N_("Retry failed records"),
    "Resync from CRM": N_("Resync from CRM"),
    "Export": N_("Export"),
    "retrying": N_("Retrying the failed records of '{name}'… (Esc: stop waiting)"),
    "retried": N_("✓ Retried the failed records of '{name}': {resolved} resolved, {failing} "
                  "still failing."),
    "resync_title": N_("Resync '{name}' from the CRM?"),
    "resync_question": N_(
        "This pushes the CRM values of every CRM→ERP field to the ERP for every linked "
        "record, ignoring timestamps: ERP values changed since the last sync are "
        "overwritten."),
    "resync_yes": N_("Resync"),
    "resyncing": N_("Pushing the CRM values of '{name}' to the ERP… (Esc: stop waiting)"),
    "resynced": N_("✓ Resync of '{name}' {status}: {pushed} pushed, {errors} errors."),
    "exported": N_("✓ Exported '{name}' to {path} (readable by you only; without secrets)."),
    "empty": N_("No ERP connections yet. Press a to add one."),
    "loading": N_("Opening the configuration store…"),
    "open_failed": N_("✗ The configuration store cannot be opened: {message}  (F10 quits.)"),
    "no_selection": N_("Select a connection first."),
    "active_yes": N_("active (priority {priority})"),
    "active_no": N_("inactive"),
    "scope_everyone": N_("everyone"),
    "scope_chosen": N_("chosen users/groups"),
    "scope_none": N_("scope not set"),
    "detail_test": N_("Last test: {mark} {when} — {message}"),
    "detail_never_tested": N_("Last test: never tested."),
    "detail_sync": N_("Last sync: {when}.  Status: {status}"),
    "run_summary": N_(
        "{status}: {created} created, {updated} updated, {pushed} pushed, {conflicts} "
        "conflicts, {errors} errors"),
    "test_passed": N_("passed"),
    "test_failed": N_("FAILED"),
    "no_status": N_("—"),
    "testing": N_("Testing '{name}'… (Esc: stop waiting)"),
    "activating": N_("Checking and activating '{name}'… (Esc: stop waiting)"),
    "stopped": N_("Stopped waiting; the result will be ignored."),
    "test_ok": N_("✓ Test of '{name}' passed: {message}"),
    "test_bad": N_("✗ Test of '{name}' failed: {message}"),
    "activated": N_("✓ '{name}' is active now."),
    "deactivated": N_(
        "'{name}' is inactive now. Change it, test, OK, then activate it again (space)."),
    "is_active_title": N_("'{name}' is active"),
    "is_active_question": N_(
        "A connection can only be changed while it is inactive:\ndeactivate → change → "
        "test → OK → reactivate.\n\nDeactivate '{name}' now? It stops synchronising until "
        "you activate it again."),
    "deactivate_yes": N_("Deactivate"),
    "deactivate_no": N_("Keep active"),
    "kept_active": N_("'{name}' stays active; nothing was changed."),
    "delete_title": N_("Delete '{name}'?"),
    "delete_question": N_(
        "This deletes the connection and its whole configuration (mappings, list "
        "mapping, defaults). CRM and ERP data are not touched."),
    "delete_yes": N_("Delete"),
    "delete_no": N_("Keep"),
    "deleted": N_("'{name}' was deleted."),
    "saved": N_("✓ Saved."),
    "unavailable": N_("This dialog is not available in this version ({error})."),
    "error": N_("✗ {message}"),
    "unexpected": N_("✗ Unexpected error: {kind}: {message}"),
}

# Shorter words for the key bar (the help and the palette keep the full ones): the Dutch of
# all of them, the source page's button names, took five lines at 80 columns.
KEY_BAR = {
    "connections.rank": N_("Rank"),
    "connections.priority": N_("Priority"),
    "connections.sync_now": N_("Sync"),
}

# Actions that change a connection and therefore need it inactive (rule 1).
_EDIT_ACTIONS = ("configure", "mappings", "list_mapping", "defaults", "rank")
_NEEDS_SELECTION = (*_EDIT_ACTIONS, "test", "activate", "deactivate", "delete", "retry",
                    "resync", "export")

_COLUMNS = ("active", "priority", "name", "test", "sync", "status")
# The columns that give way (down to these widths) so the table never scrolls sideways; the
# detail lines below it show their whole text.
_ELASTIC = {"name": 12, "status": 8}
_RUN_MARKS = {"finished": "✓ ", "cancelled": "⊘ ", "failed": "✗ ", "running": "… ",
              "interrupted": "✗ "}


def when(moment: datetime | None) -> str:
    """A timestamp as shown in lists: local-independent, minutes precision."""
    if moment is None:
        return tr(TEXT, "never")
    return moment.strftime("%Y-%m-%d %H:%M")


def day(moment: datetime | None) -> str:
    if moment is None:
        return tr(TEXT, "never")
    return moment.strftime("%Y-%m-%d")


def test_mark(ok: bool | None) -> str:
    """✓ / ✗ so the outcome never depends on colour alone."""
    if ok is None:
        return ""
    return "✓" if ok else "✗"


def open_dialog(ctx: AppContext, which: str, connection_id: int | None = None, *,
                read_only: bool = False, **focus: Any) -> Screen[Any]:
    """The dialog `which` for a connection, imported lazily (ImportError if not installed);
    `read_only` for an active connection (the dialog offers to deactivate it)."""
    if which == "priority":
        from erp_tui.screens.priority_dialog import SyncPriorityDialog

        return SyncPriorityDialog(ctx)
    if connection_id is None:
        raise ValueError(f"dialog {which!r} needs a connection")
    if which == "configure":
        from erp_tui.screens.connection_dialog import ConnectionDialog

        return ConnectionDialog(ctx, connection_id, read_only=read_only)
    if which == "mappings":
        from erp_tui.screens.mappings_dialog import MappingsDialog

        return MappingsDialog(ctx, connection_id, read_only=read_only, **focus)
    if which == "list_mapping":
        from erp_tui.screens.list_mapping_dialog import ListMappingDialog

        return ListMappingDialog(ctx, connection_id, read_only=read_only, **focus)
    if which == "defaults":
        from erp_tui.screens.defaults_dialog import DefaultsDialog

        return DefaultsDialog(ctx, connection_id, read_only=read_only, **focus)
    if which == "rank":
        from erp_tui.screens.rank_dialog import RankFieldsDialog

        return RankFieldsDialog(ctx, connection_id, read_only=read_only)
    raise ValueError(f"unknown dialog {which!r}")


def fit_widths(natural: dict[str, int], available: int) -> dict[str, int]:
    """Column widths that fit `available` cells: the elastic columns give way, the widest
    first, down to their least width."""
    widths = dict(natural)
    excess = sum(widths.values()) - available
    while excess > 0:
        key = max(_ELASTIC, key=lambda k: widths[k] - min(_ELASTIC[k], natural[k]))
        if widths[key] <= min(_ELASTIC[key], natural[key]):
            break
        widths[key] -= 1
        excess -= 1
    return widths


def run_status(run: Any | None, stored: str) -> tuple[str, str]:
    """(short, full) status of a connection's last run in the UI's language: "✓ finished"
    for the table, "finished: 5 created, …" for the detail line. Without a logged run, the
    status stored with the connection."""
    from erp_tui.screens.log_text import status_label

    if run is None:
        return stored, stored or tr(TEXT, "no_status")
    label = status_label(run.status, run.errors)
    mark = "! " if run.status == "finished" and run.errors else _RUN_MARKS.get(run.status, "")
    full = tr(TEXT, "run_summary", status=label, created=run.created, updated=run.updated,
              pushed=run.pushed, conflicts=run.conflicts, errors=run.errors)
    return mark + label, full


@dataclass(frozen=True)
class _Row:
    id: int
    name: str
    active: bool


class ConnectionsScreen(Screen[None]):
    """The list of ERP connections with the actions of the Sync tab."""

    CSS = load_css("connections.tcss")

    BINDINGS = [
        Binding("a", "add", "Add", id="connections.add"),
        Binding("e", "configure", "Configure", id="connections.configure"),
        Binding("m", "mappings", "Mappings", id="connections.mappings"),
        Binding("l", "list_mapping", "List mapping", id="connections.list_mapping"),
        Binding("d", "defaults", "Defaults", id="connections.defaults"),
        Binding("r", "rank", "Rank fields", id="connections.rank"),
        Binding("p", "priority", "Set sync priority", id="connections.priority"),
        Binding("t", "test", "Test", id="connections.test"),
        Binding("s", "sync_now", "Sync now", id="connections.sync_now"),
        Binding("g", "sync_log", "Log", id="connections.sync_log"),
        Binding("c", "records", "CRM records", id="connections.records"),
        Binding("k", "doctor", "Doctor", show=False, id="connections.doctor"),
        Binding("D", "dry_run", "Dry run", show=False, id="connections.dry_run"),
        Binding("R", "retry", "Retry failed records", show=False, id="connections.retry"),
        Binding("U", "resync", "Resync from CRM", show=False, id="connections.resync"),
        Binding("x", "export", "Export", show=False, id="connections.export"),
        Binding("space", "activate", "Activate", id="connections.activate"),
        Binding("space", "deactivate", "Deactivate", id="connections.deactivate"),
        Binding("delete", "delete", "Delete", id="connections.delete"),
        Binding("f5", "reload", "Refresh", show=False, id="connections.refresh"),
        Binding("escape", "stop_waiting", "Stop waiting", id="connections.stop_waiting"),
    ]

    class TestFinished(Message):
        """A connection test run from this screen has finished."""

        def __init__(self, connection_id: int, name: str, ok: bool, message: str) -> None:
            super().__init__()
            self.connection_id = connection_id
            self.name = name
            self.ok = ok
            self.message = message

    class ActionFinished(Message):
        """A retry or resync run from this screen has finished; `text` says how."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class ActivationFinished(Message):
        """An activation attempt has finished; `problems` is empty when it succeeded."""

        def __init__(self, connection_id: int, name: str, error: str,
                     problems: list[Problem]) -> None:
            super().__init__()
            self.connection_id = connection_id
            self.name = name
            self.error = error
            self.problems = problems

    def __init__(self, ctx: AppContext | None) -> None:
        """`ctx` None: the app is still opening it; `context_ready` follows."""
        super().__init__()
        localize_bindings(self, TEXT)
        self._ctx = ctx
        self._rows: dict[int, _Row] = {}
        self._summaries: dict[int, Any] = {}
        self._statuses: dict[int, tuple[str, str]] = {}
        self._busy = False

    # ---- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(tr(TEXT, "title"), id="title")
        # Names and statuses are shown as typed (Text): a "[" in them is not markup.
        table: DataTable[str | Text] = DataTable(id="connections", cursor_type="row")
        yield table
        yield Static("", id="detail", markup=False)
        yield BusyLine(id="busy")
        yield Static("", id="message", markup=False)
        yield KeyBar(short=KEY_BAR)

    def on_mount(self) -> None:
        table = self.query_one("#connections", DataTable)
        self._set_columns(table, {})
        table.focus()
        if self._ctx is None:
            self.query_one(BusyLine).start(tr(TEXT, "loading"))
            # After the first paint: the screen shows at once, the store opens meanwhile.
            self.call_after_refresh(self._open_context)
        else:
            self.reload()

    def _open_context(self) -> None:
        open_context = getattr(self.app, "open_context", None)
        if open_context is not None:
            open_context()

    @property
    def ctx(self) -> AppContext:
        """The engine context (only used by actions, which are disabled until it is open)."""
        assert self._ctx is not None, "the engine context is not open yet"
        return self._ctx

    @property
    def ready(self) -> bool:
        """Is the engine context open (so the list and the actions are available)?"""
        return self._ctx is not None

    def context_ready(self, ctx: AppContext | None, error: str = "") -> None:
        """The app opened the engine context (or failed to: `error` says why)."""
        self.query_one(BusyLine).stop()
        if ctx is None:
            self._say(tr(TEXT, "open_failed", message=error))
            self.refresh_bindings()
            return
        self._ctx = ctx
        self.reload()

    # ---- data ----------------------------------------------------------------------------

    def reload(self, select_id: int | None = None) -> None:
        """Read the connections again and keep (or move) the selection."""
        if not self.ready:
            return
        from erp_tui.services.connections import list_connections
        from erp_tui.services.erp_values import inert

        table = self.query_one("#connections", DataTable)
        keep = select_id if select_id is not None else self._selected_id()
        rows = list_connections(self.ctx)
        self._rows = {r.id: _Row(r.id, r.name, r.active) for r in rows}
        self._summaries = {r.id: r for r in rows}
        self._statuses = {r.id: run_status(self._last_run(r), r.status) for r in rows}
        cells = {r.id: {
            "active": "✓" if r.active else "",
            "priority": str(r.priority) if r.active else "–",
            "name": inert(r.name),
            "test": f"{test_mark(r.last_test_ok)} {day(r.last_test_at)}".strip()
            if r.last_test_at else tr(TEXT, "never"),
            "sync": day(r.last_sync_at),
            "status": self._statuses[r.id][0]} for r in rows}
        table.clear(columns=True)
        self._set_columns(table, cells)
        for connection_id, row in cells.items():
            # Names and statuses as typed (Text, not markup), cut with "…" when narrowed.
            table.add_row(*(Text(row[key], no_wrap=True, overflow="ellipsis")
                            if key in _ELASTIC else row[key] for key in _COLUMNS),
                          key=str(connection_id))
        if keep is not None and keep in self._rows:
            table.move_cursor(row=table.get_row_index(str(keep)))
        if not rows:
            self._say(tr(TEXT, "empty"))
        self._show_detail()
        self.refresh_bindings()

    def _last_run(self, summary: Any) -> Any | None:
        """The newest logged run of a connection that has synced (None: none logged)."""
        if summary.last_sync_at is None:
            return None
        from erp_tui.runner import recent_runs

        runs = recent_runs(self.ctx, summary.name, limit=1)
        return runs[0] if runs else None

    def _set_columns(self, table: DataTable[Any], cells: dict[int, dict[str, str]]) -> None:
        """The columns, as wide as their texts but never wider than the table together."""
        labels = {key: tr(TEXT, f"col_{key}") for key in _COLUMNS}
        natural = {key: max([Text(labels[key]).cell_len,
                             *(Text(row[key]).cell_len for row in cells.values())])
                   for key in _COLUMNS}
        width = table.size.width or self.app.size.width
        # The vertical scrollbar's column, and the padding around every cell.
        available = width - 1 - 2 * table.cell_padding * len(_COLUMNS)
        widths = fit_widths(natural, available)
        for key in _COLUMNS:
            table.add_column(labels[key], width=widths[key], key=key)

    def on_resize(self) -> None:
        if self.ready:
            self.reload()

    def _selected_id(self) -> int | None:
        table = self.query_one("#connections", DataTable)
        if not self._rows or table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:
            return None
        return int(key.value) if key.value is not None else None

    def selected(self) -> _Row | None:
        """The connection under the cursor."""
        selected = self._selected_id()
        return self._rows.get(selected) if selected is not None else None

    def _show_detail(self) -> None:
        from erp_tui.services.erp_values import inert

        detail = self.query_one("#detail", Static)
        selected = self._selected_id()
        summary = self._summaries.get(selected) if selected is not None else None
        if summary is None:
            detail.update("")
            return
        scope = {"everyone": tr(TEXT, "scope_everyone"),
                 "chosen": tr(TEXT, "scope_chosen")}.get(summary.scope, tr(TEXT, "scope_none"))
        state = (tr(TEXT, "active_yes", priority=summary.priority) if summary.active
                 else tr(TEXT, "active_no"))
        lines = [f"{inert(summary.name)} · {summary.connector} · {state} · {scope}",
                 tr(TEXT, "detail_sync", when=when(summary.last_sync_at),
                    status=self._statuses[summary.id][1])]
        if summary.last_test_at is None:
            lines.append(tr(TEXT, "detail_never_tested"))
        else:
            outcome = tr(TEXT, "test_passed" if summary.last_test_ok else "test_failed")
            lines.append(tr(TEXT, "detail_test", mark=f"{test_mark(summary.last_test_ok)} "
                            f"{outcome}", when=when(summary.last_test_at),
                            message=summary.last_test_message))
        detail.update("\n".join(lines))

    def _say(self, text: str) -> None:
        self.query_one("#message", Static).update(text)

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()
        self.refresh_bindings()

    @on(DataTable.RowSelected)
    def _row_selected(self, _event: DataTable.RowSelected) -> None:
        if self.ready:
            self.action_configure()

    # ---- which actions are available ---------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted:
            return True
        if not self.ready:
            return False if action == "stop_waiting" else None
        row = self.selected()
        if action == "activate":
            return row is not None and not row.active
        if action == "deactivate":
            return row is not None and row.active
        if action == "stop_waiting":
            return self._busy
        if action in _NEEDS_SELECTION and row is None:
            return None
        if action in ("retry", "resync") and (self._busy or not row or not row.active):
            return None
        return True

    # ---- actions -------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.reload()

    def action_add(self) -> None:
        from erp_tui.screens.connection_dialog import ConnectionDialog

        self._push(ConnectionDialog(self.ctx))

    def action_configure(self) -> None:
        self._edit("configure")

    def action_mappings(self) -> None:
        self._edit("mappings")

    def action_list_mapping(self) -> None:
        self._edit("list_mapping")

    def action_defaults(self) -> None:
        self._edit("defaults")

    def action_rank(self) -> None:
        self._edit("rank")

    def action_priority(self) -> None:
        self._open("priority", None)

    def _edit(self, which: str) -> None:
        """Open a configuration dialog; read-only for an active connection (rule 1)."""
        row = self.selected()
        if row is None:
            self._say(tr(TEXT, "no_selection"))
            return
        self._open(which, row.id, read_only=row.active)

    def offer_deactivate(self, row: _Row, then: Callable[[], None]) -> None:
        """Explain rule 1 and offer to deactivate; run `then` once it is inactive."""
        from erp_tui.screens.widgets.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if not yes:
                self._say(tr(TEXT, "kept_active", name=row.name))
                return
            if self._deactivate(row):
                then()

        self.app.push_screen(ConfirmScreen(tr(TEXT, "is_active_title", name=row.name),
                                           tr(TEXT, "is_active_question", name=row.name),
                                           tr(TEXT, "deactivate_yes"), tr(TEXT, "deactivate_no")),
                             callback=answered)

    def _deactivate(self, row: _Row) -> bool:
        from erp_tui.services.connections import deactivate

        try:
            deactivate(self.ctx, row.id)
        except ErpTuiError as exc:
            self._say(tr(TEXT, "error", message=engine_text(exc)))
            return False
        self.reload(row.id)
        self._say(tr(TEXT, "deactivated", name=row.name))
        return True

    def _open(self, which: str, connection_id: int | None, *, read_only: bool = False,
              **focus: Any) -> None:
        try:
            dialog = open_dialog(self.ctx, which, connection_id, read_only=read_only, **focus)
        except ImportError as exc:
            self._say(tr(TEXT, "unavailable", error=str(exc)))
            return
        self._push(dialog)

    def _push(self, dialog: Screen[Any]) -> None:
        self.app.push_screen(dialog, callback=self._dialog_closed)

    def _dialog_closed(self, saved: object) -> None:
        self.reload()
        if saved is True:
            self._say(tr(TEXT, "saved"))

    def action_deactivate(self) -> None:
        row = self.selected()
        if row is not None and row.active:
            self._deactivate(row)

    def action_delete(self) -> None:
        row = self.selected()
        if row is None:
            return
        if row.active:
            self.offer_deactivate(row, lambda: self._confirm_delete(row))
        else:
            self._confirm_delete(row)

    def _confirm_delete(self, row: _Row) -> None:
        from erp_tui.screens.widgets.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            from erp_tui.services.connections import delete_connection

            try:
                delete_connection(self.ctx, row.id)
            except ErpTuiError as exc:
                self._say(tr(TEXT, "error", message=engine_text(exc)))
                return
            self.reload()
            self._say(tr(TEXT, "deleted", name=row.name))

        self.app.push_screen(ConfirmScreen(tr(TEXT, "delete_title", name=row.name),
                                           tr(TEXT, "delete_question"),
                                           tr(TEXT, "delete_yes"), tr(TEXT, "delete_no")),
                             callback=answered)

    # ---- slow actions in workers ---------------------------------------------------------

    def _start_busy(self, text: str) -> None:
        self._busy = True
        self.query_one(BusyLine).start(text)
        self._say("")
        self.refresh_bindings()

    def _stop_busy(self) -> None:
        self._busy = False
        self.query_one(BusyLine).stop()
        self.refresh_bindings()

    def action_stop_waiting(self) -> None:
        self.workers.cancel_group(self, "connection-action")
        self._stop_busy()
        self._say(tr(TEXT, "stopped"))

    def action_test(self) -> None:
        row = self.selected()
        if row is None:
            return
        self._start_busy(tr(TEXT, "testing", name=row.name))
        self._test_worker(row.id, row.name)

    @work(thread=True, exclusive=True, group="connection-action", exit_on_error=False)
    def _test_worker(self, connection_id: int, name: str) -> None:
        from erp_tui.services.connections import test_connection

        try:
            result = test_connection(self.ctx, connection_id)
            ok, message = result.ok, result.user_message
        except ErpTuiError as exc:
            ok, message = False, engine_text(exc)
        except Exception as exc:  # never a traceback in the UI
            ok, message = False, f"{type(exc).__name__}: {exc}"
        if not get_current_worker().is_cancelled:
            self.post_message(self.TestFinished(connection_id, name, ok, message))

    @on(TestFinished)
    def _test_finished(self, event: TestFinished) -> None:
        self._stop_busy()
        self.reload(event.connection_id)
        self._say(tr(TEXT, "test_ok" if event.ok else "test_bad", name=event.name,
                     message=event.message))

    def action_activate(self) -> None:
        row = self.selected()
        if row is None or row.active:
            return
        self.activate(row.id, row.name)

    def activate(self, connection_id: int, name: str) -> None:
        """Activate in a worker; refused activation opens the problems list."""
        self._start_busy(tr(TEXT, "activating", name=name))
        self._activate_worker(connection_id, name)

    @work(thread=True, exclusive=True, group="connection-action", exit_on_error=False)
    def _activate_worker(self, connection_id: int, name: str) -> None:
        from erp_tui.screens.activation_problems import try_activation

        error, problems = try_activation(self.ctx, connection_id)
        if not get_current_worker().is_cancelled:
            self.post_message(self.ActivationFinished(connection_id, name, error, problems))

    @on(ActivationFinished)
    def _activation_finished(self, event: ActivationFinished) -> None:
        self._stop_busy()
        self.reload(event.connection_id)
        if event.error:
            self._say(tr(TEXT, "error", message=event.error))
        elif event.problems:
            from erp_tui.screens.activation_problems import ActivationProblemsScreen

            self._say(localize(msgn(
                "✗ '{name}' cannot be activated: {count} problem. Enter on it goes to its place.",
                "✗ '{name}' cannot be activated: {count} problems. Enter on a problem goes to "
                "its place.", len(event.problems), name=event.name)))
            self.app.push_screen(
                ActivationProblemsScreen(self.ctx, event.connection_id, event.name,
                                         event.problems),
                callback=self._problems_closed)
        else:
            self._say(tr(TEXT, "activated", name=event.name))

    def _problems_closed(self, activated: bool | None) -> None:
        self.reload()
        if activated:
            row = self.selected()
            self._say(tr(TEXT, "activated", name=row.name if row else ""))

    # ---- sync run and log (screens of their own) -----------------------------------------

    def action_sync_now(self) -> None:
        """Sync every active connection in priority order (the run screen shows it)."""
        from erp_tui.screens.run_screen import SyncRunScreen

        self._push(SyncRunScreen(self.ctx, None))

    def action_sync_log(self) -> None:
        """The sync log of the selected connection (all connections when none is selected)."""
        from erp_tui.screens.log_screen import SyncLogScreen

        row = self.selected()
        self._push(SyncLogScreen(self.ctx, row.name if row else None))

    def action_records(self) -> None:
        """The CRM records (companies, persons, projects) with their ERP links."""
        from erp_tui.screens.records_screen import RecordsScreen

        self._push(RecordsScreen(self.ctx))

    def action_doctor(self) -> None:
        """The checks of `erp-tui doctor`: store, key, connectors, connections, runs."""
        from erp_tui.screens.doctor_screen import DoctorScreen

        self._push(DoctorScreen(self.ctx))

    def action_dry_run(self) -> None:
        """A dry run of every active connection: what a sync would change, nothing written."""
        from erp_tui.screens.run_screen import SyncRunScreen

        self._push(SyncRunScreen(self.ctx, None, dry_run=True))

    def action_retry(self) -> None:
        """Retry the open record errors of the selected connection (in a worker)."""
        row = self.selected()
        if row is None or self._busy:
            return
        self._start_busy(tr(TEXT, "retrying", name=row.name))
        self._retry_worker(row.name)

    @work(thread=True, exclusive=True, group="connection-action", exit_on_error=False)
    def _retry_worker(self, name: str) -> None:
        from erp_tui.runner import retry_errors

        def retry() -> str:
            resolved, failing = retry_errors(self.ctx, name)
            return tr(TEXT, "retried", name=name, resolved=resolved, failing=failing)

        text = self._outcome(retry)
        if not get_current_worker().is_cancelled:
            self.post_message(self.ActionFinished(text))

    def action_resync(self) -> None:
        """Push the CRM values of the selected connection to the ERP, after a yes."""
        from erp_tui.screens.widgets.confirm import ConfirmScreen

        row = self.selected()
        if row is None or self._busy:
            return

        def answered(yes: bool | None) -> None:
            if yes and not self._busy:
                self._start_busy(tr(TEXT, "resyncing", name=row.name))
                self._resync_worker(row.name)

        self.app.push_screen(ConfirmScreen(tr(TEXT, "resync_title", name=row.name),
                                           tr(TEXT, "resync_question"), tr(TEXT, "resync_yes"),
                                           default=False),
                             callback=answered)

    @work(thread=True, exclusive=True, group="connection-action", exit_on_error=False)
    def _resync_worker(self, name: str) -> None:
        from erp_tui.runner import resync_from_crm
        from erp_tui.screens.log_text import status_label

        def resync() -> str:
            report = resync_from_crm(self.ctx, name)
            return tr(TEXT, "resynced", name=name,
                      status=status_label(report.status, report.counts.errors),
                      pushed=report.counts.pushed, errors=report.counts.errors)

        text = self._outcome(resync)
        if not get_current_worker().is_cancelled:
            self.post_message(self.ActionFinished(text))

    @staticmethod
    def _outcome(run: Callable[[], str]) -> str:
        """What `run` says, or why it failed (one sentence, never a traceback)."""
        try:
            return run()
        except ErpTuiError as exc:
            return tr(TEXT, "error", message=engine_text(exc))
        except Exception as exc:
            return tr(TEXT, "unexpected", kind=type(exc).__name__, message=str(exc))

    @on(ActionFinished)
    def _action_finished(self, event: ActionFinished) -> None:
        self._stop_busy()
        self.reload()
        self._say(event.text)

    def action_export(self) -> None:
        """Write the selected connection's configuration (no secrets) to the data directory,
        readable by its owner only, as `erp-tui export NAME -o FILE` does."""
        row = self.selected()
        if row is None:
            return
        self._say(self._outcome(lambda: self._export(row.name)))

    def _export(self, name: str) -> str:
        import re

        from erp_tui.services.transfer import export_connection, write_export

        folder = self.ctx.settings.data_dir / "exports"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', name).strip('._') or 'export'}.yaml"
        write_export(path, export_connection(self.ctx, name))
        return tr(TEXT, "exported", name=name, path=str(path))
