"""ERP values of a page as canonical CRM-side text, one column per inbound field.

Pure and light on imports: the page reader process (erp_tui.runner.reader) runs it next to the
connector, so that the writing process only writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from erp_tui.contract import ActorPage, FieldType
from erp_tui.i18n import msg
from erp_tui.runner.values import SEPARATOR, canon

_MISSING = "\x00missing"
# Python types an in-process connector may send for each field type.
_TYPES: dict[FieldType, tuple[type, ...]] = {
    FieldType.TEXT: (str,), FieldType.LIST: (str, int), FieldType.INTEGER: (int,),
    FieldType.DOUBLE: (int, float), FieldType.CHECKBOX: (bool, int),
    FieldType.DATE: (date, datetime, str), FieldType.DATETIME: (datetime, str),
}


class InboundField(NamedTuple):
    """What translating one ERP→CRM field needs (plain data: it crosses processes)."""

    label: str
    erp_type: FieldType
    # ERP item -> CRM item; None when the field is not a list.
    to_crm_items: dict[str, str] | None
    erp_list: str
    crm_max_length: int


@dataclass
class Translation:
    """A page's values in CRM terms."""

    # Canonical CRM-side text, one column per inbound field.
    columns: list[Sequence[str]]
    # Rows that cannot be synced, with the reason.
    bad: dict[int, str]
    # The snapshot text of every row as a new link would hold it (pages read ahead carry
    # them, worked out next to the connector; else they are made for new records only).
    snapshots: list[str] | None = None
    # The page staged as a serialized SQLite database by the reader process (columns and
    # snapshots are then empty until read back from it; see erp_tui.runner.staging).
    staged: bytes | None = None


def translate_page(page: ActorPage, fields: Sequence[InboundField]) -> Translation:
    """The page's values in CRM terms. Works a column at a time: type check, list translation
    and length check are a few C-level passes per column."""
    count = len(page)
    bad: dict[int, str] = {}
    if not fields or not count:
        return Translation([], bad)
    columns: list[Sequence[Any]] = list(zip(*page.rows, strict=True))
    return Translation([_column(f, columns[j], bad) for j, f in enumerate(fields)], bad)


def snapshots(columns: Sequence[Sequence[str]], slots: Sequence[int], width: int
              ) -> list[str]:
    """Snapshot texts of rows whose inbound values are `columns`, the column of inbound field
    j going to snapshot slot `slots[j]` (other slots empty)."""
    count = len(columns[0]) if columns else 0
    if count == 0:
        return []
    if list(slots) == list(range(width)):
        return list(map(SEPARATOR.join, zip(*columns, strict=True)))
    by_slot: list[Sequence[str]] = [[""] * count] * width
    for slot, column in zip(slots, columns, strict=True):
        by_slot[slot] = column
    return list(map(SEPARATOR.join, zip(*by_slot, strict=True)))


def _column(f: InboundField, column: Sequence[Any], bad: dict[int, str]) -> Sequence[str]:
    kinds = set(map(type, column))
    allowed = _TYPES.get(f.erp_type)
    if allowed is not None and not kinds <= {*allowed, type(None)}:
        for i, value in enumerate(column):
            if value is not None and not isinstance(value, allowed):
                bad.setdefault(i, msg("The ERP sent a {kind} for {label}, a {type} field; the "
                                      "record was skipped.", kind=type(value).__name__,
                                      label=f.label, type=f.erp_type.value))
    # Plain text is already canonical unless it holds the snapshot separator (one C-level
    # join per column finds out).
    texts: Sequence[str] = (column if kinds == {str} and SEPARATOR not in "".join(column)
                            else [canon(v) for v in column])
    items = f.to_crm_items
    if items is not None:
        texts = [items.get(t, _MISSING) if t else "" for t in texts]
        if _MISSING in texts:
            for i, text in enumerate(texts):
                if text == _MISSING:
                    bad.setdefault(i, msg("ERP item '{item}' of list '{list}' ({label}) has no "
                                          "CRM item; map it in List mapping, then retry.",
                                          item=canon(column[i]), list=f.erp_list,
                                          label=f.label))
    limit = f.crm_max_length
    if limit and max(map(len, texts)) > limit:
        for i, text in enumerate(texts):
            if len(text) > limit and text != _MISSING:
                bad.setdefault(i, msg("{label} is {length} characters long; the CRM field "
                                      "holds at most {limit}.", label=f.label,
                                      length=len(text), limit=limit))
    return texts


def malformed(page: ActorPage) -> str:
    """Why a page's columns do not line up ("" when they do)."""
    count = len(page.erp_keys)
    if len(page.last_modified) != count or len(page.rows) != count:
        return f"{count} keys, {len(page.last_modified)} stamps, {len(page.rows)} rows"
    for name in ("deleted", "parent_types", "parent_keys"):
        column = getattr(page, name)
        if column and len(column) != count:
            return f"{count} keys but {len(column)} values in {name}"
    return ""
