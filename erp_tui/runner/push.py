"""Phase B (CRM→ERP): CRM changes of linked records since the CRM cursor, sent to the ERP.

A field whose CRM value differs from the link's snapshot is pushed; a two-way field the ERP
changed too is settled by the conflict policy (the ERP's value then waits for phase A).

Every change the push can see is pushed, but the CRM cursor it saves stops at the settled
stamp (erp_tui.runner.stamp_horizon): a change another transaction commits later below the
newest stamp is read by a later run. A change read twice is pushed once: a pushed record's
link takes its stamp, and a record whose stamp equals its link's is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from erp_tui.contract import Actor, ActorsResult, Connector, FieldType, PageResult
from erp_tui.i18n import msg
from erp_tui.rules import Direction
from erp_tui.runner import crm
from erp_tui.runner.batch import Batch, BatchWriter
from erp_tui.runner.calls import timed_call
from erp_tui.runner.cursor_state import read_crm_cursor, save_crm_stamp
from erp_tui.runner.journal import Journal
from erp_tui.runner.layout import FieldLayout
from erp_tui.runner.options import Counts, RunOptions
from erp_tui.runner.plan import ActorPlan, FieldPlan
from erp_tui.runner.shapes import ErpCurrent, LinkedRecord, LinkState
from erp_tui.runner.stamp_horizon import Horizon, settled_stamp
from erp_tui.runner.stamps import erp_wins
from erp_tui.runner.tables import LINK
from erp_tui.runner.values import canon, decode, encode

PUSH_BATCH = 500
TO_ERP = Direction.TO_ERP
LINKED = LinkState.LINKED


@dataclass(slots=True)
class _Push:
    """One linked record's fields to send: ERP key -> (canonical CRM value, ERP value)."""

    record: LinkedRecord
    snapshot: list[str]
    fields: dict[str, tuple[str, Any]]
    # Fields whose push settles a conflict (both sides changed).
    conflicts: set[str]


