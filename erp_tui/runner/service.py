"""Running syncs: every active connection in priority order, one run per connection at a time;
retrying failed records; resyncing from the CRM. Reading the log back: erp_tui.runner.run_log."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlmodel import col
from sqlmodel import select as sm_select

from erp_tui.context import AppContext
from erp_tui.contract import PageResult
from erp_tui.crm_catalog import actor_param
from erp_tui.errors import ErpTuiError, NotFoundError, RefusedError
from erp_tui.i18n import N_, Msg, msg, msgn
from erp_tui.logs import logger
from erp_tui.model import Connection, SyncError
from erp_tui.runner.calls import timed_call
from erp_tui.runner.engine import ActorSync
from erp_tui.runner.journal import finish_run, start_run
from erp_tui.runner.lock import LockLostError, run_lock
from erp_tui.runner.options import Change, Counts, RunOptions
from erp_tui.runner.plan import ActorPlan, actor_plans
from erp_tui.runner.reader import reader_source
from erp_tui.runner.stored import message_of
from erp_tui.runner.tables import ERRORS, LINK
from erp_tui.services.common import get_connection
from erp_tui.sync_marks import LinkState


@dataclass
class RunReport:
    """The outcome of one connection's run."""

    connection: str
    run_id: int | None
    status: str
    counts: Counts
    actors: dict[str, Counts] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    seconds: float = 0.0
    message: str = ""
    dry_run: bool = False
    # Batch errors of earlier runs this run closed by reading their range again.
    closed_errors: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"connection": self.connection, "run_id": self.run_id, "status": self.status,
                "status_text": status_text(self.status, self.counts.errors),
                "dry_run": self.dry_run, "seconds": round(self.seconds, 3),
                "counts": self.counts.as_dict(),
                "actors": {k: v.as_dict() for k, v in self.actors.items()},
                "message": self.message, "closed_errors": self.closed_errors,
                "changes": [c.__dict__ for c in self.changes]}


# A run's status words (RunReport.status, LoggedRun.status) as messages.
_STATUS = {"running": N_("running"), "finished": N_("finished"), "cancelled": N_("cancelled"),
           "failed": N_("failed"), "interrupted": N_("interrupted")}


def status_text(status: str, errors: int) -> str:
    """A run's status as shown everywhere: "finished with 2 errors" when it had errors."""
    if status == "finished" and errors:
        return msgn("finished with {count} error", "finished with {count} errors", errors)
    return Msg(_STATUS[status]) if status in _STATUS else status


def _connections_to_run(ctx: AppContext, names: list[str] | None) -> list[Connection]:
    with ctx.session() as session:
        active = sorted(session.exec(sm_select(Connection).where(
            col(Connection.active).is_(True))), key=lambda c: c.priority)
        if not names:
            return active
        chosen = [get_connection(session, name) for name in names]
        for connection in chosen:
            if not connection.active:
                raise RefusedError(msg("Connection '{name}' is not active; activate it "
                                       "before syncing it.", name=connection.name))
        order = {c.id: i for i, c in enumerate(active)}
        return sorted(chosen, key=lambda c: order.get(c.id, 0))


def planned_actors(ctx: AppContext, names: list[str] | None = None) -> list[tuple[str, str]]:
    """(connection, actor type) pairs a sync of `names` (or all) goes through, in order."""
    connections = _connections_to_run(ctx, names)
    with ctx.session() as session:
        return [(c.name, plan.actor_type) for c in connections
                for plan in actor_plans(session, c)]


def run_sync(ctx: AppContext, names: list[str] | None = None,
             options: RunOptions | None = None) -> list[RunReport]:
    """Sync the named (or all) active connections in priority order."""
    options = options or RunOptions()
    connections = _connections_to_run(ctx, names)
    if not connections:
        raise RefusedError(msg("No connection is active; activate one first "
                               "('erp-tui activate NAME')."))
    reports = []
    for connection in connections:
        if options.cancel.is_set():
            break
        reports.append(_run_connection(ctx, connection, options))
    return reports


