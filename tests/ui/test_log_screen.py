"""The Sync log screen: runs, the field changes of a run (paged), open errors with retry."""

from __future__ import annotations

import sqlite3
from typing import Any

from erp_tui.connectors.sample_data import mark_deleted, touch_actors
from erp_tui.i18n import set_language
from erp_tui.runner import open_errors, recent_runs, run_sync
from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.change_pages import PAGE, ChangePages
from erp_tui.screens.log_screen import SyncLogScreen
from erp_tui.screens.log_text import changes_head, errors_head, retrying_text
from tests.list_support import map_list_item

NORDIC = "Nordic Trading AB"


def _erp_file(ctx: Any) -> Any:
    return ctx.settings.data_dir / "demo" / "erp-nordic.sqlite"


def _customers(ctx: Any) -> list[tuple[str, str]]:
    with sqlite3.connect(_erp_file(ctx)) as conn:
        return list(conn.execute("SELECT erp_key, country FROM customer WHERE deleted = 0 "
                                 "ORDER BY erp_key"))


async def test_log_lists_runs_and_the_changes_of_a_run(demo_ctx: Any) -> None:
    run_sync(demo_ctx)
    keys = [key for key, _country in _customers(demo_ctx)[:3]]
    touch_actors(_erp_file(demo_ctx), "Customer", keys, {"phone": "+46 555 0100"})
    run_sync(demo_ctx)
    runs = recent_runs(demo_ctx)
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        screen = app.screen
        assert isinstance(screen, SyncLogScreen)
        assert screen.current_view == "runs"
        assert [screen.cell_text("runs", i, 0).strip() for i in range(2)] == [
            str(runs[0].id), str(runs[1].id)]
        assert "Run" in screen.detail_text() and "3 updated" in screen.detail_text()
        await pilot.press("enter")  # the newest run's changes
        assert screen.current_view == "changes"
        assert screen.changes is not None and screen.changes.count == 3
        assert {screen.cell_text("changes", i, 1) for i in range(3)} == set(keys)
        assert {screen.cell_text("changes", i, 3) for i in range(3)} == {"phone"}
        assert screen.cell_text("changes", 0, 6) == "+46 555 0100"
        assert "Row 1 of 3" in screen.detail_text()

        await pilot.press("slash", *keys[1], "enter")  # filter by ERP key
        assert screen.changes.count == 1
        assert screen.cell_text("changes", 0, 1) == keys[1]
        assert "1 of 3 field changes shown" in screen.head_text()
        await pilot.press("escape")
        assert not isinstance(app.screen, SyncLogScreen)


