"""The Sync run screen: runs the sync (or a dry run) of the active connections in a thread worker
and shows a progress bar and live counts per connection and actor type.

The runner calls the `progress` callback from its own threads; the callback keeps a snapshot
under a lock and posts a typed `RunProgress` message at most ~10 times a second (a timer picks up
the last snapshot, so the final state of a quiet stretch is never lost). Escape sets the
runner's `cancel` event: it stops after the current batch and nothing is lost. Durations and
timestamps are not shown, so the finished screen is deterministic (snapshots).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from erp_tui.screens.css import load_css
from erp_tui.screens.i18n import N_, localize, msgn, tr
from erp_tui.screens.log_text import actor_text, error_text, stored_text
from erp_tui.screens.widgets.grid_table import GridColumn, GridTable
from erp_tui.screens.widgets.keys import KeyBar, localize_bindings
from erp_tui.screens.widgets.numbers import fit_count
from erp_tui.screens.widgets.relabel import relabel
from erp_tui.sync_marks import ChangeKind

if TYPE_CHECKING:
    from erp_tui.context import AppContext
    from erp_tui.runner import Change, Counts, ProgressEvent, RunReport

TEXT = {
    "title": N_("Synchronise › Sync now"),
    "title_dry": N_("Synchronise › Dry run (nothing is written)"),
    "col_name": N_("Connection / actor"),
    "col_created": N_("Created"),
    "col_updated": N_("Updated"),
    "col_pushed": N_("To ERP"),
    "col_unchanged": N_("Same"),
    "col_deleted": N_("Deleted"),
    "col_conflicts": N_("Confl."),
    "col_errors": N_("Errors"),
    "col_connection": N_("Connection"),
    "col_actor": N_("Actor"),
    "col_key": N_("ERP key"),
    "col_crm": N_("CRM"),
    "col_field": N_("Field"),
    "col_dir": N_("Dir"),
    "col_old": N_("Old"),
    "col_new": N_("New"),
    "new_record": N_("new"),
    "starting": N_("Starting…"),
    "running": N_("Syncing {connection} · {actor} · {phase}…  (Esc cancels)"),
    "running_dry": N_("Dry run of {connection} · {actor} · {phase}…  (Esc cancels)"),
    "cancelling": N_("Cancelling after the current batch…"),
    "cancelled": N_("Cancelled. Every finished batch is kept; the next sync does the rest."),
    "finished": N_("✓ Finished."),
    "failed": N_("✗ {message}"),
    "unexpected": N_("✗ Unexpected error: {kind}: {message}"),
    "actors": N_("{done}/{total} actor types"),
    "summary": N_(
        "{connection}: {status} — {created} created, {updated} updated, {pushed} pushed "
        "to ERP, {unchanged} unchanged, {deleted} deleted in ERP, {conflicts} conflicts, "
        "{errors} errors"),
    "status_finished": N_("finished"),
    "status_finished_error": N_("finished with 1 error"),
    "status_finished_errors": N_("finished with {errors} errors"),
    "status_cancelled": N_("cancelled"),
    "status_running": N_("running"),
    "status_failed": N_("failed"),
    "status_dry": N_("dry run"),
    "waiting": N_("waiting"),
    "more_changes": N_("(only the first {kept} of the changes are listed)"),
    "no_changes": N_("No changes: everything is in sync."),
    "Cancel": N_("Cancel"),
    "Close": N_("Close"),
    "Log": N_("Log"),
    "Sync again": N_("Sync again"),
    "Dry run": N_("Dry run"),
    "Changes": N_("Changes"),
}

COUNT_KEYS = ("created", "updated", "pushed", "unchanged", "deleted", "conflicts", "errors")
BAR_WIDTH = 30
UPDATES_PER_SECOND = 10


def progress_bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A text bar with a percentage (glyphs, so it reads without colour)."""
    fraction = max(0.0, min(1.0, fraction))
    filled = round(fraction * width)
    return f"[{'█' * filled}{'░' * (width - filled)}] {int(fraction * 100):3d} %"


