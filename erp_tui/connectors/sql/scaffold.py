"""A first descriptor reflected from a database (`erp-tui connector scaffold-sql URL`).

A table with a primary key of one column becomes an actor type when its name says which type
the CRM syncs (customers, clients → Customer; suppliers, vendors → Supplier; contacts,
persons → Person; projects → Project; partners → Partner); every other table is left out with
a comment saying why (an employee or order table is not synced). Column types are mapped to
field types; binary columns are left out (with a comment); a timestamp column whose name says
"updated/modified/changed" becomes the last-modified column; a boolean, number, date or
timestamp column named like is_deleted, deleted or deleted_at becomes the soft-delete column
(`deleted`); a foreign key to a small code table (at most `LIST_ROW_LIMIT` rows, a text column
of at most `LIST_TEXT_LIMIT` characters, not itself an actor type) becomes a list field. Such
lookup tables with at most four columns are lists only. The result is a starting point to
edit, not a final mapping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine, MetaData, Table, func, inspect, select

from erp_tui.connectors.sql.binding import soft_delete_rule
from erp_tui.connectors.sql.descriptor import dump_descriptor, parse_descriptor
from erp_tui.contract import SYNCED_ACTOR_TYPES, UNSYNCED_ACTOR_TYPES, FieldType

LIST_ROW_LIMIT = 200
LIST_TEXT_LIMIT = 100
# Other names ERPs give the actor types the CRM syncs (singular, lower case, no separators).
ACTOR_SYNONYMS = {
    "client": "Customer", "debtor": "Customer", "debiteur": "Customer", "klant": "Customer",
    "vendor": "Supplier", "creditor": "Supplier",
    "crediteur": "Supplier", "leverancier": "Supplier", "contact": "Person",
    "contactperson": "Person", "persoon": "Person", "people": "Person", "relation": "Partner",
}
_LM_NAME = re.compile(r"(updated|modified|changed|mutated|last_?mod|mtime|timestamp|rowversion)",
                      re.IGNORECASE)
_DELETED_NAME = re.compile(
    r"(is_?)?(deleted|deletion)(_?(at|on|date|time|timestamp|flag))?|del_?flag", re.IGNORECASE)
_TEXT_NAME = re.compile(r"(name|description|descr|text|title|label|omschrijving|naam)",
                        re.IGNORECASE)


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


def _is_binary(column: sa.Column[Any]) -> bool:
    """bytea, BLOB, (VAR)BINARY and the like: nothing a CRM field can hold."""
    if isinstance(column.type, sa.LargeBinary | sa.BINARY | sa.VARBINARY):
        return True
    try:
        return column.type.python_type is bytes
    except NotImplementedError:
        return False


def syncable_actor(table: str) -> tuple[str, str]:
    """The actor type drafted for `table` and, when the CRM would not sync it, why not ("")."""
    name = actor_name(table)
    known = next((a for a in SYNCED_ACTOR_TYPES if a.lower() == name.lower()), None)
    name = known or ACTOR_SYNONYMS.get(name.lower(), name)
    if name in UNSYNCED_ACTOR_TYPES:
        return name, f"'{name}' is an actor type the CRM never syncs"
    if name not in SYNCED_ACTOR_TYPES:
        return name, (f"'{name}' is not an actor type the CRM syncs "
                      f"({', '.join(SYNCED_ACTOR_TYPES)}); to sync the table, add it "
                      "under actors: with one of those names")
    return name, ""


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


def _rows(engine: Engine, table: Table, limit: int) -> int:
    """How many rows `table` has, counted up to `limit` + 1."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(
            select(sa.literal(1)).select_from(table).limit(limit + 1).subquery()
        )).scalar_one())


def _code_table_problem(engine: Engine, table: Table, text: sa.Column[Any]) -> str:
    """Why `table` is not a small code table to make a list of ("" when it is one)."""
    rows = _rows(engine, table, LIST_ROW_LIMIT)
    if rows > LIST_ROW_LIMIT:
        return f"it has more than {LIST_ROW_LIMIT} rows"
    length = getattr(text.type, "length", None)
    if length is None or length > LIST_TEXT_LIMIT:
        with engine.connect() as conn:
            longest = conn.execute(select(func.max(func.length(text)))).scalar()
        if longest is not None and int(longest) > LIST_TEXT_LIMIT:
            return f"its text column {text.name} holds texts over {LIST_TEXT_LIMIT} characters"
    return ""


