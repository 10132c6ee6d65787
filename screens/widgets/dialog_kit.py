"""What the configuration dialogs share: the Done / Cancel / discard pattern (`EditDialog`), a
message with problems, a searchable picker and the texts they all use."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from erp_tui.contract import FieldType
from erp_tui.errors import ErpTuiError, StaleEditError, ValidationFailed
from erp_tui.screens.i18n import N_, tr
from erp_tui.screens.widgets.confirm import ConfirmScreen
from erp_tui.screens.widgets.keys import localize_bindings
from erp_tui.screens.widgets.modal import Dialog, ResultT

TEXT = {
    "yes": N_("Yes"),
    "no": N_("No"),
    "ok": N_("OK"),
    "cancel": N_("Cancel"),
    "filter": N_("Type to filter"),
    "none": N_("(none)"),
    "matches": N_("{shown} of {total}"),
    "no_match": N_("Nothing matches '{text}'."),
    "picker.cancel": N_("Cancel"),
    "picker.keys": N_("Type to filter · ↑/↓ · Enter chooses · Esc cancels"),
    "picker.choose": N_("Choose"),
    "message.close": N_("Close"),
    "done": N_("Done"),
    "save": N_("Save"),
    "close": N_("Close"),
    "Done": N_("Done"),
    "Save": N_("Save"),
    "Cancel": N_("Cancel"),
    "Close": N_("Close"),
    "OK": N_("OK"),
    "stale_title": N_("Changed by someone else"),
    "reorder.move_up": N_("Move up"),
    "reorder.move_down": N_("Move down"),
    "reorder.grab": N_("Pick up / drop"),
    "hint.integer": N_("a whole number"),
    "hint.double": N_("a number, e.g. 12.5"),
    "hint.date": N_("YYYY-MM-DD"),
    "hint.datetime": N_("YYYY-MM-DD HH:MM"),
    "hint.checkbox": N_("yes or no"),
    "hint.text": N_("text"),
    "hint.list": N_("choose an item"),
    "stale": N_(
        "Someone else changed this connection since you opened it. Nothing was saved and "
        "your changes are still in the form; close the dialog (Escape, then y) and "
        "reopen it to start from the current configuration."),
}


def kit_text(key: str, **values: object) -> str:
    """A text the dialogs share ("done", "cancel", "stale_title", "hint.<type>" ...) in the
    current language."""
    return tr(TEXT, key, **values)


def localize(node: DOMNode, texts: Mapping[str, str]) -> None:
    """Translate `node`'s bindings: the words the dialogs share, then `texts` (which win)."""
    localize_bindings(node, TEXT)
    localize_bindings(node, texts)


def value_hint(field_type: FieldType) -> str:
    """What to type into a field of this type ("" when there is nothing to say)."""
    key = f"hint.{field_type.value}"
    hint = kit_text(key)
    return "" if hint == key else hint


def error_message(error: BaseException) -> str:
    """The sentence(s) to show for an engine error (never a traceback)."""
    from erp_tui.screens.engine_text import engine_text

    if isinstance(error, StaleEditError):
        return f"{engine_text(error)}\n{tr(TEXT, 'stale')}"
    if isinstance(error, ValidationFailed):
        lines = [engine_text(error.summary),
                 *(f"- {engine_text(p.message)}" for p in error.problems)]
        return "\n".join(lines)
    if isinstance(error, ErpTuiError):
        return engine_text(error)
    return f"{type(error).__name__}: {error}"


def done_bindings(prefix: str) -> list[BindingType]:
    """Done (F10, Ctrl+S) and Cancel (Escape) of an `EditDialog`, with ids `<prefix>.done`,
    `<prefix>.save` and `<prefix>.cancel`; in a read-only view F10 is Close
    (`<prefix>.close`)."""
    return [
        Binding("f10", "save", "Done", id=f"{prefix}.done"),
        Binding("f10", "close_view", "Close", id=f"{prefix}.close"),
        Binding("ctrl+s", "save", "Done", id=f"{prefix}.save"),
        Binding("escape", "cancel", "Cancel", id=f"{prefix}.cancel"),
    ]


