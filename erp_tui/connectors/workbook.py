"""`WorkbookConnector`: the connector contract over an Excel workbook (.xlsx/.xlsm).

Layout of the workbook:

* One sheet per actor type (`Customer`, `Supplier`, `Person`, `Project`; sheets that are
  missing are actor types the ERP does not have). Row 1 is the header. Column `ID` holds the
  ERP key, column `LastModified` the last-modified stamp; `Person` rows may carry `ParentType`
  and `ParentID`; an optional `Deleted` column (true/false) marks deleted actors. Every other
  header is a field (key and label = the header text).
* Field types are inferred from all cells of a column (text, integer, double, checkbox, date,
  datetime), never from the first few: one text cell among numbers makes the column text;
  numbers under a code-like header (Zip, PostalCode, Phone, IBAN, VAT, ...) are read as text;
  a column of only 0 and 1 is a checkbox only when its header says so (IsActive, HasX,
  Blocked, ...), cells of TRUE/FALSE or yes/no are. A type that may be wrong — fewer than
  `SURE_SAMPLE` filled cells, only 0 and 1, mixed cells — says why in the field's
  description (shown with the mappings). The `type_overrides` config value overrides, e.g.
  `Customer.zip=text; Project.start=date`.
* List sheets have an `ID` and a `Text` column and are linked to field columns through the
  `lists` config value, e.g. `Customer.country=Countries; Customer.category=Groups`.

Rows that are entirely blank are ignored; rows without an `ID` are skipped. The parsed workbook
is cached per connection and re-read when the file's modification time or size changes.

Stamps. A LastModified date-time without a zone (what a macro's `Now` writes) is read in the
`time_zone` setting's zone (an IANA name; empty: this machine's zone, daylight saving
included); a date alone means its midnight there; ISO texts with `Z` or an offset are taken as
they are. Actors are ordered by (stamp in UTC, key). Every incremental read also returns the
rows stamped up to `read_again` seconds (default 25 hours) before its cursor, so a late,
date-only or skewed stamp is still read (rows read twice are harmless); the next page of a read
this connector began (a `next_cursor` it handed out) is not widened again. Cells without a
usable stamp get a stable derived one (1970-01-01 plus the row number in microseconds).

Deleted rows. The keys of each sheet are remembered in a file beside the workbook
(`<workbook name>.erp-tui-keys.json`); a key that is no longer in the sheet is reported deleted
(values None) with a stamp issued when it was first missed, so incremental reads report it
once; a key that comes back is live again. Where that file cannot be written, deletions are
noticed only within one process.

Writes (`create_actor`, `save_actors`) are all-or-nothing per call: the workbook is loaded in
full (macros kept for .xlsm), changed, and saved atomically — written to a temporary file in
the same folder, fsynced, then moved over the original with `os.replace` — so a crash at any
instant leaves either the old or the new workbook, never a damaged one. Cells keep their kind: a
text value written into a column of numbers goes in as a number when it is one (a numeric Zip
stays numeric; "01234" can only be text), dates stay dates, a new row takes the number formats
of the row above. The sheets' printer settings (`xl/printerSettings/*.bin`, which openpyxl
drops) are carried over into the saved package. Each written actor gets a new `LastModified`
date-time cell on the `time_zone` clock (as the workbook's macros write it), in whole
milliseconds, one millisecond apart and newer than every stamp in the workbook.
"""

from __future__ import annotations

import contextlib
import glob
import io
import os
import posixpath
import re
import tempfile
import threading
import time
import zipfile
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from operator import itemgetter
from pathlib import Path
from typing import Any, ClassVar, ParamSpec, TypeVar

from erp_tui.connectors.base import FALSE_TEXTS, TRUE_TEXTS, as_bool, guarded
from erp_tui.connectors.base import Refusal as _Refusal
from erp_tui.contract import (
    Actor,
    ActorPage,
    ActorResult,
    ActorsResult,
    ActorTypeInfo,
    ActorTypesResult,
    ConfigFieldsResult,
    Cursor,
    FieldAccess,
    FieldInfo,
    FieldsResult,
    FieldType,
    ListItemsResult,
    PageResult,
    Restriction,
    Result,
    ResultState,
    SearchableFieldsResult,
    SearchOperator,
    Value,
)

ACTOR_SHEETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Customer": ("Customer", ()),
    "Supplier": ("Supplier", ()),
    "Person": ("Person", ("Customer", "Supplier")),
    "Project": ("Project", ()),
}
"""Actor type -> (label, parent types); the sheet has the actor type's name."""

SEARCH_LIMIT = 1000
DEFAULT_PAGE_SIZE = 5000
DEFAULT_READ_AGAIN = 90_000  # 25 hours: a stamp that is a date alone, plus a DST hour
MAX_READ_AGAIN = 31 * 86_400
SURE_SAMPLE = 20  # fewer filled cells than this: an inferred type is called a guess

ID_COLUMN = "ID"
STAMP_COLUMN = "LastModified"
PARENT_TYPE_COLUMN = "ParentType"
PARENT_ID_COLUMN = "ParentID"
DELETED_COLUMN = "Deleted"
TEXT_COLUMN = "Text"
_SPECIAL = {c.casefold() for c in (ID_COLUMN, STAMP_COLUMN, PARENT_TYPE_COLUMN,
                                     PARENT_ID_COLUMN, DELETED_COLUMN)}

_STAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TRUE_TEXTS = TRUE_TEXTS | {"x"}  # a cell ticked with an x
_TYPE_NAMES = {t.value: t for t in (FieldType.TEXT, FieldType.INTEGER, FieldType.DOUBLE,
                                    FieldType.CHECKBOX, FieldType.DATE, FieldType.DATETIME)}

_P = ParamSpec("_P")
_R = TypeVar("_R", bound=Result)


