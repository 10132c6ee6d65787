"""The CRM side as the runner sees it: bulk reads and writes on the CRM entity tables.

Every write stamps the record with a new change stamp (one counter per entity table) so that
incremental CRM→ERP sync can find what changed. Stamps and new record ids are given out in
contiguous blocks (`next_stamps`, `allocate_ids`): on SQLite as max()+1 inside the single
writer's transaction; on PostgreSQL from the table's sequences, one allocator at a time, so
that writers on several hosts never share a stamp or an id. A PostgreSQL transaction that
takes stamps first registers as a stamp writer (see erp_tui.runner.stamp_horizon: the push
cursor never passes a stamp such a transaction may still commit).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, select, update
from sqlalchemy.sql import ColumnElement

from erp_tui import lock_spaces
from erp_tui.crm_catalog import COMPANY, PERSON, PROJECT
from erp_tui.model import CrmCompany, CrmPerson, CrmProject, utc_now
from erp_tui.runner.shapes import CrmRecord, LinkedRecord, LinkRow, LinkState

TABLES: dict[str, Table] = {
    COMPANY: CrmCompany.__table__,  # type: ignore[attr-defined]
    PERSON: CrmPerson.__table__,  # type: ignore[attr-defined]
    PROJECT: CrmProject.__table__,  # type: ignore[attr-defined]
}
CHUNK = 900  # keys per IN (...) list


def table(entity: str) -> Table:
    """The table of a CRM entity."""
    return TABLES[entity]


def max_stamp(conn: Connection, entity: str) -> int:
    """The newest change stamp of an entity table (0 when empty)."""
    t = table(entity)
    return int(conn.execute(select(func.coalesce(func.max(t.c.change_stamp), 0))).scalar_one())


# First keys of the two-key advisory locks of stamps and ids (the second: ENTITY_KEYS).
STAMP_ALLOCATION = lock_spaces.STAMP_ALLOCATION  # one stamp allocator at a time, for a moment
STAMP_WRITERS = lock_spaces.STAMP_WRITERS  # held shared by a transaction holding new stamps
ID_ALLOCATION = lock_spaces.ID_ALLOCATION  # one id allocator at a time, for a moment
ENTITY_KEYS = {COMPANY: 1, PERSON: 2, PROJECT: 3}
# Blocks of ids spoilt by a nextval() of someone not taking the allocation lock (a plain
# INSERT) before the allocation gives up.
_ID_ATTEMPTS = 20


def stamp_sequence(entity: str) -> str:
    """The PostgreSQL sequence the change stamps of `entity` come from."""
    return f"{table(entity).name}_change_stamp_seq"


def register_stamp_writer(conn: Connection, entity: str) -> None:
    """PostgreSQL: mark the caller's transaction as one that will hold new stamps of `entity`
    until it ends (the writers lock held shared, a transaction id assigned), before it takes
    them."""
    conn.exec_driver_sql(
        "SELECT pg_advisory_xact_lock_shared(%s::integer, %s::integer), pg_current_xact_id()",
        (STAMP_WRITERS, ENTITY_KEYS[entity]))


def _allocate(conn: Connection, space: int, entity: str, sql: str, count: int) -> Any:
    """The row of `sql` run under the session advisory lock (`space`, entity), taken just
    before and let go by `sql` itself (it selects pg_advisory_unlock(%(space)s, %(key)s) last;
    `%(count)s` is `count`). Sequences are outside transactions: the lock must not wait for
    the caller's commit."""
    params = {"space": space, "key": ENTITY_KEYS[entity], "count": count}
    conn.exec_driver_sql(
        "SELECT pg_advisory_lock(%(space)s::integer, %(key)s::integer)", params)
    try:
        return conn.exec_driver_sql(sql, params).one()
    except BaseException:
        # The lock may still be held: the server lets go of it with the connection.
        conn.invalidate()
        raise


def next_stamps(conn: Connection, entity: str, count: int) -> range:
    """`count` new change stamps of `entity`, contiguous and above every stamp given before,
    for the caller's write transaction to use."""
    if count <= 0:
        return range(0)
    if conn.dialect.name != "postgresql":
        top = max_stamp(conn, entity)
        return range(top + 1, top + 1 + count)
    register_stamp_writer(conn, entity)
    sequence = stamp_sequence(entity)
    # Past the table's newest stamp too (read in the caller's transaction, which sees its own
    # writes): a stamp written without the sequence (the demo's records) is not given again.
    sql = ("SELECT last, pg_advisory_unlock(%(space)s::integer, %(key)s::integer) FROM ("
           f"SELECT setval('{sequence}', greatest(nextval('{sequence}'), "
           f"(SELECT coalesce(max(change_stamp), 0) + 1 FROM {table(entity).name})) "
           "+ %(count)s::bigint - 1) AS last OFFSET 0) AS block")
    last, unlocked = _allocate(conn, STAMP_ALLOCATION, entity, sql, count)
    assert unlocked
    return range(int(last) - count + 1, int(last) + 1)


def allocate_ids(conn: Connection, entity: str, count: int) -> range:
    """`count` new record ids of `entity`, contiguous (inside the caller's write
    transaction)."""
    t = table(entity)
    if count <= 0:
        return range(0)
    if conn.dialect.name != "postgresql":
        top = int(conn.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one())
        return range(top + 1, top + 1 + count)
    # Every nextval() of the block under the allocation lock: a plain INSERT taking an id
    # meanwhile (it does not take the lock) spoils the block, which is then taken again.
    sql = ("SELECT low, high, pg_advisory_unlock(%(space)s::integer, %(key)s::integer) FROM ("
           f"SELECT min(v) AS low, max(v) AS high FROM (SELECT nextval('{t.name}_id_seq') AS v "
           "FROM generate_series(1, %(count)s::integer)) AS ids OFFSET 0) AS block")
    for _attempt in range(_ID_ATTEMPTS):
        low, high, unlocked = _allocate(conn, ID_ALLOCATION, entity, sql, count)
        assert unlocked
        if int(high) - int(low) + 1 == count:
            return range(int(low), int(high) + 1)
    raise RuntimeError(f"No contiguous block of {count} ids for {t.name} after "
                       f"{_ID_ATTEMPTS} attempts.")


