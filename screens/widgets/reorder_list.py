"""A keyboard list whose items the user re-orders (Velden rangschikken, Synchronisatieprioriteit).

Two ways to move the selected item, so that it works in any terminal:
- `shift+up` / `shift+down` (also `ctrl+up` / `ctrl+down`) move it one place;
- grab mode: `space` picks the item up, `up`/`down` (and `home`/`end`) move it, `space`, `enter`
  or `escape` drop it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message

from erp_tui.screens.i18n import N_, tr
from erp_tui.screens.widgets.grid_table import GridColumn, GridTable

TEXT = {
    "item": N_("Item"),
    "grab": N_("Pick up / drop"),
    "move_up": N_("Move up"),
    "move_down": N_("Move down"),
    "drop": N_("Drop"),
}


@dataclass
class ReorderItem:
    """One item: `dim` items are shown dimmed and carry `note` (so NO_COLOR shows it too)."""

    key: str
    label: str
    dim: bool = False
    note: str = ""


class ReorderList(GridTable):
    """Numbered items in order; the cursor item moves with shift+arrows or in grab mode."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("shift+up,ctrl+up", "move(-1)", "Move up", id="reorder.move_up"),
        Binding("shift+down,ctrl+down", "move(1)", "Move down", id="reorder.move_down"),
        Binding("space", "grab", "Pick up / drop", id="reorder.grab"),
        Binding("enter", "drop", "Drop", show=False, id="reorder.drop"),
        Binding("escape", "drop", "Drop", show=False, id="reorder.drop_escape"),
    ]

    class Moved(Message):
        """The order changed."""

        def __init__(self, reorder: ReorderList) -> None:
            self.reorder = reorder
            super().__init__()

        @property
        def control(self) -> ReorderList:
            return self.reorder

    class GrabChanged(Message):
        """Grab mode was switched on or off."""

        def __init__(self, reorder: ReorderList, grabbing: bool) -> None:
            self.reorder = reorder
            self.grabbing = grabbing
            super().__init__()

        @property
        def control(self) -> ReorderList:
            return self.reorder

    def __init__(self, items: list[ReorderItem] | None = None, *, label: str = "",
                 note_width: int = 18, id: str | None = None,
                 classes: str | None = None) -> None:
        self.items: list[ReorderItem] = list(items or [])
        self.grabbing = False
        # Asked before a move or a pick-up; a read-only dialog answers False (and offers to
        # make itself editable).
        self.may_change: Callable[[], bool] = lambda: True
        columns = [
            GridColumn("pos", "#", 5, align="left"),
            GridColumn("label", label or tr(TEXT, "item"), 30, flex=True),
            GridColumn("note", "", note_width),
        ]
        super().__init__(columns, self._render_cell, self._render_role,
                         row_count=len(self.items), cursor_type="row", id=id, classes=classes)

    # ---- data --------------------------------------------------------------------------------

    @property
    def order(self) -> list[str]:
        """The item keys in their current order."""
        return [item.key for item in self.items]

    def set_items(self, items: list[ReorderItem], cursor_row: int = 0) -> None:
        self.items = list(items)
        self._set_grab(False)
        self.set_data(len(self.items), cursor_row=cursor_row)

    def _render_cell(self, row: int, column: int) -> tuple[str, str]:
        item = self.items[row]
        grabbed = self.grabbing and row == self.cursor_row
        if column == 0:
            return (f"{'↕' if grabbed else ' '}{row + 1:>3}", "grabbed" if grabbed else "")
        if column == 1:
            return item.label, "grabbed" if grabbed else ""
        return item.note, ""

    def _render_role(self, row: int) -> str:
        return "dim" if self.items[row].dim else ""

    # ---- moving ------------------------------------------------------------------------------

    def move(self, delta: int) -> None:
        """Move the cursor item `delta` places (clamped to the ends)."""
        if not self.items:
            return
        index = self.cursor_row
        target = max(0, min(len(self.items) - 1, index + delta))
        if target == index:
            return
        item = self.items.pop(index)
        self.items.insert(target, item)
        self.move_cursor(row=target)
        self.post_message(self.Moved(self))

    def action_move(self, delta: int) -> None:
        if self.may_change():
            self.move(delta)

    def _set_grab(self, grabbing: bool) -> None:
        if grabbing != self.grabbing:
            self.grabbing = grabbing
            self.refresh()
            self.refresh_bindings()
            self.post_message(self.GrabChanged(self, grabbing))

    def action_grab(self) -> None:
        if self.items and (self.grabbing or self.may_change()):
            self._set_grab(not self.grabbing)

    def action_drop(self) -> None:
        self._set_grab(False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "drop":
            return self.grabbing  # otherwise enter/escape go on to the dialog
        return True

    def action_cursor_up(self) -> None:
        if self.grabbing:
            self.move(-1)
        else:
            super().action_cursor_up()

    def action_cursor_down(self) -> None:
        if self.grabbing:
            self.move(1)
        else:
            super().action_cursor_down()

    def action_cursor_home(self) -> None:
        if self.grabbing:
            self.move(-len(self.items))
        else:
            super().action_cursor_home()

    def action_cursor_end(self) -> None:
        if self.grabbing:
            self.move(len(self.items))
        else:
            super().action_cursor_end()

    def action_page_up(self) -> None:
        if self.grabbing:
            self.move(-max(1, self.size.height - 2))
        else:
            super().action_page_up()

    def action_page_down(self) -> None:
        if self.grabbing:
            self.move(max(1, self.size.height - 2))
        else:
            super().action_page_down()

    def on_blur(self) -> None:
        self._set_grab(False)
