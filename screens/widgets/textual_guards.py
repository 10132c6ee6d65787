"""Guards for Textual 8.2.8 widgets against keys that arrive before the widget's own parts are
laid out or composed. Both were found by the random-key test; such a key is now ignored.
Remove each guard when Textual fixes it.

- PageUp/PageDown in an OptionList (also the one inside a Select or the command palette) raise
  KeyError before the list's lines are laid out.
- Enter/Space/Down on a Select raise NoMatches before the Select has composed its current-value
  line and overlay (a dialog is mounted a moment before the Selects in it).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from textual.css.query import NoMatches
from textual.widgets import OptionList, Select

_original_move_page = OptionList._move_page
_original_show_overlay = Select.action_show_overlay


def _move_page(self: OptionList, direction: Any) -> None:
    with suppress(KeyError):
        _original_move_page(self, direction)


def _show_overlay(self: Select[Any]) -> None:
    with suppress(NoMatches):
        _original_show_overlay(self)


def install_textual_guards() -> None:
    """Install the guards (idempotent)."""
    OptionList._move_page = _move_page  # type: ignore[method-assign]
    Select.action_show_overlay = _show_overlay  # type: ignore[method-assign]
