"""Rank fields dialog (Velden rangschikken): the order of an actor's fields on the ERP tab.

Every field is listed; fields not shown on the ERP tab are dimmed and marked "not on tab" (so the
difference survives NO_COLOR). Done (Gereed) saves each changed actor with `save_ranking`.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Label, Static, Tab, Tabs

from erp_tui.context import AppContext
from erp_tui.errors import ErpTuiError
from erp_tui.screens.css import load_css
from erp_tui.screens.i18n import N_, tr
from erp_tui.screens.widgets.actor_tabs import actor_order, in_actor_order
from erp_tui.screens.widgets.dialog_kit import (
    EditDialog,
    done_bindings,
    done_cancel_buttons,
    error_message,
    localize,
)
from erp_tui.screens.widgets.keys import KeyBar
from erp_tui.screens.widgets.read_only import ReadOnlyGate
from erp_tui.screens.widgets.reorder_list import ReorderItem, ReorderList
from erp_tui.services.ranking import RankRow, RankState, load_ranking, save_ranking

TEXT = {
    "title": N_("Rank fields — {name}"),
    "field": N_("Field (order on the ERP tab)"),
    "hidden": N_("not on tab"),
    "missing": N_("✗ not in ERP"),
    "help": N_("shift+↑/↓ move the field; or space picks it up, ↑/↓ move, space drops."),
    "grabbing": N_("Moving '{label}': ↑/↓ move it, space/Enter/Esc drop it."),
    "position": N_("'{label}' is number {pos} of {count}{hidden}."),
    "hidden_note": N_(" (not shown on the ERP tab)"),
    "discard": N_("Discard the unsaved field order?"),
    "save_failed": N_("The field order was not saved"),
    "no_actors": N_("This connection has no fields to rank yet."),
    "rank.prev_tab": N_("Prev actor"),
    "rank.next_tab": N_("Next actor"),
}


class RankFieldsDialog(EditDialog[bool]):
    """Velden rangschikken: answers True when an order was saved, False when cancelled."""

    CSS = load_css("rank_dialog.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        *done_bindings("rank"),
        Binding("left_square_bracket", "switch_tab(-1)", "Prev actor", show=False,
                id="rank.prev_tab"),
        Binding("right_square_bracket", "switch_tab(1)", "Next actor", id="rank.next_tab"),
    ]

    def __init__(self, ctx: AppContext, connection_id: int, *, read_only: bool = False) -> None:
        super().__init__(TEXT, cancelled=False)
        self.ctx = ctx
        self.connection_id = connection_id
        self.state: RankState | None = None
        self.error = ""
        self.connection_name = str(connection_id)
        self.names: dict[str, str] = {}
        try:
            from erp_tui.services.connections import require_connection

            self.connection_name = require_connection(ctx, connection_id).name
            self.names = dict(actor_order(ctx, connection_id))
            self.state = load_ranking(ctx, connection_id)
        except ErpTuiError as exc:
            self.error = error_message(exc)
        self.actors: list[str] = (in_actor_order(list(self.state.tabs), list(self.names.items()))
                                  if self.state else [])
        self.orders: dict[str, list[RankRow]] = dict(self.state.tabs) if self.state else {}
        self.tab_index = 0
        self._gate = ReadOnlyGate(self, ctx, connection_id, self.connection_name,
                                  read_only=read_only, on_editable=self._became_editable)

    def _initial(self) -> dict[str, list[str]]:
        assert self.state is not None
        return {actor: [r.erp_field for r in rows] for actor, rows in self.state.tabs.items()}

    def changed_actors(self) -> list[str]:
        """Actors whose order differs from the saved one."""
        if self.state is None:
            return []
        initial = self._initial()
        return [actor for actor in self.actors
                if [r.erp_field for r in self.orders[actor]] != initial[actor]]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self._title(), id="title", markup=False)
            if not self.actors:
                yield Static(self.error or tr(TEXT, "no_actors"), id="status", classes="error",
                             markup=False)
            else:
                yield Tabs(*[Tab(Content(self.names.get(actor, actor)), id=f"actor-{i}")
                             for i, actor in enumerate(self.actors)], id="actors")
                yield ReorderList(label=tr(TEXT, "field"), note_width=14, id="fields")
                yield Static("", id="status", markup=False)
            yield done_cancel_buttons(bool(self.actors))
        yield KeyBar()

    def _title(self) -> str:
        return self._gate.title(tr(TEXT, "title", name=self.connection_name))

    def on_mount(self) -> None:
        if self.actors:
            reorder = self.query_one("#fields", ReorderList)
            localize(reorder, TEXT)
            reorder.may_change = self._gate.allow
            self._gate.show(self._title(), "#done")
            self._show(0)
            reorder.focus()

    @property
    def read_only_view(self) -> bool:
        return self._gate.read_only

    def _became_editable(self) -> None:
        """The connection was deactivated: reload (its version changed) and allow changes."""
        try:
            self.state = load_ranking(self.ctx, self.connection_id)
        except ErpTuiError as exc:
            self.query_one("#status", Static).update(error_message(exc))
            return
        self.orders = dict(self.state.tabs)
        cursor = self.query_one("#fields", ReorderList).cursor_row
        self._gate.show(self._title(), "#done")
        self._show(self.tab_index, cursor)

    def _items(self, actor: str) -> list[ReorderItem]:
        items = []
        for row in self.orders[actor]:
            note = tr(TEXT, "missing") if row.missing else (
                "" if row.shown else tr(TEXT, "hidden"))
            items.append(ReorderItem(row.erp_field, row.label, dim=not row.shown or row.missing,
                                     note=note))
        return items

    def _show(self, index: int, cursor_row: int = 0) -> None:
        self.tab_index = index
        items = self._items(self.actors[index])
        self.query_one("#fields", ReorderList).set_items(
            items, min(cursor_row, max(len(items) - 1, 0)))
        self._update_status()

    def _store_order(self) -> None:
        """Copy the widget's order back into `orders` for the current actor."""
        actor = self.actors[self.tab_index]
        by_key = {row.erp_field: row for row in self.orders[actor]}
        self.orders[actor] = [by_key[key] for key in self.query_one("#fields", ReorderList).order]

    def _update_status(self) -> None:
        reorder = self.query_one("#fields", ReorderList)
        status = self.query_one("#status", Static)
        if not reorder.items:
            status.update(tr(TEXT, "help"))
            return
        item = reorder.items[reorder.cursor_row]
        first = tr(TEXT, "grabbing", label=item.label) if reorder.grabbing else tr(TEXT, "help")
        second = tr(TEXT, "position", label=item.label, pos=reorder.cursor_row + 1,
                    count=len(reorder.items), hidden=tr(TEXT, "hidden_note") if item.dim else "")
        status.update(f"{first}\n{second}")

    @on(ReorderList.Moved, "#fields")
    def _moved(self) -> None:
        self._store_order()
        self._update_status()

    @on(ReorderList.CursorMoved, "#fields")
    @on(ReorderList.GrabChanged, "#fields")
    def _cursor(self) -> None:
        self._update_status()

    @on(Tabs.TabActivated, "#actors")
    def _tab(self, event: Tabs.TabActivated) -> None:
        if event.tab.id is not None:
            index = int(event.tab.id.split("-")[1])
            if index != self.tab_index:
                self._show(index)

    def action_switch_tab(self, delta: int) -> None:
        if self.actors:
            index = (self.tab_index + delta) % len(self.actors)
            self.query_one("#actors", Tabs).active = f"actor-{index}"

    @property
    def dirty(self) -> bool:
        """Are there changes that were not saved?"""
        return bool(self.changed_actors())

    def action_save(self) -> None:
        state = self.state
        if state is None:
            self.dismiss(False)
            return
        if self._gate.read_only:  # nothing can have changed: Done closes the view
            self.dismiss(self.cancel_result())
            return
        saved = False
        for actor in self.changed_actors():
            order = [r.erp_field for r in self.orders[actor]]

            def save(actor: str = actor, order: list[str] = order) -> None:
                state.version = save_ranking(self.ctx, self.connection_id, actor, order,
                                             state.version)

            if not self.attempt(save):
                return
            # What is saved is the new baseline (a later failure must not re-save it).
            state.tabs[actor] = list(self.orders[actor])
            saved = True
        self.dismiss(saved)
