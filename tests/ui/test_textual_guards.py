"""Keys reaching a Textual widget before its parts exist must not crash the app (Textual 8.2.8
bugs found by the random-key test; see screens/widgets/textual_guards.py)."""

from __future__ import annotations

from textual.widgets import OptionList, Select

import erp_tui.screens.app  # noqa: F401  (installs the guards)


def test_page_keys_before_layout_are_ignored() -> None:
    options = OptionList("first", "second", "third")
    options._move_page(1)  # would raise KeyError without the guard
    options._move_page(-1)
    assert options.highlighted is None or options.highlighted >= 0


def test_select_opened_before_it_is_composed_stays_closed() -> None:
    select = Select([("one", "1"), ("two", "2")])
    select.action_show_overlay()  # would raise NoMatches without the guard
    assert not select.expanded
