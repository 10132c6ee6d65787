"""ERP search: criteria on an actor type's searchable fields, results with the fields marked
"show in search" as columns, and importing a result as a new CRM record.

The search dialog and `erp-tui erp-search` are two faces over these functions. Criteria are
checked here, once: the field must be searchable, the operator must fit the field's type and
the values its type and count; each problem is one sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from erp_tui.context import AppContext
from erp_tui.contract import (
    ActorPage,
    FieldType,
    PageResult,
    Restriction,
    ResultState,
    SearchableFieldsResult,
    SearchOperator,
    Value,
)
from erp_tui.crm_catalog import actor_param
from erp_tui.errors import ConnectorError, NotFoundError, Problem, RefusedError, ValidationFailed
from erp_tui.i18n import N_, Msg, msg
from erp_tui.model import ActorMapping, Connection, ErpActorType, ErpField, FieldMapping, Link
from erp_tui.rules import ErpFieldView, parse_value
from erp_tui.runner.linking import _plan
from erp_tui.runner.plan import ActorPlan, actor_plans
from erp_tui.runner.translate import InboundField, malformed, translate_page
from erp_tui.services.common import entity_name
from erp_tui.services.erp_values import (
    ask_erp,
    display,
    erp_lists,
    has_control,
    inert,
    shown,
)

Op = SearchOperator
LINK = Link.__table__  # type: ignore[attr-defined]

MAX_LIMIT = 1000
"""Most hits one search returns."""
SEARCH_TIMEOUT = 30.0
"""Seconds a search (or reading the searchable fields) may take."""

_TEXT_OPS = (Op.BEGINS, Op.CONTAINS, Op.EQUALS, Op.NOT_EQUAL, Op.ENDS, Op.NOT_BEGINS,
             Op.NOT_CONTAINS, Op.NOT_ENDS, Op.IS_NOT, Op.BETWEEN)
_NUMBER_OPS = (Op.EQUALS, Op.NOT_EQUAL, Op.GREATER, Op.LESS, Op.GREATER_EQUAL, Op.LESS_EQUAL,
               Op.BETWEEN)
_DATE_OPS = (Op.EQUALS, Op.BEFORE, Op.AFTER, Op.BEFORE_OR_EQUAL, Op.AFTER_OR_EQUAL, Op.BETWEEN)
_OPERATORS: dict[FieldType, tuple[SearchOperator, ...]] = {
    FieldType.TEXT: _TEXT_OPS, FieldType.LABEL: _TEXT_OPS,
    FieldType.INTEGER: _NUMBER_OPS, FieldType.DOUBLE: _NUMBER_OPS,
    FieldType.DATE: _DATE_OPS, FieldType.DATETIME: _DATE_OPS,
    FieldType.CHECKBOX: (Op.EQUALS,),
    FieldType.LIST: (Op.ONE_OF, Op.NOT_ONE_OF, Op.EQUALS),
}

# operator -> (English, Dutch). The English is the operator's name as shown, through the
# catalogue (its Dutch entry is the Dutch here); `parse_where` accepts both, whatever the
# language.
_LABELS: dict[SearchOperator, tuple[str, str]] = {
    Op.EQUALS: (N_("equals"), "is gelijk aan"),
    Op.NOT_EQUAL: (N_("does not equal"), "is niet gelijk aan"),
    Op.BEGINS: (N_("begins with"), "begint met"),
    Op.CONTAINS: (N_("contains"), "bevat"),
    Op.ENDS: (N_("ends with"), "eindigt op"),
    Op.NOT_BEGINS: (N_("does not begin with"), "begint niet met"),
    Op.NOT_CONTAINS: (N_("does not contain"), "bevat niet"),
    Op.NOT_ENDS: (N_("does not end with"), "eindigt niet op"),
    Op.IS_NOT: (N_("is not"), "is niet"),
    Op.BETWEEN: (N_("between"), "tussen"),
    Op.GREATER: (N_("greater than"), "groter dan"),
    Op.LESS: (N_("less than"), "kleiner dan"),
    Op.GREATER_EQUAL: (N_("at least"), "minstens"),
    Op.LESS_EQUAL: (N_("at most"), "hoogstens"),
    Op.ONE_OF: (N_("is one of"), "is een van"),
    Op.NOT_ONE_OF: (N_("is none of"), "is geen van"),
    Op.BEFORE: (N_("before"), "voor"),
    Op.AFTER: (N_("after"), "na"),
    Op.BEFORE_OR_EQUAL: (N_("on or before"), "op of voor"),
    Op.AFTER_OR_EQUAL: (N_("on or after"), "op of na"),
}
# More ways to write an operator in `parse_where` (besides its symbol, name and labels).
_EXTRA_NAMES: dict[str, SearchOperator] = {
    "==": Op.EQUALS, "eq": Op.EQUALS, "is": Op.EQUALS, "<>": Op.NOT_EQUAL, "ne": Op.NOT_EQUAL,
    "gt": Op.GREATER, "lt": Op.LESS, "ge": Op.GREATER_EQUAL, "le": Op.LESS_EQUAL,
    "starts with": Op.BEGINS, "in": Op.ONE_OF, "not in": Op.NOT_ONE_OF,
}


# ---- operators -------------------------------------------------------------------------------

def operators_for(field_type: FieldType) -> list[SearchOperator]:
    """The operators a criterion on a field of this type may use, most useful first."""
    return list(_OPERATORS.get(field_type, ()))


def operator_label(op: SearchOperator, language: str) -> str:
    """An operator's name as `parse_where` reads it in `language` ("begins with" /
    "begint met")."""
    english, dutch = _LABELS[op]
    return dutch if language == "nl" else english


def operator_name(op: SearchOperator) -> Msg:
    """How an operator reads in a criteria row or a message, in the user's language."""
    return Msg(_LABELS[op][0])


