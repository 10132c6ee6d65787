"""Why a connection cannot be activated (rule 9): one line per problem. Enter on a problem opens
the place to fix it (Mappings at the field, List mapping at the list, Defaults at the actor, or
the connection dialog); `a` tries to activate again. Dismisses with True once activated."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from erp_tui.context import AppContext
from erp_tui.errors import ErpTuiError, Problem, ValidationFailed
from erp_tui.screens.css import load_css
from erp_tui.screens.engine_text import engine_text
from erp_tui.screens.i18n import N_, localize, msgn, tr
from erp_tui.screens.log_text import actor_text, error_text
from erp_tui.screens.widgets.busy import BusyLine
from erp_tui.screens.widgets.keys import KeyBar, localize_bindings
from erp_tui.screens.widgets.modal import Dialog
from erp_tui.services.mapping_problems import FIELD_CODES

TEXT = {
    "title": N_("'{name}' cannot be activated"),
    "Go to problem": N_("Go to problem"),
    "Activate again": N_("Activate again"),
    "Close": N_("Close"),
    "goto_mappings": N_("Enter opens Mappings at {actor} › {field}."),
    "goto_mappings_actor": N_("Enter opens Mappings ({actor})."),
    "goto_mappings_any": N_("Enter opens Mappings: tick the actors to synchronise."),
    "goto_list": N_("Enter opens List mapping at list '{list}'."),
    "goto_defaults": N_("Enter opens Defaults for {actor}."),
    "goto_connection": N_("Enter opens the connection dialog (test the connection there)."),
    "activating": N_("Checking and activating again…"),
    "unavailable": N_("This dialog is not available in this version ({error})."),
    "error": N_("✗ {message}"),
}

def target_of(problem: Problem) -> tuple[str, dict[str, Any]]:
    """Which dialog fixes `problem`, and where in it to start."""
    if problem.code in FIELD_CODES:
        return "mappings", {"focus_actor": problem.actor_type or None,
                            "focus_field": problem.field_key or None}
    if problem.code == "list_duplicate":
        return "list_mapping", {"erp_list": problem.list_name or None}
    if problem.code == "default":
        return "defaults", {"actor": problem.actor_type or None}
    if problem.code == "no_actor":
        return "mappings", {}
    if problem.actor_type:
        return "mappings", {"focus_actor": problem.actor_type,
                            "focus_field": problem.field_key or None}
    return "configure", {}


def try_activation(ctx: AppContext, connection_id: int) -> tuple[str, list[Problem]]:
    """Activate the connection: ("", []) when it worked, else the error sentence or the
    problems that refuse it (never a traceback; run it in a worker)."""
    from erp_tui.services.connections import activate

    try:
        activate(ctx, connection_id)
    except ValidationFailed as exc:
        return "", list(exc.problems) or [Problem(exc.summary)]
    except ErpTuiError as exc:
        return error_text(exc), []
    except Exception as exc:  # never a traceback in the UI
        return f"{type(exc).__name__}: {exc}", []
    return "", []


def where_hint(problem: Problem) -> str:
    which, focus = target_of(problem)
    if which == "mappings" and focus.get("focus_field"):
        return tr(TEXT, "goto_mappings", actor=actor_text(focus["focus_actor"]),
                  field=focus["focus_field"])
    if which == "mappings" and focus.get("focus_actor"):
        return tr(TEXT, "goto_mappings_actor", actor=actor_text(focus["focus_actor"]))
    if which == "mappings":
        return tr(TEXT, "goto_mappings_any")
    if which == "list_mapping":
        return tr(TEXT, "goto_list", list=focus.get("erp_list") or "…")
    if which == "defaults":
        return tr(TEXT, "goto_defaults", actor=actor_text(focus.get("actor") or "") or "…")
    return tr(TEXT, "goto_connection")


class ActivationProblemsScreen(Dialog[bool]):
    """The problems that block activation, each a way to its fix."""

    CSS = load_css("activation_problems.tcss")

    BINDINGS = [
        Binding("enter", "go", "Go to problem", priority=True, id="problems.go"),
        Binding("a", "activate", "Activate again", id="problems.activate"),
        Binding("escape", "close", "Close", id="problems.close"),
    ]

    class Activated(Message):
        """The renewed activation attempt finished."""

        def __init__(self, error: str, problems: list[Problem]) -> None:
            super().__init__()
            self.error = error
            self.problems = problems

    def __init__(self, ctx: AppContext, connection_id: int, name: str,
                 problems: list[Problem]) -> None:
        super().__init__()
        localize_bindings(self, TEXT)
        self.ctx = ctx
        self.connection_id = connection_id
        self.connection_name = name
        self.problems = list(problems)
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="problems-box"):
            yield Static(tr(TEXT, "title", name=self.connection_name), id="problems-title",
                         markup=False)
            yield Static("", id="problems-intro", markup=False)
            yield OptionList(id="problems")
            yield Static("", id="problems-where", markup=False)
            yield BusyLine()
            yield KeyBar()

    def on_mount(self) -> None:
        self._fill()
        self.query_one(OptionList).focus()

    def _fill(self) -> None:
        self.query_one("#problems-intro", Static).update(
            localize(msgn("{count} problem. Fix it, then press a to try again.",
                              "{count} problems. Fix each one, then press a to try again.",
                              len(self.problems))))
        options = self.query_one(OptionList)
        options.clear_options()
        for index, problem in enumerate(self.problems, start=1):
            text = Text(f"✗ {index}. {engine_text(problem.message)}")
            options.add_option(Option(text, id=str(index - 1)))
        if self.problems:
            options.highlighted = 0
        self._show_where()

    def current(self) -> Problem | None:
        options = self.query_one(OptionList)
        index = options.highlighted
        if index is None or not 0 <= index < len(self.problems):
            return None
        return self.problems[index]

    def _show_where(self) -> None:
        problem = self.current()
        self.query_one("#problems-where", Static).update(where_hint(problem) if problem else "")

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, _event: OptionList.OptionHighlighted) -> None:
        self._show_where()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_go()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not super().check_action(action, parameters):
            return False
        if action in ("go", "activate") and self._busy:
            return None
        return True

    def action_go(self) -> None:
        problem = self.current()
        if problem is None:
            return
        from erp_tui.screens.connections import open_dialog

        which, focus = target_of(problem)
        try:
            dialog = open_dialog(self.ctx, which, self.connection_id, **focus)
        except ImportError as exc:
            self.query_one("#problems-where", Static).update(
                tr(TEXT, "unavailable", error=str(exc)))
            return
        self.app.push_screen(dialog)

    def action_close(self) -> None:
        if self._busy:
            self.workers.cancel_group(self, "activate-again")
        self.dismiss(False)

    def action_activate(self) -> None:
        self._busy = True
        self.query_one(BusyLine).start(tr(TEXT, "activating"))
        self.refresh_bindings()
        self._activate_worker()

    @work(thread=True, exclusive=True, group="activate-again", exit_on_error=False)
    def _activate_worker(self) -> None:
        error, problems = try_activation(self.ctx, self.connection_id)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Activated(error, problems))

    @on(Activated)
    def _activated(self, event: Activated) -> None:
        self._busy = False
        self.query_one(BusyLine).stop()
        self.refresh_bindings()
        if event.error:
            self.query_one("#problems-where", Static).update(
                tr(TEXT, "error", message=event.error))
            return
        if not event.problems:
            self.dismiss(True)
            return
        self.problems = event.problems
        self._fill()
        self.notify(localize(msgn("Still {count} problem.", "Still {count} problems.",
                                   len(self.problems))))