def _guarded(result_cls: type[_R]) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Turn refusals, file errors and unexpected exceptions into failure results."""
    return guarded(result_cls, who="The workbook connector", storage_errors=(OSError,),
                   storage_message="The workbook could not be read or written; see the "
                                   "technical message.", storage_code="io")


# ---- time stamps -----------------------------------------------------------------------------

def format_stamp(moment: datetime) -> str:
    """`moment` as fixed-width ISO-8601 UTC with microseconds and `Z` (naive = UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _stamp_us(stamp: str) -> int:
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _stamp_from_us(micros: int) -> str:
    return format_stamp(_EPOCH + timedelta(microseconds=micros))


def _aware(moment: datetime, zone: tzinfo | None) -> datetime:
    """`moment` with a time zone: a naive one is read in `zone` (None: this machine's zone)."""
    if moment.tzinfo is not None:
        return moment
    if zone is None:
        return moment.astimezone()  # the machine's zone, daylight saving included
    return moment.replace(tzinfo=zone)


def _cell_stamp(value: Any, zone: tzinfo | None = UTC) -> str | None:
    """A normalised stamp from a LastModified cell, or None when it holds none.

    Date-times and texts without a zone are read in `zone`; a date alone means its midnight.
    """
    if isinstance(value, datetime):
        return format_stamp(_aware(value, zone))
    if isinstance(value, date):
        return format_stamp(_aware(datetime(value.year, value.month, value.day), zone))
    if isinstance(value, str):
        text = value.strip()
        if _STAMP_RE.match(text):
            return text
        if text:
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            return format_stamp(_aware(moment, zone))
    return None


def _local_cell_time(stamp_us: int, zone: tzinfo | None) -> datetime:
    """The naive date-time to write in a LastModified cell for a stamp: the workbook's own
    clock (`zone`), as its macros write `Now`."""
    moment = _EPOCH + timedelta(microseconds=stamp_us)
    return moment.astimezone(zone).replace(tzinfo=None)


# ---- configuration ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Config:
    path: Path
    lists: dict[tuple[str, str], str]
    overrides: dict[tuple[str, str], FieldType]
    read_only: bool
    zone: tzinfo | None = None  # None: the machine's local zone
    read_again_us: int = DEFAULT_READ_AGAIN * 1_000_000


def _pairs(text: Any, label: str, example: str) -> dict[tuple[str, str], str]:
    """`Actor.field=value; ...` as {(actor, field): value}; raises _Refusal."""
    if text is None:
        return {}
    if not isinstance(text, str):
        raise _Refusal(f"{label} must be text like {example!r}.", "config")
    out: dict[tuple[str, str], str] = {}
    for part in re.split(r"[;\n]", text):
        part = part.strip()
        if not part:
            continue
        target, sep, value = part.partition("=")
        actor, dot, field_key = target.strip().partition(".")
        if not sep or not dot or not actor.strip() or not field_key.strip() \
                or not value.strip():
            raise _Refusal(f"{label}: {part!r} is not written like {example!r}.", "config")
        out[(actor.strip(), field_key.strip())] = value.strip()
    return out


def _parse_config(values: Mapping[str, Any]) -> _Config:
    if not isinstance(values, Mapping):
        raise _Refusal("The connection settings are not a set of named values.", "config")
    raw_path = values.get("path")
    if raw_path is None or not str(raw_path).strip():
        raise _Refusal("Fill in the path of the workbook (.xlsx or .xlsm).", "config")
    path = Path(str(raw_path).strip()).expanduser()
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise _Refusal(f"{path.name} is not an .xlsx or .xlsm workbook.", "config")
    lists = _pairs(values.get("lists"), "Lists", "Customer.country=Countries")
    overrides: dict[tuple[str, str], FieldType] = {}
    for target, name in _pairs(values.get("type_overrides"), "Type overrides",
                               "Customer.zip=text").items():
        ftype = _TYPE_NAMES.get(name.lower())
        if ftype is None:
            raise _Refusal(f"Type overrides: {name!r} is not one of "
                           f"{', '.join(_TYPE_NAMES)}.", "config")
        overrides[target] = ftype
    return _Config(path=path, lists=lists, overrides=overrides,
                   read_only=_as_bool(values.get("read_only"), "Read only"),
                   zone=_zone(values.get("time_zone")),
                   read_again_us=_read_again(values.get("read_again")) * 1_000_000)


def _zone(value: Any) -> tzinfo | None:
    """The zone named by the Time zone setting; None (the machine's zone) when empty."""
    name = "" if value is None else str(value).strip()
    if not name:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Refusal(f"Time zone: {name!r} is not a time zone name such as "
                       f"'Europe/Amsterdam' or 'UTC'.", "config") from None


def _read_again(value: Any) -> int:
    """Seconds of the read-again window; raises _Refusal."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_READ_AGAIN
    try:
        seconds = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        seconds = -1
    if isinstance(value, bool) or not 0 <= seconds <= MAX_READ_AGAIN:
        raise _Refusal(f"Read again must be a whole number of seconds from 0 to "
                       f"{MAX_READ_AGAIN}.", "config")
    return seconds


# ---- values ----------------------------------------------------------------------------------

def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# Header words that make a column of numbers a code (kept as text: leading zeros, no sums) or
# a column of 0 and 1 a yes/no field.
_CODE_WORDS = frozenset({"zip", "postal", "postcode", "plz", "phone", "telephone", "tel", "fax",
                         "mobile", "gsm", "iban", "bic", "vat", "ean", "gtin", "sku", "code"})
_YES_NO_WORDS = frozenset({"active", "inactive", "blocked", "enabled", "disabled", "flag",
                           "approved", "locked", "archived", "checked", "yn"})
_YES_NO_FIRST = frozenset({"is", "has", "can", "allow", "use", "send"})
_YES_NO_TEXTS = _TRUE_TEXTS | FALSE_TEXTS  # what a checkbox cell may hold
# Cells that say "yes/no" by themselves (single letters such as F or N need the header).
_YES_NO_WORDS_IN_CELLS = frozenset({"yes", "no", "true", "false", "on", "off"})


def _header_words(header: str) -> list[str]:
    """`ZipCode`, `zip_code`, `Zip code` -> ["zip", "code"]."""
    return [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", header)]


@dataclass(frozen=True)
class _Inferred:
    ftype: FieldType
    note: str = ""  # why the type may be wrong (shown as the field's description)
    cell_kind: type | None = None  # the one Python type of the column's cells, if one


def _infer(header: str, cells: Iterable[Any]) -> _Inferred:
    """The type of a column from all its cells and its header; says when it is a guess."""
    values = [v for v in cells if not _blank(v)]
    kinds = {type(v) for v in values}
    kind = next(iter(kinds)) if len(kinds) == 1 else float if kinds == {int, float} else None
    words = _header_words(header)
    says_yes_no = bool(words) and (words[0] in _YES_NO_FIRST or
                                   any(w in _YES_NO_WORDS for w in words))
    few = (f"Type guessed from only {len(values)} filled cell(s); set a type override if "
           f"it is wrong.") if len(values) < SURE_SAMPLE else ""
    if not kinds:
        return _Inferred(FieldType.TEXT, "No filled cells: read as text; set a type override "
                                         "if it is something else.")
    if kinds == {bool}:
        return _Inferred(FieldType.CHECKBOX, cell_kind=bool)
    texts = {v.strip().casefold() for v in values} if kinds == {str} else set()
    rows_say_yes_no = bool(texts & _YES_NO_WORDS_IN_CELLS) or texts == {"x"}
    if texts and texts <= _YES_NO_TEXTS and (says_yes_no or rows_say_yes_no):
        return _Inferred(FieldType.CHECKBOX, cell_kind=str)
    if kinds <= {int, float, bool} and kinds != {bool}:
        if any(w in _CODE_WORDS for w in words):
            return _Inferred(FieldType.TEXT, "Numbers in a code column: read as text (set a "
                                             "type override for numbers).", kind)
        if all(v in (0, 1) for v in values):
            if says_yes_no:
                return _Inferred(FieldType.CHECKBOX, cell_kind=kind)
            return _Inferred(FieldType.INTEGER if kinds <= {int, bool} else FieldType.DOUBLE,
                             "Only 0 and 1 seen: set a type override 'checkbox' if it is a "
                             "yes/no field.", kind)
        if bool in kinds:
            return _Inferred(FieldType.TEXT, "Mixed cell types: read as text.")
        ftype = FieldType.INTEGER if kinds == {int} else FieldType.DOUBLE
        return _Inferred(ftype, few, kind)
    if kinds <= {date, datetime}:
        moments = [v for v in values if isinstance(v, datetime)]
        if all(m.time() == datetime.min.time() for m in moments):
            return _Inferred(FieldType.DATE, few, datetime)
        return _Inferred(FieldType.DATETIME, few, datetime)
    if kinds == {str}:
        return _Inferred(FieldType.TEXT, cell_kind=str)
    return _Inferred(FieldType.TEXT, "Mixed cell types: read as text.")


def _to_type(ftype: FieldType, value: Any) -> Value:
    """A cell value as a typed contract value; ValueError when it cannot be."""
    if _blank(value):
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
        return _as_bool(value.strip() if isinstance(value, str) else value, "")
    if ftype is FieldType.DATE:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        return date.fromisoformat(str(value).strip())
    if ftype is FieldType.DATETIME:
        if isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day)
        return datetime.fromisoformat(str(value).strip())
    raise ValueError


def _as_bool(value: Any, label: str) -> bool:
    return as_bool(value, label, _TRUE_TEXTS)


def _describe(info: FieldInfo) -> str:
    return info.label if info.label == info.key else f"{info.label} ({info.key})"


def _check_value(info: FieldInfo, value: Any, lists: Mapping[str, Mapping[str, str]]) -> Any:
    """A value to write into a cell, checked against its field; raises ValueError(reason)."""
    ftype = info.type
    if value is None:
        return False if ftype is FieldType.CHECKBOX else None
    if ftype is FieldType.TEXT:
        if not isinstance(value, str):
            raise ValueError(f"{_describe(info)} must be text")
        return value
    if ftype is FieldType.LIST:
        if not isinstance(value, str):
            raise ValueError(f"{_describe(info)} must be the key of an item of list "
                             f"{info.list_name}")
        if value and value not in lists.get(info.list_name, {}):
            raise ValueError(f"{_describe(info)}: {value!r} is not an item of list "
                             f"{info.list_name}")
        return value or None
    if ftype is FieldType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{_describe(info)} must be a whole number")
        return value
    if ftype is FieldType.DOUBLE:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{_describe(info)} must be a number")
        return float(value)
    if ftype is FieldType.CHECKBOX:
        if not isinstance(value, bool):
            raise ValueError(f"{_describe(info)} must be true or false")
        return value
    if ftype is FieldType.DATE:
        try:
            return _to_type(FieldType.DATE, value)
        except (ValueError, TypeError):
            raise ValueError(f"{_describe(info)} must be a date (YYYY-MM-DD)") from None
    if ftype is FieldType.DATETIME:
        try:
            return _to_type(FieldType.DATETIME, value)
        except (ValueError, TypeError):
            raise ValueError(f"{_describe(info)} must be a date and time") from None
    raise ValueError(f"{_describe(info)} cannot be written")


# ---- the parsed workbook ---------------------------------------------------------------------

@dataclass
class _Sheet:
    actor_type: str
    fields: list[FieldInfo]
    field_index: dict[str, int]
    columns: dict[str, int]  # special column (canonical name) -> 1-based column number
    field_columns: list[int]  # 1-based column number of each field
    order: list[tuple[str, str]] = field(default_factory=list)  # (stamp, key), sorted
    rows: dict[str, _Row] = field(default_factory=dict)
    int_ids: bool = False
    cell_kinds: list[type | None] = field(default_factory=list)  # per field, for writing


@dataclass
class _Row:
    erp_key: str
    stamp: str
    row_number: int
    values: tuple[Value, ...]
    parent_type: str
    parent_key: str
    deleted: bool


@dataclass
class _Book:
    signature: tuple[int, int]
    sheets: dict[str, _Sheet]
    lists: dict[str, dict[str, str]]
    max_stamp_us: int


def _signature(path: Path) -> tuple[int, int]:
    st = path.stat()
    return (st.st_mtime_ns, st.st_size)


def _key_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_workbook(wb: Any, config: _Config, signature: tuple[int, int]) -> _Book:
    """The actor sheets and list sheets of an openpyxl workbook; raises _Refusal."""
    names = {name.casefold(): name for name in wb.sheetnames}
    lists: dict[str, dict[str, str]] = {}
    for list_name in sorted(set(config.lists.values())):
        sheet_name = names.get(list_name.casefold())
        if sheet_name is None:
            raise _Refusal(f"The workbook has no list sheet {list_name!r} (named in Lists).",
                           "unknown_list")
        rows = wb[sheet_name].iter_rows(values_only=True)
        header = [str(h).strip().casefold() if h is not None else "" for h in next(rows, ())]
        if ID_COLUMN.casefold() not in header or TEXT_COLUMN.casefold() not in header:
            raise _Refusal(f"List sheet {sheet_name!r} needs an 'ID' and a 'Text' column.",
                           "bad_sheet")
        id_at, text_at = header.index(ID_COLUMN.casefold()), header.index(TEXT_COLUMN.casefold())
        items: dict[str, str] = {}
        for row in rows:
            if id_at < len(row) and not _blank(row[id_at]):
                text = row[text_at] if text_at < len(row) else None
                items[_key_text(row[id_at])] = "" if text is None else str(text)
        lists[list_name] = items
    sheets: dict[str, _Sheet] = {}
    max_us = 0
    for actor_type in ACTOR_SHEETS:
        sheet_name = names.get(actor_type.casefold())
        if sheet_name is None:
            continue
        sheet, sheet_max = _parse_sheet(wb[sheet_name], actor_type, config)
        sheets[actor_type] = sheet
        max_us = max(max_us, sheet_max)
    if not sheets:
        raise _Refusal(f"The workbook has none of the sheets {', '.join(ACTOR_SHEETS)}; "
                       f"add at least one.", "bad_workbook")
    for actor_type, key in config.lists:
        linked = sheets.get(actor_type)
        if linked is None or key not in linked.field_index:
            raise _Refusal(f"Lists: the workbook has no column {key!r} on sheet "
                           f"{actor_type!r}.", "config")
    return _Book(signature=signature, sheets=sheets, lists=lists, max_stamp_us=max_us)


def _parse_sheet(ws: Any, actor_type: str, config: _Config) -> tuple[_Sheet, int]:
    rows = ws.iter_rows(values_only=True)
    header = list(next(rows, ()))
    columns: dict[str, int] = {}
    field_keys: list[str] = []
    field_cols: list[int] = []
    canonical = {c.casefold(): c for c in (ID_COLUMN, STAMP_COLUMN, PARENT_TYPE_COLUMN,
                                           PARENT_ID_COLUMN, DELETED_COLUMN)}
    for number, title in enumerate(header, start=1):
        if _blank(title):
            continue
        text = str(title).strip()
        special = canonical.get(text.casefold())
        if special is not None:
            columns.setdefault(special, number)
        elif text not in field_keys:
            field_keys.append(text)
            field_cols.append(number)
    if ID_COLUMN not in columns:
        raise _Refusal(f"Sheet {ws.title!r} has no 'ID' column in its header row.", "bad_sheet")
    body: list[tuple[int, tuple[Any, ...]]] = []
    for number, row in enumerate(rows, start=2):
        if all(_blank(v) for v in row):
            continue
        body.append((number, row))

    def cell(row: tuple[Any, ...], col: int) -> Any:
        return row[col - 1] if col - 1 < len(row) else None

    id_col = columns[ID_COLUMN]
    body = [(n, r) for n, r in body if not _blank(cell(r, id_col))]
    fields: list[FieldInfo] = []
    kinds: list[type | None] = []
    for key, col in zip(field_keys, field_cols, strict=True):
        inferred = _infer(key, (cell(r, col) for _, r in body))
        kinds.append(inferred.cell_kind)
        list_name = config.lists.get((actor_type, key))
        if list_name is not None:
            fields.append(FieldInfo(key=key, label=key, type=FieldType.LIST,
                                    list_name=list_name))
            continue
        override = config.overrides.get((actor_type, key))
        fields.append(FieldInfo(key=key, label=key, type=override or inferred.ftype,
                                description="" if override else inferred.note))
    sheet = _Sheet(actor_type=actor_type, fields=fields,
                   field_index={f.key: i for i, f in enumerate(fields)}, columns=columns,
                   field_columns=field_cols, cell_kinds=kinds)
    sheet.int_ids = bool(body) and all(type(cell(r, id_col)) is int for _, r in body)
    max_us = 0
    stamp_col = columns.get(STAMP_COLUMN)
    for number, row in body:
        key = _key_text(cell(row, id_col))
        if key in sheet.rows:
            raise _Refusal(f"ID {key!r} appears twice on sheet {ws.title!r} (rows "
                           f"{sheet.rows[key].row_number} and {number}).", "duplicate_id")
        stamp = _cell_stamp(cell(row, stamp_col), config.zone) if stamp_col else None
        if stamp is None:
            stamp = _stamp_from_us(number)  # stable order: the row's position
        else:
            max_us = max(max_us, _stamp_us(stamp))
        values = []
        for info, col in zip(fields, field_cols, strict=True):
            raw = cell(row, col)
            try:
                values.append(_to_type(info.type, raw))
            except (ValueError, TypeError, _Refusal):
                raise _Refusal(f"Cell {_cell_name(col, number)} on sheet {ws.title!r} holds "
                               f"{raw!r}, which is not a {info.type.value} value; fix the cell "
                               f"or the type override.", "bad_cell") from None
        ptype = cell(row, columns[PARENT_TYPE_COLUMN]) if PARENT_TYPE_COLUMN in columns \
            else None
        pkey = cell(row, columns[PARENT_ID_COLUMN]) if PARENT_ID_COLUMN in columns else None
        deleted = cell(row, columns[DELETED_COLUMN]) if DELETED_COLUMN in columns else None
        try:
            is_deleted = _as_bool(deleted.strip() if isinstance(deleted, str) else deleted, "")
        except _Refusal:
            is_deleted = False
        sheet.rows[key] = _Row(
            erp_key=key, stamp=stamp, row_number=number, values=tuple(values),
            parent_type="" if _blank(ptype) else str(ptype).strip(),
            parent_key="" if _blank(pkey) else _key_text(pkey), deleted=is_deleted)
    sheet.order = sorted((r.stamp, r.erp_key) for r in sheet.rows.values())
    return sheet, max_us


# ---- deleted rows ----------------------------------------------------------------------------

STATE_SUFFIX = ".erp-tui-keys.json"


def state_path(workbook: Path) -> Path:
    """The file beside the workbook that remembers its keys (to notice deleted rows)."""
    return workbook.with_name(workbook.name + STATE_SUFFIX)


def _load_state(path: Path) -> dict[str, dict[str, Any]]:
    """The remembered keys per actor type; empty when missing or unreadable."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    sheets = data.get("sheets") if isinstance(data, dict) else None
    if not isinstance(sheets, dict):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for actor_type, entry in sheets.items():
        if not isinstance(entry, dict):
            continue
        keys = entry.get("keys", [])
        gone = entry.get("gone", {})
        out[str(actor_type)] = {
            "keys": [str(k) for k in keys] if isinstance(keys, list) else [],
            "gone": {str(k): str(v) for k, v in gone.items() if _STAMP_RE.match(str(v))}
            if isinstance(gone, dict) else {}}
    return out


def _save_state(path: Path, state: dict[str, dict[str, Any]]) -> None:
    """Write the remembered keys atomically; a folder that cannot be written is left alone
    (deleted rows are then noticed only while this process runs)."""
    import json

    text = json.dumps({"format": 1, "sheets": state}, ensure_ascii=False, sort_keys=True)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp_name, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)


