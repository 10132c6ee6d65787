"""Sync priority dialog (Synchronisatieprioriteit instellen): the active connections in order;
the first has the highest priority. Done (Gereed) saves with `set_priority_order`."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import Button, Label, Static

from erp_tui.context import AppContext
from erp_tui.errors import ErpTuiError
from erp_tui.screens.css import load_css
from erp_tui.screens.i18n import N_, tr
from erp_tui.screens.widgets.dialog_kit import (
    EditDialog,
    done_bindings,
    done_cancel_buttons,
    error_message,
    localize,
)
from erp_tui.screens.widgets.keys import KeyBar
from erp_tui.screens.widgets.read_only import titled
from erp_tui.screens.widgets.reorder_list import ReorderItem, ReorderList
from erp_tui.services.connections import (
    ConnectionSummary,
    priority_order,
    set_priority_order,
)

TEXT = {
    "title": N_("Set sync priority"),
    "connection": N_("Active connection (first = highest priority)"),
    "help": N_("shift+↑/↓ move the connection; or space picks it up, ↑/↓ move, space drops."),
    "grabbing": N_("Moving '{name}': ↑/↓ move it, space/Enter/Esc drop it."),
    "position": N_("'{name}' has priority {pos} of {count}."),
    "none": N_(
        "No connection is active. Only active connections have a sync priority; activate "
        "a connection first."),
    "discard": N_("Discard the unsaved priority order?"),
    "save_failed": N_("The priority order was not saved"),
    "read_only": N_("This view is read-only: the order cannot be changed here."),
}


class SyncPriorityDialog(EditDialog[bool]):
    """Synchronisatieprioriteit instellen: answers True when the order was saved."""

    CSS = load_css("priority_dialog.tcss")

    BINDINGS: ClassVar[list[BindingType]] = done_bindings("priority")

    def __init__(self, ctx: AppContext, *, read_only: bool = False) -> None:
        """`read_only` shows the order without letting it change (the priority belongs to all
        active connections, so there is no one connection to deactivate)."""
        super().__init__(TEXT, cancelled=False)
        self.ctx = ctx
        self.read_only = read_only
        self.error = ""
        self.connections: list[ConnectionSummary] = []
        try:
            self.connections = priority_order(ctx)
        except ErpTuiError as exc:
            self.error = error_message(exc)
        self.initial = [c.id for c in self.connections]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(titled(tr(TEXT, "title"), self.read_only), id="title", markup=False)
            if not self.connections:
                yield Static(self.error or tr(TEXT, "none"), id="status", classes="warning",
                             markup=False)
            else:
                yield ReorderList([ReorderItem(str(c.id), c.name, note=c.connector)
                                   for c in self.connections],
                                  label=tr(TEXT, "connection"), note_width=12, id="order")
                yield Static("", id="status", markup=False)
            yield done_cancel_buttons(bool(self.connections))
        yield KeyBar()

    def on_mount(self) -> None:
        if self.connections:
            reorder = self.query_one("#order", ReorderList)
            localize(reorder, TEXT)
            reorder.may_change = self._may_change
            self.query_one("#done", Button).display = not self.read_only
            reorder.focus()
            self._update_status()

    def _may_change(self) -> bool:
        if self.read_only:
            self.query_one("#status", Static).update(tr(TEXT, "read_only"))
        return not self.read_only

    @property
    def read_only_view(self) -> bool:
        return self.read_only and bool(self.connections)

    @property
    def order(self) -> list[int]:
        if not self.connections:
            return []
        return [int(key) for key in self.query_one("#order", ReorderList).order]

    def _update_status(self) -> None:
        reorder = self.query_one("#order", ReorderList)
        if not reorder.items:
            return
        item = reorder.items[reorder.cursor_row]
        first = (tr(TEXT, "grabbing", name=item.label) if reorder.grabbing
                 else tr(TEXT, "help"))
        second = tr(TEXT, "position", name=item.label, pos=reorder.cursor_row + 1,
                    count=len(reorder.items))
        self.query_one("#status", Static).update(f"{first}\n{second}")

    @on(ReorderList.Moved, "#order")
    @on(ReorderList.CursorMoved, "#order")
    @on(ReorderList.GrabChanged, "#order")
    def _changed(self) -> None:
        self._update_status()

    @property
    def dirty(self) -> bool:
        """Has the order changed since the dialog opened?"""
        return self.order != self.initial

    def action_save(self) -> None:
        if not self.dirty:
            self.dismiss(False)
            return
        order = self.order
        if self.attempt(lambda: set_priority_order(self.ctx, order)):
            self.dismiss(True)
