"""The shell's rough edges at 80x24, in English and Dutch (issue 13): every key in the key bar,
a main table that never scrolls sideways, Quit that asks, read-only dialogs of an active
connection, the stale test line, Escape that asks before throwing input away, a palette of our
own actions only, readable cursor colours and a visible focus without colour."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from textual.color import Color
from textual.widgets import DataTable, Input, Select, Static
from textual.widgets._select import SelectCurrent, SelectOverlay

from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.connection_dialog import ConnectionDialog
from erp_tui.screens.connections import ConnectionsScreen, fit_widths
from erp_tui.screens.widgets.confirm import ConfirmScreen, QuitQuestion
from erp_tui.screens.widgets.keys import KeyBar, visible_bindings
from erp_tui.services.connections import require_connection
from tests.screen_support import screen_text
from tests.store_support import NORDIC, sample_erp
from tests.ui.test_connection_dialog import _config_input, _fill_new

SIZE = (80, 24)
LANGUAGES = ["en", "nl"]


def _bar(app: ErpTuiApp) -> str:
    return str(app.screen.query_one(KeyBar).render())


def _contrast(one: Color, other: Color) -> float:
    """The WCAG contrast ratio of two colours."""

    def luminance(color: Color) -> float:
        def channel(value: int) -> float:
            v = value / 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# ---- the key bar -------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("presses", [(), ("down",)])
async def test_key_bar_shows_every_key_of_the_main_screen(two_connections: Any, language: str,
                                                          presses: tuple[str, ...]) -> None:
    app = ErpTuiApp(two_connections, language=language)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*presses)
        await pilot.pause()
        bar = app.screen.query_one(KeyBar)
        shown = _bar(app)
        assert len(shown.splitlines()) <= KeyBar.MAX_LINES
        for key, _binding, _enabled in visible_bindings(bar):
            assert key in shown.split(), (key, shown)
        assert "^p" in shown and "f10" in shown and "f1" in shown
        text = screen_text(app)
        assert ("f10 Afsluiten" if language == "nl" else "f10 Quit") in text
        assert ("^p Opdrachten" if language == "nl" else "^p Commands") in text


async def test_key_bar_leaves_out_screen_keys_never_the_app_keys(two_connections: Any) -> None:
    """Too narrow for all: the screen's last keys go (the help lists them), F1/^p/F10 stay."""
    app = ErpTuiApp(two_connections, language="nl")
    async with app.run_test(size=(40, 24)) as pilot:
        await pilot.pause()
        shown = _bar(app)
        assert len(shown.splitlines()) == KeyBar.MAX_LINES
        assert "f1" in shown and "^p" in shown and "f10" in shown
        assert "Verwijderen" not in shown


# ---- the main table after a sync ---------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
async def test_no_sideways_scrolling_after_a_sync(demo_ctx: Any, language: str) -> None:
    from erp_tui.runner import run_sync

    run_sync(demo_ctx)
    app = ErpTuiApp(demo_ctx, language=language)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#connections", DataTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert not table.show_horizontal_scrollbar
        await pilot.press("right", "right", "end")
        assert table.scroll_x == 0
        status = str(table.get_row_at(0)[-1])
        assert status == ("✓ voltooid" if language == "nl" else "✓ finished")
        detail = str(app.screen.query_one("#detail", Static).render())
        assert ("nieuw, 0 gewijzigd" if language == "nl" else "created, 0 updated") in detail
        # The wrapped status leaves room for the last-test line (it was cut off).
        assert ("Laatste test: ✓" if language == "nl" else "Last test: ✓") in screen_text(app)


def test_narrow_columns_give_way_widest_first() -> None:
    natural = {"active": 6, "priority": 4, "name": 60, "test": 12, "sync": 10, "status": 30}
    widths = fit_widths(natural, 79 - 12)
    assert sum(widths.values()) == 79 - 12
    assert widths["active"] == 6 and widths["test"] == 12
    assert widths["name"] >= 12 and widths["status"] >= 8
    assert fit_widths(natural, 200) == natural


