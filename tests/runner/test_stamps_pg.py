"""CRM change stamps on a PostgreSQL store shared by several writers: a change held open in one
transaction while a push runs is pushed by a later run, concurrent allocators never share a
stamp or an id, and concurrent bulk creates never overlap."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Connection, text

from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.runner import RunOptions, crm, run_sync
from erp_tui.runner.stamp_horizon import settled_stamp
from erp_tui.settings import Settings
from tests.runner.conftest import API_KEY, World, configure

# Every host decrypts the connections' secrets with the same key.
SECRET_KEY = Fernet.generate_key().decode()


def _open(tmp_path: Path, url: str, host: str) -> AppContext:
    """A context on the shared store with a data directory of its own (another host)."""
    return AppContext.open(Settings(data_dir=tmp_path / host / "data", database_url=url,
                                    secret_key=SECRET_KEY))


@pytest.fixture
def pg_ctx(tmp_path: Path, pg_url: str) -> Iterator[AppContext]:
    context = _open(tmp_path, pg_url, "first")
    yield context
    context.engine.dispose()


def _world(ctx: AppContext, tmp_path: Path, name: str, customers: int, page_size: int = 10
           ) -> World:
    erp_file = tmp_path / f"{name}.sqlite"
    generate_sample_erp(erp_file, customers=customers, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    return World(ctx, erp_file, name, configure(ctx, erp_file, name, page_size=page_size,
                                                 persons=False))


def _sync(world: World) -> Any:
    (report,) = run_sync(world.ctx, [world.name], RunOptions())
    assert report.status == "finished", report.message
    return report


def _crm_cursor(ctx: AppContext, connection_id: int) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT crm_stamp FROM sync_state WHERE connection_id = :c AND actor_type = "
            "'Customer'"), {"c": connection_id}).scalar_one())


def _in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(0..count-1) in threads started together; their results (errors raised)."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            start.wait()
            results[i] = work(i)
        except BaseException as exc:  # handed to the test below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if errors:
        raise errors[0]
    return results


def test_a_crm_edit_held_open_during_a_push_is_pushed_by_a_later_run(
        pg_ctx: AppContext, tmp_path: Path) -> None:
    world = _world(pg_ctx, tmp_path, "Nordic", customers=12)
    _sync(world)
    held_id, later_id = world.crm_id("C0000003"), world.crm_id("C0000007")
    with pg_ctx.engine.connect() as held:
        transaction = held.begin()
        # Takes its stamp first, commits last: a later edit's stamp commits before it.
        held_stamp = crm.edit_record(held, "company", held_id, {"email": "held@example.com"})
        world.edit_company(later_id, email="later@example.com")
        report = _sync(world)
        assert report.counts.pushed == 1
        assert world.erp("C0000007", "email")["email"] == "later@example.com"
        assert world.erp("C0000003", "email")["email"] != "held@example.com"
        assert _crm_cursor(pg_ctx, world.connection_id) < held_stamp
        transaction.commit()
    report = _sync(world)
    assert world.erp("C0000003", "email")["email"] == "held@example.com"
    # The later edit, read again, is not pushed again.
    assert report.counts.pushed == 1
    assert _sync(world).counts.pushed == 0


def test_with_writers_always_in_flight_the_cursor_still_advances(pg_ctx: AppContext) -> None:
    """One held writer after another: each push settles the stamp the previous one saw."""
    engine = pg_ctx.engine
    with engine.connect() as first, engine.connect() as second, engine.connect() as probe:
        first.begin()
        first_stamps = crm.next_stamps(first, "company", 3)
        horizon = settled_stamp(probe, "company", 0)
        assert horizon.stamp == 0 and horizon.pending_stamp == first_stamps[-1]
        second.begin()
        crm.register_stamp_writer(second, "company")
        first.commit()
        second_stamps = crm.next_stamps(second, "company", 2)

        # The first writer ended: what the first look saw is settled; the second's wait.
        later = settled_stamp(probe, "company", 0, horizon.pending_stamp, horizon.pending_xid)
        assert later.stamp == first_stamps[-1]
        assert later.pending_stamp == second_stamps[-1]
        # Not while the second writer is still in flight.
        assert settled_stamp(probe, "company", later.stamp, later.pending_stamp,
                             later.pending_xid).stamp == first_stamps[-1]
        second.commit()
    with engine.connect() as probe:
        assert settled_stamp(probe, "company", later.stamp, later.pending_stamp,
                             later.pending_xid).stamp == second_stamps[-1]


def test_concurrent_allocators_never_share_a_stamp_or_an_id(pg_ctx: AppContext) -> None:
    engine = pg_ctx.engine

    def allocate(worker: int) -> list[tuple[range, range]]:
        blocks = []
        for i in range(25):
            with engine.begin() as conn:
                size = 1 + (worker * 7 + i * 13) % 40
                blocks.append((crm.next_stamps(conn, "company", size),
                               crm.allocate_ids(conn, "company", size)))
                if i % 5 == worker % 5:
                    # A plain INSERT takes an id of the sequence without the allocation lock.
                    conn.exec_driver_sql(
                        "INSERT INTO crm_company (name, created, updated, change_stamp) "
                        "VALUES ('plain', now(), now(), 0)")
        return blocks

    results = _in_threads(6, allocate)
    stamps = [s for blocks in results for block, _ids in blocks for s in block]
    ids = [n for blocks in results for _stamps, block in blocks for n in block]
    with engine.connect() as conn:
        plain_ids = [int(r[0]) for r in conn.exec_driver_sql(
            "SELECT id FROM crm_company WHERE name = 'plain'")]
    assert len(set(stamps)) == len(stamps) == sum(
        len(block) for blocks in results for block, _ids in blocks)
    assert len(set(ids) | set(plain_ids)) == len(ids) + len(plain_ids)
    assert all(len(block) == b - a + 1 for blocks in results for pair in blocks
               for block in pair for a, b in [(block[0], block[-1])])


def test_concurrent_bulk_creates_on_two_hosts_never_overlap(
        pg_ctx: AppContext, tmp_path: Path, pg_url: str) -> None:
    worlds = [_world(pg_ctx, tmp_path, name, customers=150, page_size=20)
              for name in ("North", "South")]
    hosts = [_open(tmp_path, pg_url, "host-a"), _open(tmp_path, pg_url, "host-b")]
    try:
        runs = [World(host, world.erp_file, world.name, world.connection_id)
                for host, world in zip(hosts, worlds, strict=True)]
        reports = _in_threads(2, lambda i: _sync(runs[i]))
    finally:
        for host in hosts:
            host.engine.dispose()
    assert [r.counts.created for r in reports] == [150, 150]
    assert all(r.counts.errors == 0 for r in reports)
    with pg_ctx.engine.connect() as conn:
        assert _duplicates(conn, "crm_company", "change_stamp") == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM crm_company").scalar_one() == 300
        assert conn.exec_driver_sql("SELECT count(*) FROM link").scalar_one() == 300
    for world in worlds:  # every record carries its own ERP actor's values
        crm_id = world.crm_id("C0000042")
        assert world.company(crm_id, "name")["name"] == world.erp("C0000042", "name")["name"]
        # Nothing of the other host's creates waits to be pushed here: the cursor moved on.
        assert _sync(world).counts.pushed == 0


def test_after_an_initial_sync_the_cursor_stands_at_the_newest_stamp(
        pg_ctx: AppContext, tmp_path: Path) -> None:
    """The runner's own bulk writes need no reading back by the next push."""
    world = _world(pg_ctx, tmp_path, "Nordic", customers=30)
    _sync(world)
    with pg_ctx.engine.connect() as conn:
        newest = crm.max_stamp(conn, "company")
    assert _crm_cursor(pg_ctx, world.connection_id) == newest


def _duplicates(conn: Connection, table: str, column: str) -> int:
    return int(conn.exec_driver_sql(
        f"SELECT count(*) - count(DISTINCT {column}) FROM {table}").scalar_one())
