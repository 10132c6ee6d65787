"""Benchmark: the CRM records screen and the ERP tab on 1,000,000 companies.

Builds the demo in a temporary data directory and syncs it (so records have links), adds a SQL
connection (a SQLite ERP database) and syncs that too, then bulk-inserts `--companies` CRM
companies straight into the store (SQL, one transaction). It measures, each the median of
several tries:
- records service: count, first page, a filter's first page with its count, pages far down;
- records screen, headless at 80x24: from pushing the screen until its first rows are painted;
  a typed filter until the table shows the matches; page down / down / End / Home per key
  (the app's own cost: the action and every visible line painted);
- ERP tab values (live from the ERP) of a record linked by the sample and by the SQL connector.

    .venv/bin/python bench/bench_records.py [--companies 1000000]

Targets: first rows < 0.3 s, a filter < 0.3 s, < 50 ms a key, ERP tab values < 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SQL_DESCRIPTOR = """\
actors:
  Customer:
    table: customer
    key: id
    last_modified: updated_at
    fields:
      name: {type: text, access: mandatory}
      city: text
      phone: text
      credit_limit: double
      active: checkbox
"""

_FIRST = ["Berg", "Skog", "Dal", "Holm", "Lund", "Vik", "Strand", "Ek", "Fjell", "Sand",
          "Duin", "Tulp", "Molen", "Brug", "Haven", "Polder", "Kade", "Gracht", "Akker", "Wal"]
_SECOND = ["Trading", "Consult", "Systems", "Logistics", "Foods", "Energi", "Marine", "Bouw",
           "Tech", "Design", "Media", "Partners", "Holding", "Retail", "Service"]
_FORM = ["AB", "AS", "BV", "NV", "Oy", "ApS", "GmbH", "Ltd"]
_CITIES = ["Amsterdam", "Rotterdam", "Utrecht", "Oslo", "Bergen", "Stockholm", "Göteborg",
           "Malmö", "Helsinki", "Espoo", "Aarhus", "København", "Antwerpen", "Gent", "Zwolle"]


def _sql_erp(folder: Path) -> dict[str, Any]:
    """A SQLite ERP with 500 customers; the SQL connector's config values."""
    database = folder / "erp-sql.sqlite"
    conn = sqlite3.connect(database)
    with conn:
        conn.execute("CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                     "city TEXT, phone TEXT, credit_limit REAL, active INTEGER, "
                     "updated_at TIMESTAMP NOT NULL)")
        conn.executemany("INSERT INTO customer VALUES (?,?,?,?,?,?,?)", (
            (i, f"SQL customer {i}", _CITIES[i % len(_CITIES)], f"+31 20 {i:07d}",
             1000.0 + i, i % 2, "2026-01-01 00:00:00") for i in range(1, 501)))
    conn.close()
    descriptor = folder / "erp-sql.yaml"
    descriptor.write_text(SQL_DESCRIPTOR, encoding="utf-8")
    return {"url": f"sqlite:///{database}", "descriptor": str(descriptor)}


def build(tmp: Path, companies: int) -> Any:
    from erp_tui.context import AppContext
    from erp_tui.demo import build_demo
    from erp_tui.rules import Direction
    from erp_tui.runner import run_sync
    from erp_tui.services import connections, mappings
    from erp_tui.settings import Settings

    database = tmp / "erp-tui.sqlite"
    ctx = AppContext.open(Settings(data_dir=tmp / "data", database_url=f"sqlite:///{database}"))
    build_demo(ctx, size=200)
    draft = connections.ConnectionDraft(name="SQL ERP", connector="sql",
                                        values=_sql_erp(tmp), scope="everyone")
    outcome = connections.test_draft(ctx, draft)
    assert outcome.ok, outcome.message
    cid = connections.save_draft(ctx, draft, outcome)
    state = mappings.load_mappings(ctx, cid)
    for tab in state.tabs:
        tab.enabled = tab.actor_type == "Customer"
        for row in tab.rows:
            if row.erp.key in ("name", "city"):
                target = {"name": "name", "city": "postal_city"}[row.erp.key]
                assert mappings.set_crm_field(tab, row, target) == ""
                assert mappings.set_direction(tab, row, Direction.TO_CRM) == ""
    mappings.save_mappings(ctx, state)
    connections.activate(ctx, cid)
    for report in run_sync(ctx):
        print(f"synced {report.connection}: {report.counts.as_dict()['created']} created")
    started = time.perf_counter()
    rng = random.Random(7)
    conn = sqlite3.connect(database)
    with conn:
        conn.executemany(
            "INSERT INTO crm_company (name, number1, email, postal_city, created, updated, "
            "change_stamp) VALUES (?,?,?,?,?,?,0)",
            ((f"{rng.choice(_FIRST)}{rng.choice(_FIRST).lower()} {rng.choice(_SECOND)} "
              f"{rng.choice(_FORM)}", f"B{i:07d}", f"info{i}@example.com",
              rng.choice(_CITIES), "2026-11-02 09:30:00", "2026-11-02 09:30:00")
             for i in range(companies)))
    conn.execute("ANALYZE")
    conn.close()
    print(f"inserted {companies:,} companies in {time.perf_counter() - started:.1f} s")
    return ctx


