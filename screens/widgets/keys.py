"""Key bindings shared by every screen: translated descriptions and a wrapping key bar.

`localize_bindings(node, TEXT)` gives a node's bindings descriptions in the current language
(looked up in the module's TEXT table by binding id, then by English description), so the key
bar, the help screen and the command palette all show the same words. `KeyBar` lists the active
screen's keys over at most four lines (80 columns hold far fewer actions than the connections
screen has): a screen may give shorter key-bar words, and the app's own keys (help, commands,
quit) are always shown; screen keys that still do not fit are left to the help (F1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from rich.text import Text
from textual.binding import Binding
from textual.dom import DOMNode
from textual.geometry import Size
from textual.widget import Widget

from erp_tui.screens.i18n import gettext

# Ids of the app's own bindings start with this; the key bar never leaves them out.
_APP_PREFIX = "app."


def localize_bindings(node: DOMNode, table: Mapping[str, str]) -> None:
    """Give `node`'s bindings descriptions in the current language from `table`.

    A binding's English text is the module table's entry for its id (`"mappings.done"`), else
    the entry for its description (`"Sync again"`), else the description itself; that text is
    translated through the catalogue. The key bar, the
    help screen and the command palette all show these words.
    """

    def translated(binding: Binding) -> str:
        if not binding.description:
            return binding.description
        english = (table.get(binding.id or "", "") or table.get(binding.description, "")
                   or binding.description)
        return gettext(english)

    bindings = node._bindings
    bindings.key_to_bindings = {
        key: [dataclasses.replace(binding, description=translated(binding))
              for binding in key_bindings]
        for key, key_bindings in bindings.key_to_bindings.items()}


def visible_bindings(node: DOMNode, *, include_hidden: bool = False
                     ) -> list[tuple[str, Binding, bool]]:
    """(key shown, binding, enabled) of every active binding of `node`'s screen that has a
    description, in binding order (the focused widget's first, then the screen's and the app's).

    `include_hidden` adds the screen's and the app's bindings that the key bar leaves out
    (aliases such as `?` for F1), each with its own key.
    """
    screen = node.screen
    app = node.app
    rows: list[tuple[str, Binding, bool]] = []
    hidden: list[tuple[str, Binding, bool]] = []
    seen: set[tuple[str, str]] = set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.description:
            continue
        if not binding.show:
            if include_hidden and active.node in (screen, app) and not key.startswith("super"):
                hidden.append((app.get_key_display(dataclasses.replace(binding, key=key)),
                               binding, active.enabled))
            continue
        marker = (binding.action, binding.description)
        if marker in seen:
            continue
        seen.add(marker)
        rows.append((app.get_key_display(binding), binding, active.enabled))
    return rows + hidden


class KeyBar(Widget):
    """The keys of the current screen at the bottom, wrapped over at most `MAX_LINES` lines (an
    item "key description" is never split).

    `short` maps binding ids to shorter English words for the bar (marked with `N_`, translated
    here); the help and the palette keep the full descriptions. When the items still need more
    lines, the screen's last keys are left out, never the app's."""

    MAX_LINES = 4

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: auto;
        max-height: 4;
        padding: 0 1;
        background: $panel;
        color: $text;
    }
    """

    def __init__(self, *, short: Mapping[str, str] | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._short = dict(short or {})
        self._items: list[tuple[str, str, bool, bool]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._collect()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: object) -> None:
        self._collect()

    def _word(self, binding: Binding) -> str:
        short = self._short.get(binding.id or "")
        return gettext(short) if short else binding.description

    def _collect(self) -> None:
        items = [(key, self._word(binding), enabled, (binding.id or "").startswith(_APP_PREFIX))
                 for key, binding, enabled in visible_bindings(self)]
        if items != self._items:
            self._items = items
            self.refresh(layout=True)

    def words(self) -> list[tuple[str, str]]:
        """(key, word) of every key the bar lists when it has room (a screen's short word
        where it gave one): what a test of the bar looks for."""
        return [(key, word) for key, word, _enabled, _app in self._items]

    def _lines(self, width: int) -> list[Text]:
        """The items laid out in `width`, leaving out screen keys from the end until they fit."""
        items = list(self._items)
        lines = _wrap(items, width)
        while len(lines) > self.MAX_LINES:
            droppable = [i for i, item in enumerate(items) if not item[3]]
            if not droppable:
                break
            del items[droppable[-1]]
            lines = _wrap(items, width)
        return lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(max(1, width)))

    def render(self) -> Text:
        return Text("\n").join(self._lines(max(1, self.content_size.width)))


def _wrap(items: list[tuple[str, str, bool, bool]], width: int) -> list[Text]:
    lines: list[Text] = [Text()]
    for key, description, enabled, _app in items:
        item = Text()
        item.append(key, style="bold reverse" if enabled else "dim reverse")
        item.append(f" {description}", style="" if enabled else "dim")
        line = lines[-1]
        needed = item.cell_len + (2 if line.cell_len else 0)
        if line.cell_len and line.cell_len + needed > width:
            line = Text()
            lines.append(line)
        if line.cell_len:
            line.append("  ")
        line.append_text(item)
    return lines