async def test_deleted_and_restored_records_read_in_dutch(demo_ctx: Any) -> None:
    """Whole-record events of a run are in the UI's language, with what the record was."""
    run_sync(demo_ctx)
    key = _customers(demo_ctx)[0][0]
    mark_deleted(_erp_file(demo_ctx), "Customer", [key])
    run_sync(demo_ctx)
    mark_deleted(_erp_file(demo_ctx), "Customer", [key], deleted=False)
    run_sync(demo_ctx)
    app = ErpTuiApp(demo_ctx, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        screen = app.screen
        assert isinstance(screen, SyncLogScreen)
        await pilot.press("enter")  # the newest run: the restore
        assert screen.cell_text("changes", 0, 5) == "verwijderd in ERP"
        assert screen.cell_text("changes", 0, 6) == "* hersteld in ERP"
        assert "verwijderd in ERP → * hersteld in ERP" in screen.detail_text()
        await pilot.press("1", "down", "enter")  # the run before: the delete
        assert screen.cell_text("changes", 0, 5) == ""
        assert screen.cell_text("changes", 0, 6) == "* verwijderd in ERP"


async def test_open_errors_retry_selected_after_fixing_the_mapping(demo_ctx: Any) -> None:
    countries: dict[str, int] = {}
    for _key, country in _customers(demo_ctx):
        countries[country] = countries.get(country, 0) + 1
    country = min(countries, key=lambda c: countries[c])
    map_list_item(demo_ctx, NORDIC, "country", country, None)
    run_sync(demo_ctx)
    errors = open_errors(demo_ctx, NORDIC)
    held_back = [e for e in errors if e.actor_type == "Person"]  # wait for their companies
    assert len(errors) - len(held_back) == countries[country]
    assert all(e.message.startswith("Its parent Customer ") for e in held_back)
    map_list_item(demo_ctx, NORDIC, "country", country, country)

    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g", "3")
        screen = app.screen
        assert isinstance(screen, SyncLogScreen)
        assert screen.current_view == "errors"
        assert len(errors) > 1 and f"{len(errors)} open errors, 0 marked" in screen.head_text()
        row = next(i for i, e in enumerate(screen.errors) if e.actor_type == "Customer")
        await pilot.press(*["down"] * row)
        assert f"ERP item '{country}'" in screen.cell_text("errors", row, 5)
        await pilot.press("space")
        assert screen.cell_text("errors", row, 0) == "[x]"  # marked with a glyph
        assert "1 marked" in screen.head_text()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "1 resolved, 0 still failing" in screen.message_text()
        assert len(open_errors(demo_ctx, NORDIC)) == len(errors) - 1
        assert len(screen.errors) == len(errors) - 1
        if screen.errors:
            await pilot.press("R")  # retry all
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert open_errors(demo_ctx, NORDIC) == []
        assert "No open errors" in screen.head_text()
        assert recent_runs(demo_ctx)[0].kind == "retry"


async def test_connection_filter_cycles_and_text_filters_errors(demo_ctx: Any) -> None:
    run_sync(demo_ctx)
    app = ErpTuiApp(demo_ctx, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(SyncLogScreen(demo_ctx, None))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SyncLogScreen)
        assert "alle verbindingen" in str(screen.query_one("#tabs").render())
        seen = []
        for _ in range(3):
            await pilot.press("c")
            seen.append(screen.name_filter)
        assert seen == ["Dutch Wholesale BV", NORDIC, None]
        assert len(screen.runs) == 1
        await pilot.press("3", "slash", *"zzz", "enter")
        assert screen.text_filter == "zzz" and screen.errors == []


def test_change_pages_read_by_key_from_either_end(demo_ctx: Any) -> None:
    """Pages read from a neighbour, from the start and from the end agree."""
    from sqlalchemy import insert

    from erp_tui.model import ChangeLog

    table = ChangeLog.__table__  # type: ignore[attr-defined]
    total = PAGE * 5 + 17
    with demo_ctx.engine.begin() as conn:
        conn.execute(insert(table), [
            {"run_id": 7, "actor_type": "Customer", "erp_key": f"C{i:07d}", "crm_id": i,
             "field": "name", "direction": ">", "old_value": None, "new_value": str(i),
             "conflict": False} for i in range(total)])
    pages = ChangePages(demo_ctx, 7)
    assert pages.count == total
    last = pages.row(total - 1)
    assert last is not None and last.new == str(total - 1)  # from the end
    assert [pages.row(i).new for i in (0, PAGE, 3 * PAGE + 5, total - PAGE - 1)] == [
        "0", str(PAGE), str(3 * PAGE + 5), str(total - PAGE - 1)]
    assert pages.row(total) is None
    filtered = ChangePages(demo_ctx, 7, "C00001")
    assert filtered.count == 100 and filtered.total == total
    assert filtered.row(99).erp_key == "C0000199"


def test_the_heads_count_in_singular_and_plural() -> None:
    """One error or change reads in the singular, more in the plural, in both languages."""
    assert errors_head(1, 0) == "1 open error, 0 marked."
    assert retrying_text(2) == "⏳ Retrying 2 errors…"
    assert changes_head(7, 1) == "Run 7: 1 field change."
    assert changes_head(7, 1200, 0) == "Run 7: 0 of 1,200 field changes shown."
    set_language("nl")
    assert errors_head(2, 1) == "2 openstaande fouten, 1 gemarkeerd."
    assert retrying_text(1) == "⏳ 1 fout opnieuw proberen…"
    assert changes_head(7, 1) == "Run 7: 1 veldwijziging."
