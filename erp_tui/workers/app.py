"""The procrastinate app of the workers: one sync job per connection, and the schedule tick.

- `erp_tui.sync_connection(connection_id)`: syncs one connection (erp_tui.runner.run_sync).
  Its procrastinate `lock` and `queueing_lock` are the connection's: no two of its jobs run at
  once, and at most one waits. Its priority is the connection's, negated (procrastinate runs
  the highest number first; connection priority 1 is the most important).
- `erp_tui.schedule(timestamp)`: the periodic tick (erp_tui.workers.schedule) that queues a
  sync of every active connection that has none waiting. It runs before any sync.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from procrastinate import App, JobContext, PsycopgConnector, exceptions

from erp_tui.i18n import msg
from erp_tui.logs import logger
from erp_tui.workers.liveness import LiveJobManager
from erp_tui.workers.schedule import cron_of, periodic_id

if TYPE_CHECKING:
    from erp_tui.context import AppContext
    from erp_tui.runner import RunReport

SYNC_TASK = "erp_tui.sync_connection"
SCHEDULE_TASK = "erp_tui.schedule"
# The tick comes before every sync (their priorities are the negated connection priorities).
SCHEDULE_PRIORITY = 1000
# Where a worker finds its state in a job's context.
STATE_KEY = "erp_tui"


def sync_lock(connection_id: int) -> str:
    """The procrastinate lock and queueing lock of a connection's sync jobs."""
    return f"erp-tui-sync-{connection_id}"


def job_priority(connection_priority: int) -> int:
    """The job priority of a connection's sync: priority 1 runs first."""
    return -connection_priority


@dataclass(frozen=True)
class JobOutcome:
    """What one sync job did, for the worker's output: the run's report, or why none ran."""

    connection: str
    report: RunReport | None = None
    note: str = ""
    failed: bool = False
    # Stopped (or not started) because the worker is stopping: the rest is still to do.
    unfinished: bool = False


@dataclass
class WorkerState:
    """A worker process's shared state: the store, the stop request and the output."""

    ctx: AppContext
    on_outcome: Callable[[JobOutcome], None] = lambda _outcome: None
    stopping: bool = False
    _running: set[threading.Event] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def cancel_event(self) -> threading.Event:
        """The cancel event of a starting run (already set once the worker is stopping)."""
        event = threading.Event()
        with self._lock:
            if self.stopping:
                event.set()
            self._running.add(event)
        return event

    def forget(self, event: threading.Event) -> None:
        with self._lock:
            self._running.discard(event)

    def stop(self) -> None:
        """Ask every running sync to stop after its current batch."""
        with self._lock:
            self.stopping = True
            for event in self._running:
                event.set()


def build_app(conninfo: str, concurrency: int = 1) -> App:
    """The workers' app on the store's database (not opened yet)."""
    connector = PsycopgConnector(conninfo=conninfo, min_size=1, max_size=concurrency + 4)
    app = App(connector=connector)
    app.job_manager = LiveJobManager(connector, conninfo)
    app.task(name=SYNC_TASK, pass_context=True)(_sync_job)
    app.task(name=SCHEDULE_TASK, pass_context=True, priority=SCHEDULE_PRIORITY,
             queueing_lock=SCHEDULE_TASK)(_schedule_job)
    return app


def add_schedule(app: App, seconds: float) -> str:
    """Make the tick periodic every `seconds`; returns its cron line."""
    cron = cron_of(seconds)
    app.periodic(cron=cron, periodic_id=periodic_id(seconds))(app.tasks[SCHEDULE_TASK])
    return cron


async def defer_syncs(app: App, ctx: AppContext, connection_ids: list[int] | None = None
                      ) -> int:
    """Queue a sync of each active connection (or of those of `connection_ids`) that has none
    waiting, all in one statement so that workers take them in priority order; returns how
    many were queued."""
    connections = await asyncio.to_thread(_active_connections, ctx, connection_ids)
    waiting = {job.queueing_lock for job in await app.job_manager.list_jobs_async(
        task=SYNC_TASK, status="todo")}
    jobs = [app.configure_task(SYNC_TASK, lock=sync_lock(cid), queueing_lock=sync_lock(cid),
                               priority=job_priority(priority),
                               task_kwargs={"connection_id": cid}).job
            for cid, priority in connections if sync_lock(cid) not in waiting]
    if not jobs:
        return 0
    try:
        await app.job_manager.batch_defer_jobs_async(jobs)
        return len(jobs)
    except exceptions.AlreadyEnqueued:  # another worker queued one meanwhile: one by one
        queued = 0
        for job in jobs:
            try:
                await app.job_manager.defer_job_async(job)
                queued += 1
            except exceptions.AlreadyEnqueued:
                continue
        return queued


