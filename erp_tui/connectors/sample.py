"""`SampleConnector`: the connector contract over an embedded sample ERP file.

The ERP is a plain SQLite file made by `sample_data.generate_sample_erp`. Every call opens its
own `sqlite3` connection (calls may come from any thread) and closes it before returning.
Problems come back as failure results, never as exceptions.

Notes on the contract as implemented here:

* An empty `field_keys` sequence means "all fields of the actor type".
* `actors_changed_since` uses the smaller of its `page_size` argument and the connection's
  configured page size, and never returns actors changed before the configured `sync_from`.
* Searches return at most `SEARCH_LIMIT` actors (state `ok_with_info` when there were more).
* `save_actors` is all-or-nothing: if any actor is refused, nothing is written.
"""

from __future__ import annotations

import gc
import hmac
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import Any, ClassVar

from erp_tui.connectors import sample_data as sd
from erp_tui.connectors.base import (
    PATTERN_OPERATORS,
    ConnectorBase,
    as_settings,
    as_whole,
    check_actor_values,
    check_restriction,
    check_value,
    like_escape,
    page_size_setting,
    read_only_setting,
    restriction_fields,
    search_value,
    setting,
)
from erp_tui.connectors.base import Refusal as _Refusal
from erp_tui.connectors.base import as_bool as _as_bool
from erp_tui.connectors.base import as_date as _as_date
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
    SearchableFieldsResult,
    SearchOperator,
    Value,
)
from erp_tui.i18n import N_, msg

SEARCH_LIMIT = 1000
"""Most actors a simple or advanced search returns."""

DEFAULT_PAGE_SIZE = 5000

_ENVIRONMENTS = {"production": "Production", "test": "Test"}
_ENVIRONMENTS_NL = {"production": "Productie", "test": "Test"}


# ---- configuration ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Config:
    database: Path
    api_key: str
    environment: str
    page_size: int
    read_only: bool
    sync_from: date | None


def _parse_config(values: Mapping[str, Any]) -> _Config:
    """Check and normalise config values; raises _Refusal with one clear sentence."""
    values = as_settings(values)
    database = values.get("database")
    if database is None or not str(database).strip():
        raise _Refusal(msg("Fill in the path of the ERP database file."), "config")
    api_key = values.get("api_key")
    if not isinstance(api_key, str) or not api_key:
        raise _Refusal(msg("Fill in the API key of the sample ERP."), "config")
    environment = str(values.get("environment") or "production").strip()
    if environment not in _ENVIRONMENTS:
        raise _Refusal(msg("Environment must be one of: {names}.",
                           names=', '.join(_ENVIRONMENTS)), "config")
    page_size = as_whole(values.get("page_size"), N_("Page size"), DEFAULT_PAGE_SIZE, 1,
                         ActorPage.MAX_ROWS)
    read_only = _as_bool(values.get("read_only"), N_("Read only"))
    raw_from = values.get("sync_from")
    sync_from = None
    if raw_from not in (None, ""):
        try:
            sync_from = _as_date(raw_from)
        except ValueError:
            raise _Refusal(msg("Sync from must be a date written as YYYY-MM-DD."),
                           "config") from None
    return _Config(database=Path(str(database).strip()).expanduser(), api_key=api_key,
                   environment=environment, page_size=page_size, read_only=read_only,
                   sync_from=sync_from)