def value_count(op: SearchOperator) -> int | None:
    """How many values `op` takes: 2 for between, None (one or more) for the list operators,
    else 1."""
    if op is Op.BETWEEN:
        return 2
    if op in (Op.ONE_OF, Op.NOT_ONE_OF):
        return None
    return 1


def _operator_names() -> list[tuple[str, SearchOperator]]:
    names: dict[str, SearchOperator] = dict(_EXTRA_NAMES)
    for op in SearchOperator:
        names[op.value.lower()] = op
        names[op.name.lower()] = op
        names[op.name.lower().replace("_", " ")] = op
        for label in _LABELS[op]:
            names[label] = op
    return sorted(names.items(), key=lambda item: -len(item[0]))


_NAMES = _operator_names()
_SYMBOLS = "<>=!"


@dataclass(frozen=True)
class Criterion:
    """One criteria row: field key, operator and its values (as typed)."""

    field_key: str
    operator: SearchOperator
    values: tuple[str, ...]


def parse_where(text: str) -> Criterion:
    """A criterion written as "FIELD OPERATOR VALUE": the operator by symbol (=, !=, >, >=, <,
    <=) or name (begins, "begins with", contains, notcontains, oneof, before, ...); between
    takes "FIELD between A and B", oneof/notoneof a comma-separated list; a field key with
    spaces is quoted. ValueError (one sentence) when the text cannot be read."""
    raw = text.strip()
    match = re.match(r"\"([^\"]+)\"|'([^']+)'|([^\s<>=!\"']+)", raw)
    if match is None:
        raise ValueError(msg("'{text}' does not start with a field; write \"FIELD OPERATOR "
                             "VALUE\", e.g. \"name begins Fjord\".", text=shown(text)))
    field_key = next(group for group in match.groups() if group)
    rest = raw[match.end():].lstrip()
    lowered = rest.lower()
    for name, op in _NAMES:
        if not lowered.startswith(name):
            continue
        after = rest[len(name):]
        if name[-1] not in _SYMBOLS and after and not after[0].isspace():
            continue  # a word operator must end where a word ends
        if name[-1] in _SYMBOLS and after[:1] in tuple(_SYMBOLS):
            continue  # part of a longer symbol
        return Criterion(field_key, op, _split_values(op, after.strip()))
    word = rest.split(maxsplit=1)[0] if rest.split() else ""
    if not word:
        raise ValueError(msg("'{text}' has no operator; write \"FIELD OPERATOR VALUE\", e.g. "
                             "\"name begins Fjord\".", text=shown(text)))
    raise ValueError(msg("'{word}' is not a search operator; use one of =, !=, >, >=, <, <=, "
                         "begins, contains, ends, notbegins, notcontains, notends, isnot, "
                         "between, oneof, notoneof, before, after, beforeOrEqual, "
                         "afterOrEqual.", word=shown(word)))


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _split_values(op: SearchOperator, text: str) -> tuple[str, ...]:
    if op is Op.BETWEEN:
        parts = re.split(r"\s+and\s+|\s*\.\.\s*", text, maxsplit=1, flags=re.IGNORECASE)
        if len(parts) == 1:
            parts = text.split()
        return tuple(_unquote(p) for p in parts if p.strip())
    if op in (Op.ONE_OF, Op.NOT_ONE_OF):
        return tuple(_unquote(p) for p in text.split(",") if p.strip())
    return (_unquote(text),)


