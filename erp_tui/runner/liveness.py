"""Runs whose process died: a run recorded as `running` whose connection's run lock is free
(or, seen by the next run of the connection, which holds that lock now) can never finish. It is
marked `interrupted`, ended when it was last seen, with a message saying so; every batch it
committed stays, and the next sync carries on from its cursors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection as DbConnection
from sqlalchemy import Engine, select, update

from erp_tui.i18n import Msg, msg
from erp_tui.runner.lock import joined, locks_held, utc_text
from erp_tui.runner.stored import to_stored
from erp_tui.runner.tables import RUNS

INTERRUPTED = "interrupted"


def interrupted_message(host: str, pid: int, last_seen: datetime) -> Msg:
    """The message of an interrupted run."""
    seen = utc_text(last_seen)
    parts = ([msg("host {host}", host=host)] if host else []) + (
        [msg("process {pid}", pid=pid)] if pid else [])
    if not parts:
        return msg("Interrupted: its process stopped without finishing, last seen {seen}; the "
                   "next sync carries on where it stopped.", seen=seen)
    return msg("Interrupted: its process ({who}) stopped without finishing, last seen {seen}; "
               "the next sync carries on where it stopped.", who=joined(parts), seen=seen)


def mark_interrupted(engine: Engine, data_dir: Path, connection_id: int | None = None) -> int:
    """Mark the runs recorded as running whose run lock is free as interrupted (of one
    connection, or all); returns how many. Reads the locks without taking them, so it never
    stands in the way of a run that is starting."""
    query = select(RUNS.c.id, RUNS.c.connection_id).where(RUNS.c.status == "running")
    if connection_id is not None:
        query = query.where(RUNS.c.connection_id == connection_id)
    # The runs first, the locks after: a run recorded before the look at its lock holds it
    # until its end is recorded, so a free lock means its process is gone (or it has ended,
    # which the status check of the update sees).
    with engine.connect() as conn:
        running = conn.execute(query).all()
    if not running:
        return 0
    held = locks_held(engine, data_dir, {row.connection_id for row in running})
    dead = [row.id for row in running if row.connection_id not in held]
    if not dead:
        return 0
    with engine.begin() as conn:
        return close_runs(conn, RUNS.c.id.in_(dead))


def close_dead_runs(conn: DbConnection, connection_id: int) -> int:
    """Mark every run of a connection still recorded as running as interrupted: called by a
    run holding the connection's run lock, so none of them can be alive."""
    return close_runs(conn, RUNS.c.connection_id == connection_id)


def close_runs(conn: DbConnection, where: Any) -> int:
    """Mark the running runs matching `where` as interrupted; returns how many."""
    rows = conn.execute(select(RUNS.c.id, RUNS.c.host, RUNS.c.pid, RUNS.c.started,
                               RUNS.c.last_seen)
                        .where(where, RUNS.c.status == "running")).all()
    marked = 0
    for row in rows:
        seen = row.last_seen or row.started
        marked += conn.execute(update(RUNS).where(
            RUNS.c.id == row.id, RUNS.c.status == "running").values(
            status=INTERRUPTED, ended=seen,
            message=to_stored(interrupted_message(row.host, row.pid, seen)))).rowcount or 0
    return marked