def _run_connection(ctx: AppContext, connection: Connection, options: RunOptions
                    ) -> RunReport:
    started = time.perf_counter()
    report = RunReport(connection.name, None, "running", Counts(), dry_run=options.dry_run)
    with run_lock(ctx.engine, ctx.settings.data_dir, connection.id or 0, connection.name):
        connector = ctx.connectors.for_connection(connection)
        source = reader_source(connection.connector, connector,
                               ctx.connectors.values_of(connection))
        with ctx.session() as session:
            plans = actor_plans(session, connection)
        run_id = 0 if options.dry_run else start_run(ctx.engine, connection.id or 0, "sync")
        report.run_id = run_id or None
        logger.info("%s of '%s' started%s", "dry run" if options.dry_run else f"run {run_id}",
                    connection.name, f" ({len(plans)} actor types)")
        before, after = [], []
        dry_links: dict[tuple[str, str], int] = {}
        unfinished: list[str] = []  # actor types whose ERP changes were not all read
        for plan in plans:
            sync = ActorSync(ctx.engine, plan, connector, run_id, options, report.changes,
                             source, dry_links)
            waits_for = [t for t in plan.parent_types if t in unfinished]
            if waits_for:
                report.message = msg("{actor} changes were not read: {parent} stopped early; "
                                     "the next run reads both.", actor=actor_param(plan.actor_type),
                                     parent=actor_param(waits_for[0]))
            try:
                counts = sync.run(pull=not waits_for)
            except LockLostError as exc:  # another run may carry on now: stop, say why
                if not options.dry_run:
                    with ctx.engine.begin() as conn:
                        finish_run(conn, run_id, "failed", message_of(exc))
                raise
            except ErpTuiError as exc:
                counts = sync.counts
                counts.errors += 1
                report.message = message_of(exc)
            if not sync.read_all:
                unfinished.append(plan.actor_type)
            elif not options.dry_run and plan.in_fields and not waits_for:
                report.closed_errors += close_batch_errors(ctx, plan.connection_id,
                                                           plan.actor_type, run_id)
            report.actors[plan.actor_type] = counts
            report.counts.add(counts)
            before.append(f"{plan.actor_type}={sync.cursor_before}")
            after.append(f"{plan.actor_type}={sync.cursor_after}")
        status = "cancelled" if options.cancel.is_set() else "finished"
        report.status = status
        report.seconds = time.perf_counter() - started
        if report.closed_errors:
            report.message = _with_note(report.message, msgn(
                "Closed {count} batch error of an earlier run: its range was read again.",
                "Closed {count} batch errors of earlier runs: their ranges were read again.",
                report.closed_errors))
        _log_end(ctx, report)
        if not options.dry_run:
            summary = _summary(report)
            with ctx.engine.begin() as conn:
                finish_run(conn, run_id, status, report.message or summary,
                           cursor_before=" ".join(before), cursor_after=" ".join(after))
                conn.execute(update(Connection.__table__)  # type: ignore[attr-defined]
                             .where(Connection.__table__.c.id == connection.id)  # type: ignore[attr-defined]
                             .values(last_sync_at=datetime.now(UTC), status=summary[:200]))
    return report


def _with_note(message: str, note: Msg) -> str:
    """A run's message followed by a note."""
    return msg("{message} {note}", message=message, note=note) if message else note


def close_batch_errors(ctx: AppContext, connection_id: int, actor_type: str, run_id: int
                       ) -> int:
    """Resolve the open batch errors (a page not read: reader stopped, ERP unreachable) of
    earlier runs of an actor type whose ERP changes run `run_id` has read to the end: that
    run read their range again. Returns how many were closed."""
    where = (ERRORS.c.connection_id == connection_id, ERRORS.c.actor_type == actor_type,
             ERRORS.c.erp_key == "", ERRORS.c.direction == ">",
             ERRORS.c.resolved.is_(False), ERRORS.c.run_id < run_id)
    with ctx.engine.begin() as conn:
        closed = conn.execute(update(ERRORS).where(*where).values(resolved=True)).rowcount
    if closed:
        logger.info("run %d closed %d batch error(s) of %s: their range was read again",
                    run_id, closed, actor_type)
    return int(closed or 0)


