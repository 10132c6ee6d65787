"""The Doctor screen (k on the connections screen, or the palette) and the log and run screens
saying "finished with N errors"."""

from __future__ import annotations

from typing import Any

from textual.widgets import OptionList

from erp_tui.runner import run_sync
from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.connections import ConnectionsScreen
from erp_tui.screens.doctor_screen import DoctorScreen
from erp_tui.screens.log_screen import SyncLogScreen
from erp_tui.screens.run_screen import SyncRunScreen
from tests.list_support import map_list_item

NORDIC = "Nordic Trading AB"


def _lines(screen: DoctorScreen) -> list[str]:
    options = screen.query_one("#checks", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_k_runs_the_checks_of_the_store(demo_ctx: Any) -> None:
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k")
        screen = app.screen
        assert isinstance(screen, DoctorScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.summary_text() == f"✓ All {len(screen.checks)} checks passed."
        lines = _lines(screen)
        assert f"✓ Connection {NORDIC}: Active; the connection test passed." in lines
        assert any(line.startswith("✓ Secret key: The secret key (the key file ")
                   for line in lines)
        await pilot.press("escape")
        assert isinstance(app.screen, ConnectionsScreen)


async def test_a_failed_check_is_marked_in_dutch_and_run_again(demo_ctx: Any) -> None:
    from erp_tui.secrets import new_key

    key_file = demo_ctx.settings.data_dir / "secret.key"
    app = ErpTuiApp(demo_ctx, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        command = next(c for c in app.get_system_commands(app.screen)
                       if c.title == "Controle (doctor)")
        await command.callback()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DoctorScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.summary_text().startswith("✓ Alle ")
        key_file.write_bytes(new_key().encode())  # replaced behind the app's back
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.summary_text() == f"✗ 2 van {len(screen.checks)} controles mislukt."
        assert any(line.startswith("✗ Geheime sleutel: The secret key")
                   for line in _lines(screen))


async def test_log_and_run_screens_say_finished_with_n_errors(demo_ctx: Any) -> None:
    map_list_item(demo_ctx, NORDIC, "country", "DE", None)  # German customers: errors
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SyncRunScreen)
        errors = screen.reports[0].counts.errors
        assert errors > 0
        summary = str(screen.query_one("#summary").render())
        assert summary.startswith(f"{NORDIC}: finished with {errors} errors — ")
        await pilot.press("escape")
        await pilot.press("g")
        log = app.screen
        assert isinstance(log, SyncLogScreen)
        assert log.cell_text("runs", 0, 1) == NORDIC
        assert log.cell_text("runs", 0, 4) == f"! finished with {errors} errors"
        assert f"· sync · finished with {errors} errors —" in log.detail_text()
    run_sync(demo_ctx)  # nothing new: no errors
    app = ErpTuiApp(demo_ctx, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        log = app.screen
        assert isinstance(log, SyncLogScreen)
        assert log.cell_text("runs", 0, 4) == "✓ voltooid"
        assert log.cell_text("runs", 1, 4) == f"! voltooid met {errors} fouten"
