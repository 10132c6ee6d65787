"""The one yes/no question of the UI: y or j says yes, n or Escape says no, Enter presses the
focused button (Yes, or No for a question whose safe answer is no)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from erp_tui.screens.i18n import N_, tr
from erp_tui.screens.widgets.keys import localize_bindings
from erp_tui.screens.widgets.modal import Dialog

TEXT = {
    "yes": N_("Yes"),
    "no": N_("No"),
    "Yes": N_("Yes"),
    "No": N_("No"),
}


class ConfirmScreen(Dialog[bool]):
    """Ask one question, under a bold title when `title` is given; dismisses with True (yes)
    or False (no). The button of `default` has the focus, so Enter gives `default`: pass
    `default=False` when yes throws something away."""

    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
    }
    ConfirmScreen > Vertical {
        width: 64;
        max-width: 100%;
        height: auto;
        border: thick $primary;
        background: $panel;
        padding: 0 1;
    }
    ConfirmScreen .title {
        text-style: bold;
    }
    ConfirmScreen .question {
        margin: 1 0;
    }
    ConfirmScreen Horizontal {
        height: auto;
        align-horizontal: right;
    }
    ConfirmScreen Button {
        margin-left: 1;
    }
    """

    BINDINGS = [
        Binding("y,j", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n", "answer(False)", "No", id="confirm.no"),
        Binding("escape", "answer(False)", "No", show=False, id="confirm.escape"),
    ]

    def __init__(self, title: str, question: str, yes: str = "", no: str = "", *,
                 default: bool = True) -> None:
        super().__init__()
        self._default = default
        localize_bindings(self, TEXT)
        self._title = title
        self._question = question
        self._yes = yes or tr(TEXT, "yes")
        self._no = no or tr(TEXT, "no")

    def compose(self) -> ComposeResult:
        with Vertical():
            if self._title:
                yield Static(self._title, classes="title", markup=False)
            yield Static(self._question, classes="question", markup=False)
            with Horizontal():
                yield Button(f"{self._yes} (y)", id="yes", variant="primary")
                yield Button(f"{self._no} (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes" if self._default else "#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class QuitQuestion(ConfirmScreen):
    """"Quit erp-tui?" (the app ignores F10 while it asks)."""
