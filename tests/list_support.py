"""Test helper shared by the runner, UI and snapshot tests: change one list item's mapping on a
connection the way an admin must (deactivate, change, activate again)."""

from __future__ import annotations

from erp_tui.context import AppContext
from erp_tui.services import lists
from erp_tui.services.connections import activate, deactivate


def map_list_item(ctx: AppContext, connection: int | str, erp_list: str, erp_key: str,
                  crm_key: str | None) -> None:
    """Map ERP item `erp_key` of `erp_list` to CRM item `crm_key` (None: leave it unmapped, so
    records using it become record errors) on an active connection."""
    deactivate(ctx, connection)
    state = lists.load_list_mapping(ctx, connection, erp_list)
    for row in state.rows:
        if row.erp_key == erp_key:
            row.crm_key = crm_key
    lists.save_list_mapping(ctx, state)
    activate(ctx, connection)
