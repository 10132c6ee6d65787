"""The sync of one actor type of one connection.

A run first pushes CRM changes to the ERP (phase B, CRM→ERP), then reads ERP changes from the
cursor (phase A, ERP→CRM). Work goes in batches; each batch's CRM writes, link updates, log
rows, errors and cursor advance commit in one transaction, so a run killed at any instant loses
nothing and duplicates nothing when run again. ERP writes are idempotent (values, not deltas).

Every comparison happens on canonical text in CRM terms (list items translated to CRM items);
a link's snapshot holds the last synced value of each synced field.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection as DbConnection
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from erp_tui.contract import (
    Actor,
    ActorPage,
    ActorsResult,
    Connector,
    Cursor,
    FieldType,
    PageResult,
)
from erp_tui.model import ChangeLog, Link, SyncError, SyncRun, SyncState
from erp_tui.rules import Direction
from erp_tui.runner import bulk_indexes, crm, staging
from erp_tui.runner.calls import timed_call
from erp_tui.runner.page_db import read_staged_page
from erp_tui.runner.plan import ActorPlan, FieldPlan
from erp_tui.runner.reader import READ_AHEAD_MIN_ROWS, PageRequest, PageStream, ReaderSource
from erp_tui.runner.translate import (
    InboundField,
    Translation,
    malformed,
    snapshots,
    translate_page,
)
from erp_tui.runner.values import canon, decode, encode

LINK = Link.__table__  # type: ignore[attr-defined]
LOG = ChangeLog.__table__  # type: ignore[attr-defined]
ERRORS = SyncError.__table__  # type: ignore[attr-defined]
STATE = SyncState.__table__  # type: ignore[attr-defined]
RUNS = SyncRun.__table__  # type: ignore[attr-defined]
PUSH_BATCH = 500


@dataclass
class Counts:
    """What a run (or one actor type of it) did."""

    created: int = 0
    updated: int = 0
    pushed: int = 0
    unchanged: int = 0
    deleted: int = 0
    conflicts: int = 0
    errors: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Change:
    """One intended or made field change (what a dry run reports)."""

    actor_type: str
    erp_key: str
    crm_id: int | None
    field: str
    direction: str
    old: str | None
    new: str | None
    conflict: bool = False


@dataclass
class ProgressEvent:
    """Where a run is: shown by the CLI and the run screen."""

    connection: str
    actor_type: str
    phase: str
    counts: Counts
    fraction: float | None = None
    message: str = ""


@dataclass
class RunOptions:
    """How to run."""

    dry_run: bool = False
    timeout: float = 120.0
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: Callable[[ProgressEvent], None] = lambda _event: None
    # Dry runs keep at most this many changes in memory for display (all are counted).
    keep_changes: int = 10_000
    # A first ERP page of at least this many actors starts reading ahead in a second process.
    read_ahead_rows: int = READ_AHEAD_MIN_ROWS
    # Which pages of new records that process stages itself: "auto" (as long as the writer
    # need not wait for it), "always" or "never" (see erp_tui.runner.reader).
    staging: str = "auto"


@dataclass
class _Batch:
    """The writes of one batch, applied in one transaction."""

    # Rows of (crm id, stamp, erp key, last modified, parent crm id, snapshot text,
    # *canonical values) for new records and their links (see erp_tui.runner.staging).
    new_records: list[Iterable[tuple[Any, ...]]] = field(default_factory=list)
    # Pages staged by the reader process: (database, first crm id, first stamp).
    staged_pages: list[tuple[bytes, int, int]] = field(default_factory=list)
    crm_updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    crm_stamps: dict[int, int] = field(default_factory=dict)
    link_updates: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def start_run(engine: Any, connection_id: int, kind: str) -> int:
    """Record the start of a run (sync, retry, resync, link); returns its id."""
    with engine.begin() as conn:
        key = conn.execute(RUNS.insert().values(
            connection_id=connection_id, started=datetime.now(UTC), status="running",
            kind=kind, created=0, updated=0, pushed=0, unchanged=0, deleted=0, conflicts=0,
            errors=0, cursor_before="", cursor_after="", message="")).inserted_primary_key
    assert key is not None
    return int(key[0])


def finish_run(conn: DbConnection, run_id: int, status: str, message: str, **extra: Any
               ) -> None:
    """Record the end of a run."""
    conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(
        ended=datetime.now(UTC), status=status, message=message, **extra))


def _stamp_text(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ActorSync:
    """Syncs one actor type of one connection within a run."""

    def __init__(self, engine: Any, plan: ActorPlan, connector: Connector, run_id: int,
                 options: RunOptions, changes: list[Change],
                 reader_source: ReaderSource | None = None,
                 dry_links: dict[tuple[str, str], int] | None = None) -> None:
        self.engine = engine
        # Set when pages may be read ahead by a child process (see erp_tui.runner.reader).
        self.reader_source = reader_source
        self.plan = plan
        self.connector = connector
        self.run_id = run_id
        self.options = options
        self.changes = changes
        self.counts = Counts()
        self.fields = plan.fields
        self.width = len(plan.fields)
        self.index = {f.erp_key: i for i, f in enumerate(plan.fields)}
        self.in_fields = plan.in_fields
        self.in_slots = [self.index[f.erp_key] for f in self.in_fields]
        self.out_fields = plan.out_fields
        self.out_slots = [self.index[f.erp_key] for f in self.out_fields]
        self.crm_columns = [f.crm_column for f in self.in_fields]
        self.inbound = [InboundField(f.label, f.erp_type, f.to_crm_items, f.erp_list,
                                     f.crm_max_length) for f in self.in_fields]
        self.date_columns = {f.crm_column for f in plan.fields if f.crm_date_column}
        self.new_records = staging.NewRecordWriter(staging.NewRecordsShape(
            crm_table=crm.table(plan.crm_entity), link_table=LINK,
            crm_columns=self.crm_columns, date_columns=frozenset(self.date_columns),
            with_parent=bool(plan.parent_types)))
        self.cursor_before = ""
        self.cursor_after = ""
        # False once a batch error stopped reading ERP changes before the end.
        self.read_all = True
        # Records a dry run would create, by (actor type, ERP key): shared by the actor types
        # of a run, so that children find the parents created before them.
        self._dry_links: dict[tuple[str, str], int] = {} if dry_links is None else dry_links
        self._dry_ids = -1
        # True while this actor type has no links at all and pages hold unseen keys only:
        # the initial sync then skips looking links up (a duplicate key, e.g. an actor changed
        # during the run, makes the batch fail and be planned again with lookups).
        self._fresh = False
        # Counts already added to the run record, and counts before the page being applied.
        self._saved_counts = Counts()
        self._counts_before_page = Counts()

    # ---- state -------------------------------------------------------------------------------

    def _state(self, conn: DbConnection) -> tuple[str, str, int]:
        row = conn.execute(select(STATE.c.erp_modified, STATE.c.erp_key, STATE.c.crm_stamp,
                                  STATE.c.snapshot_fields).where(
            STATE.c.connection_id == self.plan.connection_id,
            STATE.c.actor_type == self.plan.actor_type)).first()
        if row is None:
            if not self.options.dry_run:
                conn.execute(insert(STATE).values(
                    connection_id=self.plan.connection_id, actor_type=self.plan.actor_type,
                    erp_modified="", erp_key="", crm_stamp=0,
                    snapshot_fields=self.plan.snapshot_fields))
            return "", "", 0
        if list(row[3]) != self.plan.snapshot_fields and not self.options.dry_run:
            self._remap_snapshots(conn, list(row[3]))
        return row[0], row[1], int(row[2])

    def _remap_snapshots(self, conn: DbConnection, old_fields: list[str]) -> None:
        """The mapping changed since the last run: re-key every link snapshot once."""
        from erp_tui.runner.values import remap

        rows = conn.execute(select(LINK.c.id, LINK.c.snapshot).where(
            LINK.c.connection_id == self.plan.connection_id,
            LINK.c.actor_type == self.plan.actor_type)).all()
        new_fields = self.plan.snapshot_fields
        updates = [{"b_id": r[0], "b_snapshot": remap(r[1], old_fields, new_fields)}
                   for r in rows]
        if updates:
            conn.execute(update(LINK).where(LINK.c.id == bindparam("b_id"))
                         .values(snapshot=bindparam("b_snapshot")), updates)
        conn.execute(update(STATE).where(
            STATE.c.connection_id == self.plan.connection_id,
            STATE.c.actor_type == self.plan.actor_type).values(snapshot_fields=new_fields))

    # ---- the run -----------------------------------------------------------------------------

    def run(self, pull: bool = True) -> Counts:
        """Push CRM changes, then (unless `pull` is False) pull ERP changes; returns what was
        done. `read_all` tells afterwards whether the ERP changes were read to the end."""
        if not self.options.dry_run:
            bulk_indexes.restore_missing(self.engine)  # after a run killed in a bulk load
        with self.engine.begin() as conn:
            erp_modified, erp_key, crm_stamp = self._state(conn)
        self.cursor_before = f"{erp_modified}|{erp_key}|{crm_stamp}"
        if self.out_fields:
            crm_stamp = self._push_crm_changes(crm_stamp)
        elif not self.options.dry_run:
            crm_stamp = self._skip_crm_changes()
        if self.in_fields and not self.options.cancel.is_set() and pull:
            self._fresh = (not self.options.dry_run and not self.plan.lag_seconds
                           and not self._has_links())
            erp_modified, erp_key = self._pull_erp_changes(erp_modified, erp_key)
        self.read_all = pull and not self.options.cancel.is_set() and self.read_all
        self.cursor_after = f"{erp_modified}|{erp_key}|{crm_stamp}"
        return self.counts

    def _has_links(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(LINK.c.id).where(
                LINK.c.connection_id == self.plan.connection_id,
                LINK.c.actor_type == self.plan.actor_type).limit(1)).first() is not None

    def _report(self, phase: str, fraction: float | None = None, message: str = "") -> None:
        self.options.progress(ProgressEvent(self.plan.connection_name, self.plan.actor_type,
                                            phase, self.counts, fraction, message))

    # ---- phase A: ERP → CRM ------------------------------------------------------------------

    def _pull_erp_changes(self, erp_modified: str, erp_key: str) -> tuple[str, str]:
        cursor = Cursor(last_modified=erp_modified, erp_key=erp_key)
        if self.plan.lag_seconds and erp_modified:
            cursor = Cursor(last_modified=_minus(erp_modified, self.plan.lag_seconds))
        field_keys = [f.erp_key for f in self.in_fields]
        started = datetime.now(UTC)
        first_seen = ""
        seen = 0
        expected: int | None = None  # actors this phase will read, when the ERP tells

        def fetch(at: Cursor) -> PageResult:
            return timed_call(lambda: self.connector.actors_changed_since(
                self.plan.connection_id, self.plan.actor_type, at, field_keys,
                self.plan.page_size), PageResult, self.options.timeout)

        request = PageRequest(self.plan.connection_id, self.plan.actor_type, field_keys,
                              self.plan.page_size, self.inbound, self.in_slots, self.width,
                              stage=self.options.staging if self._can_take_staged_pages()
                              else "never")
        at = cursor  # where the page being handled was asked from
        suspended: list[str] | None = None  # record indexes held back for a bulk load
        pages = PageStream(fetch, request, cursor, source=self.reader_source,
                           timeout=self.options.timeout, min_rows=self.options.read_ahead_rows,
                           prestart=not erp_modified and not erp_key)
        try:
            while not self.options.cancel.is_set():
                item = pages.next()
                if item is None:
                    break
                result, translation = item
                if not result.ok or result.page is None:
                    self._batch_error(">", result.user_message or "The ERP returned no page.",
                                      result.tech_message)
                    self.read_all = False
                    break
                page = result.page
                if len(page) == 0:
                    break
                if translation is None and not self._page_fits(page, field_keys):
                    self.read_all = False
                    break
                if not self._cursor_moves(at, page.next_cursor):
                    self.read_all = False
                    break
                at = page.next_cursor or at
                first_seen = first_seen or page.last_modified[0]
                last = (page.last_modified[-1], page.erp_keys[-1])
                advance = max(last, (erp_modified, erp_key))
                if suspended is None:
                    suspended = (bulk_indexes.suspend(self.engine, self.plan.crm_entity,
                                                      len(page) + (page.remaining or 0))
                                 if self._fresh else [])
                self._apply_page(page, advance, translation)
                erp_modified, erp_key = advance
                seen += len(page)
                if page.remaining is not None:
                    expected = seen + page.remaining
                self._report("ERP → CRM", min(1.0, seen / expected) if expected else
                             _fraction(first_seen, erp_modified, started))
        finally:
            pages.close()
            if suspended:
                self._report("ERP → CRM", 1.0, "Building the records list's indexes…")
                bulk_indexes.restore(self.engine, suspended)
        return erp_modified, erp_key

    def _can_take_staged_pages(self) -> bool:
        """True when the reader process may send pages staged as SQLite databases: new
        records of an actor type without parents, written to a SQLite store."""
        return (not self.options.dry_run and not self.plan.parent_types
                and self.plan.allow_import and staging.can_attach_pages(self.engine.dialect.name))

    def _cursor_moves(self, at: Cursor, following: Cursor | None) -> bool:
        """True unless the page's next cursor stands at or before the one it was asked from
        (the connector would return the same page forever); then a batch error is recorded
        and the page is not applied, so the cursor stays before it."""
        if following is None or following.as_tuple() > at.as_tuple():
            return True
        self._batch_error(">", "The ERP connector's next cursor does not move past the one the "
                          f"page was read from; reading {self.plan.actor_type} stopped there, "
                          "nothing was skipped. Fix the connector and sync again.",
                          f"next_cursor {following.as_tuple()!r:.200} after "
                          f"{at.as_tuple()!r:.200}")
        return False

    def _page_fits(self, page: ActorPage, field_keys: list[str]) -> bool:
        """True when the page lines up with what was asked; else a batch error is recorded."""
        problem = malformed(page)
        if problem:
            self._batch_error(">", "The ERP returned a malformed page (columns of different "
                              "lengths); the batch was skipped.", problem)
            return False
        if page.field_keys and tuple(page.field_keys) != tuple(field_keys):
            self._batch_error(">", "The ERP returned other fields than asked for; the batch "
                              "was skipped.", f"got {page.field_keys}")
            return False
        return True

    def _apply_page(self, page: ActorPage, advance: tuple[str, str],
                    translation: Translation | None) -> None:
        if self._fresh:
            try:
                self._apply_page_once(page, advance, translation)
                return
            except IntegrityError:
                self._fresh = False
                self.counts = self._counts_before_page
        self._apply_page_once(page, advance, translation)

    def _apply_page_once(self, page: ActorPage, advance: tuple[str, str],
                         translation: Translation | None) -> None:
        self._counts_before_page = Counts(**self.counts.as_dict())
        with self.engine.begin() as conn:
            batch, stamps = self._plan_page(conn, page, translation)
            if self.options.dry_run:
                return
            self._write(conn, batch, stamps)
            conn.execute(update(STATE).where(
                STATE.c.connection_id == self.plan.connection_id,
                STATE.c.actor_type == self.plan.actor_type).values(
                erp_modified=advance[0], erp_key=advance[1]))
            self._save_counts(conn)

    def _plan_page(self, conn: DbConnection, page: ActorPage,
                   translation: Translation | None = None) -> tuple[_Batch, tuple[int, int]]:
        """Decide, for every actor of the page, what to write (nothing is written here).

        Returns the batch and the CRM stamps before and after it.
        """
        plan = self.plan
        batch = _Batch()
        keys = page.erp_keys
        translation = translation or translate_page(page, self.inbound)
        links = {} if self._fresh else self._links(conn, keys)
        if translation.staged is not None and links:
            # Some actors are known after all: plan row by row from the staged values.
            columns, texts = read_staged_page(translation.staged, len(self.in_fields))
            translation = Translation(columns, {}, texts)
        columns, bad = translation.columns, translation.bad
        values_rows: list[tuple[str, ...]] = []
        # Links of actors the ERP had deleted are read too: a live row brings them back.
        linked_ids = [link[1] for link in links.values()
                      if link[4] in ("linked", "deleted_in_erp")]
        current = crm.read(conn, plan.crm_entity, linked_ids, self.crm_columns)
        owned = self._owned_columns(conn, linked_ids)
        base_stamp = crm.max_stamp(conn, plan.crm_entity)
        stamp = base_stamp
        in_fields = self.in_fields
        in_slots = self.in_slots
        width = self.width
        modified = page.last_modified
        deleted = page.deleted
        # A page of unseen actors only (an initial sync) creates them all: no per-row loop.
        all_new = not links and plan.allow_import and not bad and not any(deleted)
        new: list[int] = list(range(len(keys))) if all_new else []
        for i, key in () if all_new else enumerate(keys):
            link = links.get(key)
            if i in bad:
                self._record_error(batch, ">", key, link[1] if link else None, bad[i])
                continue
            if deleted and deleted[i]:
                if link is not None and link[4] == "linked":
                    self.counts.deleted += 1
                    batch.link_updates.append({"b_id": link[0], "b_state": "deleted_in_erp",
                                               "b_snapshot": link[2], "b_stamp": link[3],
                                               "b_modified": modified[i]})
                    self._log(batch, link[0], key, link[1], "*", ">", None, "deleted in ERP")
                continue
            if link is None:
                if plan.allow_import:
                    new.append(i)
                else:
                    self.counts.unchanged += 1
                continue
            if link[4] == "deleted_in_erp":
                # The ERP restored the actor (a soft delete undone): the link is live again and
                # its values sync as usual from the last synced ones.
                self._log(batch, link[0], key, link[1], "*", ">", "deleted in ERP",
                          "restored in ERP")
            elif link[4] != "linked":
                self.counts.unchanged += 1
                continue
            record = current.get(link[1])
            if record is None:
                self._record_error(batch, ">", key, link[1],
                                   f"CRM record {link[1]} of ERP actor {key} no longer exists; "
                                   "disconnect the link to sync this actor again.")
                continue
            if not values_rows:
                values_rows = list(zip(*columns, strict=True))
            values = values_rows[i]
            snapshot = decode(link[2], width)
            crm_pending = record[0] != link[3]
            writes: dict[str, Any] = {}
            for j, f in enumerate(in_fields):
                slot = in_slots[j]
                e = values[j]
                c = canon(record[2 + j])
                s = snapshot[slot]
                if e == c:
                    snapshot[slot] = e
                    continue
                conflict = False
                if f.direction is Direction.BOTH:
                    if e == s:
                        continue  # only the CRM changed: phase B pushes it
                    if c != s:
                        conflict = True
                        if not self._erp_wins(modified[i], record[1]):
                            continue
                if f.crm_column in owned.get(link[1], ()):
                    continue  # a higher-priority connection's value stands
                writes[f.crm_column] = (crm.db_date(conn, e) if f.crm_column in self.date_columns
                                        else e)
                snapshot[slot] = e
                if conflict:
                    self.counts.conflicts += 1
                self._log(batch, link[0], key, link[1], f.erp_key, ">", c, e, conflict)
            new_stamp = link[3]
            if writes:
                stamp += 1
                batch.crm_updates[link[1]] = writes
                batch.crm_stamps[link[1]] = stamp
                if not crm_pending:
                    new_stamp = stamp
                self.counts.updated += 1
            else:
                self.counts.unchanged += 1
            batch.link_updates.append({"b_id": link[0], "b_state": "linked",
                                       "b_snapshot": encode(snapshot), "b_stamp": new_stamp,
                                       "b_modified": modified[i]})
        if new:
            stamp = self._plan_new(conn, page, new, translation, stamp, batch)
        return batch, (base_stamp, stamp)

    def _plan_new(self, conn: DbConnection, page: ActorPage, new: list[int],
                  translation: Translation, stamp: int, batch: _Batch) -> int:
        """CRM records and links for ERP actors seen for the first time (built column-wise:
        this is the path of an initial sync of millions of actors)."""
        plan = self.plan
        every_parent: list[int | None] = []
        if plan.parent_types:
            every_parent, new = self._linked_parents(conn, page, new, batch)
            if not new:
                return stamp
        count = len(new)
        everything = count == len(page)
        keys = page.erp_keys if everything else [page.erp_keys[i] for i in new]
        modified = page.last_modified if everything else [page.last_modified[i] for i in new]
        value_columns = translation.columns
        columns: list[Sequence[Any]] = (list(value_columns) if everything else
                                        [[column[i] for i in new] for column in value_columns])
        ids = self._new_ids(conn, count)
        stamps = range(stamp + 1, stamp + 1 + count)
        self.counts.created += count
        if translation.staged is not None:  # every row is new: SQL copies the staged page
            batch.staged_pages.append((translation.staged, ids[0], stamps[0]))
            return stamp + count
        if self.options.dry_run:
            for key, record_id in zip(keys, ids, strict=True):
                self._dry_links[(plan.actor_type, key)] = record_id
                self._keep(Change(plan.actor_type, key, None, "*", ">", None, "create"))
            return stamp + count
        parent_ids: Sequence[int | None] = [None] * count
        if every_parent:
            parent_ids = every_parent if everything else [every_parent[i] for i in new]
        texts = translation.snapshots
        if texts is None:
            texts = snapshots(columns, self.in_slots, self.width)
        elif not everything:
            texts = [texts[i] for i in new]
        # Consumed by the write (same transaction): no row tuples are kept in memory.
        batch.new_records.append(zip(ids, stamps, keys, modified, parent_ids, texts, *columns,
                                     strict=True))
        return stamp + count

    def _erp_wins(self, erp_modified: str, crm_updated: datetime | None) -> bool:
        policy = self.plan.conflict_policy
        if policy == "erp_wins":
            return True
        if policy == "crm_wins":
            return False
        return erp_modified >= _stamp_text(crm_updated)

    def _links(self, conn: DbConnection, keys: Sequence[str]
               ) -> dict[str, tuple[int, int, str, int, str]]:
        plan = self.plan
        out = crm.lookup_links(conn, plan.connection_id, plan.actor_type, keys)
        if self.options.dry_run:
            for key in keys:
                dry = self._dry_links.get((plan.actor_type, key))
                if dry is not None and key not in out:
                    out[key] = (0, dry, "", 0, "linked")
        return out

    def _owned_columns(self, conn: DbConnection, crm_ids: Sequence[int]) -> dict[int, set[str]]:
        """CRM columns of these records that a higher-priority connection writes."""
        higher = self.plan.higher_priority
        if not higher or not crm_ids:
            return {}
        owned: dict[int, set[str]] = {}
        for start in range(0, len(crm_ids), crm.CHUNK):
            chunk = list(crm_ids[start:start + crm.CHUNK])
            for crm_id, connection_id in conn.execute(select(LINK.c.crm_id, LINK.c.connection_id)
                                                      .where(LINK.c.crm_entity ==
                                                             self.plan.crm_entity,
                                                             LINK.c.crm_id.in_(chunk),
                                                             LINK.c.connection_id.in_(higher),
                                                             LINK.c.state == "linked")):
                owned.setdefault(crm_id, set()).update(higher[connection_id])
        return owned

    def _linked_parents(self, conn: DbConnection, page: ActorPage, new: list[int],
                        batch: _Batch) -> tuple[list[int | None], list[int]]:
        """The CRM id of every row's parent, and the new rows that can be created now: an
        actor whose parent is not in the CRM yet (its sync failed or comes later, or this
        connection does not sync the parent's type) is a record error to retry, not a record
        without its parent."""
        parents = self._parents(conn, page)
        size = len(page)
        pairs = list(zip(page.parent_types or [""] * size, page.parent_keys or [""] * size,
                         strict=True))
        every_parent = [parents.get(pair) for pair in pairs]
        ready = []
        for i in new:
            parent_type, parent_key = pairs[i]
            if parent_key and parent_type in self.plan.parent_types and every_parent[i] is None:
                self._record_error(batch, ">", page.erp_keys[i], None,
                                   _parent_missing(parent_type, parent_key,
                                                   parent_type in self.plan.unsynced_parent_types))
            else:
                ready.append(i)
        return every_parent, ready

    def _parents(self, conn: DbConnection, page: ActorPage) -> dict[tuple[str, str], int]:
        wanted = {(t, k) for t, k in zip(page.parent_types, page.parent_keys, strict=True)
                  if t and k}
        out: dict[tuple[str, str], int] = {}
        by_type: dict[str, list[str]] = {}
        for parent_type, parent_key in wanted:
            by_type.setdefault(parent_type, []).append(parent_key)
        for parent_type, keys in by_type.items():
            for start in range(0, len(keys), crm.CHUNK):
                for key, crm_id in conn.execute(select(LINK.c.erp_key, LINK.c.crm_id).where(
                        LINK.c.connection_id == self.plan.connection_id,
                        LINK.c.actor_type == parent_type,
                        LINK.c.erp_key.in_(keys[start:start + crm.CHUNK]))):
                    out[(parent_type, key)] = crm_id
            for key in keys:
                dry = self._dry_links.get((parent_type, key))
                if dry is not None:
                    out.setdefault((parent_type, key), dry)
        return out

    def _new_ids(self, conn: DbConnection, count: int) -> list[int]:
        if count == 0:
            return []
        if self.options.dry_run:
            ids = list(range(self._dry_ids, self._dry_ids - count, -1))
            self._dry_ids -= count
            return ids
        return crm.allocate_ids(conn, self.plan.crm_entity, count)

    # ---- phase B: CRM → ERP ------------------------------------------------------------------

    def _push_crm_changes(self, stamp: int) -> int:
        columns = [f.crm_column for f in self.out_fields]
        limit = self.plan.page_size
        while not self.options.cancel.is_set():
            with self.engine.begin() as conn:
                top = crm.max_stamp(conn, self.plan.crm_entity)
                rows = crm.changed_since(conn, self.plan.crm_entity, LINK,
                                         self.plan.connection_id, self.plan.actor_type, stamp,
                                         columns, limit)
                rows = [r for r in rows if r[1] <= top]
                batch = _Batch()
                self._push_rows(rows, batch)
                new_stamp = top if len(rows) < limit else rows[-1][1]
                if self.options.dry_run:
                    stamp = new_stamp
                    if len(rows) < limit:
                        break
                    continue
                self._write(conn, batch)
                conn.execute(update(STATE).where(
                    STATE.c.connection_id == self.plan.connection_id,
                    STATE.c.actor_type == self.plan.actor_type).values(crm_stamp=new_stamp))
                self._save_counts(conn)
            stamp = new_stamp
            self._report("CRM → ERP")
            if len(rows) < limit:
                break
        return stamp

    def _skip_crm_changes(self) -> int:
        """Nothing flows CRM→ERP: keep the CRM cursor at the newest stamp."""
        with self.engine.begin() as conn:
            top = crm.max_stamp(conn, self.plan.crm_entity)
            conn.execute(update(STATE).where(
                STATE.c.connection_id == self.plan.connection_id,
                STATE.c.actor_type == self.plan.actor_type).values(crm_stamp=top))
        return top

    def _push_rows(self, rows: Sequence[Any], batch: _Batch, force: bool = False) -> None:
        """Work out and send the CRM changes of these linked records to the ERP (`force`:
        every CRM→ERP field, whatever the snapshot and timestamps say)."""
        width = self.width
        pending: list[tuple[Any, list[str], dict[str, tuple[str, Any]]]] = []
        for row in rows:
            crm_id, change_stamp, _updated, link_id, erp_key, snapshot_text, link_stamp = row[:7]
            if change_stamp == link_stamp and not force:
                continue  # the runner's own write
            snapshot = decode(snapshot_text, width)
            pushes: dict[str, tuple[str, Any]] = {}
            problem = ""
            for j, f in enumerate(self.out_fields):
                c = canon(row[7 + j])
                if c == snapshot[self.out_slots[j]] and not force:
                    continue
                value, problem = _to_erp(f, c)
                if problem:
                    break
                pushes[f.erp_key] = (c, value)
            if problem:
                self._record_error(batch, "<", erp_key, crm_id, problem)
                continue
            if not pushes:
                batch.link_updates.append({"b_id": link_id, "b_state": "linked",
                                           "b_snapshot": snapshot_text, "b_stamp": change_stamp,
                                           "b_modified": None})
                continue
            pending.append((row, snapshot, pushes))
        if not pending:
            return
        erp_now = {} if force else self._erp_values(
            [p[0][4] for p in pending
             if any(self.fields[self.index[k]].direction is Direction.BOTH for k in p[2])])
        to_send: list[tuple[Any, list[str], dict[str, tuple[str, Any]], set[str]]] = []
        for row, snapshot, pushes in pending:
            crm_id, change_stamp, updated, link_id, erp_key = row[:5]
            deferred = False
            conflicts: set[str] = set()
            current = erp_now.get(erp_key)
            for key in list(pushes):
                f = self.fields[self.index[key]]
                if f.direction is not Direction.BOTH or current is None:
                    continue
                e = current[0].get(key, "")
                c, _value = pushes[key]
                s = snapshot[self.index[key]]
                if e == c:
                    snapshot[self.index[key]] = c
                    del pushes[key]
                elif e != s:
                    if self._erp_wins(current[1], updated):
                        del pushes[key]
                        deferred = True
                    else:
                        conflicts.add(key)
            if not pushes:
                batch.link_updates.append({"b_id": link_id, "b_state": "linked",
                                           "b_snapshot": encode(snapshot),
                                           "b_stamp": row[6] if deferred else change_stamp,
                                           "b_modified": None})
                continue
            to_send.append((row, snapshot, pushes, conflicts))
        for start in range(0, len(to_send), PUSH_BATCH):
            self._send(to_send[start:start + PUSH_BATCH], batch)

    def _send(self, items: list[tuple[Any, list[str], dict[str, tuple[str, Any]], set[str]]],
              batch: _Batch) -> None:
        actors = [Actor(actor_type=self.plan.actor_type, erp_key=row[4],
                        values={k: v for k, (_c, v) in pushes.items()})
                  for row, _snapshot, pushes, _conflicts in items]
        if self.options.dry_run:
            saved: dict[str, Actor] | None = {a.erp_key: a for a in actors}
            failures: dict[str, str] = {}
        else:
            saved, failures = self._save(actors)
        for row, snapshot, pushes, conflicts in items:
            crm_id, change_stamp, _updated, link_id, erp_key = row[:5]
            if erp_key in failures:
                self._record_error(batch, "<", erp_key, crm_id, failures[erp_key])
                continue
            for key, (c, _value) in pushes.items():
                slot = self.index[key]
                self._log(batch, link_id, erp_key, crm_id, key, "<", snapshot[slot], c,
                          key in conflicts)
                snapshot[slot] = c
            self.counts.conflicts += len(conflicts)
            self.counts.pushed += 1
            actor = (saved or {}).get(erp_key)
            batch.link_updates.append({"b_id": link_id, "b_state": "linked",
                                       "b_snapshot": encode(snapshot), "b_stamp": change_stamp,
                                       "b_modified": actor.last_modified if actor else None})

    def _save(self, actors: list[Actor]) -> tuple[dict[str, Actor], dict[str, str]]:
        """Save actors; when the batch is refused, save one by one to find the bad ones."""
        cid = self.plan.connection_id
        result = timed_call(lambda: self.connector.save_actors(cid, actors), ActorsResult,
                            self.options.timeout)
        if result.ok:
            return {a.erp_key: a for a in result.actors}, {}
        if len(actors) == 1:
            return {}, {actors[0].erp_key: result.user_message or "The ERP refused the change."}
        saved: dict[str, Actor] = {}
        failures: dict[str, str] = {}
        for actor in actors:
            one, bad = self._save([actor])
            saved.update(one)
            failures.update(bad)
        return saved, failures

    def _erp_values(self, keys: list[str]) -> dict[str, tuple[dict[str, str], str]]:
        """Current canonical (CRM-side) values of two-way fields, and last-modified, by key."""
        if not keys:
            return {}
        two_way = [f for f in self.fields if f.direction is Direction.BOTH]
        field_keys = [f.erp_key for f in two_way]
        out: dict[str, tuple[dict[str, str], str]] = {}
        for start in range(0, len(keys), PUSH_BATCH):
            chunk = keys[start:start + PUSH_BATCH]
            result = timed_call(lambda c=chunk: self.connector.get_actors(  # type: ignore[misc]
                self.plan.connection_id, self.plan.actor_type, c, field_keys),
                PageResult, self.options.timeout)
            if not result.ok or result.page is None:
                continue
            page = result.page
            for i, key in enumerate(page.erp_keys):
                values = {}
                for f, value in zip(two_way, page.rows[i], strict=True):
                    text = canon(value)
                    if f.to_crm_items is not None and text:
                        text = f.to_crm_items.get(text, "?" + text)
                    values[f.erp_key] = text
                out[key] = (values, page.last_modified[i])
        return out

    # ---- retry and resync --------------------------------------------------------------------

    def apply_records(self, page: ActorPage) -> set[str]:
        """Sync these ERP actors now (cursor untouched); returns the keys that failed again."""
        if not self.in_fields:
            return set()  # nothing flows ERP→CRM (e.g. a parent type linked by hand only)
        with self.engine.begin() as conn:
            batch, stamps = self._plan_page(conn, page)
            self._write(conn, batch, stamps)
            self._save_counts(conn)
        return {e["erp_key"] for e in batch.errors}

    def push_links(self, erp_keys: Sequence[str], force: bool) -> set[str]:
        """Push the CRM side of these links to the ERP; returns the keys that failed."""
        failed: set[str] = set()
        columns = [f.crm_column for f in self.out_fields]
        if not columns:
            return failed
        for start in range(0, len(erp_keys), PUSH_BATCH):
            chunk = list(erp_keys[start:start + PUSH_BATCH])
            with self.engine.begin() as conn:
                rows = crm.linked_rows(conn, self.plan.crm_entity, LINK,
                                       self.plan.connection_id, self.plan.actor_type, chunk,
                                       columns)
                batch = _Batch()
                self._push_rows(rows, batch, force=force)
                self._write(conn, batch)
                self._save_counts(conn)
            failed.update(e["erp_key"] for e in batch.errors)
        return failed

    # ---- writing -----------------------------------------------------------------------------

    def _write(self, conn: DbConnection, batch: _Batch,
               stamps: tuple[int, int] | None = None) -> None:
        plan = self.plan
        if batch.new_records or batch.staged_pages:
            now = crm.db_datetime(conn, datetime.now(UTC))
            link_values = {"connection_id": plan.connection_id, "actor_type": plan.actor_type,
                           "crm_entity": plan.crm_entity, "state": "linked",
                           "created_run": self.run_id}
            for data, first_id, first_stamp in batch.staged_pages:
                self.new_records.write_staged(conn, data, first_id, first_stamp, link_values,
                                              now)
            for rows in batch.new_records:
                self.new_records.write(conn, rows, link_values, now)
        if batch.crm_updates:
            crm.update_values(conn, plan.crm_entity, batch.crm_updates, batch.crm_stamps)
        if stamps is not None and stamps[1] != stamps[0]:
            # The runner's own CRM writes need no pushing: when the CRM cursor stood at the
            # newest stamp before this batch, move it past the batch's stamps.
            conn.execute(update(STATE).where(
                STATE.c.connection_id == plan.connection_id,
                STATE.c.actor_type == plan.actor_type,
                STATE.c.crm_stamp == stamps[0]).values(crm_stamp=stamps[1]))
        if batch.link_updates:
            conn.execute(update(LINK).where(LINK.c.id == bindparam("b_id")).values(
                state=bindparam("b_state"), snapshot=bindparam("b_snapshot"),
                crm_stamp=bindparam("b_stamp")), batch.link_updates)
            modified = [u for u in batch.link_updates if u["b_modified"]]
            if modified:
                conn.execute(update(LINK).where(LINK.c.id == bindparam("b_id")).values(
                    erp_modified=bindparam("b_modified")), modified)
        if batch.logs:
            conn.execute(insert(LOG), batch.logs)
        if batch.errors:
            conn.execute(insert(ERRORS), batch.errors)

    def _save_counts(self, conn: DbConnection) -> None:
        """Keep the run record's counts current (they commit with the batch)."""
        delta = self._delta()
        if delta:
            conn.execute(update(RUNS).where(RUNS.c.id == self.run_id).values(
                **{name: RUNS.c[name] + value for name, value in delta.items()}))

    def _delta(self) -> dict[str, int]:
        now = self.counts.as_dict()
        before = self._saved_counts.as_dict()
        self._saved_counts = Counts(**now)
        return {k: now[k] - before[k] for k in now if now[k] != before[k]}

    # ---- log and errors ----------------------------------------------------------------------

    def _log(self, batch: _Batch, link_id: int | None, erp_key: str, crm_id: int | None,
             field_key: str, direction: str, old: str | None, new: str | None,
             conflict: bool = False) -> None:
        if self.options.dry_run:
            self._keep(Change(self.plan.actor_type, erp_key, crm_id, field_key, direction, old,
                              new, conflict))
            return
        batch.logs.append({"run_id": self.run_id, "link_id": link_id,
                           "actor_type": self.plan.actor_type, "erp_key": erp_key,
                           "crm_id": crm_id, "field": field_key, "direction": direction,
                           "old_value": old, "new_value": new, "conflict": conflict,
                           "at": datetime.now(UTC)})

    def _keep(self, change: Change) -> None:
        if len(self.changes) < self.options.keep_changes:
            self.changes.append(change)

    def _record_error(self, batch: _Batch, direction: str, erp_key: str, crm_id: int | None,
                      message: str, tech: str = "") -> None:
        self.counts.errors += 1
        if self.options.dry_run:
            self._keep(Change(self.plan.actor_type, erp_key, crm_id, "!", direction, None,
                              message))
            return
        batch.errors.append({"run_id": self.run_id, "connection_id": self.plan.connection_id,
                             "actor_type": self.plan.actor_type, "erp_key": erp_key,
                             "crm_id": crm_id, "direction": direction, "message": message,
                             "tech_message": tech or message, "resolved": False,
                             "at": datetime.now(UTC)})

    def _batch_error(self, direction: str, message: str, tech: str = "") -> None:
        batch = _Batch()
        self._record_error(batch, direction, "", None, message, tech)
        self._report("error", message=message)
        if self.options.dry_run:
            return
        with self.engine.begin() as conn:
            self._write(conn, batch)
            self._save_counts(conn)


def _parent_missing(parent_type: str, parent_key: str, unsynced: bool) -> str:
    """Why a child waits for its parent `parent_type` `parent_key`, and what to do."""
    if not unsynced:
        return (f"Its parent {parent_type} {parent_key} is not in the CRM yet; retry once the "
                "parent is synced.")
    return (f"Its parent {parent_type} {parent_key} is not in the CRM: this connection does not "
            f"sync {parent_type} from the ERP. Enable {parent_type} with fields flowing to the "
            "CRM and sync, or link the parent to a CRM record; then retry.")


def _to_erp(f: FieldPlan, text: str) -> tuple[Any, str]:
    """A canonical CRM value as the ERP field's value, or a problem."""
    if f.to_erp_items is not None:
        if not text:
            return None, ""
        item = f.to_erp_items.get(text)
        if item is None:
            return None, (f"CRM item '{text}' ({f.label}) has no ERP item in list "
                          f"'{f.erp_list}'; map it in List mapping, then retry.")
        return item, ""
    if text == "":
        return None, ""
    try:
        if f.erp_type is FieldType.INTEGER:
            return int(float(text)), ""
        if f.erp_type is FieldType.DOUBLE:
            return float(text), ""
        if f.erp_type is FieldType.CHECKBOX:
            return text in ("1", "True", "true"), ""
        if f.erp_type is FieldType.DATE:
            return date.fromisoformat(text[:10]), ""
        if f.erp_type is FieldType.DATETIME:
            return datetime.fromisoformat(text), ""
    except ValueError:
        return None, f"'{text}' does not fit {f.label} ({f.erp_type.value})."
    return text, ""


def _minus(stamp: str, seconds: int) -> str:
    try:
        moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return ""
    return _stamp_text(moment - timedelta(seconds=seconds))


def _fraction(first: str, current: str, started: datetime) -> float | None:
    """How far through the ERP's history the cursor is (for a progress bar)."""
    try:
        begin = datetime.strptime(first, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        now = datetime.strptime(current, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    span = (started - begin).total_seconds()
    if span <= 0:
        return None
    return max(0.0, min(1.0, (now - begin).total_seconds() / span))
