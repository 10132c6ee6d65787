"""The Textual application: holds the engine context and opens the connections screen.

Screens are imported when first shown (the language is set by then, and `erp-tui --help` or a
cron run never pays for them).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from erp_tui.context import AppContext
from erp_tui.screens.css import load_css
from erp_tui.screens.i18n import set_language, tr

TEXT = {
    "en": {
        "Help": "Help",
        "Quit": "Quit",
        "Commands": "Commands",
        "sub_title": "Synchronise",
    },
    "nl": {
        "Help": "Help",
        "Quit": "Afsluiten",
        "Commands": "Opdrachten",
        "sub_title": "Synchroniseren",
    },
}


class ErpTuiApp(App[int]):
    """erp-tui's terminal UI."""

    TITLE = "erp-tui"
    CSS = load_css("base.tcss")
    # Ctrl+Enter, Ctrl+H/M/I do not survive SSH/tmux: every action has an F-key or plain key.
    BINDINGS = [
        # Priority, so dialogs (modal screens) get them too; `?` gives way to text inputs.
        Binding("f1", "help", "Help", priority=True, id="app.help"),
        Binding("question_mark", "help_question", "Help", show=False, priority=True,
                id="app.help_question"),
        Binding("ctrl+p", "command_palette", "Commands", priority=True, id="app.commands"),
        # Not priority: dialogs bind F10 to Done, and that must win inside a dialog.
        Binding("f10", "quit", "Quit", id="app.quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit_ctrl_q"),
    ]

    # The Sync tab is a mode, so later tabs (log, records) can be modes next to it.
    DEFAULT_MODE = "sync"

    def __init__(self, ctx: AppContext, language: str | None = None) -> None:
        self.ctx = ctx
        set_language(language or ctx.language())
        # Through a mode (not get_default_screen) so that the screen's own CSS is loaded.
        self.MODES = {"sync": self._connections_screen}  # type: ignore[misc]
        super().__init__()
        from erp_tui.screens.widgets.keys import localize_bindings

        localize_bindings(self, TEXT)
        self.sub_title = tr(TEXT, "sub_title")

    def _connections_screen(self) -> Screen[object]:
        from erp_tui.screens.connections import ConnectionsScreen

        return ConnectionsScreen(self.ctx)

    def action_help(self) -> None:
        """Show the keys of the screen in front (not of the help itself)."""
        from erp_tui.screens.help import HelpScreen, screen_keys

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)  # F1 again closes it
            return
        self.push_screen(HelpScreen(screen_keys(self.screen)))

    def action_help_question(self) -> None:
        self.action_help()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "help_question":
            # `?` is a character in a text field: only there it is not help.
            from textual.widgets import Input, TextArea

            return not isinstance(self.focused, Input | TextArea)
        return True

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        from erp_tui.screens.commands import screen_commands

        yield from screen_commands(self, screen)
        yield from super().get_system_commands(screen)


def run_app(ctx: AppContext) -> int:
    """Run the UI until the user quits; returns the exit code."""
    result = ErpTuiApp(ctx).run()
    return result or 0
