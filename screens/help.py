"""Help (F1 or ?): the keys of the screen it was opened from, built from that screen's active
bindings, so every screen and dialog gets it without writing its own. A screen whose table uses
marks (`*`, `!`, `·` ...) explains them with a `help_legend()` method; they come first."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Static

from erp_tui.screens.css import load_css
from erp_tui.screens.i18n import N_, tr
from erp_tui.screens.widgets.keys import localize_bindings, visible_bindings
from erp_tui.screens.widgets.modal import Dialog

TEXT = {
    "title": N_("Keys of this screen"),
    "key": N_("Key"),
    "action": N_("Action"),
    "hint": N_("Esc, F1 or q closes. Ctrl+P lists every action in the command palette."),
    "Close": N_("Close"),
    "disabled": N_("(not available now)"),
    "marks": N_("Marks in the table"),
    "keys": N_("Keys"),
}


def screen_keys(screen: Screen[object]) -> list[tuple[str, str]]:
    """(key, description) of every binding active on `screen` that has a description."""
    rows = []
    for key, binding, enabled in visible_bindings(screen, include_hidden=True):
        description = binding.description
        if not enabled:
            description = f"{description} {tr(TEXT, 'disabled')}"
        rows.append((key, description))
    legend = getattr(screen, "help_legend", None)
    if callable(legend):
        # The marks first (they are what the screen cannot show), then the keys; a row
        # without a key is a heading.
        rows = [("", tr(TEXT, "marks")), *legend(), ("", tr(TEXT, "keys")), *rows]
    return rows


class HelpScreen(Dialog[None]):
    """Lists the keys of the screen below it."""

    CSS = load_css("help.tcss")
    AUTO_FOCUS = "#help-keys"

    BINDINGS = [
        Binding("escape", "close", "Close", id="help.close"),
        Binding("f1", "close", "Close", show=False, id="help.close_f1"),
        Binding("q", "close", "Close", show=False, id="help.close_q"),
    ]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        localize_bindings(self, TEXT)
        self._keys = keys

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(tr(TEXT, "title"), id="help-title")
            # Filled here, not in on_mount: keys typed ahead may close the help before it is
            # mounted, and then there is nothing left to query.
            table: DataTable[Text] = DataTable(id="help-keys", cursor_type="row",
                                               zebra_stripes=False)
            table.add_column(tr(TEXT, "key"), key="key")
            table.add_column(tr(TEXT, "action"), key="action")
            for key, description in self._keys:
                # `[` is a key, not markup; a row without a key is a heading.
                table.add_row(Text(key), Text(description, style="" if key else "bold"))
            yield table
            yield Static(tr(TEXT, "hint"), id="help-hint")

    def action_close(self) -> None:
        self.dismiss(None)  # (a key typed ahead of its appearance: Dialog ignores it)
