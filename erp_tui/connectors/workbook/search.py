"""Searching a sheet: rows whose ID or text fields contain a text, and the advanced search's
restrictions as predicates over field values."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from erp_tui.connectors.base import OPERATORS_BY_TYPE, Refusal, restriction_fields
from erp_tui.connectors.workbook.book import Row, Sheet
from erp_tui.connectors.workbook.values import as_bool, describe, to_type
from erp_tui.contract import FieldInfo, FieldType, Restriction, SearchOperator
from erp_tui.i18n import msg

_Op = SearchOperator


def text_matches(sheet: Sheet, text: str) -> list[Row]:
    """Live rows whose ID or any text or list field contains `text` (any case)."""
    needle = text.strip().casefold()
    text_at = [i for i, f in enumerate(sheet.fields)
               if f.type in (FieldType.TEXT, FieldType.LIST)]
    return [row for row in sheet.rows.values() if not row.deleted and (
        needle in row.erp_key.casefold()
        or any(needle in str(row.values[i] or "").casefold() for i in text_at))]


def restriction_matches(sheet: Sheet, restrictions: Sequence[Restriction]) -> list[Row]:
    """Live rows meeting every restriction; raises Refusal."""
    checks = [(sheet.field_index[info.key], criterion(info, restriction))
              for info, restriction in restriction_fields(restrictions, sheet.fields_by_key(),
                                                          sheet.actor_type)]
    return [row for row in sheet.rows.values()
            if not row.deleted and all(check(row.values[i]) for i, check in checks)]


def criterion(info: FieldInfo, restriction: Restriction) -> Callable[[Any], bool]:
    """A predicate over one field value for `restriction`; raises Refusal."""
    op = restriction.operator
    ftype = info.type
    values = _criterion_values(info, restriction)
    first = values[0]

    def norm(v: Any) -> Any:
        if ftype is FieldType.TEXT:
            return "" if v is None else str(v).casefold()
        if ftype is FieldType.LIST:
            return v or ""
        return v

    def cmp(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
        return lambda v: v is not None and check(norm(v))

    table: dict[SearchOperator, Callable[[Any], bool]] = {
        _Op.BEGINS: lambda v: norm(v).startswith(first),
        _Op.CONTAINS: lambda v: first in norm(v),
        _Op.ENDS: lambda v: norm(v).endswith(first),
        _Op.NOT_BEGINS: lambda v: not norm(v).startswith(first),
        _Op.NOT_CONTAINS: lambda v: first not in norm(v),
        _Op.NOT_ENDS: lambda v: not norm(v).endswith(first),
        _Op.EQUALS: lambda v: norm(v) == first,
        _Op.IS_NOT: lambda v: norm(v) != first,
        _Op.NOT_EQUAL: lambda v: norm(v) != first,
        _Op.ONE_OF: lambda v: norm(v) in values,
        _Op.NOT_ONE_OF: lambda v: norm(v) not in values,
        _Op.GREATER: cmp(lambda v: v > first),
        _Op.AFTER: cmp(lambda v: v > first),
        _Op.LESS: cmp(lambda v: v < first),
        _Op.BEFORE: cmp(lambda v: v < first),
        _Op.GREATER_EQUAL: cmp(lambda v: v >= first),
        _Op.AFTER_OR_EQUAL: cmp(lambda v: v >= first),
        _Op.LESS_EQUAL: cmp(lambda v: v <= first),
        _Op.BEFORE_OR_EQUAL: cmp(lambda v: v <= first),
        _Op.BETWEEN: cmp(lambda v: values[0] <= v <= values[1]),
    }
    return table[op]


def _criterion_values(info: FieldInfo, restriction: Restriction) -> list[Any]:
    """The restriction's values in the form field values are compared in, checked against the
    operator; raises Refusal."""
    op = restriction.operator
    ftype = info.type
    if op not in OPERATORS_BY_TYPE.get(ftype, ()):
        raise Refusal(msg("Operator {op!r} cannot be used on {info}, a {ftype} field.",
                          op=op.value, info=describe(info), ftype=ftype.value), "bad_operator")
    raw: list[Any] = list(restriction.values)
    needed = 2 if op is _Op.BETWEEN else None if op in (_Op.ONE_OF, _Op.NOT_ONE_OF) else 1
    if (needed is None and not raw) or (needed is not None and len(raw) != needed):
        raise Refusal(msg("Operator {op!r} on {info} has the wrong number of values.",
                          op=op.value, info=describe(info)), "bad_values")
    try:
        if ftype in (FieldType.TEXT, FieldType.LIST):
            if not all(isinstance(v, str) for v in raw):
                raise ValueError
            return [v.casefold() for v in raw] if ftype is FieldType.TEXT else list(raw)
        if ftype is FieldType.CHECKBOX:
            return [as_bool(v, info.label) for v in raw]
        if ftype in (FieldType.INTEGER, FieldType.DOUBLE):
            if any(isinstance(v, bool) for v in raw):
                raise ValueError
            return [float(v) if not isinstance(v, int | float) else v for v in raw]
        return [to_type(ftype, v) for v in raw]
    except (ValueError, TypeError, Refusal):
        raise Refusal(msg("A value for {info} does not fit its type ({ftype}).",
                          info=describe(info), ftype=ftype.value), "bad_values") from None
