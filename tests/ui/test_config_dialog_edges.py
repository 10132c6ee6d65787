"""The configuration dialogs' rough edges (issue 13, item 5): the read-only view of an active
connection with its deactivate offer, the Mappings legend and field filter, list mapping saved
once for all lists, Esc asking before it throws input away, one actor order and naming, and
Dutch at 80x24."""

from __future__ import annotations

import re
from typing import Any

from textual.widgets import Button, Checkbox, Static

from erp_tui.screens.defaults_dialog import DefaultEditDialog, DefaultsDialog
from erp_tui.screens.help import HelpScreen
from erp_tui.screens.list_mapping_dialog import ListMappingDialog
from erp_tui.screens.mappings_dialog import MappingsDialog
from erp_tui.screens.rank_dialog import RankFieldsDialog
from erp_tui.screens.widgets.confirm import ConfirmScreen
from erp_tui.screens.widgets.dialog_kit import PickerDialog
from erp_tui.screens.widgets.grid_table import GridTable
from erp_tui.services.connections import require_connection
from erp_tui.services.defaults import load_defaults
from erp_tui.services.lists import load_list_mapping, mapped_lists
from erp_tui.services.mappings import load_mappings
from tests.screen_support import screen_text
from tests.store_support import DUTCH, NORDIC

from .dialog_fixtures import Answers, connection_id, make_app, status_text


def _shown(app: Any) -> str:
    """The words on the terminal, with wrapped lines joined (and borders left out)."""
    return " ".join(re.sub("[█▀▄▁▔▐▌]", " ", screen_text(app)).split())


def _title(dialog: Any) -> str:
    return str(dialog.query_one("#title", Static).render())


# ---- read-only view --------------------------------------------------------------------------

async def test_read_only_mappings_offer_to_deactivate(two_connections: Any) -> None:
    ctx = two_connections
    cid = connection_id(ctx, NORDIC)
    enabled = load_mappings(ctx, cid).tab("Customer").enabled
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = MappingsDialog(ctx, cid, read_only=True)
        await app.push_screen(dialog)
        await pilot.pause()
        assert "read-only (active)" in _title(dialog)
        assert not dialog.query_one("#done", Button).display
        footer = screen_text(app).splitlines()[-1]
        assert "f10 Close" in footer and "Done" not in footer  # nothing to save: F10 closes
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Deactivate it to change its configuration?" in _shown(app)
        await pilot.press("n")  # keep it active: nothing changes
        await pilot.pause()
        assert app.screen is dialog and not dialog.dirty
        assert require_connection(ctx, cid).active
        await pilot.press("s")  # any change key asks again
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is dialog
        assert not require_connection(ctx, cid).active
        assert "read-only" not in _title(dialog)
        assert dialog.query_one("#done", Button).display
        await pilot.press("e", "ctrl+s")
        await pilot.pause()
    assert load_mappings(ctx, cid).tab("Customer").enabled is not enabled


async def test_read_only_rank_asks_before_moving(two_connections: Any) -> None:
    ctx = two_connections
    app = make_app(ctx, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = RankFieldsDialog(ctx, connection_id(ctx, NORDIC), read_only=True)
        await app.push_screen(dialog)
        await pilot.pause()
        assert "alleen-lezen (actief)" in _title(dialog)
        before = list(dialog.orders[dialog.actors[0]])
        await pilot.press("shift+down")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Wilt u deze deactiveren" in _shown(app)
        await pilot.press("n")
        await pilot.pause()
        assert dialog.orders[dialog.actors[0]] == before


async def test_read_only_list_mapping_and_defaults(two_connections: Any) -> None:
    ctx = two_connections
    cid = connection_id(ctx, NORDIC)
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        lists = ListMappingDialog(ctx, cid, read_only=True)
        await app.push_screen(lists)
        await pilot.pause()
        assert not lists.query_one("#save", Button).display
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n", "escape")  # nothing to discard in the read-only view
        await pilot.pause()
        assert app.screen is not lists and not isinstance(app.screen, ConfirmScreen)
        defaults = DefaultsDialog(ctx, cid, read_only=True)
        await app.push_screen(defaults)
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is defaults and "read-only" not in _title(defaults)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, DefaultEditDialog)