def _log_end(ctx: AppContext, report: RunReport) -> None:
    """The end of a run in the log file: status, time, counts and its first errors."""
    c = report.counts
    what = "dry run" if report.dry_run else f"run {report.run_id}"
    logger.info("%s of '%s' %s in %.2f s: %d created, %d updated, %d pushed, %d unchanged, "
                "%d deleted in ERP, %d conflicts, %d errors", what, report.connection,
                status_text(report.status, c.errors), report.seconds, c.created, c.updated,
                c.pushed, c.unchanged, c.deleted, c.conflicts, c.errors)
    if report.message:
        logger.info("%s of '%s': %s", what, report.connection, report.message)
    if c.errors and report.run_id:
        with ctx.engine.connect() as conn:
            rows = conn.execute(select(ERRORS.c.actor_type, ERRORS.c.erp_key,
                                       ERRORS.c.direction, ERRORS.c.tech_message)
                                .where(ERRORS.c.run_id == report.run_id)
                                .order_by(ERRORS.c.id).limit(5)).all()
        for actor, key, direction, tech in rows:
            logger.warning("run %d error: %s %s (%s): %s", report.run_id, actor,
                           key or "(batch)", direction, tech)


def _summary(report: RunReport) -> Msg:
    c = report.counts
    return msg("{status}: {created} created, {updated} updated, {pushed} pushed, "
               "{conflicts} conflicts, {errors} errors",
               status=status_text(report.status, c.errors), created=c.created,
               updated=c.updated, pushed=c.pushed, conflicts=c.conflicts, errors=c.errors)


# ---- retry and resync ------------------------------------------------------------------------

def retry_errors(ctx: AppContext, name: str | None = None,
                 error_ids: list[int] | None = None) -> tuple[int, int]:
    """Retry failed records (chosen ones or all open ones); returns (resolved, still failing)."""
    with ctx.session() as session:
        query = sm_select(SyncError).where(col(SyncError.resolved).is_(False))
        if name:
            query = query.where(SyncError.connection_id == get_connection(session, name).id)
        if error_ids:
            query = query.where(col(SyncError.id).in_(error_ids))
        errors = list(session.exec(query))
        if error_ids and len(errors) != len(set(error_ids)):
            raise NotFoundError(msg("Some of those errors do not exist or are already "
                                    "resolved; 'erp-tui log --errors' lists the open ones."))
        connections = {e.connection_id: session.get(Connection, e.connection_id)
                       for e in errors}
    resolved = failing = 0
    for connection_id, connection in connections.items():
        if connection is None:
            continue
        mine = [e for e in errors if e.connection_id == connection_id]
        done, still = _retry_connection(ctx, connection, mine)
        resolved += done
        failing += still
    return resolved, failing


def _retry_connection(ctx: AppContext, connection: Connection, errors: list[SyncError]
                      ) -> tuple[int, int]:
    with run_lock(ctx.engine, ctx.settings.data_dir, connection.id or 0, connection.name):
        connector = ctx.connectors.for_connection(connection)
        with ctx.session() as session:
            plans = {p.actor_type: p for p in actor_plans(session, connection)}
        options = RunOptions()
        run_id = start_run(ctx.engine, connection.id or 0, "retry")
        logger.info("run %d of '%s' started: retrying %d error(s)", run_id, connection.name,
                    len(errors))
        fixed: list[int] = []
        failing = {e.actor_type for e in errors}
        for actor_type, plan in plans.items():  # parents first: their children may wait
            mine = [e for e in errors if e.actor_type == actor_type]
            if actor_type not in failing:
                continue
            sync = ActorSync(ctx.engine, plan, connector, run_id, options, [])
            fixed.extend(_retry_actor(ctx, sync, plan, mine))
        with ctx.engine.begin() as conn:
            # A record that fails again has a new error (this run's, with today's reason):
            # the old one is replaced by it, not left open beside it.
            again = {tuple(row) for row in conn.execute(
                select(ERRORS.c.actor_type, ERRORS.c.erp_key, ERRORS.c.direction).where(
                    ERRORS.c.run_id == run_id, ERRORS.c.resolved.is_(False)))}
            replaced = [e.id for e in errors if e.id not in fixed and e.id is not None
                        and (e.actor_type, e.erp_key, e.direction) in again]
            if fixed or replaced:
                conn.execute(update(ERRORS).where(ERRORS.c.id.in_([*fixed, *replaced]))
                             .values(resolved=True))
            finish_run(conn, run_id, "finished", msg(
                "retry: {resolved} resolved, {failing} still failing", resolved=len(fixed),
                failing=len(errors) - len(fixed)))
        logger.info("run %d of '%s' finished: %d resolved, %d still failing", run_id,
                    connection.name, len(fixed), len(errors) - len(fixed))
    return len(fixed), len(errors) - len(fixed)