def _track_deletions(book: _Book, config: _Config) -> None:
    """Add a deleted row for every key the workbook held before and holds no longer.

    Each such key gets one stamp, when its row is first missed (newer than every stamp), and
    keeps it, so incremental reads report it deleted once; a key that comes back loses it.
    """
    path = state_path(config.path)
    state = _load_state(path)
    changed = False
    next_us = max(_stamp_us(format_stamp(datetime.now(UTC))), book.max_stamp_us + 1,
                  *(_stamp_us(stamp) + 1 for entry in state.values()
                    for stamp in entry["gone"].values()))
    for actor_type, sheet in book.sheets.items():
        entry = state.setdefault(actor_type, {"keys": [], "gone": {}})
        present = set(sheet.rows)
        gone: dict[str, str] = entry["gone"]
        for key in sorted(set(entry["keys"]) - present - set(gone)):
            gone[key] = _stamp_from_us(next_us)
            next_us += 1
            changed = True
        for key in [k for k in gone if k in present]:
            del gone[key]
            changed = True
        if set(entry["keys"]) != present:
            entry["keys"] = sorted(present)
            changed = True
        if not gone:
            continue
        blank = (None,) * len(sheet.fields)
        for key, stamp in gone.items():
            sheet.rows[key] = _Row(key, stamp, 0, blank, "", "", True)
            book.max_stamp_us = max(book.max_stamp_us, _stamp_us(stamp))
        sheet.order = sorted((r.stamp, r.erp_key) for r in sheet.rows.values())
    if changed:
        _save_state(path, state)


