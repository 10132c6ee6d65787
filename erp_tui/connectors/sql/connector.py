"""`SqlConnector`: the connector contract over any SQL database SQLAlchemy reaches.

A YAML *descriptor* (see `descriptor.py` and docs/sql-connector.md) maps actor types to tables or
views. Identifiers are never formatted into SQL text: every table and column is taken from the
reflected schema (SQLAlchemy `Table` objects), so an unknown name is refused when the connection
is created or tested, and quoting is SQLAlchemy's. Every value is a bound parameter.

Notes on the contract as implemented here:

* An empty `field_keys` sequence means "all fields of the actor type".
* With a last-modified column, `actors_changed_since` orders by (that column, key column) and
  compares with the expanded form `lm > :t OR (lm = :t AND key > :k)`; equal timestamps at a
  page boundary are neither lost nor repeated. Within equal timestamps keys follow the
  database's order of the key column (numeric for integer keys).
* Without one, changes are detected by fingerprints kept in a state database (`changes.py`);
  a scan runs at the start of every read (not for a page that continues the previous one).
* A soft-delete column (descriptor `deleted:`) marks rows deleted: NULL, false and 0 mean live,
  any other value deleted (`soft_delete_rule`). With a last-modified column such rows come back
  from `actors_changed_since` marked deleted (values None); in fingerprint mode the scan does not
  see them, so they are reported like removed rows. Every other read (get, searches, parent and
  save checks) sees live rows only, through `_BoundActor.live_where`.
* A full first page from the empty cursor tells `remaining` (one count: of the table's rows
  with a last-modified value, or of the state rows in fingerprint mode); later pages do not.
* Searches return at most `SEARCH_LIMIT` actors (state `ok_with_info` when there were more).
* `save_actors` is all-or-nothing: if any actor is refused, nothing is written.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy import Column, Engine, MetaData, Table, and_, event, inspect, or_, select
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from erp_tui.connectors.base import TRUE_TEXTS, guarded
from erp_tui.connectors.base import Refusal as _Refusal
from erp_tui.connectors.base import as_bool as _as_bool
from erp_tui.connectors.base import as_date as _as_date
from erp_tui.connectors.base import describe as _describe
from erp_tui.connectors.sql.changes import ChangeStore, fingerprint, format_stamp, parse_stamp
from erp_tui.connectors.sql.descriptor import (
    ActorSpec,
    Descriptor,
    DescriptorError,
    load_descriptor,
)
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

SEARCH_LIMIT = 1000
"""Most actors a simple or advanced search returns."""

DEFAULT_PAGE_SIZE = 5000
_CHUNK = 1000  # keys per IN (...) list
_SCAN_BATCH = 5000

_P = ParamSpec("_P")
_R = TypeVar("_R", bound=Result)
_ESCAPE = "!"


def _db_reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return f"{type(orig or exc).__name__}: {orig or exc}"


def _guarded(result_cls: type[_R]) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Turn refusals, database errors and unexpected exceptions into failure results
    (the connection's password blanked out of every message)."""
    return guarded(result_cls, who="The SQL connector", storage_errors=(SQLAlchemyError,),
                   storage_message="The ERP database could not be read or written; see the "
                                   "technical message for the cause.",
                   secrets=lambda c: c._secrets() if isinstance(c, SqlConnector) else [])


# ---- configuration ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Config:
    url: URL
    password: str
    descriptor: Path
    page_size: int
    read_only: bool
    state_url: str

    @property
    def safe_url(self) -> str:
        return self.url.render_as_string(hide_password=True)


def _parse_config(values: Mapping[str, Any]) -> _Config:
    """Check and normalise config values; raises _Refusal with one clear sentence."""
    if not isinstance(values, Mapping):
        raise _Refusal("The connection settings are not a set of named values.", "config")
    raw_url = str(values.get("url") or "").strip()
    if not raw_url:
        raise _Refusal("Fill in the database URL (for example "
                       "postgresql+psycopg://user@host/database).", "config")
    password = values.get("password") or ""
    if not isinstance(password, str):
        raise _Refusal("The password must be text.", "config")
    try:
        url = make_url(raw_url)
    except (ArgumentError, ValueError):
        raise _Refusal("The database URL is not a valid SQLAlchemy URL (dialect+driver://user"
                       "@host/database).", "config") from None
    if password:
        url = url.set(password=password)
    descriptor = str(values.get("descriptor") or "").strip()
    if not descriptor:
        raise _Refusal("Fill in the path of the descriptor file.", "config")
    descriptor_path = Path(descriptor).expanduser().resolve()
    raw_page = values.get("page_size")
    if raw_page is None or (isinstance(raw_page, str) and not raw_page.strip()):
        page_size = DEFAULT_PAGE_SIZE
    else:
        try:
            if isinstance(raw_page, bool):
                raise ValueError
            page_size = int(str(raw_page).strip())
        except ValueError:
            raise _Refusal("Page size must be a whole number.", "config") from None
        if not 1 <= page_size <= ActorPage.MAX_ROWS:
            raise _Refusal(f"Page size must be between 1 and {ActorPage.MAX_ROWS}.", "config")
    read_only = _as_bool(values.get("read_only"), "Read only")
    state_url = str(values.get("state_url") or "").strip()
    if not state_url:
        state_path = descriptor_path.with_name(descriptor_path.stem + ".state.sqlite")
        state_url = f"sqlite:///{state_path}"
    return _Config(url=url, password=password, descriptor=descriptor_path, page_size=page_size,
                   read_only=read_only, state_url=state_url)


# ---- values ----------------------------------------------------------------------------------

def _python_type(column: Column[Any]) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def _reader(ftype: FieldType, column: Column[Any]) -> Callable[[Any], Any] | None:
    """Converter from a stored value to the contract's typed value (None when not needed)."""
    native = _python_type(column)
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


def _key_text(value: Any) -> str:
    return "" if value is None else str(value)


def _native(column: Column[Any], text: str) -> Any:
    """An ERP key (text) as a value of `column`; ValueError when it cannot be one."""
    native = _python_type(column)
    if native is int:
        if isinstance(text, bool):
            raise ValueError(text)
        return int(str(text).strip())
    if native is float:
        return float(text)
    return str(text)


def _stamp_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_stamp(value)
    if isinstance(value, date):
        return format_stamp(datetime(value.year, value.month, value.day))
    return format_stamp(parse_stamp(str(value)))


def soft_delete_rule(column: Column[Any]) -> tuple[ColumnElement[bool], Any] | None:
    """How a soft-delete column tells live rows: (the live-row condition, the value a new row
    gets), or None when the column is not boolean, numeric, date or timestamp.

    NULL, false and 0 mean live; anything else (true, a non-zero number, any date) deleted.
    """
    ctype = column.type
    if isinstance(ctype, sa.Date | sa.DateTime):
        return column.is_(None), None
    if isinstance(ctype, sa.Boolean):
        return or_(column.is_(None), column == sa.false()), False
    if isinstance(ctype, sa.Integer | sa.Numeric):
        return or_(column.is_(None), column == 0), 0
    return None


