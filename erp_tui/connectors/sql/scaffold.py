"""A first descriptor reflected from a database (`erp-tui connector scaffold-sql URL`).

Every table with a primary key of one column becomes an actor type. Column types are mapped to
field types; a timestamp column whose name says "updated/modified/changed" becomes the
last-modified column; a boolean, number, date or timestamp column named like is_deleted,
deleted or deleted_at becomes the soft-delete column (`deleted`); a foreign key to a small
table (at most `LIST_ROW_LIMIT` rows) that has a text-like column becomes a list field. Such
small lookup tables (at most four columns) are lists only, not actor types. The result is a
starting point to edit, not a final mapping.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine, MetaData, Table, func, inspect, select

from erp_tui.connectors.sql.connector import soft_delete_rule
from erp_tui.connectors.sql.descriptor import dump_descriptor, parse_descriptor
from erp_tui.contract import FieldType

LIST_ROW_LIMIT = 1000
_LM_NAME = re.compile(r"(updated|modified|changed|mutated|last_?mod|mtime|timestamp|rowversion)",
                      re.IGNORECASE)
_DELETED_NAME = re.compile(
    r"(is_?)?(deleted|deletion)(_?(at|on|date|time|timestamp|flag))?|del_?flag", re.IGNORECASE)
_TEXT_NAME = re.compile(r"(name|description|descr|text|title|label|omschrijving|naam)",
                        re.IGNORECASE)
_PERSON_NAME = re.compile(r"(person|contact)", re.IGNORECASE)


def field_type_of(column_type: sa.types.TypeEngine[Any]) -> FieldType:
    """The contract field type closest to a reflected column type."""
    if isinstance(column_type, sa.Boolean):
        return FieldType.CHECKBOX
    if isinstance(column_type, sa.DateTime):
        return FieldType.DATETIME
    if isinstance(column_type, sa.Date):
        return FieldType.DATE
    if isinstance(column_type, sa.Integer):
        display = getattr(column_type, "display_width", None)
        return FieldType.CHECKBOX if display == 1 else FieldType.INTEGER
    if isinstance(column_type, sa.Numeric | sa.Float):
        return FieldType.DOUBLE
    return FieldType.TEXT


def _is_text(column: sa.Column[Any]) -> bool:
    return isinstance(column.type, sa.String | sa.Text | sa.Enum)


def actor_name(table: str) -> str:
    """customer_contacts -> CustomerContact (CamelCase, a trailing plural s dropped)."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", table) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Actor"
    if name.endswith("ies"):
        name = name[:-3] + "y"
    elif name.endswith("s") and not name.endswith("ss"):
        name = name[:-1]
    return name if name[0].isalpha() else f"T{name}"


def _text_column(table: Table, key: str) -> sa.Column[Any] | None:
    texts = [c for c in table.columns if _is_text(c) and c.name != key]
    named = [c for c in texts if _TEXT_NAME.search(c.name)]
    found = named or texts
    return found[0] if found else None


def _small(engine: Engine, table: Table) -> bool:
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(
            select(sa.literal(1)).select_from(table).limit(LIST_ROW_LIMIT + 1).subquery()
        )).scalar_one()
    return bool(count <= LIST_ROW_LIMIT)


