"""A connection bound to its database: the descriptor loaded, the engine made, every table and
column of the descriptor reflected and checked (`bind`)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Column, Engine, MetaData, Table, event, inspect, or_
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from erp_tui.connectors.base import Refusal
from erp_tui.connectors.sql.changes import ChangeStore
from erp_tui.connectors.sql.descriptor import (
    ActorSpec,
    Descriptor,
    DescriptorError,
    load_descriptor,
)
from erp_tui.connectors.sql.settings import SqlSettings
from erp_tui.connectors.sql.values import key_text
from erp_tui.contract import FieldAccess, FieldInfo, FieldType
from erp_tui.i18n import msg


def db_reason(exc: BaseException) -> str:
    """The database driver's own error (type and text) behind a SQLAlchemy error."""
    orig = getattr(exc, "orig", None)
    return f"{type(orig or exc).__name__}: {orig or exc}"


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


@dataclass
class BoundActor:
    """An actor type of the descriptor with its reflected table and columns."""

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
        """The actor type's label (its key when the descriptor gives none)."""
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
        """The fields asked for (all of them for an empty sequence); raises Refusal."""
        if isinstance(field_keys, str):
            raise Refusal(msg("Field keys must be a list of keys, not one text."), "bad_fields")
        if not field_keys:
            return list(self.fields.values())
        unknown = [k for k in field_keys if k not in self.fields]
        if unknown:
            raise Refusal(msg("{key} has no field {unknown!r}.",
                              key=self.key, unknown=unknown[0]), "unknown_field")
        return [self.fields[k] for k in field_keys]

    def parent_type_of(self, stored: Any) -> str:
        """The parent's actor type for a stored parent-type value ("" when none)."""
        parent = self.spec.parent
        if parent is None:
            return ""
        if parent.type:
            return parent.type
        for actor_type, value in parent.types.items():
            if value == key_text(stored):
                return actor_type
        return ""


@dataclass
class BoundList:
    """A list of the descriptor with its reflected table and columns."""

    name: str
    table: Table
    key_col: Column[Any]
    text_col: Column[Any]
    order_col: Column[Any]
    # The column of the text per language ("nl" -> column).
    text_cols: dict[str, Column[Any]] = field(default_factory=dict)


@dataclass
class BoundConnection:
    """Everything one connection reads and writes through."""

    settings: SqlSettings
    engine: Engine
    descriptor: Descriptor
    actors: dict[str, BoundActor]
    lists: dict[str, BoundList]
    scope: str  # this database and descriptor's rows in the state database
    store: ChangeStore | None
    # Next-page cursors of fingerprint reads handed out: their read needs no new scan.
    continuations: dict[tuple[str, tuple[str, str]], None] = field(default_factory=dict)
    continuations_lock: threading.Lock = field(default_factory=threading.Lock)

    def actor(self, actor_type: str) -> BoundActor:
        """The bound actor type; raises Refusal for one the descriptor does not have."""
        bound = self.actors.get(actor_type)
        if bound is None:
            raise Refusal(msg("The descriptor has no actor type {actor_type!r}; use one of "
                              "{names}.",
                              actor_type=actor_type,
                              names=', '.join(self.actors)), "unknown_actor_type")
        return bound

    def dispose(self) -> None:
        """Close the database connections."""
        self.engine.dispose()


def _sqlite_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def make_engine(settings: SqlSettings) -> Engine:
    """The SQLAlchemy engine of a connection (SQLite's lower() folding all of Unicode)."""
    kwargs: dict[str, Any] = {"hide_parameters": True}
    backend = settings.url.get_backend_name()
    if backend == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    engine = sa.create_engine(settings.url, **kwargs)
    if backend == "sqlite":
        @event.listens_for(engine, "connect")
        def _unicode_lower(dbapi_conn: Any, _record: Any) -> None:
            # SQLite's lower() folds ASCII only; case-insensitive search needs all of Unicode.
            dbapi_conn.create_function("lower", 1, _sqlite_lower, deterministic=True)
    return engine


def bind(settings: SqlSettings, stores: Callable[[str], ChangeStore]) -> BoundConnection:
    """Load the descriptor, connect, reflect and check every identifier; raises Refusal."""
    try:
        descriptor = load_descriptor(settings.descriptor)
    except DescriptorError as exc:
        raise Refusal(str(exc), "bad_descriptor") from None
    engine = make_engine(settings)
    try:
        return _reflect(settings, engine, descriptor, stores)
    except Refusal:
        engine.dispose()
        raise
    except SQLAlchemyError as exc:
        engine.dispose()
        raise Refusal(msg("Cannot connect to the database {safe_url}; check the URL, the "
                          "password and that the server is running.",
                          safe_url=settings.safe_url), "cannot_connect",
                      db_reason(exc)) from None
    except BaseException:
        engine.dispose()
        raise


class _ColumnFinder:
    """Looks up descriptor column names in reflected tables and collects the missing ones."""

    def __init__(self) -> None:
        self.missing: list[str] = []

    def __call__(self, table: Table, name: str | None) -> Column[Any] | None:
        if name is None:
            return None
        found = table.c.get(name)
        if found is None:
            self.missing.append(f"{table.name}.{name}")
        return found


