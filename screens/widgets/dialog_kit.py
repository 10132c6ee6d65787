"""Small dialogs and helpers the configuration dialogs share: a yes/no question, a message with
problems and a searchable picker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from erp_tui.errors import ErpTuiError, StaleEditError, ValidationFailed
from erp_tui.screens.i18n import tr
from erp_tui.screens.widgets.keys import localize_bindings
from erp_tui.screens.widgets.modal import Dialog

TEXT = {
    "en": {
        "yes": "Yes", "no": "No", "ok": "OK", "cancel": "Cancel",
        "filter": "Type to filter", "none": "(none)", "matches": "{shown} of {total}",
        "no_match": "Nothing matches '{text}'.",
        "picker.cancel": "Cancel", "picker.choose": "Choose", "confirm.yes": "Yes",
        "confirm.no": "No", "message.close": "Close",
        "stale": "Someone else changed this connection since you opened it. Nothing was "
                 "saved and your changes are still in the form; close the dialog (Escape, "
                 "then y) and reopen it to start from the current configuration.",
    },
    "nl": {
        "yes": "Ja", "no": "Nee", "ok": "OK", "cancel": "Annuleren",
        "filter": "Typ om te filteren", "none": "(geen)", "matches": "{shown} van {total}",
        "no_match": "Niets komt overeen met '{text}'.",
        "picker.cancel": "Annuleren", "picker.choose": "Kiezen", "confirm.yes": "Ja",
        "confirm.no": "Nee", "message.close": "Sluiten",
        "stale": "Iemand anders heeft deze verbinding gewijzigd sinds u haar opende. Er is "
                 "niets opgeslagen en uw wijzigingen staan nog in het formulier; sluit het "
                 "dialoogvenster (Escape, dan j) en open het opnieuw om met de huidige "
                 "configuratie verder te gaan.",
    },
}


def error_message(error: BaseException) -> str:
    """The sentence(s) to show for an engine error (never a traceback)."""
    from erp_tui.screens.engine_text import engine_text

    if isinstance(error, StaleEditError):
        return f"{engine_text(str(error))}\n{tr(TEXT, 'stale')}"
    if isinstance(error, ValidationFailed):
        lines = [error.summary, *(f"- {engine_text(p.message)}" for p in error.problems)]
        return "\n".join(lines)
    if isinstance(error, ErpTuiError):
        return engine_text(str(error))
    return f"{type(error).__name__}: {error}"


class ConfirmDialog(Dialog[bool]):
    """A yes/no question: `y`/`j` answers yes, `n`/Escape no."""

    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical {
        width: 64; max-width: 100%; height: auto; border: thick $warning;
        background: $surface; padding: 0 1;
    }
    ConfirmDialog #question { width: 100%; margin-bottom: 1; }
    ConfirmDialog Horizontal { height: auto; align-horizontal: right; }
    ConfirmDialog Button { margin-left: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,j", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, yes: str | None = None, no: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.yes_label = yes or tr(TEXT, "yes")
        self.no_label = no or tr(TEXT, "no")
        localize_bindings(self, TEXT)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="question", markup=False)
            with Horizontal():
                yield Button(f"{self.yes_label} (y)", id="yes", variant="warning", compact=True)
                yield Button(f"{self.no_label} (n)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class MessageDialog(Dialog[None]):
    """A message (e.g. every problem of a refused save); Enter or Escape closes it."""

    DEFAULT_CSS = """
    MessageDialog { align: center middle; }
    MessageDialog > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 90%;
        border: thick $error; background: $surface; padding: 0 1;
    }
    MessageDialog #title { text-style: bold; }
    MessageDialog #message { height: auto; max-height: 16; overflow-y: auto; }
    MessageDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", "Close", id="message.close"),
    ]

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        localize_bindings(self, TEXT)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="title", markup=False)
            yield Static(self.message, id="message", markup=False)
            with Horizontal():
                yield Button(tr(TEXT, "ok"), id="ok", compact=True)

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed)
    def _pressed(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class Picked:
    """The picker's answer: `key` None means "(none)" was chosen."""

    key: str | None


class PickerDialog(Dialog[Picked | None]):
    """Choose one of many (CRM field, CRM list item, ERP field): type to filter, arrows to
    move, Enter to choose, Escape to cancel (answers None)."""

    DEFAULT_CSS = """
    PickerDialog { align: center middle; }
    PickerDialog > Vertical {
        width: 64; max-width: 100%; height: 20; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    PickerDialog #title { text-style: bold; width: 100%; }
    PickerDialog #count { color: $text-muted; width: 100%; }
    PickerDialog OptionList { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "focus_list", "List", show=False, id="picker.list"),
    ]

    def __init__(self, title: str, choices: list[tuple[str, str]], current: str | None = None,
                 none_label: str | None = None) -> None:
        """`choices` are (key, text); `none_label` adds a first choice that answers key None."""
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.current = current
        self.none_label = none_label
        localize_bindings(self, TEXT)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="title", markup=False)
            yield Input(placeholder=tr(TEXT, "filter"), id="filter", compact=True)
            yield OptionList(id="options", markup=False)
            yield Label("", id="count", markup=False)

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#filter", Input).focus()

    def _fill(self, text: str) -> None:
        options = self.query_one("#options", OptionList)
        options.clear_options()
        needle = text.strip().lower()
        shown: list[Option] = []
        if self.none_label is not None and not needle:
            shown.append(Option(self.none_label, id="\0none"))
        for key, label in self.choices:
            if not needle or needle in label.lower() or needle in key.lower():
                shown.append(Option(f"{label}  ({key})" if key != label else label, id=key))
        options.add_options(shown)
        highlight = 0
        for index, option in enumerate(shown):
            if option.id == (self.current if self.current is not None else "\0none"):
                highlight = index
                break
        if shown:
            options.highlighted = highlight
        count = self.query_one("#count", Label)
        matched = len(shown) - (1 if self.none_label is not None and not needle else 0)
        count.update(tr(TEXT, "matches", shown=matched, total=len(self.choices)) if shown
                     else tr(TEXT, "no_match", text=text))

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#filter")
    def _submit(self) -> None:
        options = self.query_one("#options", OptionList)
        if options.highlighted is not None:
            option = options.get_option_at_index(options.highlighted)
            self._choose(option.id)

    @on(OptionList.OptionSelected, "#options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    def _choose(self, option_id: str | None) -> None:
        self.dismiss(Picked(None if option_id in (None, "\0none") else option_id))

    def action_focus_list(self) -> None:
        options = self.query_one("#options", OptionList)
        if self.focused is not options:
            options.focus()
            if options.option_count and options.highlighted is not None \
                    and options.highlighted < options.option_count - 1:
                options.highlighted += 1
        else:
            options.action_cursor_down()

    def action_cancel(self) -> None:
        self.dismiss(None)


class MarkedCheckbox(Checkbox):
    """A checkbox whose mark is `X` only when checked, so NO_COLOR still tells on from off
    (Textual's own compact checkbox always shows `X` and changes only its colour)."""

    @property
    def BUTTON_INNER(self) -> str:
        return "X" if self.value else " "

    @BUTTON_INNER.setter
    def BUTTON_INNER(self, _value: str) -> None:
        """The mark follows the value; there is nothing to set."""