def _moment_for(column: Column[Any], moment: datetime) -> Any:
    """A naive UTC datetime in the form `column` stores (aware for timezone-aware columns)."""
    if getattr(column.type, "timezone", False):
        return moment.replace(tzinfo=UTC)
    return moment


def _to_stored(info: FieldInfo, column: Column[Any], value: Any) -> Any:
    """A contract value checked against its field, in stored form; ValueError(reason)."""
    ftype = info.type
    if value is None or (value == "" and ftype not in _TEXTUAL):
        if info.mandatory:
            raise ValueError(f"{_describe(info)} is mandatory")
        return None
    if ftype in _TEXTUAL:
        if not isinstance(value, str):
            raise ValueError(f"{_describe(info)} must be text")
        if "\x00" in value:
            raise ValueError(f"{_describe(info)} contains a NUL character")
        if info.mandatory and not value.strip():
            raise ValueError(f"{_describe(info)} is mandatory")
        if info.max_length and len(value) > info.max_length:
            raise ValueError(f"{_describe(info)} is longer than {info.max_length} characters")
        return value
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
            return _as_date(value)
        except ValueError:
            raise ValueError(f"{_describe(info)} must be a date (YYYY-MM-DD)") from None
    if ftype is FieldType.DATETIME:
        try:
            moment = _as_datetime(value)
        except ValueError:
            raise ValueError(f"{_describe(info)} must be a date and time (ISO-8601)") from None
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return _moment_for(column, moment)
    if ftype is FieldType.LIST:
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ValueError(f"{_describe(info)} must be the key of an item of list "
                             f"{info.list_name}")
        try:
            return _native(column, str(value))
        except ValueError:
            raise ValueError(f"{_describe(info)}: {value!r} is not an item of list "
                             f"{info.list_name}") from None
    raise ValueError(f"{_describe(info)} cannot be written")


def _default_of(info: FieldInfo) -> Any:
    """A field's default (text in the descriptor) as a contract value."""
    text = info.default
    if info.type is FieldType.CHECKBOX:
        return text.strip().lower() in TRUE_TEXTS
    if info.type is FieldType.INTEGER:
        return int(text)
    if info.type is FieldType.DOUBLE:
        return float(text)
    return text


def _like_escape(text: str) -> str:
    return (text.replace(_ESCAPE, _ESCAPE * 2).replace("%", _ESCAPE + "%")
            .replace("_", _ESCAPE + "_"))


# ---- the bound connection --------------------------------------------------------------------

@dataclass
class _BoundActor:
    key: str
    spec: ActorSpec
    table: Table
    key_col: Column[Any]
    lm_col: Column[Any] | None
    fields: dict[str, FieldInfo]
    columns: dict[str, Column[Any]]
    parent_col: Column[Any] | None = None
    parent_type_col: Column[Any] | None = None
    deleted_col: Column[Any] | None = None
    live: ColumnElement[bool] | None = None  # the live-row condition of the soft-delete column
    live_value: Any = None  # what the soft-delete column of a new row holds

    @property
    def label(self) -> str:
        return self.spec.label or self.key

    def live_where(self) -> list[ColumnElement[bool]]:
        """WHERE conditions keeping live rows only (none without a soft-delete column)."""
        return [] if self.live is None else [self.live]

    def deleted_flag(self) -> ColumnElement[Any]:
        """A column expression that is true for a soft-deleted row, false for a live one."""
        if self.live is None:
            return sa.false()
        return sa.case((self.live, sa.false()), else_=sa.true())

    def pick(self, field_keys: Sequence[str]) -> list[FieldInfo]:
        if isinstance(field_keys, str):
            raise _Refusal("Field keys must be a list of keys, not one text.", "bad_fields")
        if not field_keys:
            return list(self.fields.values())
        unknown = [k for k in field_keys if k not in self.fields]
        if unknown:
            raise _Refusal(f"{self.key} has no field {unknown[0]!r}.", "unknown_field")
        return [self.fields[k] for k in field_keys]

    def parent_type_of(self, stored: Any) -> str:
        parent = self.spec.parent
        if parent is None:
            return ""
        if parent.type:
            return parent.type
        for actor_type, value in parent.types.items():
            if value == _key_text(stored):
                return actor_type
        return ""


@dataclass
class _BoundList:
    name: str
    table: Table
    key_col: Column[Any]
    text_col: Column[Any]
    order_col: Column[Any]


@dataclass
class _Bound:
    config: _Config
    engine: Engine
    descriptor: Descriptor
    actors: dict[str, _BoundActor]
    lists: dict[str, _BoundList]
    scope: str
    store: ChangeStore | None
    continuations: dict[tuple[str, tuple[str, str]], None] = field(default_factory=dict)

    def actor(self, actor_type: str) -> _BoundActor:
        bound = self.actors.get(actor_type)
        if bound is None:
            raise _Refusal(f"The descriptor has no actor type {actor_type!r}; use one of "
                           f"{', '.join(self.actors)}.", "unknown_actor_type")
        return bound

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _make_engine(config: _Config) -> Engine:
    kwargs: dict[str, Any] = {"hide_parameters": True}
    backend = config.url.get_backend_name()
    if backend == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    engine = sa.create_engine(config.url, **kwargs)
    if backend == "sqlite":
        @event.listens_for(engine, "connect")
        def _unicode_lower(dbapi_conn: Any, _record: Any) -> None:
            # SQLite's lower() folds ASCII only; case-insensitive search needs all of Unicode.
            dbapi_conn.create_function("lower", 1, _sqlite_lower, deterministic=True)
    return engine


def _bind(config: _Config, stores: Callable[[str], ChangeStore]) -> _Bound:
    """Load the descriptor, connect, reflect and check every identifier; raises _Refusal."""
    try:
        descriptor = load_descriptor(config.descriptor)
    except DescriptorError as exc:
        raise _Refusal(str(exc), "bad_descriptor") from None
    engine = _make_engine(config)
    try:
        return _reflect(config, engine, descriptor, stores)
    except _Refusal:
        engine.dispose()
        raise
    except SQLAlchemyError as exc:
        engine.dispose()
        raise _Refusal(f"Cannot connect to the database {config.safe_url}; check the URL, the "
                       f"password and that the server is running.", "cannot_connect",
                       _db_reason(exc)) from None
    except BaseException:
        engine.dispose()
        raise


