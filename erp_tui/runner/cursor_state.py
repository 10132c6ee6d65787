"""Where one actor type's sync stands between runs (the `sync_state` row): the ERP cursor, the
CRM change stamp pushed up to (with the pending stamp of erp_tui.runner.stamp_horizon), and the
fields its link snapshots were taken with."""

from __future__ import annotations

from sqlalchemy import Connection as DbConnection
from sqlalchemy import bindparam, insert, select, update

from erp_tui.runner.plan import ActorPlan
from erp_tui.runner.shapes import StoredCursor
from erp_tui.runner.stamp_horizon import Horizon
from erp_tui.runner.tables import LINK, STATE
from erp_tui.runner.values import remap


def read_state(conn: DbConnection, plan: ActorPlan, dry_run: bool) -> StoredCursor:
    """The stored cursor of `plan`'s actor type. The first time, the state row is made; after
    a mapping change, every link snapshot is re-keyed once (neither in a dry run)."""
    row = conn.execute(select(STATE.c.erp_modified, STATE.c.erp_key, STATE.c.crm_stamp,
                              STATE.c.snapshot_fields).where(
        STATE.c.connection_id == plan.connection_id,
        STATE.c.actor_type == plan.actor_type)).first()
    if row is None:
        if not dry_run:
            conn.execute(insert(STATE).values(
                connection_id=plan.connection_id, actor_type=plan.actor_type,
                erp_modified="", erp_key="", crm_stamp=0,
                snapshot_fields=plan.snapshot_fields))
        return StoredCursor("", "", 0)
    if list(row[3]) != plan.snapshot_fields and not dry_run:
        _remap_snapshots(conn, plan, list(row[3]))
    return StoredCursor(row[0], row[1], int(row[2]))


def _remap_snapshots(conn: DbConnection, plan: ActorPlan, old_fields: list[str]) -> None:
    """The mapping changed since the last run: re-key every link snapshot once."""
    rows = conn.execute(select(LINK.c.id, LINK.c.snapshot).where(
        LINK.c.connection_id == plan.connection_id,
        LINK.c.actor_type == plan.actor_type)).all()
    new_fields = plan.snapshot_fields
    updates = [{"b_id": r[0], "b_snapshot": remap(r[1], old_fields, new_fields)} for r in rows]
    if updates:
        conn.execute(update(LINK).where(LINK.c.id == bindparam("b_id"))
                     .values(snapshot=bindparam("b_snapshot")), updates)
    conn.execute(update(STATE).where(
        STATE.c.connection_id == plan.connection_id,
        STATE.c.actor_type == plan.actor_type).values(snapshot_fields=new_fields))


def save_erp_cursor(conn: DbConnection, plan: ActorPlan, erp_modified: str, erp_key: str
                    ) -> None:
    """Move the ERP cursor (with the batch read up to it)."""
    conn.execute(update(STATE).where(
        STATE.c.connection_id == plan.connection_id,
        STATE.c.actor_type == plan.actor_type).values(erp_modified=erp_modified,
                                                     erp_key=erp_key))


def read_crm_cursor(conn: DbConnection, plan: ActorPlan) -> tuple[int, int, int]:
    """The CRM cursor, and the pending stamp kept by the last push with its transaction id
    (0, 0: none); all 0 before the first run."""
    row = conn.execute(select(STATE.c.crm_stamp, STATE.c.crm_pending_stamp,
                              STATE.c.crm_pending_xid).where(
        STATE.c.connection_id == plan.connection_id,
        STATE.c.actor_type == plan.actor_type)).first()
    return (0, 0, 0) if row is None else (int(row[0]), int(row[1]), int(row[2]))


def save_crm_stamp(conn: DbConnection, plan: ActorPlan, stamp: int,
                   horizon: Horizon | None = None) -> None:
    """Move the CRM cursor (with the batch pushed up to it), and keep the horizon's pending
    stamp when given."""
    values: dict[str, int] = {"crm_stamp": stamp}
    if horizon is not None:
        values.update(crm_pending_stamp=horizon.pending_stamp,
                      crm_pending_xid=horizon.pending_xid)
    conn.execute(update(STATE).where(
        STATE.c.connection_id == plan.connection_id,
        STATE.c.actor_type == plan.actor_type).values(**values))


def has_links(conn: DbConnection, plan: ActorPlan) -> bool:
    """True when `plan`'s actor type has any link in its connection."""
    return conn.execute(select(LINK.c.id).where(
        LINK.c.connection_id == plan.connection_id,
        LINK.c.actor_type == plan.actor_type).limit(1)).first() is not None
