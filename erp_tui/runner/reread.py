"""Re-reading from the ERP: actors an incremental sync skipped, read again regardless of the
cursor (`erp-tui resync NAME --from erp`).

An ERP edit whose last-modified sorts before the stored cursor (a stamp in local time west of
UTC, a date without a time) is never read by `sync`. A re-read reads chosen linked actors by
key, or every actor from the very beginning, and applies them as a sync would: an ERP value
that differs from the link's snapshot is an ERP change and lands in the CRM (a two-way field
changed on both sides is settled by the connection's conflict policy); an actor the cursor
skipped that has no link yet is created and linked. The stored cursor is left where it was.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import insert

from erp_tui.context import AppContext
from erp_tui.contract import ActorPage, Cursor, PageResult
from erp_tui.crm_catalog import actor_param
from erp_tui.errors import ErpTuiError, NotFoundError, RefusedError
from erp_tui.i18n import Msg, msg, msgn
from erp_tui.logs import logger
from erp_tui.rules import Direction
from erp_tui.runner import crm
from erp_tui.runner.calls import timed_call
from erp_tui.runner.engine import ActorSync
from erp_tui.runner.journal import finish_run, start_run
from erp_tui.runner.lock import run_lock
from erp_tui.runner.options import Counts, ProgressEvent, RunOptions
from erp_tui.runner.plan import ActorPlan, actor_plans
from erp_tui.runner.service import RunReport, status_text
from erp_tui.runner.stored import message_of, to_stored
from erp_tui.runner.tables import ERRORS
from erp_tui.services.common import get_connection

KIND = "reread"
PHASE = msg("ERP → CRM (re-read)")
# Chosen keys named in a refusal, and the characters of each shown.
SHOWN_KEYS = 3
SHOWN_KEY_LENGTH = 60


def resync_from_erp(ctx: AppContext, name: str, actor_type: str | None = None,
                    erp_keys: Sequence[str] | None = None,
                    options: RunOptions | None = None) -> RunReport:
    """Read chosen linked actors (`erp_keys`) or every actor of the chosen (or all) actor types
    from the ERP again, whatever the cursor says, and apply them as a sync would.

    Refused (nothing written) when the connection is inactive, when no chosen actor type has a
    field flowing to the CRM, or when a chosen key has no link; NotFoundError for an actor type
    the connection does not sync. A linked actor the ERP no longer returns, a connector failure
    or a time-out is a record or batch error of the run, never an exception.
    """
    options = options or RunOptions()
    started = time.perf_counter()
    with ctx.session() as session:
        connection = get_connection(session, name)
    if not connection.active:
        raise RefusedError(msg("Connection '{name}' is not active; activate it first.",
                               name=connection.name))
    report = RunReport(connection.name, None, "running", Counts())
    keys = list(dict.fromkeys(erp_keys)) if erp_keys else None
    with run_lock(ctx.engine, ctx.settings.data_dir, connection.id or 0, connection.name):
        connector = ctx.connectors.for_connection(connection)
        with ctx.session() as session:
            plans = _chosen_plans(actor_plans(session, connection), connection.name,
                                  actor_type)
        wanted = _linked_keys(ctx, plans, keys, connection.name, actor_type) if keys else {}
        run_id = start_run(ctx.engine, connection.id or 0, KIND)
        report.run_id = run_id
        logger.info("run %d of '%s' started: re-reading %s from the ERP", run_id,
                    connection.name, f"{len(keys)} chosen actor(s)" if keys else "every actor")
        cursors: list[str] = []
        try:
            for plan in plans:
                if options.cancel.is_set():
                    break
                if keys and not wanted.get(plan.actor_type):
                    continue
                sync = ActorSync(ctx.engine, plan, connector, run_id, options, [])
                with ctx.engine.begin() as conn:
                    # As a sync starts: the state row made, link snapshots re-keyed after a
                    # mapping change (else values would be compared with the wrong fields).
                    erp_modified, erp_key, _crm_stamp = sync.state(conn)
                cursors.append(f"{plan.actor_type}={erp_modified}|{erp_key}")
                try:
                    if keys:
                        _reread_keys(ctx, sync, wanted[plan.actor_type])
                    else:
                        _reread_all(ctx, sync)
                except ErpTuiError as exc:
                    sync.counts.errors += 1
                    report.message = message_of(exc)
                report.actors[plan.actor_type] = sync.counts
                report.counts.add(sync.counts)
        except BaseException:
            with ctx.engine.begin() as conn:
                finish_run(conn, run_id, "failed", msg("The re-read stopped on an unexpected "
                                                       "error."), **report.counts.as_dict())
            raise
        report.status = "cancelled" if options.cancel.is_set() else "finished"
        report.seconds = time.perf_counter() - started
        summary = _summary(report)
        logger.info("run %d of '%s' %s in %.2f s", run_id, connection.name, summary,
                    report.seconds)
        with ctx.engine.begin() as conn:
            # The ERP cursors are where they were: a re-read never moves them.
            finish_run(conn, run_id, report.status, report.message or summary,
                       cursor_before=" ".join(cursors), cursor_after=" ".join(cursors),
                       **report.counts.as_dict())
    return report


def _chosen_plans(plans: list[ActorPlan], connection: str, actor_type: str | None
                  ) -> list[ActorPlan]:
    """The plans to re-read (parents first): those of `actor_type`, or all that bring ERP
    values to the CRM."""
    if actor_type:
        plans = [p for p in plans if p.actor_type.lower() == actor_type.lower()]
        if not plans:
            raise NotFoundError(msg("Actor {actor} is not synced by '{name}'.",
                                    actor=_shown([actor_type]), name=connection))
    readable = [p for p in plans if p.in_fields]
    if readable:
        return readable
    if actor_type:
        raise RefusedError(msg("'{name}' maps no field of {actor} from the ERP to the CRM; "
                               "there is nothing to re-read.", name=connection,
                               actor=actor_param(plans[0].actor_type)))
    raise RefusedError(msg("'{name}' maps no field of any actor type from the ERP to the CRM; "
                           "there is nothing to re-read.", name=connection))


def _linked_keys(ctx: AppContext, plans: list[ActorPlan], keys: list[str], connection: str,
                 actor_type: str | None) -> dict[str, dict[str, int]]:
    """Per actor type, the chosen keys linked in it (key -> CRM id); refused when a key has
    no link in any of the plans."""
    found: dict[str, dict[str, int]] = {}
    with ctx.engine.connect() as conn:
        for plan in plans:
            links = crm.lookup_links(conn, plan.connection_id, plan.actor_type, keys)
            found[plan.actor_type] = {k: links[k].crm_id for k in keys if k in links}
    linked = {k for mine in found.values() for k in mine}
    missing = [k for k in keys if k not in linked]
    if missing and actor_type:
        raise RefusedError(msgn(
            "'{name}' has no link as {actor} for ERP key {keys}; only linked actors can be "
            "re-read by key (without keys every actor is read).",
            "'{name}' has no link as {actor} for ERP keys {keys}; only linked actors can be "
            "re-read by key (without keys every actor is read).", len(missing),
            name=connection, actor=actor_param(plans[0].actor_type), keys=_shown(missing)))
    if missing:
        raise RefusedError(msgn(
            "'{name}' has no link for ERP key {keys}; only linked actors can be re-read by key "
            "(without keys every actor is read).",
            "'{name}' has no link for ERP keys {keys}; only linked actors can be re-read by key "
            "(without keys every actor is read).", len(missing),
            name=connection, keys=_shown(missing)))
    return found


def _shown(keys: list[str]) -> str:
    """Some keys, quoted, cut and with control characters escaped, for a message."""
    quoted = []
    for key in keys[:SHOWN_KEYS]:
        cut = key[:SHOWN_KEY_LENGTH]
        inert = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in cut)
        quoted.append(f"'{inert}{'…' if len(key) > SHOWN_KEY_LENGTH else ''}'")
    shown = ", ".join(quoted)
    if len(keys) > SHOWN_KEYS:
        return msg("{keys} and {count} more", keys=shown, count=len(keys) - SHOWN_KEYS)
    return shown


def _reread_keys(ctx: AppContext, sync: ActorSync, wanted: dict[str, int]) -> None:
    """Read the chosen linked actors in chunks of the plan's page size and apply them."""
    plan = sync.plan
    field_keys = [f.erp_key for f in plan.in_fields]
    keys = list(wanted)
    for start in range(0, len(keys), plan.page_size):
        if sync.options.cancel.is_set():
            return
        chunk = keys[start:start + plan.page_size]
        result = timed_call(lambda c=chunk: sync.connector.get_actors(  # type: ignore[misc]
            plan.connection_id, plan.actor_type, c, field_keys), PageResult,
            sync.options.timeout)
        problem, tech = _page_problem(result, field_keys, set(chunk))
        if problem:
            # Each key waits as a record error: 'erp-tui retry' reads exactly these again.
            _record_errors(ctx, sync, [(k, wanted[k]) for k in keys[start:]],
                           msg("Re-reading from the ERP failed: {problem}", problem=problem),
                           tech)
            return
        page = result.page
        assert page is not None
        sync.apply_records(page)
        returned = set(page.erp_keys)
        gone = [(k, wanted[k]) for k in chunk if k not in returned]
        if gone:
            _record_errors(ctx, sync, gone, msg(
                "The ERP has no {actor} with this key any more; its link was left as it is "
                "(disconnect it if the actor was deleted).", actor=actor_param(plan.actor_type)))
        sync.options.progress(ProgressEvent(plan.connection_name, plan.actor_type, PHASE,
                                            sync.counts, min(1.0, (start + len(chunk))
                                                             / len(keys))))