def _reflect(config: _Config, engine: Engine, descriptor: Descriptor,
             stores: Callable[[str], ChangeStore]) -> _Bound:
    schema = descriptor.schema_
    inspector = inspect(engine)
    existing = set(inspector.get_table_names(schema=schema))
    existing |= set(inspector.get_view_names(schema=schema))
    wanted = {a.table for a in descriptor.actors.values()} | \
        {li.table for li in descriptor.lists.values()}
    missing = sorted(wanted - existing)
    if missing:
        where = f" in schema {schema}" if schema else ""
        raise _Refusal(f"The database has no table or view {', '.join(map(repr, missing))}"
                       f"{where}; fix the descriptor or the database.", "unknown_identifier")
    metadata = MetaData()
    tables = {name: Table(name, metadata, schema=schema, autoload_with=engine,
                          resolve_fks=False) for name in sorted(wanted)}
    problems: list[str] = []

    def col(table: Table, name: str | None) -> Column[Any] | None:
        if name is None:
            return None
        found = table.c.get(name)
        if found is None:
            problems.append(f"{table.name}.{name}")
        return found

    lists: dict[str, _BoundList] = {}
    for name, list_spec in descriptor.lists.items():
        table = tables[list_spec.table]
        key_col, text_col = col(table, list_spec.key), col(table, list_spec.text)
        order_col = col(table, list_spec.order) if list_spec.order else text_col
        if key_col is not None and text_col is not None and order_col is not None:
            lists[name] = _BoundList(name, table, key_col, text_col, order_col)
    actors: dict[str, _BoundActor] = {}
    bad_types: list[str] = []
    bad_flags: list[str] = []
    for actor_type, spec in descriptor.actors.items():
        table = tables[spec.table]
        key_col = col(table, spec.key)
        lm_col = col(table, spec.last_modified)
        if lm_col is not None and not isinstance(lm_col.type, sa.DateTime | sa.Date):
            bad_types.append(f"{table.name}.{lm_col.name}")
        deleted_col = col(table, spec.deleted)
        rule = soft_delete_rule(deleted_col) if deleted_col is not None else None
        if deleted_col is not None and rule is None:
            bad_flags.append(f"{table.name}.{deleted_col.name}")
        columns: dict[str, Column[Any]] = {}
        fields: dict[str, FieldInfo] = {}
        for field_key, fspec in spec.fields.items():
            column = col(table, spec.column_of(field_key))
            if column is None:
                continue
            columns[field_key] = column
            max_length = fspec.max_length
            if not max_length and fspec.type in (FieldType.TEXT, FieldType.PASSWORD):
                max_length = getattr(column.type, "length", None) or 0
            fields[field_key] = FieldInfo(
                key=field_key, label=fspec.label or field_key.replace("_", " ").capitalize(),
                description=fspec.description, type=fspec.type, list_name=fspec.list or "",
                default=fspec.default, max_length=max_length,
                access=FieldAccess.READ_ONLY if fspec.type is FieldType.LABEL
                else fspec.access)
        parent_col = parent_type_col = None
        if spec.parent is not None:
            parent_col = col(table, spec.parent.column)
            parent_type_col = col(table, spec.parent.type_column)
        if key_col is None:
            continue
        live, live_value = rule if rule is not None else (None, None)
        actors[actor_type] = _BoundActor(actor_type, spec, table, key_col, lm_col, fields,
                                         columns, parent_col, parent_type_col, deleted_col,
                                         live, live_value)
    if problems:
        raise _Refusal(f"The database has no column {', '.join(map(repr, problems))}; fix the "
                       f"descriptor or the database.", "unknown_identifier")
    if bad_types:
        raise _Refusal(f"Last-modified column {', '.join(map(repr, bad_types))} is not a date "
                       f"or timestamp column; choose another or leave it out.", "bad_descriptor")
    if bad_flags:
        raise _Refusal(f"Soft-delete column {', '.join(map(repr, bad_flags))} is not a boolean, "
                       f"number, date or timestamp column; choose another or leave it out.",
                       "bad_descriptor")
    needs_store = any(a.lm_col is None for a in actors.values())
    identity = f"{config.url.render_as_string(hide_password=True)}|{config.descriptor}"
    scope = hashlib.sha256(identity.encode()).hexdigest()[:32]
    store = None
    if needs_store:
        try:
            store = stores(config.state_url)
        except SQLAlchemyError as exc:
            raise _Refusal("The connector's state database (state_url) cannot be opened; check "
                           "the setting and that its directory is writable.", "state_database",
                           _db_reason(exc)) from None
    return _Bound(config, engine, descriptor, actors, lists, scope, store)


# ---- advanced search -------------------------------------------------------------------------

_Op = SearchOperator
_TEXT_OPS = {_Op.EQUALS, _Op.BEGINS, _Op.CONTAINS, _Op.ENDS, _Op.NOT_BEGINS, _Op.NOT_CONTAINS,
             _Op.NOT_ENDS, _Op.IS_NOT, _Op.NOT_EQUAL, _Op.BETWEEN}
_NUMBER_OPS = {_Op.EQUALS, _Op.GREATER, _Op.LESS, _Op.GREATER_EQUAL, _Op.LESS_EQUAL,
               _Op.NOT_EQUAL, _Op.IS_NOT, _Op.BETWEEN}
_BOOL_OPS = {_Op.EQUALS, _Op.NOT_EQUAL, _Op.IS_NOT}
_LIST_OPS = {_Op.ONE_OF, _Op.NOT_ONE_OF, _Op.EQUALS, _Op.NOT_EQUAL, _Op.IS_NOT}
_DATE_OPS = {_Op.EQUALS, _Op.BEFORE, _Op.AFTER, _Op.BEFORE_OR_EQUAL, _Op.AFTER_OR_EQUAL,
             _Op.BETWEEN, _Op.NOT_EQUAL, _Op.IS_NOT}
_OPS_BY_TYPE = {
    FieldType.TEXT: _TEXT_OPS, FieldType.PASSWORD: _TEXT_OPS, FieldType.LABEL: _TEXT_OPS,
    FieldType.INTEGER: _NUMBER_OPS, FieldType.DOUBLE: _NUMBER_OPS,
    FieldType.CHECKBOX: _BOOL_OPS, FieldType.LIST: _LIST_OPS, FieldType.DATE: _DATE_OPS,
    FieldType.DATETIME: _DATE_OPS,
}
_TEXTUAL = (FieldType.TEXT, FieldType.PASSWORD, FieldType.LABEL)


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        return datetime.fromisoformat(value.strip())
    raise ValueError(f"not a date and time: {value!r}")


def _search_value(info: FieldInfo, column: Column[Any], value: Any) -> Any:
    """A restriction value in stored form; ValueError when it does not fit the field type."""
    ftype = info.type
    if ftype in (FieldType.INTEGER, FieldType.DOUBLE):
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, int | float):
            return value
        text = str(value).strip()
        return int(text) if ftype is FieldType.INTEGER and text.lstrip("-").isdigit() \
            else float(text)
    if ftype is FieldType.CHECKBOX:
        return _as_bool(value, info.label)
    if ftype is FieldType.DATE:
        return _as_date(value)
    if ftype is FieldType.DATETIME:
        moment = _as_datetime(value)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return _moment_for(column, moment)
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError
    if ftype is FieldType.LIST:
        return _native(column, value)
    return value