def _active_connections(ctx: AppContext, ids: list[int] | None) -> list[tuple[int, int]]:
    """(id, priority) of the active connections (of `ids`), most important first."""
    from sqlmodel import col, select

    from erp_tui.model import Connection

    query = select(Connection.id, Connection.priority).where(col(Connection.active).is_(True))
    if ids is not None:
        query = query.where(col(Connection.id).in_(ids))
    with ctx.session() as session:
        return [(int(cid or 0), int(priority)) for cid, priority in
                session.exec(query.order_by(col(Connection.priority)))]


async def _schedule_job(context: JobContext, timestamp: int) -> str:
    state: WorkerState = context.additional_context[STATE_KEY]
    queued = await defer_syncs(context.app, state.ctx)
    logger.info("worker: schedule tick %d queued %d sync(s)", timestamp, queued)
    return f"{queued} sync(s) queued"


async def _sync_job(context: JobContext, connection_id: int) -> str:
    state: WorkerState = context.additional_context[STATE_KEY]
    cancel = state.cancel_event()
    work = asyncio.ensure_future(asyncio.to_thread(sync_one, state.ctx, connection_id, cancel))
    try:
        outcome = await asyncio.shield(work)
    except asyncio.CancelledError:  # aborted through procrastinate: end the batch first
        cancel.set()
        state.on_outcome(await work)
        raise
    finally:
        state.forget(cancel)
    state.on_outcome(outcome)
    if outcome.failed:
        raise RuntimeError(outcome.note)
    if outcome.unfinished:  # stopped by a signal: the rest goes to another worker now
        await defer_syncs(context.app, state.ctx, [connection_id])
        return f"{outcome.connection}: stopped early; the rest is queued again"
    status = outcome.report.status if outcome.report else ""
    return f"{outcome.connection}: {outcome.note or status}"


def sync_one(ctx: AppContext, connection_id: int, cancel: threading.Event) -> JobOutcome:
    """Sync one connection (in a worker thread) and say what happened; a run held by another
    process ends the job quietly."""
    from erp_tui.errors import ErpTuiError
    from erp_tui.model import Connection
    from erp_tui.runner import AlreadyRunningError, RunOptions, run_sync
    from erp_tui.runner.stored import message_of

    with ctx.session() as session:
        connection = session.get(Connection, connection_id)
        name = connection.name if connection else msg("connection {id}", id=connection_id)
        active = bool(connection and connection.active)
    if not active:
        note = msg("not synced: it is no longer active")
        logger.info("worker: '%s' %s", name, note)
        return JobOutcome(name, note=note)
    if cancel.is_set():
        return JobOutcome(name, note=msg("not started: the worker is stopping"),
                          unfinished=True)
    try:
        reports = run_sync(ctx, [name], RunOptions(cancel=cancel))
    except AlreadyRunningError as exc:
        logger.info("worker: '%s' not synced by this job: %s", name, exc)
        return JobOutcome(name, note=msg("skipped: {reason}", reason=message_of(exc)))
    except ErpTuiError as exc:
        logger.warning("worker: sync of '%s' failed: %s", name, exc)
        return JobOutcome(name, note=message_of(exc), failed=True)
    except Exception as exc:  # the job fails (kept in the queue as failed); the worker goes on
        logger.exception("worker: sync of '%s' failed unexpectedly", name)
        reason = " ".join(str(exc).split())
        return JobOutcome(name, note=msg("unexpected error: {kind}: {reason}",
                                         kind=type(exc).__name__, reason=reason), failed=True)
    report = reports[0] if reports else None
    return JobOutcome(name, report=report,
                      unfinished=report is None or report.status == "cancelled")
