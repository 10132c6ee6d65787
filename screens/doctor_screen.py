"""The Doctor screen: the same checks as `erp-tui doctor` (erp_tui.services.doctor), one line
each with a mark that needs no colour (✓ ok, ! warning, ✗ failed). The checks run in a thread
worker (they test the active connections); F5 runs them again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from erp_tui.screens.css import load_css
from erp_tui.screens.engine_text import engine_text
from erp_tui.screens.i18n import N_, localize, msgn, tr
from erp_tui.screens.widgets.busy import BusyLine
from erp_tui.screens.widgets.keys import KeyBar, localize_bindings

if TYPE_CHECKING:
    from erp_tui.context import AppContext
    from erp_tui.services.doctor import Check

TEXT = {
    "title": N_("Synchronise › Doctor"),
    "running": N_("Running the checks…"),
    "all_passed": N_("✓ All {count} checks passed."),
    "failed": N_("✗ {failed} of {count} checks failed."),
    "error": N_("✗ The checks could not run: {message}"),
    "area_data_dir": N_("Data directory"),
    "area_log_file": N_("Log file"),
    "area_connector": N_("Connector"),
    "area_store": N_("Store"),
    "area_secret_key": N_("Secret key"),
    "area_connection": N_("Connection"),
    "area_lock": N_("Run lock"),
    "area_errors": N_("Record errors"),
    "area_last_run": N_("Last run"),
    "Back": N_("Back"),
    "Run again": N_("Run again"),
}

MARKS = {"ok": ("✓", "green"), "warn": ("!", "yellow"), "fail": ("✗", "bold red")}


def check_line(check: Check) -> Text:
    """One check as shown: mark, area, subject and message (all inert text, never markup)."""
    mark, style = MARKS.get(check.status, ("?", ""))
    line = Text()
    line.append(f"{mark} ", style=style)
    key = f"area_{check.area}"
    area = tr(TEXT, key)
    line.append(check.area if area == key else area, style="bold")
    if check.subject:
        line.append(f" {check.subject}")
    line.append(": ")
    line.append(engine_text(check.message))
    return line


class DoctorScreen(Screen[None]):
    """Store, secret key, data directory, connectors, connections, locks, runs and errors."""

    CSS = load_css("doctor_screen.tcss")

    BINDINGS = [
        Binding("escape", "back", "Back", id="doctor.back"),
        Binding("f5", "run_checks", "Run again", id="doctor.run_again"),
    ]

    class ChecksDone(Message):
        """The checks ended: their results, or `error` (one sentence)."""

        def __init__(self, checks: list[Check], error: str) -> None:
            super().__init__()
            self.checks = checks
            self.error = error

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        localize_bindings(self, TEXT)
        self.ctx = ctx
        self.checks: list[Check] = []
        self.running = False

    def compose(self) -> ComposeResult:
        yield Static(tr(TEXT, "title"), id="title")
        yield Static("", id="summary", markup=False)
        yield OptionList(id="checks")
        yield BusyLine(id="busy")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#checks", OptionList).focus()
        self.action_run_checks()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "run_checks" and self.running:
            return None
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_run_checks(self) -> None:
        if self.running:
            return
        self.running = True
        self.query_one(BusyLine).start(tr(TEXT, "running"))
        self.refresh_bindings()
        self._run()

    @work(thread=True, exclusive=True, group="doctor")
    def _run(self) -> None:
        from erp_tui.logs import current_file
        from erp_tui.services import doctor

        try:
            checks = doctor.run_checks(self.ctx.settings, log_file=current_file())
        except Exception as exc:  # run_checks reports problems as checks; this is a bug
            self.post_message(self.ChecksDone([], f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(self.ChecksDone(checks, ""))

    @on(ChecksDone)
    def _done(self, event: ChecksDone) -> None:
        self.running = False
        self.query_one(BusyLine).stop()
        self.refresh_bindings()
        self.checks = event.checks
        options = self.query_one("#checks", OptionList)
        options.clear_options()
        options.add_options([Option(check_line(c)) for c in event.checks])
        summary = self.query_one("#summary", Static)
        if event.error:
            summary.update(tr(TEXT, "error", message=event.error))
            return
        failed = sum(c.status == "fail" for c in event.checks)
        warnings = sum(c.status == "warn" for c in event.checks)
        if failed:
            summary.update(tr(TEXT, "failed", failed=failed, count=len(event.checks)))
        elif warnings:
            summary.update(localize(msgn("✓ All checks passed; {count} warning.",
                                         "✓ All checks passed; {count} warnings.", warnings)))
        else:
            summary.update(tr(TEXT, "all_passed", count=len(event.checks)))

    def summary_text(self) -> str:
        """The summary line as shown (for tests)."""
        return str(self.query_one("#summary", Static).render())
