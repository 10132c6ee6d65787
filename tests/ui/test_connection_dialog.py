"""The connection dialog: OK only after a passing test of exactly the values in the form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Button, Input, Select, Static

from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.connection_dialog import ConnectionDialog
from erp_tui.screens.connections import ConnectionsScreen
from erp_tui.screens.widgets.confirm import ConfirmScreen
from erp_tui.services.connections import list_connections
from tests.store_support import API_KEY, sample_erp


def _why(dialog: ConnectionDialog) -> str:
    return str(dialog.query_one("#why", Static).render())


def _config_input(dialog: ConnectionDialog, label: str) -> Input:
    """The config input whose row is labelled `label`."""
    for row in dialog.query(".row"):
        if str(row.query_one(".label", Static).render()).rstrip(" *") == label:
            return row.query_one(Input)
    raise AssertionError(f"no row {label!r}")


async def _fill_new(pilot: Any, dialog: ConnectionDialog, erp_file: Path) -> None:
    dialog.query_one("#name", Input).value = "Test One"
    dialog.query_one("#scope", Select).value = "everyone"
    # More than one connector is installed: none is preselected, choose the sample ERP.
    dialog.query_one("#connector", Select).value = "sample"
    await pilot.pause()
    _config_input(dialog, "ERP database").value = str(erp_file)
    _config_input(dialog, "API key").value = API_KEY
    await pilot.pause()


async def test_add_connection_through_the_dialog(ctx: Any, tmp_path: Path) -> None:
    erp_file = sample_erp(tmp_path, "Test One AB", 3, "nordic")
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        dialog = app.screen
        assert isinstance(dialog, ConnectionDialog)
        ok = dialog.query_one("#ok", Button)
        assert ok.disabled
        assert "OK is disabled" in _why(dialog)

        await _fill_new(pilot, dialog, erp_file)
        assert ok.disabled  # filled in, but not tested yet
        assert "Test the connection" in _why(dialog)

        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not ok.disabled, _why(dialog)
        assert "✓ Test passed" in str(dialog.query_one("#test-result", Static).render())

        # Any edit after the test disables OK again ...
        page_size = _config_input(dialog, "Page size")
        page_size.value = "100"
        await pilot.pause()
        assert ok.disabled
        assert "Test the connection" in _why(dialog)
        # ... F2 then saves nothing.
        await pilot.press("f2")
        await pilot.pause()
        assert list_connections(ctx) == []

        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not ok.disabled
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ConnectionsScreen)
        saved = list_connections(ctx)
        assert [c.name for c in saved] == ["Test One"]
        assert saved[0].scope == "everyone" and saved[0].last_test_ok
        assert app.screen.query_one("#connections").row_count == 1


async def test_failed_test_keeps_ok_disabled_and_says_why(ctx: Any, tmp_path: Path) -> None:
    erp_file = sample_erp(tmp_path, "Test One AB", 3, "nordic")
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        dialog = app.screen
        assert isinstance(dialog, ConnectionDialog)
        await _fill_new(pilot, dialog, erp_file)
        _config_input(dialog, "API key").value = "wrong-key"
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert dialog.query_one("#ok", Button).disabled
        assert "✗" in str(dialog.query_one("#test-result", Static).render())
        assert "The connection test failed" in _why(dialog)


async def test_scope_chosen_needs_members(ctx: Any, tmp_path: Path) -> None:
    erp_file = sample_erp(tmp_path, "Test One AB", 3, "nordic")
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        dialog = app.screen
        assert isinstance(dialog, ConnectionDialog)
        await _fill_new(pilot, dialog, erp_file)
        dialog.query_one("#scope", Select).value = "chosen"
        await pilot.pause()
        members = dialog.query_one("#members", Input)
        assert not members.disabled
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "add at least one user or group" in _why(dialog)
        members.value = "user:anna, group:sales"
        await pilot.pause()
        assert not dialog.query_one("#ok", Button).disabled, _why(dialog)


async def test_escape_while_testing_cancels_and_ignores_result(ctx: Any, tmp_path: Path,
                                                               monkeypatch: Any) -> None:
    import threading

    from erp_tui.services import connections

    erp_file = sample_erp(tmp_path, "Test One AB", 3, "nordic")
    release = threading.Event()
    real_test = connections.test_draft

    def slow_test(ctx_: Any, draft: Any) -> Any:
        release.wait(5)
        return real_test(ctx_, draft)

    monkeypatch.setattr(connections, "test_draft", slow_test)
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        dialog = app.screen
        assert isinstance(dialog, ConnectionDialog)
        await _fill_new(pilot, dialog, erp_file)
        await pilot.press("f5")
        await pilot.pause()
        assert "Testing" in str(dialog.query_one("#busy", Static).render())
        await pilot.press("escape")  # stops waiting, keeps the dialog open
        await pilot.pause()
        assert app.screen is dialog
        assert "cancelled" in str(dialog.query_one("#test-result", Static).render())
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert dialog.query_one("#ok", Button).disabled  # the late result was ignored
        await pilot.press("escape")  # the typed values would be lost: it asks first
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        assert isinstance(app.screen, ConnectionsScreen)


async def test_edit_keeps_secret_when_password_left_empty(two_connections: Any) -> None:
    ctx = two_connections
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down")  # Dutch Wholesale BV, inactive
        await pilot.press("e")
        dialog = app.screen
        assert isinstance(dialog, ConnectionDialog)
        api_key = _config_input(dialog, "API key")
        assert api_key.value == "" and api_key.placeholder == "(unchanged)"
        assert api_key.password
        dialog.query_one("#conflict", Select).value = "crm_wins"
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not dialog.query_one("#ok", Button).disabled, _why(dialog)
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ConnectionsScreen)
        from erp_tui.services.connections import draft_for, test_connection

        assert draft_for(ctx, "Dutch Wholesale BV").conflict_policy == "crm_wins"
        assert test_connection(ctx, "Dutch Wholesale BV").ok  # the stored key still works