# ---- where to search -------------------------------------------------------------------------

def search_targets(ctx: AppContext) -> list[tuple[str, list[tuple[str, str]]]]:
    """Connections (active or not, highest priority first) with their enabled actor types:
    [(connection, [(actor type, label)])]; connections without one are left out."""
    with ctx.session() as session:
        connections = list(session.exec(sm_select(Connection).order_by(
            col(Connection.active).desc(), col(Connection.priority), col(Connection.name))))
        enabled = list(session.exec(sm_select(ActorMapping).where(
            col(ActorMapping.enabled).is_(True))))
        types = {(t.connection_id, t.key): t for t in session.exec(sm_select(ErpActorType))}
    out = []
    for connection in connections:
        mine = [a.actor_type for a in enabled if a.connection_id == connection.id]
        found = [types.get((connection.id or 0, key)) for key in mine]
        ordered = sorted(zip(mine, found, strict=True),
                         key=lambda pair: (pair[1].position if pair[1] else 999, pair[0]))
        actors = [(key, inert(info.label, 100) if info else key) for key, info in ordered]
        if actors:
            out.append((connection.name, actors))
    return out


def actor_types_for(ctx: AppContext, entity: str) -> list[tuple[str, str, str]]:
    """(connection, actor type, label) of the enabled actor types syncing with a CRM entity
    (the choices of "create in ERP" and of linking), highest priority connection first."""
    with ctx.session() as session:
        ids = {c.name: c.id for c in session.exec(sm_select(Connection))}
        entities = {(a.connection_id, a.actor_type): a.crm_entity for a in session.exec(
            sm_select(ActorMapping).where(col(ActorMapping.enabled).is_(True)))}
    return [(name, actor, label) for name, actors in search_targets(ctx)
            for actor, label in actors if entities.get((ids[name] or 0, actor)) == entity]


def check_target(ctx: AppContext, connection: str, actor_type: str) -> tuple[str, str]:
    """(connection name, actor type) as stored, or NotFoundError (store only, no connector)."""
    found, plan = _plan(ctx, connection, actor_type)
    return found.name, plan.actor_type


# ---- searchable fields -----------------------------------------------------------------------

@dataclass(frozen=True)
class SearchField:
    """A field a criterion may use; `choices` are the ERP list's (key, text) for list fields."""

    key: str
    label: str
    type: FieldType
    choices: tuple[tuple[str, str], ...]


def searchable_fields(ctx: AppContext, connection: str, actor_type: str,
                      timeout: float = SEARCH_TIMEOUT) -> list[SearchField]:
    """The fields the connector searches on (labels and types from the ERP metadata), in rank
    order; ConnectorError when the connector cannot tell."""
    found, plan = _plan(ctx, connection, actor_type)
    return _searchable(ctx, found, plan, timeout)


