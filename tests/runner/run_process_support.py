"""Test helpers of the run-exclusion and interrupted-run tests: one store (SQLite or PostgreSQL)
shared by `erp-tui sync` processes on "hosts" of their own (each its own data directory), and
the run records read straight from the store (not through `erp-tui log`, which marks runs)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.runner.tables import RUNS
from erp_tui.settings import Settings
from tests.cli_support import SCRIPT, run
from tests.runner.conftest import API_KEY, configure

NAME = "North"


@dataclass
class Site:
    """A store with one active sample connection, and the test's own context on it."""

    root: Path
    store_url: str
    secret_key: str
    ctx: AppContext
    connection_id: int

    def env(self, host: str) -> dict[str, str]:
        """The environment of `erp-tui` on `host`: its own data and log directory, the shared
        store and secret key."""
        folder = self.root / host
        return {**os.environ, "ERP_TUI_DATA_DIR": str(folder / "data"),
                "ERP_TUI_LOG_DIR": str(folder / "log"), "ERP_TUI_DATABASE_URL": self.store_url,
                "ERP_TUI_SECRET_KEY": self.secret_key, "LANG": "C.UTF-8"}

    def start(self, host: str, *args: str) -> subprocess.Popen[str]:
        """Start `erp-tui ARGS` (default: `sync`) on `host`."""
        return subprocess.Popen([str(SCRIPT), *(args or ("sync",))], env=self.env(host),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(self, host: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `erp-tui ARGS` on `host` to its end."""
        return subprocess.run([str(SCRIPT), *args], env=self.env(host), capture_output=True,
                              text=True, timeout=120, check=False)

    def cli(self, host: str, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
        """Run `erp-tui ARGS` on `host` inside the test process (quicker than a process of its
        own): (exit code, standard output, standard error)."""
        for key, value in self.env(host).items():
            if key.startswith("ERP_TUI_"):
                monkeypatch.setenv(key, value)
        return run(capsys, *args)

    def runs(self) -> list[Any]:
        """Every run record, oldest first, as stored."""
        with self.ctx.engine.connect() as conn:
            return list(conn.execute(select(RUNS).order_by(RUNS.c.id)).all())

    def wait_running(self, pid: int, at_most: float = 60) -> Any:
        """The run record process `pid` is running, as soon as it exists."""
        deadline = time.monotonic() + at_most
        while time.monotonic() < deadline:
            mine = [r for r in self.runs() if r.pid == pid and r.status == "running"]
            if mine:
                return mine[0]
            time.sleep(0.01)
        raise AssertionError(f"process {pid} recorded no running run within {at_most} s")


def build_site(root: Path, store_url: str, *, customers: int = 40, page_size: int = 5000
               ) -> Site:
    """A sample ERP of `customers` customers (one person each) mapped and activated on the
    store at `store_url`."""
    secret_key = Fernet.generate_key().decode()
    settings = Settings(data_dir=root / "admin" / "data", database_url=store_url,
                        secret_key=secret_key, log_dir=root / "admin" / "log")
    ctx = AppContext.open(settings)
    erp_file = root / "sample-erp.sqlite"
    generate_sample_erp(erp_file, customers=customers, suppliers=0, persons_per_customer=1,
                        persons_per_supplier=0, projects=0, api_key=API_KEY, seed=5)
    cid = configure(ctx, erp_file, NAME, page_size=page_size)
    return Site(root, store_url, secret_key, ctx, cid)


def kill(process: subprocess.Popen[str]) -> None:
    """SIGKILL a process (stopped or not) and reap it."""
    with suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
