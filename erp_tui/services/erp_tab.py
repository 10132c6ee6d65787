"""The ERP tab of a CRM record: per link its state, last sync, open record errors and field
history (from the store, fast), and the fields marked "show on ERP tab" with their live ERP
values (read through the connector under a time-out, in a worker).

Where a synced field's CRM value differs from the ERP's, both are given: the quick "why is this
out of sync" view. Values are compared as the runner compares them: canonical text in CRM terms,
list items translated through the list mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Table, func, or_, select
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from erp_tui.context import AppContext
from erp_tui.contract import FieldType, PageResult
from erp_tui.crm_catalog import actor_param
from erp_tui.crm_schema import find_field
from erp_tui.errors import NotFoundError, RefusedError
from erp_tui.i18n import msg, msgn
from erp_tui.model import ChangeLog, Connection, ErpField, FieldMapping, Link, SyncError
from erp_tui.rules import Direction
from erp_tui.runner import crm
from erp_tui.runner.plan import FieldPlan, actor_plans
from erp_tui.runner.stored import from_stored
from erp_tui.runner.translate import malformed
from erp_tui.runner.values import canon
from erp_tui.services.common import entity_name, get_connection
from erp_tui.services.erp_values import ask_erp, crm_lists, display, erp_lists, inert, shown
from erp_tui.services.records import check_entity
from erp_tui.sync_marks import LinkState

LINK: Table = Link.__table__  # type: ignore[attr-defined]
LOG: Table = ChangeLog.__table__  # type: ignore[attr-defined]
ERRORS: Table = SyncError.__table__  # type: ignore[attr-defined]
CONNECTION: Table = Connection.__table__  # type: ignore[attr-defined]

HISTORY_LIMIT = 50
"""Field changes shown per link, newest first."""
ERRORS_LIMIT = 50
"""Open record errors shown per link, newest first."""
VALUES_TIMEOUT = 5.0
"""Seconds the ERP may take to give a record's values."""


@dataclass(frozen=True)
class TabError:
    """An open record error of this record on this link."""

    id: int
    direction: str
    message: str
    at: datetime


@dataclass(frozen=True)
class TabChange:
    """One field change a run made on this link (`field`: the ERP field's label, or '*' for
    the actor deleted or restored in the ERP); values in canonical CRM-side text."""

    at: datetime
    field: str
    direction: str
    old: str
    new: str
    run_id: int


@dataclass(frozen=True)
class TabLink:
    """One link of the record. `state`: linked, deleted_in_erp, or error (linked, with open
    record errors); `field_keys`: (key, label) of the fields on the ERP tab, in rank order."""

    connection: str
    actor_type: str
    erp_key: str
    state: str
    last_sync: datetime | None
    errors: tuple[TabError, ...]
    history: tuple[TabChange, ...]
    field_keys: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class TabField:
    """One field on the ERP tab: the ERP's value as display text and, for a synced field, the
    mapped CRM field's display text; `differs` when they are not the same value."""

    key: str
    label: str
    erp_value: str
    crm_value: str | None
    differs: bool
    direction: str


@dataclass(frozen=True)
class TabValues:
    """The live values of a link's tab fields; `message` says why they could not be read."""

    fields: tuple[TabField, ...]
    message: str


# ---- from the store --------------------------------------------------------------------------

def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _require_record(ctx: AppContext, entity: str, record_id: int) -> None:
    with ctx.engine.connect() as conn:
        if not crm.records(conn, entity, [record_id], []):
            raise NotFoundError(msg("There is no CRM {entity} with id {id}.",
                                    entity=entity_name(entity, lower=True), id=record_id))


def _tab_fields(session: Session, connection_id: int, actor_type: str
                ) -> list[tuple[FieldMapping, ErpField]]:
    """(mapping, ERP field) of the fields marked "show on ERP tab", in rank order."""
    marked = session.exec(sm_select(FieldMapping).where(
        FieldMapping.connection_id == connection_id, FieldMapping.actor_type == actor_type,
        col(FieldMapping.show_on_tab).is_(True), col(FieldMapping.missing_in_erp).is_(False))
        .order_by(col(FieldMapping.rank), col(FieldMapping.erp_field)))
    fields = {f.key: f for f in session.exec(sm_select(ErpField).where(
        ErpField.connection_id == connection_id, ErpField.actor_type == actor_type))}
    return [(m, fields[m.erp_field]) for m in marked if m.erp_field in fields]