def _open_checked(config: _Config, *, read_only: bool) -> sqlite3.Connection:
    """Open the ERP file, check its schema and the api key; raises _Refusal."""
    path = config.database
    if not path.is_file():
        raise _Refusal(msg("ERP database {path} does not exist; check the path.",
                           path=path), "not_found")
    try:
        conn = sd.open_erp(path, read_only=read_only)
    except sqlite3.Error as exc:
        raise _Refusal(msg("ERP database {path} cannot be opened; check the file and its "
                           "permissions.",
                           path=path), "cannot_open", str(exc)) from None
    try:
        try:
            rows = dict(conn.execute(
                "SELECT key, value FROM settings WHERE key IN ('schema', 'api_key')"))
        except sqlite3.DatabaseError as exc:
            raise _Refusal(msg("{path} is not a sample ERP database; choose a file made by the "
                               "sample ERP generator.",
                               path=path), "bad_schema", str(exc)) from None
        if rows.get("schema") != sd.SCHEMA_ID:
            raise _Refusal(msg("{path} is not a sample ERP database; choose a file made by the "
                               "sample ERP generator.",
                               path=path), "bad_schema")
        if not hmac.compare_digest(str(rows.get("api_key", "")).encode(),
                                   config.api_key.encode()):
            raise _Refusal(msg("The API key is not accepted by the ERP database {path}; copy the "
                               "key from the ERP's settings.",
                               path=path), "bad_api_key")
    except BaseException:
        conn.close()
        raise
    return conn


# ---- values ----------------------------------------------------------------------------------

class _DateCache(dict[Any, Any]):
    """ISO text -> date, memoised; None stays None (maps a column without per-row Python)."""

    LIMIT: ClassVar[int] = 100_000

    def __missing__(self, key: Any) -> Any:
        value = None if key is None else date.fromisoformat(key)
        if len(self) >= self.LIMIT:
            self.clear()
        self[key] = value
        return value


_DATES = _DateCache()


