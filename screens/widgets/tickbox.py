"""A checkbox whose state shows as a glyph (✓ or blank), not only as a colour (NO_COLOR)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox


class TickBox(Checkbox):
    """`Checkbox` showing ✓ when ticked and a blank when not."""

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "✓" if self.value else " "
        return super()._button