def _copy(counts: Counts) -> dict[str, int]:
    return {key: int(getattr(counts, key, 0)) for key in COUNT_KEYS}


@dataclass
class RunState:
    """What the screen shows: one snapshot, copied out of the runner's threads."""

    # (connection, actor type or "") in display order; "" is the connection's total
    rows: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    connection: str = ""
    actor: str = ""
    phase: str = ""
    fraction: float = 0.0
    done_units: int = 0
    total_units: int = 0
    version: int = 0

    def copy(self) -> RunState:
        return RunState(list(self.rows), {k: dict(v) for k, v in self.counts.items()},
                        self.connection, self.actor, self.phase, self.fraction,
                        self.done_units, self.total_units, self.version)

    def ensure(self, connection: str, actor: str) -> None:
        if (connection, "") not in self.counts:
            self.rows.append((connection, ""))
            self.counts[(connection, "")] = dict.fromkeys(COUNT_KEYS, 0)
        if actor and (connection, actor) not in self.counts:
            # after the connection's last actor row
            at = max(i for i, (c, _a) in enumerate(self.rows) if c == connection) + 1
            self.rows.insert(at, (connection, actor))
            self.counts[(connection, actor)] = dict.fromkeys(COUNT_KEYS, 0)

    def total(self, connection: str) -> None:
        self.counts[(connection, "")] = {
            key: sum(v[key] for (c, a), v in self.counts.items() if c == connection and a)
            for key in COUNT_KEYS}

    @property
    def overall(self) -> float:
        if not self.total_units:
            return 0.0
        return min(1.0, (self.done_units + self.fraction) / self.total_units)


def planned_units(ctx: AppContext, names: list[str] | None) -> list[tuple[str, str]]:
    """(connection, actor type) the run will go through, in order (best effort: [] when the
    plan cannot be read; the runner then reports its own problem)."""
    from erp_tui.runner.service import planned_actors

    try:
        return planned_actors(ctx, names)
    except Exception:
        return []


def report_status(report: RunReport) -> str:
    """A connection's run status in the UI's language, with its record errors."""
    errors = report.counts.errors
    if report.dry_run:
        return tr(TEXT, "status_dry")
    if report.status == "finished" and errors == 1:
        return tr(TEXT, "status_finished_error")
    if report.status == "finished" and errors:
        return tr(TEXT, "status_finished_errors", errors=f"{errors:,}")
    if report.status in ("finished", "cancelled", "running", "failed"):
        return tr(TEXT, f"status_{report.status}")
    return localize(report.status)


