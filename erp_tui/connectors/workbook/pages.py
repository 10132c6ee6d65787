"""Pages of actors from a parsed sheet, and where an incremental read starts."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from operator import itemgetter

from erp_tui.connectors.base import Refusal
from erp_tui.connectors.workbook.book import Row, Sheet
from erp_tui.connectors.workbook.layout import parent_types
from erp_tui.connectors.workbook.stamps import stamp_from_us, stamp_us
from erp_tui.contract import ActorPage, Cursor, Value
from erp_tui.i18n import msg


def page_of(sheet: Sheet, rows: Sequence[Row], field_keys: Sequence[str], *,
            with_deleted: bool = False) -> ActorPage:
    """`rows` as a page of the fields asked for (all for an empty sequence); deleted flags
    only `with_deleted`; raises Refusal for an unknown field."""
    if isinstance(field_keys, str):
        raise Refusal(msg("Field keys must be a list of keys, not one text."), "bad_fields")
    keys = tuple(field_keys) if field_keys else tuple(f.key for f in sheet.fields)
    unknown = [k for k in keys if k not in sheet.field_index]
    if unknown:
        raise Refusal(msg("{actor_type} has no field {unknown!r}.",
                          actor_type=sheet.actor_type, unknown=unknown[0]), "unknown_field")
    indexes = [sheet.field_index[k] for k in keys]
    if indexes == list(range(len(sheet.fields))):
        values: list[tuple[Value, ...]] = [r.values for r in rows]
    elif len(indexes) == 1:
        only = indexes[0]
        values = [(r.values[only],) for r in rows]
    elif not indexes:
        values = [()] * len(rows)
    else:
        pick = itemgetter(*indexes)
        values = [pick(r.values) for r in rows]
    has_parent = bool(parent_types(sheet.actor_type))
    return ActorPage.trusted(
        actor_type=sheet.actor_type, field_keys=keys,
        erp_keys=[r.erp_key for r in rows], last_modified=[r.stamp for r in rows],
        rows=values,
        parent_types=[r.parent_type for r in rows] if has_parent else [],
        parent_keys=[r.parent_key for r in rows] if has_parent else [],
        deleted=[r.deleted for r in rows] if with_deleted else [False] * len(rows))


def read_again_start(sheet: Sheet, cursor: Cursor, read_again_us: int, start: int,
                     room: int) -> int:
    """Where the read-again window before `cursor` starts in `sheet.order`: rows stamped up to
    `read_again_us` before the cursor, at most `room` of them (`start` when the cursor has no
    usable stamp)."""
    try:
        since = stamp_us(cursor.last_modified) - read_again_us
    except ValueError:
        return start
    first = bisect_left(sheet.order, (stamp_from_us(max(since, 0)), ""))
    return max(first, start - max(room, 0))