def _reread_all(ctx: AppContext, sync: ActorSync) -> None:
    """Read every actor of the plan's type from the very beginning, page by page."""
    plan = sync.plan
    field_keys = [f.erp_key for f in plan.in_fields]
    at = Cursor()
    seen = 0
    while not sync.options.cancel.is_set():
        result = timed_call(lambda c=at: sync.connector.actors_changed_since(  # type: ignore[misc]
            plan.connection_id, plan.actor_type, c, field_keys, plan.page_size), PageResult,
            sync.options.timeout)
        problem, tech = _page_problem(result, field_keys, None)
        page = result.page
        if not problem and page is not None and page.next_cursor is not None \
                and page.next_cursor.as_tuple() <= at.as_tuple():
            problem = msg("the connector's next cursor does not move past the one asked from.")
            tech = f"next_cursor {page.next_cursor.as_tuple()!r:.200} after " \
                   f"{at.as_tuple()!r:.200}"
        if problem:
            _record_errors(ctx, sync, [("", None)],
                           msg("Re-reading {actor} from the ERP stopped: {problem} Actors read "
                               "before it were applied; re-read again.",
                               actor=actor_param(plan.actor_type), problem=problem), tech)
            return
        assert page is not None
        if len(page) == 0:
            return
        sync.apply_records(page)
        seen += len(page)
        fraction = (seen / (seen + page.remaining) if page.remaining is not None
                    else None)
        sync.options.progress(ProgressEvent(plan.connection_name, plan.actor_type, PHASE,
                                            sync.counts, fraction))
        if page.next_cursor is None:
            return
        at = page.next_cursor


