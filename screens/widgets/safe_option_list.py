"""A guard for a Textual 8.2.8 bug: PageUp/PageDown in an OptionList (also the one inside a
Select or the command palette) raise KeyError when they arrive before the list's lines are laid
out. Found by the random-key test; such a key is now ignored. Remove when Textual is fixed."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from textual.widgets import OptionList

_original_move_page = OptionList._move_page


def _move_page(self: OptionList, direction: Any) -> None:
    with suppress(KeyError):
        _original_move_page(self, direction)


def guard_option_list_paging() -> None:
    """Install the guard (idempotent)."""
    OptionList._move_page = _move_page  # type: ignore[method-assign]
