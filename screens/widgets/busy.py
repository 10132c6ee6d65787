"""A one-line busy indicator: says what is running and how to stop waiting (no animation, so it
stays readable on slow links, with TEXTUAL_ANIMATIONS=none and in snapshots)."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static


class BusyLine(Static):
    """Shows `⏳ text` while something runs; hidden otherwise."""

    DEFAULT_CSS = """
    BusyLine {
        height: 1;
        display: none;
        text-style: bold;
    }
    BusyLine.-busy {
        display: block;
    }
    """

    busy: reactive[bool] = reactive(False)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        # The text names connections as typed: a "[" in a name is not markup.
        super().__init__("", markup=False, id=id, classes=classes)

    def start(self, text: str) -> None:
        self.update(f"⏳ {text}")
        self.busy = True

    def stop(self) -> None:
        self.busy = False
        self.update("")

    def watch_busy(self, busy: bool) -> None:
        self.set_class(busy, "-busy")