def scaffold(engine: Engine, schema: str | None = None) -> dict[str, Any]:
    """A descriptor mapping (ready for `dump_descriptor`) reflected from the database."""
    metadata = MetaData()
    metadata.reflect(bind=engine, schema=schema, views=False, resolve_fks=False)
    inspector = inspect(engine)
    tables = {str(t.name): t for t in metadata.tables.values()}
    lists: dict[str, dict[str, Any]] = {}
    list_tables: dict[str, str] = {}  # table -> list name

    def list_for(target: str, target_key: str) -> str | None:
        if target in list_tables:
            return list_tables[target]
        table = tables.get(target)
        if table is None:
            return None
        text = _text_column(table, target_key)
        if text is None or not _small(engine, table):
            return None
        list_tables[target] = target
        lists[target] = {"table": target, "key": str(target_key), "text": str(text.name)}
        return target

    list_fields: dict[tuple[str, str], str] = {}
    parents: dict[str, tuple[str, str]] = {}  # table -> (parent table, column)
    for name, table in tables.items():
        for fk in inspector.get_foreign_keys(name, schema=schema):
            columns = fk.get("constrained_columns") or []
            referred = fk.get("referred_columns") or []
            if len(columns) != 1 or len(referred) != 1:
                continue
            target = str(fk["referred_table"])
            if _PERSON_NAME.search(name) and target != name and name not in parents and \
                    len(tables.get(target, table).columns) > 4:
                parents[name] = (target, str(columns[0]))
                continue
            list_name = list_for(target, str(referred[0]))
            if list_name is not None:
                list_fields[(name, str(columns[0]))] = list_name
    lookup_only = {t for t in list_tables if len(tables[t].columns) <= 4}
    actors: dict[str, dict[str, Any]] = {}
    names_used: set[str] = set()
    for name, table in sorted(tables.items()):
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or name in lookup_only:
            continue
        key = str(keys[0].name)
        actor = actor_name(name)
        while actor in names_used:
            actor += "_"
        names_used.add(actor)
        lm = next((str(c.name) for c in table.columns
                   if isinstance(c.type, sa.DateTime) and _LM_NAME.search(c.name)
                   and not _DELETED_NAME.fullmatch(c.name)), None)
        deleted = next((str(c.name) for c in table.columns
                        if _DELETED_NAME.fullmatch(c.name) and c.name not in (key, lm)
                        and soft_delete_rule(c) is not None), None)
        fields: dict[str, Any] = {}
        search: list[str] = []
        parent = parents.get(name)
        for column in table.columns:
            if column.name in (key, lm, deleted) or (parent and column.name == parent[1]):
                continue
            field: dict[str, Any] = {}
            list_name = list_fields.get((name, column.name))
            ftype = FieldType.LIST if list_name else field_type_of(column.type)
            field["type"] = ftype.value
            if list_name:
                field["list"] = list_name
            field["label"] = column.name.replace("_", " ").capitalize()
            if ftype is FieldType.TEXT:
                length = getattr(column.type, "length", None)
                if length:
                    field["max_length"] = int(length)
                if _TEXT_NAME.search(column.name) and len(search) < 3:
                    search.append(str(column.name))
            if not column.nullable and column.server_default is None:
                field["access"] = "mandatory"
            fields[str(column.name)] = field
        entry: dict[str, Any] = {"label": actor, "table": name, "key": key}
        if lm:
            entry["last_modified"] = lm
        if deleted:
            entry["deleted"] = deleted
        if parent and parent[0] in tables:
            entry["parent"] = {"type": actor_name(parent[0]), "column": parent[1]}
        if search:
            entry["search"] = search
        entry["fields"] = fields
        actors[actor] = entry
    # A parent must be an actor type of the descriptor.
    for entry in actors.values():
        parent_entry = entry.get("parent")
        if parent_entry and parent_entry["type"] not in actors:
            del entry["parent"]
    data: dict[str, Any] = {"version": 1}
    if schema:
        data["schema"] = schema
    data["lists"] = lists
    data["actors"] = actors
    return data


HEADER = """\
# Descriptor of the erp-tui SQL connector, written by `erp-tui connector scaffold-sql`.
# Review it: rename actor types (Customer, Supplier, Person, Project), drop tables you do not
# sync, set labels, mandatory fields and lists. Tables without `last_modified` are
# fingerprinted (changes detected by the connector). See docs/sql-connector.md.
"""


def scaffold_text(url: str, schema: str | None = None) -> str:
    """The descriptor YAML text for the database at `url` (raises on connection errors)."""
    engine = sa.create_engine(url, hide_parameters=True)
    try:
        data = scaffold(engine, schema)
    finally:
        engine.dispose()
    if data["actors"]:
        parse_descriptor(data, "The scaffolded descriptor")  # it must load as written
    return HEADER + dump_descriptor(data)