def _restriction_clause(info: FieldInfo, column: Column[Any], restriction: Restriction
                        ) -> ColumnElement[bool]:
    """SQLAlchemy condition for one restriction (values always bound)."""
    op = restriction.operator
    if op not in _OPS_BY_TYPE.get(info.type, set()):
        raise _Refusal(f"Operator {op.value!r} cannot be used on {_describe(info)}, a "
                       f"{info.type.value} field.", "bad_operator")
    raw = list(restriction.values)
    needed = 2 if op is _Op.BETWEEN else None if op in (_Op.ONE_OF, _Op.NOT_ONE_OF) else 1
    if (needed is None and not raw) or (needed is not None and len(raw) != needed):
        count = "at least one value" if needed is None else \
            "two values" if needed == 2 else "exactly one value"
        raise _Refusal(f"Operator {op.value!r} on {_describe(info)} needs {count}.",
                       "bad_values")
    try:
        values = [_search_value(info, column, v) for v in raw]
    except (ValueError, _Refusal):
        raise _Refusal(f"A value for {_describe(info)} does not fit its type "
                       f"({info.type.value}).", "bad_values") from None
    expr: Any = column
    if info.type in _TEXTUAL:
        expr = sa.func.lower(sa.func.coalesce(column, ""))
        values = [v.lower() for v in values]
        if op in (_Op.BEGINS, _Op.CONTAINS, _Op.ENDS, _Op.NOT_BEGINS, _Op.NOT_CONTAINS,
                  _Op.NOT_ENDS):
            text = _like_escape(values[0])
            pattern = {_Op.BEGINS: f"{text}%", _Op.NOT_BEGINS: f"{text}%",
                       _Op.ENDS: f"%{text}", _Op.NOT_ENDS: f"%{text}"}.get(op, f"%{text}%")
            like = expr.like(pattern, escape=_ESCAPE)
            return like if op in (_Op.BEGINS, _Op.CONTAINS, _Op.ENDS) else sa.not_(like)
        if op is _Op.EQUALS:
            return expr == values[0]
        if op in (_Op.IS_NOT, _Op.NOT_EQUAL):
            return expr != values[0]
        return expr.between(values[0], values[1])
    if info.type is FieldType.CHECKBOX:
        expr = sa.func.coalesce(column, False)
        if op is _Op.EQUALS:
            return expr == values[0]
        return expr != values[0]
    if op is _Op.EQUALS:
        return column == values[0]
    if op in (_Op.IS_NOT, _Op.NOT_EQUAL):
        return or_(column.is_(None), column != values[0])
    if op is _Op.BETWEEN:
        return column.between(values[0], values[1])
    if op is _Op.ONE_OF:
        return column.in_(values)
    if op is _Op.NOT_ONE_OF:
        return or_(column.is_(None), column.not_in(values))
    compare = {_Op.GREATER: "__gt__", _Op.AFTER: "__gt__", _Op.LESS: "__lt__",
               _Op.BEFORE: "__lt__", _Op.GREATER_EQUAL: "__ge__", _Op.AFTER_OR_EQUAL: "__ge__",
               _Op.LESS_EQUAL: "__le__", _Op.BEFORE_OR_EQUAL: "__le__"}[op]
    return getattr(column, compare)(values[0])


# ---- the connector ---------------------------------------------------------------------------

