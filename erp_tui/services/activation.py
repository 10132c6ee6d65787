"""Activation validation: one clear message per problem."""

from __future__ import annotations

from erp_tui.context import AppContext
from erp_tui.errors import ErpTuiError, Problem
from erp_tui.i18n import msg
from erp_tui.services.common import ConnectionRef, message_of
from erp_tui.services.defaults import stored_default_problems
from erp_tui.services.lists import stored_list_duplicates
from erp_tui.services.mappings import load_mappings, mapping_problems


def validate_connection(ctx: AppContext, ref: ConnectionRef, *, run_test: bool = True
                        ) -> list[Problem]:
    """Every reason the connection cannot be activated (empty when it can)."""
    problems: list[Problem] = []
    state = load_mappings(ctx, ref)
    if not any(tab.enabled for tab in state.tabs):
        problems.append(Problem(msg("No actor is enabled; open Mappings and tick "
                                    "'Synchronise ERP <actor> with CRM <entity>' for at least "
                                    "one actor."), code="no_actor"))
    problems.extend(mapping_problems(state, activating=True))
    with ctx.session() as session:
        problems.extend(stored_list_duplicates(session, state.connection_id))
        problems.extend(stored_default_problems(session, state.connection_id))
    if run_test:
        from erp_tui.services.connections import test_connection

        try:
            result = test_connection(ctx, ref)
            failed, reason = not result.ok, result.user_message
        except ErpTuiError as exc:
            failed, reason = True, message_of(exc)
        if failed:
            problems.append(Problem(msg("The connection test fails: {reason}", reason=reason),
                                    code="test_failed"))
    return problems