def _bool_or_none(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _column_converter(field: FieldInfo) -> Callable[[Any], Any] | None:
    if field.type is FieldType.CHECKBOX:
        return _bool_or_none
    if field.type is FieldType.DATE:
        return _DATES.__getitem__
    if field.type is FieldType.DOUBLE:
        return lambda v: None if v is None else float(v)
    return None


def _check_value(field: FieldInfo, value: Any, list_keys: Mapping[str, set[str]]) -> Any:
    """A typed value checked against its field, in stored form; raises ValueError(reason)."""
    checked = check_value(field, value, list_keys)
    if field.type is FieldType.CHECKBOX:
        return 1 if checked else 0
    if isinstance(checked, date):
        return checked.isoformat()
    return checked


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


# ---- advanced search -------------------------------------------------------------------------

_Op = SearchOperator
_COMPARE_SQL = {_Op.GREATER: ">", _Op.LESS: "<", _Op.GREATER_EQUAL: ">=", _Op.LESS_EQUAL: "<=",
                _Op.AFTER: ">", _Op.BEFORE: "<", _Op.AFTER_OR_EQUAL: ">=",
                _Op.BEFORE_OR_EQUAL: "<="}


def _search_value(field: FieldInfo, value: Any) -> Any:
    """A restriction value in stored form; ValueError when it does not fit the field type."""
    checked = search_value(field, value)
    if field.type is FieldType.CHECKBOX:
        return 1 if checked else 0
    if isinstance(checked, date):
        return checked.isoformat()
    return checked


def _restriction_sql(field: FieldInfo, expr: str, restriction: Restriction
                     ) -> tuple[str, list[Any]]:
    """SQL condition and its parameters for one restriction on `expr` (a column or subquery)."""
    op = restriction.operator
    values = check_restriction(field, restriction, _search_value)
    is_text = field.type in (FieldType.TEXT, FieldType.PASSWORD)
    if is_text and not all(v.isascii() for v in values):
        # NOCASE and LIKE fold ASCII only: compare case-folded text instead.
        expr = f"erp_fold({expr})"
        values = [v.casefold() for v in values]
    if is_text and op in PATTERN_OPERATORS:
        text = like_escape(values[0])
        pattern = {_Op.BEGINS: f"{text}%", _Op.NOT_BEGINS: f"{text}%",
                   _Op.ENDS: f"%{text}", _Op.NOT_ENDS: f"%{text}"}.get(op, f"%{text}%")
        if op in (_Op.BEGINS, _Op.CONTAINS, _Op.ENDS):
            return f"{expr} LIKE ? ESCAPE '\\'", [pattern]
        return f"COALESCE({expr}, '') NOT LIKE ? ESCAPE '\\'", [pattern]
    if op is _Op.EQUALS:
        if is_text:
            return f"COALESCE({expr}, '') = ? COLLATE NOCASE", values
        if field.type is FieldType.CHECKBOX:
            return f"COALESCE({expr}, 0) = ?", values
        return f"{expr} = ?", values
    if op in (_Op.IS_NOT, _Op.NOT_EQUAL):
        if is_text:
            return f"COALESCE({expr}, '') <> ? COLLATE NOCASE", values
        if field.type is FieldType.CHECKBOX:
            return f"COALESCE({expr}, 0) <> ?", values
        return f"{expr} IS NOT ?", values
    if op is _Op.BETWEEN:
        low, high = values
        if is_text:
            return f"{expr} COLLATE NOCASE BETWEEN ? AND ?", [low, high]
        return f"{expr} BETWEEN ? AND ?", [low, high]
    if op in (_Op.ONE_OF, _Op.NOT_ONE_OF):
        marks = ", ".join("?" for _ in values)
        if op is _Op.ONE_OF:
            return f"{expr} IN ({marks})", values
        return f"COALESCE({expr}, '') NOT IN ({marks})", values
    return f"{expr} {_COMPARE_SQL[op]} ?", values


# ---- the connector ---------------------------------------------------------------------------

@dataclass
class _Session:
    """One call's view of the ERP: open connection, config, actor spec and fields."""

    conn: sqlite3.Connection
    config: _Config
    connection_id: int

    def spec(self, actor_type: str) -> sd.ActorSpec:
        spec = sd.ACTOR_SPECS.get(actor_type)
        if spec is None:
            raise _Refusal(msg("The sample ERP has no actor type {actor_type!r}; use one of "
                               "{names}.",
                               actor_type=actor_type,
                               names=', '.join(sd.ACTOR_SPECS)), "unknown_actor_type")
        return spec

    def fields(self, spec: sd.ActorSpec) -> dict[str, FieldInfo]:
        fields = spec.field_map
        for extra in sd.load_extra_fields(self.conn, spec.key):
            fields.setdefault(extra.key, extra)
        return fields

    def pick(self, spec: sd.ActorSpec, field_keys: Sequence[str]) -> list[FieldInfo]:
        fields = self.fields(spec)
        if isinstance(field_keys, str):
            raise _Refusal(msg("Field keys must be a list of keys, not one text."), "bad_fields")
        if not field_keys:
            return list(fields.values())
        unknown = [k for k in field_keys if k not in fields]
        if unknown:
            raise _Refusal(msg("{key} has no field {unknown!r}.",
                               key=spec.key, unknown=unknown[0]), "unknown_field")
        return [fields[k] for k in field_keys]

    def refuse_writes(self) -> None:
        if self.config.read_only:
            raise _Refusal(msg("Connection {connection_id} is read-only (the 'Refuse all writes' "
                               "option is on); nothing was written.",
                               connection_id=self.connection_id), "read_only")


class SampleConnector(ConnectorBase):
    """In-process connector for the embedded sample ERP (a SQLite file)."""

    kind: ClassVar[str] = "sample"
    label: ClassVar[str] = "Sample ERP (embedded SQLite)"
    labels: ClassVar[dict[str, str]] = {"nl": "Voorbeeld-ERP (ingebouwde SQLite)"}
    connector_name: ClassVar[str] = N_("sample connector")
    storage_errors: ClassVar[tuple[type[BaseException], ...]] = (sqlite3.Error,)
    storage_message: ClassVar[str] = ("The sample ERP database could not be read or written; "
                                      "see the technical message for the cause.")
    search_limit: ClassVar[int] = SEARCH_LIMIT
    # A second instance (in the runner's page-reader process) reads the same file.
    reads_in_worker_process: ClassVar[bool] = True

    # -- configuration and connections ----------------------------------------------------

    def config_fields(self) -> ConfigFieldsResult:
        """The fields needed to define a sample ERP connection."""
        T = FieldType
        return ConfigFieldsResult(fields=[
            setting("database", "ERP database", "Path of the sample ERP's SQLite file.",
                    ("ERP-database", "Pad naar het SQLite-bestand van het voorbeeld-ERP."),
                    type=T.TEXT, access=FieldAccess.MANDATORY),
            setting("api_key", "API key",
                    "Key the ERP expects from every client (see its settings).",
                    ("API-sleutel",
                     "Sleutel die het ERP van elke client verwacht (zie de instellingen ervan)."),
                    type=T.PASSWORD, access=FieldAccess.MANDATORY),
            setting("environment", "Environment",
                    "Which environment of the ERP this connection talks to.",
                    ("Omgeving", "Met welke omgeving van het ERP deze verbinding werkt."),
                    type=T.LIST, default="production", options=dict(_ENVIRONMENTS),
                    option_labels={"nl": dict(_ENVIRONMENTS_NL)}),
            page_size_setting("the ERP", DEFAULT_PAGE_SIZE),
            read_only_setting("the ERP"),
            setting("sync_from", "Sync from",
                    "Ignore ERP changes made before this date (optional).",
                    ("Synchroniseren vanaf",
                     "Negeer wijzigingen in het ERP van vóór deze datum (optioneel)."),
                    type=T.DATE),
        ])

    def test_config(self, values: dict[str, Any]) -> Result:
        """OK when the file exists, is a sample ERP and accepts the API key."""
        config = _parse_config(values)
        conn = _open_checked(config, read_only=True)
        try:
            row = conn.execute("SELECT value FROM settings WHERE key = 'company_name'"
                               ).fetchone()
        finally:
            conn.close()
        company = row[0] if row else "an unnamed company"
        return Result(user_message=msg("Connected to the sample ERP of {company} ({environment}).",
                                       company=company, environment=config.environment))

    # -- metadata -------------------------------------------------------------------------

    def actor_types(self, connection_id: int) -> ActorTypesResult:
        """Customer, Supplier, Person (under a customer or supplier) and Project."""
        with self._session(connection_id):
            pass
        return ActorTypesResult(actor_types=[
            ActorTypeInfo(key=s.key, label=s.label, parent_types=s.parent_types,
                          labels={"nl": s.label_nl})
            for s in sd.ACTOR_SPECS.values()])

    def actor_fields(self, connection_id: int, actor_type: str) -> FieldsResult:
        """Standard fields of the actor type followed by its extra fields."""
        with self._session(connection_id) as session:
            fields = session.fields(session.spec(actor_type))
        return FieldsResult(fields=list(fields.values()))

    def searchable_fields(self, connection_id: int, actor_type: str) -> SearchableFieldsResult:
        """Every field of the actor type can be used as a criterion."""
        with self._session(connection_id) as session:
            fields = session.fields(session.spec(actor_type))
        return SearchableFieldsResult(field_keys=list(fields))

    def list_items(self, connection_id: int, list_name: str,
                   keys: Sequence[str] | None = None) -> ListItemsResult:
        """Key -> text of a whole ERP list, or of the given keys that exist."""
        with self._session(connection_id) as session:
            rows = session.conn.execute(
                "SELECT key, text FROM list_item WHERE list_name = ? ORDER BY position",
                (list_name,)).fetchall()
        if not rows:
            raise _Refusal(msg("The sample ERP has no list {list_name!r}.",
                               list_name=list_name), "unknown_list")
        items = dict(rows)
        if keys is not None:
            items = {k: items[k] for k in keys if k in items}
        return ListItemsResult(items=items, labels={"nl": sd.LISTS_NL.get(list_name, {})})

    # -- reading --------------------------------------------------------------------------

    def get_actors(self, connection_id: int, actor_type: str, keys: Sequence[str],
                   field_keys: Sequence[str]) -> PageResult:
        """Live (not deleted) actors by ERP key, in the order asked; unknown keys left out."""
        with self._session(connection_id) as session:
            spec = session.spec(actor_type)
            fields = session.pick(spec, field_keys)
            wanted = list(dict.fromkeys(str(k) for k in keys))
            page = self._read_page(
                session, spec, fields,
                from_sql=f"json_each(?) j JOIN {spec.table} t ON t.erp_key = j.value",
                where="t.deleted = 0", params=[json.dumps(wanted)], order="j.key")
        return PageResult(page=page)

    def actors_changed_since(self, connection_id: int, actor_type: str, cursor: Cursor,
                             field_keys: Sequence[str],
                             page_size: int = DEFAULT_PAGE_SIZE) -> PageResult:
        """Actors with (last_modified, erp_key) > cursor in that order, deleted ones included."""
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise _Refusal(msg("Page size must be a whole number of at least 1."), "bad_page_size")
        with self._session(connection_id) as session:
            spec = session.spec(actor_type)
            fields = session.pick(spec, field_keys)
            limit = min(page_size, session.config.page_size, ActorPage.MAX_ROWS)
            after = cursor.as_tuple()
            if session.config.sync_from is not None:
                start = (f"{session.config.sync_from.isoformat()}T00:00:00.000000Z", "")
                after = max(after, start)
            page = self._read_page(
                session, spec, fields, from_sql=f"{spec.table} t",
                where="(t.last_modified, t.erp_key) > (?, ?)", params=list(after),
                order="t.last_modified, t.erp_key", limit=limit, with_deleted=True)
            if len(page) == limit and after == ("", ""):
                # Reading everything (a first sync): the table's size is cheap to tell.
                total = session.conn.execute(f"SELECT count(*) FROM {spec.table}").fetchone()
                page.remaining = max(0, int(total[0]) - limit)
        if len(page) == limit:
            page.next_cursor = Cursor(last_modified=page.last_modified[-1],
                                      erp_key=page.erp_keys[-1])
        return PageResult(page=page)

    def search_actors(self, connection_id: int, actor_type: str, text: str,
                      field_keys: Sequence[str]) -> PageResult:
        """Actors whose name-like fields contain `text` (case-insensitive)."""
        if not isinstance(text, str):
            raise _Refusal(msg("The search text must be text."), "bad_values")
        with self._session(connection_id) as session:
            spec = session.spec(actor_type)
            fields = session.pick(spec, field_keys)
            needle = text.strip()
            if "\x00" in needle:
                # SQLite patterns end at a NUL character; no name contains one.
                needle, where_false = "", True
            else:
                where_false = False
            if needle.isascii():
                # LIKE is case-insensitive for ASCII, which is all the pattern holds.
                exprs = [f"({c})" for c in spec.search_columns]
            else:
                needle = needle.casefold()
                session.conn.create_function("erp_fold", 1, _fold, deterministic=True)
                exprs = [f"erp_fold({c})" for c in spec.search_columns]
            pattern = f"%{like_escape(needle)}%"
            where = " OR ".join(f"{e} LIKE ? ESCAPE '\\'" for e in exprs)
            page = self._read_page(
                session, spec, fields, from_sql=f"{spec.table} t",
                where=f"t.deleted = 0 AND ({where}){' AND 0' if where_false else ''}",
                params=[pattern] * len(exprs),
                order="t.rowid", limit=SEARCH_LIMIT + 1)
        return self.search_result(page)

    def search_actors_advanced(self, connection_id: int, actor_type: str,
                               restrictions: Sequence[Restriction],
                               field_keys: Sequence[str]) -> PageResult:
        """Live actors meeting every restriction (values always bound as parameters)."""
        with self._session(connection_id) as session:
            spec = session.spec(actor_type)
            fields = session.pick(spec, field_keys)
            known = session.fields(spec)
            session.conn.create_function("erp_fold", 1, _fold, deterministic=True)
            conditions = ["t.deleted = 0"]
            params: list[Any] = []
            standard = spec.field_map
            for field, restriction in restriction_fields(restrictions, known, spec.key):
                if field.key in standard:
                    expr, expr_params = f"t.{field.key}", []
                else:
                    expr = ("(SELECT ev.value FROM extra_value ev WHERE ev.actor_type = ? "
                            "AND ev.erp_key = t.erp_key AND ev.field_key = ?)")
                    expr_params = [spec.key, field.key]
                condition, values = _restriction_sql(field, expr, restriction)
                # The expression may occur once in the condition; its parameters come first.
                conditions.append(condition)
                params += expr_params * condition.count(expr) + values
            page = self._read_page(
                session, spec, fields, from_sql=f"{spec.table} t",
                where=" AND ".join(conditions), params=params, order="t.rowid",
                limit=SEARCH_LIMIT + 1)
        return self.search_result(page)

    # -- writing --------------------------------------------------------------------------

    def create_actor(self, connection_id: int, actor: Actor) -> ActorResult:
        """Create an actor; the result carries its new ERP key, number and last_modified."""
        with self._session(connection_id, write=True) as session:
            session.refuse_writes()
            spec = session.spec(actor.actor_type)
            fields = session.fields(spec)
            db_values = self._checked_values(session, fields, actor, creating=True)
            parent = self._checked_parent(session, spec, actor, required=True)
            conn = session.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                (stamp,) = sd.next_timestamps(conn, 1)
                erp_key = sd.insert_actor(conn, spec.key, db_values, stamp, parent=parent)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            page = self._read_page(
                session, spec, list(fields.values()), from_sql=f"{spec.table} t",
                where="t.erp_key = ?", params=[erp_key], order="t.rowid")
        return ActorResult(actor=page.actors()[0],
                           user_message=msg("{label} {erp_key} was created.",
                                            label=spec.label, erp_key=erp_key))

    def save_actors(self, connection_id: int, actors: Sequence[Actor]) -> ActorsResult:
        """Update the given values of existing actors; all or nothing."""
        with self._session(connection_id, write=True) as session:
            session.refuse_writes()
            plans = []
            for actor in actors:
                spec = session.spec(actor.actor_type)
                if actor.deleted:
                    raise _Refusal(msg("{key} {erp_key!r} was not saved: the sample connector "
                                       "cannot delete actors.",
                                       key=spec.key, erp_key=actor.erp_key), "not_supported")
                fields = session.fields(spec)
                live = session.conn.execute(
                    f"SELECT deleted FROM {spec.table} WHERE erp_key = ?",
                    (actor.erp_key,)).fetchone()
                if live is None:
                    raise _Refusal(msg("{actor} {key!r} does not exist; nothing was saved.",
                                       actor=spec.key, key=actor.erp_key), "unknown_actor")
                if live[0]:
                    raise _Refusal(msg("{actor} {key!r} is deleted in the ERP; nothing was "
                                       "saved.", actor=spec.key, key=actor.erp_key),
                                   "unknown_actor")
                db_values = self._checked_values(session, fields, actor, creating=False)
                parent = self._checked_parent(session, spec, actor, required=False)
                plans.append((spec, fields, actor.erp_key, db_values, parent))
            conn = session.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                stamps = sd.next_timestamps(conn, len(plans))
                for (spec, _f, erp_key, db_values, parent), stamp in zip(plans, stamps,
                                                                         strict=True):
                    if not sd.write_actor(conn, spec.key, erp_key, db_values, stamp,
                                          parent=parent):
                        raise _Refusal(msg("{key} {erp_key!r} disappeared while saving; nothing "
                                           "was saved.",
                                           key=spec.key, erp_key=erp_key), "unknown_actor")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            saved = []
            for spec, fields, erp_key, _v, _p in plans:
                page = self._read_page(
                    session, spec, list(fields.values()), from_sql=f"{spec.table} t",
                    where="t.erp_key = ?", params=[erp_key], order="t.rowid")
                saved += page.actors()
        return ActorsResult(actors=saved, user_message=msg("{count} actor(s) saved.",
                                                           count=len(saved)))

    # -- helpers --------------------------------------------------------------------------

    @contextmanager
    def _session(self, connection_id: int, *, write: bool = False) -> Iterator[_Session]:
        config = _parse_config(self.connection_values(connection_id))
        conn = _open_checked(config, read_only=not write)
        try:
            yield _Session(conn=conn, config=config, connection_id=connection_id)
        finally:
            conn.close()

    @staticmethod
    def _read_page(session: _Session, spec: sd.ActorSpec, fields: Sequence[FieldInfo], *,
                   from_sql: str, where: str, params: Sequence[Any], order: str,
                   limit: int | None = None, with_deleted: bool = False) -> ActorPage:
        """One page as parallel columns; type conversion per column, not per row."""
        standard = spec.field_map
        std_fields = [f for f in fields if f.key in standard]
        has_parent = bool(spec.parent_types)
        head = ["t.erp_key", "t.last_modified", "t.deleted"]
        if has_parent:
            head += ["t.parent_type", "t.parent_key"]
        select = head + [f"t.{f.key}" for f in std_fields]
        sql = f"SELECT {', '.join(select)} FROM {from_sql} WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with _gc_paused():
            return _build_page(session, spec, fields, std_fields, head, select, sql, params,
                               with_deleted)

    @staticmethod
    def _checked_values(session: _Session, fields: Mapping[str, FieldInfo], actor: Actor, *,
                        creating: bool) -> dict[str, Any]:
        """Values in stored form, or a refusal naming every problem."""
        lists = {f.list_name for f in fields.values() if f.type is FieldType.LIST}
        list_keys: dict[str, set[str]] = {name: set() for name in lists}
        if lists:
            marks = ", ".join("?" for _ in lists)
            for name, key in session.conn.execute(
                    f"SELECT list_name, key FROM list_item WHERE list_name IN ({marks})",
                    sorted(lists)):
                list_keys[name].add(key)
        return check_actor_values(fields, actor,
                                  lambda field, value: _check_value(field, value, list_keys),
                                  creating=creating)

    @staticmethod
    def _checked_parent(session: _Session, spec: sd.ActorSpec, actor: Actor, *,
                        required: bool) -> tuple[str, str] | None:
        if not spec.parent_types:
            if actor.parent_erp_key or actor.parent_actor_type:
                raise _Refusal(msg("A {key} cannot sit under another actor.",
                                   key=spec.key), "bad_parent")
            return None
        if not actor.parent_erp_key and not actor.parent_actor_type:
            if required:
                raise _Refusal(msg("A {key} must sit under a {names}; give its parent.",
                                   key=spec.key, names=' or '.join(spec.parent_types)),
                               "bad_parent")
            return None
        if actor.parent_actor_type not in spec.parent_types:
            raise _Refusal(msg("A {key} can only sit under a {names}.",
                               key=spec.key, names=' or '.join(spec.parent_types)), "bad_parent")
        parent_spec = sd.ACTOR_SPECS[actor.parent_actor_type]
        row = session.conn.execute(f"SELECT deleted FROM {parent_spec.table} WHERE erp_key = ?",
                                   (actor.parent_erp_key,)).fetchone()
        if row is None or row[0]:
            raise _Refusal(msg("Parent {parent_actor_type} {parent_erp_key!r} does not exist in "
                               "the ERP.",
                               parent_actor_type=actor.parent_actor_type,
                               parent_erp_key=actor.parent_erp_key), "bad_parent")
        return (actor.parent_actor_type, actor.parent_erp_key)


def _extra_columns(conn: sqlite3.Connection, actor_type: str, erp_keys: Sequence[str],
                   fields: Sequence[FieldInfo]) -> dict[str, list[Any]]:
    """Columns of extra-field values for the given actors (None where there is no value)."""
    count = len(erp_keys)
    columns: dict[str, list[Any]] = {f.key: [None] * count for f in fields}
    if not count:
        return columns
    index = {key: i for i, key in enumerate(erp_keys)}
    converters = {f.key: _column_converter(f) for f in fields}
    rows = conn.execute(
        "SELECT erp_key, field_key, value FROM extra_value WHERE actor_type = ? AND erp_key IN "
        "(SELECT value FROM json_each(?))", (actor_type, json.dumps(list(index)))).fetchall()
    for erp_key, field_key, value in rows:
        column = columns.get(field_key)
        if column is not None:
            convert = converters[field_key]
            column[index[erp_key]] = convert(value) if convert else value
    return columns


def _build_page(session: _Session, spec: sd.ActorSpec, fields: Sequence[FieldInfo],
                std_fields: Sequence[FieldInfo], head: Sequence[str], select: Sequence[str],
                sql: str, params: Sequence[Any], with_deleted: bool) -> ActorPage:
    """Run the page query and shape its rows into page columns (see `_read_page`)."""
    standard = spec.field_map
    has_parent = bool(spec.parent_types)
    raw = session.conn.execute(sql, list(params)).fetchall()
    count = len(raw)
    base = len(head)
    erp_keys = list(map(itemgetter(0), raw))
    rows: list[tuple[Value, ...]]
    extra_fields = [f for f in fields if f.key not in standard]
    convert = [i for i, f in enumerate(std_fields)
               if f.type in (FieldType.CHECKBOX, FieldType.DATE)]
    if not std_fields and not extra_fields:
        rows = [()] * count
    elif not extra_fields and not convert:
        # Fast path: the stored values are already the typed values; one slice per row.
        rows = list(map(itemgetter(slice(base, None)), raw))
    else:
        columns: list[Sequence[Any]] = list(zip(*raw, strict=True)) if raw else \
            [()] * len(select)
        by_key: dict[str, Sequence[Any]] = {}
        for i, field in enumerate(std_fields):
            column = columns[base + i]
            if field.type is FieldType.CHECKBOX:
                column = tuple(map(bool, column))  # stored NOT NULL 0/1
            elif field.type is FieldType.DATE:
                column = tuple(map(_DATES.__getitem__, column))
            by_key[field.key] = column
        if extra_fields:
            by_key.update(_extra_columns(session.conn, spec.key, erp_keys, extra_fields))
        rows = list(zip(*[by_key[f.key] for f in fields], strict=True))
    return ActorPage.trusted(
        actor_type=spec.key,
        field_keys=tuple(f.key for f in fields),
        erp_keys=erp_keys,
        last_modified=list(map(itemgetter(1), raw)),
        rows=rows,
        parent_types=list(map(itemgetter(3), raw)) if has_parent else [],
        parent_keys=list(map(itemgetter(4), raw)) if has_parent else [],
        deleted=list(map(bool, map(itemgetter(2), raw))) if with_deleted
        else [False] * count,
    )


_gc_lock = threading.Lock()
_gc_depth = 0
_gc_was_enabled = False


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a page is built.

    A page allocates tens of thousands of tuples that cannot form cycles; letting the collector
    chase them costs a quarter of the read time. Nested and concurrent pauses are counted, and
    the collector is re-enabled only if it was enabled when the first pause began.
    """
    global _gc_depth, _gc_was_enabled
    with _gc_lock:
        if _gc_depth == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_was_enabled:
                gc.enable()
