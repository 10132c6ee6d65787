"""One worker process, start to stop: the queue's schema, the app, the schedule, the sweep of
dead workers' jobs, and a stop that lets the running batch finish."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from procrastinate import App

from erp_tui.context import AppContext
from erp_tui.errors import RefusedError
from erp_tui.i18n import msg
from erp_tui.logs import logger
from erp_tui.workers.app import STATE_KEY, JobOutcome, WorkerState, add_schedule, build_app
from erp_tui.workers.database import conninfo_of, ensure_schema, is_postgresql
from erp_tui.workers.liveness import LiveJobManager

SQLITE_REFUSAL = msg("erp-tui worker needs a PostgreSQL store; on this SQLite store keep "
                     "syncing on one machine with 'erp-tui sync --every 5m'.")
# Seconds between looks at the queue (new jobs also wake a worker at once) and between
# sweeps for the jobs of dead workers.
POLL_SECONDS = 2.0


@dataclass(frozen=True)
class WorkerPlan:
    """How a worker runs: its schedule and how many syncs it runs at once."""

    every: float
    concurrency: int = 1
    poll: float = POLL_SECONDS

    @property
    def name(self) -> str:
        """The worker's name in the logs: host and process id."""
        return f"{socket.gethostname()}:{os.getpid()}"


def check_store(url: str) -> str:
    """The conninfo of a PostgreSQL store; a SQLite store is refused in one sentence."""
    if not is_postgresql(url):
        raise RefusedError(SQLITE_REFUSAL)
    return conninfo_of(url)


def store_url(ctx: AppContext) -> str:
    """The store's URL, password included (the conninfo needs it)."""
    return ctx.engine.url.render_as_string(hide_password=False)


def prepare(ctx: AppContext, plan: WorkerPlan) -> str:
    """Check the store and the plan and apply the queue's schema when missing; returns the
    store's conninfo."""
    from erp_tui.workers.schedule import cron_of

    if plan.concurrency < 1:
        raise RefusedError(msg("--concurrency must be at least 1."))
    conninfo = check_store(store_url(ctx))
    cron_of(plan.every)  # an interval the clock cannot keep is refused before starting
    ensure_schema(conninfo)
    return conninfo


def run_worker(ctx: AppContext, plan: WorkerPlan, conninfo: str,
               on_outcome: Callable[[JobOutcome], None]) -> None:
    """Run the worker until a stop signal; returns once the running syncs have finished their
    batch and the worker has left the queue."""
    _log_queue_to(logging.getLogger("procrastinate"))
    import erp_tui.runner.service  # noqa: F401  (loaded now, not by the first job)

    state = WorkerState(ctx, on_outcome)
    app = build_app(conninfo, plan.concurrency)
    add_schedule(app, plan.every)
    asyncio.run(_main(app, state, plan))


async def _main(app: App, state: WorkerState, plan: WorkerPlan) -> None:
    from erp_tui.workers.signals import on_stop

    # A thread per running sync (the default pool has as few as 5 threads).
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=plan.concurrency + 2, thread_name_prefix="sync"))
    async with app.open_async():
        work = asyncio.create_task(app.run_worker_async(
            name=plan.name, concurrency=plan.concurrency, install_signal_handlers=False,
            additional_context={STATE_KEY: state}, fetch_job_polling_interval=plan.poll,
            abort_job_polling_interval=plan.poll, delete_jobs="successful"))
        manager = app.job_manager
        assert isinstance(manager, LiveJobManager)
        sweep = asyncio.create_task(_sweep(manager, plan.poll))

        def stop(number: int) -> None:
            if state.stopping:
                return
            logger.info("worker %s: signal %d; stopping after the running batch", plan.name,
                        number)
            state.stop()
            work.cancel()  # procrastinate then waits for the running jobs

        try:
            with on_stop(asyncio.get_running_loop(), stop, lambda: state.stopping):
                await work
        except asyncio.CancelledError:
            if not state.stopping:
                raise
        finally:
            sweep.cancel()
            await asyncio.gather(sweep, return_exceptions=True)
            await manager.release()


async def _sweep(manager: LiveJobManager, every: float) -> None:
    """Hand the jobs of dead workers back to the queue, every `every` seconds."""
    while True:
        try:
            await manager.retry_stalled()
        except Exception as exc:  # the database away for a moment: try again next time
            logger.warning("worker: looking for jobs of stopped workers failed: %s", exc)
        await asyncio.sleep(every)


def _log_queue_to(queue_logger: logging.Logger) -> None:
    """procrastinate's own messages (jobs started and ended, errors) into erp-tui's log."""
    for handler in logger.handlers:
        queue_logger.addHandler(handler)
    queue_logger.setLevel(max(logger.level, logging.INFO))
    queue_logger.propagate = False


def queue_syncs(ctx: AppContext, connection_ids: list[int] | None = None) -> int:
    """Queue a sync of every active connection (or of `connection_ids`) now, from outside a
    worker (the schedule tick does the same); returns how many were queued."""
    from erp_tui.workers.app import defer_syncs

    conninfo = check_store(store_url(ctx))
    ensure_schema(conninfo)
    app = build_app(conninfo)

    async def queue() -> int:
        async with app.open_async():
            return await defer_syncs(app, ctx, connection_ids)

    return asyncio.run(queue())
