"""Command palette entries: every action of the current screen, from our own active bindings
(those with an id) in the UI's language; the app adds the theme picker. Textual's generic
entries (a widget's cursor keys, its key panel, screenshots) are left out."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from functools import partial
from typing import Any

from textual import on
from textual.app import App, SystemCommand
from textual.command import CommandList, CommandPalette
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, OptionList

from erp_tui.screens.i18n import N_, tr
from erp_tui.screens.widgets.modal import DismissOnce

TEXT = {
    "key": N_("Key: {shortcut}"),
}

# Actions the app itself offers through its own system commands.
_SKIP_ACTIONS = {"command_palette", "app.command_palette"}


def screen_commands(app: App[Any], screen: Screen[Any]) -> Iterable[SystemCommand]:
    """A palette command for every enabled binding of ours (it has an id) of `screen` and the
    app, and for the focused widget's keys that the key bar shows (not its cursor keys)."""
    seen: set[str] = set()
    # Keys the key bar shows first: a description shared with a hidden alias (Ctrl+Q quits at
    # once, F10 asks first) runs what the bar shows.
    bindings = sorted(screen.active_bindings.items(), key=lambda item: not item[1].binding.show)
    for key, active in bindings:
        binding = active.binding
        ours = binding.id and (binding.show or active.node in (screen, app))
        if (not active.enabled or not ours or not binding.description
                or binding.action in _SKIP_ACTIONS):
            continue
        if binding.description in seen:
            continue
        seen.add(binding.description)
        shown = app.get_key_display(binding) if binding.show else key
        yield SystemCommand(binding.description, tr(TEXT, "key", shortcut=shown),
                            partial(app.run_action, binding.action, active.node))


class SafeCommandPalette(DismissOnce, CommandPalette):
    """Textual's command palette, made safe against keys typed ahead (all found by the
    random-key test on Textual 8.2.8):
    - page keys pressed before its list is laid out are ignored (KeyError in
      `OptionList._move_page`);
    - once it is closing, keys do nothing; Enter in its input and picks from its list do
      nothing then, nor while another screen (the help) is in front of it: the palette closed
      the help instead of itself, ran the command anyway, and its next Escape crashed;
    - text typed ahead of its closing starts no search, no search starts in a palette without
      its list (one mounted as the app closes), and commands gathered after it closed are
      dropped (its list was already gone)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return False if self.closing else super().check_action(action, parameters)

    @on(Input.Submitted)
    @on(Button.Pressed)
    @on(OptionList.OptionSelected)
    def _ignore_unless_in_front(self, event: Message) -> None:
        if self.closing or self.app.screen is not self:
            event.prevent_default()  # Textual's own handlers for it do not run
            event.stop()

    @on(Input.Changed)
    def _no_search_once_closing(self, event: Input.Changed) -> None:
        if self.closing:  # a key typed ahead of Escape: its search would find no list
            event.prevent_default()
            event.stop()

    def _gather_commands(self, search_value: str) -> Any:
        # A palette mounted as the app closes (or one closing itself) has no list to fill.
        if self.closing or not self.query(CommandList):
            return None
        return super()._gather_commands(search_value)

    def _watch__list_visible(self) -> None:
        if self.query(CommandList):
            super()._watch__list_visible()

    def _action_command_list(self, action: str) -> None:
        with suppress(KeyError):
            super()._action_command_list(action)
