"""Reading actors: pages by key, by condition, and the changes since a cursor (by the
last-modified column, or by fingerprints kept in the state database)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Column, and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from erp_tui.connectors.base import Refusal
from erp_tui.connectors.sql.binding import BoundActor, BoundConnection
from erp_tui.connectors.sql.changes import fingerprint, parse_stamp
from erp_tui.connectors.sql.values import (
    in_chunks,
    key_text,
    moment_for,
    native,
    natives,
    reader,
    stamp_of,
)
from erp_tui.contract import ActorPage, Cursor, FieldInfo, Value
from erp_tui.i18n import msg

SCAN_BATCH = 5000
"""Rows fingerprinted per batch of a scan."""

_KEPT_CONTINUATIONS = 64


def list_items(bound: BoundConnection, list_name: str, keys: Sequence[str] | None
               ) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Key -> text of a whole list, or of the given keys that exist, and the texts per
    language the descriptor names columns for; raises Refusal."""
    spec = bound.lists.get(list_name)
    if spec is None:
        raise Refusal(msg("The descriptor has no list {name!r}.", name=list_name),
                      "unknown_list")
    languages = list(spec.text_cols)
    query = select(spec.key_col, spec.text_col, *spec.text_cols.values()).order_by(
        spec.order_col, spec.key_col)
    items: dict[str, str] = {}
    labels: dict[str, dict[str, str]] = {language: {} for language in languages}
    with bound.engine.connect() as conn:
        if keys is None:
            rows = conn.execute(query).all()
        else:
            rows = []
            for part in in_chunks(natives(spec.key_col, keys)):
                rows += conn.execute(query.where(spec.key_col.in_(part))).all()
    for key, text, *texts in rows:
        items[key_text(key)] = key_text(text)
        for language, translated in zip(languages, texts, strict=True):
            if translated is not None and key_text(translated):
                labels[language][key_text(key)] = key_text(translated)
    if keys is not None:
        items = {k: items[k] for k in keys if k in items}
    return items, labels


def changes_since(bound: BoundConnection, actor: BoundActor, fields: Sequence[FieldInfo],
                  cursor: Cursor, limit: int) -> ActorPage:
    """Actors with (last_modified, erp_key) > cursor, deleted ones included; a full first page
    of a read from the empty cursor tells how many actors remain."""
    if actor.lm_col is None:
        page = _changed_by_fingerprint(bound, actor, fields, cursor, limit)
    else:
        page = _changed_by_timestamp(bound, actor, fields, cursor, limit)
    if page.next_cursor is not None and cursor.as_tuple() == ("", ""):
        # A full first page of a read of everything (a first sync): how many actors the
        # whole read returns is one count away. Later pages leave it None.
        page.remaining = max(0, _count_all(bound, actor) - limit)
    return page


def head_columns(actor: BoundActor) -> list[Column[Any]]:
    """The columns every read starts with: key, last-modified, parent type and parent key."""
    head = [actor.key_col]
    if actor.lm_col is not None:
        head.append(actor.lm_col)
    if actor.parent_col is not None:
        head.append(actor.parent_type_col if actor.parent_type_col is not None
                    else actor.parent_col)
        head.append(actor.parent_col)
    return head


def fetch(bound: BoundConnection, actor: BoundActor, fields: Sequence[FieldInfo], *,
          where: Sequence[ColumnElement[bool]], order: Sequence[Any],
          limit: int | None = None, stamps: Mapping[str, str] | None = None,
          with_deleted: bool = False) -> ActorPage:
    """Live rows as a page (last_modified from the column or the state database); with
    `with_deleted`, soft-deleted rows too, marked deleted with values None."""
    head = head_columns(actor)
    # Fingerprints cover every mapped column, so fingerprint mode reads them all.
    body = list(actor.fields.values()) if actor.lm_col is None else list(fields)
    flagged = with_deleted and actor.live is not None
    tail = [actor.deleted_flag()] if flagged else []
    query = select(*head, *[actor.columns[f.key] for f in body], *tail)
    query = query.where(*where, *([] if with_deleted else actor.live_where()))
    query = query.order_by(*order)
    if limit is not None:
        query = query.limit(limit)
    with bound.engine.connect() as conn:
        raw = conn.execute(query).all()
    return _page(bound, actor, fields, body, raw, stamps=stamps, flagged=flagged)


