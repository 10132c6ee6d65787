"""One run per connection on every host: `erp-tui sync` processes with data directories of
their own on one store never sync a connection at the same time. A second one is refused with
exit 7 naming the holder (host, process, since); when the holder is killed, the next one takes
over at once (no lease to expire)."""

from __future__ import annotations

import os
import re
import signal
import socket
import time
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import text

from erp_tui.runner.lock import LOCK_CHECK_SECONDS, lock_holder
from tests.db_support import create_database

from .run_process_support import NAME, Site, build_site, kill

CUSTOMERS = 200
PAGE_SIZE = 10  # 40 pages: a run lasts long enough to be caught in the middle


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


def test_a_second_run_is_refused_naming_the_holder_and_takes_over_at_once_after_a_kill(
        site: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
        ) -> None:
    first = site.start("host-a")
    try:
        running = site.wait_running(first.pid)
        os.kill(first.pid, signal.SIGSTOP)  # alive, lock held, doing nothing
        second = site.run(_other_host(site), "sync")
        assert second.returncode == 7, second.stderr
        holder = re.search(r"Connection 'North' is already being synced \(host (.+), process "
                           r"(\d+), since (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC\); wait for that "
                           r"run to finish \(or cancel it\) and try again\.", second.stderr)
        assert holder is not None, second.stderr
        assert holder.group(1, 2) == (socket.gethostname(), str(first.pid))
        since = datetime.strptime(holder.group(3), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        started = running.started.replace(tzinfo=UTC)  # stored in UTC
        assert abs((started - since).total_seconds()) < 5  # the lock was taken, then recorded
        # The refused process recorded nothing; the holder's run is still running, also for
        # `erp-tui log` (its process is alive).
        assert [(r.id, r.status) for r in site.runs()] == [(running.id, "running")]
        code, out, err = site.cli(_other_host(site), monkeypatch, capsys, "log", "--json")
        assert code == 0 and '"status": "running"' in out, err
    finally:
        kill(first)
    # The server (or the kernel) freed the lock with the process: no lease to wait out.
    killed = time.monotonic()
    while lock_holder(site.ctx.engine, site.root / "host-a" / "data", site.connection_id):
        assert time.monotonic() - killed < 2, "the lock outlived its process"
        time.sleep(0.005)
    print(f"lock free {1000 * (time.monotonic() - killed):.1f} ms after the kill was reaped")
    third = site.run(_other_host(site), "sync")
    assert third.returncode == 0, third.stderr
    assert third.stdout.startswith(f"{NAME}: run {running.id + 1} finished")
    # The next run marked the killed one interrupted (nothing else looked at it).
    runs = site.runs()
    assert [(r.id, r.status) for r in runs] == [(running.id, "interrupted"),
                                                (running.id + 1, "finished")]
    assert runs[0].ended == runs[0].last_seen


def test_hosts_started_together_never_sync_one_connection_at_once(tmp_path: Path,
                                                                   pg_url: str) -> None:
    site = build_site(tmp_path, pg_url, customers=CUSTOMERS, page_size=PAGE_SIZE)
    try:
        processes = [site.start("host-a"), site.start("host-b")]
        time.sleep(1.5)  # the case: a third host starts 1.5 s later
        processes.append(site.start("host-c"))
        results = [(p.pid, p.wait(timeout=120), p.stderr.read() if p.stderr else "")
                   for p in processes]
        for process in processes:
            process.communicate()
        exits = [code for _pid, code, _err in results]
        assert set(exits) <= {0, 7} and 0 in exits, results
        for _pid, code, err in results:
            if code == 7:
                assert "is already being synced (host " in err, err
        runs = site.runs()
        assert {r.status for r in runs} == {"finished"}
        assert len(runs) == exits.count(0)
        spans = sorted((r.started, r.ended) for r in runs)
        assert all(ended <= start for (_s, ended), (start, _e) in pairwise(spans)), spans
        with site.ctx.engine.connect() as conn:
            links = conn.execute(text(
                "SELECT count(*), count(DISTINCT (actor_type, erp_key)), "
                "count(DISTINCT (actor_type, crm_id)) FROM link")).one()
        assert tuple(links) == (2 * CUSTOMERS,) * 3
    finally:
        site.ctx.engine.dispose()


def test_a_run_whose_lock_session_ends_stops_before_another_takes_over(tmp_path: Path,
                                                                       pg_url: str) -> None:
    """A server restart or a terminated session frees the lock while the process lives on:
    the run sees it with its next batch and stops (exit 7), committing nothing more."""
    site = build_site(tmp_path, pg_url, customers=CUSTOMERS, page_size=PAGE_SIZE)
    try:
        first = site.start("host-a")
        try:
            running = site.wait_running(first.pid)
            os.kill(first.pid, signal.SIGSTOP)
            with site.ctx.engine.begin() as conn:
                ended = conn.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :app"),
                    {"app": f"erp-tui run {first.pid}@{socket.gethostname()}"[:63]}).all()
            assert [tuple(row) for row in ended] == [(True,)]
            assert lock_holder(site.ctx.engine, tmp_path, site.connection_id) is None
            # The run checks its lock at most every LOCK_CHECK_SECONDS: let that pass while
            # it is stopped, so that its very next batch looks.
            time.sleep(LOCK_CHECK_SECONDS)
            os.kill(first.pid, signal.SIGCONT)
            _out, err = first.communicate(timeout=120)
        finally:
            kill(first)
        assert first.returncode == 7, err
        assert ("Connection 'North' lost its run lock (the database session holding it "
                "ended), so this run stopped; the next sync carries on where it stopped."
                ) in err
        (stopped,) = site.runs()
        assert (stopped.id, stopped.status) == (running.id, "failed")
        assert "lost its run lock" in stopped.message
        after = site.run("host-b", "sync")
        assert after.returncode == 0, after.stderr
        with site.ctx.engine.connect() as conn:
            links = conn.execute(text("SELECT count(*), count(DISTINCT (actor_type, erp_key)) "
                                      "FROM link")).one()
        assert tuple(links) == (2 * CUSTOMERS,) * 2
    finally:
        site.ctx.engine.dispose()
