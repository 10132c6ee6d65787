"""Links made by people: link a CRM record to an existing ERP actor, create a CRM record in the
ERP (mapped values, fixed defaults, asked values, mandatory checks), disconnect a link."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlmodel import col
from sqlmodel import select as sm_select

from erp_tui.context import AppContext
from erp_tui.contract import Actor, ActorResult, FieldType, PageResult
from erp_tui.crm_catalog import actor_param
from erp_tui.errors import ConnectorError, NotFoundError, Problem, RefusedError, ValidationFailed
from erp_tui.i18n import msg
from erp_tui.model import Connection, SyncDefault
from erp_tui.rules import ErpFieldView, parse_value
from erp_tui.runner import crm
from erp_tui.runner.calls import timed_call
from erp_tui.runner.plan import ActorPlan, actor_plans
from erp_tui.runner.push import to_erp
from erp_tui.runner.shapes import LinkState
from erp_tui.runner.stored import message_of
from erp_tui.runner.tables import LINK
from erp_tui.runner.values import canon, encode
from erp_tui.services.common import erp_fields, erp_list_items, field_view, get_connection


def _plan(ctx: AppContext, name: str, actor_type: str) -> tuple[Connection, ActorPlan]:
    with ctx.session() as session:
        connection = get_connection(session, name)
        for plan in actor_plans(session, connection):
            if plan.actor_type.lower() == actor_type.lower():
                return connection, plan
    raise NotFoundError(msg("Actor '{actor}' is not synced by '{name}'; enable it in Mappings "
                            "first.", actor=actor_param(actor_type), name=connection.name))


def _snapshot(plan: ActorPlan, values: dict[str, str]) -> str:
    return encode([values.get(f.erp_key, "") for f in plan.fields])


def link_record(ctx: AppContext, name: str, actor_type: str, erp_key: str, crm_id: int) -> int:
    """Pair an existing CRM record with an existing ERP actor; the next run syncs them."""
    connection, plan = _plan(ctx, name, actor_type)
    connector = ctx.connectors.for_connection(connection)
    result = timed_call(lambda: connector.get_actors(plan.connection_id, plan.actor_type,
                                                     [erp_key], []), PageResult)
    if not result.ok or result.page is None or erp_key not in result.page.erp_keys:
        raise NotFoundError(msg("The ERP has no {actor} with key '{erp_key}'.",
                                actor=actor_param(plan.actor_type), erp_key=erp_key))
    with ctx.engine.begin() as conn:
        if not crm.records(conn, plan.crm_entity, [crm_id], []):
            raise NotFoundError(msg("There is no CRM {entity} with id {crm_id}.",
                                    entity=plan.crm_entity, crm_id=crm_id))
        taken = conn.execute(select(LINK.c.erp_key, LINK.c.crm_id).where(
            LINK.c.connection_id == plan.connection_id,
            ((LINK.c.actor_type == plan.actor_type) & (LINK.c.erp_key == erp_key))
            | ((LINK.c.crm_entity == plan.crm_entity) & (LINK.c.crm_id == crm_id)))).first()
        if taken is not None:
            raise RefusedError(msg("ERP {actor} '{erp_key}' and CRM record {crm_id} are already "
                                   "linked in '{name}'; disconnect first.",
                                   actor=actor_param(plan.actor_type), erp_key=taken[0],
                                   crm_id=taken[1], name=connection.name))
        # An empty snapshot: both sides count as changed, so two-way fields are settled by
        # the connection's conflict policy.
        link_id = conn.execute(insert(LINK).values(
            connection_id=plan.connection_id, actor_type=plan.actor_type, erp_key=erp_key,
            crm_entity=plan.crm_entity, crm_id=crm_id, state=LinkState.LINKED,
            snapshot=_snapshot(plan, {}), crm_stamp=-1, erp_modified="")).inserted_primary_key
    assert link_id is not None
    _sync_now(ctx, connection, plan, erp_key)
    return int(link_id[0])


def _sync_now(ctx: AppContext, connection: Connection, plan: ActorPlan, erp_key: str) -> None:
    """Sync one link both ways right away (a run of its own in the log)."""
    from erp_tui.runner.engine import ActorSync, RunOptions, finish_run, start_run
    from erp_tui.runner.lock import run_lock

    with run_lock(ctx.engine, ctx.settings.data_dir, plan.connection_id, connection.name):
        connector = ctx.connectors.for_connection(connection)
        run_id = start_run(ctx.engine, plan.connection_id, "link")
        sync = ActorSync(ctx.engine, plan, connector, run_id, RunOptions(), [])
        result = timed_call(lambda: connector.get_actors(
            plan.connection_id, plan.actor_type, [erp_key],
            [f.erp_key for f in plan.in_fields]), PageResult)
        if result.ok and result.page is not None:
            sync.apply_records(result.page)
        sync.push_links([erp_key], force=False)
        with ctx.engine.begin() as conn:
            finish_run(conn, run_id, "finished",
                       msg("link: {actor} {erp_key}", actor=actor_param(plan.actor_type),
                           erp_key=erp_key))


def disconnect(ctx: AppContext, name: str, actor_type: str, erp_key: str) -> None:
    """Remove a link only; the CRM record and the ERP actor stay as they are."""
    with ctx.session() as session:
        connection = get_connection(session, name)
    with ctx.engine.begin() as conn:
        gone = conn.execute(delete(LINK).where(
            LINK.c.connection_id == connection.id, LINK.c.actor_type == actor_type,
            LINK.c.erp_key == erp_key)).rowcount
    if not gone:
        raise NotFoundError(msg("ERP {actor} '{erp_key}' is not linked in '{name}'.",
                                actor=actor_param(actor_type), erp_key=erp_key, name=name))


def values_to_ask(ctx: AppContext, name: str, actor_type: str) -> list[tuple[ErpFieldView,
                                                                              bool]]:
    """The fields whose value the user must be asked for on create: (field, mandatory)."""
    _connection, plan = _plan(ctx, name, actor_type)
    with ctx.session() as session:
        views = {f.key: field_view(f) for f in erp_fields(session, plan.connection_id,
                                                           plan.actor_type)}
        defaults = list(session.exec(sm_select(SyncDefault).where(
            SyncDefault.connection_id == plan.connection_id,
            SyncDefault.actor_type == plan.actor_type, col(SyncDefault.ask_user).is_(True))))
    return [(views[d.erp_field], d.mandatory or views[d.erp_field].mandatory)
            for d in defaults if d.erp_field in views]


def create_in_erp(ctx: AppContext, name: str, actor_type: str, crm_id: int,
                  answers: dict[str, str] | None = None) -> str:
    """Create a CRM record as an ERP actor and link them; returns the new ERP key.

    Mapped values (fields with a direction) are sent, fixed defaults fill the rest, fields
    marked "ask the user" take `answers`; a mandatory field without a value refuses the create
    with one message per field.
    """
    answers = answers or {}
    connection, plan = _plan(ctx, name, actor_type)
    with ctx.session() as session:
        views = {f.key: field_view(f) for f in erp_fields(session, plan.connection_id,
                                                           plan.actor_type)}
        defaults = {d.erp_field: d for d in session.exec(sm_select(SyncDefault).where(
            SyncDefault.connection_id == plan.connection_id,
            SyncDefault.actor_type == plan.actor_type))}
        lists = {v.list_name: erp_list_items(session, plan.connection_id, v.list_name)
                 for v in views.values() if v.type is FieldType.LIST}
    columns = [f.crm_column for f in plan.fields]
    with ctx.engine.connect() as conn:
        record = crm.records(conn, plan.crm_entity, [crm_id], columns).get(crm_id)
        if record is None:
            raise NotFoundError(msg("There is no CRM {entity} with id {crm_id}.",
                                    entity=plan.crm_entity, crm_id=crm_id))
        linked = conn.execute(select(LINK.c.erp_key).where(
            LINK.c.connection_id == plan.connection_id, LINK.c.crm_entity == plan.crm_entity,
            LINK.c.crm_id == crm_id)).first()
    if linked is not None:
        raise RefusedError(msg("CRM record {crm_id} is already linked to ERP {actor} '{erp_key}' "
                               "in '{name}'.", crm_id=crm_id, actor=actor_param(plan.actor_type),
                               erp_key=linked[0], name=connection.name))
    values: dict[str, Any] = {}
    snapshot: dict[str, str] = {}
    problems: list[Problem] = []
    for f, value in zip(plan.fields, record.values, strict=True):
        if views.get(f.erp_key) is None or views[f.erp_key].read_only:
            continue
        text = canon(value)
        erp_value, problem = to_erp(f, text)
        if problem:
            problems.append(Problem(problem, plan.actor_type, f.erp_key))
        elif erp_value is not None:
            values[f.erp_key] = erp_value
            snapshot[f.erp_key] = text
    for key, default in defaults.items():
        view = views.get(key)
        if view is None or key in values:
            continue
        raw = answers.get(key) if default.ask_user else None
        if raw in (None, "") and default.set_value:
            raw = default.value
        if raw in (None, ""):
            if default.mandatory or view.mandatory:
                problems.append(Problem(msg("'{label}' is mandatory: give a value.",
                                            label=view.label), plan.actor_type, key,
                                        code="default"))
            continue
        try:
            values[key] = parse_value(view, str(raw), lists.get(view.list_name, {}))
        except ValueError as exc:
            problems.append(Problem(message_of(exc), plan.actor_type, key, code="default"))
    for key, view in views.items():
        missing = view.mandatory and key not in values and not view.read_only
        if missing and not any(p.field_key == key for p in problems):
            problems.append(Problem(msg("'{label}' is mandatory in the ERP: map it, give it a "
                                        "default, or fill it in.", label=view.label),
                                    plan.actor_type, key))
    if problems:
        raise ValidationFailed(msg("CRM record {crm_id} cannot be created in the ERP:",
                                   crm_id=crm_id), problems)
    connector = ctx.connectors.for_connection(connection)
    actor = Actor(actor_type=plan.actor_type, values=values)
    result = timed_call(lambda: connector.create_actor(plan.connection_id, actor), ActorResult)
    if not result.ok or result.actor is None:
        raise ConnectorError(result.user_message or msg("The ERP did not create the actor."))
    created = result.actor
    with ctx.engine.begin() as conn:
        conn.execute(insert(LINK).values(
            connection_id=plan.connection_id, actor_type=plan.actor_type,
            erp_key=created.erp_key, crm_entity=plan.crm_entity, crm_id=crm_id,
            state=LinkState.LINKED, snapshot=_snapshot(plan, snapshot),
            crm_stamp=record.change_stamp,
            erp_modified=created.last_modified or datetime.now(UTC).isoformat()))
    return created.erp_key
