"""The run log read back: runs, their field changes, the records they created and the open
record errors, as plain frozen objects. No database row leaves the runner: the CLI and the log
screen read these shapes only.

A run's and an error's `message` is a message by code (`erp_tui.i18n.Msg`) when the runner
made it: its text is the English sentence, `localize` shows it in the user's language. Text
from the ERP, and rows stored before messages were kept by code, read as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, func, or_, select
from sqlmodel import select as sm_select

from erp_tui.context import AppContext
from erp_tui.errors import NotFoundError
from erp_tui.i18n import msg
from erp_tui.model import Connection
from erp_tui.runner.liveness import mark_interrupted
from erp_tui.runner.stored import from_stored
from erp_tui.runner.tables import ERRORS, LINK, LOG, RUNS
from erp_tui.services.common import get_connection


@dataclass(frozen=True, slots=True)
class LoggedRun:
    """One run of one connection: what it was (`kind` sync, retry, resync, reread), how it
    ended (`status` running, finished, cancelled, failed, interrupted: its process died) and
    what it did; which process ran it (`host`, `pid`) and when it last showed it was alive
    (`last_seen`; an interrupted run ended then)."""

    id: int
    connection_id: int
    started: datetime
    ended: datetime | None
    status: str
    kind: str
    created: int
    updated: int
    pushed: int
    unchanged: int
    deleted: int
    conflicts: int
    errors: int
    cursor_before: str
    cursor_after: str
    message: str
    host: str = ""
    pid: int = 0
    last_seen: datetime | None = None


@dataclass(frozen=True, slots=True)
class LoggedChange:
    """One field change a run made. `field` "*" is a whole-record event (deleted in the ERP,
    restored); `direction` ">" is ERP→CRM, "<" CRM→ERP; `conflict` tells a change that
    settled a conflict."""

    id: int
    run_id: int
    link_id: int | None
    actor_type: str
    erp_key: str
    crm_id: int | None
    field: str
    direction: str
    old_value: str | None
    new_value: str | None
    conflict: bool
    at: datetime

    @property
    def old(self) -> str | None:
        """The value before, as the runner's `Change` names it."""
        return self.old_value

    @property
    def new(self) -> str | None:
        """The value after, as the runner's `Change` names it."""
        return self.new_value


@dataclass(frozen=True, slots=True)
class RecordError:
    """An open error: a record (or, with an empty `erp_key`, a batch) a run could not sync;
    retryable until resolved. `message` is for the user (localize it), `tech_message` for the
    log."""

    id: int
    run_id: int
    connection_id: int
    actor_type: str
    erp_key: str
    crm_id: int | None
    direction: str
    message: str
    tech_message: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CreatedLink:
    """The link of a record a run created: the ERP actor and the CRM record it made."""

    actor_type: str
    erp_key: str
    crm_entity: str
    crm_id: int


def _select(shape: type, table: Table) -> Select[Any]:
    """The columns of `table` that `shape` holds, in the order of its fields."""
    return select(*(table.c[field.name] for field in fields(shape)))


# Where `message` stands among the fields of a shape that has one.
_MESSAGE_AT: dict[type, int] = {shape: [f.name for f in fields(shape)].index("message")
                                for shape in (LoggedRun, RecordError)}


def _with_message(shape: type, row: Any) -> Any:
    """A `shape` (LoggedRun, RecordError) of a row, its stored message read back."""
    values = list(row)
    at = _MESSAGE_AT[shape]
    values[at] = from_stored(values[at])
    return shape(*values)


def _connection_id(ctx: AppContext, name: str) -> int:
    with ctx.session() as session:
        return get_connection(session, name).id or 0


def recent_runs(ctx: AppContext, name: str | None = None, limit: int = 20) -> list[LoggedRun]:
    """The newest runs, newest first; runs whose process died are marked interrupted first."""
    query = _select(LoggedRun, RUNS).order_by(RUNS.c.id.desc()).limit(limit)
    connection_id = _connection_id(ctx, name) if name else None
    if connection_id is not None:
        query = query.where(RUNS.c.connection_id == connection_id)
    mark_interrupted(ctx.engine, ctx.settings.data_dir, connection_id)
    with ctx.engine.connect() as conn:
        return [_with_message(LoggedRun, row) for row in conn.execute(query)]


def get_run(ctx: AppContext, run_id: int) -> LoggedRun:
    """One run by id (marked interrupted first when its process died); NotFoundError when
    there is none."""
    mark_interrupted(ctx.engine, ctx.settings.data_dir)
    with ctx.engine.connect() as conn:
        row = conn.execute(_select(LoggedRun, RUNS).where(RUNS.c.id == run_id)).first()
    if row is None:
        raise NotFoundError(msg("There is no run {id}; 'erp-tui log' lists the recent ones.",
                                id=run_id))
    return _with_message(LoggedRun, row)


def _change_filter(run_id: int, text: str) -> list[Any]:
    where = [LOG.c.run_id == run_id]
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        where.append(or_(LOG.c.field.like(pattern, escape="\\"),
                         LOG.c.erp_key.like(pattern, escape="\\")))
    return where


def run_changes(ctx: AppContext, run_id: int, offset: int = 0, limit: int = 100, *,
                text: str = "", after_id: int | None = None, before_id: int | None = None,
                newest_first: bool = False) -> list[LoggedChange]:
    """Field changes of one run, one page at a time, oldest first (or newest first).

    `text` keeps changes whose field or ERP key contains it; `after_id`/`before_id` page by
    key from a neighbouring page (fast anywhere in a million changes), `offset` from an end.
    """
    query = _select(LoggedChange, LOG).where(*_change_filter(run_id, text))
    if after_id is not None:
        query = query.where(LOG.c.id > after_id)
    if before_id is not None:
        query = query.where(LOG.c.id < before_id)
    order = LOG.c.id.desc() if newest_first else LOG.c.id
    with ctx.engine.connect() as conn:
        return [LoggedChange(*row)
                for row in conn.execute(query.order_by(order).offset(offset).limit(limit))]


def count_changes(ctx: AppContext, run_id: int, text: str = "") -> int:
    """How many field changes a run logged (whose field or ERP key contains `text`)."""
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(LOG)
                                .where(*_change_filter(run_id, text))).scalar_one())


def open_errors(ctx: AppContext, name: str | None = None, limit: int = 1000
                ) -> list[RecordError]:
    """Unresolved record errors, newest first."""
    query = (_select(RecordError, ERRORS).where(ERRORS.c.resolved.is_(False))
             .order_by(ERRORS.c.id.desc()).limit(limit))
    if name:
        query = query.where(ERRORS.c.connection_id == _connection_id(ctx, name))
    with ctx.engine.connect() as conn:
        return [_with_message(RecordError, row) for row in conn.execute(query)]


def created_links(ctx: AppContext, run_id: int, offset: int = 0, limit: int = 100
                  ) -> list[CreatedLink]:
    """The links of the records a run created (oldest first), one page at a time."""
    query = (_select(CreatedLink, LINK).where(LINK.c.created_run == run_id)
             .order_by(LINK.c.id).offset(offset).limit(limit))
    with ctx.engine.connect() as conn:
        return [CreatedLink(*row) for row in conn.execute(query)]


def connection_names(ctx: AppContext) -> dict[int, str]:
    """The name of every connection by id (runs and errors name their connection)."""
    with ctx.session() as session:
        return {c.id: c.name for c in session.exec(sm_select(Connection)) if c.id is not None}
