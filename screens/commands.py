"""Command palette entries: every action of the current screen (from its active bindings),
followed by Textual's own system commands (theme, quit, ...)."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from functools import partial
from typing import Any

from textual.app import App, SystemCommand
from textual.command import CommandPalette
from textual.screen import Screen

from erp_tui.screens.i18n import tr

TEXT = {
    "en": {"key": "Key: {shortcut}"},
    "nl": {"key": "Toets: {shortcut}"},
}

# Actions the app itself offers through its own system commands.
_SKIP_ACTIONS = {"command_palette", "app.command_palette"}


def screen_commands(app: App[Any], screen: Screen[Any]) -> Iterable[SystemCommand]:
    """A palette command for every enabled binding of `screen` that has a description."""
    seen: set[str] = set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not active.enabled or not binding.description or binding.action in _SKIP_ACTIONS:
            continue
        if binding.description in seen:
            continue
        seen.add(binding.description)
        shown = app.get_key_display(binding) if binding.show else key
        yield SystemCommand(binding.description, tr(TEXT, "key", shortcut=shown),
                            partial(app.run_action, binding.action, active.node))


class SafeCommandPalette(CommandPalette):
    """Textual's command palette; page keys pressed before its list is laid out are ignored
    (Textual 8.2.8 raises KeyError in `OptionList._move_page` then: found by random keys)."""

    def _action_command_list(self, action: str) -> None:
        with suppress(KeyError):
            super()._action_command_list(action)