def _searchable(ctx: AppContext, connection: Connection, plan: ActorPlan, timeout: float
                ) -> list[SearchField]:
    cid, actor = plan.connection_id, plan.actor_type
    result = ask_erp(ctx, connection, lambda c: c.searchable_fields(cid, actor),
                     SearchableFieldsResult, timeout)
    if not result.ok:
        raise ConnectorError(inert(result.user_message, 300) or
                             msg("The ERP did not say which fields it searches on."))
    keys = set(result.field_keys)
    with ctx.session() as session:
        fields = list(session.exec(sm_select(ErpField).where(
            ErpField.connection_id == cid, ErpField.actor_type == actor)))
        ranks = {m.erp_field: m.rank for m in session.exec(sm_select(FieldMapping).where(
            FieldMapping.connection_id == cid, FieldMapping.actor_type == actor))}
        lists = erp_lists(session, cid, [f.list_name for f in fields
                                         if f.type == FieldType.LIST.value])
    fields.sort(key=lambda f: (ranks.get(f.key, 1 << 30), f.position))
    out = []
    for f in fields:
        kind = FieldType(f.type)
        if f.key not in keys or not operators_for(kind):
            continue
        choices = tuple((k, inert(t, 100)) for k, t in lists.get(f.list_name, {}).items())
        out.append(SearchField(f.key, inert(f.label, 100), kind, choices))
    return out


def _restrictions(actor_type: str, fields: Sequence[SearchField],
                  criteria: Sequence[Criterion]) -> list[Restriction]:
    """The criteria as connector restrictions; ValidationFailed with one problem each."""
    by_key = {f.key: f for f in fields}
    by_key.update({f.key.lower(): f for f in fields if f.key.lower() not in by_key})
    problems: list[Problem] = []
    restrictions: list[Restriction] = []
    for criterion in criteria:
        field = by_key.get(criterion.field_key) or by_key.get(criterion.field_key.lower())
        if field is None:
            known = ", ".join(f.key for f in fields[:12]) or msg("none")
            known += ", …" if len(fields) > 12 else ""
            problems.append(Problem(
                msg("{actor} has no searchable field '{field}'; searchable: {known}.",
                    actor=actor_type, field=shown(criterion.field_key), known=known),
                actor_type, criterion.field_key, code="unknown_field"))
            continue
        try:
            values = _values(field, criterion)
        except ValueError as exc:
            problems.append(Problem(exc.args[0], actor_type, field.key, code="bad_criterion"))
            continue
        restrictions.append(Restriction(field_key=field.key, operator=criterion.operator,
                                        values=values))
    if problems:
        raise ValidationFailed(msg("The search criteria cannot be used:"), problems)
    return restrictions


def _values(field: SearchField, criterion: Criterion) -> list[Value]:
    op = criterion.operator
    allowed = operators_for(field.type)
    if op not in allowed:
        raise ValueError(msg("'{operator}' ({symbol}) cannot be used on '{label}', a {type} "
                             "field; use {allowed}.", operator=operator_name(op),
                             symbol=op.value, label=field.label, type=field.type.value,
                             allowed=", ".join(o.value for o in allowed)))
    count = value_count(op)
    given = criterion.values
    if count == 2 and len(given) != 2:
        raise ValueError(msg("'between' on '{label}' needs two values, as in \"{key} between A "
                             "and B\"; {count} given.", label=field.label, key=field.key,
                             count=len(given)))
    if count is None and not given:
        raise ValueError(msg("'{operator}' on '{label}' needs at least one value.",
                             operator=op.value, label=field.label))
    if count == 1 and len(given) != 1:
        raise ValueError(msg("'{operator}' on '{label}' takes one value; {count} given.",
                             operator=op.value, label=field.label, count=len(given)))
    view = ErpFieldView(key=field.key, label=field.label, type=field.type)
    items = dict(field.choices)
    values: list[Value] = []
    for text in given:
        if has_control(text):
            raise ValueError(msg("A value for '{label}' cannot hold control characters.",
                                 label=field.label))
        if text.strip() == "":
            if field.type in (FieldType.TEXT, FieldType.LABEL) and count == 1:
                values.append("")
                continue
            raise ValueError(msg("Give a value for '{label}'.", label=field.label))
        if field.type is FieldType.LIST and not items:
            values.append(text.strip())
            continue
        values.append(parse_value(view, text, items))
    return values


# ---- the search ------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchHit:
    """One actor found: its ERP key, the column values (display text) and, when it is linked
    in this connection, the CRM record (entity, id)."""

    erp_key: str
    values: tuple[str, ...]
    linked: tuple[str, int] | None


@dataclass(frozen=True)
class SearchResults:
    """Hits with `columns` ((key, label) of the "show in search" fields in rank order); `more`
    when there are more hits than the limit."""

    columns: tuple[tuple[str, str], ...]
    hits: tuple[SearchHit, ...]
    more: bool


