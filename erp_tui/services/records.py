"""CRM records as a user sees them: list and filter, read one, edit it.

The records screen and `erp-tui records` are two faces over these functions. Lists page from
the store (an index per filtered column, migration 0004), so a million records stay fast; a save
stamps the record so that the next sync pushes it, and is refused when someone else saved the
record meanwhile.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Table, and_, func, or_, select, union, update
from sqlalchemy.engine import Connection as DbConnection
from sqlalchemy.sql import ColumnElement
from sqlmodel import col
from sqlmodel import select as sm_select

from erp_tui.context import AppContext
from erp_tui.contract import FieldAccess, FieldType
from erp_tui.crm_catalog import (
    COMPANY,
    CRM_ENTITIES,
    PERSON,
    PROJECT,
    CrmField,
    list_item_text,
    parent_column,
)
from erp_tui.crm_schema import entity_fields
from erp_tui.errors import NotFoundError, Problem, StaleEditError, ValidationFailed
from erp_tui.i18n import label_language, msg
from erp_tui.model import (
    ActorMapping,
    Connection,
    CrmListItem,
    Link,
    SyncError,
    utc_now,
)
from erp_tui.rules import ErpFieldView, parse_value
from erp_tui.runner import crm
from erp_tui.runner.values import canon
from erp_tui.services.common import entity_name
from erp_tui.sync_marks import LinkState

# The longest filter text and page a caller may ask for.
MAX_FILTER = 200
MAX_PAGE = 1000

LINK: Table = Link.__table__  # type: ignore[attr-defined]
ERROR: Table = SyncError.__table__  # type: ignore[attr-defined]
ACTOR: Table = ActorMapping.__table__  # type: ignore[attr-defined]
CONNECTION: Table = Connection.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class LinkBadge:
    """One link of a CRM record: `state` is linked, deleted_in_erp or error (open error)."""

    connection: str
    actor_type: str
    erp_key: str
    state: str


@dataclass(frozen=True)
class RecordRow:
    """One row of the records list."""

    entity: str
    id: int
    title: str
    number: str
    email: str
    city: str
    # The parent company of a record (a person's; "" for an entity without parent).
    company: str
    links: tuple[LinkBadge, ...]


@dataclass(frozen=True)
class FieldValue:
    """One CRM field of a record: `value` canonical, `display` as shown to a user."""

    key: str
    label: str
    type: FieldType
    value: str
    display: str
    read_only: bool
    list_name: str
    max_length: int
    user_defined: bool
    # The Dutch label ("" when the field has none: show `label`).
    label_nl: str = ""

    def label_in(self, language: str) -> str:
        """The label in `language` ("en" or "nl")."""
        return (self.label_nl or self.label) if language == "nl" else self.label


@dataclass(frozen=True)
class RecordDetail:
    """A CRM record with every field; `stamp` is what a save must still find."""

    entity: str
    id: int
    title: str
    stamp: int
    fields: tuple[FieldValue, ...]
    # (entity, id, title) of the company this record belongs to (a person's company).
    parent: tuple[str, int, str] | None
    links: tuple[LinkBadge, ...]


# ---- which columns an entity lists and filters on ----------------------------------------------

@dataclass(frozen=True)
class _Shape:
    """How an entity's records are titled, sorted and filtered."""

    sort: tuple[str, ...]  # columns of the sort order (case-folded), then id
    title: tuple[str, ...]  # columns joined (space) into the title
    number: str
    email: str
    city: str
    filters: tuple[str, ...]  # columns a filter text may begin


_SHAPES = {
    COMPANY: _Shape(sort=("name",), title=("name",), number="number1", email="email",
                    city="postal_city", filters=("name", "number1", "email", "postal_city")),
    PERSON: _Shape(sort=("lastname", "firstname"), title=("firstname", "middlename", "lastname"),
                   number="", email="email", city="",
                   filters=("lastname", "firstname", "email")),
    PROJECT: _Shape(sort=("name",), title=("name",), number="number", email="", city="",
                    filters=("name", "number")),
}