def _reflect(settings: SqlSettings, engine: Engine, descriptor: Descriptor,
             stores: Callable[[str], ChangeStore]) -> BoundConnection:
    tables = _reflect_tables(engine, descriptor)
    col = _ColumnFinder()
    lists: dict[str, BoundList] = {}
    for name, list_spec in descriptor.lists.items():
        table = tables[list_spec.table]
        key_col, text_col = col(table, list_spec.key), col(table, list_spec.text)
        order_col = col(table, list_spec.order) if list_spec.order else text_col
        text_cols = {language: col(table, column) for language, column
                     in list_spec.texts.items()}
        if key_col is not None and text_col is not None and order_col is not None:
            lists[name] = BoundList(name, table, key_col, text_col, order_col,
                                    {k: c for k, c in text_cols.items() if c is not None})
    actors: dict[str, BoundActor] = {}
    bad_types: list[str] = []
    bad_flags: list[str] = []
    for actor_type, spec in descriptor.actors.items():
        bound = _bind_actor(actor_type, spec, tables[spec.table], col)
        if bound is None:
            continue
        if bound.lm_col is not None and not isinstance(bound.lm_col.type,
                                                       sa.DateTime | sa.Date):
            bad_types.append(f"{bound.table.name}.{bound.lm_col.name}")
        if bound.deleted_col is not None and bound.live is None:
            bad_flags.append(f"{bound.table.name}.{bound.deleted_col.name}")
        actors[actor_type] = bound
    if col.missing:
        raise Refusal(msg("The database has no column {names}; fix the descriptor or the "
                          "database.",
                          names=', '.join(map(repr, col.missing))), "unknown_identifier")
    if bad_types:
        raise Refusal(msg("Last-modified column {names} is not a date or timestamp column; "
                          "choose another or leave it out.",
                          names=', '.join(map(repr, bad_types))), "bad_descriptor")
    if bad_flags:
        raise Refusal(msg("Soft-delete column {names} is not a boolean, number, date or "
                          "timestamp column; choose another or leave it out.",
                          names=', '.join(map(repr, bad_flags))),
                      "bad_descriptor")
    identity = f"{settings.url.render_as_string(hide_password=True)}|{settings.descriptor}"
    scope = hashlib.sha256(identity.encode()).hexdigest()[:32]
    store = None
    if any(a.lm_col is None for a in actors.values()):
        try:
            store = stores(settings.state_url)
        except SQLAlchemyError as exc:
            raise Refusal(msg("The connector's state database (state_url) cannot be opened; "
                              "check the setting and that its directory is writable."),
                          "state_database",
                          db_reason(exc)) from None
    return BoundConnection(settings, engine, descriptor, actors, lists, scope, store)


def _reflect_tables(engine: Engine, descriptor: Descriptor) -> dict[str, Table]:
    """The tables and views the descriptor names, reflected; raises Refusal for missing ones."""
    schema = descriptor.schema_
    inspector = inspect(engine)
    existing = set(inspector.get_table_names(schema=schema))
    existing |= set(inspector.get_view_names(schema=schema))
    wanted = {a.table for a in descriptor.actors.values()} | \
        {li.table for li in descriptor.lists.values()}
    missing = sorted(wanted - existing)
    if missing:
        names = ", ".join(map(repr, missing))
        if schema:
            raise Refusal(msg("The database has no table or view {names} in schema {schema}; fix "
                              "the descriptor or the database.", names=names, schema=schema),
                          "unknown_identifier")
        raise Refusal(msg("The database has no table or view {names}; fix the descriptor or the "
                          "database.", names=names), "unknown_identifier")
    metadata = MetaData()
    return {name: Table(name, metadata, schema=schema, autoload_with=engine,
                        resolve_fks=False) for name in sorted(wanted)}


def _bind_actor(actor_type: str, spec: ActorSpec, table: Table,
                col: _ColumnFinder) -> BoundActor | None:
    """One actor type bound to its table (None without its key column; `col` notes which
    columns are missing)."""
    key_col = col(table, spec.key)
    lm_col = col(table, spec.last_modified)
    deleted_col = col(table, spec.deleted)
    rule = soft_delete_rule(deleted_col) if deleted_col is not None else None
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
            labels=fspec.labels, description=fspec.description,
            descriptions=fspec.descriptions, type=fspec.type, list_name=fspec.list or "",
            default=fspec.default, max_length=max_length,
            access=FieldAccess.READ_ONLY if fspec.type is FieldType.LABEL
            else fspec.access)
    parent_col = parent_type_col = None
    if spec.parent is not None:
        parent_col = col(table, spec.parent.column)
        parent_type_col = col(table, spec.parent.type_column)
    if key_col is None:
        return None
    live, live_value = rule if rule is not None else (None, None)
    return BoundActor(actor_type, spec, table, key_col, lm_col, fields, columns, parent_col,
                      parent_type_col, deleted_col, live, live_value)