def search(ctx: AppContext, connection: str, actor_type: str, criteria: list[Criterion],
           limit: int = 100, timeout: float = SEARCH_TIMEOUT) -> SearchResults:
    """Actors meeting every criterion (all actors when there are none), at most `limit`.

    Criteria are checked against the searchable fields and the operators and values of their
    types first (ValidationFailed, one problem each); a connector failure is a ConnectorError.
    """
    limit = max(1, min(int(limit), MAX_LIMIT))
    found, plan = _plan(ctx, connection, actor_type)
    cid, actor = plan.connection_id, plan.actor_type
    restrictions = _restrictions(actor, _searchable(ctx, found, plan, timeout), criteria)
    with ctx.session() as session:
        shown_fields = _search_columns(session, cid, actor)
        lists = erp_lists(session, cid, [f.list_name for f in shown_fields])
    keys = [f.key for f in shown_fields]
    result = ask_erp(ctx, found, lambda c: c.search_actors_advanced(cid, actor, restrictions,
                                                                    keys),
                     PageResult, timeout)
    if not result.ok or result.page is None:
        raise ConnectorError(inert(result.user_message, 300) or msg("The ERP search failed."))
    page = result.page
    problem = malformed(page)
    if problem:
        raise ConnectorError(msg("The ERP answered the search with a malformed page."))
    at = {key: i for i, key in enumerate(page.field_keys)}
    take = min(len(page), limit)
    erp_keys = [str(k) for k in page.erp_keys[:take]]
    linked = _links(ctx, cid, actor, erp_keys)
    hits = []
    for i, key in enumerate(erp_keys):
        row = page.rows[i]
        values = tuple(display(FieldType(f.type), row[at[f.key]] if f.key in at else None,
                               lists.get(f.list_name)) for f in shown_fields)
        hits.append(SearchHit(key, values, linked.get(key)))
    more = len(page) > limit or (result.state is ResultState.OK_WITH_INFO and len(page) >= limit)
    return SearchResults(tuple((f.key, inert(f.label, 100)) for f in shown_fields),
                         tuple(hits), more)


def _search_columns(session: Session, connection_id: int, actor_type: str) -> list[ErpField]:
    """ERP fields marked "show in search", in rank order."""
    marked = list(session.exec(sm_select(FieldMapping).where(
        FieldMapping.connection_id == connection_id, FieldMapping.actor_type == actor_type,
        col(FieldMapping.show_in_search).is_(True), col(FieldMapping.missing_in_erp).is_(False))
        .order_by(col(FieldMapping.rank), col(FieldMapping.erp_field))))
    fields = {f.key: f for f in session.exec(sm_select(ErpField).where(
        ErpField.connection_id == connection_id, ErpField.actor_type == actor_type))}
    return [fields[m.erp_field] for m in marked if m.erp_field in fields]


def _links(ctx: AppContext, connection_id: int, actor_type: str, erp_keys: list[str]
           ) -> dict[str, tuple[str, int]]:
    if not erp_keys:
        return {}
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(LINK.c.erp_key, LINK.c.crm_entity, LINK.c.crm_id).where(
            LINK.c.connection_id == connection_id, LINK.c.actor_type == actor_type,
            LINK.c.erp_key.in_(erp_keys)))
        return {row[0]: (row[1], int(row[2])) for row in rows}


# ---- import ----------------------------------------------------------------------------------