class SyncRunScreen(Screen[None]):
    """Runs a sync (or a dry run) and shows its progress, counts and outcome."""

    CSS = load_css("run_screen.tcss")

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="run.cancel"),
        Binding("escape", "close", "Close", id="run.close"),
        Binding("l", "log", "Log", id="run.log"),
        Binding("s", "sync_again", "Sync again", id="run.sync"),
        Binding("d", "dry_run", "Dry run", id="run.dry_run"),
        Binding("c", "toggle_changes", "Changes", id="run.changes"),
    ]

    class RunProgress(Message):
        """A snapshot of the running sync (posted from the runner's threads, throttled)."""

        def __init__(self, state: RunState) -> None:
            super().__init__()
            self.state = state

    class RunFinished(Message):
        """The run ended: `reports` when it ran, `error` (one sentence) when it could not."""

        def __init__(self, reports: list[RunReport], error: str) -> None:
            super().__init__()
            self.reports = reports
            self.error = error

    def __init__(self, ctx: AppContext, names: list[str] | None = None,
                 dry_run: bool = False) -> None:
        super().__init__()
        localize_bindings(self, TEXT)
        self.ctx = ctx
        self.names = names
        self.dry_run = dry_run
        self.running = False
        self.cancelling = False
        self.reports: list[RunReport] = []
        self.error = ""
        self._state = RunState()
        self._shown_version = -1
        self._lock = threading.Lock()
        self._shared = RunState()
        self._cancel: threading.Event | None = None
        self._changes: list[tuple[str, Change]] = []
        self._show_changes = False

    # ---- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="title", markup=False)
        yield Static("", id="status", markup=False)
        yield Static("", id="bar", markup=False)
        yield GridTable(self._count_columns(), self._count_cell, self._count_role,
                        cursor_type="row", id="counts")
        yield GridTable(self._change_columns(), self._change_cell, cursor_type="row",
                        id="changes")
        yield Static("", id="summary", markup=False)
        yield KeyBar()

    @staticmethod
    def _count_columns() -> list[GridColumn]:
        return [GridColumn("name", tr(TEXT, "col_name"), 16, flex=True),
                *(GridColumn(key, tr(TEXT, f"col_{key}"), 7) for key in COUNT_KEYS)]

    @staticmethod
    def _change_columns() -> list[GridColumn]:
        return [GridColumn("connection", tr(TEXT, "col_connection"), 10, flex=True),
                GridColumn("actor", tr(TEXT, "col_actor"), 14),
                GridColumn("key", tr(TEXT, "col_key"), 11),
                GridColumn("crm", tr(TEXT, "col_crm"), 5),
                GridColumn("field", tr(TEXT, "col_field"), 10),
                GridColumn("dir", tr(TEXT, "col_dir"), 5),
                GridColumn("old", tr(TEXT, "col_old"), 7, flex=True),
                GridColumn("new", tr(TEXT, "col_new"), 7, flex=True)]

    def on_mount(self) -> None:
        for grid in self.query(GridTable):
            relabel(grid, "activate", show=False)
        self.query_one("#changes", GridTable).display = False
        self.query_one("#counts", GridTable).focus()
        self.set_interval(1 / UPDATES_PER_SECOND, self._pick_up_progress)
        self.start()

    # ---- running -------------------------------------------------------------------------

    def start(self, dry_run: bool | None = None) -> None:
        """Start a run (again), real or dry."""
        if self.running:
            return
        if dry_run is not None:
            self.dry_run = dry_run
        self.running = True
        self.cancelling = False
        self.reports = []
        self.error = ""
        self._changes = []
        self._show_changes = False
        self._cancel = threading.Event()
        self._state = RunState()
        with self._lock:
            self._shared = RunState()
        self._shown_version = -1
        self.query_one("#title", Static).update(tr(TEXT, "title_dry" if self.dry_run
                                                   else "title"))
        self._set_status(tr(TEXT, "starting"))
        self.query_one("#summary", Static).update("")
        self._show_table()
        self._paint()
        self.refresh_bindings()
        self._run_worker(self._cancel, self.dry_run)

    @work(thread=True, exclusive=True, group="sync-run", exit_on_error=False)
    def _run_worker(self, cancel: threading.Event, dry_run: bool) -> None:
        from erp_tui.errors import ErpTuiError
        from erp_tui.runner import RunOptions, run_sync

        units = planned_units(self.ctx, self.names)
        with self._lock:
            for connection, actor in units:
                self._shared.ensure(connection, actor)
            self._shared.total_units = len(units)
            self._shared.version += 1
            planned = self._shared.copy()
        self.post_message(self.RunProgress(planned))
        last_post = [0.0]

        def progress(event: ProgressEvent) -> None:
            with self._lock:
                self._take(event)
                snapshot = self._shared.copy()
            now = time.monotonic()
            if now - last_post[0] >= 1 / UPDATES_PER_SECOND:
                last_post[0] = now
                self.post_message(self.RunProgress(snapshot))

        reports: list[RunReport] = []
        error = ""
        try:
            reports = run_sync(self.ctx, self.names,
                               RunOptions(dry_run=dry_run, cancel=cancel, progress=progress))
        except ErpTuiError as exc:
            error = tr(TEXT, "failed", message=error_text(exc))
        except Exception as exc:  # never a traceback in the UI
            error = tr(TEXT, "unexpected", kind=type(exc).__name__, message=error_text(exc))
        self.post_message(self.RunFinished(reports, error))

    def _take(self, event: ProgressEvent) -> None:
        """Fold one runner event into the shared snapshot (under the lock)."""
        state = self._shared
        state.ensure(event.connection, event.actor_type)
        key = (event.connection, event.actor_type)
        if (state.connection, state.actor) != key:
            if state.connection:
                state.done_units += 1
            state.fraction = 0.0
        state.connection, state.actor, state.phase = key[0], key[1], event.phase
        if event.fraction is not None:
            state.fraction = max(state.fraction, event.fraction)
        state.counts[key] = _copy(event.counts)
        state.total(event.connection)
        state.version += 1

    def _pick_up_progress(self) -> None:
        """The trailing edge of the throttle: show the newest snapshot if not shown yet."""
        if not self.running:
            return
        with self._lock:
            if self._shared.version == self._shown_version:
                return
            snapshot = self._shared.copy()
        self._apply(snapshot)

    @on(RunProgress)
    def _progress(self, event: RunProgress) -> None:
        if self.running and event.state.version > self._shown_version:
            self._apply(event.state)

    def _apply(self, state: RunState) -> None:
        self._state = state
        self._shown_version = state.version
        if not self.cancelling and state.connection:
            self._set_status(tr(TEXT, "running_dry" if self.dry_run else "running",
                                connection=state.connection, actor=actor_text(state.actor),
                                phase=localize(state.phase)))
        self._paint()

    @on(RunFinished)
    def _finished(self, event: RunFinished) -> None:
        self.running = False
        self.reports = event.reports
        self.error = event.error
        state = self._state
        for report in event.reports:
            state.ensure(report.connection, "")
            for actor, counts in report.actors.items():
                state.ensure(report.connection, actor)
                state.counts[(report.connection, actor)] = _copy(counts)
            state.counts[(report.connection, "")] = _copy(report.counts)
            self._changes.extend((report.connection, change) for change in report.changes)
        state.connection = state.actor = ""
        cancelled = any(r.status == "cancelled" for r in event.reports) or (
            self._cancel is not None and self._cancel.is_set())
        if not event.error and not cancelled:
            state.done_units, state.fraction = state.total_units or 1, 0.0
            state.total_units = state.total_units or 1
        if event.error:
            self._set_status(event.error)
        elif cancelled:
            self._set_status(tr(TEXT, "cancelled"))
        else:
            self._set_status(self._finished_text(event.reports))
            self._show_changes = self.dry_run
        self.cancelling = False
        self._paint()
        self._show_table()
        self._show_summary()
        self.refresh_bindings()

    def _finished_text(self, reports: list[RunReport]) -> str:
        """The status of a run that finished: with its record errors when it had any."""
        errors = sum(r.counts.errors for r in reports)
        if self.dry_run:
            changes = sum(len(r.changes) for r in reports)
            if errors:
                return localize(msgn(
                    "! Dry run finished with {count} record error: nothing was written. "
                    "Intended changes: {changes}.",
                    "! Dry run finished with {count} record errors: nothing was written. "
                    "Intended changes: {changes}.", errors, changes=changes))
            return localize(msgn(
                "✓ Dry run finished: nothing was written. {count} intended change.",
                "✓ Dry run finished: nothing was written. {count} intended changes.", changes))
        if errors:
            return localize(msgn("! Finished with {count} record error; l opens the log.",
                                 "! Finished with {count} record errors; l opens the log.",
                                 errors))
        return tr(TEXT, "finished")

    # ---- painting ------------------------------------------------------------------------

    def _set_status(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    def _paint(self) -> None:
        state = self._state
        done = min(state.done_units, state.total_units)
        text = progress_bar(state.overall)
        if state.total_units:
            text += "  " + tr(TEXT, "actors", done=done, total=state.total_units)
        self.query_one("#bar", Static).update(text)
        grid = self.query_one("#counts", GridTable)
        if grid.row_count != len(state.rows):
            grid.set_data(len(state.rows), cursor_row=grid.cursor_row)
        else:
            grid.refresh()

    def _count_cell(self, row: int, column: int) -> tuple[str, str]:
        rows = self._state.rows
        if row >= len(rows):
            return "", ""
        connection, actor = rows[row]
        if column == 0:
            return (f"  {actor_text(actor)}" if actor else connection), ""
        counts = self._state.counts.get((connection, actor), {})
        key = COUNT_KEYS[column - 1]
        value = counts.get(key, 0)
        role = "error" if key == "errors" and value else ("mark" if key == "conflicts"
                                                          and value else "")
        return fit_count(value, 7), role

    def _count_role(self, row: int) -> str:
        rows = self._state.rows
        if row < len(rows) and not rows[row][1]:
            return "selected"
        return ""

    def _change_cell(self, row: int, column: int) -> tuple[str, str]:
        if row >= len(self._changes):
            return "", ""
        connection, change = self._changes[row]
        if column == 0:
            return connection, ""
        if column == 1:
            return actor_text(change.actor_type), ""
        if column == 2:
            return change.erp_key, ""
        if column == 3:
            return (str(change.crm_id) if change.crm_id else tr(TEXT, "new_record")), "dim"
        if column == 4:
            return change.field, ("error" if change.field == ChangeKind.ERROR else "")
        if column == 5:
            return change.direction, ""
        value = (change.old if column == 6 else change.new) or ""
        if change.field in (ChangeKind.RECORD, ChangeKind.ERROR):  # the runner's words
            value = stored_text(value)
        return value, ("dim" if column == 6 else "mark" if change.conflict else "")

    def _show_table(self) -> None:
        counts = self.query_one("#counts", GridTable)
        changes = self.query_one("#changes", GridTable)
        counts.display = not self._show_changes
        changes.display = self._show_changes
        if self._show_changes:
            changes.set_data(len(self._changes))
            changes.focus()
        else:
            counts.focus()

    def _show_summary(self) -> None:
        lines = []
        for report in self.reports:
            lines.append(tr(TEXT, "summary", connection=report.connection,
                            status=report_status(report), **report.counts.as_dict()))
            if report.message:
                lines.append(localize(report.message))
        if self._show_changes:
            if not self._changes:
                lines.append(tr(TEXT, "no_changes"))
            elif any(len(r.changes) < sum(r.counts.as_dict().values()) and len(r.changes)
                     >= 10_000 for r in self.reports):
                lines.append(tr(TEXT, "more_changes", kept=len(self._changes)))
        self.query_one("#summary", Static).update("\n".join(lines))

    # ---- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted:  # a key typed ahead of the screen's widgets
            return False
        if action == "cancel":
            return self.running
        if action == "close":
            return not self.running
        if action in ("log", "sync_again", "dry_run"):
            return None if self.running else True
        if action == "toggle_changes":
            return not self.running and self.dry_run and bool(self.reports)
        return True

    def action_cancel(self) -> None:
        if self.running and self._cancel is not None and not self.cancelling:
            self.cancelling = True
            self._cancel.set()
            self._set_status(tr(TEXT, "cancelling"))

    def action_close(self) -> None:
        if not self.running:
            self.dismiss(None)

    def action_log(self) -> None:
        from erp_tui.screens.log_screen import SyncLogScreen

        names = {r.connection for r in self.reports}
        name = names.pop() if len(names) == 1 else None
        self.app.push_screen(SyncLogScreen(self.ctx, name))

    def action_sync_again(self) -> None:
        self.start(dry_run=False)

    def action_dry_run(self) -> None:
        self.start(dry_run=True)

    def action_toggle_changes(self) -> None:
        self._show_changes = not self._show_changes
        self._show_table()
        self._show_summary()

    def status_text(self) -> str:
        """The status line as shown (for tests)."""
        return str(self.query_one("#status", Static).render())

    def counts_of(self, connection: str, actor: str = "") -> dict[str, Any]:
        """The counts shown for a connection (or one of its actor types)."""
        return dict(self._state.counts.get((connection, actor), {}))
