"""Snapshots at 80x24 of the connections screen and its dialogs, in English and Dutch.

Review changes with `pytest tests/snapshots --snapshot-update` and the report it writes; the data
is seeded and every timestamp frozen, so the pictures are stable.
"""

from __future__ import annotations

from typing import Any

import pytest

from erp_tui.screens.app import ErpTuiApp
from tests.store_support import DUTCH, TESTED, freeze_times

SIZE = (80, 24)


@pytest.fixture
def snap_ctx(two_connections: Any) -> Any:
    """Two sample connections: Nordic active (set in the store), Dutch inactive and not
    activatable (no actor enabled); timestamps and the connection test's message frozen."""
    freeze_times(two_connections, last_test_message=TESTED)
    return two_connections


def _app(ctx: Any, language: str) -> ErpTuiApp:
    return ErpTuiApp(ctx, language=language)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_connections_screen(snap_compare: Any, snap_ctx: Any, language: str) -> None:
    assert snap_compare(_app(snap_ctx, language), terminal_size=SIZE)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_connections_screen_inactive_selected(snap_compare: Any, snap_ctx: Any,
                                              language: str) -> None:
    assert snap_compare(_app(snap_ctx, language), press=["down"], terminal_size=SIZE)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_add_connection_dialog(snap_compare: Any, snap_ctx: Any, language: str) -> None:
    assert snap_compare(_app(snap_ctx, language), press=["a"], terminal_size=SIZE)


async def _same_paths(pilot: Any, path: str) -> None:
    """Show the ERP file as `path`: the tmp path differs per run."""
    from textual.widgets import Input

    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    for field in pilot.app.screen.query(Input):
        if field.value.endswith(".sqlite"):
            with field.prevent(Input.Changed):
                field.value = path
            field.cursor_position = 0
    await pilot.pause()


@pytest.mark.parametrize("language", ["en", "nl"])
def test_edit_active_opens_read_only(snap_compare: Any, snap_ctx: Any, language: str) -> None:
    async def edit(pilot: Any) -> None:
        await pilot.press("e")
        await _same_paths(pilot, "/tmp/demo/erp-nordic.sqlite")

    assert snap_compare(_app(snap_ctx, language), run_before=edit, terminal_size=SIZE)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_help_screen(snap_compare: Any, snap_ctx: Any, language: str) -> None:
    assert snap_compare(_app(snap_ctx, language), press=["f1"], terminal_size=SIZE)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_activation_problems(snap_compare: Any, snap_ctx: Any, language: str) -> None:
    from erp_tui.screens.activation_problems import ActivationProblemsScreen
    from erp_tui.services.activation import validate_connection
    from erp_tui.services.connections import require_connection

    dutch = require_connection(snap_ctx, DUTCH)
    problems = validate_connection(snap_ctx, DUTCH, run_test=False)

    async def show(pilot: Any) -> None:
        pilot.app.push_screen(ActivationProblemsScreen(snap_ctx, dutch.id, DUTCH, problems))
        await pilot.pause()

    assert snap_compare(_app(snap_ctx, language), run_before=show, terminal_size=SIZE)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_edit_connection_dialog(snap_compare: Any, snap_ctx: Any, language: str) -> None:
    """The connection dialog on an inactive connection (Dutch, second row): `e` edits it."""

    async def edit(pilot: Any) -> None:
        await pilot.press("down", "e")
        await _same_paths(pilot, "/tmp/demo/erp-dutch.sqlite")

    assert snap_compare(_app(snap_ctx, language), run_before=edit, terminal_size=SIZE)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_command_palette(snap_compare: Any, snap_ctx: Any, language: str) -> None:
    assert snap_compare(_app(snap_ctx, language), press=["ctrl+p"], terminal_size=SIZE)
