"""A keyboard table that renders only the rows on screen (Textual's Line API).

Textual's `DataTable` measures every cell on insert, which costs too much for an actor with
thousands of ERP fields. `GridTable` asks its owner for the text of a cell only when that cell
is painted, so opening a table of any size and moving the cursor cost the same.

The owner supplies `cell(row, column) -> (text, role)` where `role` names a look
(`dim`, `selected`, `enabled`, `disabled`, `error`, `mark`, or "" for plain), and optionally
`row_role(row)` for a look of the whole row. Meaning never rests on colour alone: the owner puts
glyphs in the text (`[<>]`, `·`, `!`, `✗`), the roles only add colour.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

CellRenderer = Callable[[int, int], tuple[str, str]]
RowRole = Callable[[int], str]

ROLES = ("dim", "selected", "enabled", "disabled", "error", "mark", "grabbed")


@dataclass(frozen=True)
class GridColumn:
    """One column: `width` cells wide, or sharing the room left over when `flex`."""

    key: str
    label: str
    width: int = 10
    flex: bool = False
    align: Literal["left", "center"] = "left"
    focusable: bool = True


def fit(text: str, width: int, align: str = "left") -> str:
    """`text` cut or padded to exactly `width` cells; control characters (outside text may
    hold ESC sequences) are shown as spaces, never sent to the terminal."""
    if width <= 0:
        return ""
    if not text.isprintable():
        from erp_tui.services.erp_values import inert

        text = inert(text, max(len(text), 1))
    if cell_len(text) > width:
        out = ""
        for char in text:
            if cell_len(out + char) > width - 1:
                break
            out += char
        return out + "…" + " " * (width - 1 - cell_len(out))
    room = width - cell_len(text)
    if align == "center":
        left = room // 2
        return " " * left + text + " " * (room - left)
    return text + " " * room


class GridTable(ScrollView, can_focus=True):
    """A header line plus rows painted on demand, with a row or cell cursor."""

    DEFAULT_CSS = """
    GridTable {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        & > .grid--header { text-style: bold; color: $text; background: $panel; }
        & > .grid--cursor { background: $accent 40%; text-style: bold; }
        & > .grid--dim { color: $text-muted; text-style: dim; }
        & > .grid--selected { color: $text-primary; text-style: bold; }
        & > .grid--enabled { color: $text; }
        & > .grid--disabled { color: $text-disabled; text-style: dim; }
        & > .grid--error { color: $text-error; text-style: bold; }
        & > .grid--mark { color: $text-warning; text-style: bold; }
        & > .grid--grabbed { color: $text-accent; text-style: bold; }
    }
    GridTable:focus > .grid--cursor { background: $accent; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "grid--header", "grid--cursor", *(f"grid--{role}" for role in ROLES)}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False, id="grid.up"),
        Binding("down", "cursor_down", "Down", show=False, id="grid.down"),
        Binding("left", "cursor_left", "Left", show=False, id="grid.left"),
        Binding("right", "cursor_right", "Right", show=False, id="grid.right"),
        Binding("home", "cursor_home", "First row", show=False, id="grid.home"),
        Binding("end", "cursor_end", "Last row", show=False, id="grid.end"),
        Binding("pageup", "page_up", "Page up", show=False, id="grid.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="grid.page_down"),
        Binding("enter,space", "activate", "Change", id="grid.activate"),
    ]

    class CursorMoved(Message):
        """The cursor moved to (`row`, `column`)."""

        def __init__(self, grid: GridTable, row: int, column: int) -> None:
            self.grid = grid
            self.row = row
            self.column = column
            super().__init__()

        @property
        def control(self) -> GridTable:
            return self.grid

    class Activated(Message):
        """Enter or space on (`row`, `column`)."""

        def __init__(self, grid: GridTable, row: int, column: int) -> None:
            self.grid = grid
            self.row = row
            self.column = column
            super().__init__()

        @property
        def control(self) -> GridTable:
            return self.grid

    def __init__(self, columns: list[GridColumn], cell: CellRenderer,
                 row_role: RowRole | None = None, *, row_count: int = 0,
                 cursor_type: Literal["cell", "row"] = "cell",
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.columns = columns
        self._cell = cell
        self._row_role = row_role
        self.cursor_type = cursor_type
        self.row_count = row_count
        self.cursor_row = 0
        self.cursor_column = self._first_focusable()
        self._widths: list[int] = [c.width for c in columns]

    # ---- data --------------------------------------------------------------------------------

    def set_data(self, row_count: int, cell: CellRenderer | None = None,
                 row_role: RowRole | None = None, cursor_row: int = 0) -> None:
        """Show other rows (e.g. another tab) and put the cursor on `cursor_row`."""
        if cell is not None:
            self._cell = cell
        if row_role is not None:
            self._row_role = row_role
        self.row_count = row_count
        self.cursor_row = max(0, min(cursor_row, row_count - 1)) if row_count else 0
        self._update_virtual_size()
        self.scroll_to(y=0, animate=False, immediate=True)
        self._scroll_cursor_into_view()
        self.refresh()
        self._post_moved()

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.size.width, self.row_count + 1)

    def on_resize(self, event: events.Resize) -> None:
        self._layout_columns(event.size.width)
        self._update_virtual_size()
        self._scroll_cursor_into_view()

    def _layout_columns(self, width: int) -> None:
        usable = max(0, width - 1)  # room for the scrollbar
        gaps = len(self.columns) - 1
        fixed = sum(c.width for c in self.columns if not c.flex) + gaps
        flex = [c for c in self.columns if c.flex]
        spare = max(0, usable - fixed)
        total_weight = sum(c.width for c in flex) or 1
        widths: list[int] = []
        given = 0
        for column in self.columns:
            if column.flex:
                share = max(4, spare * column.width // total_weight)
                widths.append(share)
                given += share
            else:
                widths.append(column.width)
        if flex and given < spare:
            last = max(i for i, c in enumerate(self.columns) if c.flex)
            widths[last] += spare - given
        self._widths = widths

    # ---- painting ----------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y == 0:
            return self._render_header(width, base)
        row = self.scroll_offset.y + y - 1
        if row >= self.row_count or row < 0:
            return Strip.blank(width, base)
        return self._render_row(row, width, base)

    def _render_header(self, width: int, base: Style) -> Strip:
        style = base + self._style("grid--header")
        text = " ".join(fit(c.label, w, c.align) for c, w in zip(self.columns, self._widths,
                                                                   strict=True))
        return Strip([Segment(fit(text, width), style)], width)

    def _render_row(self, row: int, width: int, base: Style) -> Strip:
        row_role = self._row_role(row) if self._row_role else ""
        row_style = base + (self._style(f"grid--{row_role}") if row_role else Style())
        cursor_style = self._style("grid--cursor")
        if self.app.no_color:
            cursor_style += Style(reverse=True)
        on_cursor_row = row == self.cursor_row and self.row_count > 0
        segments: list[Segment] = []
        used = 0
        for index, (column, col_width) in enumerate(zip(self.columns, self._widths,
                                                        strict=True)):
            if index:
                gap_style = row_style + cursor_style if (
                    on_cursor_row and self.cursor_type == "row") else row_style
                segments.append(Segment(" ", gap_style))
                used += 1
            text, role = self._cell(row, index)
            style = row_style + (self._style(f"grid--{role}") if role else Style())
            if on_cursor_row and (self.cursor_type == "row" or index == self.cursor_column):
                style += cursor_style
            segments.append(Segment(fit(text, col_width, column.align), style))
            used += col_width
        if used < width:
            tail = row_style + cursor_style if (on_cursor_row and self.cursor_type == "row") \
                else row_style
            segments.append(Segment(" " * (width - used), tail))
        return Strip(segments).crop_extend(0, width, base)

    # ---- cursor ------------------------------------------------------------------------------

    def _first_focusable(self) -> int:
        for index, column in enumerate(self.columns):
            if column.focusable:
                return index
        return 0

    def move_cursor(self, row: int | None = None, column: int | None = None) -> None:
        """Put the cursor on (`row`, `column`) (clamped) and scroll it into view."""
        if row is not None and self.row_count:
            self.cursor_row = max(0, min(self.row_count - 1, row))
        if column is not None and 0 <= column < len(self.columns) \
                and self.columns[column].focusable:
            self.cursor_column = column
        self._scroll_cursor_into_view()
        self.refresh()
        self._post_moved()

    def _post_moved(self) -> None:
        self.post_message(self.CursorMoved(self, self.cursor_row, self.cursor_column))

    def _scroll_cursor_into_view(self) -> None:
        visible = max(1, self.size.height - 1)
        top = int(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_cursor_left(self) -> None:
        for index in range(self.cursor_column - 1, -1, -1):
            if self.columns[index].focusable:
                self.move_cursor(column=index)
                return

    def action_cursor_right(self) -> None:
        for index in range(self.cursor_column + 1, len(self.columns)):
            if self.columns[index].focusable:
                self.move_cursor(column=index)
                return

    def action_cursor_home(self) -> None:
        self.move_cursor(row=0)

    def action_cursor_end(self) -> None:
        self.move_cursor(row=self.row_count - 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - max(1, self.size.height - 2))

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + max(1, self.size.height - 2))

    def action_activate(self) -> None:
        if self.row_count:
            self.post_message(self.Activated(self, self.cursor_row, self.cursor_column))

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        row = int(self.scroll_offset.y) + event.y - 1
        if row >= self.row_count:
            return
        x = event.x
        column = None
        for index, col_width in enumerate(self._widths):
            if x < col_width:
                column = index
                break
            x -= col_width + 1
        self.move_cursor(row=row, column=column)
        if event.chain == 2:
            self.action_activate()
