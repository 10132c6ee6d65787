"""Values between the contract and the database: stored values read as typed contract values,
contract values checked and put in stored form, ERP keys as column values, stamps."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import Column

from erp_tui.connectors.base import TEXT_TYPES, TRUE_TEXTS, as_datetime, check_value, describe
from erp_tui.connectors.sql.changes import format_stamp, parse_stamp
from erp_tui.contract import FieldInfo, FieldType
from erp_tui.i18n import msg

KEYS_PER_QUERY = 1000
"""Most keys in one IN (...) list."""

_T = TypeVar("_T")


def in_chunks(items: Sequence[_T], size: int = KEYS_PER_QUERY) -> Iterator[Sequence[_T]]:
    """`items` in slices of at most `size` (one IN (...) list each)."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def python_type(column: Column[Any]) -> type | None:
    """The Python type of a column's values, None when SQLAlchemy does not say."""
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def reader(ftype: FieldType, column: Column[Any]) -> Callable[[Any], Any] | None:
    """Converter from a stored value to the contract's typed value (None when not needed)."""
    native = python_type(column)
    if ftype is FieldType.CHECKBOX:
        return lambda v: None if v is None else bool(v)
    if ftype is FieldType.INTEGER:
        return None if native is int else (lambda v: None if v is None else int(v))
    if ftype is FieldType.DOUBLE:
        return None if native is float else (lambda v: None if v is None else float(v))
    if ftype is FieldType.DATE:
        def to_date(v: Any) -> Any:
            if v is None or type(v) is date:
                return v
            if isinstance(v, datetime):
                return v.date()
            return date.fromisoformat(str(v)[:10])
        return to_date
    if ftype is FieldType.DATETIME:
        def to_datetime(v: Any) -> Any:
            if v is None or isinstance(v, datetime):
                return v
            if isinstance(v, date):
                return datetime(v.year, v.month, v.day)
            return datetime.fromisoformat(str(v))
        return to_datetime
    return None if native is str else (lambda v: None if v is None else str(v))


def key_text(value: Any) -> str:
    """A stored key (or list item key) as the contract's text form."""
    return "" if value is None else str(value)


def native(column: Column[Any], text: str) -> Any:
    """An ERP key (text) as a value of `column`; ValueError when it cannot be one."""
    kind = python_type(column)
    if kind is int:
        if isinstance(text, bool):
            raise ValueError(text)
        return int(str(text).strip())
    if kind is float:
        return float(text)
    return str(text)


def natives(column: Column[Any], keys: Sequence[str]) -> list[Any]:
    """The keys that can be values of `column`, as such values (the others are left out)."""
    found = []
    for key in keys:
        try:
            found.append(native(column, key))
        except (ValueError, TypeError):
            continue  # cannot be a key of this column: not found
    return found


def stamp_of(value: Any) -> str:
    """A last-modified value as the contract's stamp text ("" for NULL)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_stamp(value)
    if isinstance(value, date):
        return format_stamp(datetime(value.year, value.month, value.day))
    return format_stamp(parse_stamp(str(value)))


def moment_for(column: Column[Any], moment: datetime) -> Any:
    """A naive UTC datetime in the form `column` stores (aware for timezone-aware columns)."""
    if getattr(column.type, "timezone", False):
        return moment.replace(tzinfo=UTC)
    return moment


def stored_moment(column: Column[Any], value: Any) -> Any:
    """A date-time value (aware ones turned to UTC) in the form `column` stores."""
    moment = as_datetime(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment_for(column, moment)


def to_stored(info: FieldInfo, column: Column[Any], value: Any) -> Any:
    """A contract value checked against its field (`check_value`), in stored form;
    ValueError(reason). An empty text is no value for other than text fields, text must not
    hold a NUL character, and a list key may also be a whole number."""
    ftype = info.type
    sent = value
    if value == "" and ftype not in TEXT_TYPES:
        value = None
    elif ftype in TEXT_TYPES and isinstance(value, str) and "\x00" in value:
        raise ValueError(msg("{info} contains a NUL character", info=describe(info)))
    elif ftype is FieldType.LIST and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    checked = check_value(info, value)
    if checked is None:
        return None
    if ftype is FieldType.DATETIME:
        return stored_moment(column, checked)
    if ftype is FieldType.LIST:
        try:
            return native(column, str(checked))
        except ValueError:
            raise ValueError(msg("{info}: {sent!r} is not an item of list {list_name}",
                                 info=describe(info), sent=sent,
                                 list_name=info.list_name)) from None
    return checked


def default_of(info: FieldInfo) -> Any:
    """A field's default (text in the descriptor) as a contract value."""
    text = info.default
    if info.type is FieldType.CHECKBOX:
        return text.strip().lower() in TRUE_TEXTS
    if info.type is FieldType.INTEGER:
        return int(text)
    if info.type is FieldType.DOUBLE:
        return float(text)
    return text
