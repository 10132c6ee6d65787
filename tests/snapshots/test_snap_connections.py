"""Snapshots at 80x24 of the connections screen and its dialogs, in English and Dutch.

Review changes with `pytest tests/snapshots --snapshot-update` and the report it writes; the data
is seeded and every timestamp frozen, so the pictures are stable.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from erp_tui.screens.app import ErpTuiApp

SIZE = (80, 24)
FROZEN_TIME = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
NORDIC = "Nordic Trading AB"
DUTCH = "Dutch Wholesale BV"


@pytest.fixture
def snap_ctx(ctx: Any, tmp_path: Path) -> Iterator[Any]:
    """Two sample connections: Nordic active (set in the store), Dutch inactive and not
    activatable (no actor enabled); timestamps frozen."""
    from sqlalchemy import update

    from erp_tui.connectors.sample_data import generate_sample_erp
    from erp_tui.model import Connection
    from erp_tui.services import connections

    for name, seed, flavour in ((NORDIC, 1, "nordic"), (DUTCH, 2, "dutch")):
        path = tmp_path / f"erp-{flavour}.sqlite"
        generate_sample_erp(path, customers=20, suppliers=4, projects=5, seed=seed,
                            flavour=flavour, api_key="demo-key", company_name=name,
                            overwrite=True)
        draft = connections.ConnectionDraft(
            name=name, connector="sample", scope="everyone",
            values={"database": str(path), "api_key": "demo-key",
                    "environment": "production", "page_size": 5000})
        connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))
    with ctx.session() as session:
        session.execute(update(Connection).where(Connection.name == NORDIC)  # type: ignore[arg-type]
                        .values(active=True, priority=1))
        session.execute(update(Connection).values(
            last_test_at=FROZEN_TIME, created=FROZEN_TIME, updated=FROZEN_TIME,
            last_test_message="Connected to the sample ERP (production)."))
    yield ctx


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


@pytest.mark.parametrize("language", ["en", "nl"])
def test_edit_active_asks_to_deactivate(snap_compare: Any, snap_ctx: Any,
                                        language: str) -> None:
    assert snap_compare(_app(snap_ctx, language), press=["e"], terminal_size=SIZE)


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
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        from textual.widgets import Input

        for field in pilot.app.screen.query(Input):  # the tmp path differs per run
            if field.value.endswith(".sqlite"):
                field.value = "/tmp/demo/erp-dutch.sqlite"
                field.cursor_position = 0
        await pilot.pause()

    assert snap_compare(_app(snap_ctx, language), run_before=edit, terminal_size=SIZE)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_command_palette(snap_compare: Any, snap_ctx: Any, language: str) -> None:
    assert snap_compare(_app(snap_ctx, language), press=["ctrl+p"], terminal_size=SIZE)
