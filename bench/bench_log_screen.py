"""Benchmark: the Sync log's Changes view on a run with 1,000,000 field changes.

Builds the demo in a temporary data directory, syncs once, then bulk-inserts `--rows` change_log
rows for that run straight into the store (SQL, one transaction). Headless at 80x24 it measures:
- open: from pushing the log screen on that connection until the Changes view of the run shows
  its first page (runs read, change count, first page read and painted);
- per key: page down x50, then End, then Home (each: key handled and the screen painted).

    .venv/bin/python bench/bench_log_screen.py [--rows 1000000]

Targets: open < 0.5 s, each key < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any


def build(tmp: Path, rows: int) -> tuple[Any, int]:
    from erp_tui.context import AppContext
    from erp_tui.demo import build_demo
    from erp_tui.runner import run_sync
    from erp_tui.settings import Settings

    database = tmp / "erp-tui.sqlite"
    ctx = AppContext.open(Settings(data_dir=tmp / "data", database_url=f"sqlite:///{database}"))
    build_demo(ctx, size=20)
    run_id = run_sync(ctx)[0].run_id
    assert run_id is not None
    started = time.perf_counter()
    conn = sqlite3.connect(database)
    with conn:
        conn.executemany(
            "INSERT INTO change_log (run_id, link_id, actor_type, erp_key, crm_id, field, "
            "direction, old_value, new_value, conflict, at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            ((run_id, None, "Customer", f"C{i:07d}", i, f"field{i % 37}", ">", f"old {i}",
              f"new value {i}", 0, "2026-11-02 09:30:00.000000") for i in range(rows)))
    conn.close()
    print(f"inserted {rows:,} change rows in {time.perf_counter() - started:.1f} s")
    return ctx, run_id


async def measure(ctx: Any, run_id: int, rows: int) -> None:
    from erp_tui.screens.app import ErpTuiApp
    from erp_tui.screens.log_screen import SyncLogScreen

    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        started = time.perf_counter()
        app.push_screen(SyncLogScreen(ctx, "Nordic Trading AB"))
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        opened = time.perf_counter() - started
        screen = app.screen
        assert isinstance(screen, SyncLogScreen)
        assert screen.changes is not None and screen.changes.run_id == run_id
        assert screen.changes.count == rows, screen.changes.count
        first = screen.cell_text("changes", 0, 1)
        print(f"open log screen + first page of run {run_id} ({rows:,} changes): "
              f"{opened * 1000:.0f} ms  (first row {first})")

        from erp_tui.screens.widgets.grid_table import GridTable

        grid = screen.query_one("#changes", GridTable)
        actions = {"pagedown": grid.action_page_down, "pageup": grid.action_page_up,
                   "end": grid.action_cursor_end, "home": grid.action_cursor_home}

        def work(name: str) -> float:
            """The app's own cost of a key: the action, the detail line and every visible
            line painted (what a key costs without the test harness)."""
            begin = time.perf_counter()
            actions[name]()
            screen._paint_detail()
            for y in range(grid.size.height):
                grid.render_line(y)
            return time.perf_counter() - begin

        async def key(name: str) -> float:
            """A key through the Pilot (press, handled, screen refreshed)."""
            begin = time.perf_counter()
            await pilot.press(name)
            await pilot.pause()
            return time.perf_counter() - begin

        def report(label: str, times: list[float]) -> None:
            print(f"  {label}: median {statistics.median(times) * 1000:.1f} ms, "
                  f"worst {max(times) * 1000:.1f} ms")

        own: list[float] = []
        for label, keys in (("page down x50", ["pagedown"] * 50), ("end", ["end"]),
                            ("page up x10", ["pageup"] * 10), ("home", ["home"])):
            times = [work(name) for name in keys]
            own += times
            report(f"{label} (handler + paint)", times)
        await pilot.press("home")
        piloted: list[float] = []
        for label, keys in (("page down x50", ["pagedown"] * 50), ("end", ["end"]),
                            ("page up x10", ["pageup"] * 10), ("home", ["home"])):
            times = [await key(name) for name in keys]
            piloted += times
            report(f"{label} (through Pilot)", times)
        print(f"  now at: {screen.detail_text().split('·')[0].strip()}")
        await pilot.press("escape")
        await pilot.pause()
        baseline = [await key("down") for _ in range(10)]
        report("baseline: down on the connections screen (through Pilot)", baseline)
        worst = max(own)
        print(f"targets: open < 500 ms {'OK' if opened < 0.5 else 'MISSED'}; "
              f"each key < 50 ms (handler + paint, worst {worst * 1000:.1f} ms) "
              f"{'OK' if worst < 0.05 else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        ctx, run_id = build(Path(folder), args.rows)
        asyncio.run(measure(ctx, run_id, args.rows))
        ctx.engine.dispose()


if __name__ == "__main__":
    main()
