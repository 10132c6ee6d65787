"""How far the CRM push cursor may move: the highest "settled" change stamp, below which no
transaction can still commit a change.

The push reads every CRM change it can see and pushes it, but the cursor it saves never passes
a stamp that a transaction still in flight holds: that change, committed later, would never be
pushed.

- SQLite: one writer at a time takes max()+1 inside its write transaction, so every stamp
  given later is above the newest stamp the push can see: that one is settled.
- PostgreSQL: stamps come from a sequence and the transactions holding them commit in any
  order. A writer registers before it takes stamps (erp_tui.runner.crm.register_stamp_writer:
  the entity's writers lock held shared until it ends, then a transaction id assigned). Read
  the stamp S the sequence stands at, then the writers in flight (pg_locks: the holders of the
  writers lock in this database and their transaction ids): every writer holding a stamp up
  to S is among them. S is settled
  * at once when there is none;
  * otherwise once every one of them has ended: S is kept as pending
    (`sync_state.crm_pending_stamp`, with the highest of their transaction ids in
    `sync_state.crm_pending_xid`) and is settled when no writer with an id up to that one is
    left. One pending stamp at a time: a newer S waits until the pending one is settled, so
    that steady writing cannot hold the cursor back for ever.
  Only this database's writers of this entity count, not other transactions on the server.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection

from erp_tui.runner import crm


class Horizon(NamedTuple):
    """The settled stamp the push cursor may move to, and the pending stamp to keep (with the
    transaction id every transaction below must have ended; 0 and 0 when none)."""

    stamp: int
    pending_stamp: int
    pending_xid: int


def settled_stamp(conn: Connection, entity: str, cursor: int, pending_stamp: int = 0,
                  pending_xid: int = 0) -> Horizon:
    """The horizon of `entity`'s change stamps for a push whose cursor stands at `cursor`
    (never below it), given the pending stamp kept by the previous push.

    Call before the changes are read, in a transaction that has written nothing (no
    transaction id of its own): every stamp up to the result is then either visible to the
    read or never committed."""
    if conn.dialect.name != "postgresql":
        return Horizon(max(cursor, crm.max_stamp(conn, entity)), 0, 0)
    last, called = conn.exec_driver_sql(
        f"SELECT last_value, is_called FROM {crm.stamp_sequence(entity)}").one()
    sequence_stamp = int(last) if called else int(last) - 1
    holders = _writers(conn, entity)
    if not holders:
        return Horizon(max(cursor, sequence_stamp), 0, 0)
    stamp = cursor
    if pending_stamp and not any(xid <= pending_xid for xid in holders):
        stamp = max(cursor, pending_stamp)
        pending_stamp = pending_xid = 0
    if pending_stamp <= stamp:
        pending_stamp = pending_xid = 0
    if not pending_stamp and sequence_stamp > stamp:
        pending_stamp, pending_xid = sequence_stamp, max(holders)
    return Horizon(stamp, pending_stamp, pending_xid)


# One reading of the lock table: holders of the entity's writers lock in this database, and
# the transaction ids they hold (a transaction holds its own id exclusively); with the
# newest ids' epoch (a snapshot's xmax).
_WRITERS = """
WITH locks AS MATERIALIZED (SELECT * FROM pg_locks)
SELECT pg_snapshot_xmax(pg_current_snapshot())::text, t.transactionid::text
FROM (SELECT 1) AS one
LEFT JOIN locks AS w ON w.locktype = 'advisory' AND w.granted AND w.objsubid = 2
    AND w.classid = %(space)s::oid AND w.objid = %(key)s::oid
    AND w.database = (SELECT oid FROM pg_database WHERE datname = current_database())
LEFT JOIN locks AS t ON t.pid = w.pid AND t.locktype = 'transactionid'
    AND t.mode = 'ExclusiveLock' AND t.granted
"""
_WRAP = 1 << 32


def _writers(conn: Connection, entity: str) -> list[int]:
    """The (full, 64-bit) transaction ids of the registered writers of `entity` in flight."""
    rows = conn.exec_driver_sql(_WRITERS, {"space": crm.STAMP_WRITERS,
                                           "key": crm.ENTITY_KEYS[entity]}).all()
    holders = []
    for near, xid in rows:
        if xid is None:
            continue
        # pg_locks shows 32-bit ids: put each in the epoch of the current ids.
        reference = int(near)
        full = (reference & ~(_WRAP - 1)) | int(xid)
        if full > reference + _WRAP // 2:
            full -= _WRAP
        elif full < reference - _WRAP // 2:
            full += _WRAP
        holders.append(full)
    return holders
