"""Page keys reaching an OptionList before it is laid out must not crash the app (a Textual
8.2.8 bug found by the random-key test)."""

from __future__ import annotations

from textual.widgets import OptionList

import erp_tui.screens.app  # noqa: F401  (installs the guard)


def test_page_keys_before_layout_are_ignored() -> None:
    options = OptionList("first", "second", "third")
    options._move_page(1)  # would raise KeyError without the guard
    options._move_page(-1)
    assert options.highlighted is None or options.highlighted >= 0