def _page_problem(result: PageResult, field_keys: list[str], asked: set[str] | None
                  ) -> tuple[str, str]:
    """Why a connector's page cannot be applied (a sentence and its technical detail), or
    ("", "") when it can."""
    from erp_tui.runner.translate import malformed

    if not result.ok or result.page is None:
        message = result.user_message or msg("The ERP returned no page.")
        return message, result.tech_message or str(message)
    page: ActorPage = result.page
    problem = malformed(page)
    if problem:
        return msg("the ERP returned a malformed page (columns of different lengths)."), problem
    if page.field_keys and tuple(page.field_keys) != tuple(field_keys):
        return msg("the ERP returned other fields than asked for."), \
            f"got {page.field_keys!r:.200}"
    if asked is not None and not set(page.erp_keys) <= asked:
        return msg("the ERP returned actors that were not asked for."), \
            f"{len(set(page.erp_keys) - asked)} unasked key(s)"
    return "", ""


def _record_errors(ctx: AppContext, sync: ActorSync, keys: Sequence[tuple[str, int | None]],
                   message: str, tech: str = "") -> None:
    """Record errors of this run (an empty key: a batch error) in one transaction."""
    plan = sync.plan
    now = datetime.now(UTC)
    rows = [{"run_id": sync.run_id, "connection_id": plan.connection_id,
             "actor_type": plan.actor_type, "erp_key": key, "crm_id": crm_id,
             "direction": Direction.TO_CRM, "message": to_stored(message),
             "tech_message": str(tech or message),
             "resolved": False, "at": now} for key, crm_id in keys]
    with ctx.engine.begin() as conn:
        conn.execute(insert(ERRORS), rows)
    sync.counts.errors += len(rows)
    sync.options.progress(ProgressEvent(plan.connection_name, plan.actor_type, "error",
                                        sync.counts, message=message))


def _summary(report: RunReport) -> Msg:
    c = report.counts
    return msg("{status}: re-read from the ERP: {created} created, {updated} updated, "
               "{unchanged} unchanged, {deleted} deleted in ERP, {conflicts} conflicts, "
               "{errors} errors", status=status_text(report.status, c.errors),
               created=c.created, updated=c.updated, unchanged=c.unchanged, deleted=c.deleted,
               conflicts=c.conflicts, errors=c.errors)