def erp_tab_links(ctx: AppContext, entity: str, record_id: int) -> list[TabLink]:
    """Every link of a CRM record (any connection, highest priority first) with its state,
    last sync, open errors, field history and tab fields; read from the store only."""
    entity = check_entity(entity)
    _require_record(ctx, entity, record_id)
    with ctx.engine.connect() as conn:
        links = list(conn.execute(
            select(LINK.c.id, LINK.c.connection_id, CONNECTION.c.name, LINK.c.actor_type,
                   LINK.c.erp_key, LINK.c.state, CONNECTION.c.last_sync_at)
            .join(CONNECTION, CONNECTION.c.id == LINK.c.connection_id)
            .where(LINK.c.crm_entity == entity, LINK.c.crm_id == record_id)
            .order_by(CONNECTION.c.active.desc(), CONNECTION.c.priority, CONNECTION.c.name,
                      LINK.c.actor_type)))
        out = []
        for link_id, cid, name, actor_type, erp_key, state, last_sync_at in links:
            errors = tuple(TabError(int(r[0]), r[1], inert(from_stored(r[2]), 300), _aware(r[3])
                                    or datetime.now(UTC)) for r in conn.execute(
                select(ERRORS.c.id, ERRORS.c.direction, ERRORS.c.message, ERRORS.c.at).where(
                    ERRORS.c.connection_id == cid, ERRORS.c.actor_type == actor_type,
                    ERRORS.c.resolved.is_(False),
                    or_(ERRORS.c.crm_id == record_id, ERRORS.c.erp_key == erp_key))
                .order_by(ERRORS.c.id.desc()).limit(ERRORS_LIMIT)))
            changes = list(conn.execute(
                select(LOG.c.at, LOG.c.field, LOG.c.direction, LOG.c.old_value,
                       LOG.c.new_value, LOG.c.run_id)
                .where(LOG.c.link_id == link_id)
                .order_by(LOG.c.id.desc()).limit(HISTORY_LIMIT)))
            newest = conn.execute(select(func.max(LOG.c.at)).where(
                LOG.c.link_id == link_id)).scalar()
            moments = [m for m in (_aware(last_sync_at), _aware(newest)) if m is not None]
            out.append((cid, name, actor_type, erp_key,
                        "error" if errors and state == LinkState.LINKED else state,
                        max(moments) if moments else None, errors, changes))
    result = []
    with ctx.session() as session:
        for cid, name, actor_type, erp_key, state, last_sync, errors, changes in out:
            fields = _tab_fields(session, cid, actor_type)
            labels = {f.key: inert(f.label, 100) for f in session.exec(sm_select(ErpField).where(
                ErpField.connection_id == cid, ErpField.actor_type == actor_type))}
            history = tuple(TabChange(
                at=_aware(c[0]) or datetime.now(UTC), field=labels.get(c[1], inert(c[1], 100)),
                direction=c[2], old=inert(c[3] or ""), new=inert(c[4] or ""), run_id=int(c[5]))
                for c in changes)
            result.append(TabLink(
                connection=name, actor_type=actor_type, erp_key=erp_key, state=state,
                last_sync=last_sync, errors=errors, history=history,
                field_keys=tuple((m.erp_field, inert(f.label, 100)) for m, f in fields)))
    return result


# ---- live values -----------------------------------------------------------------------------

