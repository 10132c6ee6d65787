"""A run whose process died (SIGKILL, a dropped SSH session) is never `running` for ever:
`erp-tui log` and the next run mark it `interrupted`, ended when it was last seen; the next
sync carries on and loses nothing. On a SQLite store and on a PostgreSQL store."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from erp_tui.runner.lock import utc_text
from tests.db_support import create_database

from .run_process_support import Site, build_site, kill

CUSTOMERS = 200
PAGE_SIZE = 10


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Site:
    url, drop = create_database(request.param, tmp_path)
    request.addfinalizer(drop)
    built = build_site(tmp_path, url, customers=CUSTOMERS, page_size=PAGE_SIZE)
    request.addfinalizer(built.ctx.engine.dispose)
    return built


def _other_host(site: Site) -> str:
    """Another host on a PostgreSQL store; on a SQLite store (one host) the same one."""
    return "host-b" if site.store_url.startswith("postgresql") else "host-a"


def _kill_mid_run(site: Site) -> Any:
    """Start a sync on host-a and SIGKILL it after it committed a batch; its run record."""
    process = site.start("host-a")
    try:
        running = site.wait_running(process.pid)
        deadline = time.monotonic() + 60
        while True:  # a batch committed: last seen later than the start
            (seen,) = [r for r in site.runs() if r.id == running.id]
            if seen.status != "running" or seen.last_seen > seen.started:
                break
            assert time.monotonic() < deadline, "the run committed no batch"
            time.sleep(0.01)
    finally:
        kill(process)
    (dead,) = [r for r in site.runs() if r.id == running.id]
    assert dead.status == "running" and dead.pid == process.pid  # as the dead process left it
    return dead


def test_killed_runs_are_marked_interrupted_by_log_and_by_the_next_run(
        site: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
        ) -> None:
    first = _kill_mid_run(site)
    code, out, err = site.cli(_other_host(site), monkeypatch, capsys, "log")
    assert code == 0, err
    row = out.splitlines()[1].split()
    assert row[0] == str(first.id) and "interrupted" in row
    seen = utc_text(first.last_seen)
    note = " ".join(out.split())
    assert (f"Run {first.id}: Interrupted: its process (host {socket.gethostname()}, "
            f"process {first.pid}) stopped without finishing, last seen {seen}; the next "
            "sync carries on where it stopped.") in note
    (logged,) = json.loads(site.cli(_other_host(site), monkeypatch, capsys, "log", "--json")[1])
    assert logged["status"] == "interrupted" and logged["ended"] == logged["last_seen"]
    assert (logged["host"], logged["pid"]) == (socket.gethostname(), first.pid)

    second = _kill_mid_run(site)
    done = site.run(_other_host(site), "sync")
    assert done.returncode == 0, done.stderr
    runs = site.runs()
    assert [(r.id, r.status) for r in runs] == [
        (first.id, "interrupted"), (second.id, "interrupted"),
        (second.id + 1, "finished")]
    assert runs[1].ended == runs[1].last_seen and "last seen" in runs[1].message
    with site.ctx.engine.connect() as conn:  # the next sync carried on: nothing lost or twice
        links = conn.execute(text("SELECT count(*), count(DISTINCT actor_type || ' ' || erp_key) "
                                  "FROM link")).one()
    assert tuple(links) == (2 * CUSTOMERS, 2 * CUSTOMERS)
