"""The runner against the sample ERP: directions, lists, conflicts, cursors, log, errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select, text

from erp_tui.connectors.sample_data import generate_sample_erp, mark_deleted, open_erp
from erp_tui.model import ChangeLog, SyncRun
from erp_tui.runner import RunOptions, open_errors, retry_errors, run_changes, run_sync
from erp_tui.runner.lock import AlreadyRunningError, run_lock
from tests.list_support import map_list_item

from .conftest import API_KEY, World, configure


def sync(world: World, **options: object):  # type: ignore[no-untyped-def]
    (report,) = run_sync(world.ctx, [world.name], RunOptions(**options))  # type: ignore[arg-type]
    return report


def test_initial_sync_creates_crm_records_with_translated_values(world: World) -> None:
    report = sync(world)
    assert report.counts.created == 80 and report.counts.errors == 0  # 40 customers, 40 people
    erp = world.erp("C0000001", "name", "phone", "country", "category", "customer_no")
    crm_id = world.crm_id("C0000001")
    company = world.company(crm_id)
    assert company["name"] == erp["name"] and company["phone"] == erp["phone"]
    assert company["number1"] == erp["customer_no"]
    assert company["country"] == erp["country"]  # NL -> NL through the list mapping
    group = {"RETAIL": "retail", "WHOLESALE": "wholesale", "PUBLIC": "public",
             "EDU": "education", "HEALTH": "healthcare", "INDUSTRY": "industry"}
    assert company["category"] == group[erp["category"]]
    assert company["email"] == ""  # '<' fields never flow ERP→CRM
    person = world.crm_id("P0000001", "Person")
    with world.ctx.engine.connect() as conn:
        company_id = conn.execute(text("SELECT company_id FROM crm_person WHERE id = :i"),
                                  {"i": person}).scalar_one()
    parent = world.erp("P0000001", actor_type="Person")
    assert parent is not None and company_id is not None


def test_directions(world: World) -> None:
    sync(world)
    crm_id = world.crm_id("C0000002")
    before = world.erp("C0000002", "email", "phone")
    # ERP → CRM: '>' phone and '<>' name follow the ERP; '<' email does not.
    world.edit_erp(["C0000002"], phone="+31 20 555 0101", name="Renamed in ERP",
                   email="erp-only@example.com")
    report = sync(world)
    assert report.counts.updated == 1
    company = world.company(crm_id)
    assert company["phone"] == "+31 20 555 0101" and company["name"] == "Renamed in ERP"
    assert company["email"] == ""
    # CRM → ERP: '<' email and '<>' city are pushed; '>' phone is not.
    world.edit_company(crm_id, email="crm@example.com", postal_city="Zwolle", phone="000")
    report = sync(world)
    assert report.counts.pushed == 1
    erp = world.erp("C0000002", "email", "postal_city", "phone")
    assert erp == {"email": "crm@example.com", "postal_city": "Zwolle",
                   "phone": "+31 20 555 0101"}
    assert before["email"] != erp["email"]
    # Nothing changed since: the next run writes nothing.
    again = sync(world)
    assert (again.counts.updated, again.counts.pushed, again.counts.created) == (0, 0, 0)


@pytest.mark.parametrize(("policy", "winner"), [("erp_wins", "erp"), ("crm_wins", "crm"),
                                                ("newest_wins", "erp")])
def test_two_way_conflicts_follow_the_policy(ctx, tmp_path: Path, policy: str,  # type: ignore[no-untyped-def]
                                             winner: str) -> None:
    erp_file = tmp_path / "erp.sqlite"
    generate_sample_erp(erp_file, customers=5, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    world = World(ctx, erp_file, "C", configure(ctx, erp_file, "C", policy=policy,
                                                persons=False))
    sync(world)
    crm_id = world.crm_id("C0000003")
    world.edit_company(crm_id, name="CRM name")
    world.edit_erp(["C0000003"], name="ERP name")  # later than the CRM edit
    report = sync(world)
    assert report.counts.conflicts == 1
    expected = "ERP name" if winner == "erp" else "CRM name"
    assert world.company(crm_id)["name"] == expected
    assert world.erp("C0000003", "name")["name"] == expected
    with ctx.session() as session:
        logged = session.exec(select(ChangeLog).where(  # type: ignore[call-overload]
            ChangeLog.run_id == report.run_id, ChangeLog.conflict.is_(True))).all()
    assert [(c[0].field, c[0].new_value) for c in logged] == [("name", expected)]


def test_newest_wins_takes_the_later_crm_edit(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    erp_file = tmp_path / "erp.sqlite"
    generate_sample_erp(erp_file, customers=3, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    world = World(ctx, erp_file, "N", configure(ctx, erp_file, "N", policy="newest_wins",
                                                persons=False))
    sync(world)
    crm_id = world.crm_id("C0000001")
    world.edit_erp(["C0000001"], name="ERP first")
    world.edit_company(crm_id, name="CRM later")
    report = sync(world)
    assert report.counts.conflicts == 1
    assert world.erp("C0000001", "name")["name"] == "CRM later"
    assert world.company(crm_id)["name"] == "CRM later"


def test_unmapped_list_item_is_a_record_error_then_retried(world: World) -> None:
    map_list_item(world.ctx, world.name, "country", "SE", None)
    report = sync(world)
    errors = open_errors(world.ctx, world.name)
    swedish = [e for e in errors if e.actor_type == "Customer"]
    their_people = [e for e in errors if e.actor_type == "Person"]
    assert report.counts.errors == len(errors) == 2 * len(swedish) > 0
    assert all("ERP item 'SE' of list 'country'" in e.message for e in swedish)
    # People of those customers wait for them instead of landing without their company.
    assert all(e.message.startswith("Its parent Customer ") for e in their_people)
    assert report.counts.created == 80 - len(errors)  # the rest of the run went on
    # Retried before the mapping is fixed: still failing, and still one open error each (the
    # new error, with today's reason, replaces the old one).
    assert retry_errors(world.ctx, world.name) == (0, len(errors))
    again = open_errors(world.ctx, world.name)
    assert sorted((e.actor_type, e.erp_key) for e in again) == sorted(
        (e.actor_type, e.erp_key) for e in errors)
    assert {e.id for e in again}.isdisjoint({e.id for e in errors})
    map_list_item(world.ctx, world.name, "country", "SE", "SE")
    resolved, failing = retry_errors(world.ctx, world.name)
    assert (resolved, failing) == (len(errors), 0)
    assert open_errors(world.ctx, world.name) == []
    assert world.company(world.crm_id(swedish[0].erp_key))["country"] == "SE"


def test_equal_timestamps_at_a_page_boundary(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    erp_file = tmp_path / "erp.sqlite"
    generate_sample_erp(erp_file, customers=23, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    with open_erp(erp_file) as conn:  # every actor changed in the same microsecond
        conn.execute("UPDATE customer SET last_modified = '2026-01-01T00:00:00.000000Z'")
        conn.commit()
    world = World(ctx, erp_file, "P", configure(ctx, erp_file, "P", page_size=5,
                                                persons=False))
    report = sync(world)
    assert report.counts.created == 23
    assert len({key for _a, key, _c, _s in world.links()}) == 23
    assert sync(world).counts.created == 0


def test_an_empty_run_keeps_the_cursor(world: World) -> None:
    sync(world)
    with world.ctx.engine.connect() as conn:
        before = conn.execute(text("SELECT erp_modified, erp_key, crm_stamp FROM sync_state "
                                   "ORDER BY actor_type")).all()
    report = sync(world)
    with world.ctx.engine.connect() as conn:
        after = conn.execute(text("SELECT erp_modified, erp_key, crm_stamp FROM sync_state "
                                  "ORDER BY actor_type")).all()
    assert report.counts.unchanged == 0 and before == after
    assert all(row[0] for row in after)


def test_lag_window_rereads_without_duplicates(world: World) -> None:
    with world.ctx.engine.begin() as conn:
        conn.execute(text("UPDATE connection SET lag_seconds = 86400000"))
    sync(world)
    report = sync(world)
    assert report.counts.created == 0 and report.counts.unchanged == 80
    assert len(world.links()) == 80


def test_dry_run_writes_nothing(world: World) -> None:
    sync(world)
    crm_id = world.crm_id("C0000004")
    world.edit_erp(["C0000004"], phone="+46 1")
    world.edit_company(crm_id, email="dry@example.com")
    store = Path(world.ctx.settings.resolved_database_url().removeprefix("sqlite:///"))

    def fingerprint() -> str:
        with world.ctx.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        digest = hashlib.sha256(store.read_bytes())
        digest.update(world.erp_file.read_bytes())
        return digest.hexdigest()

    before = fingerprint()
    report = sync(world, dry_run=True)
    assert fingerprint() == before
    assert report.run_id is None and report.counts.updated == 1 and report.counts.pushed == 1
    fields = {(c.field, c.direction, c.new) for c in report.changes}
    assert ("phone", ">", "+46 1") in fields and ("email", "<", "dry@example.com") in fields


def test_deleted_in_erp_marks_the_link_and_keeps_the_record(world: World) -> None:
    sync(world)
    crm_id = world.crm_id("C0000005")
    mark_deleted(world.erp_file, "Customer", ["C0000005"])
    report = sync(world)
    assert report.counts.deleted == 1
    assert ("Customer", "C0000005", crm_id, "deleted_in_erp") in world.links()
    assert world.company(crm_id)["name"]  # the CRM record stays


def test_an_actor_restored_in_the_erp_is_linked_again(world: World) -> None:
    """The ERP undoes a (soft) delete: the link is live again, the restore is logged, and
    values changed in the ERP meanwhile reach the CRM record (they used to be ignored for good)."""
    sync(world)
    crm_id = world.crm_id("C0000005")
    mark_deleted(world.erp_file, "Customer", ["C0000005"])
    sync(world)
    world.edit_erp(["C0000005"], phone="+46 8 555 01 01")  # edited while deleted: not synced
    assert world.company(crm_id)["phone"] != "+46 8 555 01 01"
    mark_deleted(world.erp_file, "Customer", ["C0000005"], deleted=False)
    report = sync(world)
    assert ("Customer", "C0000005", crm_id, "linked") in world.links()
    assert world.company(crm_id)["phone"] == "+46 8 555 01 01"
    changes = {(c.field, c.old_value, c.new_value) for c in run_changes(world.ctx,
                                                                         report.run_id or 0)}
    assert ("*", "deleted in ERP", "restored in ERP") in changes
    assert report.counts.updated == 1 and report.counts.errors == 0


def test_run_and_log_records(world: World) -> None:
    report = sync(world)
    crm_id = world.crm_id("C0000006")
    world.edit_erp(["C0000006"], phone="+47 22 00 00 00")
    second = sync(world)
    changes = run_changes(world.ctx, second.run_id or 0)
    assert [(c.field, c.direction, c.new_value, c.crm_id) for c in changes] == [
        ("phone", ">", "+47 22 00 00 00", crm_id)]
    with world.ctx.session() as session:
        run = session.get(SyncRun, report.run_id)
        assert run is not None and run.status == "finished" and run.created == 80
        assert run.ended is not None and "Customer=" in run.cursor_after


def test_one_run_per_connection(world: World) -> None:
    with run_lock(world.ctx.engine, world.ctx.settings.data_dir, world.connection_id, world.name), \
            pytest.raises(AlreadyRunningError, match="already being synced"):
        sync(world)
    assert sync(world).counts.created == 80


def test_resync_from_crm_overwrites_the_erp(world: World) -> None:
    from erp_tui.runner import resync_from_crm

    sync(world)
    crm_id = world.crm_id("C0000007")
    world.edit_company(crm_id, email="crm@example.com")
    sync(world)
    world.edit_erp(["C0000007"], email="changed-behind-our-back@example.com")
    report = resync_from_crm(world.ctx, world.name, "Customer", ["C0000007"])
    assert report.counts.pushed == 1
    assert world.erp("C0000007", "email")["email"] == "crm@example.com"


def test_priority_higher_connection_value_stands(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from erp_tui.runner.linking import link_record

    first, second = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    for path, seed in ((first, 1), (second, 2)):
        generate_sample_erp(path, customers=3, suppliers=0, persons_per_customer=0,
                            persons_per_supplier=0, projects=0, api_key=API_KEY, seed=seed)
    one_way = {"name": ("name", ">")}
    high = World(ctx, first, "High", configure(ctx, first, "High", customer_map=one_way,
                                               persons=False))
    low = World(ctx, second, "Low", configure(ctx, second, "Low", customer_map=one_way,
                                              persons=False, allow_import=False))
    run_sync(ctx)
    crm_id = high.crm_id("C0000001")
    high_name = high.erp("C0000001", "name")["name"]
    link_record(ctx, "Low", "Customer", "C0000002", crm_id)
    run_sync(ctx)
    assert high.company(crm_id)["name"] == high_name
    low.edit_erp(["C0000002"], name="Low priority name")
    report = run_sync(ctx)
    assert [r.connection for r in report] == ["High", "Low"]
    assert high.company(crm_id)["name"] == high_name
    # Swap priorities: now the other connection's value stands.
    from erp_tui.services.connections import set_priority_order

    set_priority_order(ctx, [low.connection_id, high.connection_id])
    low.edit_erp(["C0000002"], name="Now the higher one")
    run_sync(ctx)
    assert high.company(crm_id)["name"] == "Now the higher one"


def test_first_sync_progress_counts_against_the_size_the_erp_tells(ctx, tmp_path: Path  # type: ignore[no-untyped-def]
                                                                   ) -> None:
    erp_file = tmp_path / "erp.sqlite"
    generate_sample_erp(erp_file, customers=40, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    configure(ctx, erp_file, "Progress", page_size=10, persons=False)
    events = []
    run_sync(ctx, options=RunOptions(progress=events.append))
    fractions = [e.fraction for e in events if e.phase == "ERP → CRM"]
    assert fractions == [0.25, 0.5, 0.75, 1.0]