async def test_f10_closes_every_read_only_view(two_connections: Any) -> None:
    """F10 is Done in an editable dialog; in a read-only view it closes the view, never
    reaching the main screen's Quit."""
    from erp_tui.screens.priority_dialog import SyncPriorityDialog

    ctx = two_connections
    cid = connection_id(ctx, NORDIC)
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        base = app.screen
        for dialog in (MappingsDialog(ctx, cid, read_only=True),
                       RankFieldsDialog(ctx, cid, read_only=True),
                       ListMappingDialog(ctx, cid, read_only=True),
                       SyncPriorityDialog(ctx, read_only=True)):
            await app.push_screen(dialog)
            await pilot.pause()
            keys = " ".join(screen_text(app).splitlines()[-2:])  # the key bar's lines
            assert "f10 Close" in keys, type(dialog).__name__
            await pilot.press("f10")
            await pilot.pause()
            assert app.screen is base, f"{type(dialog).__name__}: F10 left {app.screen!r}"
        assert require_connection(ctx, cid).active


# ---- Mappings: legend and field filter -------------------------------------------------------

async def test_mappings_legend_line_and_help(two_connections: Any) -> None:
    ctx = two_connections
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = MappingsDialog(ctx, connection_id(ctx, DUTCH))
        await app.push_screen(dialog)
        await pilot.pause()
        assert "* mandatory" in status_text(dialog, "#legend")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = _shown(app)
        assert "Marks in the table" in text
        assert "* mandatory in the ERP" in text
        marks = text.index("Marks in the table")
        assert marks < text.index(" Keys ", marks) < text.index("Toggle actor", marks)


async def test_mappings_filter_finds_a_field(two_connections: Any) -> None:
    ctx = two_connections
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = MappingsDialog(ctx, connection_id(ctx, DUTCH))
        await app.push_screen(dialog)
        await pilot.pause()
        grid = dialog.query_one("#fields", GridTable)
        total = grid.row_count
        await pilot.press("slash", *"organis")
        await pilot.pause()
        assert grid.row_count == 1
        await pilot.press("enter")  # back to the table, the filter stays
        await pilot.pause()
        assert app.focused is grid and grid.row_count == 1
        assert "Organisation number (orgno, " in status_text(dialog)
        await pilot.press("escape")  # clears the filter, the dialog stays open
        await pilot.pause()
        assert app.screen is dialog and grid.row_count == total
        assert "Organisation number (orgno, " in status_text(dialog)  # the cursor stayed
        await pilot.press("slash", *"zzzz")
        await pilot.pause()
        assert grid.row_count == 0 and "No ERP field matches 'zzzz'" in status_text(dialog)


async def test_mappings_filter_is_fast_with_2000_fields(two_connections: Any) -> None:
    import time

    ctx = two_connections
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = MappingsDialog(ctx, connection_id(ctx, DUTCH))
        await app.push_screen(dialog)
        await pilot.pause()
        tab = dialog.tab
        assert tab is not None
        template = tab.rows[0]
        from dataclasses import replace

        tab.rows = [replace(template, erp=replace(template.erp, key=f"f{i}", label=f"Field {i}"))
                    for i in range(2000)]
        await pilot.press("right_square_bracket", "left_square_bracket")  # shown again
        await pilot.pause()
        assert dialog.query_one("#fields", GridTable).row_count == 2000
        await pilot.press("slash")
        started = time.perf_counter()
        await pilot.press(*"1999")
        await pilot.pause()
        assert time.perf_counter() - started < 2
        assert dialog.query_one("#fields", GridTable).row_count == 1


# ---- list mapping: saved once for all lists --------------------------------------------------