def check_entity(entity: str) -> str:
    """`entity` in canonical form, or NotFoundError naming the choices."""
    cleaned = entity.strip().lower()
    aliases = {"companies": COMPANY, "persons": PERSON, "people": PERSON, "projects": PROJECT,
               "bedrijf": COMPANY, "persoon": PERSON, "contact": PERSON}
    cleaned = aliases.get(cleaned, cleaned)
    if cleaned not in CRM_ENTITIES:
        shown = canon(entity)[:40].encode("unicode_escape").decode("ascii")
        raise NotFoundError(msg("There is no CRM entity '{entity}'; use {choices} or {last}.",
                                entity=shown, choices=", ".join(CRM_ENTITIES[:-1]),
                                last=CRM_ENTITIES[-1]))
    return cleaned


def _folded(conn: DbConnection, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The case-folded form of a text column that the record indexes hold (byte order on
    PostgreSQL, so that a prefix is a range there as on SQLite)."""
    expression: ColumnElement[Any] = func.lower(column)
    if conn.dialect.name == "postgresql":
        expression = expression.collate("C")
    return expression


def _prefix_range(conn: DbConnection, column: ColumnElement[Any], prefix: str,
                  indexed: bool = True) -> ColumnElement[bool]:
    """`column` begins with `prefix` (case-insensitive), as index ranges (`indexed`) or as a
    test of each row that no index answers (so that the planner walks the title order)."""
    folded = _folded(conn, column) if indexed else _folded(conn, column).concat("")
    ranges = [and_(folded >= variant, folded < variant + "\U0010ffff")
              for variant in _case_variants(prefix)]
    return ranges[0] if len(ranges) == 1 else or_(*ranges)


def _case_variants(prefix: str) -> list[str]:
    """The forms a lower-cased prefix may take in the database's own lower(): SQLite's (and
    PostgreSQL's under the C locale) folds ASCII letters only, so 'Å' stays 'Å' there. The
    first three letters outside ASCII are tried in both cases."""
    variants = [prefix]
    for i, ch in enumerate(prefix):
        if ch.isascii() or len(ch.upper()) != 1 or ch.upper() == ch:
            continue
        if len(variants) >= 8:
            break
        variants += [v[:i] + ch.upper() + v[i + 1:] for v in variants]
    return variants


def _clean_filter(text: str) -> str:
    """The filter text as compared: trimmed, case-folded, control characters dropped."""
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return kept.strip().lower()[:MAX_FILTER]


@dataclass(frozen=True)
class _Filter:
    """A filter text as SQL. `leading` selects the ids whose first sort column matches (they
    lie together in the title order), `others` those matching on another column or an ERP
    key; `condition` is the same test on a row, for walking the title order when many rows
    match elsewhere."""

    leading: Any
    others: list[Any]
    condition: ColumnElement[bool]

    @property
    def ids(self) -> Any:
        """Every matching id (a union of index ranges: cheap to count)."""
        return union(self.leading, *self.others)


def _filter(conn: DbConnection, entity: str, text: str) -> _Filter | None:
    prefix = _clean_filter(text)
    if not prefix:
        return None
    t = crm.table(entity)
    shape = _SHAPES[entity]
    leading, *rest = [select(t.c.id).where(_prefix_range(conn, t.c[name], prefix))
                      for name in shape.filters]
    by_erp_key = select(LINK.c.crm_id).where(LINK.c.crm_entity == entity,
                                             _prefix_range(conn, LINK.c.erp_key, prefix))
    conditions = [*(_prefix_range(conn, t.c[name], prefix, indexed=False)
                    for name in shape.filters), t.c.id.in_(by_erp_key)]
    if prefix.isdigit() and len(prefix) < 19:
        rest.append(select(t.c.id).where(t.c.id == int(prefix)))
        conditions.append(t.c.id == int(prefix))
    return _Filter(leading, [*rest, by_erp_key], or_(*conditions))


def _at_most(conn: DbConnection, parts: list[Any], cap: int) -> bool:
    """True when these selects give at most `cap` ids together (each counted only up to the
    cap: a broad filter costs no more than a narrow one)."""
    total = 0
    for part in parts:
        total += int(conn.execute(select(func.count()).select_from(
            part.limit(cap + 1 - total).subquery())).scalar_one())
        if total > cap:
            return False
    return True


# When at most this many rows match outside the first sort column, a page is sorted from the
# first rows of that column's range plus those rows; else the title order is walked and each
# row tested (then matches are dense, so the first pages come at once).
_SORT_MATCHES = 20_000


# ---- listing ---------------------------------------------------------------------------------

def connection_names(ctx: AppContext) -> list[str]:
    """Every connection's name, highest priority first (the link-state columns)."""
    with ctx.session() as session:
        rows = session.exec(sm_select(Connection).order_by(
            col(Connection.active).desc(), col(Connection.priority), col(Connection.name)))
        return [c.name for c in rows]


def count_records(ctx: AppContext, entity: str, text: str = "") -> int:
    """How many records of `entity` the filter `text` matches (all when empty)."""
    entity = check_entity(entity)
    with ctx.engine.connect() as conn:
        return _count(conn, entity, _filter(conn, entity, text))


def _count(conn: DbConnection, entity: str, found: _Filter | None) -> int:
    if found is None:
        query = select(func.count()).select_from(crm.table(entity))
    else:
        query = select(func.count()).select_from(found.ids.subquery())
    return int(conn.execute(query).scalar_one())


def list_records(ctx: AppContext, entity: str, text: str = "", offset: int = 0,
                 limit: int = 50, total: int | None = None) -> list[RecordRow]:
    """Records `offset` .. `offset + limit` of `entity` in title order, filtered by `text`:
    case-insensitive "begins with" on the title, number, e-mail, city or an ERP key.

    `total` (what count_records said, when the caller knows it) lets pages past the middle be
    read from the other end of the order."""
    entity = check_entity(entity)
    offset, limit = max(0, offset), max(0, min(limit, MAX_PAGE))
    if limit == 0:
        return []
    t = crm.table(entity)
    shape = _SHAPES[entity]
    with ctx.engine.connect() as conn:
        found = _filter(conn, entity, text)
        columns = sorted({*shape.title, shape.number, shape.email, shape.city} - {""})
        parent = parent_column(entity)
        read = [*columns, *([parent] if parent else [])]
        select_columns: list[ColumnElement[Any]] = [t.c.id, *(t.c[c] for c in read)]
        ascending = [*(_folded(conn, t.c[c]) for c in shape.sort), t.c.id]
        query = select(*select_columns)
        if found is None and total is None and offset > 10_000:
            total = _count(conn, entity, None)
        backwards = total is not None and offset + limit > total // 2
        order: list[Any]
        if total is not None and backwards:
            # Past the middle: walk the order from the other end, then turn the rows round.
            order, skip = [c.desc() for c in ascending], max(0, total - offset - limit)
            take = min(limit, max(0, total - offset))
        else:
            order, skip, take = ascending, offset, limit
        if found is not None:
            if _at_most(conn, found.others, _SORT_MATCHES):
                first = (found.leading.order_by(*order).limit(skip + take)).subquery()
                query = query.where(t.c.id.in_(union(select(first.c.id), *found.others)))
            else:
                query = query.where(found.condition)
        rows = list(conn.execute(query.order_by(*order).limit(take).offset(skip)))
        if backwards:
            rows.reverse()
        records = [dict(zip(["id", *read], row, strict=True)) for row in rows]
        ids = [r["id"] for r in records]
        badges = _badges(conn, entity, ids)
        companies = _company_names(conn, [r[parent] for r in records] if parent else [])
    return [RecordRow(
        entity=entity, id=r["id"], title=_title(shape, r), number=_text(r, shape.number),
        email=_text(r, shape.email), city=_text(r, shape.city),
        company=companies.get(r[parent] or 0, "") if parent else "",
        links=badges.get(r["id"], ())) for r in records]


def _text(record: dict[str, Any], column: str) -> str:
    return canon(record.get(column)) if column else ""


def _title(shape: _Shape, record: dict[str, Any]) -> str:
    return " ".join(p for p in (canon(record.get(c)) for c in shape.title) if p)


def _company_names(conn: DbConnection, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    t = crm.table(COMPANY)
    return {row[0]: canon(row[1]) for row in conn.execute(
        select(t.c.id, t.c.name).where(t.c.id.in_(wanted)))}


def _badges(conn: DbConnection, entity: str, ids: Sequence[int]
            ) -> dict[int, tuple[LinkBadge, ...]]:
    """The links of these records, an open record error marking its link `error`."""
    if not ids:
        return {}
    rows = list(conn.execute(
        select(LINK.c.crm_id, CONNECTION.c.name, LINK.c.actor_type, LINK.c.erp_key,
               LINK.c.state, LINK.c.connection_id)
        .join(CONNECTION, CONNECTION.c.id == LINK.c.connection_id)
        .where(LINK.c.crm_entity == entity, LINK.c.crm_id.in_(list(ids)))
        .order_by(CONNECTION.c.priority, CONNECTION.c.name, LINK.c.actor_type)))
    failing = {(row[0], row[1]) for row in conn.execute(
        select(ERROR.c.crm_id, ERROR.c.connection_id)
        .join(ACTOR, and_(ACTOR.c.connection_id == ERROR.c.connection_id,
                          ACTOR.c.actor_type == ERROR.c.actor_type))
        .where(ACTOR.c.crm_entity == entity, ERROR.c.resolved.is_(False),
               ERROR.c.crm_id.in_(list(ids))))}
    out: dict[int, list[LinkBadge]] = {}
    for crm_id, name, actor_type, erp_key, state, connection_id in rows:
        failed = (crm_id, connection_id) in failing and state == LinkState.LINKED
        shown = "error" if failed else state
        out.setdefault(crm_id, []).append(LinkBadge(name, actor_type, erp_key, shown))
    return {k: tuple(v) for k, v in out.items()}


# ---- one record ------------------------------------------------------------------------------

def list_choices(ctx: AppContext, list_name: str) -> list[tuple[str, str]]:
    """The items of a CRM list as (key, text), in list order."""
    with ctx.session() as session:
        rows = session.exec(sm_select(CrmListItem).where(CrmListItem.list_name == list_name)
                            .order_by(col(CrmListItem.position), col(CrmListItem.key)))
        language = label_language()
        return [(r.key, list_item_text(list_name, r.key, r.text, language)) for r in rows]


def _display(field: CrmField, value: str, choices: dict[str, str]) -> str:
    if field.type is FieldType.LIST and value:
        return choices.get(value, value)
    if field.type is FieldType.CHECKBOX:
        return {"1": "yes", "0": "no"}.get(value, value)
    if field.type is FieldType.DATETIME and value:
        return value[:16].replace("T", " ")
    return value


def get_record(ctx: AppContext, entity: str, record_id: int) -> RecordDetail:
    """One CRM record with all its fields (standard and user-defined) and links."""
    entity = check_entity(entity)
    with ctx.session() as session:
        fields = entity_fields(session, entity)
    lists = {f.list_name: dict(list_choices(ctx, f.list_name))
             for f in fields if f.type is FieldType.LIST}
    t = crm.table(entity)
    with ctx.engine.connect() as conn:
        row = conn.execute(select(t).where(t.c.id == record_id)).mappings().first()
        if row is None:
            raise NotFoundError(_no_record(entity, record_id))
        badges = _badges(conn, entity, [record_id]).get(record_id, ())
        parent = None
        column = parent_column(entity)
        company_id = row[column] if column else None
        if company_id:
            name = _company_names(conn, [company_id]).get(company_id)
            if name is not None:
                parent = (COMPANY, int(company_id), name)
    values = []
    for field in fields:
        value = canon(row.get(field.column))
        values.append(FieldValue(
            key=field.key, label=field.label, type=field.type, value=value,
            display=_display(field, value, lists.get(field.list_name, {})),
            read_only=field.read_only, list_name=field.list_name,
            max_length=field.max_length, user_defined=field.user_defined,
            label_nl=field.label_nl))
    return RecordDetail(entity=entity, id=record_id, title=_title(_SHAPES[entity], dict(row)),
                        stamp=int(row["change_stamp"]), fields=tuple(values), parent=parent,
                        links=badges)


# Bidi controls and line separators: invisible, they reorder or split what every face shows.
_REORDERING = frozenset("\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
                        "\u2066\u2067\u2068\u2069")


def parse_crm_value(field: CrmField, text: str, choices: dict[str, str]) -> str:
    """`text` as the canonical value of a CRM field, or ValueError with one sentence."""
    if "\x00" in text or any((unicodedata.category(ch) == "Cc" and ch not in "\n\t")
                             or ch in _REORDERING for ch in text):
        raise ValueError(msg("'{label}' cannot hold control characters; type plain text.",
                             label=field.label))
    if field.type is FieldType.TEXT and "\n" in text and field.max_length:
        raise ValueError(msg("'{label}' holds one line of text.", label=field.label))
    if text.strip() == "" and field.type is not FieldType.TEXT:
        return ""
    view = ErpFieldView(key=field.key, label=field.label, type=field.type,
                        access=FieldAccess.NORMAL, list_name=field.list_name,
                        max_length=field.max_length)
    if field.type is FieldType.DATE:
        text = _iso_date(text)
    return canon(parse_value(view, text, choices))


def _iso_date(text: str) -> str:
    """Dates typed as DD-MM-YYYY (or with / or .) become ISO; ISO stays as it is."""
    raw = text.strip()
    for separator in ("-", "/", "."):
        parts = raw.split(separator)
        if len(parts) == 3 and len(parts[2]) == 4 and all(p.isdigit() for p in parts):
            return f"{parts[2]}-{int(parts[1]):02d}-{int(parts[0]):02d}"
    return raw


def _stored(field: CrmField, value: str) -> Any:
    """A canonical value as its column stores it."""
    if field.user_defined:
        return value  # slots hold canonical text
    if field.type is FieldType.DATE:
        return date.fromisoformat(value) if value else None
    if field.type is FieldType.LIST:
        return value or None
    return value


def edit_record(ctx: AppContext, entity: str, record_id: int, values: dict[str, str],
                stamp: int) -> RecordDetail:
    """Change fields of a CRM record as typed by a user (keys: field keys). Every value is
    checked first (one problem per field, nothing written); the record gets a new change stamp,
    so the next sync pushes it; refused when the record changed since `stamp` was read."""
    entity = check_entity(entity)
    with ctx.session() as session:
        fields = {f.key: f for f in entity_fields(session, entity)}
    problems: list[Problem] = []
    parsed: dict[str, tuple[CrmField, str]] = {}
    for key, text in values.items():
        field = fields.get(key)
        if field is None:
            shown = canon(key)[:60].encode("unicode_escape").decode("ascii")
            problems.append(Problem(
                msg("{entity} has no field '{field}'; 'erp-tui crm-fields {key}' lists them.",
                    entity=entity_name(entity), field=shown, key=entity),
                field_key=key, code="unknown_field"))
            continue
        if field.read_only:
            problems.append(Problem(msg("'{label}' is read-only.", label=field.label),
                                    field_key=key, code="read_only"))
            continue
        choices = dict(list_choices(ctx, field.list_name)) if field.list_name else {}
        try:
            parsed[key] = (field, parse_crm_value(field, text, choices))
        except ValueError as exc:
            problems.append(Problem(exc.args[0], field_key=key, code="bad_value"))
    if problems:
        raise ValidationFailed(msg("{entity} {id} was not saved:", entity=entity_name(entity),
                                   id=record_id), problems)
    t = crm.table(entity)
    with ctx.engine.begin() as conn:
        current = conn.execute(select(t.c.change_stamp).where(t.c.id == record_id)).first()
        if current is None:
            raise NotFoundError(_no_record(entity, record_id))
        if int(current[0]) != stamp:
            raise StaleEditError(msg(
                "{entity} {id} was changed by someone else (or a sync) since you opened it; "
                "reopen it and apply your change again (nothing was saved).",
                entity=entity_name(entity), id=record_id))
        if parsed:
            new_stamp = crm.next_stamps(conn, entity, 1)[0]
            writes = {f.column: _stored(f, v) for f, v in parsed.values()}
            done = conn.execute(update(t).where(t.c.id == record_id, t.c.change_stamp == stamp)
                                .values(**writes, change_stamp=new_stamp, updated=utc_now()))
            if done.rowcount != 1:
                raise StaleEditError(msg(
                    "{entity} {id} was changed by someone else meanwhile; reopen it and apply "
                    "your change again (nothing was saved).", entity=entity_name(entity),
                    id=record_id))
    return get_record(ctx, entity, record_id)


def _no_record(entity: str, record_id: int) -> str:
    return msg("There is no CRM {entity} with id {id}.", entity=entity_name(entity),
               id=record_id)


def record_as_dict(detail: RecordDetail) -> dict[str, Any]:
    """A record in the stable JSON shape of `erp-tui records show`."""
    return {
        "entity": detail.entity, "id": detail.id, "title": detail.title, "stamp": detail.stamp,
        "parent": (None if detail.parent is None else
                   {"entity": detail.parent[0], "id": detail.parent[1],
                    "title": detail.parent[2]}),
        "fields": [{"key": f.key, "label": f.label, "type": f.type.value, "value": f.value,
                    "display": f.display, "read_only": f.read_only,
                    "user_defined": f.user_defined} for f in detail.fields],
        "links": [{"connection": b.connection, "actor_type": b.actor_type,
                   "erp_key": b.erp_key, "state": b.state} for b in detail.links],
    }