def scaffold(engine: Engine, schema: str | None = None) -> dict[str, Any]:
    """A descriptor mapping (ready for `dump_descriptor`) reflected from the database."""
    return scaffold_with_notes(engine, schema)[0]


def scaffold_with_notes(engine: Engine, schema: str | None = None
                        ) -> tuple[dict[str, Any], list[str]]:
    """The descriptor mapping and one note per table, column or list left out (and why)."""
    metadata = MetaData()
    metadata.reflect(bind=engine, schema=schema, views=False, resolve_fks=False)
    tables = {str(t.name): t for t in metadata.tables.values()}
    drafted, left_out = _draft_actor_tables(tables)
    lists = _ListDrafter(engine, tables, drafted)
    links = _follow_foreign_keys(inspect(engine), schema, tables, drafted, lists)
    notes = links.notes
    actors: dict[str, dict[str, Any]] = {}
    for name, actor in drafted.items():
        actors[actor] = _actor_entry(tables[name], actor, drafted, links, notes)
    # A parent must be an actor type of the descriptor.
    for entry in actors.values():
        parent_entry = entry.get("parent")
        if parent_entry and parent_entry["type"] not in actors:
            del entry["parent"]
    data: dict[str, Any] = {"version": 1}
    if schema:
        data["schema"] = schema
    data["lists"] = lists.drafted
    data["actors"] = actors
    tables_left_out = [f"table {name}: left out; {why}." for name, why in left_out.items()
                       if name not in lists.drafted]  # a table that became a list is in `lists`
    return data, tables_left_out + notes


def _draft_actor_tables(tables: Mapping[str, Table]) -> tuple[dict[str, str], dict[str, str]]:
    """Which tables become actor types (table -> actor type): a one-column key and a name the
    CRM syncs, each actor type once; and why each other table is none (table -> why)."""
    drafted: dict[str, str] = {}
    left_out: dict[str, str] = {}
    for name, table in sorted(tables.items()):
        actor, why_not = syncable_actor(name)
        if len(table.primary_key.columns) != 1:
            why_not = why_not or "its primary key is not one column"
        elif not why_not and actor in drafted.values():
            first = next(t for t, a in drafted.items() if a == actor)
            why_not = f"'{actor}' is already drafted from table {first}"
        if why_not:
            left_out[name] = why_not
        else:
            drafted[name] = actor
    return drafted, left_out


class _ListDrafter:
    """Drafts lists over small code tables that foreign keys point at (each table once)."""

    def __init__(self, engine: Engine, tables: Mapping[str, Table],
                 actor_tables: Mapping[str, str]) -> None:
        self.engine = engine
        self.tables = tables
        self.actor_tables = actor_tables
        self.drafted: dict[str, dict[str, Any]] = {}  # list name (= table) -> list entry
        self.refused: dict[str, str] = {}  # table -> why it is no list

    def list_for(self, target: str, target_key: str) -> str | None:
        """The list over table `target` keyed by `target_key`; None when it cannot be one."""
        if target in self.drafted:
            return target
        table = self.tables.get(target)
        if table is None or target in self.refused:
            return None
        text = _text_column(table, target_key)
        problem = ("it is drafted as an actor type" if target in self.actor_tables and
                   len(table.columns) > 4 else
                   "it has no text column" if text is None else
                   _code_table_problem(self.engine, table, text))
        if problem:
            self.refused[target] = problem
            return None
        assert text is not None
        self.drafted[target] = {"table": target, "key": str(target_key), "text": str(text.name)}
        return target


@dataclass
class _Links:
    """What the foreign keys of the actor tables became."""

    list_fields: dict[tuple[str, str], str] = field(default_factory=dict)  # (table, col) -> list
    parents: dict[str, tuple[str, str]] = field(default_factory=dict)  # table -> (parent, col)
    notes: list[str] = field(default_factory=list)