class SqlConnector:
    """In-process connector for SQL databases (SQLite, PostgreSQL, MariaDB/MySQL)."""

    kind: ClassVar[str] = "sql"
    label: ClassVar[str] = "SQL database (SQLite, PostgreSQL, MariaDB/MySQL)"

    def __init__(self) -> None:
        self._values_by_id: dict[int, dict[str, Any]] = {}
        self._bound: dict[int, _Bound] = {}
        self._stores: dict[str, ChangeStore] = {}
        self._lock = threading.RLock()

    # -- configuration and connections ----------------------------------------------------

    @_guarded(ConfigFieldsResult)
    def config_fields(self) -> ConfigFieldsResult:
        """The fields needed to define a SQL connection."""
        T = FieldType
        return ConfigFieldsResult(fields=[
            FieldInfo(key="url", label="Database URL",
                      description="SQLAlchemy URL, e.g. postgresql+psycopg://erp@db.example/erp, "
                                  "mysql+pymysql://erp@db/erp or sqlite:////path/erp.sqlite. "
                                  "Leave the password out: use the Password field.",
                      type=T.TEXT, access=FieldAccess.MANDATORY),
            FieldInfo(key="password", label="Password",
                      description="Database password, put into the URL when connecting.",
                      type=T.PASSWORD),
            FieldInfo(key="descriptor", label="Descriptor file",
                      description="Path of the YAML file mapping actor types to tables "
                                  "(erp-tui connector scaffold-sql writes a first one).",
                      type=T.TEXT, access=FieldAccess.MANDATORY),
            FieldInfo(key="page_size", label="Page size",
                      description="Most actors read from the database in one call.",
                      type=T.INTEGER, default=str(DEFAULT_PAGE_SIZE)),
            FieldInfo(key="read_only", label="Read only",
                      description="Refuse all writes to the database.", type=T.CHECKBOX,
                      default="false"),
            FieldInfo(key="state_url", label="State database URL",
                      description="Where fingerprints of tables without a last-modified column "
                                  "are kept (default: a SQLite file next to the descriptor).",
                      type=T.TEXT),
        ])

    @_guarded(Result)
    def test_config(self, values: dict[str, Any]) -> Result:
        """OK when the database is reachable and has every table and column named."""
        config = _parse_config(values)
        bound = _bind(config, self._store)
        try:
            with bound.engine.connect() as conn:
                for actor in bound.actors.values():
                    conn.execute(select(actor.key_col).limit(1)).all()
        finally:
            bound.dispose()
        return Result(user_message=f"Connected to {config.safe_url}: {len(bound.actors)} actor "
                                   f"type(s) and {len(bound.lists)} list(s), every table and "
                                   f"column was found.")

    @_guarded(Result)
    def create_connection(self, connection_id: int, values: dict[str, Any]) -> Result:
        """Bind a connection id to its config values and check them against the database."""
        self._forget(connection_id)
        with self._lock:
            self._values_by_id[connection_id] = dict(values)
        self._get_bound(connection_id)
        return Result(user_message=f"Connection {connection_id} is bound to the SQL connector.")

    @_guarded(Result)
    def delete_connection(self, connection_id: int) -> Result:
        """Forget a connection id (its database connections are closed)."""
        known = self._forget(connection_id)
        if not known:
            raise _Refusal(self._unknown_message(connection_id), "unknown_connection")
        return Result(user_message=f"Connection {connection_id} was removed from the SQL "
                                   f"connector.")

    @_guarded(Result)
    def test_connection(self, connection_id: int) -> Result:
        """`test_config` of the values the connection was created with."""
        return self.test_config(self._values(connection_id))

    def close(self) -> None:
        """Close every database connection and state database (not part of the contract)."""
        with self._lock:
            for cid in list(self._values_by_id):
                self._forget(cid)
            for store in self._stores.values():
                store.dispose()
            self._stores.clear()

    # -- metadata -------------------------------------------------------------------------

    @_guarded(ActorTypesResult)
    def actor_types(self, connection_id: int) -> ActorTypesResult:
        """The actor types of the descriptor."""
        bound = self._get_bound(connection_id)
        return ActorTypesResult(actor_types=[
            ActorTypeInfo(key=a.key, label=a.label,
                          parent_types=a.spec.parent.parent_types if a.spec.parent else ())
            for a in bound.actors.values()])

    @_guarded(FieldsResult)
    def actor_fields(self, connection_id: int, actor_type: str) -> FieldsResult:
        """The fields of the actor type, in descriptor order."""
        actor = self._get_bound(connection_id).actor(actor_type)
        return FieldsResult(fields=list(actor.fields.values()))

    @_guarded(SearchableFieldsResult)
    def searchable_fields(self, connection_id: int, actor_type: str) -> SearchableFieldsResult:
        """Every field of the actor type can be used as a criterion."""
        actor = self._get_bound(connection_id).actor(actor_type)
        return SearchableFieldsResult(field_keys=list(actor.fields))

    @_guarded(ListItemsResult)
    def list_items(self, connection_id: int, list_name: str,
                   keys: Sequence[str] | None = None) -> ListItemsResult:
        """Key -> text of a whole list, or of the given keys that exist."""
        bound = self._get_bound(connection_id)
        spec = bound.lists.get(list_name)
        if spec is None:
            raise _Refusal(f"The descriptor has no list {list_name!r}.", "unknown_list")
        query = select(spec.key_col, spec.text_col).order_by(spec.order_col, spec.key_col)
        items: dict[str, str] = {}
        with bound.engine.connect() as conn:
            if keys is None:
                rows = conn.execute(query).all()
            else:
                natives = self._natives(spec.key_col, keys)
                rows = []
                for i in range(0, len(natives), _CHUNK):
                    rows += conn.execute(query.where(
                        spec.key_col.in_(natives[i:i + _CHUNK]))).all()
        for key, text in rows:
            items[_key_text(key)] = _key_text(text)
        if keys is not None:
            items = {k: items[k] for k in keys if k in items}
        return ListItemsResult(items=items)

    # -- reading --------------------------------------------------------------------------

    @_guarded(PageResult)
    def get_actors(self, connection_id: int, actor_type: str, keys: Sequence[str],
                   field_keys: Sequence[str]) -> PageResult:
        """Live actors by ERP key, in the order asked; unknown and soft-deleted keys are left
        out."""
        bound = self._get_bound(connection_id)
        actor = bound.actor(actor_type)
        fields = actor.pick(field_keys)
        if isinstance(keys, str):
            raise _Refusal("Keys must be a list of ERP keys, not one text.", "bad_keys")
        wanted = list(dict.fromkeys(str(k) for k in keys))
        page = self._fetch_by_keys(bound, actor, fields, wanted)
        return PageResult(page=page)

    @_guarded(PageResult)
    def actors_changed_since(self, connection_id: int, actor_type: str, cursor: Cursor,
                             field_keys: Sequence[str],
                             page_size: int = DEFAULT_PAGE_SIZE) -> PageResult:
        """Actors with (last_modified, erp_key) > cursor in that order, deleted ones included."""
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise _Refusal("Page size must be a whole number of at least 1.", "bad_page_size")
        if not isinstance(cursor, Cursor):
            cursor = Cursor.model_validate(cursor)
        bound = self._get_bound(connection_id)
        actor = bound.actor(actor_type)
        fields = actor.pick(field_keys)
        limit = min(page_size, bound.config.page_size, ActorPage.MAX_ROWS)
        if actor.lm_col is None:
            page = self._changed_by_fingerprint(bound, actor, fields, cursor, limit)
        else:
            page = self._changed_by_timestamp(bound, actor, fields, cursor, limit)
        if page.next_cursor is not None and cursor.as_tuple() == ("", ""):
            # A full first page of a read of everything (a first sync): how many actors the
            # whole read returns is one count away. Later pages leave it None.
            page.remaining = max(0, self._count_all(bound, actor) - limit)
        return PageResult(page=page)

    @_guarded(PageResult)
    def search_actors(self, connection_id: int, actor_type: str, text: str,
                      field_keys: Sequence[str]) -> PageResult:
        """Actors whose search fields contain `text` (case-insensitive)."""
        if not isinstance(text, str):
            raise _Refusal("The search text must be text.", "bad_values")
        bound = self._get_bound(connection_id)
        actor = bound.actor(actor_type)
        fields = actor.pick(field_keys)
        search_keys = actor.spec.search or [
            k for k, f in actor.fields.items() if f.type in _TEXTUAL]
        needle = text.strip().lower()
        if "\x00" in needle or not search_keys:
            where: ColumnElement[bool] = sa.false()
        else:
            pattern = f"%{_like_escape(needle)}%"
            where = or_(*[sa.func.lower(actor.columns[k]).like(pattern, escape=_ESCAPE)
                          for k in search_keys])
        page = self._fetch(bound, actor, fields, where=[where], order=[actor.key_col],
                           limit=SEARCH_LIMIT + 1)
        return self._search_result(page)

    @_guarded(PageResult)
    def search_actors_advanced(self, connection_id: int, actor_type: str,
                               restrictions: Sequence[Restriction],
                               field_keys: Sequence[str]) -> PageResult:
        """Actors meeting every restriction (values always bound as parameters)."""
        bound = self._get_bound(connection_id)
        actor = bound.actor(actor_type)
        fields = actor.pick(field_keys)
        conditions: list[ColumnElement[bool]] = []
        for restriction in restrictions:
            if not isinstance(restriction, Restriction):
                restriction = Restriction.model_validate(restriction)
            info = actor.fields.get(restriction.field_key)
            if info is None:
                raise _Refusal(f"{actor.key} has no field {restriction.field_key!r} to search "
                               f"on.", "unknown_field")
            conditions.append(_restriction_clause(info, actor.columns[info.key], restriction))
        page = self._fetch(bound, actor, fields, where=conditions, order=[actor.key_col],
                           limit=SEARCH_LIMIT + 1)
        return self._search_result(page)

    # -- writing --------------------------------------------------------------------------

    @_guarded(ActorResult)
    def create_actor(self, connection_id: int, actor: Actor) -> ActorResult:
        """Insert an actor; the result carries its ERP key and last_modified."""
        bound = self._get_bound(connection_id)
        self._refuse_writes(bound, connection_id)
        spec = bound.actor(actor.actor_type)
        with bound.engine.connect() as conn:
            values = self._checked_values(conn, bound, spec, [actor], creating=True)[0]
            values.update(self._checked_parent(conn, bound, spec, actor, required=True))
        if spec.key_col.name not in values and actor.erp_key:
            try:
                values[spec.key_col.name] = _native(spec.key_col, actor.erp_key)
            except ValueError:
                raise _Refusal(f"{actor.erp_key!r} is not a valid key for {spec.key}.",
                               "bad_key") from None
        if spec.key_col.name not in values and not spec.key_col.primary_key:
            raise _Refusal(f"A new {spec.key} needs its ERP key: the key column is not the "
                           f"table's primary key, so the database cannot number it.", "bad_key")
        self._touch(spec, values)
        self._born_live(spec, values)
        with bound.engine.begin() as conn:
            result = conn.execute(sa.insert(spec.table).values(values))
            if spec.key_col.name in values:
                key = values[spec.key_col.name]
            else:
                pk = result.inserted_primary_key
                names = [c.name for c in spec.table.primary_key.columns]
                key = pk[names.index(spec.key_col.name)] if pk is not None else None
        if key is None:
            raise _Refusal(f"The {spec.key} was inserted but the database did not report its "
                           f"key.", "no_key")
        page = self._fetch_by_keys(bound, spec, list(spec.fields.values()), [_key_text(key)])
        if not len(page):
            raise _Refusal(f"The new {spec.key} {_key_text(key)!r} cannot be read back.",
                           "no_key")
        return ActorResult(actor=page.actors()[0],
                           user_message=f"{spec.label} {_key_text(key)} was created.")

    @_guarded(ActorsResult)
    def save_actors(self, connection_id: int, actors: Sequence[Actor]) -> ActorsResult:
        """Update only the given values of existing actors; all or nothing."""
        bound = self._get_bound(connection_id)
        self._refuse_writes(bound, connection_id)
        by_type: dict[str, list[Actor]] = {}
        for actor in actors:
            if not isinstance(actor, Actor):
                actor = Actor.model_validate(actor)
            if actor.deleted:
                raise _Refusal(f"{actor.actor_type} {actor.erp_key!r} was not saved: the SQL "
                               f"connector cannot delete actors.", "not_supported")
            by_type.setdefault(actor.actor_type, []).append(actor)
        plans: list[tuple[_BoundActor, list[Any], list[dict[str, Any]]]] = []
        with bound.engine.connect() as conn:
            for actor_type, group in by_type.items():
                spec = bound.actor(actor_type)
                natives = []
                for actor in group:
                    try:
                        natives.append(_native(spec.key_col, actor.erp_key))
                    except ValueError:
                        raise _Refusal(f"{spec.key} {actor.erp_key!r} does not exist; nothing "
                                       f"was saved.", "unknown_actor") from None
                existing: dict[Any, bool] = {}  # native key -> soft-deleted
                for i in range(0, len(natives), _CHUNK):
                    existing.update((key, bool(gone)) for key, gone in conn.execute(
                        select(spec.key_col, spec.deleted_flag()).where(
                            spec.key_col.in_(natives[i:i + _CHUNK]))))
                for actor, native in zip(group, natives, strict=True):
                    if native not in existing:
                        raise _Refusal(f"{spec.key} {actor.erp_key!r} does not exist; nothing "
                                       f"was saved.", "unknown_actor")
                    if existing[native]:
                        raise _Refusal(f"{spec.key} {actor.erp_key!r} is deleted in the ERP; "
                                       f"nothing was saved.", "unknown_actor")
                rows = self._checked_values(conn, bound, spec, group, creating=False)
                for actor, row in zip(group, rows, strict=True):
                    row.update(self._checked_parent(conn, bound, spec, actor, required=False))
                    self._touch(spec, row)
                plans.append((spec, natives, rows))
        with bound.engine.begin() as conn:
            for spec, natives, rows in plans:
                self._update_rows(conn, spec, natives, rows)
        saved: list[Actor] = []
        for spec, natives, _rows in plans:
            page = self._fetch_by_keys(bound, spec, list(spec.fields.values()),
                                       [_key_text(n) for n in natives])
            saved += page.actors()
        return ActorsResult(actors=saved, user_message=f"{len(saved)} actor(s) saved.")

    # -- helpers: connections -------------------------------------------------------------

    @staticmethod
    def _unknown_message(connection_id: int) -> str:
        return (f"Connection {connection_id} is not known to the SQL connector; create the "
                f"connection first.")

    def _secrets(self) -> list[str]:
        with self._lock:
            found = [str(v.get("password") or "") for v in self._values_by_id.values()]
            found += [b.config.url.password or "" for b in self._bound.values()]
        return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)

    def _store(self, url: str) -> ChangeStore:
        with self._lock:
            store = self._stores.get(url)
            if store is None:
                store = self._stores[url] = ChangeStore(url)
            return store

    def _values(self, connection_id: int) -> dict[str, Any]:
        with self._lock:
            values = self._values_by_id.get(connection_id)
        if values is None:
            raise _Refusal(self._unknown_message(connection_id), "unknown_connection")
        return values

    def _forget(self, connection_id: int) -> bool:
        with self._lock:
            known = self._values_by_id.pop(connection_id, None) is not None
            bound = self._bound.pop(connection_id, None)
        if bound is not None:
            bound.dispose()
        return known

    def _get_bound(self, connection_id: int) -> _Bound:
        values = self._values(connection_id)
        with self._lock:
            bound = self._bound.get(connection_id)
            if bound is None:
                bound = _bind(_parse_config(values), self._store)
                self._bound[connection_id] = bound
            return bound

    @staticmethod
    def _refuse_writes(bound: _Bound, connection_id: int) -> None:
        if bound.config.read_only:
            raise _Refusal(f"Connection {connection_id} is read-only (the 'Read only' option is "
                           f"on); nothing was written.", "read_only")

    @staticmethod
    def _natives(column: Column[Any], keys: Sequence[str]) -> list[Any]:
        natives = []
        for key in keys:
            try:
                natives.append(_native(column, key))
            except (ValueError, TypeError):
                continue  # cannot be a key of this column: not found
        return natives

    # -- helpers: reading -----------------------------------------------------------------

    @staticmethod
    def _head(actor: _BoundActor) -> list[Column[Any]]:
        head = [actor.key_col]
        if actor.lm_col is not None:
            head.append(actor.lm_col)
        if actor.parent_col is not None:
            head.append(actor.parent_type_col if actor.parent_type_col is not None
                        else actor.parent_col)
            head.append(actor.parent_col)
        return head

    def _fetch(self, bound: _Bound, actor: _BoundActor, fields: Sequence[FieldInfo], *,
               where: Sequence[ColumnElement[bool]], order: Sequence[Any],
               limit: int | None = None, stamps: Mapping[str, str] | None = None,
               with_deleted: bool = False) -> ActorPage:
        """Live rows as a page (last_modified from the column or the state database); with
        `with_deleted`, soft-deleted rows too, marked deleted with values None."""
        head = self._head(actor)
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
        return self._page(bound, actor, fields, body, raw, stamps=stamps, flagged=flagged)

    def _page(self, bound: _Bound, actor: _BoundActor, fields: Sequence[FieldInfo],
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
        erp_keys = [_key_text(k) for k in columns[0]]
        if has_lm:
            last_modified = [_stamp_of(v) for v in columns[1]]
        else:
            if stamps is None:
                stamps = self._refresh(bound, actor, erp_keys, raw, base)
            last_modified = [stamps.get(k, "") for k in erp_keys]
        position = {f.key: base + i for i, f in enumerate(body)}
        converted: list[Sequence[Any]] = []
        for info in fields:
            column = columns[position[info.key]]
            convert = _reader(info.type, actor.columns[info.key])
            converted.append(list(map(convert, column)) if convert else column)
        rows: list[tuple[Value, ...]] = list(zip(*converted, strict=True)) if converted \
            else [()] * count
        parent_types: list[str] = []
        parent_keys: list[str] = []
        if has_parent:
            ptype_at = 1 + has_lm
            parent_keys = [_key_text(v) for v in columns[ptype_at + 1]]
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

    @staticmethod
    def _refresh(bound: _Bound, actor: _BoundActor, erp_keys: Sequence[str],
                 raw: Sequence[Any], base: int) -> dict[str, str]:
        """Stamps of rows of a fingerprinted table (issued where the values changed)."""
        if not raw or bound.store is None:
            return {}
        items = [(key, fingerprint(row[1:])) for key, row in zip(erp_keys, raw, strict=True)]
        return bound.store.refresh(bound.scope, actor.key, items)

    def _fetch_by_keys(self, bound: _Bound, actor: _BoundActor, fields: Sequence[FieldInfo],
                       keys: Sequence[str], stamps: Mapping[str, str] | None = None
                       ) -> ActorPage:
        natives = self._natives(actor.key_col, keys)
        if bound.engine.dialect.name == "postgresql" and natives:
            # One array parameter instead of thousands of IN parameters (much cheaper).
            from sqlalchemy.dialects.postgresql import ARRAY

            array = sa.bindparam("erp_keys", natives, type_=ARRAY(actor.key_col.type))
            pages = [self._fetch(bound, actor, fields, where=[actor.key_col == sa.any_(array)],
                                 order=[actor.key_col], stamps=stamps)]
        else:
            pages = [self._fetch(bound, actor, fields,
                                 where=[actor.key_col.in_(natives[i:i + _CHUNK])],
                                 order=[actor.key_col], stamps=stamps)
                     for i in range(0, len(natives), _CHUNK)]
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

    @staticmethod
    def _stamped(actor: _BoundActor) -> list[ColumnElement[bool]]:
        """The rows a read by timestamp sees at all: those with a last-modified value."""
        assert actor.lm_col is not None
        return [actor.lm_col.is_not(None)]

    def _count_all(self, bound: _Bound, actor: _BoundActor) -> int:
        """How many actors a read from the empty cursor returns in all (one count query)."""
        if actor.lm_col is None:
            # The read pages through the state table, disappeared rows included, which the
            # scan at the start of this read has just brought up to date with the table.
            assert bound.store is not None
            return bound.store.count(bound.scope, actor.key)
        # The read returns every stamped row, soft-deleted ones too (marked deleted): count
        # them with the same filter.
        query = select(sa.func.count()).select_from(actor.table).where(*self._stamped(actor))
        with bound.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def _changed_by_timestamp(self, bound: _Bound, actor: _BoundActor,
                              fields: Sequence[FieldInfo], cursor: Cursor, limit: int
                              ) -> ActorPage:
        lm_col = actor.lm_col
        assert lm_col is not None
        where = self._stamped(actor)
        if cursor.last_modified:
            try:
                moment = _moment_for(lm_col, parse_stamp(cursor.last_modified))
            except ValueError:
                raise _Refusal(f"Cursor {cursor.last_modified!r} is not an ISO-8601 time.",
                               "bad_cursor") from None
            if cursor.erp_key:
                try:
                    key = _native(actor.key_col, cursor.erp_key)
                except ValueError:
                    raise _Refusal(f"Cursor key {cursor.erp_key!r} is not a key of "
                                   f"{actor.key}.", "bad_cursor") from None
                where.append(or_(lm_col > moment, and_(lm_col == moment, actor.key_col > key)))
            else:
                where.append(lm_col >= moment)
        page = self._fetch(bound, actor, fields, where=where, order=[lm_col, actor.key_col],
                           limit=limit, with_deleted=True)
        if len(page) == limit:
            page.next_cursor = Cursor(last_modified=page.last_modified[-1],
                                      erp_key=page.erp_keys[-1])
        return page

    def _scan(self, bound: _Bound, actor: _BoundActor) -> int:
        """Compare every row's fingerprint with the state; issue stamps for changes."""
        assert bound.store is not None
        head = self._head(actor)
        columns = [*head, *[actor.columns[k] for k in actor.fields]]
        query = select(*columns).where(*actor.live_where())  # soft-deleted rows count as gone
        with bound.engine.connect() as conn:
            result = conn.execution_options(yield_per=_SCAN_BATCH).execute(query)

            def batches() -> Iterator[list[tuple[str, str]]]:
                for part in result.partitions():
                    yield [(_key_text(row[0]), fingerprint(row[1:])) for row in part]

            return bound.store.scan(bound.scope, actor.key, batches())

    def _changed_by_fingerprint(self, bound: _Bound, actor: _BoundActor,
                                fields: Sequence[FieldInfo], cursor: Cursor, limit: int
                                ) -> ActorPage:
        assert bound.store is not None
        after = cursor.as_tuple()
        token = (actor.key, after)
        with self._lock:
            continuing = bound.continuations.pop(token, "no") is None
        if not continuing:
            self._scan(bound, actor)
        entries = bound.store.page(bound.scope, actor.key, after, limit)
        live = [key for key, _lm, deleted in entries if not deleted]
        # Stamps come from the state page: values read now are at least as new as the scan.
        known = {key: lm for key, lm, deleted in entries if not deleted}
        base_page = self._fetch_by_keys(bound, actor, fields, live, known) if live else None
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
        page = ActorPage.trusted(
            actor_type=actor.key, field_keys=tuple(f.key for f in fields), erp_keys=erp_keys,
            last_modified=stamps, rows=rows, parent_types=ptypes if has_parent else [],
            parent_keys=pkeys if has_parent else [], deleted=deleted_flags)
        if len(entries) == limit:
            last = (entries[-1][1], entries[-1][0])
            page.next_cursor = Cursor(last_modified=last[0], erp_key=last[1])
            with self._lock:
                bound.continuations[(actor.key, last)] = None
                while len(bound.continuations) > 64:
                    bound.continuations.pop(next(iter(bound.continuations)))
        return page

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

    # -- helpers: writing -----------------------------------------------------------------

    @staticmethod
    def _touch(actor: _BoundActor, values: dict[str, Any]) -> None:
        if actor.lm_col is not None and actor.spec.set_last_modified:
            now = datetime.now(UTC).replace(tzinfo=None)
            values[actor.lm_col.name] = _moment_for(actor.lm_col, now)

    @staticmethod
    def _born_live(actor: _BoundActor, values: dict[str, Any]) -> None:
        """Give a new row's soft-delete column its live value (false/0) when the database has
        no default for it (a NOT NULL flag without default would refuse the insert)."""
        column = actor.deleted_col
        if column is not None and actor.live_value is not None and \
                column.server_default is None and column.computed is None:
            values[column.name] = actor.live_value

    @staticmethod
    def _checked_values(conn: Connection, bound: _Bound, target: _BoundActor,
                        group: Sequence[Actor], *, creating: bool) -> list[dict[str, Any]]:
        """Column -> stored value per actor (only the fields sent), or a refusal."""
        verb = "created" if creating else "saved"
        list_values: dict[str, set[Any]] = {}
        rows: list[dict[str, Any]] = []
        problems: list[str] = []
        for actor in group:
            who = actor.actor_type if creating else f"{actor.actor_type} {actor.erp_key!r}"
            mine: list[str] = []
            row: dict[str, Any] = {}
            for key, value in actor.values.items():
                info = target.fields.get(key)
                if info is None:
                    mine.append(f"there is no field {key!r}")
                    continue
                if info.read_only:
                    mine.append(f"{_describe(info)} is read-only in the ERP")
                    continue
                column = target.columns[key]
                try:
                    stored = _to_stored(info, column, value)
                except ValueError as exc:
                    mine.append(str(exc))
                    continue
                if info.type is FieldType.LIST and stored is not None:
                    list_values.setdefault(info.list_name, set()).add(stored)
                row[column.name] = stored
            if creating:
                for info in target.fields.values():
                    if info.key in actor.values:
                        continue
                    column = target.columns[info.key]
                    if info.mandatory:
                        mine.append(f"{_describe(info)} is mandatory")
                    elif info.default and not info.read_only:
                        try:
                            stored = _to_stored(info, column, _default_of(info))
                        except ValueError as exc:
                            mine.append(f"default: {exc}")
                            continue
                        if info.type is FieldType.LIST and stored is not None:
                            list_values.setdefault(info.list_name, set()).add(stored)
                        row[column.name] = stored
            if mine:
                problems.append(f"{who} was not {verb}: {'; '.join(mine)}")
            rows.append(row)
        if problems:
            raise _Refusal(". ".join(problems[:5]) + ".", "invalid_values")
        for list_name, wanted in list_values.items():
            spec = bound.lists[list_name]
            natives = list(wanted)
            found: set[str] = set()
            for i in range(0, len(natives), _CHUNK):
                try:
                    keys = [_native(spec.key_col, _key_text(v)) for v in natives[i:i + _CHUNK]]
                except ValueError:
                    keys = []
                found.update(_key_text(k) for k in conn.execute(select(spec.key_col).where(
                    spec.key_col.in_(keys))).scalars())
            unknown = sorted(_key_text(v) for v in wanted if _key_text(v) not in found)
            if unknown:
                raise _Refusal(f"{', '.join(map(repr, unknown[:5]))} is not an item of list "
                               f"{list_name}; nothing was {verb}.", "invalid_values")
        return rows

    @staticmethod
    def _checked_parent(conn: Connection, bound: _Bound, actor: _BoundActor, sent: Actor, *,
                        required: bool) -> dict[str, Any]:
        parent = actor.spec.parent
        if parent is None or actor.parent_col is None:
            if sent.parent_erp_key or sent.parent_actor_type:
                raise _Refusal(f"A {actor.key} cannot sit under another actor.", "bad_parent")
            return {}
        if not sent.parent_erp_key and not sent.parent_actor_type:
            if required and not actor.parent_col.nullable:
                raise _Refusal(f"A {actor.key} must sit under a "
                               f"{' or '.join(parent.parent_types)}; give its parent.",
                               "bad_parent")
            return {}
        if sent.parent_actor_type not in parent.parent_types:
            raise _Refusal(f"A {actor.key} can only sit under a "
                           f"{' or '.join(parent.parent_types)}.", "bad_parent")
        parent_actor = bound.actor(sent.parent_actor_type)
        try:
            native = _native(parent_actor.key_col, sent.parent_erp_key)
            exists = conn.execute(select(parent_actor.key_col).where(
                parent_actor.key_col == native, *parent_actor.live_where())).first() is not None
        except ValueError:
            exists = False
        if not exists:
            raise _Refusal(f"Parent {sent.parent_actor_type} {sent.parent_erp_key!r} does not "
                           f"exist in the ERP.", "bad_parent")
        out = {actor.parent_col.name: _native(actor.parent_col, sent.parent_erp_key)}
        if actor.parent_type_col is not None:
            out[actor.parent_type_col.name] = parent.types[sent.parent_actor_type]
        return out

    @staticmethod
    def _update_rows(conn: Connection, actor: _BoundActor, natives: Sequence[Any],
                     rows: Sequence[dict[str, Any]]) -> None:
        """UPDATE the rows, batched by the set of columns sent (executemany)."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for native, row in zip(natives, rows, strict=True):
            if not row:
                continue
            names = tuple(sorted(row))
            params = {f"v{i}": row[name] for i, name in enumerate(names)}
            params["k0"] = native
            groups.setdefault(names, []).append(params)
        for names, batch in groups.items():
            stmt = (sa.update(actor.table)
                    .where(actor.key_col == sa.bindparam("k0"), *actor.live_where())
                    .values({actor.table.c[name]: sa.bindparam(f"v{i}")
                             for i, name in enumerate(names)}))
            result = conn.execute(stmt, batch)
            if conn.dialect.supports_sane_multi_rowcount and result.rowcount != len(batch):
                raise _Refusal(f"Some {actor.key} actors disappeared while saving; nothing was "
                               f"saved.", "unknown_actor")
