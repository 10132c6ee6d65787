"""Activation validation: one clear message per problem."""

from __future__ import annotations

from sqlmodel import select

from erp_tui.context import AppContext
from erp_tui.contract import Result
from erp_tui.crm_schema import all_entity_fields
from erp_tui.errors import ErpTuiError, Problem
from erp_tui.model import ActorMapping, ErpField, FieldMapping
from erp_tui.rules import Direction, direction_refusal
from erp_tui.services.common import ConnectionRef, field_view, get_connection
from erp_tui.services.defaults import stored_default_problems
from erp_tui.services.lists import stored_list_duplicates


def validate_connection(ctx: AppContext, ref: ConnectionRef, *, run_test: bool = True
                        ) -> list[Problem]:
    """Every reason the connection cannot be activated (empty when it can)."""
    problems: list[Problem] = []
    with ctx.session() as session:
        connection = get_connection(session, ref)
        cid = connection.id or 0
        actors = list(session.exec(select(ActorMapping).where(ActorMapping.connection_id == cid)))
        fields = {(f.actor_type, f.key): f for f in session.exec(
            select(ErpField).where(ErpField.connection_id == cid))}
        mappings = list(session.exec(select(FieldMapping).where(
            FieldMapping.connection_id == cid)))
        crm_fields = all_entity_fields(session)
        if not any(a.enabled for a in actors):
            problems.append(Problem("No actor is enabled; open Mappings and tick "
                                    "'Synchronise ERP <actor> with CRM <entity>' for at least "
                                    "one actor.", code="no_actor"))
        for actor in actors:
            for mapping in (m for m in mappings if m.actor_type == actor.actor_type):
                erp = fields.get((actor.actor_type, mapping.erp_field))
                direction = Direction.from_flags(mapping.to_crm, mapping.to_erp)
                where = f"{actor.actor_type} › {erp.label if erp else mapping.erp_field}"
                if erp is None or mapping.missing_in_erp:
                    if direction is not None:
                        problems.append(Problem(
                            f"{where}: the field is no longer available in the ERP but still "
                            "has a direction; clear its direction.", actor.actor_type,
                            mapping.erp_field, code="missing_field"))
                    continue
                view = field_view(erp)
                if actor.enabled and view.mandatory and direction is None:
                    problems.append(Problem(
                        f"{where}: mandatory ERP field has no sync direction; map it to a CRM "
                        "field and choose a direction.", actor.actor_type, mapping.erp_field,
                        code="mandatory_direction"))
                refusal = direction_refusal(view, actor.crm_entity, mapping.crm_field, direction,
                                            crm_fields.get(actor.crm_entity, ()))
                if refusal:
                    problems.append(Problem(f"{where}: direction '{direction}' is not possible: "
                                            f"{refusal}", actor.actor_type, mapping.erp_field,
                                            code="read_only_direction"))
        problems.extend(stored_list_duplicates(session, cid))
        problems.extend(stored_default_problems(session, cid))
    if run_test:
        from erp_tui.services.connections import test_connection

        try:
            result = test_connection(ctx, ref)
        except ErpTuiError as exc:
            result = Result.failure(str(exc))
        if not result.ok:
            problems.append(Problem(f"The connection test fails: {result.user_message}",
                                    code="test_failed"))
    return problems