async def test_list_mapping_keeps_edits_across_tabs_and_saves_all(two_connections: Any) -> None:
    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    lists = mapped_lists(ctx, cid)
    assert len(lists) >= 2
    app, answers = make_app(ctx), Answers()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = ListMappingDialog(ctx, cid)
        await app.push_screen(dialog, answers)
        await pilot.pause()
        first = dialog.state
        assert first is not None
        await pilot.press("x")  # the first item of the first list to "(No selection)"
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert app.screen is dialog  # no question when moving to the next list
        second = dialog.state
        assert second is not None and second is not first
        await pilot.press("down", "x")
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert dialog.state is first and first.rows[0].crm_key is None  # its edit stayed
        await pilot.press("f10")
        await pilot.pause()
    assert answers.values == [True]
    saved_first = load_list_mapping(ctx, cid, first.erp_list, first.crm_list).rows
    saved_second = load_list_mapping(ctx, cid, second.erp_list, second.crm_list).rows
    assert saved_first[0].crm_key is None and saved_second[1].crm_key is None
    assert not any(row.suggested for row in saved_first + saved_second)


async def test_list_mapping_escape_asks_and_tabs_show_labels(two_connections: Any) -> None:
    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    before = [(r.erp_key, r.crm_key) for r in load_list_mapping(ctx, cid, "country").rows]
    app, answers = make_app(ctx, language="nl"), Answers()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = ListMappingDialog(ctx, cid, "country")
        await app.push_screen(dialog, answers)
        await pilot.pause()
        tabs = screen_text(app).splitlines()[1]
        assert "Land" in tabs and "customer_group" not in tabs
        await pilot.press("x", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is dialog
        await pilot.press("escape", "y")
        await pilot.pause()
    assert answers.values == [False]
    assert [(r.erp_key, r.crm_key)
            for r in load_list_mapping(ctx, cid, "country").rows] == before  # nothing saved


# ---- defaults: Esc asks, one actor order and naming, Dutch at 80x24 ------------------------

async def test_escape_on_a_half_filled_add_default_asks(two_connections: Any) -> None:
    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    app = make_app(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = DefaultsDialog(ctx, cid)
        await app.push_screen(dialog)
        await pilot.pause()
        await pilot.press("a", "escape")  # nothing entered: closes at once
        await pilot.pause()
        assert app.screen is dialog
        await pilot.press("a", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PickerDialog)
        await pilot.press(*"name", "enter")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, DefaultEditDialog) and editor.dirty
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is editor and editor.field is not None
        await pilot.press("escape", "y")
        await pilot.pause()
        assert app.screen is dialog
    assert load_defaults(ctx, cid).tab("Customer").rows == []


async def test_defaults_actor_order_and_names_follow_mappings(two_connections: Any) -> None:
    ctx = two_connections
    cid = connection_id(ctx, DUTCH)
    app = make_app(ctx, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        mappings = MappingsDialog(ctx, cid)
        await app.push_screen(mappings)
        await pilot.pause()
        mapping_tabs = screen_text(app).splitlines()[1].split()
        await pilot.press("escape")
        await pilot.pause()
        defaults = DefaultsDialog(ctx, cid)
        await app.push_screen(defaults)
        await pilot.pause()
        default_tabs = screen_text(app).splitlines()[1].split()
        await pilot.press("escape")
        await pilot.pause()
        rank = RankFieldsDialog(ctx, cid)
        await app.push_screen(rank)
        await pilot.pause()
        rank_tabs = screen_text(app).splitlines()[1].split()
    assert mapping_tabs == default_tabs == rank_tabs
    assert mapping_tabs[:3] == ["Klant", "Leverancier", "Contactpersoon"]


async def test_dutch_add_default_is_whole_at_80x24(two_connections: Any) -> None:
    ctx = two_connections
    app = make_app(ctx, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(DefaultsDialog(ctx, connection_id(ctx, DUTCH)))
        await pilot.pause()
        await pilot.press("a", "enter", *"name", "enter")  # Name is mandatory in the ERP
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, DefaultEditDialog)
        text = screen_text(app)
        assert "Verplicht – gebruiker moet waarde invullen" in text
        lines = text.splitlines()
        at = next(i for i, line in enumerate(lines) if "Verplicht – gebruiker" in line)
        # The ERP's reason on the line right under the checkbox, then a blank line.
        assert "(het ERP vereist dit veld)" in lines[at + 1]
        assert lines[at + 2].strip(" █") == ""
        assert "toevoegen — Klant" in text
        mandatory = editor.query_one("#mandatory", Checkbox)
        assert mandatory.value and mandatory.disabled
        assert "Annuleren" in text.splitlines()[-1]  # the keys are visible