_NUMBER_TEXT = re.compile(r"-?(0|[1-9]\d{0,14})(\.\d*[1-9])?")


def _cell_value(value: Any, kind: type | None) -> Any:
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


def _put(ws: Any, row: int, col: int, value: Any, *, new: bool = False) -> Any:
    """Set a cell; a new row's cell takes the number format of the cell above it."""
    target = ws.cell(row=row, column=col)
    target.value = value
    if new and row > 2:
        above = ws.cell(row=row - 1, column=col)
        if above.number_format != "General" and (
                isinstance(value, datetime | date) == bool(above.is_date)):
            target.number_format = above.number_format
    return target


def _cell_name(col: int, row: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col)}{row}"


def _load_workbook(path: Path, *, read_only: bool) -> Any:
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=read_only,
                                      keep_vba=path.suffix.lower() == ".xlsm",
                                      data_only=False)
    except FileNotFoundError:
        raise _Refusal(f"Workbook {path} does not exist; check the path.", "not_found") from None
    except PermissionError as exc:
        raise _Refusal(f"Workbook {path} cannot be opened; check its permissions.",
                       "cannot_open", str(exc)) from None
    except Exception as exc:
        raise _Refusal(f"{path} is not a readable .xlsx/.xlsm workbook.", "bad_workbook",
                       f"{type(exc).__name__}: {exc}") from None


def atomic_save(wb: Any, path: Path) -> None:
    """Save `wb` over `path` atomically: temporary file in the same folder, fsync, replace."""
    directory = path.parent
    _remove_stale_temporaries(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            buffer = io.BytesIO()
            wb.save(buffer)
            handle.write(_carry_over_parts(path, buffer.getvalue()))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp_name, path.stat().st_mode & 0o7777)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PRINTER_REL = _DOC_REL_NS + "/printerSettings"
