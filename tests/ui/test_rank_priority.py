"""Rank fields (Velden rangschikken) and sync priority (Synchronisatieprioriteit instellen):
moving with shift+arrows and with grab mode, and Done persisting through the services."""

from __future__ import annotations

from typing import Any

from erp_tui.screens.priority_dialog import SyncPriorityDialog
from erp_tui.screens.rank_dialog import RankFieldsDialog
from erp_tui.screens.widgets.confirm import ConfirmScreen as ConfirmDialog
from erp_tui.screens.widgets.reorder_list import ReorderList
from erp_tui.services.connections import priority_order
from erp_tui.services.ranking import load_ranking
from tests.store_support import DUTCH, NORDIC

from .dialog_fixtures import Answers, connection_id, make_app, status_text


def order(ctx: Any, cid: int, actor: str) -> list[str]:
    return [row.erp_field for row in load_ranking(ctx, cid).tabs[actor]]


async def test_rank_shift_down_and_grab_mode_then_done(two_connections: Any) -> None:
    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    before = order(ctx, cid, "Customer")
    app, answers = make_app(ctx), Answers()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = RankFieldsDialog(ctx, cid)
        await app.push_screen(dialog, answers)
        await pilot.pause()
        reorder = dialog.query_one("#fields", ReorderList)
        assert reorder.order == before
        # shift+down moves the first field one place down.
        await pilot.press("shift+down")
        assert reorder.order[:2] == [before[1], before[0]]
        assert reorder.cursor_row == 1
        # Grab mode: space picks it up, down twice moves it, space drops it.
        await pilot.press("space")
        assert reorder.grabbing and "Moving" in status_text(dialog)
        await pilot.press("down", "down", "space")
        assert not reorder.grabbing
        assert reorder.order.index(before[0]) == 3
        # Plain arrows move the cursor again, not the field.
        await pilot.press("up")
        assert reorder.cursor_row == 2 and reorder.order.index(before[0]) == 3
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert answers.values == [True]
    expected = [before[1], before[2], before[3], before[0], *before[4:]]
    assert order(ctx, cid, "Customer") == expected


async def test_rank_hidden_fields_are_marked_and_escape_asks(two_connections: Any) -> None:
    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    before = order(ctx, cid, "Customer")
    app, answers = make_app(ctx, language="nl"), Answers()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = RankFieldsDialog(ctx, cid)
        await app.push_screen(dialog, answers)
        await pilot.pause()
        reorder = dialog.query_one("#fields", ReorderList)
        hidden = [item for item in reorder.items if item.dim]
        assert all(item.note in ("niet op tab", "✗ niet in ERP") for item in hidden)
        await pilot.press("shift+down", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("j")
        await pilot.pause()
    assert answers.values == [False]
    assert order(ctx, cid, "Customer") == before


async def test_priority_order_persists(two_connections: Any) -> None:
    from sqlalchemy import update

    from erp_tui.model import Connection

    ctx = two_connections
    dutch = connection_id(ctx, DUTCH)
    with ctx.session() as session:  # test shortcut: a second active connection
        session.execute(update(Connection).where(Connection.id == dutch)  # type: ignore[arg-type]
                        .values(active=True, priority=2))
    assert [c.name for c in priority_order(ctx)] == [NORDIC, DUTCH]
    app, answers = make_app(ctx), Answers()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = SyncPriorityDialog(ctx)
        await app.push_screen(dialog, answers)
        await pilot.pause()
        await pilot.press("down", "shift+up")
        assert "priority 1 of 2" in status_text(dialog)
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert answers.values == [True]
    assert [c.name for c in priority_order(ctx)] == [DUTCH, NORDIC]


async def test_priority_grab_mode(two_connections: Any) -> None:
    from sqlalchemy import update

    from erp_tui.model import Connection

    ctx = two_connections
    dutch = connection_id(ctx, DUTCH)
    with ctx.session() as session:
        session.execute(update(Connection).where(Connection.id == dutch)  # type: ignore[arg-type]
                        .values(active=True, priority=2))
    app, answers = make_app(ctx), Answers()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(SyncPriorityDialog(ctx), answers)
        await pilot.pause()
        await pilot.press("space", "down", "enter", "ctrl+s")
        await pilot.pause()
    assert answers.values == [True]
    assert [c.name for c in priority_order(ctx)] == [DUTCH, NORDIC]


async def test_priority_without_active_connections(ctx: Any) -> None:
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = SyncPriorityDialog(ctx)
        await app.push_screen(dialog)
        await pilot.pause()
        assert "No connection is active" in status_text(dialog)
