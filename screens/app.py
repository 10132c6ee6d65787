"""The Textual application: holds the engine context and opens the connections screen.

Screens are imported when first shown (the language is set by then, and `erp-tui --help` or a
cron run never pays for them).

Cold start: `erp-tui` passes an *opener* instead of an opened context. The connections screen is
painted at once (with "Opening the configuration store…"); the opener (importing SQLAlchemy,
SQLModel and pydantic, checking migrations) runs in a thread worker after that first paint, and
the rows appear when it posts `ContextOpened`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from erp_tui.screens.css import load_css
from erp_tui.screens.i18n import N_, guess_language, set_language, tr
from erp_tui.screens.widgets.textual_guards import install_textual_guards

if TYPE_CHECKING:
    from textual.command import CommandListItem
    from textual.widget import AwaitMount

    from erp_tui.context import AppContext

TEXT = {
    "Help": N_("Help"),
    "Quit": N_("Quit"),
    "Commands": N_("Commands"),
    "sub_title": N_("Synchronise"),
    "search_themes": N_("Search for themes…"),
    "search_commands": N_("Search for commands…"),
    "theme": N_("Theme"),
    "theme_help": N_("Change the colours of erp-tui"),
    "quit_question": N_("Quit erp-tui?"),
    "quit_yes": N_("Quit"),
    "quit_no": N_("Cancel"),
}


install_textual_guards()


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
        # Not priority: dialogs bind F10 to Done, and that must win inside a dialog. Quit asks
        # first, so F10 pressed once too often after Done does not leave the app; Ctrl+Q
        # (Textual's own key) quits at once.
        Binding("f10", "ask_quit", "Quit", id="app.quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit_ctrl_q"),
    ]

    # The Sync tab is a mode, so later tabs (log, records) can be modes next to it.
    DEFAULT_MODE = "sync"

    class ContextOpened(Message):
        """The engine context is open (posted by the opener's worker)."""

        def __init__(self, ctx: AppContext) -> None:
            super().__init__()
            self.ctx = ctx

    class ContextFailed(Message):
        """The engine context could not be opened; `message` says why (one sentence)."""

        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    def __init__(self, ctx: AppContext | None = None, language: str | None = None, *,
                 opener: Callable[[], AppContext] | None = None) -> None:
        """Either an opened `ctx`, or an `opener` that opens it in a worker after the first
        paint (then `ctx` is None until `ContextOpened`)."""
        if ctx is None and opener is None:
            raise ValueError("ErpTuiApp needs a context or an opener")
        self.ctx: AppContext | None = ctx
        self._opener = opener
        self.open_error = ""
        set_language(language or (ctx.language() if ctx is not None else guess_language("")))
        # Through a mode (not get_default_screen) so that the screen's own CSS is loaded.
        self.MODES = {"sync": self._connections_screen}  # type: ignore[misc]
        super().__init__()
        from erp_tui.screens.widgets.keys import localize_bindings

        localize_bindings(self, TEXT)
        self.sub_title = tr(TEXT, "sub_title")

    def _connections_screen(self) -> Screen[Any]:
        from erp_tui.screens.connections import ConnectionsScreen

        return ConnectionsScreen(self.ctx)

    # ---- opening the engine context lazily ------------------------------------------------

    def open_context(self) -> None:
        """Start opening the context (called by the first screen once it is painted)."""
        if self.ctx is None and self._opener is not None and not self.open_error:
            self._open_worker(self._opener)

    @work(thread=True, exclusive=True, group="open-context", exit_on_error=False)
    def _open_worker(self, opener: Callable[[], AppContext]) -> None:
        from erp_tui.errors import ErpTuiError
        from erp_tui.i18n import localize

        try:
            ctx = opener()
        except ErpTuiError as exc:
            self.post_message(self.ContextFailed(localize(exc)))
        except Exception as exc:  # never a traceback in the UI
            self.post_message(self.ContextFailed(f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(self.ContextOpened(ctx))

    def on_mount(self) -> None:
        if self.ctx is not None:
            self.call_after_refresh(_freeze_startup_objects)

    @on(ContextOpened)
    def _context_opened(self, event: ContextOpened) -> None:
        self.ctx = event.ctx
        self._tell_screens()
        _freeze_startup_objects()

    @on(ContextFailed)
    def _context_failed(self, event: ContextFailed) -> None:
        self.open_error = event.message
        self._tell_screens()

    def _tell_screens(self) -> None:
        from erp_tui.screens.connections import ConnectionsScreen

        for screen in self.screen_stack:
            if isinstance(screen, ConnectionsScreen):
                screen.context_ready(self.ctx, self.open_error)

    def action_help(self) -> None:
        """Show the keys of the screen in front (not of the help itself)."""
        from erp_tui.screens.help import HelpScreen, screen_keys

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)  # F1 again closes it (not before it is shown: Dialog)
            return
        self.push_screen(HelpScreen(screen_keys(self.screen)))

    def action_ask_quit(self) -> None:
        """Ask "Quit erp-tui?" (Enter or y quits); F10 while it asks does nothing."""
        from erp_tui.screens.widgets.confirm import QuitQuestion

        if isinstance(self.screen, QuitQuestion):
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(QuitQuestion("", tr(TEXT, "quit_question"), tr(TEXT, "quit_yes"),
                                      tr(TEXT, "quit_no")), answered)

    def action_command_palette(self) -> None:
        """Open the command palette, unless one is open already (also under the help)."""
        from textual.command import CommandPalette

        if any(isinstance(screen, CommandPalette) for screen in self.screen_stack):
            return
        if self.use_command_palette:
            from erp_tui.screens.commands import SafeCommandPalette

            self.push_screen(SafeCommandPalette(id="--command-palette",
                                                placeholder=tr(TEXT, "search_commands")))

    def search_themes(self) -> None:
        """The theme picker (system command "Theme"), in the guarded palette too."""
        from textual.theme import ThemeProvider

        from erp_tui.screens.commands import SafeCommandPalette

        self.push_screen(SafeCommandPalette(providers=[ThemeProvider],
                                            placeholder=tr(TEXT, "search_themes")))

    def search_commands(self, commands: Sequence[CommandListItem],
                        placeholder: str = "") -> AwaitMount:
        """A palette over `commands`, in the guarded palette too."""
        from textual.command import Provider, SimpleProvider

        from erp_tui.screens.commands import SafeCommandPalette

        # As Textual's own search_commands: the provider instance stands in for its class.
        provider = cast("type[Provider]", SimpleProvider(self.screen, list(commands)))
        return self.push_screen(SafeCommandPalette(
            providers=[provider], placeholder=placeholder or tr(TEXT, "search_commands")))

    def action_help_question(self) -> None:
        self.action_help()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "help_question":
            # `?` is a character in a text field: only there it is not help.
            from textual.widgets import Input, TextArea

            return not isinstance(self.focused, Input | TextArea)
        return True

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Our actions of the screen in front, and the theme picker (not Textual's generic
        entries: widget cursor keys, its key panel, screenshots)."""
        from erp_tui.screens.commands import screen_commands

        yield from screen_commands(self, screen)
        yield SystemCommand(tr(TEXT, "theme"), tr(TEXT, "theme_help"), self.action_change_theme)


def run_app(ctx: AppContext | None = None, *, opener: Callable[[], AppContext] | None = None,
            language: str | None = None) -> int:
    """Run the UI until the user quits; returns the exit code. With `opener` instead of `ctx`
    the first screen is painted before the engine context is opened."""
    result = ErpTuiApp(ctx, language, opener=opener).run()
    return result or 0


def _freeze_startup_objects() -> None:
    """Exempt everything loaded so far (modules, the store's metadata, the first screen) from
    the cyclic garbage collector: a full collection scanning them took ~80 ms, a visible
    stall on whatever key it happened to follow. Garbage is collected first, so that none is
    kept forever."""
    gc.collect()
    gc.freeze()
