"""Phase A's decisions: for every actor of an ERP page, what to write to the CRM, the links,
the log and the errors. Nothing is written here; the batch is applied in one transaction.

A linked actor's ERP values land in its CRM record where they differ from the CRM's, unless
only the CRM changed (phase B pushes those), the conflict policy keeps the CRM's value, or a
higher-priority connection writes the column. An actor seen for the first time becomes a new
record (column-wise: the path of an initial sync of millions of actors).

A page's CRM writes take their change stamps as one contiguous block, allocated once the page
is planned (erp_tui.runner.crm.next_stamps): the planning counts stamps from 0 and the block's
start is added at the end, so that concurrent runners never interleave a page's stamps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection as DbConnection
from sqlalchemy import select

from erp_tui.contract import ActorPage
from erp_tui.crm_catalog import actor_param
from erp_tui.i18n import msg
from erp_tui.rules import Direction
from erp_tui.runner import crm
from erp_tui.runner.batch import Batch
from erp_tui.runner.journal import Journal
from erp_tui.runner.layout import FieldLayout
from erp_tui.runner.options import Change, Counts, RunOptions
from erp_tui.runner.page_db import read_staged_page
from erp_tui.runner.plan import ActorPlan
from erp_tui.runner.shapes import (
    ChangeKind,
    CrmRecord,
    LinkRow,
    LinkState,
    RecordEvent,
    StagedPage,
    StampRange,
)
from erp_tui.runner.stamps import erp_wins
from erp_tui.runner.tables import LINK
from erp_tui.runner.translate import Translation, snapshots, translate_page
from erp_tui.runner.values import SEPARATOR, canon, decode, encode

TO_CRM = Direction.TO_CRM
BOTH = Direction.BOTH
LINKED = LinkState.LINKED
DELETED_IN_ERP = LinkState.DELETED_IN_ERP
# Links whose CRM record a page reads: an actor the ERP had deleted comes back with a live row.
READ_STATES = (LINKED, DELETED_IN_ERP)


@dataclass(slots=True)
class _PageWork:
    """One page being planned: what was read for it and what was decided so far."""

    page: ActorPage
    translation: Translation
    batch: Batch
    links: dict[str, LinkRow]
    records: dict[int, CrmRecord]
    # CRM id -> columns a higher-priority connection writes.
    owned: dict[int, set[str]]
    # The CRM change stamps the page's updates took so far, counted from 0 (see `_stamp`).
    stamp: int = 0
    # Positions in `batch.link_updates` whose CRM stamp counts from 0 like `stamp`.
    counted_links: list[int] = field(default_factory=list)
    # The block of stamps the page's writes took, once allocated.
    stamps: StampRange | None = None
    # Rows (page positions) of actors to create.
    new: list[int] = field(default_factory=list)
    _rows: list[tuple[str, ...]] | None = None

    def values(self, i: int) -> tuple[str, ...]:
        """The canonical inbound values of row `i` (rows made from the columns once)."""
        if self._rows is None:
            self._rows = list(zip(*self.translation.columns, strict=True))
        return self._rows[i]


class PagePlanner:
    """Plans the pages of one actor type (shared by every page of a run)."""

    def __init__(self, plan: ActorPlan, layout: FieldLayout, options: RunOptions,
                 counts: Counts, journal: Journal,
                 dry_links: dict[tuple[str, str], int]) -> None:
        self.plan = plan
        self.layout = layout
        self.options = options
        self.counts = counts
        self.journal = journal
        # Records a dry run would create, by (actor type, ERP key): shared by the actor types
        # of a run, so that children find the parents created before them.
        self.dry_links = dry_links
        self._dry_ids = -1

    def plan_page(self, conn: DbConnection, page: ActorPage,
                  translation: Translation | None = None, fresh: bool = False
                  ) -> tuple[Batch, StampRange]:
        """Decide, for every actor of the page, what to write; returns the batch and the CRM
        stamps before and after it. `fresh`: the actor type has no links yet (none are
        looked up)."""
        plan = self.plan
        translation = translation or translate_page(page, self.layout.inbound)
        links = {} if fresh else self._links(conn, page.erp_keys)
        if translation.staged is not None and links:
            # Some actors are known after all: plan row by row from the staged values.
            columns, texts = read_staged_page(translation.staged, len(self.layout.in_fields))
            translation = Translation(columns, {}, texts)
        linked_ids = [link.crm_id for link in links.values() if link.state in READ_STATES]
        records = crm.records(conn, plan.crm_entity, linked_ids, self.layout.crm_columns)
        owned = self._owned_columns(conn, linked_ids)
        work = _PageWork(page, translation, Batch(), links, records, owned)
        if not links and plan.allow_import and not translation.bad and not any(page.deleted):
            # A page of unseen actors only (an initial sync) creates them all: no per-row loop.
            work.new = list(range(len(page)))
        else:
            for i, key in enumerate(page.erp_keys):
                self._plan_actor(conn, work, i, key)
        if work.new:
            self._plan_new(conn, work)
        if work.stamps is None:
            self._stamp(conn, work, 0)
        assert work.stamps is not None
        return work.batch, work.stamps

    # ---- one actor ---------------------------------------------------------------------------

    def _plan_actor(self, conn: DbConnection, work: _PageWork, i: int, key: str) -> None:
        """What to do with the actor in row `i` of the page."""
        link = work.links.get(key)
        bad = work.translation.bad
        deleted = work.page.deleted
        if i in bad:
            self.journal.record_error(work.batch, TO_CRM, key, link.crm_id if link else None,
                                      bad[i])
        elif deleted and deleted[i]:
            if link is not None and link.state == LINKED:
                self._plan_deleted(work, i, key, link)
        elif link is None:
            if self.plan.allow_import:
                work.new.append(i)
            else:
                self.counts.unchanged += 1
        elif link.state in READ_STATES:
            self._plan_linked(conn, work, i, key, link)
        else:
            self.counts.unchanged += 1

    def _plan_deleted(self, work: _PageWork, i: int, key: str, link: LinkRow) -> None:
        """The ERP deleted a linked actor: the link says so; the CRM record stays."""
        self.counts.deleted += 1
        work.batch.update_link(link.id, DELETED_IN_ERP, link.snapshot, link.crm_stamp,
                               work.page.last_modified[i])
        self.journal.log(work.batch, link.id, key, link.crm_id, ChangeKind.RECORD, TO_CRM, None,
                         RecordEvent.DELETED_IN_ERP)

    def _plan_linked(self, conn: DbConnection, work: _PageWork, i: int, key: str,
                     link: LinkRow) -> None:
        """A linked actor: its ERP changes go to its CRM record, the link's snapshot follows."""
        if link.state == DELETED_IN_ERP:
            # The ERP restored the actor (a soft delete undone): the link is live again and
            # its values sync as usual from the last synced ones.
            self.journal.log(work.batch, link.id, key, link.crm_id, ChangeKind.RECORD, TO_CRM,
                             RecordEvent.DELETED_IN_ERP, RecordEvent.RESTORED_IN_ERP)
        record = work.records.get(link.crm_id)
        if record is None:
            self.journal.record_error(
                work.batch, TO_CRM, key, link.crm_id,
                msg("CRM record {crm_id} of ERP actor {erp_key} no longer exists; disconnect the "
                    "link to sync this actor again.", crm_id=link.crm_id, erp_key=key))
            return
        snapshot = decode(link.snapshot, self.layout.width)
        writes = self._field_writes(conn, work, i, key, link, record, snapshot)
        link_stamp = link.crm_stamp
        if writes:
            work.stamp += 1
            work.batch.crm_updates[link.crm_id] = writes
            work.batch.crm_stamps[link.crm_id] = work.stamp
            if record.change_stamp == link.crm_stamp:  # no CRM change waits to be pushed
                link_stamp = work.stamp
                work.counted_links.append(len(work.batch.link_updates))
            self.counts.updated += 1
        else:
            self.counts.unchanged += 1
        work.batch.update_link(link.id, LINKED, encode(snapshot), link_stamp,
                               work.page.last_modified[i])

    def _field_writes(self, conn: DbConnection, work: _PageWork, i: int, key: str,
                      link: LinkRow, record: CrmRecord, snapshot: list[str]) -> dict[str, Any]:
        """The CRM columns to write for row `i` (CRM column -> value); `snapshot` takes the
        values synced, and every write is logged."""
        writes: dict[str, Any] = {}
        layout = self.layout
        for f, slot, e, crm_value in zip(layout.in_fields, layout.in_slots, work.values(i),
                                         record.values, strict=True):
            # canon() of the CRM value; plain text without the separator is canonical as is.
            c = (crm_value if crm_value.__class__ is str and SEPARATOR not in crm_value
                 else canon(crm_value))
            if e == c:
                snapshot[slot] = e
                continue
            conflict = False
            if f.direction is BOTH:
                s = snapshot[slot]
                if e == s:
                    continue  # only the CRM changed: phase B pushes it
                if c != s:
                    conflict = True
                    if not erp_wins(self.plan.conflict_policy, work.page.last_modified[i],
                                    record.updated):
                        continue
            if work.owned and f.crm_column in work.owned.get(link.crm_id, ()):
                continue  # a higher-priority connection's value stands
            writes[f.crm_column] = (crm.db_date(conn, e) if f.crm_column in layout.date_columns
                                    else e)
            snapshot[slot] = e
            if conflict:
                self.counts.conflicts += 1
            self.journal.log(work.batch, link.id, key, link.crm_id, f.erp_key, TO_CRM, c, e,
                             conflict)
        return writes

    # ---- new actors --------------------------------------------------------------------------

    def _plan_new(self, conn: DbConnection, work: _PageWork) -> None:
        """CRM records and links for ERP actors seen for the first time (built column-wise:
        this is the path of an initial sync of millions of actors)."""
        plan = self.plan
        page, translation, new = work.page, work.translation, work.new
        every_parent: list[int | None] = []
        if plan.parent_types:
            every_parent, new = self._linked_parents(conn, page, new, work.batch)
            if not new:
                return
        count = len(new)
        everything = count == len(page)
        keys = page.erp_keys if everything else [page.erp_keys[i] for i in new]
        modified = page.last_modified if everything else [page.last_modified[i] for i in new]
        value_columns = translation.columns
        columns: list[Sequence[Any]] = (list(value_columns) if everything else
                                        [[column[i] for i in new] for column in value_columns])
        ids = self._new_ids(conn, count)
        stamps = self._stamp(conn, work, count)
        self.counts.created += count
        if translation.staged is not None:  # every row is new: SQL copies the staged page
            work.batch.staged_pages.append(StagedPage(translation.staged, ids[0], stamps[0]))
            return
        if self.options.dry_run:
            for key, record_id in zip(keys, ids, strict=True):
                self.dry_links[(plan.actor_type, key)] = record_id
                self.journal.keep(Change(plan.actor_type, key, None, ChangeKind.RECORD, TO_CRM,
                                         None, RecordEvent.CREATED))
            return
        parent_ids: Sequence[int | None] = [None] * count
        if every_parent:
            parent_ids = every_parent if everything else [every_parent[i] for i in new]
        texts = translation.snapshots
        if texts is None:
            texts = snapshots(columns, self.layout.in_slots, self.layout.width)
        elif not everything:
            texts = [texts[i] for i in new]
        # Consumed by the write (same transaction): no row tuples are kept in memory.
        work.batch.new_records.append(zip(ids, stamps, keys, modified, parent_ids, texts,
                                          *columns, strict=True))

    def _linked_parents(self, conn: DbConnection, page: ActorPage, new: list[int],
                        batch: Batch) -> tuple[list[int | None], list[int]]:
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
                self.journal.record_error(
                    batch, TO_CRM, page.erp_keys[i], None,
                    parent_missing(parent_type, parent_key,
                                   parent_type in self.plan.unsynced_parent_types))
            else:
                ready.append(i)
        return every_parent, ready

    def _parents(self, conn: DbConnection, page: ActorPage) -> dict[tuple[str, str], int]:
        """CRM id by (parent type, parent key) of the page's parents that are linked."""
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
                dry = self.dry_links.get((parent_type, key))
                if dry is not None:
                    out.setdefault((parent_type, key), dry)
        return out

    def _new_ids(self, conn: DbConnection, count: int) -> Sequence[int]:
        """Ids of `count` new records: one contiguous block (made up in a dry run)."""
        if count == 0:
            return []
        if self.options.dry_run:
            ids = range(self._dry_ids, self._dry_ids - count, -1)
            self._dry_ids -= count
            return ids
        return crm.allocate_ids(conn, self.plan.crm_entity, count)

    def _stamp(self, conn: DbConnection, work: _PageWork, new_count: int) -> range:
        """Allocate the page's block of stamps: its updates' (counted from 0 so far, moved
        onto the block here) and then `new_count` new records' (returned). Sets
        `work.stamps` to the stamp before the block and the block's last."""
        count = work.stamp + new_count
        if self.options.dry_run:  # nothing is written: no stamp is taken
            first = crm.max_stamp(conn, self.plan.crm_entity) + 1
        else:
            first = crm.next_stamps(conn, self.plan.crm_entity, count).start if count else 0
        base = first - 1
        if work.stamp and base:
            stamps = work.batch.crm_stamps
            for crm_id in stamps:
                stamps[crm_id] += base
            updates = work.batch.link_updates
            for position in work.counted_links:
                updates[position]["b_stamp"] += base
        work.stamps = StampRange(base, base + count) if count else StampRange(0, 0)
        new = range(base + work.stamp + 1, base + count + 1)
        work.stamp = count
        return new

    # ---- what the store knows ----------------------------------------------------------------

    def _links(self, conn: DbConnection, keys: Sequence[str]) -> dict[str, LinkRow]:
        plan = self.plan
        out = crm.lookup_links(conn, plan.connection_id, plan.actor_type, keys)
        if self.options.dry_run:
            for key in keys:
                dry = self.dry_links.get((plan.actor_type, key))
                if dry is not None and key not in out:
                    out[key] = LinkRow(0, dry, "", 0, LINKED)
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
                                                             LINK.c.state == LINKED)):
                owned.setdefault(crm_id, set()).update(higher[connection_id])
        return owned


def parent_missing(parent_type: str, parent_key: str, unsynced: bool) -> str:
    """Why a child waits for its parent `parent_type` `parent_key`, and what to do."""
    if not unsynced:
        return msg("Its parent {parent} {key} is not in the CRM yet; retry once the parent is "
                   "synced.", parent=actor_param(parent_type), key=parent_key)
    return msg("Its parent {parent} {key} is not in the CRM: this connection does not sync "
               "{parent} from the ERP. Enable {parent} with fields flowing to the CRM and sync, "
               "or link the parent to a CRM record; then retry.", parent=actor_param(parent_type),
               key=parent_key)
