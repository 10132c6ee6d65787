"""Cell values: read as typed contract values, contract values checked before they are
written, and written in the kind of cell their column holds."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from erp_tui.connectors import base
from erp_tui.contract import FieldInfo, FieldType, Value
from erp_tui.i18n import msg

TRUE_TEXTS = base.TRUE_TEXTS | {"x"}  # a cell ticked with an x
"""Texts a checkbox cell says yes with."""

_NUMBER_TEXT = re.compile(r"-?(0|[1-9]\d{0,14})(\.\d*[1-9])?")


def blank(value: Any) -> bool:
    """Whether a cell is empty (None or only white space)."""
    return value is None or (isinstance(value, str) and not value.strip())


def as_bool(value: Any, label: str) -> bool:
    """A checkbox value (a cell may also say yes with an x); Refusal naming `label`."""
    return base.as_bool(value, label, TRUE_TEXTS)


def describe(info: FieldInfo) -> str:
    """How a field is named in messages: its header, and its key when that differs."""
    return info.label if info.label == info.key else f"{info.label} ({info.key})"


def key_text(value: Any) -> str:
    """An ID cell as an ERP key (a whole float as its integer)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def to_type(ftype: FieldType, value: Any) -> Value:
    """A cell value as a typed contract value; ValueError when it cannot be."""
    if blank(value):
        return False if ftype is FieldType.CHECKBOX else None
    if ftype in (FieldType.TEXT, FieldType.LIST):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, datetime):
            return value.isoformat()
        return value if isinstance(value, str) else str(value)
    if ftype is FieldType.INTEGER:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError
            return int(value)
        return int(value)
    if ftype is FieldType.DOUBLE:
        if isinstance(value, bool):
            raise ValueError
        return float(value)
    if ftype is FieldType.CHECKBOX:
        return as_bool(value.strip() if isinstance(value, str) else value, "")
    if ftype is FieldType.DATE:
        return base.as_date(value if isinstance(value, date) else str(value))
    if ftype is FieldType.DATETIME:
        return base.as_datetime(value if isinstance(value, date) else str(value))
    raise ValueError


def check_value(info: FieldInfo, value: Any, lists: Mapping[str, Mapping[str, str]]) -> Any:
    """A value to write into a cell, checked against its field (`base.check_value`, list keys
    against `lists`); raises ValueError(reason). None clears a cell (a checkbox: false), so
    does a blank date or date-time."""
    ftype = info.type
    if value is None:
        return False if ftype is FieldType.CHECKBOX else None
    if ftype in (FieldType.DATE, FieldType.DATETIME):
        try:
            return to_type(ftype, value)
        except (ValueError, TypeError):
            if ftype is FieldType.DATE:
                raise ValueError(msg("{field} must be a date (YYYY-MM-DD)",
                                     field=describe(info))) from None
            raise ValueError(msg("{field} must be a date and time",
                                 field=describe(info))) from None
    return base.check_value(info, value, lists, name=describe)


def cell_value(value: Any, kind: type | None) -> Any:
    """`value` in the kind of cell its column holds: a numeric Zip stays a number, a 0/1
    yes/no column gets 0/1, a whole-number column gets whole numbers."""
    if value is None or kind is None:
        return value
    if isinstance(value, str) and kind in (int, float) and _NUMBER_TEXT.fullmatch(value):
        return int(value) if "." not in value else float(value)
    if isinstance(value, bool) and kind in (int, float):
        return int(value)
    if isinstance(value, float) and kind is int and value.is_integer():
        return int(value)
    return value
