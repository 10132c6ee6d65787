"""Test helpers of the worker tests: `erp-tui worker` processes with data directories of their
own (each stands for a host), and waiting for what the store shows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, select

from erp_tui.model import SyncRun

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def wait_until(check: Callable[[], T], what: str, timeout: float = 30.0) -> T:
    """Poll `check` until it returns something true (returned), or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class WorkerProcess:
    """A running `erp-tui worker` and the file its output goes to."""

    process: subprocess.Popen[bytes]
    output: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def text(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def wait_started(self, timeout: float = 30.0) -> None:
        wait_until(lambda: "started" in self.text() or self.process.poll() is not None,
                   f"worker {self.pid} to start", timeout)
        assert self.process.poll() is None, self.text()

    def send(self, number: int) -> None:
        self.process.send_signal(number)

    def stop(self, number: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send `number` and return the exit code (killed after `timeout`: a failure)."""
        if self.process.poll() is None:
            self.process.send_signal(number)
        return self.wait(timeout)

    def wait(self, timeout: float = 30.0) -> int:
        """The exit code, once the worker has stopped (killed after `timeout`: a failure)."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"worker {self.pid} did not stop within {timeout} s:\n"
                                 f"{self.text()}") from None

    def run_lines(self) -> list[str]:
        """The worker's one-line run reports."""
        return [line for line in self.text().splitlines() if ": run " in line]


def start_worker(url: str, data_dir: Path, env: dict[str, str], *, every: str = "1d",
                 concurrency: int = 1) -> WorkerProcess:
    """Start `erp-tui worker` on the store at `url`, as a host with data directory
    `data_dir`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    output = data_dir / "worker.out"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "erp_tui", "--db", url, "--data-dir", str(data_dir),
             "worker", "--every", every, "--concurrency", str(concurrency)],
            cwd=ROOT, env={**os.environ, **env}, stdout=sink, stderr=subprocess.STDOUT)
    return WorkerProcess(process, output)


def runs(engine: Engine) -> list[Any]:
    """Every sync run record, oldest first."""
    table = SyncRun.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return list(conn.execute(select(table).order_by(table.c.id)))


def queue_jobs(engine: Engine) -> list[Any]:
    """(id, status, priority, args) of the job queue's jobs."""
    from sqlalchemy import text

    with engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT id, status, priority, args FROM procrastinate_jobs ORDER BY id")))
