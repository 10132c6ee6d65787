"""The Sync log screen: three views of what the runner did.

1 Runs — the newest runs (`recent_runs`): id, connection, kind, started, status, counts.
2 Changes — the field changes of the chosen run, read a page at a time as the rows come into
  view (a run can log a million changes: the table paints only visible rows, pages are read by
  key from a neighbouring page, or from the nearer end, never by a long OFFSET).
3 Errors — the open record errors (`open_errors`); space marks rows, `r` retries the marked
  ones, `R` retries all of them (`retry_errors`, in a worker).

Filters: the connection (`name`, cycled with `c`) and a text (`/`) over field and ERP key for
changes, over the message for errors.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static

from erp_tui.screens.change_pages import ChangePages
from erp_tui.screens.css import load_css
from erp_tui.screens.i18n import tr
from erp_tui.screens.log_text import (
    TEXT,
    actor_text,
    changes_head,
    error_text,
    errors_head,
    kind_label,
    retrying_text,
    status_label,
    stored_text,
)
from erp_tui.screens.widgets.grid_table import GridColumn, GridTable
from erp_tui.screens.widgets.keys import KeyBar, localize_bindings
from erp_tui.screens.widgets.numbers import fit_count
from erp_tui.screens.widgets.relabel import relabel
from erp_tui.sync_marks import ChangeKind

if TYPE_CHECKING:
    from erp_tui.context import AppContext
    from erp_tui.runner import LoggedChange, LoggedRun, RecordError

VIEWS = ("runs", "changes", "errors")


def stamp(moment: datetime | None) -> str:
    """A timestamp as listed: minutes precision, as stored (UTC)."""
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else ""


class SyncLogScreen(Screen[None]):
    """Runs, field changes of a run, and open errors with retry."""

    CSS = load_css("log_screen.tcss")

    BINDINGS = [
        Binding("escape", "back", "Back", id="log.back"),
        Binding("1", "view('runs')", "Runs", id="log.runs"),
        Binding("2", "view('changes')", "Changes", id="log.changes"),
        Binding("3", "view('errors')", "Errors", id="log.errors"),
        Binding("v", "next_view", "Next view", show=False, id="log.next_view"),
        Binding("c", "cycle_connection", "Connection", id="log.connection"),
        Binding("slash", "filter", "Filter", id="log.filter"),
        Binding("r", "retry_selected", "Retry selected", id="log.retry_selected"),
        Binding("R", "retry_all", "Retry all", id="log.retry_all"),
        Binding("f5", "refresh", "Refresh", show=False, id="log.refresh"),
    ]

    class RetryFinished(Message):
        """A retry ended: (resolved, failing), or `error` (one sentence)."""

        def __init__(self, resolved: int, failing: int, error: str) -> None:
            super().__init__()
            self.resolved = resolved
            self.failing = failing
            self.error = error

    def __init__(self, ctx: AppContext, name: str | None = None) -> None:
        super().__init__()
        localize_bindings(self, TEXT)
        self.ctx = ctx
        self.name_filter = name
        self.current_view = "runs"
        self.text_filter = ""
        self.runs: list[LoggedRun] = []
        self.errors: list[RecordError] = []
        self.marked: set[int] = set()
        self.run_id: int | None = None
        self.changes: ChangePages | None = None
        self.retrying = False
        self._names: dict[int, str] = {}

    # ---- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(tr(TEXT, "title"), id="title")
        yield Static("", id="tabs")
        yield Static("", id="head", markup=False)
        yield GridTable(self._run_columns(), self._run_cell, self._run_role,
                        cursor_type="row", id="runs")
        yield GridTable(self._change_columns(), self._change_cell, self._change_role,
                        cursor_type="row", id="changes")
        yield GridTable(self._error_columns(), self._error_cell, self._error_role,
                        cursor_type="row", id="errors")
        yield Input(placeholder=tr(TEXT, "filter_placeholder"), id="filter")
        yield Static("", id="detail", markup=False)
        yield Static("", id="message", markup=False)
        yield KeyBar()

    @staticmethod
    def _run_columns() -> list[GridColumn]:
        return [GridColumn("id", tr(TEXT, "col_id"), 4),
                GridColumn("connection", tr(TEXT, "col_connection"), 10, flex=True),
                GridColumn("kind", tr(TEXT, "col_kind"), 6),
                GridColumn("started", tr(TEXT, "col_started"), 16),
                GridColumn("status", tr(TEXT, "col_status"), 26),
                GridColumn("created", tr(TEXT, "col_created"), 5),
                GridColumn("updated", tr(TEXT, "col_updated"), 5)]

    @staticmethod
    def _change_columns() -> list[GridColumn]:
        return [GridColumn("actor", tr(TEXT, "col_actor"), 14),
                GridColumn("key", tr(TEXT, "col_key"), 11),
                GridColumn("crm", tr(TEXT, "col_crm"), 5),
                GridColumn("field", tr(TEXT, "col_field"), 12),
                GridColumn("dir", tr(TEXT, "col_dir"), 5),
                GridColumn("old", tr(TEXT, "col_old"), 10, flex=True),
                GridColumn("new", tr(TEXT, "col_new"), 10, flex=True)]

    @staticmethod
    def _error_columns() -> list[GridColumn]:
        return [GridColumn("mark", tr(TEXT, "col_mark"), 3, align="center"),
                GridColumn("connection", tr(TEXT, "col_connection"), 12),
                GridColumn("actor", tr(TEXT, "col_actor"), 14),
                GridColumn("key", tr(TEXT, "col_key"), 11),
                GridColumn("dir", tr(TEXT, "col_dir"), 5),
                GridColumn("message", tr(TEXT, "col_message"), 10, flex=True)]

    def on_mount(self) -> None:
        relabel(self.query_one("#runs", GridTable), "activate", tr(TEXT, "open_changes"))
        relabel(self.query_one("#changes", GridTable), "activate", show=False)
        relabel(self.query_one("#errors", GridTable), "activate", tr(TEXT, "mark"))
        self.query_one("#filter", Input).display = False
        self._load_names()
        self.reload()
        self.show_view("runs")

    def _load_names(self) -> None:
        from erp_tui.services.connections import list_connections

        self._names = {c.id: c.name for c in list_connections(self.ctx)}

    # ---- data ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Read runs and errors again (changes are read on demand)."""
        from erp_tui.runner import open_errors, recent_runs

        self.runs = recent_runs(self.ctx, self.name_filter, limit=500)
        errors = open_errors(self.ctx, self.name_filter)
        if self.text_filter:
            needle = self.text_filter.casefold()
            errors = [e for e in errors if needle in e.message.casefold()
                      or needle in stored_text(e.message).casefold()]
        self.errors = errors
        self.marked &= {e.id for e in errors}
        if self.run_id is None and self.runs:
            self.run_id = self.runs[0].id
        self._fill()

    def _fill(self) -> None:
        runs = self.query_one("#runs", GridTable)
        runs.set_data(len(self.runs), cursor_row=self._run_index())
        errors = self.query_one("#errors", GridTable)
        errors.set_data(len(self.errors), cursor_row=errors.cursor_row)
        self._load_changes()

    def _run_index(self) -> int:
        for index, run in enumerate(self.runs):
            if run.id == self.run_id:
                return index
        return 0

    def _load_changes(self) -> None:
        grid = self.query_one("#changes", GridTable)
        if self.run_id is None:
            self.changes = None
            grid.set_data(0)
            return
        self.changes = ChangePages(self.ctx, self.run_id, self.text_filter)
        grid.set_data(self.changes.count)

    # ---- views ---------------------------------------------------------------------------

    def show_view(self, view: str) -> None:
        """Show `runs`, `changes` or `errors`."""
        self.current_view = view
        for name in VIEWS:
            self.query_one(f"#{name}", GridTable).display = name == view
        self.query_one(f"#{view}", GridTable).focus()
        self._paint_tabs()
        self._paint_head()
        self._paint_detail()
        self.refresh_bindings()

    def _paint_tabs(self) -> None:
        from rich.text import Text

        tabs = Text()
        for name in VIEWS:
            label = tr(TEXT, f"tab_{name}")
            if name == self.current_view:
                tabs.append(f"▸{label} ", style="bold reverse")
            else:
                tabs.append(f" {label} ")
            tabs.append(" ")
        tabs.append(" " + tr(TEXT, "connection", name=self.name_filter or tr(TEXT, "all")))
        self.query_one("#tabs", Static).update(tabs)

    def _paint_head(self) -> None:
        head = tr(TEXT, "filter", text=self.text_filter) if self.text_filter else tr(
            TEXT, "no_filter")
        if self.current_view == "runs":
            text = "" if self.runs else tr(TEXT, "no_runs")
        elif self.current_view == "changes":
            if self.changes is None:
                text = tr(TEXT, "no_run")
            elif self.text_filter:
                text = changes_head(self.changes.run_id, self.changes.total, self.changes.count)
            elif self.changes.count:
                text = changes_head(self.changes.run_id, self.changes.count)
            else:
                text = tr(TEXT, "no_changes")
        else:
            text = (errors_head(len(self.errors), len(self.marked))
                    if self.errors else tr(TEXT, "no_errors"))
        if self.current_view != "runs":
            text = f"{text}  {head}"
        self.query_one("#head", Static).update(text)

    def _paint_detail(self) -> None:
        self.query_one("#detail", Static).update(self._detail())

    def _detail(self) -> str:
        grid = self.query_one(f"#{self.current_view}", GridTable)
        row = grid.cursor_row
        if self.current_view == "runs":
            if not self.runs:
                return ""
            run = self.runs[row]
            return tr(TEXT, "run_detail", id=run.id, kind=kind_label(run.kind),
                      status=status_label(run.status, run.errors),
                      connection=self._names.get(run.connection_id, "?"),
                      created=run.created, updated=run.updated, pushed=run.pushed,
                      unchanged=run.unchanged, deleted=run.deleted, conflicts=run.conflicts,
                      errors=run.errors, message=self._run_message(run))
        if self.current_view == "changes":
            change = self.changes.row(row) if self.changes is not None else None
            if change is None or self.changes is None:
                return self._no_change_detail()
            if change.field == ChangeKind.RECORD:
                old, new = stored_text(change.old_value or ""), self._record_event(change)
            else:
                old, new = change.old_value or "∅", change.new_value or "∅"
            return tr(TEXT, "change_detail", row=f"{row + 1:,}",
                      count=f"{self.changes.count:,}", actor=actor_text(change.actor_type),
                      erp_key=change.erp_key, field=change.field, dir=change.direction,
                      old=old, new=new)
        if not self.errors:
            return ""
        error = self.errors[min(row, len(self.errors) - 1)]
        return tr(TEXT, "error_detail", connection=self._names.get(error.connection_id, "?"),
                  actor=actor_text(error.actor_type), erp_key=error.erp_key or "—",
                  dir=error.direction,
                  message=stored_text(error.message))

    def _no_change_detail(self) -> str:
        """Why a run without field changes has none: what it created, when it did."""
        if self.changes is None or self.changes.count or self.text_filter:
            return ""
        created = next((r.created for r in self.runs if r.id == self.changes.run_id), 0)
        return tr(TEXT, "only_created", created=created) if created else ""

    @staticmethod
    def _run_message(run: LoggedRun) -> str:
        """A run's message for the detail line; an interrupted run's in the UI's language."""
        if run.status == "interrupted":
            seen = run.last_seen or run.ended or run.started
            return tr(TEXT, "interrupted_detail", who=tr(TEXT, "who", host=run.host or "?",
                                                         pid=run.pid or "?"),
                      seen=seen.strftime("%Y-%m-%d %H:%M:%S UTC"))
        return "" if run.message.startswith(f"{run.status}:") else stored_text(run.message)

    @on(GridTable.CursorMoved)
    def _moved(self, event: GridTable.CursorMoved) -> None:
        if event.grid.id == self.current_view:
            self._paint_detail()

    @on(GridTable.Activated, "#runs")
    def _open_run(self, event: GridTable.Activated) -> None:
        if event.row < len(self.runs):
            self.run_id = self.runs[event.row].id
            self._load_changes()
            self.show_view("changes")

    @on(GridTable.Activated, "#errors")
    def _mark(self, event: GridTable.Activated) -> None:
        if event.row >= len(self.errors):
            return
        self.marked ^= {self.errors[event.row].id}
        grid = event.grid
        grid.refresh()
        grid.move_cursor(row=event.row + 1)
        self._paint_head()

    # ---- cells ---------------------------------------------------------------------------

    def _run_cell(self, row: int, column: int) -> tuple[str, str]:
        if row >= len(self.runs):
            return "", ""
        run = self.runs[row]
        if column == 0:
            return f"{run.id}".rjust(4), ""
        if column == 1:
            return self._names.get(run.connection_id, "?"), ""
        if column == 2:
            return kind_label(run.kind), ""
        if column == 3:
            return stamp(run.started), ""
        if column == 4:
            with_errors = run.status == "finished" and run.errors > 0
            mark = "! " if with_errors else {"finished": "✓ ", "cancelled": "⊘ ",
                                              "failed": "✗ ", "running": "… ",
                                              "interrupted": "✗ "}.get(run.status, "")
            return mark + status_label(run.status, run.errors), (
                "error" if run.status in ("failed", "interrupted") or with_errors else "")
        value = (run.created, run.updated)[column - 5]
        return fit_count(value, 5), ""

    def _run_role(self, row: int) -> str:
        if row < len(self.runs) and self.runs[row].id == self.run_id:
            return "selected"
        return ""

    def _change_cell(self, row: int, column: int) -> tuple[str, str]:
        change = self.changes.row(row) if self.changes is not None else None
        if change is None:
            return "", ""
        if column == 0:
            return actor_text(change.actor_type), ""
        if column == 1:
            return change.erp_key, ""
        if column == 2:
            return (str(change.crm_id) if change.crm_id is not None else ""), "dim"
        if column == 3:
            return change.field, ""
        if column == 4:
            return change.direction + ("!" if change.conflict else ""), (
                "mark" if change.conflict else "")
        if change.field == ChangeKind.RECORD:
            if column == 5:  # what the record was before: "deleted in ERP" for a restore
                return stored_text(change.old_value or ""), "dim"
            return self._record_event(change), "mark"
        value = change.old_value if column == 5 else change.new_value
        return (value if value is not None else "∅"), ("dim" if column == 5 else "")

    @staticmethod
    def _record_event(change: LoggedChange) -> str:
        """A whole-record row (field "*"): created, or what the runner says (deleted in ERP,
        restored in ERP)."""
        if change.new_value in (None, "", "create"):
            return f"+ {tr(TEXT, 'created_record')}"
        return f"* {stored_text(change.new_value or '')}"

    def _change_role(self, row: int) -> str:
        return ""

    def _error_cell(self, row: int, column: int) -> tuple[str, str]:
        if row >= len(self.errors):
            return "", ""
        error = self.errors[row]
        if column == 0:
            return ("[x]", "selected") if error.id in self.marked else ("[ ]", "")
        if column == 1:
            return self._names.get(error.connection_id, "?"), ""
        if column == 2:
            return actor_text(error.actor_type), ""
        if column == 3:
            return error.erp_key or "—", ""
        if column == 4:
            return error.direction, ""
        return stored_text(error.message), "error"

    def _error_role(self, row: int) -> str:
        if row < len(self.errors) and self.errors[row].id in self.marked:
            return "selected"
        return ""

    # ---- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted:  # a key typed ahead of the screen's widgets
            return False
        if action in ("retry_selected", "retry_all"):
            if self.current_view != "errors":
                return False
            if self.retrying or not self.errors:
                return False
            return True if self.marked or action == "retry_all" else None
        if action == "filter":
            return self.current_view != "runs" or None
        return True

    def action_back(self) -> None:
        filter_input = self.query_one("#filter", Input)
        if filter_input.display:
            filter_input.display = False
            self.query_one(f"#{self.current_view}", GridTable).focus()
            return
        self.dismiss(None)

    def action_view(self, view: str) -> None:
        if view in VIEWS:
            self.show_view(view)

    def action_next_view(self) -> None:
        self.show_view(VIEWS[(VIEWS.index(self.current_view) + 1) % len(VIEWS)])

    def action_cycle_connection(self) -> None:
        names = [None, *sorted(self._names.values())]
        at = names.index(self.name_filter) if self.name_filter in names else 0
        self.name_filter = names[(at + 1) % len(names)]
        self.run_id = None
        self.marked.clear()
        self.reload()
        self.show_view(self.current_view)

    def action_filter(self) -> None:
        filter_input = self.query_one("#filter", Input)
        filter_input.value = self.text_filter
        filter_input.display = True
        filter_input.focus()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.apply_filter(event.value)

    def apply_filter(self, text: str) -> None:
        """Filter changes (field, ERP key) and errors (message) by `text` ("" clears)."""
        self.text_filter = text.strip()
        self.query_one("#filter", Input).display = False
        self.reload()
        self.show_view(self.current_view)

    def action_refresh(self) -> None:
        self.reload()
        self.show_view(self.current_view)

    def action_retry_selected(self) -> None:
        if not self.marked:
            self._say(tr(TEXT, "nothing_marked"))
            return
        self._start_retry(sorted(self.marked))

    def action_retry_all(self) -> None:
        self._start_retry(None)

    def _start_retry(self, error_ids: list[int] | None) -> None:
        if self.retrying:
            return
        self.retrying = True
        count = len(error_ids) if error_ids is not None else len(self.errors)
        self._say(retrying_text(count))
        self.refresh_bindings()
        if error_ids is None and self.text_filter:
            error_ids = [e.id for e in self.errors]
        self._retry_worker(self.name_filter, error_ids)

    @work(thread=True, exclusive=True, group="log-retry", exit_on_error=False)
    def _retry_worker(self, name: str | None, error_ids: list[int] | None) -> None:
        from erp_tui.errors import ErpTuiError
        from erp_tui.runner import retry_errors

        try:
            resolved, failing = retry_errors(self.ctx, name, error_ids)
        except ErpTuiError as exc:
            self.post_message(self.RetryFinished(0, 0, tr(TEXT, "failed",
                                                          message=error_text(exc))))
        except Exception as exc:  # never a traceback in the UI
            self.post_message(self.RetryFinished(0, 0, tr(
                TEXT, "unexpected", kind=type(exc).__name__, message=error_text(exc))))
        else:
            self.post_message(self.RetryFinished(resolved, failing, ""))

    @on(RetryFinished)
    def _retried(self, event: RetryFinished) -> None:
        self.retrying = False
        self.marked.clear()
        self.run_id = None
        self.reload()
        self.show_view(self.current_view)
        if event.error:
            self._say(event.error)
        else:
            self._say(tr(TEXT, "retried_bad" if event.failing else "retried",
                         resolved=event.resolved, failing=event.failing))

    def _say(self, text: str) -> None:
        self.query_one("#message", Static).update(text)

    def message_text(self) -> str:
        """The message line as shown (for tests)."""
        return str(self.query_one("#message", Static).render())

    def detail_text(self) -> str:
        """The detail line as shown (for tests)."""
        return str(self.query_one("#detail", Static).render())

    def head_text(self) -> str:
        return str(self.query_one("#head", Static).render())

    def cell_text(self, view: str, row: int, column: int) -> str:
        """The text a view's table shows in a cell (for tests)."""
        renderer: Any = {"runs": self._run_cell, "changes": self._change_cell,
                         "errors": self._error_cell}[view]
        return str(renderer(row, column)[0])