def _page(bound: BoundConnection, actor: BoundActor, fields: Sequence[FieldInfo],
          body: Sequence[FieldInfo], raw: Sequence[Any], *,
          stamps: Mapping[str, str] | None = None, flagged: bool = False) -> ActorPage:
    """Shape raw rows (head columns + body columns [+ deleted flag, when `flagged`]) into a
    page; converts per column."""
    count = len(raw)
    has_lm = actor.lm_col is not None
    has_parent = actor.parent_col is not None
    base = 1 + has_lm + 2 * has_parent
    columns: list[Sequence[Any]] = list(zip(*raw, strict=True)) if raw else \
        [()] * (base + len(body) + flagged)
    erp_keys = [key_text(k) for k in columns[0]]
    if has_lm:
        last_modified = [stamp_of(v) for v in columns[1]]
    else:
        if stamps is None:
            stamps = _refresh(bound, actor, erp_keys, raw)
        last_modified = [stamps.get(k, "") for k in erp_keys]
    position = {f.key: base + i for i, f in enumerate(body)}
    converted: list[Sequence[Any]] = []
    for info in fields:
        column = columns[position[info.key]]
        convert = reader(info.type, actor.columns[info.key])
        converted.append(list(map(convert, column)) if convert else column)
    rows: list[tuple[Value, ...]] = list(zip(*converted, strict=True)) if converted \
        else [()] * count
    parent_types: list[str] = []
    parent_keys: list[str] = []
    if has_parent:
        ptype_at = 1 + has_lm
        parent_keys = [key_text(v) for v in columns[ptype_at + 1]]
        parent_types = [actor.parent_type_of(v) if k else ""
                        for v, k in zip(columns[ptype_at], parent_keys, strict=True)]
    deleted = list(map(bool, columns[-1])) if flagged else [False] * count
    if flagged and any(deleted):
        # Like a removed row in fingerprint mode: a deleted actor carries no values.
        blank = (None,) * len(fields)
        for i in (i for i, gone in enumerate(deleted) if gone):
            rows[i] = blank
            if has_parent:
                parent_types[i] = parent_keys[i] = ""
    return ActorPage.trusted(
        actor_type=actor.key, field_keys=tuple(f.key for f in fields), erp_keys=erp_keys,
        last_modified=last_modified, rows=rows, parent_types=parent_types,
        parent_keys=parent_keys, deleted=deleted)


def _refresh(bound: BoundConnection, actor: BoundActor, erp_keys: Sequence[str],
             raw: Sequence[Any]) -> dict[str, str]:
    """Stamps of rows of a fingerprinted table (issued where the values changed)."""
    if not raw or bound.store is None:
        return {}
    items = [(key, fingerprint(row[1:])) for key, row in zip(erp_keys, raw, strict=True)]
    return bound.store.refresh(bound.scope, actor.key, items)


def fetch_by_keys(bound: BoundConnection, actor: BoundActor, fields: Sequence[FieldInfo],
                  keys: Sequence[str], stamps: Mapping[str, str] | None = None) -> ActorPage:
    """Live actors by ERP key, in the order of `keys` (unknown keys left out)."""
    wanted = natives(actor.key_col, keys)
    if bound.engine.dialect.name == "postgresql" and wanted:
        # One array parameter instead of thousands of IN parameters (much cheaper).
        from sqlalchemy.dialects.postgresql import ARRAY

        array = sa.bindparam("erp_keys", wanted, type_=ARRAY(actor.key_col.type))
        pages = [fetch(bound, actor, fields, where=[actor.key_col == sa.any_(array)],
                       order=[actor.key_col], stamps=stamps)]
    else:
        pages = [fetch(bound, actor, fields, where=[actor.key_col.in_(part)],
                       order=[actor.key_col], stamps=stamps)
                 for part in in_chunks(wanted)]
    index: dict[str, tuple[ActorPage, int]] = {}
    for page in pages:
        for i, key in enumerate(page.erp_keys):
            index[key] = (page, i)
    found = [index[k] for k in keys if k in index]
    return ActorPage.trusted(
        actor_type=actor.key, field_keys=tuple(f.key for f in fields),
        erp_keys=[p.erp_keys[i] for p, i in found],
        last_modified=[p.last_modified[i] for p, i in found],
        rows=[p.rows[i] for p, i in found],
        parent_types=[p.parent_types[i] for p, i in found] if actor.parent_col is not None
        else [],
        parent_keys=[p.parent_keys[i] for p, i in found] if actor.parent_col is not None
        else [],
        deleted=[False] * len(found))


def _stamped(actor: BoundActor) -> list[ColumnElement[bool]]:
    """The rows a read by timestamp sees at all: those with a last-modified value."""
    assert actor.lm_col is not None
    return [actor.lm_col.is_not(None)]