def _follow_foreign_keys(inspector: Any, schema: str | None, tables: Mapping[str, Table],
                         drafted: Mapping[str, str], lists: _ListDrafter) -> _Links:
    """A person's one-column foreign key to another actor table makes its parent; other
    one-column foreign keys to small code tables make list fields."""
    links = _Links()
    for name in drafted:
        for fk in inspector.get_foreign_keys(name, schema=schema):
            columns = fk.get("constrained_columns") or []
            referred = fk.get("referred_columns") or []
            if len(columns) != 1 or len(referred) != 1:
                continue
            target = str(fk["referred_table"])
            if drafted[name] == "Person" and target in drafted and target != name and \
                    name not in links.parents and len(tables[target].columns) > 4:
                links.parents[name] = (target, str(columns[0]))
                continue
            list_name = lists.list_for(target, str(referred[0]))
            if list_name is not None:
                links.list_fields[(name, str(columns[0]))] = list_name
            elif target in lists.refused:
                links.notes.append(f"{drafted[name]}.{columns[0]}: no list over table {target}, "
                                   f"as {lists.refused[target]}.")
    return links


def _actor_entry(table: Table, actor: str, drafted: Mapping[str, str], links: _Links,
                 notes: list[str]) -> dict[str, Any]:
    """The descriptor entry of an actor table; columns left out are noted in `notes`."""
    name = str(table.name)
    key = str(next(iter(table.primary_key.columns)).name)
    lm = next((str(c.name) for c in table.columns
               if isinstance(c.type, sa.DateTime) and _LM_NAME.search(c.name)
               and not _DELETED_NAME.fullmatch(c.name)), None)
    deleted = next((str(c.name) for c in table.columns
                    if _DELETED_NAME.fullmatch(c.name) and c.name not in (key, lm)
                    and soft_delete_rule(c) is not None), None)
    fields: dict[str, Any] = {}
    search: list[str] = []
    parent = links.parents.get(name)
    for column in table.columns:
        if column.name in (key, lm, deleted) or (parent and column.name == parent[1]):
            continue
        if _is_binary(column):
            notes.append(f"{actor}.{column.name}: left out; a binary column "
                         f"({column.type.__class__.__name__}) cannot be synced.")
            continue
        fields[str(column.name)] = _field_entry(column, links.list_fields.get((name, column.name)),
                                                search)
    entry: dict[str, Any] = {"label": actor, "table": name, "key": key}
    if lm:
        entry["last_modified"] = lm
    if deleted:
        entry["deleted"] = deleted
    if parent and parent[0] in drafted:
        entry["parent"] = {"type": drafted[parent[0]], "column": parent[1]}
    if search:
        entry["search"] = search
    entry["fields"] = fields
    return entry


def _field_entry(column: sa.Column[Any], list_name: str | None, search: list[str]
                 ) -> dict[str, Any]:
    """The descriptor entry of a column; a name-like text column joins `search` (at most
    three)."""
    entry: dict[str, Any] = {}
    ftype = FieldType.LIST if list_name else field_type_of(column.type)
    entry["type"] = ftype.value
    if list_name:
        entry["list"] = list_name
    entry["label"] = column.name.replace("_", " ").capitalize()
    if ftype is FieldType.TEXT:
        length = getattr(column.type, "length", None)
        if length:
            entry["max_length"] = int(length)
        if _TEXT_NAME.search(column.name) and len(search) < 3:
            search.append(str(column.name))
    if not column.nullable and column.server_default is None:
        entry["access"] = "mandatory"
    return entry


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
        data, notes = scaffold_with_notes(engine, schema)
    finally:
        engine.dispose()
    if data["actors"]:
        parse_descriptor(data, "The scaffolded descriptor")  # it must load as written
    comments = "".join(f"#   {_comment(note)}\n" for note in notes)
    if comments:
        comments = "#\n# Left out of this draft:\n" + comments
    return HEADER + comments + dump_descriptor(data)


def _comment(note: str) -> str:
    """A note as one comment line (database names can hold line breaks)."""
    return " ".join(note.split())
