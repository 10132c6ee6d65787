"""Record indexes held back while the runner creates many CRM records at once.

The records list sorts and filters on case-folded text (indexes of migration 0004). Kept up to
date row by row, the name and e-mail indexes take random inserts: a first sync of 1,000,000
customers ran several times slower on SQLite (every batch commit rewrote most of their pages),
and on PostgreSQL their upkeep was a third of the server's work. So when a first sync is about
to create more records than the table holds, the entity's folded indexes are dropped and built
again (one sort each) when the actor type has been read. A run killed meanwhile leaves them
missing; the next run builds them first (`restore_missing`).

On a PostgreSQL store several runners share the tables: the runner that dropped a table's
indexes holds a session advisory lock (`BULK_LOCK_SPACE`, the table) on a connection of its own
until it has built them again, so that another runner does not build them under its load, and
the server frees the lock when the runner dies. The drop waits at most `LOCK_WAIT` for other
transactions on the table (else the load keeps its indexes); the builds take one at a time.
"""

from __future__ import annotations

import sqlite3
import zlib

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from erp_tui import lock_spaces
from erp_tui.runner import crm

# Index name -> (table, its columns, case-folded ones as lower(column)): exactly as migration
# 0004 creates them (a test compares the two). The link table's are held back with the CRM
# table's when the link table is no larger than the load either.
FOLDED: dict[str, tuple[str, tuple[str, ...]]] = {
    "ix_crm_company_title": ("crm_company", ("lower(name)", "id")),
    "ix_crm_company_number1": ("crm_company", ("lower(number1)",)),
    "ix_crm_company_email": ("crm_company", ("lower(email)",)),
    "ix_crm_company_city": ("crm_company", ("lower(postal_city)",)),
    "ix_crm_person_title": ("crm_person", ("lower(lastname)", "lower(firstname)", "id")),
    "ix_crm_person_firstname": ("crm_person", ("lower(firstname)",)),
    "ix_crm_person_email": ("crm_person", ("lower(email)",)),
    "ix_crm_project_title": ("crm_project", ("lower(name)", "id")),
    "ix_crm_project_number": ("crm_project", ("lower(number)",)),
    "ix_link_erp_key_folded": ("link", ("crm_entity", "lower(erp_key)")),
    "ix_link_record": ("link", ("crm_entity", "crm_id")),
}
# Fewer new records than this are written with the indexes in place.
BULK_MIN = 50_000
# The first key of the advisory lock of a table's suspended indexes (PostgreSQL).
BULK_LOCK_SPACE = lock_spaces.BULK_INDEXES
# How long dropping the indexes may wait for other transactions on the table (PostgreSQL).
LOCK_WAIT = "5s"
# Memory the server may use to sort one index build (PostgreSQL).
BUILD_MEMORY = "256MB"

# Columns whose statistics are taken right after a bulk load (PostgreSQL): those the runner's
# queries select on. Without them the push's first query after a load scanned every link;
# autovacuum takes the whole table's later (an ANALYZE of some columns leaves it due).
_CRM_ANALYZED = ("id", "change_stamp")
_ANALYZED: dict[str, tuple[str, ...]] = {
    "crm_company": _CRM_ANALYZED, "crm_person": (*_CRM_ANALYZED, "company_id"),
    "crm_project": _CRM_ANALYZED,
    "link": ("connection_id", "actor_type", "crm_entity", "crm_id", "erp_key", "state"),
}

# Connections holding the advisory lock of a table whose indexes are suspended, by (engine,
# table): kept from `suspend` to `restore`.
_holders: dict[tuple[int, str], Connection] = {}


def create_sql(name: str, dialect: str = "sqlite") -> str:
    """The statement that builds index `name` on a store of `dialect`."""
    table, columns = FOLDED[name]
    collate = ' COLLATE "C"' if dialect == "postgresql" else ""
    parts = [f"{column}{collate}" if column.startswith("lower(") else column
             for column in columns]
    return f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({', '.join(parts)})"


def _supported(engine: Engine) -> bool:
    return engine.dialect.name in ("sqlite", "postgresql")