def done_cancel_buttons(can_save: bool) -> Horizontal:
    """The Done (only when `can_save`) and Cancel buttons of an `EditDialog`."""
    cancel = Button(kit_text("cancel"), id="cancel", compact=True)
    if not can_save:
        return Horizontal(cancel, id="buttons")
    done = Button(kit_text("done"), id="done", variant="primary", compact=True)
    return Horizontal(done, cancel, id="buttons")


class EditDialog(Dialog[ResultT]):
    """The Done / Cancel / discard pattern of the configuration dialogs, written once.

    A dialog gives its text table (`texts`: its binding words, "discard" and "save_failed") and
    what Cancel answers (`cancelled`, or override `cancel_result`); it says what is unsaved
    (`dirty`). Cancel asks the table's "discard" question before it throws changes away. Saves
    run through `attempt`, which shows why the engine refused one. Pressing a button whose id is
    a key of `BUTTON_ACTIONS` runs that action.
    """

    BUTTON_ACTIONS: ClassVar[Mapping[str, str]] = {"done": "save", "cancel": "cancel"}

    def __init__(self, texts: Mapping[str, str],
                 cancelled: ResultT | None = None) -> None:
        super().__init__()
        self.texts = texts
        self._cancelled = cancelled
        localize(self, texts)

    @property
    def dirty(self) -> bool:
        """Are there changes that were not saved?"""
        return False

    @property
    def read_only_view(self) -> bool:
        """Is this the read-only view of an active connection (Done is Close)?"""
        return False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In a read-only view F10 closes instead of saving (never the app's Quit)."""
        if action == "save" and self.read_only_view:
            return False
        if action == "close_view" and not self.read_only_view:
            return False
        return super().check_action(action, parameters)

    def action_close_view(self) -> None:
        """Close the read-only view (nothing can have changed)."""
        self.dismiss(self.cancel_result())

    def discard_question(self) -> str:
        """The question Cancel asks when `dirty`."""
        return tr(self.texts, "discard")

    def cancel_result(self) -> ResultT | None:
        """What the dialog answers when it is cancelled."""
        return self._cancelled

    def when_discarded(self, then: Callable[[], object],
                       otherwise: Callable[[], object] | None = None) -> None:
        """Run `then` at once when nothing is unsaved, else once the user agrees to discard
        the changes (`otherwise` when they keep them)."""
        if not self.dirty:
            then()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                then()
            elif otherwise is not None:
                otherwise()

        self.app.push_screen(ConfirmScreen("", self.discard_question(), default=False), answered)

    def action_cancel(self) -> None:
        """Cancel: close, asking first when there are unsaved changes."""
        self.when_discarded(lambda: self.dismiss(self.cancel_result()))

    def attempt(self, save: Callable[[], object], failed: str = "save_failed") -> bool:
        """Run `save`; when the engine refuses it, show why (a stale edit under its own
        title, anything else under the dialog's text `failed`) and answer False."""
        try:
            save()
        except StaleEditError as exc:
            self.app.push_screen(MessageDialog(kit_text("stale_title"), error_message(exc)))
            return False
        except ErpTuiError as exc:
            self.app.push_screen(MessageDialog(tr(self.texts, failed), error_message(exc)))
            return False
        return True

    @on(Button.Pressed)
    def _button_action(self, event: Button.Pressed) -> None:
        action = self.BUTTON_ACTIONS.get(event.button.id or "")
        if action is not None:
            event.stop()
            getattr(self, f"action_{action}")()


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
    PickerDialog #keys { color: $text-muted; width: 100%; }
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
            yield Label(tr(TEXT, "picker.keys"), id="keys", markup=False)

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