_PRINTER_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings"


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the part (e.g. xl/worksheets/sheet1.xml) that holds it."""
    from xml.etree import ElementTree

    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for sheet in book.iter(f"{{{_MAIN_NS}}}sheet"):
        target = targets.get(sheet.get(f"{{{_DOC_REL_NS}}}id"), "")
        out[sheet.get("name", "")] = posixpath.normpath(
            target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target))
    return out


def _rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _carry_over_parts(original: Path, saved: bytes) -> bytes:
    """`saved` (openpyxl's package) with the sheets' printer settings of `original` put back:
    openpyxl drops those parts (the page setup Excel keeps per printer)."""
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(original) as old, zipfile.ZipFile(io.BytesIO(saved)) as new:
            old_sheets, new_sheets = _sheet_parts(old), _sheet_parts(new)
            old_names, new_names = set(old.namelist()), set(new.namelist())
            carried: dict[str, bytes] = {}  # new sheet part -> printer part
            for name, old_part in old_sheets.items():
                rels = _rels_name(old_part)
                if rels not in old_names or name not in new_sheets:
                    continue
                for rel in ElementTree.fromstring(old.read(rels)):
                    target = rel.get("Target", "")
                    part = target.lstrip("/") if target.startswith("/") else \
                        posixpath.normpath(posixpath.join(posixpath.dirname(old_part), target))
                    if rel.get("Type") == _PRINTER_REL and part in old_names \
                            and part not in new_names:
                        carried[new_sheets[name]] = part.encode()
                        break
            if not carried:
                return saved
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as result:
                types = new.read("[Content_Types].xml").decode()
                extra_types = "".join(
                    f'<Override PartName="/{part.decode()}" ContentType="{_PRINTER_TYPE}"/>'
                    for part in carried.values())
                types = types.replace("</Types>", extra_types + "</Types>")
                added_rels: dict[str, str] = {}
                sheets_done: dict[str, bytes] = {}
                for sheet_part, printer in carried.items():
                    rels = _rels_name(sheet_part)
                    text = new.read(rels).decode() if rels in new_names else (
                        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                        f'<Relationships xmlns="{_REL_NS}"></Relationships>')
                    used = set(re.findall(r'Id="([^"]+)"', text))
                    rid = next(f"rIdP{i}" for i in range(1, 1000) if f"rIdP{i}" not in used)
                    target = posixpath.relpath(printer.decode(), posixpath.dirname(sheet_part))
                    text = text.replace("</Relationships>", f'<Relationship Id="{rid}" Type='
                                        f'"{_PRINTER_REL}" Target="{target}"/></Relationships>')
                    added_rels[rels] = text
                    sheets_done[sheet_part] = _with_page_setup_id(new.read(sheet_part), rid)
                for item in new.infolist():
                    if item.filename == "[Content_Types].xml":
                        result.writestr(item, types)
                    elif item.filename in added_rels:
                        result.writestr(item, added_rels.pop(item.filename))
                    elif item.filename in sheets_done:
                        result.writestr(item, sheets_done[item.filename])
                    else:
                        result.writestr(item, new.read(item.filename))
                for name, text in added_rels.items():
                    result.writestr(name, text)
                for printer in carried.values():
                    result.writestr(printer.decode(), old.read(printer.decode()))
            return out.getvalue()
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, SyntaxError):
        return saved  # nothing to carry over from a package that cannot be read


def _with_page_setup_id(xml: bytes, rid: str) -> bytes:
    """A sheet's XML whose pageSetup points at relationship `rid` (added when missing)."""
    text = xml.decode("utf-8")
    root = re.search(r"<worksheet\b[^>]*>", text)
    if root is None:
        return xml
    if f'xmlns:r="{_DOC_REL_NS}"' not in root.group():
        head = root.group()[:-1] + f' xmlns:r="{_DOC_REL_NS}">'
        text = text[:root.start()] + head + text[root.end():]
    setup = re.search(r"<pageSetup\b([^>]*?)\s*/>", text)
    if setup is None:
        # pageSetup follows pageMargins (or comes before the sheet's end); keep schema order.
        margins = re.search(r"<pageMargins\b[^>]*/>", text)
        at = margins.end() if margins else text.rindex("</sheetData>") + len("</sheetData>")
        text = text[:at] + f'<pageSetup r:id="{rid}"/>' + text[at:]
    elif "r:id=" not in setup.group(1):
        text = (text[:setup.start()] + f'<pageSetup{setup.group(1)} r:id="{rid}"/>' +
                text[setup.end():])
    return text.encode("utf-8")


def _remove_stale_temporaries(path: Path, older_than: float = 3600.0) -> None:
    """Remove temporary files of saves killed long ago (they are never the workbook)."""
    limit = time.time() - older_than
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if stale.stat().st_mtime < limit:
                stale.unlink()


# ---- search ----------------------------------------------------------------------------------

_Op = SearchOperator
_TEXT_OPS = {_Op.EQUALS, _Op.BEGINS, _Op.CONTAINS, _Op.ENDS, _Op.NOT_BEGINS, _Op.NOT_CONTAINS,
             _Op.NOT_ENDS, _Op.IS_NOT, _Op.NOT_EQUAL, _Op.BETWEEN}
_NUMBER_OPS = {_Op.EQUALS, _Op.GREATER, _Op.LESS, _Op.GREATER_EQUAL, _Op.LESS_EQUAL,
               _Op.NOT_EQUAL, _Op.IS_NOT, _Op.BETWEEN}
_DATE_OPS = {_Op.EQUALS, _Op.BEFORE, _Op.AFTER, _Op.BEFORE_OR_EQUAL, _Op.AFTER_OR_EQUAL,
             _Op.BETWEEN, _Op.NOT_EQUAL, _Op.IS_NOT}
_OPS_BY_TYPE = {
    FieldType.TEXT: _TEXT_OPS, FieldType.INTEGER: _NUMBER_OPS, FieldType.DOUBLE: _NUMBER_OPS,
    FieldType.CHECKBOX: {_Op.EQUALS, _Op.NOT_EQUAL, _Op.IS_NOT},
    FieldType.LIST: {_Op.ONE_OF, _Op.NOT_ONE_OF, _Op.EQUALS, _Op.NOT_EQUAL, _Op.IS_NOT},
    FieldType.DATE: _DATE_OPS, FieldType.DATETIME: _DATE_OPS,
}


def _criterion(info: FieldInfo, restriction: Restriction) -> Callable[[Any], bool]:
    """A predicate over one field value for `restriction`; raises _Refusal."""
    op = restriction.operator
    ftype = info.type
    if op not in _OPS_BY_TYPE.get(ftype, set()):
        raise _Refusal(f"Operator {op.value!r} cannot be used on {_describe(info)}, a "
                       f"{ftype.value} field.", "bad_operator")
    raw: list[Any] = list(restriction.values)
    needed = 2 if op is _Op.BETWEEN else None if op in (_Op.ONE_OF, _Op.NOT_ONE_OF) else 1
    if (needed is None and not raw) or (needed is not None and len(raw) != needed):
        raise _Refusal(f"Operator {op.value!r} on {_describe(info)} has the wrong number of "
                       f"values.", "bad_values")
    try:
        if ftype in (FieldType.TEXT, FieldType.LIST):
            if not all(isinstance(v, str) for v in raw):
                raise ValueError
            values: list[Any] = [v.casefold() for v in raw] if ftype is FieldType.TEXT \
                else list(raw)
        elif ftype is FieldType.CHECKBOX:
            values = [_as_bool(v, info.label) for v in raw]
        elif ftype in (FieldType.INTEGER, FieldType.DOUBLE):
            if any(isinstance(v, bool) for v in raw):
                raise ValueError
            values = [float(v) if not isinstance(v, int | float) else v for v in raw]
        else:
            values = [_to_type(ftype, v) for v in raw]
    except (ValueError, TypeError, _Refusal):
        raise _Refusal(f"A value for {_describe(info)} does not fit its type "
                       f"({ftype.value}).", "bad_values") from None
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


# ---- the connector ---------------------------------------------------------------------------

class WorkbookConnector:
    """In-process connector over an Excel workbook (.xlsx / .xlsm)."""

    kind: ClassVar[str] = "workbook"
    label: ClassVar[str] = "Excel workbook (.xlsx / .xlsm)"

    def __init__(self) -> None:
        self._connections: dict[int, dict[str, Any]] = {}
        self._books: dict[int, _Book] = {}
        self._lock = threading.Lock()
        self._write_locks: dict[Path, threading.Lock] = {}
        # Next-page cursors this instance handed out: their read needs no read-again window.
        self._continuations: dict[int, set[tuple[str, str]]] = {}

    # -- configuration and connections ----------------------------------------------------

    @_guarded(ConfigFieldsResult)
    def config_fields(self) -> ConfigFieldsResult:
        """Path, list links, type overrides and the read-only switch."""
        T = FieldType
        return ConfigFieldsResult(fields=[
            FieldInfo(key="path", label="Workbook",
                      description="Path of the .xlsx or .xlsm file.", type=T.TEXT,
                      access=FieldAccess.MANDATORY),
            FieldInfo(key="lists", label="Lists",
                      description="Columns that take their values from a list sheet, e.g. "
                                  "'Customer.country=Countries; Customer.category=Groups'.",
                      type=T.TEXT),
            FieldInfo(key="type_overrides", label="Type overrides",
                      description="Column types to use instead of the inferred ones, e.g. "
                                  "'Customer.zip=text; Project.start=date' (text, integer, "
                                  "double, checkbox, date, datetime).", type=T.TEXT),
            FieldInfo(key="read_only", label="Read only",
                      description="Refuse all writes to the workbook.", type=T.CHECKBOX,
                      default="false"),
            FieldInfo(key="time_zone", label="Time zone",
                      description="Time zone of LastModified values written without one (as "
                                  "macros write Now), e.g. 'Europe/Amsterdam'; empty: this "
                                  "machine's zone.", type=T.TEXT),
            FieldInfo(key="read_again", label="Read again (seconds)",
                      description="Every incremental read also reads the rows stamped this "
                                  "long before the last one read, so late or date-only stamps "
                                  "are not missed (rows read twice are harmless).",
                      type=T.INTEGER, default=str(DEFAULT_READ_AGAIN)),
        ])

    @_guarded(Result)
    def test_config(self, values: dict[str, Any]) -> Result:
        """OK when the workbook opens and its sheets fit the layout and the settings."""
        config = _parse_config(values)
        book = self._parse(config)
        counts = ", ".join(f"{len(s.rows)} {k}" for k, s in book.sheets.items())
        return Result(user_message=f"Workbook {config.path.name} is usable ({counts}).")

    @_guarded(Result)
    def create_connection(self, connection_id: int, values: dict[str, Any]) -> Result:
        """Remember the config values of a saved connection (checked on every use)."""
        with self._lock:
            self._connections[connection_id] = dict(values)
            self._books.pop(connection_id, None)
        return Result(user_message=f"Connection {connection_id} is bound to the workbook "
                                   f"connector.")

    @_guarded(Result)
    def delete_connection(self, connection_id: int) -> Result:
        with self._lock:
            known = self._connections.pop(connection_id, None) is not None
            self._books.pop(connection_id, None)
        if not known:
            raise _Refusal(self._unknown_message(connection_id), "unknown_connection")
        return Result(user_message=f"Connection {connection_id} was removed from the workbook "
                                   f"connector.")

    @_guarded(Result)
    def test_connection(self, connection_id: int) -> Result:
        return self.test_config(self._values(connection_id))

    # -- metadata -------------------------------------------------------------------------

    @_guarded(ActorTypesResult)
    def actor_types(self, connection_id: int) -> ActorTypesResult:
        """The actor types that have a sheet in the workbook."""
        book, _ = self._book(connection_id)
        return ActorTypesResult(actor_types=[
            ActorTypeInfo(key=key, label=ACTOR_SHEETS[key][0],
                          parent_types=tuple(p for p in ACTOR_SHEETS[key][1]
                                             if p in book.sheets))
            for key in book.sheets])

    @_guarded(FieldsResult)
    def actor_fields(self, connection_id: int, actor_type: str) -> FieldsResult:
        book, _ = self._book(connection_id)
        return FieldsResult(fields=list(self._sheet(book, actor_type).fields))

    @_guarded(SearchableFieldsResult)
    def searchable_fields(self, connection_id: int, actor_type: str) -> SearchableFieldsResult:
        book, _ = self._book(connection_id)
        return SearchableFieldsResult(
            field_keys=[f.key for f in self._sheet(book, actor_type).fields])

    @_guarded(ListItemsResult)
    def list_items(self, connection_id: int, list_name: str,
                   keys: Sequence[str] | None = None) -> ListItemsResult:
        book, _ = self._book(connection_id)
        items = book.lists.get(list_name)
        if items is None:
            raise _Refusal(f"The workbook has no list {list_name!r} linked in Lists.",
                           "unknown_list")
        if keys is not None:
            return ListItemsResult(items={k: items[k] for k in keys if k in items})
        return ListItemsResult(items=dict(items))

    # -- reading --------------------------------------------------------------------------

    @_guarded(PageResult)
    def get_actors(self, connection_id: int, actor_type: str, keys: Sequence[str],
                   field_keys: Sequence[str]) -> PageResult:
        book, _ = self._book(connection_id)
        sheet = self._sheet(book, actor_type)
        rows = []
        for key in dict.fromkeys(str(k) for k in keys):
            row = sheet.rows.get(key)
            if row is not None and not row.deleted:
                rows.append(row)
        return PageResult(page=self._page(sheet, rows, field_keys))

    @_guarded(PageResult)
    def actors_changed_since(self, connection_id: int, actor_type: str, cursor: Cursor,
                             field_keys: Sequence[str],
                             page_size: int = DEFAULT_PAGE_SIZE) -> PageResult:
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise _Refusal("Page size must be a whole number of at least 1.", "bad_page_size")
        book, config = self._book(connection_id)
        sheet = self._sheet(book, actor_type)
        limit = min(page_size, ActorPage.MAX_ROWS)
        start = bisect_right(sheet.order, cursor.as_tuple())
        chosen = sheet.order[start:start + limit]
        again = self._read_again_from(connection_id, sheet, cursor, config, start,
                                      ActorPage.MAX_ROWS - len(chosen))
        page = self._page(sheet, [sheet.rows[k] for _, k in sheet.order[again:start] + chosen],
                          field_keys, with_deleted=True)
        if start + limit < len(sheet.order) and chosen:
            page.next_cursor = Cursor(last_modified=chosen[-1][0], erp_key=chosen[-1][1])
            self._remember_continuation(connection_id, page.next_cursor)
            # The loaded sheet knows exactly how many rows (deleted ones too) lie beyond.
            page.remaining = len(sheet.order) - start - len(chosen)
        return PageResult(page=page)

    def _read_again_from(self, connection_id: int, sheet: _Sheet, cursor: Cursor,
                         config: _Config, start: int, room: int) -> int:
        """Where the read-again window before `cursor` starts in `sheet.order` (`start` when
        there is none: a first read, or the next page of a read this connector began)."""
        if not config.read_again_us or not cursor.last_modified:
            return start
        with self._lock:
            continuations = self._continuations.get(connection_id, set())
            if cursor.as_tuple() in continuations:
                continuations.discard(cursor.as_tuple())
                return start
        try:
            since = _stamp_us(cursor.last_modified) - config.read_again_us
        except ValueError:
            return start
        first = bisect_left(sheet.order, (_stamp_from_us(max(since, 0)), ""))
        return max(first, start - max(room, 0))

    def _remember_continuation(self, connection_id: int, cursor: Cursor) -> None:
        with self._lock:
            continuations = self._continuations.setdefault(connection_id, set())
            if len(continuations) >= 256:  # cursors of reads that were never continued
                continuations.clear()
            continuations.add(cursor.as_tuple())

    @_guarded(PageResult)
    def search_actors(self, connection_id: int, actor_type: str, text: str,
                      field_keys: Sequence[str]) -> PageResult:
        """Actors whose ID or any text field contains `text` (case-insensitive)."""
        if not isinstance(text, str):
            raise _Refusal("The search text must be text.", "bad_values")
        book, _ = self._book(connection_id)
        sheet = self._sheet(book, actor_type)
        needle = text.strip().casefold()
        text_at = [i for i, f in enumerate(sheet.fields)
                   if f.type in (FieldType.TEXT, FieldType.LIST)]
        found = [row for row in sheet.rows.values() if not row.deleted and (
            needle in row.erp_key.casefold()
            or any(needle in str(row.values[i] or "").casefold() for i in text_at))]
        return self._search_result(self._page(sheet, found, field_keys))

    @_guarded(PageResult)
    def search_actors_advanced(self, connection_id: int, actor_type: str,
                               restrictions: Sequence[Restriction],
                               field_keys: Sequence[str]) -> PageResult:
        book, _ = self._book(connection_id)
        sheet = self._sheet(book, actor_type)
        checks: list[tuple[int, Callable[[Any], bool]]] = []
        for restriction in restrictions:
            if not isinstance(restriction, Restriction):
                restriction = Restriction.model_validate(restriction)
            index = sheet.field_index.get(restriction.field_key)
            if index is None:
                raise _Refusal(f"{actor_type} has no field {restriction.field_key!r} to "
                               f"search on.", "unknown_field")
            checks.append((index, _criterion(sheet.fields[index], restriction)))
        found = [row for row in sheet.rows.values()
                 if not row.deleted and all(check(row.values[i]) for i, check in checks)]
        return self._search_result(self._page(sheet, found, field_keys))

    # -- writing --------------------------------------------------------------------------

    @_guarded(ActorResult)
    def create_actor(self, connection_id: int, actor: Actor) -> ActorResult:
        """Append a row; the result carries the new ID and LastModified."""
        saved = self._write(connection_id, [actor], creating=True)
        return ActorResult(actor=saved[0],
                           user_message=f"{actor.actor_type} {saved[0].erp_key} was created.")

    @_guarded(ActorsResult)
    def save_actors(self, connection_id: int, actors: Sequence[Actor]) -> ActorsResult:
        """Update the given values of existing actors; all or nothing."""
        saved = self._write(connection_id, list(actors), creating=False)
        return ActorsResult(actors=saved, user_message=f"{len(saved)} actor(s) saved.")

    def _write(self, connection_id: int, actors: list[Actor], *, creating: bool
               ) -> list[Actor]:
        config = _parse_config(self._values(connection_id))
        if config.read_only:
            raise _Refusal(f"Connection {connection_id} is read-only (the 'Read only' option "
                           f"is on); nothing was written.", "read_only")
        if not actors:
            return []
        with self._lock:
            lock = self._write_locks.setdefault(config.path.resolve(), threading.Lock())
        with lock:
            try:
                return self._write_locked(connection_id, config, actors, creating=creating)
            except BaseException:
                with self._lock:  # the cached parse may hold half-planned changes
                    self._books.pop(connection_id, None)
                raise

    def _write_locked(self, connection_id: int, config: _Config, actors: list[Actor], *,
                      creating: bool) -> list[Actor]:
        book, _ = self._book(connection_id)
        plans = [self._plan(book, actor, creating) for actor in actors]
        wb = _load_workbook(config.path, read_only=False)
        if _signature(config.path) != book.signature:
            # Changed between our parse and the load: parse what we loaded and re-check.
            book = _parse_workbook(wb, config, _signature(config.path))
            plans = [self._plan(book, actor, creating) for actor in actors]
        # Whole milliseconds (what a date-time cell keeps), one apart, newer than every stamp.
        now_ms = _stamp_us(format_stamp(datetime.now(UTC))) // 1000
        first_ms = max(now_ms, book.max_stamp_us // 1000 + 1)
        keys: list[tuple[str, str]] = []
        new_numbers: dict[str, int] = {}
        for offset, (sheet, row, values, parent) in enumerate(plans):
            ws = wb[self._sheet_title(wb, sheet.actor_type)]
            stamp_us = (first_ms + offset) * 1000
            if row is None:
                number = new_numbers.get(sheet.actor_type, self._last_row(sheet) + 1)
                new_numbers[sheet.actor_type] = number + 1
                erp_key = self._new_key(sheet, offset)
                _put(ws, number, sheet.columns[ID_COLUMN],
                     int(erp_key) if sheet.int_ids or (not sheet.rows and erp_key.isdigit())
                     else erp_key)
            else:
                number, erp_key = row.row_number, row.erp_key
            for key, value in values.items():
                index = sheet.field_index[key]
                _put(ws, number, sheet.field_columns[index],
                     _cell_value(value, sheet.cell_kinds[index] if sheet.cell_kinds else None),
                     new=row is None)
            if parent is not None:
                for name, value in ((PARENT_TYPE_COLUMN, parent[0]),
                                    (PARENT_ID_COLUMN, parent[1])):
                    col = sheet.columns.get(name) or self._add_column(ws, sheet, name)
                    _put(ws, number, col, value, new=row is None)
            col = sheet.columns.get(STAMP_COLUMN) or self._add_column(ws, sheet,
                                                                       STAMP_COLUMN)
            _put(ws, number, col, _local_cell_time(stamp_us, config.zone), new=row is None)
            keys.append((sheet.actor_type, erp_key))
            if row is None:
                # Keep later new keys of this call unique.
                sheet.rows[erp_key] = _Row(erp_key, _stamp_from_us(stamp_us), number, (), "",
                                           "", False)
        atomic_save(wb, config.path)
        new_book = _parse_workbook(wb, config, _signature(config.path))
        _track_deletions(new_book, config)
        with self._lock:
            if self._connections.get(connection_id) is not None:
                self._books[connection_id] = new_book
        out = []
        for actor_type, erp_key in keys:
            sheet = new_book.sheets[actor_type]
            out += self._page(sheet, [sheet.rows[erp_key]], ()).actors()
        return out

    def _plan(self, book: _Book, actor: Actor, creating: bool
              ) -> tuple[_Sheet, _Row | None, dict[str, Any], tuple[str, Any] | None]:
        sheet = self._sheet(book, actor.actor_type)
        who = actor.actor_type if creating else f"{actor.actor_type} {actor.erp_key!r}"
        verb = "created" if creating else "saved"
        row = None
        if actor.deleted:
            raise _Refusal(f"{who} was not {verb}: the workbook connector cannot delete "
                           f"actors.", "not_supported")
        if not creating:
            row = sheet.rows.get(actor.erp_key)
            if row is None or row.deleted:
                state = "does not exist" if row is None else "is deleted in the ERP"
                raise _Refusal(f"{who} {state}; nothing was saved.", "unknown_actor")
        problems = []
        values: dict[str, Any] = {}
        for key, value in actor.values.items():
            index = sheet.field_index.get(key)
            if index is None:
                problems.append(f"there is no field {key!r}")
                continue
            try:
                values[key] = _check_value(sheet.fields[index], value, book.lists)
            except ValueError as exc:
                problems.append(str(exc))
        parent: tuple[str, Any] | None = None
        parents = ACTOR_SHEETS[sheet.actor_type][1]
        if actor.parent_actor_type or actor.parent_erp_key:
            if actor.parent_actor_type not in parents:
                problems.append(f"a {sheet.actor_type} cannot sit under a "
                                f"{actor.parent_actor_type or 'nothing'}")
            else:
                parent_sheet = book.sheets.get(actor.parent_actor_type)
                if parent_sheet is None or actor.parent_erp_key not in parent_sheet.rows:
                    problems.append(f"parent {actor.parent_actor_type} "
                                    f"{actor.parent_erp_key!r} does not exist")
                else:
                    parent = (actor.parent_actor_type, actor.parent_erp_key)
                    if parent_sheet.int_ids and actor.parent_erp_key.isdigit():
                        parent = (actor.parent_actor_type, int(actor.parent_erp_key))
        if problems:
            raise _Refusal(f"{who} was not {verb}: {'; '.join(problems)}.", "invalid_values")
        return sheet, row, values, parent

    # -- helpers --------------------------------------------------------------------------

    @staticmethod
    def _unknown_message(connection_id: int) -> str:
        return (f"Connection {connection_id} is not known to the workbook connector; create "
                f"the connection first.")

    def _values(self, connection_id: int) -> dict[str, Any]:
        with self._lock:
            values = self._connections.get(connection_id)
        if values is None:
            raise _Refusal(self._unknown_message(connection_id), "unknown_connection")
        return values

    @staticmethod
    def _parse(config: _Config) -> _Book:
        try:
            signature = _signature(config.path)
        except FileNotFoundError:
            raise _Refusal(f"Workbook {config.path} does not exist; check the path.",
                           "not_found") from None
        wb = _load_workbook(config.path, read_only=True)
        try:
            return _parse_workbook(wb, config, signature)
        finally:
            wb.close()

    def _book(self, connection_id: int) -> tuple[_Book, _Config]:
        """The parsed workbook of a connection, re-read when the file changed."""
        config = _parse_config(self._values(connection_id))
        with self._lock:
            book = self._books.get(connection_id)
        try:
            current = _signature(config.path)
        except FileNotFoundError:
            raise _Refusal(f"Workbook {config.path} does not exist; check the path.",
                           "not_found") from None
        if book is None or book.signature != current:
            book = self._parse(config)
            _track_deletions(book, config)
            with self._lock:
                if connection_id in self._connections:
                    self._books[connection_id] = book
        return book, config

    @staticmethod
    def _sheet(book: _Book, actor_type: str) -> _Sheet:
        sheet = book.sheets.get(actor_type)
        if sheet is None:
            raise _Refusal(f"The workbook has no sheet for actor type {actor_type!r}; use one "
                           f"of {', '.join(book.sheets)}.", "unknown_actor_type")
        return sheet

    @staticmethod
    def _sheet_title(wb: Any, actor_type: str) -> str:
        for name in wb.sheetnames:
            if name.casefold() == actor_type.casefold():
                return str(name)
        raise _Refusal(f"The workbook lost its sheet {actor_type!r}.", "bad_workbook")

    @staticmethod
    def _last_row(sheet: _Sheet) -> int:
        return max((r.row_number for r in sheet.rows.values()), default=1)

    @staticmethod
    def _add_column(ws: Any, sheet: _Sheet, name: str) -> int:
        used = [*sheet.columns.values(), *sheet.field_columns]
        col = max(used, default=0) + 1
        ws.cell(row=1, column=col, value=name)
        sheet.columns[name] = col
        return col

    @staticmethod
    def _new_key(sheet: _Sheet, salt: int) -> str:
        best: tuple[int, str, int] | None = None
        for key in sheet.rows:
            match = re.match(r"^(.*?)(\d+)$", key)
            if match and (best is None or int(match.group(2)) > best[0]):
                best = (int(match.group(2)), match.group(1), len(match.group(2)))
        if best is None:
            return str(len(sheet.rows) + 1 + salt) if not sheet.rows else \
                f"{sheet.actor_type[:1]}{len(sheet.rows) + 1 + salt}"
        number, prefix, width = best
        candidate = f"{prefix}{str(number + 1).zfill(width if prefix else 0)}"
        while candidate in sheet.rows:
            number += 1
            candidate = f"{prefix}{str(number + 1).zfill(width if prefix else 0)}"
        return candidate

    @staticmethod
    def _page(sheet: _Sheet, rows: Sequence[_Row], field_keys: Sequence[str], *,
              with_deleted: bool = False) -> ActorPage:
        if isinstance(field_keys, str):
            raise _Refusal("Field keys must be a list of keys, not one text.", "bad_fields")
        keys = tuple(field_keys) if field_keys else tuple(f.key for f in sheet.fields)
        unknown = [k for k in keys if k not in sheet.field_index]
        if unknown:
            raise _Refusal(f"{sheet.actor_type} has no field {unknown[0]!r}.", "unknown_field")
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
        has_parent = bool(ACTOR_SHEETS[sheet.actor_type][1])
        return ActorPage.trusted(
            actor_type=sheet.actor_type, field_keys=keys,
            erp_keys=[r.erp_key for r in rows], last_modified=[r.stamp for r in rows],
            rows=values,
            parent_types=[r.parent_type for r in rows] if has_parent else [],
            parent_keys=[r.parent_key for r in rows] if has_parent else [],
            deleted=[r.deleted for r in rows] if with_deleted else [False] * len(rows))

    @staticmethod
    def _search_result(page: ActorPage) -> PageResult:
        if len(page) <= SEARCH_LIMIT:
            return PageResult(page=page)
        for name in ("erp_keys", "last_modified", "rows", "parent_types", "parent_keys",
                     "deleted"):
            column = getattr(page, name)
            if column:
                del column[SEARCH_LIMIT:]
        return PageResult(page=page, state=ResultState.OK_WITH_INFO,
                          user_message=f"Showing the first {SEARCH_LIMIT} matches; refine the "
                                       f"search to see the others.")