# ---- Quit --------------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
async def test_f10_asks_before_quitting(two_connections: Any, language: str) -> None:
    app = ErpTuiApp(two_connections, language=language)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "m")  # Dutch (inactive): Mappings, F10 is Done there
        await pilot.pause()
        assert not isinstance(app.screen, ConnectionsScreen)
        await pilot.press("f10", "f10")
        await pilot.pause()
        assert isinstance(app.screen, QuitQuestion)
        question = "erp-tui afsluiten?" if language == "nl" else "Quit erp-tui?"
        assert question in screen_text(app)
        await pilot.press("f10")  # a third F10 does not quit either
        assert isinstance(app.screen, QuitQuestion) and app.is_running
        await pilot.press("n")
        assert isinstance(app.screen, ConnectionsScreen) and app.is_running
        assert app.return_code is None
        await pilot.press("f10", "y")
        await pilot.pause()
        assert app.return_code == 0  # it quits


# ---- read-only dialogs of an active connection -------------------------------------------

async def test_active_connection_dialog_read_only_in_dutch(two_connections: Any) -> None:
    from erp_tui.screens.widgets.read_only import read_only_mark

    app = ErpTuiApp(two_connections, language="nl")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConnectionDialog) and dialog.read_only
        text = screen_text(app)
        assert read_only_mark() in text and "Wijzigen… (F2)" in text
        assert "Alleen-lezen: 'Nordic Trading AB' is actief." in text
        await pilot.press("x")  # typing is a try to change
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.screen is dialog and require_connection(two_connections, NORDIC).active
        await pilot.press("escape")  # nothing was entered: closes without asking
        assert isinstance(app.screen, ConnectionsScreen)


@pytest.mark.parametrize("key", ["m", "l", "d", "r"])
async def test_active_connection_configuration_opens_read_only(two_connections: Any,
                                                               key: str) -> None:
    from erp_tui.screens.widgets.read_only import read_only_mark

    app = ErpTuiApp(two_connections, language="nl")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        await pilot.pause()
        assert not isinstance(app.screen, (ConnectionsScreen, ConfirmScreen))
        assert read_only_mark() in " ".join(screen_text(app).split())  # a title may wrap
        assert require_connection(two_connections, NORDIC).active


# ---- the connection dialog: stale test line, Escape asks ----------------------------------

async def test_test_line_is_marked_stale_when_settings_change(ctx: Any, tmp_path: Path) -> None:
    erp_file = sample_erp(tmp_path, "Test One AB", 3, "nordic")
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        dialog = app.screen
        assert isinstance(dialog, ConnectionDialog)
        await _fill_new(pilot, dialog, erp_file)
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        line = dialog.query_one("#test-result", Static)
        assert "Test passed" in str(line.render())
        _config_input(dialog, "ERP database").value = str(tmp_path / "other.sqlite")
        await pilot.pause()
        assert str(line.render()) == "(tested with other values; test again)"
        _config_input(dialog, "ERP database").value = str(erp_file)
        await pilot.pause()
        assert "Test passed" in str(line.render())
        dialog.query_one("#name", Input).value = "Renamed"  # not part of the test
        await pilot.pause()
        assert "Test passed" in str(line.render())


@pytest.mark.parametrize("language", LANGUAGES)
async def test_escape_asks_before_throwing_input_away(ctx: Any, language: str) -> None:
    app = ErpTuiApp(ctx, language=language)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        dialog = app.screen
        await pilot.press("escape")  # nothing typed: closes at once
        assert isinstance(app.screen, ConnectionsScreen)
        await pilot.press("a")
        dialog = app.screen
        await pilot.press(*"Acme")
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmScreen)
        question = ("Wat u hebt ingevoerd weggooien" if language == "nl"
                    else "Discard what you entered")
        assert question in screen_text(app)
        await pilot.press("enter")  # the safe answer is the default: keep the input
        assert app.screen is dialog
        assert dialog.query_one("#name", Input).value == "Acme"
        await pilot.press("escape", "y")
        assert isinstance(app.screen, ConnectionsScreen)


# ---- the command palette -----------------------------------------------------------------

