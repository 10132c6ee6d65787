"""How a direction cell and a checkbox cell look, with and without colour.

Three looks of a direction cell, each told apart by its glyphs alone:
- selected: `[>]` `[<]` `[<>]` (blue, bold),
- enabled, not selected: ` > ` ` < ` ` <> ` (white),
- disabled: ` · ` ` ·· ` (grey, dim); its reason is shown in the status line.
"""

from __future__ import annotations

from erp_tui.rules import Direction, DirectionCell


def direction_look(cell: DirectionCell, selected: Direction | None) -> tuple[str, str]:
    """(text, role) of a direction cell; role is a GridTable look."""
    glyph = cell.direction.value
    if selected is cell.direction:
        # A selected direction that the rules no longer allow is shown as an error.
        return f"[{glyph}]", "selected" if cell.enabled else "error"
    if cell.enabled:
        return glyph, "enabled"
    return "·" * len(glyph), "disabled"


def check_look(checked: bool, enabled: bool = True) -> tuple[str, str]:
    """(text, role) of a checkbox cell."""
    return ("[x]" if checked else "[ ]"), ("" if enabled else "disabled")