def _present(engine: Engine) -> set[str]:
    sql = ("SELECT name FROM sqlite_master WHERE type = 'index'" if engine.dialect.name ==
           "sqlite" else "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
    with engine.connect() as conn:
        return {row[0] for row in conn.execute(text(sql))}


def lock_key(table: str) -> tuple[int, int]:
    """The two keys of the advisory lock a runner holds while `table`'s indexes are held
    back (PostgreSQL): BULK_LOCK_SPACE and the table name's CRC as a signed 32-bit number."""
    crc = zlib.crc32(table.encode())
    return BULK_LOCK_SPACE, crc - (1 << 32) if crc >= 1 << 31 else crc


def _lock_params(table: str) -> dict[str, int]:
    space, key = lock_key(table)
    return {"space": space, "key": key}


def _try_lock(conn: Connection, table: str) -> bool:
    return bool(conn.execute(text(
        "SELECT pg_try_advisory_lock(CAST(:space AS integer), CAST(:key AS integer))"),
        _lock_params(table)).scalar_one())


def _unlock(conn: Connection, table: str) -> None:
    conn.execute(text("SELECT pg_advisory_unlock(CAST(:space AS integer), "
                      "CAST(:key AS integer))"), _lock_params(table))


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def suspend(engine: Engine, entity: str, new_records: int) -> list[str]:
    """Drop the folded indexes of `entity` (and the link table's) when `new_records` is many
    for its table; returns the names dropped (to pass to `restore`)."""
    if not _supported(engine) or new_records < BULK_MIN:
        return []
    tables = [t for t in (crm.table(entity).name, "link") if new_records >= _count(engine, t)]
    present = _present(engine)
    names = [n for n, spec in FOLDED.items() if spec[0] in tables and n in present]
    if not names:
        return []
    if engine.dialect.name == "postgresql":
        return _suspend_pg(engine, names)
    with engine.begin() as conn:
        for name in names:
            conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
    return names


def _suspend_pg(engine: Engine, names: list[str]) -> list[str]:
    """Drop `names`, table by table, holding each table's advisory lock (on a connection
    kept until `restore`); a table another runner holds, or that stays busy, keeps its
    indexes."""
    dropped: list[str] = []
    for table in sorted({FOLDED[name][0] for name in names}):
        holder = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            if not _try_lock(holder, table):
                holder.close()  # another runner's bulk load: already held back
                continue
            mine = [n for n in names if FOLDED[n][0] == table]
            try:
                with engine.begin() as conn:
                    conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
                    for name in mine:
                        conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
            except OperationalError:  # the table stayed busy: load with its indexes
                _unlock(holder, table)
                holder.close()
                continue
        except BaseException:
            holder.invalidate()  # closing the session frees the lock
            holder.close()
            raise
        _holders[(id(engine), table)] = holder
        dropped += mine
    return dropped


def restore(engine: Engine, names: list[str]) -> None:
    """Build the indexes `suspend` dropped."""
    if not names:
        return
    if engine.dialect.name == "postgresql":
        for table in sorted({FOLDED[name][0] for name in names}):
            _restore_pg(engine, table, [n for n in names if FOLDED[n][0] == table])
        return
    _build_sqlite(engine, names)


def _restore_pg(engine: Engine, table: str, names: list[str]) -> None:
    """Build `names` of `table` on the connection holding its lock, then take the statistics
    the runner's queries need and free the lock; on a fresh connection when that one is gone
    (the server ended an idle session, say)."""
    holder = _holders.pop((id(engine), table), None)
    try:
        if holder is not None:
            try:
                _build_pg(holder, names)
                holder.execute(text(f"ANALYZE {table} ({', '.join(_ANALYZED[table])})"))
                _unlock(holder, table)
                return
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            _build_pg(conn, names)
            conn.execute(text(f"ANALYZE {table} ({', '.join(_ANALYZED[table])})"))
    except BaseException:
        if holder is not None:
            holder.invalidate()  # closing the session frees the lock
        raise
    finally:
        if holder is not None:
            holder.close()


def _build_pg(conn: Connection, names: list[str]) -> None:
    """Build `names` on a PostgreSQL store, one runner at a time (two sessions running
    `CREATE INDEX IF NOT EXISTS` at once may both build, then one fails). `conn` is in
    autocommit mode."""
    conn.execute(text(f"SET maintenance_work_mem = '{BUILD_MEMORY}'"))
    conn.execute(text("SELECT pg_advisory_lock(CAST(:space AS integer), 0)"),
                 {"space": BULK_LOCK_SPACE})
    try:
        for name in names:
            conn.execute(text(create_sql(name, "postgresql")))
    finally:
        conn.execute(text("SELECT pg_advisory_unlock(CAST(:space AS integer), 0)"),
                     {"space": BULK_LOCK_SPACE})
        conn.execute(text("RESET maintenance_work_mem"))


def _build_sqlite(engine: Engine, names: list[str]) -> None:
    """Build `names` on a SQLite store.

    On a connection of its own with a small page cache and its sort spilled to a temporary
    file: on the runner's pooled connections (large cache, temporary data in memory) building
    the four company indexes of 1,000,000 records took 9 s and 60 MB more memory."""
    database = engine.url.database
    if not database or database == ":memory:":
        with engine.begin() as conn:
            for name in names:
                conn.execute(text(create_sql(name)))
        return
    builder = sqlite3.connect(database, timeout=120)
    try:
        builder.execute("PRAGMA temp_store = FILE")
        builder.execute("PRAGMA cache_size = -8000")
        for name in names:
            builder.execute(create_sql(name))
        builder.commit()
    finally:
        builder.close()


def restore_missing(engine: Engine) -> None:
    """Build any folded index a killed run left dropped (on PostgreSQL: not those of a table
    another runner is loading now)."""
    if not _supported(engine):
        return
    missing = [n for n in FOLDED if n not in _present(engine)]
    if not missing:
        return
    if engine.dialect.name == "sqlite":
        _build_sqlite(engine, missing)
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in sorted({FOLDED[name][0] for name in missing}):
            if (id(engine), table) in _holders or not _try_lock(conn, table):
                continue  # a load holds them back (this process's or another runner's)
            try:
                _build_pg(conn, [n for n in missing if FOLDED[n][0] == table])
            finally:
                _unlock(conn, table)