def erp_tab_values(ctx: AppContext, entity: str, record_id: int, connection: str,
                   actor_type: str, erp_key: str, timeout: float = VALUES_TIMEOUT) -> TabValues:
    """The ERP's current values of the tab fields of one link, read through the connector
    under `timeout` (run it in a worker). A connector that fails, hangs or no longer has the
    actor gives `message` and no values, never an exception; a link that does not exist is a
    NotFoundError."""
    entity = check_entity(entity)
    with ctx.session() as session:
        found = get_connection(session, connection)
        cid = found.id or 0
        link = session.exec(sm_select(Link).where(
            Link.connection_id == cid, Link.actor_type == actor_type, Link.erp_key == erp_key,
            Link.crm_entity == entity, Link.crm_id == record_id)).first()
        if link is None:
            raise NotFoundError(msg("CRM {entity} {id} is not linked to ERP {actor} '{key}' in "
                                    "'{name}'.", entity=entity_name(entity, lower=True),
                                    id=record_id, actor=shown(actor_type), key=shown(erp_key),
                                    name=found.name))
        fields = _tab_fields(session, cid, actor_type)
        plans = {p.actor_type: p for p in actor_plans(session, found)}
        plan = plans.get(actor_type)
        synced: dict[str, FieldPlan] = {}
        if plan is not None and plan.crm_entity == entity:
            synced = {f.erp_key: f for f in plan.fields}
        crm_fields = {m.erp_field: find_field(session, entity, m.crm_field or "")
                      for m, _f in fields if m.erp_field in synced}
        lists = erp_lists(session, cid, [f.list_name for _m, f in fields])
        crm_items = crm_lists(session, [c.list_name for c in crm_fields.values() if c])
    if not fields:
        return TabValues((), "")
    if link.state == LinkState.DELETED_IN_ERP:
        return TabValues((), msg("ERP {actor} '{key}' was deleted in the ERP; its values can "
                                 "no longer be read.", actor=actor_param(actor_type),
                                 key=shown(erp_key)))
    keys = [m.erp_field for m, _f in fields]
    result = ask_erp(ctx, found, lambda c: c.get_actors(cid, actor_type, [erp_key], keys),
                     PageResult, timeout)
    if not result.ok or result.page is None:
        return TabValues((), inert(result.user_message, 300) or
                         msg("The ERP did not give the values."))
    page = result.page
    if malformed(page):
        return TabValues((), msg("The ERP answered with a malformed page."))
    if erp_key not in page.erp_keys:
        return TabValues((), msg("The ERP no longer has {actor} '{key}'; it may have been "
                                 "deleted there.", actor=actor_param(actor_type),
                                 key=shown(erp_key)))
    row = page.rows[page.erp_keys.index(erp_key)]
    at = {key: i for i, key in enumerate(page.field_keys)}
    current = _crm_values(ctx, entity, record_id, [synced[k] for k in keys if k in synced])
    out = []
    for mapping, field in fields:
        value = row[at[field.key]] if field.key in at else None
        kind = FieldType(field.type)
        direction = Direction.from_flags(mapping.to_crm, mapping.to_erp)
        plan_field = synced.get(field.key)
        crm_field = crm_fields.get(field.key)
        crm_value: str | None = None
        differs = False
        if plan_field is not None and crm_field is not None:
            mine = current.get(plan_field.crm_column, "")
            crm_value = display(crm_field.type, mine, crm_items.get(crm_field.list_name))
            differs = not _same(plan_field, canon(value), mine)
        out.append(TabField(key=field.key, label=inert(field.label, 100),
                            erp_value=display(kind, value, lists.get(field.list_name)),
                            crm_value=crm_value, differs=differs,
                            direction=direction.value if direction else ""))
    return TabValues(tuple(out), "")


def _crm_values(ctx: AppContext, entity: str, record_id: int, fields: list[FieldPlan]
                ) -> dict[str, str]:
    """Canonical CRM values of the synced fields' columns."""
    columns = sorted({f.crm_column for f in fields})
    with ctx.engine.connect() as conn:
        record = crm.records(conn, entity, [record_id], columns).get(record_id)
    if record is None:
        return {}
    return {column: canon(value) for column, value in zip(columns, record.values, strict=True)}


def _same(field: FieldPlan, erp: str, crm_value: str) -> bool:
    """Do an ERP value (canonical) and a CRM value (canonical) hold the same, in CRM terms?"""
    if field.to_crm_items is not None and erp:
        mapped = field.to_crm_items.get(erp)
        return mapped is not None and mapped == crm_value
    if field.crm_type is FieldType.DATE or field.erp_type is FieldType.DATE:
        return erp[:10] == crm_value[:10]
    if field.erp_type in (FieldType.INTEGER, FieldType.DOUBLE) and erp and crm_value:
        try:
            return float(erp) == float(crm_value)
        except ValueError:
            return erp == crm_value
    return erp == crm_value


# ---- retry -----------------------------------------------------------------------------------

def retry_record_errors(ctx: AppContext, connection: str, error_ids: list[int]) -> str:
    """Retry chosen open record errors of a connection; returns a summary sentence."""
    from erp_tui.runner.service import retry_errors

    if not error_ids:
        raise RefusedError(msg("Choose at least one error to retry."))
    with ctx.session() as session:
        found = get_connection(session, connection)
        mine = set(session.exec(sm_select(SyncError.id).where(
            SyncError.connection_id == found.id, col(SyncError.id).in_(error_ids))))
    if mine != set(error_ids):
        raise NotFoundError(msg("Some of those errors are not errors of '{name}'; 'erp-tui log "
                                "--errors' lists the open ones.", name=found.name))
    resolved, failing = retry_errors(ctx, found.name, list(error_ids))
    return msgn("Retried {count} error: {resolved} resolved, {failing} still failing.",
                "Retried {count} errors: {resolved} resolved, {failing} still failing.",
                resolved + failing, resolved=resolved, failing=failing)
