"""The app shell: first screen, help on F1 and ?, command palette, language."""

from __future__ import annotations

from typing import Any

from textual.command import CommandPalette
from textual.widgets import DataTable, Input, Select, Static

from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.connections import ConnectionsScreen
from erp_tui.screens.help import HelpScreen


def _texts(app: ErpTuiApp) -> str:
    """Everything the help table shows."""
    table = app.screen.query_one(DataTable)
    return "\n".join(" ".join(str(c) for c in table.get_row_at(i))
                     for i in range(table.row_count))


async def test_first_screen_lists_connections(two_connections: Any) -> None:
    app = ErpTuiApp(two_connections, language="en")
    async with app.run_test(size=(80, 24)):
        assert isinstance(app.screen, ConnectionsScreen)
        table = app.screen.query_one("#connections", DataTable)
        assert table.row_count == 2
        assert table.get_row_at(0)[0] == "✓"  # the active one first, marked by a glyph


async def test_help_opens_on_f1_and_question_mark(two_connections: Any) -> None:
    app = ErpTuiApp(two_connections, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        shown = _texts(app)
        for words in ("Add", "Configure", "Mappings", "List mapping", "Defaults", "Rank fields",
                      "Set sync priority", "Test", "Deactivate", "Delete", "Help", "Quit"):
            assert words in shown
        await pilot.press("escape")
        assert isinstance(app.screen, ConnectionsScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, ConnectionsScreen)


async def test_help_of_a_dialog_shows_the_dialog_keys(two_connections: Any) -> None:
    app = ErpTuiApp(two_connections, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        shown = _texts(app)
        assert "Test connection" in shown and "f5" in shown
        assert "Mappings" not in shown


async def test_command_palette_lists_screen_actions(two_connections: Any) -> None:
    app = ErpTuiApp(two_connections, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for words in ("Add", "Configure", "Mappings", "List mapping", "Defaults",
                      "Rank fields", "Set sync priority", "Test", "Deactivate", "Delete"):
            assert words in titles
        assert "Activate" not in titles  # the selected connection is active already
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"set sync")
        await pilot.pause(0.3)
        await pilot.press("escape")


async def test_palette_command_runs_the_action(two_connections: Any) -> None:
    app = ErpTuiApp(two_connections, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Add")
        await command.callback()
        await pilot.pause()
        from erp_tui.screens.connection_dialog import ConnectionDialog

        assert isinstance(app.screen, ConnectionDialog)


async def test_dutch_labels(two_connections: Any) -> None:
    app = ErpTuiApp(two_connections, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert "Synchroniseren" in str(screen.query_one("#title").render())
        table = screen.query_one("#connections", DataTable)
        assert next(c.label.plain for c in table.columns.values()) == "Actief"
        titles = [c.title for c in app.get_system_commands(screen)]
        for words in ("Toevoegen", "Toewijzingen", "Lijsttoewijzing", "Standaardwaarden",
                      "Velden rangschikken", "Synchronisatieprioriteit instellen",
                      "ERP-verbinding testen", "Deactiveren"):
            assert words in titles
        await pilot.press("a")
        dialog = app.screen
        assert "ERP-verbinding testen" in str(dialog.query_one("#test").label)
        assert dialog.query_one("#scope", Select).prompt == "(Geen selectie)"
        assert "OK is uitgeschakeld" in str(dialog.query_one("#why", Static).render())


async def test_palette_enter_typed_ahead_of_help(two_connections: Any) -> None:
    """An Enter in the palette's input handled after F1 (typed right behind it) put the help
    over the palette: the palette must not close from under the help. It closed the help
    instead and stayed half-closed; its next Escape crashed the app."""
    from erp_tui.screens.commands import SafeCommandPalette

    app = ErpTuiApp(two_connections, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p", "s")
        await pilot.pause(0.3)
        palette = app.screen
        assert isinstance(palette, SafeCommandPalette)
        field = palette.query_one(Input)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        field.post_message(Input.Submitted(field, field.value))  # the Enter typed ahead
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert app.screen is palette
        await pilot.press("escape")
        assert isinstance(app.screen, ConnectionsScreen), app.screen_stack


async def test_theme_picker_is_the_guarded_palette(two_connections: Any) -> None:
    """The system command "Theme" opens its picker in the same guarded palette: the plain
    Textual one, closed twice by keys typed ahead, crashed the app."""
    from erp_tui.screens.commands import SafeCommandPalette

    from .test_random_keys import press

    app = ErpTuiApp(two_connections, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        theme = next(c for c in app.get_system_commands(app.screen) if c.title == "Theme")
        theme.callback()
        await pilot.pause()
        assert isinstance(app.screen, SafeCommandPalette)
        await press(app, "escape")
        await press(app, "escape")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionsScreen)

        chosen: list[str] = []
        app.search_commands([("Say hello", lambda: chosen.append("hello"))])
        await pilot.pause()
        assert isinstance(app.screen, SafeCommandPalette)
        await pilot.press(*"hello")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert chosen == ["hello"] and isinstance(app.screen, ConnectionsScreen)
