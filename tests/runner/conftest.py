"""Fixtures of the runner tests: a small sample ERP, a configured active connection, helpers
to look at and change both sides."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from erp_tui.connectors.sample_data import generate_sample_erp, touch_actors
from erp_tui.context import AppContext
from erp_tui.contract import PageResult
from erp_tui.model import Link
from erp_tui.rules import Direction
from erp_tui.runner import crm
from erp_tui.services import connections, lists, mappings

API_KEY = "demo-key"
CUSTOMER_MAP = {
    "customer_no": ("number1", ">"), "name": ("name", "<>"), "phone": ("phone", ">"),
    "email": ("email", "<"), "country": ("country", "<>"), "category": ("category", ">"),
    "postal_city": ("postal_city", "<>"),
}
PERSON_MAP = {"firstname": ("firstname", "<>"), "lastname": ("lastname", "<>")}


@dataclass
class World:
    """A store, a sample ERP file and one active connection syncing them."""

    ctx: AppContext
    erp_file: Path
    name: str
    connection_id: int

    # ---- CRM side ----------------------------------------------------------------------
    def company(self, crm_id: int, *columns: str) -> dict[str, Any]:
        cols = list(columns or ("name", "phone", "email", "country", "category", "number1",
                                "postal_city"))
        with self.ctx.engine.connect() as conn:
            record = crm.records(conn, "company", [crm_id], cols)[crm_id]
        return dict(zip(cols, record.values, strict=True))

    def edit_company(self, crm_id: int, **values: Any) -> None:
        with self.ctx.engine.begin() as conn:
            crm.edit_record(conn, "company", crm_id, values)

    def crm_id(self, erp_key: str, actor_type: str = "Customer") -> int:
        table = Link.__table__  # type: ignore[attr-defined]
        with self.ctx.engine.connect() as conn:
            return int(conn.execute(select(table.c.crm_id).where(
                table.c.connection_id == self.connection_id, table.c.actor_type == actor_type,
                table.c.erp_key == erp_key)).scalar_one())

    def links(self) -> list[tuple[Any, ...]]:
        table = Link.__table__  # type: ignore[attr-defined]
        with self.ctx.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(
                select(table.c.actor_type, table.c.erp_key, table.c.crm_id, table.c.state)
                .where(table.c.connection_id == self.connection_id)
                .order_by(table.c.actor_type, table.c.erp_key))]

    # ---- ERP side ----------------------------------------------------------------------
    def erp(self, erp_key: str, *fields: str, actor_type: str = "Customer") -> dict[str, Any]:
        connector = self.ctx.connectors.connector("sample")
        result = connector.get_actors(self.connection_id, actor_type, [erp_key], list(fields))
        assert isinstance(result, PageResult) and result.ok and result.page is not None
        return dict(zip(result.page.field_keys, result.page.rows[0], strict=True))

    def edit_erp(self, erp_keys: list[str], actor_type: str = "Customer", **values: Any) -> None:
        touch_actors(self.erp_file, actor_type, erp_keys, values)


def configure(ctx: AppContext, erp_file: Path, name: str, *, policy: str = "erp_wins",
              page_size: int = 5000, customer_map: dict[str, tuple[str, str]] | None = None,
              persons: bool = True, activate: bool = True, allow_import: bool = True) -> int:
    """Add, map and (by default) activate a sample connection the way an admin would."""
    draft = connections.ConnectionDraft(
        name=name, connector="sample", scope="everyone", conflict_policy=policy,
        allow_import=allow_import,
        values={"database": str(erp_file), "api_key": API_KEY, "page_size": page_size})
    cid = connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))
    state = mappings.load_mappings(ctx, cid)
    plans = {"Customer": customer_map or CUSTOMER_MAP}
    if persons:
        plans["Person"] = PERSON_MAP
    for actor, fields in plans.items():
        tab = state.tab(actor)
        tab.enabled = True
        for row in tab.rows:
            target = fields.get(row.erp.key)
            if target is None:
                mappings.set_crm_field(tab, row, row.crm_field)
                mappings.set_direction(tab, row, None)
                continue
            assert mappings.set_crm_field(tab, row, target[0]) == ""
            assert mappings.set_direction(tab, row, Direction(target[1])) == "", row.erp.key
    mappings.save_mappings(ctx, state)
    for mapped in lists.mapped_lists(ctx, cid):
        lists.save_list_mapping(ctx, lists.load_list_mapping(ctx, cid, mapped.erp_list,
                                                             mapped.crm_list))
    if activate:
        connections.activate(ctx, cid)
    return cid


@pytest.fixture
def world(ctx: AppContext, tmp_path: Path) -> World:
    erp_file = tmp_path / "erp.sqlite"
    generate_sample_erp(erp_file, customers=40, suppliers=0, persons_per_customer=1,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    cid = configure(ctx, erp_file, "Nordic")
    return World(ctx, erp_file, "Nordic", cid)
