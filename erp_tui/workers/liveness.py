"""A worker is alive while it holds its advisory lock; the jobs of a dead worker go back to
the queue at once.

Each worker holds a session advisory lock (`WORKER_LOCK_SPACE`, its procrastinate worker id)
on a database connection of its own, taken before it fetches its first job. The server frees
the lock when the process dies (SIGKILL, a lost host) or its connection drops: a job still
`doing` whose worker holds no lock is stalled, and every worker's sweep hands it back to the
queue (procrastinate's `retry`), where the next free worker picks it up. No heartbeat has to
grow old first; procrastinate's own heartbeats still prune the rows of dead workers.
"""

from __future__ import annotations

from typing import Any

import psycopg
from procrastinate import exceptions, jobs, manager, utils

from erp_tui.logs import logger
from erp_tui.workers.database import WORKER_LOCK_SPACE

# Jobs `doing` whose worker is gone: no row (pruned), or no lock held by it.
_STALLED = """
SELECT job.id, job.task_name, job.args
  FROM procrastinate_jobs AS job
 WHERE job.status = 'doing'
   AND (job.worker_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM pg_locks AS l
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.classid::bigint = %(space)s AND l.objid::bigint = job.worker_id))
 ORDER BY job.id
"""
# Wakes the idle workers at once, the way a newly queued job does (procrastinate's channels).
_WAKE = ("SELECT pg_notify('procrastinate_any_queue_v1', json_build_object("
         "'type', 'job_inserted', 'job_id', %(id)s::bigint)::text)")


class LiveJobManager(manager.JobManager):
    """procrastinate's job manager whose registered worker also holds its liveness lock."""

    def __init__(self, connector: Any, conninfo: str) -> None:
        super().__init__(connector)
        self._conninfo = conninfo
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self.worker_id: int | None = None

    async def register_worker(self) -> int:
        """Register the worker, then take its lock (before it can fetch a job)."""
        worker_id = await super().register_worker()
        self.worker_id = worker_id
        await self._hold()
        return worker_id

    async def unregister_worker(self, worker_id: int) -> None:
        await super().unregister_worker(worker_id)
        await self.release()

    async def _hold(self) -> None:
        assert self.worker_id is not None
        await self.release()
        conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        await conn.execute("SELECT pg_advisory_lock(%s::int, %s::int)",
                           (WORKER_LOCK_SPACE, self.worker_id))
        self._conn = conn

    async def release(self) -> None:
        """Close the lock's connection (the server frees the lock with it)."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            await conn.close()

    async def stalled_jobs(self) -> list[tuple[int, str, dict[str, Any]]]:
        """(id, task, arguments) of the jobs of dead workers. Also checks this worker's own
        lock: a dropped lock connection is opened again and the lock taken again."""
        if self.worker_id is None:
            return []
        if self._conn is None or self._conn.closed or self._conn.broken:
            logger.warning("worker %s: its lock connection was lost; taking the lock again",
                           self.worker_id)
            await self._hold()
        assert self._conn is not None
        try:
            cursor = await self._conn.execute(_STALLED, {"space": WORKER_LOCK_SPACE})
            return [(int(r[0]), str(r[1]), dict(r[2] or {})) for r in await cursor.fetchall()]
        except psycopg.OperationalError:
            await self.release()  # taken again on the next sweep
            raise

    async def retry_stalled(self) -> list[int]:
        """Hand the jobs of dead workers back to the queue; returns their ids."""
        handed = []
        for job_id, task, args in await self.stalled_jobs():
            try:
                await self.retry_job_by_id_async(job_id, retry_at=utils.utcnow())
            except exceptions.UniqueViolation:
                # A job of the same connection is already waiting (queued by a tick while
                # this one was `doing`): end the stalled one, the waiting one does the work.
                try:
                    await self.finish_job_by_id_async(job_id, status=jobs.Status.FAILED,
                                                      delete_job=False)
                except exceptions.ConnectorException:
                    continue
                logger.warning("worker: job %d (%s %s) of a worker that stopped without "
                               "finishing it is closed; a job of the same connection waits",
                               job_id, task, args)
                handed.append(job_id)
                continue
            except exceptions.ConnectorException:  # another worker's sweep was first
                continue
            logger.warning("worker: job %d (%s %s) of a worker that stopped without finishing "
                           "it is back in the queue", job_id, task, args)
            handed.append(job_id)
            if self._conn is not None:
                await self._conn.execute(_WAKE, {"id": job_id})
        return handed
