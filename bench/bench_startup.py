"""Cold start of the UI: time from a fresh interpreter until the first screen has mounted.

Runs `erp-tui`'s own path in a new process each time (python -c: open the context, build the
app, run it headless at 80x24 until the connections screen is mounted, exit) and prints the
median of N runs. Usage:

    python bench/bench_startup.py [--runs 9] [--data-dir DIR]

With no --data-dir a fresh, empty store in a temporary directory is used.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import asyncio, sys, time
start = float(sys.argv[1])
from erp_tui.context import AppContext
ctx = AppContext.open()
ui_start = time.time()
from erp_tui.screens.app import ErpTuiApp

async def main():
    app = ErpTuiApp(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        from erp_tui.screens.connections import ConnectionsScreen
        while not (isinstance(app.screen, ConnectionsScreen) and app.screen.is_mounted):
            await pilot.pause(0.001)
        now = time.time()
        print(f"{now - start:.4f} {ui_start - start:.4f} {now - ui_start:.4f}")

asyncio.run(main())
"""


def one_run(env: dict[str, str]) -> tuple[float, float, float]:
    """(total, engine context opened, UI part) in seconds."""
    start = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD, repr(start)], env=env, check=True,
                         capture_output=True, text=True).stdout.strip().splitlines()
    total, engine, ui = (float(x) for x in out[-1].split())
    return total, engine, ui


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    env = dict(os.environ, TEXTUAL_ANIMATIONS="none")
    with tempfile.TemporaryDirectory() as scratch:
        env["ERP_TUI_DATA_DIR"] = args.data_dir or scratch
        one_run(env)  # warm the OS file cache and create/migrate the store once
        runs = [one_run(env) for _ in range(args.runs)]
    totals = [r[0] for r in runs]
    print("runs:", " ".join(f"{t:.3f}" for t in totals))
    print(f"median cold start to first screen: {statistics.median(totals):.3f} s")
    print(f"  of which interpreter + engine context (AppContext.open): "
          f"{statistics.median(r[1] for r in runs):.3f} s")
    print(f"  of which UI (import Textual and screens, mount, list connections): "
          f"{statistics.median(r[2] for r in runs):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