def _median_ms(work: Callable[[], Any], tries: int = 7) -> float:
    times = []
    for _ in range(tries):
        begin = time.perf_counter()
        work()
        times.append(time.perf_counter() - begin)
    return statistics.median(times) * 1000


def measure_services(ctx: Any, companies: int) -> None:
    from erp_tui.services import records

    total = records.count_records(ctx, "company")
    print(f"records service on {total:,} companies (median of 7):")
    counted = _median_ms(lambda: records.count_records(ctx, "company"))
    first = _median_ms(lambda: records.list_records(ctx, "company", "", 0, 50))
    print(f"  count all                 {counted:7.1f} ms")
    print(f"  first page (50)           {first:7.1f} ms")
    for text in ("s", "skogdal", "b0500", "oslo", "zz"):
        count = records.count_records(ctx, "company", text)
        ms = _median_ms(lambda t=text: (records.count_records(ctx, "company", t),
                                        records.list_records(ctx, "company", t, 0, 50)))
        print(f"  filter {text!r:12} {count:8,} matches, count + first page {ms:7.1f} ms")
    for offset in (companies // 2, total - 50):
        ms = _median_ms(lambda o=offset: records.list_records(ctx, "company", "", o, 50))
        print(f"  page at offset {offset:>9,}  {ms:7.1f} ms")


async def _until(pilot: Any, ready: Callable[[], bool], limit: float = 30.0) -> None:
    """Let the app run until `ready()` (a worker's result has been painted)."""
    deadline = time.perf_counter() + limit
    while not ready():
        if time.perf_counter() > deadline:
            raise TimeoutError("the records screen did not finish loading")
        await pilot.pause(0.001)


async def measure_screen(ctx: Any) -> None:
    from textual.widgets import Input

    from erp_tui.screens.app import ErpTuiApp
    from erp_tui.screens.records_screen import RecordsScreen
    from erp_tui.screens.widgets.grid_table import GridTable

    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        opened = []
        for _ in range(5):
            started = time.perf_counter()
            screen = RecordsScreen(ctx)
            app.push_screen(screen)
            await _until(pilot, lambda s=screen: s.pages is not None and s.cell_text(0, 0) != "")
            opened.append(time.perf_counter() - started)
            app.pop_screen()
            await pilot.pause()
        print(f"records screen: from push to first rows painted, median of 5 "
              f"{statistics.median(opened) * 1000:.0f} ms (max {max(opened) * 1000:.0f} ms)")
        screen = RecordsScreen(ctx)
        app.push_screen(screen)
        await _until(pilot, lambda: screen.pages is not None)
        for text in ("s", "sk", "skog", "oslo", "b05", "zz", ""):
            started = time.perf_counter()
            screen.query_one("#filter", Input).value = text
            await _until(pilot, lambda t=text: screen.pages is not None
                         and screen.pages.text == t and not screen.loading)
            print(f"records screen: filter {text!r:7} -> {screen.pages.count:>9,} rows shown "
                  f"in {(time.perf_counter() - started) * 1000:5.0f} ms")
        grid = screen.query_one("#records", GridTable)
        grid.focus()
        actions = {"pagedown": grid.action_page_down, "down": grid.action_cursor_down,
                   "end": grid.action_cursor_end, "home": grid.action_cursor_home,
                   "pageup": grid.action_page_up}

        def work(name: str) -> float:
            """The app's own cost of a key: the action and every visible line painted."""
            begin = time.perf_counter()
            actions[name]()
            for y in range(grid.size.height):
                grid.render_line(y)
            return time.perf_counter() - begin

        costs: dict[str, list[float]] = {}
        for key in ["pagedown"] * 30 + ["down"] * 30 + ["end", "pageup", "home"] * 3:
            costs.setdefault(key, []).append(work(key))
        for key, values in costs.items():
            print(f"records screen: {key:9} median {statistics.median(values) * 1000:5.1f} ms,"
                  f" worst {max(values) * 1000:5.1f} ms ({len(values)} keys)")


def measure_erp_tab(ctx: Any) -> None:
    from erp_tui.services import erp_tab

    for connection, actor in (("Nordic Trading AB", "Customer"), ("SQL ERP", "Customer")):
        from sqlalchemy import text

        with ctx.engine.connect() as conn:
            row = conn.execute(text(
                "SELECT l.crm_id, l.erp_key FROM link l JOIN connection c "
                "ON c.id = l.connection_id WHERE c.name = :n AND l.actor_type = :a "
                "ORDER BY l.id LIMIT 1"), {"n": connection, "a": actor}).first()
        assert row is not None, connection
        times = []
        shown = 0
        for _ in range(5):
            begin = time.perf_counter()
            links = erp_tab.erp_tab_links(ctx, "company", row[0])
            values = erp_tab.erp_tab_values(ctx, "company", row[0], connection, actor, row[1])
            times.append(time.perf_counter() - begin)
            assert not values.message, values.message
            shown = len(values.fields)
        print(f"ERP tab of a {connection} record ({len(links)} links, {shown} live fields): "
              f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--companies", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        ctx = build(Path(folder), args.companies)
        measure_services(ctx, args.companies)
        measure_erp_tab(ctx)
        asyncio.run(measure_screen(ctx))


if __name__ == "__main__":
    main()
