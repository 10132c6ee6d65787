"""Cold start of the UI as a user sees it: `erp-tui` as a real process on an 80x24 pseudo-terminal.

Each run forks `erp-tui --data-dir DIR --lang en` on a new pty (stdlib `pty`, no pexpect), reads
what it writes to the terminal and notes two moments, measured from just before the fork:

- first paint: the connections screen with its table is on the terminal (its title and the
  table's column header are drawn);
- rows shown: the connection rows are on the terminal (the store was opened in a worker thread
  behind the first paint; the demo's first connection name appears).

Then it sends Ctrl+Q and waits for the process to exit. Prints every run and the medians.

    .venv/bin/python bench/bench_startup.py [--runs 9] [--data-dir DIR]

Without --data-dir the demo is created once in a temporary directory (`erp-tui demo --no-ui`).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]"
                  r"|\x1b[()][0-9A-Za-z]")
FIRST_PAINT = ("ERP connections", "Last sync")  # the title and the table's column header
ROWS_SHOWN = "Nordic Trading AB"  # the demo's first connection


def erp_tui_command() -> str:
    """The `erp-tui` script next to this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("erp-tui")
    if beside.exists():
        return str(beside)
    found = shutil.which("erp-tui")
    if not found:
        raise SystemExit("erp-tui is not installed in this environment")
    return found


def one_run(argv: list[str], env: dict[str, str], timeout: float = 30.0
            ) -> tuple[float, float]:
    """(first paint, rows shown) in seconds since the fork."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: an 80x24 terminal, then erp-tui
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        os.execve(argv[0], argv, env)
    raw = b""
    first = rows = float("nan")
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.02)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            now = time.perf_counter() - start
            raw += chunk
            text = ANSI.sub("", raw.decode("utf-8", errors="ignore"))
            if first != first and all(marker in text for marker in FIRST_PAINT):
                first = now
            if rows != rows and ROWS_SHOWN in text:
                rows = now
            if first == first and rows == rows:
                break
        os.write(fd, b"\x11")  # Ctrl+Q quits
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline:
            done, _status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if select.select([fd], [], [], 0.05)[0]:
                with contextlib.suppress(OSError):
                    os.read(fd, 1 << 16)  # keep the pty drained so the child can exit
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    finally:
        os.close(fd)
    if first != first or rows != rows:
        raise SystemExit(f"the connections screen did not appear within {timeout:.0f} s:\n"
                         + ANSI.sub("", raw.decode("utf-8", errors="ignore"))[-2000:])
    return first, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--data-dir", help="an existing data directory with the demo in it")
    args = parser.parse_args()
    command = erp_tui_command()
    env = {key: value for key, value in os.environ.items() if not key.startswith("ERP_TUI_")}
    env.update(TERM="xterm-256color", COLUMNS="80", LINES="24", LANG="C.UTF-8")
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = str(Path(scratch) / "data")
            subprocess.run([command, "--data-dir", data_dir, "demo", "--no-ui"], env=env,
                           check=True, capture_output=True)
        argv = [command, "--data-dir", data_dir, "--lang", "en"]
        one_run(argv, env)  # warm the OS file cache
        runs = [one_run(argv, env) for _ in range(args.runs)]
    print("command:", " ".join([*argv[:1], "--data-dir", "DIR", "--lang", "en"]),
          "(on an 80x24 pty)")
    print("first paint:", " ".join(f"{first:.3f}" for first, _ in runs))
    print("rows shown: ", " ".join(f"{shown:.3f}" for _, shown in runs))
    print(f"median cold start to first paint (connections screen with its table): "
          f"{statistics.median(first for first, _ in runs):.3f} s")
    print(f"median cold start to rows shown (store opened behind the first paint): "
          f"{statistics.median(shown for _, shown in runs):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