def _count_all(bound: BoundConnection, actor: BoundActor) -> int:
    """How many actors a read from the empty cursor returns in all (one count query)."""
    if actor.lm_col is None:
        # The read pages through the state table, disappeared rows included, which the
        # scan at the start of this read has just brought up to date with the table.
        assert bound.store is not None
        return bound.store.count(bound.scope, actor.key)
    # The read returns every stamped row, soft-deleted ones too (marked deleted): count
    # them with the same filter.
    query = select(sa.func.count()).select_from(actor.table).where(*_stamped(actor))
    with bound.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _changed_by_timestamp(bound: BoundConnection, actor: BoundActor,
                          fields: Sequence[FieldInfo], cursor: Cursor, limit: int
                          ) -> ActorPage:
    lm_col = actor.lm_col
    assert lm_col is not None
    where = _stamped(actor)
    if cursor.last_modified:
        try:
            moment = moment_for(lm_col, parse_stamp(cursor.last_modified))
        except ValueError:
            raise Refusal(msg("Cursor {last_modified!r} is not an ISO-8601 time.",
                              last_modified=cursor.last_modified),
                          "bad_cursor") from None
        if cursor.erp_key:
            try:
                key = native(actor.key_col, cursor.erp_key)
            except ValueError:
                raise Refusal(msg("Cursor key {erp_key!r} is not a key of {key}.",
                                  erp_key=cursor.erp_key, key=actor.key), "bad_cursor") from None
            where.append(or_(lm_col > moment, and_(lm_col == moment, actor.key_col > key)))
        else:
            where.append(lm_col >= moment)
    page = fetch(bound, actor, fields, where=where, order=[lm_col, actor.key_col],
                 limit=limit, with_deleted=True)
    if len(page) == limit:
        page.next_cursor = Cursor(last_modified=page.last_modified[-1],
                                  erp_key=page.erp_keys[-1])
    return page


def _scan(bound: BoundConnection, actor: BoundActor) -> int:
    """Compare every row's fingerprint with the state; issue stamps for changes."""
    assert bound.store is not None
    head = head_columns(actor)
    columns = [*head, *[actor.columns[k] for k in actor.fields]]
    query = select(*columns).where(*actor.live_where())  # soft-deleted rows count as gone
    with bound.engine.connect() as conn:
        result = conn.execution_options(yield_per=SCAN_BATCH).execute(query)

        def batches() -> Iterator[list[tuple[str, str]]]:
            for part in result.partitions():
                yield [(key_text(row[0]), fingerprint(row[1:])) for row in part]

        return bound.store.scan(bound.scope, actor.key, batches())


def _changed_by_fingerprint(bound: BoundConnection, actor: BoundActor,
                            fields: Sequence[FieldInfo], cursor: Cursor, limit: int
                            ) -> ActorPage:
    assert bound.store is not None
    after = cursor.as_tuple()
    with bound.continuations_lock:
        continuing = bound.continuations.pop((actor.key, after), "no") is None
    if not continuing:
        _scan(bound, actor)
    entries = bound.store.page(bound.scope, actor.key, after, limit)
    page = _state_page(bound, actor, fields, entries)
    if len(entries) == limit:
        last = (entries[-1][1], entries[-1][0])
        page.next_cursor = Cursor(last_modified=last[0], erp_key=last[1])
        with bound.continuations_lock:
            bound.continuations[(actor.key, last)] = None
            while len(bound.continuations) > _KEPT_CONTINUATIONS:
                bound.continuations.pop(next(iter(bound.continuations)))
    return page


def _state_page(bound: BoundConnection, actor: BoundActor, fields: Sequence[FieldInfo],
                entries: Sequence[tuple[str, str, bool]]) -> ActorPage:
    """A page of the state database's entries (key, stamp, deleted): live ones with the values
    read now, deleted ones blank."""
    live = [key for key, _lm, deleted in entries if not deleted]
    # Stamps come from the state page: values read now are at least as new as the scan.
    known = {key: lm for key, lm, deleted in entries if not deleted}
    base_page = fetch_by_keys(bound, actor, fields, live, known) if live else None
    index = {k: i for i, k in enumerate(base_page.erp_keys)} if base_page else {}
    width = len(fields)
    has_parent = actor.parent_col is not None
    erp_keys: list[str] = []
    stamps: list[str] = []
    rows: list[tuple[Value, ...]] = []
    ptypes: list[str] = []
    pkeys: list[str] = []
    deleted_flags: list[bool] = []
    for key, lm, deleted in entries:
        if deleted:
            erp_keys.append(key)
            stamps.append(lm)
            rows.append((None,) * width)
            ptypes.append("")
            pkeys.append("")
            deleted_flags.append(True)
            continue
        i = index.get(key)
        if i is None or base_page is None:
            continue  # gone since the scan: the next scan reports it deleted
        erp_keys.append(key)
        stamps.append(lm)
        rows.append(base_page.rows[i])
        ptypes.append(base_page.parent_types[i] if has_parent else "")
        pkeys.append(base_page.parent_keys[i] if has_parent else "")
        deleted_flags.append(False)
    return ActorPage.trusted(
        actor_type=actor.key, field_keys=tuple(f.key for f in fields), erp_keys=erp_keys,
        last_modified=stamps, rows=rows, parent_types=ptypes if has_parent else [],
        parent_keys=pkeys if has_parent else [], deleted=deleted_flags)
