"""The connections screen: rule 1 (edit only inactive; an active one is shown read-only),
activation, test, delete."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Input, OptionList, Static

from erp_tui.screens.activation_problems import ActivationProblemsScreen, target_of
from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.connection_dialog import ConnectionDialog
from erp_tui.screens.connections import ConnectionsScreen
from erp_tui.screens.widgets.confirm import ConfirmScreen
from erp_tui.services.connections import list_connections, require_connection
from tests.screen_support import screen_text
from tests.store_support import DUTCH, NORDIC


def _message(app: ErpTuiApp) -> str:
    return str(app.screen.query_one("#message", Static).render())


async def test_configuring_active_connection_opens_it_read_only(two_connections: Any) -> None:
    """Rule 1: an active connection's dialog shows its values read-only; trying to change
    them (F2) offers to deactivate it, and after yes the dialog is editable."""
    ctx = two_connections
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")  # Nordic, active
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConnectionDialog) and dialog.read_only
        assert "read-only (active)" in screen_text(app)
        assert dialog.query_one("#name", Input).disabled
        await pilot.press("f2")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Deactivate it to change" in str(app.screen.query_one(".question").render())
        await pilot.press("n")
        assert app.screen is dialog and dialog.read_only
        assert require_connection(ctx, NORDIC).active

        await pilot.press("f2", "y")
        await pilot.pause()
        assert not require_connection(ctx, NORDIC).active
        assert app.screen is dialog and not dialog.read_only
        assert not dialog.query_one("#name", Input).disabled
        await pilot.press("escape")
        assert isinstance(app.screen, ConnectionsScreen)
        table = app.screen.query_one("#connections", DataTable)
        assert all(table.get_row_at(i)[0] == "" for i in range(table.row_count))


async def test_enter_on_active_connection_opens_it_read_only(two_connections: Any) -> None:
    app = ErpTuiApp(two_connections, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionDialog) and app.screen.read_only
        await pilot.press("escape")
        assert isinstance(app.screen, ConnectionsScreen)
        assert require_connection(two_connections, NORDIC).active


async def test_every_edit_action_on_active_connection_is_read_only(two_connections: Any
                                                                   ) -> None:
    app = ErpTuiApp(two_connections, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("m", "l", "d", "r"):
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, (ConnectionsScreen, ConfirmScreen)), key
            assert "read-only (active)" in screen_text(app), key
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, ConnectionsScreen), (key, screen_text(app))
        assert require_connection(two_connections, NORDIC).active


async def test_deactivate_and_activate_with_space(two_connections: Any) -> None:
    ctx = two_connections
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space")
        await pilot.pause()
        assert not require_connection(ctx, NORDIC).active
        assert "inactive now" in _message(app)


async def test_refused_activation_lists_problems(two_connections: Any) -> None:
    ctx = two_connections
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down")  # Dutch: no actor enabled
        await pilot.press("space")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ActivationProblemsScreen)
        options = screen.query_one(OptionList)
        assert options.option_count == len(screen.problems) >= 1
        assert any("No actor is enabled" in p.message for p in screen.problems)
        assert "Enter opens" in str(screen.query_one("#problems-where", Static).render())
        await pilot.press("down", "up")
        assert not require_connection(ctx, DUTCH).active
        await pilot.press("escape")
        assert isinstance(app.screen, ConnectionsScreen)
        assert "cannot be activated" in _message(app)


async def test_problem_targets() -> None:
    from erp_tui.errors import Problem

    assert target_of(Problem("x", "Customer", "name", code="mandatory_direction")) == (
        "mappings", {"focus_actor": "Customer", "focus_field": "name"})
    assert target_of(Problem("x", list_name="category", code="list_duplicate")) == (
        "list_mapping", {"erp_list": "category"})
    assert target_of(Problem("x", "Customer", "terms", code="default")) == (
        "defaults", {"actor": "Customer"})
    assert target_of(Problem("x", code="test_failed")) == ("configure", {})


async def test_problem_enter_opens_connection_dialog_for_failed_test(two_connections: Any
                                                                     ) -> None:
    from erp_tui.errors import Problem

    app = ErpTuiApp(two_connections, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        dutch = require_connection(two_connections, DUTCH)
        app.push_screen(ActivationProblemsScreen(
            two_connections, dutch.id, DUTCH, [Problem("The connection test fails: x",
                                                       code="test_failed")]))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionDialog)
        await pilot.press("escape")
        assert isinstance(app.screen, ActivationProblemsScreen)


async def test_test_action_records_result(two_connections: Any) -> None:
    ctx = two_connections
    before = require_connection(ctx, NORDIC).last_test_at
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "✓ Test of 'Nordic Trading AB' passed" in _message(app)
    after = require_connection(ctx, NORDIC)
    assert after.last_test_ok and after.last_test_at != before


async def test_delete_asks_and_deletes_inactive(two_connections: Any) -> None:
    ctx = two_connections
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "delete")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert len(list_connections(ctx)) == 2
        await pilot.press("delete", "y")
        await pilot.pause()
        assert [c.name for c in list_connections(ctx)] == [NORDIC]


async def test_missing_dialog_is_a_message_not_a_crash(two_connections: Any,
                                                      monkeypatch: Any) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "erp_tui.screens.rank_dialog", None)
    app = ErpTuiApp(two_connections, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "r")
        assert isinstance(app.screen, ConnectionsScreen)
        assert "not available" in _message(app)


async def test_problem_keys_before_the_dialog_is_shown_are_ignored(two_connections: Any
                                                                   ) -> None:
    """Enter typed ahead of the problems dialog's appearance does nothing (it crashed: the list
    it reads was not composed yet); once shown, Enter works."""
    from erp_tui.errors import Problem

    app = ErpTuiApp(two_connections, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        dutch = require_connection(two_connections, DUTCH)
        screen = ActivationProblemsScreen(
            two_connections, dutch.id, DUTCH,
            [Problem("The connection test fails: x", code="test_failed")])
        app.push_screen(screen)
        assert not screen.is_mounted
        for action in ("go", "activate", "close"):
            assert not await app.run_action(action, screen)
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionDialog)


async def test_action_for_a_closed_dialog_does_nothing(two_connections: Any) -> None:
    """A palette command picked for a dialog can arrive after Escape closed it: it is ignored
    (toggling the actor read the closed dialog's checkbox and crashed)."""
    from erp_tui.screens.mappings_dialog import MappingsDialog

    app = ErpTuiApp(two_connections, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "m")  # Dutch: inactive, so Mappings opens directly
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, MappingsDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionsScreen)
        assert not await app.run_action("toggle_actor", dialog)