GENERIC = {"Bottom", "Top", "Cursor down", "Cursor up", "Page down", "Page up", "Keys",
           "Screenshot", "Maximize", "Minimize", "Scroll Up", "Up", "Down", "First row",
           "Last row", "Left", "Right"}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_palette_has_our_actions_only(two_connections: Any, language: str) -> None:
    app = ErpTuiApp(two_connections, language=language)
    async with app.run_test(size=SIZE) as pilot:
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert not titles & GENERIC, titles & GENERIC
        wanted = (("Proefrun", "Mislukte records opnieuw proberen",
                   "Opnieuw synchroniseren vanuit het CRM", "Exporteren", "Afsluiten", "Thema")
                  if language == "nl" else
                  ("Dry run", "Retry failed records", "Resync from CRM", "Export", "Quit",
                   "Theme"))
        assert set(wanted) <= titles, set(wanted) - titles
        await pilot.press("down", "m")  # a dialog with a grid: none of its cursor keys
        await pilot.pause()
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert not titles & GENERIC, titles & GENERIC


async def test_palette_dry_run_and_export(two_connections: Any) -> None:
    from erp_tui.screens.run_screen import SyncRunScreen

    app = ErpTuiApp(two_connections, language="en")
    async with app.run_test(size=SIZE) as pilot:
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        await commands["Export"].callback()
        await pilot.pause()
        path = two_connections.settings.data_dir / "exports" / "Nordic_Trading_AB.yaml"
        assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "name: Nordic Trading AB" in path.read_text()
        assert "Exported 'Nordic Trading AB'" in str(
            app.screen.query_one("#message", Static).render())
        await commands["Quit"].callback()  # as F10: it asks
        await pilot.pause()
        assert isinstance(app.screen, QuitQuestion)
        await pilot.press("n")
        await commands["Dry run"].callback()
        await pilot.pause()
        assert isinstance(app.screen, SyncRunScreen) and app.screen.dry_run
        await app.workers.wait_for_complete()


async def test_resync_asks_first(two_connections: Any) -> None:
    app = ErpTuiApp(two_connections, language="en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("U")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Resync 'Nordic Trading AB' from the CRM?" in screen_text(app)
        await pilot.press("enter")  # the default is no
        assert isinstance(app.screen, ConnectionsScreen)


# ---- colours -----------------------------------------------------------------------------

async def test_cursor_on_a_selected_direction_cell_is_readable(two_connections: Any) -> None:
    from erp_tui.screens.widgets.grid_table import GridTable

    app = ErpTuiApp(two_connections, language="en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "m")
        await pilot.pause()
        grid = app.screen.query_one(GridTable)
        grid.focus()
        await pilot.pause()
        cursor = grid.get_component_rich_style("grid--cursor")
        selected = grid.get_component_rich_style("grid--selected", partial=True)
        style = grid.rich_style + selected + grid.get_component_rich_style(
            "grid--cursor", partial=True)
        assert style.color is not None and style.bgcolor is not None
        assert cursor.bgcolor is not None
        ratio = _contrast(Color.from_rich_color(style.color),
                          Color.from_rich_color(style.bgcolor))
        assert ratio >= 4.5, ratio


async def test_focused_dropdown_is_visible_without_colour(two_connections: Any,
                                                          monkeypatch: Any) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = ErpTuiApp(two_connections, language="nl")
    async with app.run_test(size=SIZE) as pilot:
        assert app.no_color
        await pilot.press("a")
        await pilot.pause()
        scope = app.screen.query_one("#scope", Select)
        scope.focus()
        await pilot.pause()
        assert scope.query_one(SelectCurrent).rich_style.reverse
        reversed_labels = [str(label.render()) for label in app.screen.query(".label")
                           if label.rich_style.reverse]
        assert reversed_labels == ["Bereik *"]  # the focused row's label, not the first one
        other = app.screen.query_one("#conflict", Select)
        assert not other.query_one(SelectCurrent).rich_style.reverse
        assert scope.query_one(SelectOverlay).styles.border.top[0] == "round"
