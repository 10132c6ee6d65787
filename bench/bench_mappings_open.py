"""Benchmark: open the Mappings dialog on an actor with 2,000 extra ERP fields, and press keys.

Builds a sample ERP with `extra_fields` extra Customer fields and a connection to it in a
temporary directory, then (headless, 80x24) measures:
- open: from creating the dialog (which loads the mapping through the service) until it is
  mounted and painted — median of several runs;
- per key: the median / worst time to handle one key (down, right, space, `>`, ...).

    .venv/bin/python bench/bench_mappings_open.py [--fields 2000] [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path


def build(tmp: Path, extra_fields: int) -> tuple[object, int]:
    from erp_tui.connectors.sample_data import generate_sample_erp
    from erp_tui.context import AppContext
    from erp_tui.services import connections
    from erp_tui.settings import Settings

    ctx = AppContext.open(Settings(data_dir=tmp / "data",
                                   database_url=f"sqlite:///{tmp / 'erp-tui.sqlite'}"))
    erp_file = tmp / "erp.sqlite"
    generate_sample_erp(erp_file, customers=50, suppliers=5, projects=5, seed=1,
                        flavour="nordic", api_key="demo-key", company_name="Bench AB",
                        extra_fields=extra_fields, overwrite=True)
    draft = connections.ConnectionDraft(
        name="Bench AB", connector="sample",
        values={"database": str(erp_file), "api_key": "demo-key", "environment": "production",
                "page_size": 5000}, scope="everyone")
    return ctx, connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))


async def measure(ctx: object, connection_id: int, runs: int) -> None:
    from textual.app import App

    from erp_tui.screens.mappings_dialog import MappingsDialog
    from erp_tui.screens.widgets.grid_table import GridTable

    class Host(App[None]):
        pass

    app = Host()
    opens: list[float] = []
    open_cpu: list[float] = []
    keys: dict[str, list[float]] = {}
    key_cpu: dict[str, list[float]] = {}
    rows = 0
    async with app.run_test(size=(80, 24)) as pilot:
        for run in range(runs):
            start, cpu = time.perf_counter(), time.process_time()
            dialog = MappingsDialog(ctx, connection_id)
            await app.push_screen(dialog)
            await pilot.pause()
            opens.append(time.perf_counter() - start)
            open_cpu.append(time.process_time() - cpu)
            rows = dialog.query_one("#fields", GridTable).row_count
            if run == 0:
                for key in ["end", "home", *["down"] * 30, "pagedown", "pagedown", "right",
                            "right", "space", "space", "greater_than_sign", "equals_sign",
                            "minus", "right", "right", "right", "space", "space",
                            *["up"] * 10, "right_square_bracket", "left_square_bracket"]:
                    start, cpu = time.perf_counter(), time.process_time()
                    await pilot.press(key)
                    keys.setdefault(key, []).append(time.perf_counter() - start)
                    key_cpu.setdefault(key, []).append(time.process_time() - cpu)
            dialog.dismiss(False)
            await pilot.pause()
    every = [t for times in key_cpu.values() for t in times]
    print(f"rows on the Customer tab: {rows}")
    print(f"open (load + mount + paint), CPU: median {statistics.median(open_cpu) * 1000:.0f} "
          f"ms, max {max(open_cpu) * 1000:.0f} ms; wall clock median "
          f"{statistics.median(opens) * 1000:.0f} ms ({runs} runs)")
    print(f"per key, CPU (handler + repaint): median {statistics.median(every) * 1000:.1f} ms, "
          f"max {max(every) * 1000:.1f} ms over {len(every)} keys")
    print("  (wall clock per key is ~100 ms for any table size: pilot.press sleeps while it "
          "waits for the screen to settle)")
    for key, times in key_cpu.items():
        print(f"  {key:22} CPU median {statistics.median(times) * 1000:6.1f} ms, wall "
              f"{statistics.median(keys[key]) * 1000:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fields", type=int, default=2000, help="extra Customer fields")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        ctx, connection_id = build(Path(tmp), args.fields)
        print(f"built {args.fields} extra fields in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        from erp_tui.services.mappings import load_mappings

        load_mappings(ctx, connection_id)  # type: ignore[arg-type]
        print(f"load_mappings alone: {(time.perf_counter() - start) * 1000:.0f} ms")
        asyncio.run(measure(ctx, connection_id, args.runs))


if __name__ == "__main__":
    main()
