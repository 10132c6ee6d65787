"""`erp-tui worker` on a PostgreSQL store: worker processes with data directories of their own
(separate hosts) share the syncs in priority order, a SIGKILLed worker's job is taken over by
another worker, SIGHUP and SIGTERM finish the running batch and stop with exit 0, and a SQLite
store is refused."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select, text

from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.errors import RefusedError
from erp_tui.model import Link
from erp_tui.runner.lock import run_lock
from erp_tui.settings import Settings
from erp_tui.workers.database import conninfo_of
from erp_tui.workers.runtime import queue_syncs
from erp_tui.workers.schedule import cron_of
from tests.cli_support import run
from tests.runner.conftest import API_KEY, configure
from tests.runner.worker_support import (
    WorkerProcess,
    queue_jobs,
    runs,
    start_worker,
    wait_until,
)

# Customers of the connection whose sync is interrupted: 40 batches of 50.
BIG = 2000


@dataclass
class Store:
    """A PostgreSQL store opened by the test, and what a worker process needs to open it."""

    ctx: AppContext
    url: str
    env: dict[str, str]
    tmp: Path
    workers: list[WorkerProcess] = field(default_factory=list)

    def start_hosts(self, count: int = 2) -> list[WorkerProcess]:
        """`count` workers, each with a data directory of its own (another host), started."""
        started = [start_worker(self.url, self.tmp / f"host{n}", self.env)
                   for n in range(len(self.workers) + 1, len(self.workers) + count + 1)]
        self.workers.extend(started)
        for worker in started:
            worker.wait_started()
        # Queued jobs go to whichever worker asks first: wait until every live worker has
        # joined the queue (procrastinate registers it as it starts fetching), so a worker
        # that starts slowly on a busy machine does not find the queue already emptied.
        live = sum(1 for w in self.workers if w.process.poll() is None)
        wait_until(lambda: self.registered() >= live, f"{live} workers to join the queue")
        return started

    def registered(self) -> int:
        """How many workers are registered with the queue now."""
        with self.ctx.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM procrastinate_workers"))
                       .scalar_one())

    def add_connection(self, name: str, customers: int, page_size: int, seed: int) -> int:
        erp_file = self.tmp / f"{name}.sqlite"
        generate_sample_erp(erp_file, customers=customers, suppliers=0,
                            persons_per_customer=0, persons_per_supplier=0, projects=0,
                            api_key=API_KEY, seed=seed)
        return configure(self.ctx, erp_file, name, page_size=page_size, persons=False)

    def links(self, connection_id: int) -> tuple[int, int]:
        """(links, distinct ERP keys) of a connection."""
        table = Link.__table__  # type: ignore[attr-defined]
        with self.ctx.engine.connect() as conn:
            row = conn.execute(select(func.count(), func.count(table.c.erp_key.distinct()))
                               .where(table.c.connection_id == connection_id)).one()
        return int(row[0]), int(row[1])


@pytest.fixture
def store(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    # Hosts share the secret key through the environment, never through a data directory.
    env = {"ERP_TUI_SECRET_KEY": Fernet.generate_key().decode(),
           "ERP_TUI_LOG_DIR": str(tmp_path / "log")}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    ctx = AppContext.open(Settings(data_dir=tmp_path / "main", database_url=pg_url))
    opened = Store(ctx, pg_url, env, tmp_path)
    yield opened
    for worker in opened.workers:  # a failed test leaves none behind on a dropped database
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()
    ctx.engine.dispose()


def _busy(store: Store, workers: list[WorkerProcess]) -> WorkerProcess:
    """The worker of `workers` whose run has written a batch, once one has."""
    pids = {w.pid: w for w in workers}
    def written() -> int:
        return next((r.pid for r in runs(store.ctx.engine) if r.status == "running"
                     and r.created > 0 and r.pid in pids), 0)

    return pids[wait_until(written, "a run to write its first batch")]


def _stop_all(workers: list[WorkerProcess], number: int = signal.SIGTERM) -> list[int]:
    """Signal `number` to every worker still running, then their exit codes."""
    for worker in workers:
        if worker.process.poll() is None:
            worker.send(number)
    return [worker.wait() for worker in workers]


def test_two_workers_share_the_syncs_in_priority_order(store: Store) -> None:
    ids = [store.add_connection(f"Erp{n}", customers=100, page_size=25, seed=n)
           for n in range(1, 5)]  # activated in this order: priorities 1 to 4
    workers = store.start_hosts(2)
    try:
        assert queue_syncs(store.ctx) == 4

        def finished() -> list[Any]:
            done = [r for r in runs(store.ctx.engine) if r.status == "finished"]
            return done if len({r.connection_id for r in done}) == 4 else []

        done = wait_until(finished, "a finished run of each connection", timeout=60)
        # A run elsewhere (an explicit `erp-tui sync`) holds the first connection: its job
        # ends quietly, saying so.
        with run_lock(store.ctx.engine, store.tmp, ids[0], "Erp1"):
            assert queue_syncs(store.ctx, [ids[0]]) == 1
            held = "Erp1: skipped: Connection 'Erp1' is already being synced"
            wait_until(lambda: any(held in w.text() for w in workers),
                       "the job to meet the held connection")
    finally:
        codes = _stop_all(workers, signal.SIGHUP)  # a closed SSH session: idle, so at once
    assert codes == [0, 0], [w.text() for w in workers]
    assert len(done) == 4 and {r.pid for r in done} == {w.pid for w in workers}
    assert len(runs(store.ctx.engine)) == 4  # the held connection's job started no run
    assert all(w.run_lines() for w in workers), [w.text() for w in workers]
    priority = {cid: n for n, cid in enumerate(ids, 1)}
    started = {priority[r.connection_id]: r.started for r in done}
    # Each free worker takes the most important waiting sync.
    assert max(started[1], started[2]) < min(started[3], started[4])
    assert started[3] <= started[4] + timedelta(seconds=0.5)
    for cid in ids:
        assert store.links(cid) == (100, 100)
    assert queue_jobs(store.ctx.engine) == []  # finished jobs leave the queue
    assert queue_syncs(store.ctx) == 4
    assert queue_syncs(store.ctx) == 0  # at most one waiting job per connection
    assert [(job.priority, job.args) for job in queue_jobs(store.ctx.engine)] == [
        (-n, {"connection_id": cid}) for n, cid in enumerate(ids, 1)]


def test_a_stopped_or_killed_workers_sync_goes_on_at_once_on_another_host(store: Store) -> None:
    """Three hosts: SIGTERM stops the first busy worker after its batch (exit 0) and another
    worker goes on at once; that one is SIGKILLed and the third takes its sync over."""
    cid = store.add_connection("Big", customers=BIG, page_size=50, seed=7)
    workers = store.start_hosts(3)
    try:
        queue_syncs(store.ctx)
        stopped_worker = _busy(store, workers)
        stopped_worker.send(signal.SIGTERM)
        assert stopped_worker.wait() == 0, stopped_worker.text()
        killed = _busy(store, [w for w in workers if w is not stopped_worker])
        killed.stop(signal.SIGKILL)
        at = time.monotonic()
        wait_until(lambda: len(runs(store.ctx.engine)) == 3, "a third worker's run")
        took_over = time.monotonic() - at
        wait_until(lambda: runs(store.ctx.engine)[-1].status == "finished",
                   "the third worker's run to finish", timeout=60)
    finally:
        codes = _stop_all(workers)
    last = next(w for w in workers if w not in (stopped_worker, killed))
    assert codes[workers.index(last)] == 0, last.text()
    stopped, dead, finished = runs(store.ctx.engine)
    assert (stopped.status, stopped.pid) == ("cancelled", stopped_worker.pid)
    assert 0 < stopped.created < BIG  # it finished the batch it was writing, then stopped
    assert (dead.status, dead.pid) == ("interrupted", killed.pid)
    assert (finished.status, finished.pid) == ("finished", last.pid)
    assert stopped.created + dead.created + finished.created == BIG
    assert store.links(cid) == (BIG, BIG)  # nothing lost, nothing twice
    assert "stopped" in stopped_worker.text() and "Big: run" in last.text()
    assert took_over < 10, took_over
    assert queue_jobs(store.ctx.engine) == []
    # The three started at once on a database without the queue: one of them applied it.
    log = (store.tmp / "log" / "erp-tui.log").read_text(encoding="utf-8")
    assert log.count("applied the job queue's schema") == 1


def test_a_sqlite_store_is_refused(settings: Settings, capsys: pytest.CaptureFixture[str]
                                   ) -> None:
    code, out, err = run(capsys, "worker")
    assert code == 1 and out == ""
    assert "PostgreSQL" in err and "erp-tui sync --every" in err
    assert err.count(".") <= 2 and len(err.strip().splitlines()) == 1


def test_intervals_and_urls() -> None:
    assert cron_of(30) == "* * * * * */30"
    assert cron_of(300) == "*/5 * * * *"
    assert cron_of(7200) == "0 */2 * * *"
    assert cron_of(86400) == "0 0 * * *"
    with pytest.raises(RefusedError, match="divide"):
        cron_of(7 * 60 + 1)
    info = conninfo_of("postgresql+psycopg://ann:s%40cret@db.example:6543/erp?sslmode=require")
    assert "host=db.example" in info and "port=6543" in info and "password=s@cret" in info
    assert "dbname=erp" in info and "sslmode=require" in info
