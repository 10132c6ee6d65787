"""Typed ERP fields synced both ways with user-defined CRM fields, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.crm_schema import find_field
from erp_tui.model import USER_FIELD_SLOTS
from erp_tui.runner import RunOptions, open_errors, run_sync
from erp_tui.runner.values import canon
from erp_tui.services import crm_fields, mappings

from .conftest import API_KEY, World, configure

# The sample ERP's extra fields on Customer: 0002 integer, 0003 decimal, 0004 checkbox,
# 0005 date (values for the first 25 customers); credit_limit, blocked and payment_terms are
# its own decimal, checkbox and list fields.
USER_FIELDS = (
    crm_fields.NewField("company", "visits", "Visits", "integer"),
    crm_fields.NewField("company", "discount", "Discount", "decimal"),
    crm_fields.NewField("company", "preferred", "Preferred", "checkbox"),
    crm_fields.NewField("company", "since", "Customer since", "date"),
    # Same keys as the ERP's fields: mapped automatically.
    crm_fields.NewField("company", "credit_limit", "Credit limit", "decimal"),
    crm_fields.NewField("company", "blocked", "Blocked", "checkbox"),
    crm_fields.NewField("company", "terms", "Payment terms", "list", list_name="terms",
                        items=(("0", "Cash"), ("14", "14 days"), ("30", "30 days"),
                               ("60", "60 days"))),
)
CUSTOMER_MAP = {
    "name": ("name", "<>"),
    "extra_0002": ("visits", "<>"), "extra_0003": ("discount", "<>"),
    "extra_0004": ("preferred", "<>"), "extra_0005": ("since", "<>"),
    "credit_limit": ("credit_limit", "<>"), "blocked": ("blocked", "<>"),
    "payment_terms": ("terms", "<>"),
}
TYPED = ("extra_0002", "extra_0003", "extra_0004", "extra_0005", "credit_limit", "blocked",
         "payment_terms")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppContext]:
    if request.param == "sqlite":
        yield request.getfixturevalue("ctx")
        return
    from erp_tui.settings import Settings

    context = AppContext.open(Settings(data_dir=tmp_path / "data",
                                       database_url=request.getfixturevalue("pg_url")))
    yield context
    context.engine.dispose()


def _world(ctx: AppContext, tmp_path: Path) -> World:
    erp_file = tmp_path / "erp.sqlite"
    generate_sample_erp(erp_file, customers=30, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, extra_fields=5, api_key=API_KEY)
    for spec in USER_FIELDS:
        crm_fields.add_field(ctx, spec)
    cid = configure(ctx, erp_file, "Typed", customer_map=CUSTOMER_MAP, persons=False,
                    page_size=10)
    return World(ctx, erp_file, "Typed", cid)


def _slots(ctx: AppContext) -> dict[str, str]:
    """CRM field key -> its column."""
    with ctx.session() as session:
        found = {key: find_field(session, "company", key) for _erp, (key, _d)
                 in CUSTOMER_MAP.items()}
    return {key: field.column for key, field in found.items() if field is not None}


def _crm(world: World, crm_id: int) -> dict[str, Any]:
    slots = _slots(world.ctx)
    values = world.company(crm_id, *slots.values())
    return {key: values[column] for key, column in slots.items()}


def _sync(world: World) -> Any:
    (report,) = run_sync(world.ctx, [world.name], RunOptions())
    assert report.status == "finished", report.as_dict()
    assert open_errors(world.ctx, world.name) == []
    return report


def test_typed_values_arrive_canonical_and_crm_edits_go_back_typed(
        store: AppContext, tmp_path: Path) -> None:
    world = _world(store, tmp_path)
    slots = _slots(store)
    assert slots.pop("name") == "name"
    assert set(slots.values()) <= set(USER_FIELD_SLOTS)
    assert _sync(world).counts.created == 30

    for key in ("C0000001", "C0000002", "C0000007"):
        erp = world.erp(key, *TYPED)
        crm = _crm(world, world.crm_id(key))
        assert crm == {"name": crm["name"], "visits": canon(erp["extra_0002"]),
                       "discount": canon(erp["extra_0003"]),
                       "preferred": canon(erp["extra_0004"]),
                       "since": canon(erp["extra_0005"]),
                       "credit_limit": canon(erp["credit_limit"]),
                       "blocked": canon(erp["blocked"]), "terms": erp["payment_terms"]}
        assert crm["visits"].isdigit() and crm["preferred"] in ("0", "1")
        assert date.fromisoformat(crm["since"]) == erp["extra_0005"]
        assert float(crm["discount"]) == erp["extra_0003"]

    crm_id = world.crm_id("C0000003")
    world.edit_company(crm_id, **{
        slots["visits"]: "77", slots["discount"]: "0.125", slots["preferred"]: "1",
        slots["since"]: "2025-02-03", slots["credit_limit"]: "12500", slots["blocked"]: "0",
        slots["terms"]: "60"})
    report = _sync(world)
    assert report.counts.pushed == 1
    erp = world.erp("C0000003", *TYPED)
    assert erp == {"extra_0002": 77, "extra_0003": 0.125, "extra_0004": True,
                   "extra_0005": date(2025, 2, 3), "credit_limit": 12500.0, "blocked": False,
                   "payment_terms": "60"}
    assert type(erp["extra_0002"]) is int and type(erp["credit_limit"]) is float

    # And the ERP's next change comes back into the slots.
    world.edit_erp(["C0000003"], extra_0002=5, extra_0005=date(2024, 1, 31), blocked=True)
    assert _sync(world).counts.updated == 1
    crm = _crm(world, crm_id)
    assert (crm["visits"], crm["since"], crm["blocked"]) == ("5", "2024-01-31", "1")


def test_user_fields_with_erp_keys_are_mapped_automatically(ctx: AppContext,
                                                              tmp_path: Path) -> None:
    world = _world(ctx, tmp_path)
    tab = mappings.load_mappings(ctx, world.connection_id).tab("Customer")
    assert tab.row("credit_limit").crm_field == "credit_limit"
    assert tab.row("blocked").crm_field == "blocked"
    # The picker offers a typed ERP field the user fields of its type (and no text field).
    offered = {f.key for f in tab.choices(tab.row("extra_0002"))}
    assert {"visits", "discount"} <= offered and "name" not in offered
    assert {f.key for f in tab.choices(tab.row("extra_0003"))} >= {"discount", "credit_limit"}
    assert "visits" not in {f.key for f in tab.choices(tab.row("extra_0003"))}


def test_a_removed_field_leaves_a_clean_slot(ctx: AppContext, tmp_path: Path) -> None:
    world = _world(ctx, tmp_path)
    _sync(world)
    slot = _slots(ctx)["visits"]
    crm_id = world.crm_id("C0000001")
    assert world.company(crm_id, slot)[slot] != ""
    from erp_tui.services import connections

    connections.deactivate(ctx, world.name)
    state = mappings.load_mappings(ctx, world.connection_id)
    tab = state.tab("Customer")
    mappings.set_crm_field(tab, tab.row("extra_0002"), None)
    mappings.save_mappings(ctx, state)
    assert crm_fields.remove_field(ctx, "company", "visits") == slot
    assert world.company(crm_id, slot)[slot] == ""
    table = __import__("erp_tui.runner.crm", fromlist=["table"]).table("company")
    with ctx.engine.connect() as conn:
        assert conn.execute(select(table.c[slot]).where(table.c[slot] != "")).first() is None
    again = crm_fields.add_field(ctx, crm_fields.NewField("company", "score", "Score",
                                                          "integer"))
    assert again.column == slot


def test_a_higher_priority_connection_owns_a_user_field_too(ctx: AppContext,
                                                            tmp_path: Path) -> None:
    from erp_tui.runner.linking import link_record

    crm_fields.add_field(ctx, crm_fields.NewField("company", "limit", "Limit", "decimal"))
    first, second = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    for path, seed in ((first, 1), (second, 2)):
        generate_sample_erp(path, customers=3, suppliers=0, persons_per_customer=0,
                            persons_per_supplier=0, projects=0, api_key=API_KEY, seed=seed)
    one_way = {"name": ("name", ">"), "credit_limit": ("limit", ">")}
    high = World(ctx, first, "High", configure(ctx, first, "High", customer_map=one_way,
                                               persons=False))
    low = World(ctx, second, "Low", configure(ctx, second, "Low", customer_map=one_way,
                                              persons=False, allow_import=False))
    run_sync(ctx)
    crm_id = high.crm_id("C0000001")
    link_record(ctx, "Low", "Customer", "C0000002", crm_id)
    high.edit_erp(["C0000001"], credit_limit=1000.0)
    low.edit_erp(["C0000002"], credit_limit=7.5)
    run_sync(ctx)
    with ctx.session() as session:
        field = find_field(session, "company", "limit")
    assert field is not None
    # "Low" reads its 7.5 after "High" wrote 1000: the higher connection's value stands.
    assert high.company(crm_id, field.column)[field.column] == "1000"
