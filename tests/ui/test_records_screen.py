"""The CRM records screen: opened with `c` from the connections screen, tabs per entity, a
table paging from the store, type-to-filter ("begins with"), link-state marks per connection,
Enter opens the record view."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, update

from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.connections import ConnectionsScreen
from erp_tui.screens.record_view import RecordView
from erp_tui.screens.records_screen import RecordsScreen
from erp_tui.screens.widgets.grid_table import GridTable
from erp_tui.services.records import count_records, list_records
from tests.screen_support import screen_text
from tests.store_support import NORDIC
from tests.wait_support import hold_calls

from .crm_support import companies, customer_key, link, settle


async def _open(app: ErpTuiApp, pilot: Any) -> RecordsScreen:
    await pilot.pause()
    await pilot.press("c")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, RecordsScreen)
    return screen


async def test_c_opens_the_records_with_a_tab_per_entity(demo_ctx: Any) -> None:
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(app, pilot)
        first = companies(demo_ctx)[0]
        total = count_records(demo_ctx, "company")
        assert screen.head_text().startswith(f"{total} records")
        assert screen.cell_text(0, 0) == first.title
        assert screen.cell_text(0, 1) == first.number
        text = screen_text(app)
        assert "▸1 Companies" in text and first.title in text
        await pilot.press("2")
        await settle(app, pilot)
        person = list_records(demo_ctx, "person", "", 0, 1)[0]
        assert screen.entity == "person"
        assert screen.head_text().startswith(f"{count_records(demo_ctx, 'person')} records")
        assert screen.cell_text(0, 0) == person.title
        assert screen.cell_text(0, 3) == person.company  # persons show their company
        await pilot.press("3")
        await settle(app, pilot)
        assert screen.cell_text(0, 0) == list_records(demo_ctx, "project", "", 0, 1)[0].title
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionsScreen)


async def test_the_palette_offers_crm_records_in_dutch(demo_ctx: Any) -> None:
    from erp_tui.screens.commands import screen_commands

    app = ErpTuiApp(demo_ctx, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        titles = [command.title for command in screen_commands(app, app.screen)]
        assert "CRM-gegevens" in titles
        screen = await _open(app, pilot)
        assert "▸1 Bedrijven" in screen_text(app)
        titles = [command.title for command in screen_commands(app, screen)]
        assert {"Bedrijven", "Personen", "Projecten", "Filteren", "Zoeken in ERP"} <= set(titles)


async def test_typing_filters_by_begins_with_and_enter_opens_the_record(demo_ctx: Any) -> None:
    app = ErpTuiApp(demo_ctx, language="en")
    target = companies(demo_ctx)[5]
    prefix = target.title[:4].lower()
    expected = companies(demo_ctx, prefix)
    assert expected and len(expected) < count_records(demo_ctx, "company")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(app, pilot)
        await pilot.press(*prefix)  # typed on the table: goes to the filter
        await settle(app, pilot)
        counted = (f"1 record begins with '{prefix}'" if len(expected) == 1
                   else f"{len(expected)} records begin with '{prefix}'")
        assert screen.head_text().startswith(counted)
        grid = screen.query_one("#records", GridTable)
        assert grid.row_count == len(expected)
        assert all(screen.cell_text(i, 0).lower().startswith(prefix)
                   for i in range(len(expected)))
        await pilot.press("down")  # back to the table (as Enter does)
        assert isinstance(app.focused, GridTable)
        row = next(i for i, r in enumerate(expected) if r.id == target.id)
        await pilot.press(*["down"] * row, "enter")
        await pilot.pause()
        view = app.screen
        assert isinstance(view, RecordView)
        assert view.record_id == target.id and view.entity == "company"
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is screen
        # Escape in the filter clears it; a text nothing begins with says so.
        await pilot.press("slash", "escape")
        await settle(app, pilot)
        assert grid.row_count == count_records(demo_ctx, "company")
        await pilot.press(*"zzzq")
        await settle(app, pilot)
        assert screen.head_text().startswith("Nothing begins with 'zzzq'.")
        await pilot.press("escape")
        await settle(app, pilot)
        assert grid.row_count == count_records(demo_ctx, "company")


async def test_link_state_marks_per_connection_and_erp_key_filter(demo_ctx: Any) -> None:
    from erp_tui.model import Link, SyncError
    from erp_tui.services.connections import require_connection

    first, second, third = companies(demo_ctx)[:3]
    key1, key2, key3 = (customer_key(demo_ctx, n) for n in ("10001", "10002", "10003"))
    for record, key in ((first, key1), (second, key2), (third, key3)):
        link(demo_ctx, record.id, key)
    nordic = require_connection(demo_ctx, NORDIC).id
    with demo_ctx.session() as session:
        session.execute(update(Link).where(Link.erp_key == key2)  # type: ignore[arg-type]
                        .values(state="deleted_in_erp"))
        session.execute(insert(SyncError).values(
            run_id=1, connection_id=nordic, actor_type="Customer", erp_key=key3,
            crm_id=third.id, direction="<", message="Unmapped list item"))
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(app, pilot)
        column = 4 + screen.connections.index(NORDIC)
        assert [screen.cell_text(i, column) for i in range(4)] == ["●", "✗", "!", ""]
        assert screen.query_one("#records", GridTable).columns[column].label == NORDIC
        assert f"● {NORDIC}: Customer {key1} (linked)" in screen.detail_text()
        await pilot.press("slash", *key2.lower())
        await settle(app, pilot)
        assert screen.pages is not None and screen.pages.count == 1
        assert screen.cell_text(0, 0) == second.title
        assert f"✗ {NORDIC}: Customer {key2} (deleted in ERP)" in screen.detail_text()


async def test_only_the_rows_on_screen_are_read(demo_ctx: Any, monkeypatch: Any) -> None:
    """5,000 companies: opening, End and PageUp read a page each, never the whole table."""
    from erp_tui.model import CrmCompany
    from erp_tui.services import records

    with demo_ctx.session() as session:
        session.execute(insert(CrmCompany), [
            {"name": f"Zeta {i:05}", "number1": f"Z{i:05}", "change_stamp": 1000 + i}
            for i in range(5000)])
    reads: list[tuple[int, int]] = []
    original = records.list_records

    def counting(ctx: Any, entity: str, text: str = "", offset: int = 0,
                 limit: int = 50, total: int | None = None) -> list[Any]:
        reads.append((offset, limit))
        return original(ctx, entity, text, offset, limit, total)

    monkeypatch.setattr(records, "list_records", counting)
    total = count_records(demo_ctx, "company")
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(app, pilot)
        assert len(reads) == 1 and reads[0][1] <= 100
        await pilot.press("end")
        await pilot.pause()
        grid = screen.query_one("#records", GridTable)
        assert grid.cursor_row == total - 1
        last = original(demo_ctx, "company", "", total - 1, 1)[0]
        assert screen.cell_text(total - 1, 0) == last.title
        await pilot.press("pageup", "up", "up")
        await pilot.pause()
        assert len(reads) <= 4  # the first page, the test's own read, the last page(s)
        assert sum(limit for _offset, limit in reads) <= 301


async def test_rows_show_before_a_slow_count(demo_ctx: Any, monkeypatch: Any) -> None:
    """A broad filter on a big table counts slowly: its first rows show at once, the count
    follows, and keys work meanwhile."""

    from erp_tui.model import CrmCompany
    from erp_tui.services import records

    with demo_ctx.session() as session:
        session.execute(insert(CrmCompany), [
            {"name": f"Zeta {i:05}", "number1": f"Z{i:05}", "change_stamp": 1000 + i}
            for i in range(500)])
    total = count_records(demo_ctx, "company")
    release = hold_calls(monkeypatch, records, "count_records")
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, RecordsScreen)
        for _ in range(50):  # the first page's worker (the count's is held)
            await pilot.pause()
            if screen.pages is not None:
                break
        assert screen.pages is not None and screen.counting
        assert screen.head_text().startswith("100+ records — counting…")
        await pilot.press("down", "down")
        assert screen.query_one("#records", GridTable).cursor_row == 2
        release.set()
        await settle(app, pilot)
        assert not screen.counting
        assert screen.head_text().startswith(f"{total:,} records")
        assert screen.query_one("#records", GridTable).row_count == total
        assert screen.query_one("#records", GridTable).cursor_row == 2
