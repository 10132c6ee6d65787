"""Change detection for tables without a last-modified column.

The connector keeps, in its own *state database*, one row per (scope, actor type, ERP key): the
fingerprint of the row's mapped values, the last-modified stamp the connector issued for it, and
whether the row has disappeared. A *scan* streams the source table in key order, compares
fingerprints batch by batch against the stored ones, and issues a new stamp from a global clock
for every row that changed, appeared or disappeared. Stamps are fixed-width ISO-8601 UTC with
microseconds and strictly increasing per scope (one scope = one ERP database + descriptor), so
`actors_changed_since` can page through the state table with the compound cursor.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Index,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    create_engine,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection

STAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_BATCH = 2000

_metadata = MetaData()
clock_table = Table(
    "erp_tui_sql_clock", _metadata,
    Column("scope", String(64), primary_key=True),
    Column("last_stamp", String(32), nullable=False),
)
row_table = Table(
    "erp_tui_sql_row", _metadata,
    Column("scope", String(64), primary_key=True),
    Column("actor_type", String(64), primary_key=True),
    Column("erp_key", String(255), primary_key=True),
    Column("fingerprint", String(32), nullable=False),
    Column("last_modified", String(32), nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Index("ix_erp_tui_sql_row_cursor", "scope", "actor_type", "last_modified", "erp_key"),
)


def format_stamp(moment: datetime) -> str:
    """Fixed-width ISO-8601 UTC text with microseconds (sorts as text)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime(STAMP_FORMAT)


def parse_stamp(text: str) -> datetime:
    """A naive UTC datetime from a stamp (or any ISO-8601 text); ValueError otherwise."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def fingerprint(values: Sequence[Any]) -> str:
    """Hash of a row's mapped values (stable for the same driver and column types)."""
    return hashlib.blake2b(repr(tuple(values)).encode("utf-8", "surrogatepass"),
                           digest_size=12).hexdigest()


