"""The base of every erp-tui dialog: a `ModalScreen` that is dismissed at most once.

Keys typed ahead (a fast typist, a paste, a slow link delivering several keys at once) can ask a
dialog to close twice — Escape right after F10, or a worker's answer arriving while another
dialog is on top. Textual's `dismiss` then resolves the result twice (InvalidStateError) or pops
the screen above (ScreenStackError). A key can also reach a dialog's bindings before the dialog
has composed its widgets. Found by the random-key test; guarded here for all dialogs.
"""

from __future__ import annotations

from typing import TypeVar

from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A modal dialog whose `dismiss` is ignored once it is closing, before it is mounted (a key
    typed ahead of the dialog's appearance), or while another screen is on top of it; its own
    key actions wait until it is mounted. Subclasses that override `check_action` call this one
    first."""

    _dismissing = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No action of the dialog runs before its widgets exist."""
        return self.is_mounted

    def dismiss(self, result: ResultT | None = None) -> AwaitComplete:
        if (self._dismissing or not self.is_attached or not self.is_mounted
                or self.app.screen is not self):
            return AwaitComplete()
        self._dismissing = True
        return super().dismiss(result)
