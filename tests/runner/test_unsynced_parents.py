"""Children wait for their parents also when the connection does not sync the parent's type:
persons under suppliers, with Supplier disabled, are record errors saying what to do, not
persons without a company; once Supplier is synced a retry creates them under their companies.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.rules import Direction
from erp_tui.runner import RunOptions, open_errors, retry_errors, run_sync
from erp_tui.runner.linking import link_record
from erp_tui.services import connections, mappings

from .conftest import API_KEY, World, configure


def _world(ctx: AppContext, tmp_path: Path) -> World:
    erp_file = tmp_path / "erp.sqlite"
    generate_sample_erp(erp_file, customers=2, suppliers=4, persons_per_customer=1,
                        persons_per_supplier=5, projects=0, api_key=API_KEY)
    return World(ctx, erp_file, "P", configure(ctx, erp_file, "P"))  # Customer and Person


def _sync(world: World):  # type: ignore[no-untyped-def]
    (report,) = run_sync(world.ctx, [world.name], RunOptions())
    assert report.status == "finished"
    return report


def _person_companies(world: World) -> dict[str, int | None]:
    """ERP key of every synced person -> the CRM company it sits under."""
    with world.ctx.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT l.erp_key, p.company_id FROM link l JOIN crm_person p ON p.id = l.crm_id "
            "WHERE l.connection_id = :c AND l.actor_type = 'Person'"),
            {"c": world.connection_id}).all()
    return {key: company for key, company in rows}


def _enable_suppliers(world: World, direction: Direction = Direction.TO_CRM) -> None:
    connections.deactivate(world.ctx, world.name)
    state = mappings.load_mappings(world.ctx, world.name)
    tab = state.tab("Supplier")
    tab.enabled = True
    name = next(row for row in tab.rows if row.erp.key == "name")
    assert mappings.set_crm_field(tab, name, "name") == ""
    assert mappings.set_direction(tab, name, direction) == ""
    mappings.save_mappings(world.ctx, state)
    connections.activate(world.ctx, world.name)


def test_persons_under_an_unsynced_parent_type_wait_as_record_errors(
        ctx: AppContext, tmp_path: Path) -> None:
    world = _world(ctx, tmp_path)
    first = _sync(world)
    persons = _person_companies(world)
    assert len(persons) == 2 and None not in persons.values()  # the customers' people
    errors = [e for e in open_errors(ctx, world.name) if e.actor_type == "Person"]
    assert len(errors) == first.counts.errors == 20
    assert all(e.message.startswith("Its parent Supplier S") for e in errors)
    assert all("does not sync Supplier" in e.message and "Enable Supplier" in e.message
               and "link the parent" in e.message for e in errors)

    _enable_suppliers(world)
    second = _sync(world)
    assert second.actors["Supplier"].created == 4
    assert retry_errors(ctx, world.name) == (20, 0)
    assert open_errors(ctx, world.name) == []
    persons = _person_companies(world)
    assert len(persons) == 22 and None not in persons.values()
    suppliers = {world.crm_id(f"S000000{n}", "Supplier") for n in range(1, 5)}
    assert suppliers <= set(persons.values())


def test_a_parent_linked_by_hand_is_enough(ctx: AppContext, tmp_path: Path) -> None:
    world = _world(ctx, tmp_path)
    _enable_suppliers(world, Direction.TO_ERP)  # enabled, but no Supplier comes from the ERP
    _sync(world)
    assert len(open_errors(ctx, world.name)) == 20
    company = 5000
    with ctx.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO crm_company (id, name, change_stamp) "
                             "VALUES (5000, 'Björk Handel (by hand)', 1000)")
    link_record(ctx, world.name, "Supplier", "S0000001", company)
    resolved, failing = retry_errors(ctx, world.name)
    assert (resolved, failing) == (5, 15)  # the people of the linked supplier only
    persons = _person_companies(world)
    assert len(persons) == 7 and None not in persons.values()
    assert sum(1 for c in persons.values() if c == company) == 5