class ChangeStore:
    """The state database of fingerprints and issued stamps (one per state URL)."""

    def __init__(self, url: str) -> None:
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(url, hide_parameters=True, **kwargs)
        _metadata.create_all(self.engine)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def dispose(self) -> None:
        self.engine.dispose()

    def _lock(self, scope: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(scope, threading.Lock())

    # -- clock -----------------------------------------------------------------------------

    @staticmethod
    def _next_stamps(conn: Connection, scope: str, count: int) -> list[str]:
        """`count` strictly increasing stamps, all after every stamp issued before."""
        if count <= 0:
            return []
        last = conn.execute(select(clock_table.c.last_stamp).where(
            clock_table.c.scope == scope)).scalar()
        now = datetime.now(UTC).replace(tzinfo=None)
        start = now
        if last is not None:
            start = max(now, parse_stamp(last) + timedelta(microseconds=1))
        step = timedelta(microseconds=1)
        stamps = [format_stamp(start + step * i) for i in range(count)]
        if last is None:
            conn.execute(insert(clock_table).values(scope=scope, last_stamp=stamps[-1]))
        else:
            conn.execute(update(clock_table).where(clock_table.c.scope == scope)
                         .values(last_stamp=stamps[-1]))
        return stamps

    # -- scans -----------------------------------------------------------------------------

    def scan(self, scope: str, actor_type: str,
             batches: Iterable[Sequence[tuple[str, str]]]) -> int:
        """Compare (erp_key, fingerprint) batches of the whole table with the stored state.

        Every changed, new or re-appeared row gets a new stamp in scan order, then every stored
        row that was not seen is marked deleted with a new stamp. Returns the number of changes.
        """
        t = row_table.c
        with self._lock(scope), self.engine.begin() as conn:
            known: dict[str, tuple[str, bool]] = {
                key: (fp, bool(deleted)) for key, fp, deleted in conn.execute(
                    select(t.erp_key, t.fingerprint, t.deleted).where(
                        t.scope == scope, t.actor_type == actor_type))}
            changes: list[tuple[str, str, bool]] = []  # key, fingerprint, is_new
            for batch in batches:
                for key, fp in batch:
                    old = known.pop(key, None)
                    if old is None:
                        changes.append((key, fp, True))
                    elif old[0] != fp or old[1]:
                        changes.append((key, fp, False))
            gone = sorted(key for key, (_fp, deleted) in known.items() if not deleted)
            stamps = self._next_stamps(conn, scope, len(changes) + len(gone))
            self._write(conn, scope, actor_type, changes, stamps)
            if gone:
                stmt = (update(row_table)
                        .where(t.scope == scope, t.actor_type == actor_type,
                               t.erp_key == bindparam("k"))
                        .values(last_modified=bindparam("lm"), deleted=True))
                offset = len(changes)
                for i in range(0, len(gone), _BATCH):
                    conn.execute(stmt, [{"k": key, "lm": stamps[offset + i + j]}
                                        for j, key in enumerate(gone[i:i + _BATCH])])
        return len(changes) + len(gone)

    @staticmethod
    def _write(conn: Connection, scope: str, actor_type: str,
               changes: Sequence[tuple[str, str, bool]], stamps: Sequence[str]) -> None:
        t = row_table.c
        new = [{"scope": scope, "actor_type": actor_type, "erp_key": key, "fingerprint": fp,
                "last_modified": stamps[i], "deleted": False}
               for i, (key, fp, is_new) in enumerate(changes) if is_new]
        changed = [{"k": key, "fp": fp, "lm": stamps[i]}
                   for i, (key, fp, is_new) in enumerate(changes) if not is_new]
        for i in range(0, len(new), _BATCH):
            conn.execute(insert(row_table), new[i:i + _BATCH])
        if changed:
            stmt = (update(row_table)
                    .where(t.scope == scope, t.actor_type == actor_type,
                           t.erp_key == bindparam("k"))
                    .values(fingerprint=bindparam("fp"), last_modified=bindparam("lm"),
                            deleted=False))
            for i in range(0, len(changed), _BATCH):
                conn.execute(stmt, changed[i:i + _BATCH])

    def refresh(self, scope: str, actor_type: str,
                rows: Sequence[tuple[str, str]]) -> dict[str, str]:
        """Stamps of some live rows, issuing new ones where the fingerprint changed.

        Used after writes and by `get_actors`, so an actor read or saved by key carries the
        stamp of its current values and the next scan does not report it again.
        """
        t = row_table.c
        out: dict[str, str] = {}
        with self._lock(scope), self.engine.begin() as conn:
            known: dict[str, tuple[str, str, bool]] = {}
            keys = [key for key, _fp in rows]
            for i in range(0, len(keys), _BATCH):
                for key, fp, lm, deleted in conn.execute(
                        select(t.erp_key, t.fingerprint, t.last_modified, t.deleted).where(
                            t.scope == scope, t.actor_type == actor_type,
                            t.erp_key.in_(keys[i:i + _BATCH]))):
                    known[key] = (fp, lm, bool(deleted))
            changes: list[tuple[str, str, bool]] = []
            seen: set[str] = set()
            for key, fp in rows:
                if key in seen:
                    continue
                seen.add(key)
                old = known.get(key)
                if old is None:
                    changes.append((key, fp, True))
                elif old[0] != fp or old[2]:
                    changes.append((key, fp, False))
                else:
                    out[key] = old[1]
            stamps = self._next_stamps(conn, scope, len(changes))
            self._write(conn, scope, actor_type, changes, stamps)
            for (key, _fp, _new), stamp in zip(changes, stamps, strict=True):
                out[key] = stamp
        return out

    def page(self, scope: str, actor_type: str, after: tuple[str, str], limit: int
             ) -> list[tuple[str, str, bool]]:
        """(erp_key, last_modified, deleted) of rows after the cursor, in cursor order."""
        t = row_table.c
        lm, key = after
        where = [t.scope == scope, t.actor_type == actor_type]
        if lm or key:
            where.append(or_(t.last_modified > lm,
                             and_(t.last_modified == lm, t.erp_key > key)))
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.erp_key, t.last_modified, t.deleted).where(*where)
                                .order_by(t.last_modified, t.erp_key).limit(limit)).all()
        return [(k, m, bool(d)) for k, m, d in rows]

    def count(self, scope: str, actor_type: str) -> int:
        """How many rows, live and disappeared, `page` goes through from the empty cursor."""
        t = row_table.c
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(row_table).where(
                t.scope == scope, t.actor_type == actor_type)).scalar_one())

    def forget(self, scope: str) -> None:
        """Drop every stored fingerprint and the clock of a scope."""
        with self._lock(scope), self.engine.begin() as conn:
            conn.execute(row_table.delete().where(row_table.c.scope == scope))
            conn.execute(clock_table.delete().where(clock_table.c.scope == scope))
