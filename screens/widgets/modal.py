"""The base of every erp-tui dialog: a `ModalScreen` that is dismissed at most once.

Keys typed ahead (a fast typist, a paste, a slow link delivering several keys at once) can ask a
dialog to close twice — Escape right after F10, or a worker's answer arriving while another
dialog is on top. Textual's `dismiss` then resolves the result twice (InvalidStateError) or pops
the screen above (ScreenStackError). A key can also reach a dialog's bindings before the dialog
has composed its widgets. Found by the random-key test; guarded here for all dialogs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")

if TYPE_CHECKING:
    from textual.screen import Screen

    _ScreenMixin = Screen[Any]
else:
    # A plain mixin at run time: Textual inherits CSS, bindings and component classes along
    # the first DOM base only, which must stay the screen class it is mixed into.
    _ScreenMixin = object


class DismissOnce(_ScreenMixin):
    """Mixed into a screen (before the screen class): its `dismiss` is ignored once it is
    closing, before it is mounted (a key typed ahead of its appearance), or while another
    screen is on top of it."""

    _dismissing = False

    @property
    def closing(self) -> bool:
        """Has the screen been dismissed (it may still be on the stack a moment longer)?"""
        return self._dismissing

    def dismiss(self, result: Any = None) -> AwaitComplete:
        if (self._dismissing or not self.is_attached or not self.is_mounted
                or self.app.screen is not self):
            return AwaitComplete()
        self._dismissing = True
        return super().dismiss(result)


class Dialog(DismissOnce, ModalScreen[ResultT]):
    """A modal dialog that is dismissed at most once and whose own actions run only while it is
    mounted and open. Subclasses that override `check_action` call this one first."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No action of the dialog runs before its widgets exist, nor once it is closing (a
        palette command picked for it may arrive after Escape closed it)."""
        return self.is_mounted and self.is_attached and not self.closing