class CrmPush:
    """Pushes one actor type's CRM changes to the ERP."""

    def __init__(self, engine: Any, plan: ActorPlan, layout: FieldLayout, connector: Connector,
                 options: RunOptions, counts: Counts, journal: Journal, writer: BatchWriter,
                 report: Callable[..., None]) -> None:
        self.engine = engine
        self.plan = plan
        self.layout = layout
        self.connector = connector
        self.options = options
        self.counts = counts
        self.journal = journal
        self.writer = writer
        self.report = report

    def push_changes(self, stamp: int) -> int:
        """Push the changes after CRM stamp `stamp`, a page at a time; returns the stamp the
        CRM cursor moved to (never past the settled stamp)."""
        columns = [f.crm_column for f in self.layout.out_fields]
        limit = self.plan.page_size
        horizon = self._horizon(stamp)
        position = stamp  # the newest stamp read so far
        while not self.options.cancel.is_set():
            with self.engine.begin() as conn:
                rows = crm.changed_since(conn, self.plan.crm_entity, LINK,
                                         self.plan.connection_id, self.plan.actor_type,
                                         position, columns, limit)
                batch = Batch()
                self.push_rows(rows, batch)
                done = len(rows) < limit
                if rows:
                    position = rows[-1].change_stamp
                stamp = max(stamp, horizon.stamp if done else min(position, horizon.stamp))
                if self.options.dry_run:
                    if done:
                        break
                    continue
                self.writer.write(conn, batch)
                save_crm_stamp(conn, self.plan, stamp, horizon)
                self.journal.save_counts(conn)
            self.report("CRM → ERP")
            if done:
                break
        return stamp

    def skip_changes(self) -> int:
        """Nothing flows CRM→ERP: keep the CRM cursor at the settled stamp (returned)."""
        with self.engine.begin() as conn:
            cursor, pending_stamp, pending_xid = read_crm_cursor(conn, self.plan)
            horizon = settled_stamp(conn, self.plan.crm_entity, cursor, pending_stamp,
                                    pending_xid)
            save_crm_stamp(conn, self.plan, horizon.stamp, horizon)
        return horizon.stamp

    def _horizon(self, cursor: int) -> Horizon:
        """How far the CRM cursor may move from `cursor` (read before any change is)."""
        with self.engine.begin() as conn:
            _stored, pending_stamp, pending_xid = read_crm_cursor(conn, self.plan)
            return settled_stamp(conn, self.plan.crm_entity, cursor, pending_stamp,
                                 pending_xid)

    def push_rows(self, rows: Sequence[LinkedRecord], batch: Batch, force: bool = False
                  ) -> None:
        """Work out and send the CRM changes of these linked records to the ERP (`force`:
        every CRM→ERP field, whatever the snapshot and timestamps say)."""
        pending: list[_Push] = []
        for row in rows:
            if row.change_stamp == row.link_stamp and not force:
                continue  # the runner's own write
            push = self._changed_fields(row, batch, force)
            if push is not None:
                pending.append(push)
        if not pending:
            return
        current = {} if force else self._erp_values(
            [p.record.erp_key for p in pending if any(
                self.layout.fields[self.layout.index[k]].direction is Direction.BOTH
                for k in p.fields)])
        to_send: list[_Push] = []
        for push in pending:
            if self._settle_conflicts(push, current.get(push.record.erp_key), batch):
                to_send.append(push)
        for start in range(0, len(to_send), PUSH_BATCH):
            self._send(to_send[start:start + PUSH_BATCH], batch)

    def _changed_fields(self, row: LinkedRecord, batch: Batch, force: bool) -> _Push | None:
        """The fields of `row` to send, or None when there are none (the link is brought up
        to date) or a value cannot be sent (a record error)."""
        snapshot = decode(row.snapshot, self.layout.width)
        fields: dict[str, tuple[str, Any]] = {}
        for f, slot, value in zip(self.layout.out_fields, self.layout.out_slots, row.values,
                                  strict=True):
            c = canon(value)
            if c == snapshot[slot] and not force:
                continue
            erp_value, problem = to_erp(f, c)
            if problem:
                self.journal.record_error(batch, TO_ERP, row.erp_key, row.crm_id, problem)
                return None
            fields[f.erp_key] = (c, erp_value)
        if not fields:
            batch.update_link(row.link_id, LINKED, row.snapshot, row.change_stamp, None)
            return None
        return _Push(row, snapshot, fields, set())

    def _settle_conflicts(self, push: _Push, current: ErpCurrent | None, batch: Batch
                          ) -> bool:
        """Drop the two-way fields the ERP holds already or wins (conflict policy); True when
        something is left to send, else the link is brought up to date."""
        row = push.record
        index = self.layout.index
        deferred = False
        for key in list(push.fields):
            f = self.layout.fields[index[key]]
            if f.direction is not Direction.BOTH or current is None:
                continue
            e = current.values.get(key, "")
            c, _value = push.fields[key]
            if e == c:
                push.snapshot[index[key]] = c
                del push.fields[key]
            elif e != push.snapshot[index[key]]:
                if erp_wins(self.plan.conflict_policy, current.last_modified, row.updated):
                    del push.fields[key]
                    deferred = True
                else:
                    push.conflicts.add(key)
        if push.fields:
            return True
        batch.update_link(row.link_id, LINKED, encode(push.snapshot),
                          row.link_stamp if deferred else row.change_stamp, None)
        return False

    def _send(self, items: list[_Push], batch: Batch) -> None:
        actors = [Actor(actor_type=self.plan.actor_type, erp_key=p.record.erp_key,
                        values={k: v for k, (_c, v) in p.fields.items()}) for p in items]
        if self.options.dry_run:
            saved: dict[str, Actor] | None = {a.erp_key: a for a in actors}
            failures: dict[str, str] = {}
        else:
            saved, failures = self._save(actors)
        for push in items:
            row = push.record
            if row.erp_key in failures:
                self.journal.record_error(batch, TO_ERP, row.erp_key, row.crm_id,
                                          failures[row.erp_key])
                continue
            for key, (c, _value) in push.fields.items():
                slot = self.layout.index[key]
                self.journal.log(batch, row.link_id, row.erp_key, row.crm_id, key, TO_ERP,
                                 push.snapshot[slot], c, key in push.conflicts)
                push.snapshot[slot] = c
            self.counts.conflicts += len(push.conflicts)
            self.counts.pushed += 1
            actor = (saved or {}).get(row.erp_key)
            batch.update_link(row.link_id, LINKED, encode(push.snapshot), row.change_stamp,
                              actor.last_modified if actor else None)

    def _save(self, actors: list[Actor]) -> tuple[dict[str, Actor], dict[str, str]]:
        """Save actors; when the batch is refused, save one by one to find the bad ones."""
        cid = self.plan.connection_id
        result = timed_call(lambda: self.connector.save_actors(cid, actors), ActorsResult,
                            self.options.timeout)
        if result.ok:
            return {a.erp_key: a for a in result.actors}, {}
        if len(actors) == 1:
            return {}, {actors[0].erp_key: result.user_message
                        or msg("The ERP refused the change.")}
        saved: dict[str, Actor] = {}
        failures: dict[str, str] = {}
        for actor in actors:
            one, bad = self._save([actor])
            saved.update(one)
            failures.update(bad)
        return saved, failures

    def _erp_values(self, keys: list[str]) -> dict[str, ErpCurrent]:
        """Current canonical (CRM-side) values of two-way fields, and last-modified, by key."""
        if not keys:
            return {}
        two_way = [f for f in self.layout.fields if f.direction is Direction.BOTH]
        field_keys = [f.erp_key for f in two_way]
        out: dict[str, ErpCurrent] = {}
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
                out[key] = ErpCurrent(values, page.last_modified[i])
        return out


def to_erp(f: FieldPlan, text: str) -> tuple[Any, str]:
    """A canonical CRM value as the ERP field's value, or a problem."""
    if f.to_erp_items is not None:
        if not text:
            return None, ""
        item = f.to_erp_items.get(text)
        if item is None:
            return None, msg("CRM item '{item}' ({label}) has no ERP item in list '{list}'; "
                             "map it in List mapping, then retry.", item=text, label=f.label,
                             list=f.erp_list)
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
        return None, msg("'{value}' does not fit {label} ({type}).", value=text, label=f.label,
                         type=f.erp_type.value)
    return text, ""