def import_actor(ctx: AppContext, connection: str, actor_type: str, erp_key: str
                 ) -> tuple[str, int]:
    """Create a CRM record from an ERP actor (its ERP→CRM fields) and link them; returns
    (entity, CRM id). A parent actor not in the CRM yet (a person's company) is imported
    first and becomes the record's parent. Refused when the actor is already linked; the
    values are checked first, so a refused import writes nothing. Works also when the
    connection does not import new actors on its own."""
    from erp_tui.runner.engine import ActorSync, RunOptions, finish_run, start_run
    from erp_tui.runner.lock import run_lock

    found, plan = _plan(ctx, connection, actor_type)
    with ctx.session() as session:
        plans = {p.actor_type: p for p in actor_plans(session, found)}
    chain = _import_chain(ctx, found, plans, plan, erp_key, depth=0)
    problems = []
    for step, page in chain:
        inbound = [InboundField(f.label, f.erp_type, f.to_crm_items, f.erp_list,
                                f.crm_max_length) for f in step.in_fields]
        problems += [Problem(msg("{actor} {key}: {problem}", actor=actor_param(step.actor_type),
                                 key=shown(page.erp_keys[0]), problem=inert(m, 300)),
                             step.actor_type) for m in translate_page(page, inbound).bad.values()]
    if problems:
        raise ValidationFailed(msg("ERP {actor} '{key}' cannot be imported:",
                                   actor=actor_param(plan.actor_type), key=shown(erp_key)),
                              problems)
    with run_lock(ctx.engine, ctx.settings.data_dir, plan.connection_id, found.name):
        connector = ctx.connectors.for_connection(found)
        run_id = start_run(ctx.engine, plan.connection_id, "import")
        failed = False
        for step, page in chain:
            sync = ActorSync(ctx.engine, replace(step, allow_import=True), connector, run_id,
                             RunOptions(), [])
            if sync.apply_records(page):
                failed = True
                break
        with ctx.engine.begin() as conn:
            finish_run(conn, run_id, "failed" if failed else "finished",
                       f"import: {plan.actor_type} {erp_key}")
    linked = _links(ctx, plan.connection_id, plan.actor_type, [erp_key]).get(erp_key)
    if linked is None:
        raise RefusedError(msg("ERP {actor} '{key}' was not imported; 'erp-tui log --errors' "
                               "says why.", actor=actor_param(plan.actor_type), key=shown(erp_key)))
    return linked


def _import_chain(ctx: AppContext, connection: Connection, plans: dict[str, ActorPlan],
                  plan: ActorPlan, erp_key: str, depth: int) -> list[tuple[ActorPlan, ActorPage]]:
    """The actors to import, parents first: [(plan, page of one actor)]."""
    cid, actor = plan.connection_id, plan.actor_type
    taken = _links(ctx, cid, actor, [erp_key]).get(erp_key)
    if taken is not None:
        if depth:
            return []  # the parent is in the CRM already
        raise RefusedError(msg("ERP {actor} '{key}' is already linked to CRM {entity} {id} in "
                               "'{name}'.", actor=actor, key=shown(erp_key),
                               entity=entity_name(taken[0], lower=True), id=taken[1],
                               name=connection.name))
    if not plan.in_fields:
        raise RefusedError(msg("No field of {actor} flows from the ERP to the CRM in "
                               "'{name}'; map one '>' or '<>' first.", actor=actor,
                               name=connection.name))
    keys = [f.erp_key for f in plan.in_fields]
    result = ask_erp(ctx, connection, lambda c: c.get_actors(cid, actor, [erp_key], keys),
                     PageResult, SEARCH_TIMEOUT)
    if not result.ok or result.page is None:
        raise ConnectorError(inert(result.user_message, 300) or msg("The ERP did not answer."))
    page = result.page
    if malformed(page) or (len(page) and tuple(page.field_keys) != tuple(keys)):
        raise ConnectorError(msg("The ERP answered with a malformed page for {actor}.",
                                 actor=actor))
    if erp_key not in page.erp_keys:
        raise NotFoundError(msg("The ERP has no {actor} with key '{key}'.", actor=actor,
                                key=shown(erp_key)))
    i = page.erp_keys.index(erp_key)
    one = ActorPage.trusted(
        actor_type=actor, field_keys=page.field_keys, erp_keys=[erp_key],
        last_modified=[page.last_modified[i]], rows=[page.rows[i]],
        parent_types=page.parent_types[i:i + 1], parent_keys=page.parent_keys[i:i + 1],
        deleted=[False])
    chain: list[tuple[ActorPlan, ActorPage]] = []
    parent_type = one.parent_types[0] if one.parent_types else ""
    parent_key = one.parent_keys[0] if one.parent_keys else ""
    if parent_key and parent_type in plan.parent_types and parent_type in plans and depth < 3:
        chain = _import_chain(ctx, connection, plans, plans[parent_type], parent_key,
                              depth + 1)
    return [*chain, (plan, one)]
