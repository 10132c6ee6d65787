"""Names and typed text with square brackets are shown exactly as they are.

Textual reads `[...]` in a widget's text as markup: "[EU]" vanished from a name, and text such
as "a[/]b" or a filter typed as "]d[j=[" crashed the app (found by the random-key test)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.widgets.busy import BusyLine
from erp_tui.screens.widgets.confirm import ConfirmScreen
from erp_tui.screens.widgets.dialog_kit import PickerDialog
from tests.screen_support import screen_text
from tests.store_support import add_connection, sample_erp

BRACKETED = "Lager [EU] a[/]b"


async def test_bracketed_connection_name_is_shown_as_typed(ctx: Any, tmp_path: Path) -> None:
    add_connection(ctx, BRACKETED, sample_erp(tmp_path, BRACKETED, 1, "nordic"))
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        # its row, the detail line under the list, and the test message (the ERP is named so too)
        assert text.count(BRACKETED) == 3, text
        await pilot.press("delete")
        assert isinstance(app.screen, ConfirmScreen)
        assert BRACKETED in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        # The busy line names the connection too ("Activating '…'…" while space works).
        app.screen.query_one(BusyLine).start(f"Activating '{BRACKETED}'…")
        await pilot.pause()
        assert f"Activating '{BRACKETED}'…" in screen_text(app)


async def test_picker_shows_bracketed_choices_and_filter_text(ctx: Any) -> None:
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        picked: list[Any] = []
        app.push_screen(PickerDialog("Pick [one]", [("a[/]b", "Size [cm]"), ("US", "United")]),
                        picked.append)
        await pilot.pause()
        text = screen_text(app)
        assert "Pick [one]" in text and "Size [cm]  (a[/]b)" in text, text
        await pilot.press(*"[/")
        text = screen_text(app)
        assert "Size [cm]" in text and "United" not in text, text
        for _ in range(2):
            await pilot.press("backspace")
        await pilot.press(*"]d[j=[")
        assert "Nothing matches ']d[j=['." in screen_text(app)
        await pilot.press("escape")
        assert picked == [None]


async def test_bracketed_erp_labels_in_the_grid_and_status(two_connections: Any) -> None:
    """Labels from the ERP (a field's here) reach the Mappings grid and the status line as
    they are. (Actor types the CRM knows are shown by the CRM's names.)"""
    from sqlalchemy import update

    from erp_tui.model import ErpField
    from erp_tui.screens.mappings_dialog import MappingsDialog

    label = "Naam [EU] a[/]b"
    with two_connections.session() as session:
        session.execute(update(ErpField).where(ErpField.key == "customer_no")  # type: ignore[arg-type]
                        .values(label=label))
    app = ErpTuiApp(two_connections, language="en")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("down", "m")  # the inactive connection: Mappings opens directly
        await pilot.pause()
        assert isinstance(app.screen, MappingsDialog)
        text = screen_text(app)
        assert text.count(label) >= 2, text  # the first row and the status line of the cursor
