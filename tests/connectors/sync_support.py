"""Helpers of the connector sync tests: configure a connection through the services the way an
admin would, run the runner, and look at the CRM side and the links."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from erp_tui.context import AppContext
from erp_tui.model import Link
from erp_tui.rules import Direction
from erp_tui.runner import RunOptions, RunReport, crm, open_errors, run_sync
from erp_tui.services import connections, lists, mappings

# actor type -> ERP field key -> (CRM field, direction)
Plan = dict[str, dict[str, tuple[str, str]]]


def configure(ctx: AppContext, name: str, connector: str, values: dict[str, Any], plan: Plan,
              *, policy: str = "erp_wins", activate: bool = True) -> int:
    """Add (tested), map, list-map and activate a connection; returns its id.

    Actor types not in `plan` are disabled; fields not in an actor's plan get no direction.
    """
    draft = connections.ConnectionDraft(name=name, connector=connector, values=values,
                                        scope="everyone", conflict_policy=policy)
    outcome = connections.test_draft(ctx, draft)
    assert outcome.ok, outcome.message
    cid = connections.save_draft(ctx, draft, outcome)
    state = mappings.load_mappings(ctx, cid)
    for tab in state.tabs:
        fields = plan.get(tab.actor_type)
        tab.enabled = fields is not None
        for row in tab.rows:
            target = (fields or {}).get(row.erp.key)
            if target is None:
                mappings.set_direction(tab, row, None)
                continue
            assert mappings.set_crm_field(tab, row, target[0]) == "", row.erp.key
            assert mappings.set_direction(tab, row, Direction(target[1])) == "", row.erp.key
    for actor_type, fields in plan.items():
        mapped = {r.erp.key for r in state.tab(actor_type).rows}
        assert set(fields) <= mapped, f"{actor_type}: no ERP fields {set(fields) - mapped}"
    mappings.save_mappings(ctx, state)
    for mapped_list in lists.mapped_lists(ctx, cid):
        lists.save_list_mapping(ctx, lists.load_list_mapping(ctx, cid, mapped_list.erp_list,
                                                             mapped_list.crm_list))
    if activate:
        connections.activate(ctx, cid)
    return cid


def sync(ctx: AppContext, name: str, **options: Any) -> RunReport:
    """One run of one connection; it must finish (errors are counted, not raised)."""
    (report,) = run_sync(ctx, [name], RunOptions(**options))
    assert report.status == "finished", report.as_dict()
    return report


def counts(report: RunReport) -> dict[str, int]:
    return report.counts.as_dict()


def links(ctx: AppContext, connection_id: int) -> dict[tuple[str, str], tuple[int, str]]:
    """(actor type, ERP key) -> (CRM id, state) of every link of a connection."""
    table = Link.__table__  # type: ignore[attr-defined]
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(table.c.actor_type, table.c.erp_key, table.c.crm_id,
                                   table.c.state).where(table.c.connection_id == connection_id))
        return {(r[0], r[1]): (int(r[2]), str(r[3])) for r in rows}


def records(ctx: AppContext, entity: str, ids: list[int], *columns: str
            ) -> dict[int, dict[str, Any]]:
    """CRM records by id: column -> value."""
    with ctx.engine.connect() as conn:
        found = crm.records(conn, entity, ids, list(columns))
    return {rid: dict(zip(columns, row.values, strict=True)) for rid, row in found.items()}


def record(ctx: AppContext, entity: str, crm_id: int, *columns: str) -> dict[str, Any]:
    return records(ctx, entity, [crm_id], *columns)[crm_id]


def all_records(ctx: AppContext, entity: str, *columns: str) -> list[tuple[Any, ...]]:
    """Every record of a CRM entity table (id first), by id."""
    table = crm.table(entity)
    with ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(table.c.id, *(table.c[c] for c in columns)).order_by(table.c.id))]


def edit(ctx: AppContext, entity: str, crm_id: int, **values: Any) -> None:
    """Change a CRM record the way a user would (it gets a new change stamp)."""
    with ctx.engine.begin() as conn:
        crm.edit_record(conn, entity, crm_id, values)


def error_messages(ctx: AppContext, name: str) -> list[str]:
    return [e.message for e in open_errors(ctx, name)]