def _retry_actor(ctx: AppContext, sync: ActorSync, plan: ActorPlan, errors: list[SyncError]
                 ) -> list[int]:
    fixed: list[int] = []
    batch_errors = [e for e in errors if not e.erp_key]
    if batch_errors:
        before = sync.counts.errors
        sync.run()
        if sync.counts.errors == before:
            fixed.extend(e.id for e in batch_errors if e.id is not None)
    pulls = [e for e in errors if e.erp_key and e.direction == ">"]
    if pulls:
        keys = sorted({e.erp_key for e in pulls})
        result = timed_call(lambda: sync.connector.get_actors(
            plan.connection_id, plan.actor_type, keys, [f.erp_key for f in plan.in_fields]),
            PageResult, sync.options.timeout)
        if result.ok and result.page is not None:
            failed = sync.apply_records(result.page)
            fixed.extend(e.id for e in pulls
                         if e.erp_key in result.page.erp_keys and e.erp_key not in failed
                         and e.id is not None)
    pushes = [e for e in errors if e.erp_key and e.direction == "<"]
    if pushes:
        failed = sync.push_links([e.erp_key for e in pushes], force=False)
        fixed.extend(e.id for e in pushes if e.erp_key not in failed and e.id is not None)
    return fixed


def resync_from_crm(ctx: AppContext, name: str, actor_type: str | None = None,
                    erp_keys: list[str] | None = None) -> RunReport:
    """Push CRM values of every CRM→ERP field to the ERP for chosen (or all) links, ignoring
    timestamps and snapshots."""
    started = time.perf_counter()
    with ctx.session() as session:
        connection = get_connection(session, name)
    if not connection.active:
        raise RefusedError(msg("Connection '{name}' is not active; activate it first.",
                               name=connection.name))
    report = RunReport(connection.name, None, "running", Counts())
    with run_lock(ctx.engine, ctx.settings.data_dir, connection.id or 0, connection.name):
        connector = ctx.connectors.for_connection(connection)
        with ctx.session() as session:
            plans = [p for p in actor_plans(session, connection)
                     if actor_type is None or p.actor_type.lower() == actor_type.lower()]
        if actor_type and not plans:
            raise NotFoundError(msg("Actor '{actor}' is not synced by '{name}'.",
                                    actor=actor_param(actor_type), name=connection.name))
        run_id = start_run(ctx.engine, connection.id or 0, "resync")
        report.run_id = run_id
        for plan in plans:
            sync = ActorSync(ctx.engine, plan, connector, run_id, RunOptions(), [])
            keys = erp_keys
            if keys is None:
                with ctx.engine.connect() as conn:
                    keys = list(conn.execute(select(LINK.c.erp_key).where(
                        LINK.c.connection_id == plan.connection_id,
                        LINK.c.actor_type == plan.actor_type,
                        LINK.c.state == LinkState.LINKED)).scalars())
            sync.push_links(keys, force=True)
            report.actors[plan.actor_type] = sync.counts
            report.counts.add(sync.counts)
        report.status = "finished"
        report.seconds = time.perf_counter() - started
        _log_end(ctx, report)
        with ctx.engine.begin() as conn:
            finish_run(conn, run_id, "finished", _summary(report))
    return report
