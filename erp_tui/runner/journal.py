"""What a run records besides the data: the run record (start, end, counts), the field changes
of the change log and the record and batch errors; in a dry run, the changes it would make."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection as DbConnection
from sqlalchemy import update

from erp_tui.runner.batch import Batch, BatchWriter
from erp_tui.runner.liveness import close_dead_runs
from erp_tui.runner.lock import check_lock, this_process
from erp_tui.runner.options import Change, Counts, RunOptions
from erp_tui.runner.plan import ActorPlan
from erp_tui.runner.shapes import ChangeKind
from erp_tui.runner.stored import to_stored
from erp_tui.runner.tables import RUNS


def start_run(engine: Any, connection_id: int, kind: str) -> int:
    """Record the start of a run (sync, retry, resync, link) by this process; returns its id.

    Called while holding the connection's run lock: a run of the connection still recorded as
    running belongs to a dead process and is marked interrupted first."""
    host, pid = this_process()
    now = datetime.now(UTC)
    with engine.begin() as conn:
        close_dead_runs(conn, connection_id)
        key = conn.execute(RUNS.insert().values(
            connection_id=connection_id, started=now, status="running",
            kind=kind, created=0, updated=0, pushed=0, unchanged=0, deleted=0, conflicts=0,
            errors=0, cursor_before="", cursor_after="", message="", host=host[:255], pid=pid,
            last_seen=now)).inserted_primary_key
    assert key is not None
    return int(key[0])


def finish_run(conn: DbConnection, run_id: int, status: str, message: str, **extra: Any
               ) -> None:
    """Record the end of a run; `message` is kept as a message by code (erp_tui.runner.stored)."""
    conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(
        ended=datetime.now(UTC), status=status, message=to_stored(message), **extra))


class Journal:
    """The log rows, errors and counts of one actor type's sync within a run."""

    def __init__(self, engine: Any, plan: ActorPlan, run_id: int, options: RunOptions,
                 counts: Counts, changes: list[Change], writer: BatchWriter,
                 report: Callable[..., None]) -> None:
        self.engine = engine
        self.plan = plan
        self.run_id = run_id
        self.options = options
        self.counts = counts
        # The changes a dry run reports (at most `options.keep_changes` of them).
        self.changes = changes
        self.writer = writer
        # Tells the run's progress: report(phase, fraction=None, message="").
        self.report = report
        # Counts already added to the run record.
        self._saved_counts = Counts()

    def log(self, batch: Batch, link_id: int | None, erp_key: str, crm_id: int | None,
            field_key: str, direction: str, old: str | None, new: str | None,
            conflict: bool = False) -> None:
        """A field change (or a whole-record event, `field_key` ChangeKind.RECORD)."""
        if self.options.dry_run:
            self.keep(Change(self.plan.actor_type, erp_key, crm_id, field_key, direction, old,
                             new, conflict))
            return
        batch.logs.append({"run_id": self.run_id, "link_id": link_id,
                           "actor_type": self.plan.actor_type, "erp_key": erp_key,
                           "crm_id": crm_id, "field": field_key, "direction": direction,
                           "old_value": old, "new_value": new, "conflict": conflict,
                           "at": datetime.now(UTC)})

    def keep(self, change: Change) -> None:
        """Keep a dry run's change for display, up to the options' limit."""
        if len(self.changes) < self.options.keep_changes:
            self.changes.append(change)

    def record_error(self, batch: Batch, direction: str, erp_key: str, crm_id: int | None,
                     message: str, tech: str = "") -> None:
        """An error of one record (an empty `erp_key`: of a whole batch), counted."""
        self.counts.errors += 1
        if self.options.dry_run:
            self.keep(Change(self.plan.actor_type, erp_key, crm_id, ChangeKind.ERROR,
                             direction, None, message))
            return
        batch.errors.append({"run_id": self.run_id, "connection_id": self.plan.connection_id,
                             "actor_type": self.plan.actor_type, "erp_key": erp_key,
                             "crm_id": crm_id, "direction": direction,
                             "message": to_stored(message), "tech_message": str(tech or message),
                             "resolved": False,
                             "at": datetime.now(UTC)})

    def batch_error(self, direction: str, message: str, tech: str = "") -> None:
        """A batch error, recorded and committed at once."""
        batch = Batch()
        self.record_error(batch, direction, "", None, message, tech)
        self.report("error", message=message)
        if self.options.dry_run:
            return
        with self.engine.begin() as conn:
            self.writer.write(conn, batch)
            self.save_counts(conn)

    def save_counts(self, conn: DbConnection) -> None:
        """Keep the run record's counts and its last sign of life current (they commit with
        the batch); LockLostError, before anything commits, when the run's lock is gone."""
        check_lock(conn, self.plan.connection_id, self.plan.connection_name)
        now = self.counts.as_dict()
        before = self._saved_counts.as_dict()
        self._saved_counts = Counts(**now)
        delta = {k: now[k] - before[k] for k in now if now[k] != before[k]}
        conn.execute(update(RUNS).where(RUNS.c.id == self.run_id).values(
            last_seen=datetime.now(UTC),
            **{name: RUNS.c[name] + value for name, value in delta.items()}))