def records(conn: Connection, entity: str, ids: Sequence[int], columns: Sequence[str]
            ) -> dict[int, CrmRecord]:
    """id -> the record (change stamp, updated, values of `columns`) of the given records."""
    t = table(entity)
    cols: list[ColumnElement[Any]] = [t.c.id, t.c.change_stamp, t.c.updated,
                                      *(t.c[c] for c in columns)]
    out: dict[int, CrmRecord] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start:start + CHUNK])
        for row in conn.execute(select(*cols).where(t.c.id.in_(chunk))):
            out[row[0]] = CrmRecord(row[1], row[2], tuple(row[3:]))
    return out


def _marks(conn: Connection, count: int) -> str:
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return ", ".join([mark] * count)


def lookup_links(conn: Connection, connection_id: int, actor_type: str, erp_keys: Sequence[str]
                 ) -> dict[str, LinkRow]:
    """erp_key -> link for the keys that have links (plain driver SQL: this runs for every
    page of every run)."""
    out: dict[str, LinkRow] = {}
    for start in range(0, len(erp_keys), CHUNK):
        chunk = list(erp_keys[start:start + CHUNK])
        sql = ("SELECT erp_key, id, crm_id, snapshot, crm_stamp, state FROM link "
               f"WHERE connection_id = {_marks(conn, 1)} AND actor_type = {_marks(conn, 1)} "
               f"AND erp_key IN ({_marks(conn, len(chunk))})")
        for row in conn.exec_driver_sql(sql, (connection_id, actor_type, *chunk)):
            out[row[0]] = LinkRow._make(row[1:])
    return out


def db_datetime(conn: Connection, moment: datetime) -> Any:
    """A UTC datetime as the driver stores it for our DateTime columns."""
    if conn.dialect.name == "sqlite":
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return moment


def db_date(conn: Connection, value: Any) -> Any:
    """A date column value (canonical ISO text or None) as the driver stores it."""
    if value in ("", None):
        return None
    return date.fromisoformat(str(value)[:10])


def update_values(conn: Connection, entity: str, changes: dict[int, dict[str, Any]],
                  stamps: dict[int, int]) -> None:
    """Write changed columns of records (grouped by column set) with their new stamps."""
    t = table(entity)
    now = utc_now()
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for record_id, values in changes.items():
        key = tuple(sorted(values))
        params = {f"v_{k}": v for k, v in values.items()}
        params["b_id"] = record_id
        params["b_stamp"] = stamps[record_id]
        groups.setdefault(key, []).append(params)
    for columns, group in groups.items():
        statement = (update(t).where(t.c.id == bindparam("b_id"))
                     .values({**{c: bindparam(f"v_{c}") for c in columns},
                              "change_stamp": bindparam("b_stamp"), "updated": now}))
        conn.execute(statement, group)


def _linked_records(entity: str, link: Table, connection_id: int, actor_type: str,
                    columns: Sequence[str]) -> Any:
    """SELECT (crm_id, change_stamp, updated, link_id, erp_key, snapshot, link_stamp, *columns)
    over the records linked to this connection's actors of `actor_type`."""
    t = table(entity)
    return (select(t.c.id, t.c.change_stamp, t.c.updated, link.c.id, link.c.erp_key,
                   link.c.snapshot, link.c.crm_stamp, *(t.c[c] for c in columns))
            .join(link, (link.c.crm_id == t.c.id) & (link.c.connection_id == connection_id)
                  & (link.c.crm_entity == entity) & (link.c.actor_type == actor_type)
                  & (link.c.state == LinkState.LINKED)))


def _linked_record(row: Any) -> LinkedRecord:
    """A row of `_linked_records` as a LinkedRecord (the columns' values gathered)."""
    return LinkedRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6], tuple(row[7:]))


def changed_since(conn: Connection, entity: str, link_table: Table, connection_id: int,
                  actor_type: str, stamp: int, columns: Sequence[str], limit: int
                  ) -> list[LinkedRecord]:
    """Linked records changed after `stamp`, oldest first, with the values of `columns`."""
    t = table(entity)
    query = _linked_records(entity, link_table, connection_id, actor_type, columns)
    return [_linked_record(row) for row in conn.execute(
        query.where(t.c.change_stamp > stamp).order_by(t.c.change_stamp).limit(limit))]


def linked_rows(conn: Connection, entity: str, link_table: Table, connection_id: int,
                actor_type: str, erp_keys: Sequence[str], columns: Sequence[str]
                ) -> list[LinkedRecord]:
    """The linked records of these ERP keys, as `changed_since` reads them."""
    query = _linked_records(entity, link_table, connection_id, actor_type, columns)
    return [_linked_record(row) for row in conn.execute(
        query.where(link_table.c.erp_key.in_(list(erp_keys))))]


def edit_record(conn: Connection, entity: str, record_id: int, values: dict[str, Any]) -> int:
    """Change a CRM record as a CRM user would (new change stamp); returns the stamp."""
    t = table(entity)
    stamp = next_stamps(conn, entity, 1)[0]
    conn.execute(update(t).where(t.c.id == record_id)
                 .values(**values, change_stamp=stamp, updated=utc_now()))
    return stamp
