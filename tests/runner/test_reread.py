"""Re-reading from the ERP (`resync --from erp`): ERP edits the incremental cursor skipped (a
last-modified stamped before the cursor) are missed by `sync` and read by a re-read, by chosen
key or all; the cursor stays; failures are errors of the run, never an exception."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from erp_tui.cli import main
from erp_tui.connectors.sample_data import insert_actor, open_erp
from erp_tui.context import AppContext
from erp_tui.contract import Cursor, PageResult
from erp_tui.errors import NotFoundError, RefusedError
from erp_tui.model import SyncRun, SyncState
from erp_tui.runner import RunOptions, open_errors, resync_from_erp, retry_errors, run_sync
from tests.cli_support import run

from .conftest import World

# Before every stamp of the generated sample ERP (its actors change from 2025-09-01 on).
SKIPPED_STAMP = "2024-01-01T00:00:00.000000Z"


def sync(world: World) -> Any:
    (report,) = run_sync(world.ctx, [world.name], RunOptions())
    return report


def stamp_back(world: World, erp_key: str, table: str = "customer") -> None:
    """Give an ERP actor a last-modified before the cursor, as a macro stamping local time
    west of UTC (or a date only) would."""
    conn = open_erp(world.erp_file)
    try:
        conn.execute(f"UPDATE {table} SET last_modified = ? WHERE erp_key = ?",
                     (SKIPPED_STAMP, erp_key))
    finally:
        conn.close()


def skipped_edit(world: World, erp_key: str, **values: Any) -> None:
    """An ERP edit the incremental cursor does not see."""
    world.edit_erp([erp_key], **values)
    stamp_back(world, erp_key)


def cursor(world: World) -> list[tuple[str, str, str]]:
    """The ERP cursor of every actor type (the CRM stamp moves past the runner's own
    writes, as in a sync)."""
    table = SyncState.__table__  # type: ignore[attr-defined]
    with world.ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(  # type: ignore[misc]
            select(table.c.actor_type, table.c.erp_modified, table.c.erp_key)
            .where(table.c.connection_id == world.connection_id).order_by(table.c.actor_type))]


def runs(world: World) -> list[tuple[str, str, int, int, int]]:
    table = SyncRun.__table__  # type: ignore[attr-defined]
    with world.ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(  # type: ignore[misc]
            select(table.c.kind, table.c.status, table.c.created, table.c.updated,
                   table.c.errors).order_by(table.c.id))]


def test_a_skipped_erp_edit_is_missed_by_sync_and_read_by_key(world: World) -> None:
    sync(world)
    crm_id = world.crm_id("C0000003")
    skipped_edit(world, "C0000003", name="Renamed in a workbook macro", phone="+46 8 555 0303")
    at = cursor(world)
    missed = sync(world)
    assert (missed.counts.updated, missed.counts.errors) == (0, 0)
    assert world.company(crm_id)["name"] != "Renamed in a workbook macro"

    report = resync_from_erp(world.ctx, world.name, erp_keys=["C0000003"])
    assert report.status == "finished"
    assert (report.counts.updated, report.counts.created, report.counts.errors) == (1, 0, 0)
    assert set(report.actors) == {"Customer"}  # only the type the key is linked in
    company = world.company(crm_id)
    assert company["name"] == "Renamed in a workbook macro"
    assert company["phone"] == "+46 8 555 0303"
    assert cursor(world) == at  # the cursor stays where the sync left it
    assert runs(world)[-1] == ("reread", "finished", 0, 1, 0)
    # The next sync neither pushes the re-read values back nor reads them again.
    after = sync(world)
    assert (after.counts.updated, after.counts.pushed) == (0, 0)


def test_a_full_reread_reads_skipped_edits_and_creates_skipped_actors(world: World) -> None:
    sync(world)
    skipped_edit(world, "C0000005", phone="+46 8 555 0505")
    conn = open_erp(world.erp_file)
    try:
        customer = insert_actor(conn, "Customer", {"name": "Backdated Kund AB",
                                                   "phone": "+46 8 555 0000"}, SKIPPED_STAMP)
        person = insert_actor(conn, "Person", {"firstname": "Greta", "lastname": "Lund"},
                              SKIPPED_STAMP, parent=("Customer", customer))
    finally:
        conn.close()
    missed = sync(world)
    assert (missed.counts.created, missed.counts.updated) == (0, 0)

    report = resync_from_erp(world.ctx, world.name)
    assert report.status == "finished" and report.counts.errors == 0, report.as_dict()
    assert report.actors["Customer"].updated == 1 and report.actors["Customer"].created == 1
    assert report.actors["Person"].created == 1  # after its company: parents first
    assert report.counts.unchanged == 79  # every other actor was compared, not written
    assert world.company(world.crm_id("C0000005"))["phone"] == "+46 8 555 0505"
    new = world.company(world.crm_id(customer))
    assert (new["name"], new["phone"]) == ("Backdated Kund AB", "+46 8 555 0000")
    assert world.crm_id(person, "Person")
    again = resync_from_erp(world.ctx, world.name, "person")  # actor types by any case
    assert set(again.actors) == {"Person"}
    assert (again.counts.created, again.counts.updated, again.counts.unchanged) == (0, 0, 41)


def test_two_way_fields_changed_on_both_sides_follow_the_policy(world: World) -> None:
    sync(world)
    crm_id = world.crm_id("C0000004")
    world.edit_company(crm_id, name="CRM name", postal_city="Only in CRM")
    skipped_edit(world, "C0000004", name="ERP name")
    report = resync_from_erp(world.ctx, world.name, "Customer", ["C0000004"])
    assert (report.counts.updated, report.counts.conflicts) == (1, 1)  # erp_wins
    company = world.company(crm_id)
    # Changed on both sides: the policy's side; changed in the CRM only: the CRM value stays
    # (the next sync pushes it).
    assert (company["name"], company["postal_city"]) == ("ERP name", "Only in CRM")
    pushed = sync(world)
    assert pushed.counts.pushed == 1
    assert world.erp("C0000004", "postal_city", "name") == {"postal_city": "Only in CRM",
                                                            "name": "ERP name"}


def test_a_mapping_changed_since_the_last_sync(world: World) -> None:
    from erp_tui.services import connections, mappings

    sync(world)
    connections.deactivate(world.ctx, world.connection_id)
    state = mappings.load_mappings(world.ctx, world.connection_id)
    tab = state.tab("Customer")
    (row,) = [r for r in tab.rows if r.erp.key == "customer_no"]  # the first synced field
    assert mappings.set_direction(tab, row, None) == ""
    mappings.save_mappings(world.ctx, state)
    connections.activate(world.ctx, world.connection_id)
    skipped_edit(world, "C0000012", name="After the remap")
    report = resync_from_erp(world.ctx, world.name, erp_keys=["C0000012"])
    # The snapshots are re-keyed first: the name is an ERP change, not a conflict.
    assert (report.counts.updated, report.counts.conflicts) == (1, 0)
    assert world.company(world.crm_id("C0000012"))["name"] == "After the remap"


def test_refusals_write_nothing(world: World) -> None:
    sync(world)
    before = runs(world)
    with pytest.raises(RefusedError, match="has no link for ERP key 'C9999999';"):
        resync_from_erp(world.ctx, world.name, erp_keys=["C0000001", "C9999999"])
    with pytest.raises(RefusedError) as hostile:
        resync_from_erp(world.ctx, world.name, erp_keys=["\x1b[31mX\nY", "K" * 300])
    assert "'\\x1b[31mX\\nY', 'KKK" in str(hostile.value)  # shown inert, and cut
    assert "has no link for ERP keys '" in str(hostile.value)  # two keys: the plural
    assert "\x1b" not in str(hostile.value) and "K" * 61 not in str(hostile.value)
    with pytest.raises(RefusedError, match="has no link as Contact person for ERP key 'C0000001';"):
        resync_from_erp(world.ctx, world.name, "Person", ["C0000001"])
    with pytest.raises(NotFoundError, match="Actor 'Supplier' is not synced by 'Nordic'"):
        resync_from_erp(world.ctx, world.name, "Supplier")
    with pytest.raises(NotFoundError, match="no connection named"):
        resync_from_erp(world.ctx, "Nope")
    assert runs(world) == before


def test_an_inactive_connection_is_refused(world: World) -> None:
    from erp_tui.services.connections import deactivate

    deactivate(world.ctx, world.connection_id)
    with pytest.raises(RefusedError, match="is not active"):
        resync_from_erp(world.ctx, world.name)


def test_a_linked_actor_gone_from_the_erp_is_a_record_error(world: World) -> None:
    sync(world)
    skipped_edit(world, "C0000002", phone="+46 8 555 0202")
    conn = open_erp(world.erp_file)
    try:
        conn.execute("DELETE FROM customer WHERE erp_key = 'C0000006'")
    finally:
        conn.close()
    report = resync_from_erp(world.ctx, world.name, erp_keys=["C0000006", "C0000002"])
    assert report.status == "finished"
    assert (report.counts.updated, report.counts.errors) == (1, 1)
    (error,) = open_errors(world.ctx, world.name)
    assert error.erp_key == "C0000006" and error.crm_id == world.crm_id("C0000006")
    assert "The ERP has no Customer with this key any more" in error.message
    assert runs(world)[-1] == ("reread", "finished", 0, 1, 1)
    assert ("Customer", "C0000006", world.crm_id("C0000006"), "linked") in world.links()


def test_connector_failures_and_time_outs_are_errors_of_the_run(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    sync(world)
    skipped_edit(world, "C0000008", phone="+46 8 555 0808")
    connector = world.ctx.connectors.connector("sample")
    release = threading.Event()

    def hangs(*_args: Any) -> PageResult:
        release.wait(30)
        return PageResult(ok=False, user_message="too late")

    def fails(*_args: Any) -> PageResult:
        raise RuntimeError("socket closed")

    monkeypatch.setattr(connector, "get_actors", hangs)
    try:
        report = resync_from_erp(world.ctx, world.name, erp_keys=["C0000008"],
                                 options=RunOptions(timeout=0.2))
    finally:
        release.set()
    assert (report.status, report.counts.errors) == ("finished", 1)
    (error,) = open_errors(world.ctx, world.name)
    assert error.erp_key == "C0000008"
    assert "did not answer within 0.2 seconds" in error.message

    monkeypatch.setattr(connector, "actors_changed_since", fails)
    report = resync_from_erp(world.ctx, world.name)
    assert report.status == "finished"
    assert report.counts.errors == 2  # one batch error per actor type, nothing raised
    batch = [e for e in open_errors(world.ctx, world.name) if not e.erp_key]
    assert {e.actor_type for e in batch} == {"Customer", "Person"}
    assert all("Re-reading" in e.message and "failed unexpectedly" in e.message
               for e in batch)
    assert runs(world)[-1][1:] == ("finished", 0, 0, 2)

    # 'erp-tui retry' reads the failed key again by key.
    monkeypatch.undo()
    assert retry_errors(world.ctx, world.name,
                        [e.id for e in open_errors(world.ctx, world.name)
                         if e.erp_key and e.id is not None]) == (1, 0)
    assert world.company(world.crm_id("C0000008"))["phone"] == "+46 8 555 0808"


def test_a_next_cursor_that_does_not_move_ends_the_reread(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    sync(world)
    connector = world.ctx.connectors.connector("sample")
    original = connector.actors_changed_since
    reads: list[Cursor] = []

    def stuck(connection_id: int, actor_type: str, at: Cursor, *args: Any) -> PageResult:
        reads.append(at)
        if len(reads) > 20:
            return PageResult(ok=False, user_message="The fake gave up.")
        result = original(connection_id, actor_type, at, *args)
        if result.page is not None:
            result.page.next_cursor = Cursor()
        return result

    monkeypatch.setattr(connector, "actors_changed_since", stuck)
    report = resync_from_erp(world.ctx, world.name, "Customer")
    assert len(reads) == 1 and report.counts.errors == 1
    (error,) = open_errors(world.ctx, world.name)
    assert "next cursor does not move past" in error.message


def test_cancelling_stops_between_pages(ctx: AppContext, tmp_path: Path) -> None:
    from erp_tui.connectors.sample_data import generate_sample_erp

    from .conftest import API_KEY, configure

    erp_file = tmp_path / "erp.sqlite"
    generate_sample_erp(erp_file, customers=30, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    world = World(ctx, erp_file, "Paged", configure(ctx, erp_file, "Paged", page_size=10,
                                                    persons=False))
    sync(world)
    skipped_edit(world, "C0000002", phone="+1 555 0100")  # read first (the oldest stamp)
    world.edit_erp(["C0000025"], phone="+1 555 0100")  # read last (the newest stamp)
    options = RunOptions()
    options.progress = lambda _event: options.cancel.set()  # after the first page
    report = resync_from_erp(ctx, world.name, options=options)
    assert report.status == "cancelled"
    assert (report.counts.updated, report.counts.unchanged) == (1, 9)
    assert world.company(world.crm_id("C0000025"))["phone"] != "+1 555 0100"
    assert runs(world)[-1][:2] == ("reread", "cancelled")


def test_the_workbook_connector(ctx: AppContext, tmp_path: Path) -> None:
    import openpyxl

    from tests.connectors.erp_builders import WORKBOOK_LISTS, workbook_erp
    from tests.connectors.sync_support import configure as configure_connection
    from tests.connectors.sync_support import links, record

    book = workbook_erp(tmp_path / "erp.xlsx")
    cid = configure_connection(ctx, "Book", "workbook",
                               {"path": str(book), "lists": WORKBOOK_LISTS},
                               {"Customer": {"Name": ("name", "<>"),
                                             "City": ("postal_city", ">")}})
    (first,) = run_sync(ctx, ["Book"], RunOptions())
    assert first.counts.created == 5
    wb = openpyxl.load_workbook(book)
    ws = wb["Customer"]
    ws.cell(row=3, column=3).value = "Bergen"  # customer 2's city, stamped a year back
    ws.cell(row=3, column=7).value = SKIPPED_STAMP
    wb.save(book)
    wb.close()
    crm_id = links(ctx, cid)[("Customer", "2")][0]
    (missed,) = run_sync(ctx, ["Book"], RunOptions())
    assert missed.counts.updated == 0
    assert record(ctx, "company", crm_id, "postal_city") != {"postal_city": "Bergen"}
    report = resync_from_erp(ctx, "Book", erp_keys=["2"])
    assert (report.counts.updated, report.counts.errors) == (1, 0)
    assert record(ctx, "company", crm_id, "postal_city") == {"postal_city": "Bergen"}


# ---- the command line ------------------------------------------------------------------------

@pytest.fixture
def cli(world: World, settings: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("ERP_TUI_DATABASE_URL", settings.resolved_database_url())
    return world


def test_cli_resync_from_erp(cli: World, capsys: pytest.CaptureFixture[str]) -> None:
    world = cli
    assert run(capsys, "sync")[0] == 0
    skipped_edit(world, "C0000009", name="Late ERP edit")
    skipped_edit(world, "C0000010", name="Another late edit")
    code, out, err = run(capsys, "resync", world.name, "--from", "erp", "--key", "C0000009")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("Nordic: run 2 finished in ") and lines[0].endswith(
        " — 1 updated")
    assert lines[1:] == ["  Customer: 1 updated"]
    assert world.company(world.crm_id("C0000009"))["name"] == "Late ERP edit"
    code, out, _ = run(capsys, "resync", world.name, "--from", "erp", "--actor", "Customer")
    assert code == 0 and out.splitlines()[1:] == ["  Customer: 1 updated"]
    code, out, _ = run(capsys, "log", "--json")
    assert '"kind": "reread"' in out
    # The default stays a push from the CRM.
    code, out, _ = run(capsys, "resync", world.name, "--key", "C0000009")
    assert code == 0 and "  Customer: 1 pushed to ERP" in out.splitlines()


def test_cli_resync_from_erp_errors(cli: World, capsys: pytest.CaptureFixture[str]) -> None:
    world = cli
    assert run(capsys, "sync")[0] == 0
    code, out, err = run(capsys, "resync", world.name, "--from", "erp", "--key", "X1")
    assert (code, out) == (1, "")
    assert err.strip().count("\n") == 0 and "has no link for ERP key 'X1';" in err
    code, _, err = run(capsys, "resync", world.name, "--from", "erp", "--actor", "Supplier")
    assert code == 3 and err.strip().count("\n") == 0 and "is not synced by" in err
    code, _, err = run(capsys, "resync", "Nobody", "--from", "erp")
    assert code == 3 and "no connection named" in err
    with pytest.raises(SystemExit) as usage:
        main(["resync", world.name, "--from", "somewhere"])
    assert usage.value.code == 2 and "invalid choice: 'somewhere'" in capsys.readouterr().err
    conn = open_erp(world.erp_file)
    try:
        conn.execute("DELETE FROM customer WHERE erp_key = 'C0000011'")
    finally:
        conn.close()
    code, out, err = run(capsys, "resync", world.name, "--from", "erp", "--key", "C0000011")
    assert code == 1 and "finished with 1 error" in out.splitlines()[0]
    assert "Traceback" not in err


def test_a_type_without_fields_to_the_crm_is_refused(ctx: AppContext, tmp_path: Path) -> None:
    from erp_tui.connectors.sample_data import generate_sample_erp

    from .conftest import API_KEY, configure

    erp_file = tmp_path / "erp.sqlite"
    generate_sample_erp(erp_file, customers=3, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    push_only = {"email": ("email", "<"), "name": ("name", "<")}
    configure(ctx, erp_file, "Push only", customer_map=push_only, persons=False)
    with pytest.raises(RefusedError, match="maps no field of Customer from the ERP"):
        resync_from_erp(ctx, "Push only", "Customer")
    table = SyncRun.__table__  # type: ignore[attr-defined]
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0

