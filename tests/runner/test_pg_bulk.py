"""A PostgreSQL store writes in bulk (COPY into staging tables, merged with SQL) and ends with
exactly the rows a SQLite store ends with; a large first load holds the records list's indexes
back and builds them as the migration made them, leaving another runner's load alone."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from erp_tui.connectors.sample_data import generate_sample_erp, mark_deleted, touch_actors
from erp_tui.context import AppContext
from erp_tui.rules import Direction
from erp_tui.runner import bulk_indexes, run_sync
from erp_tui.runner.engine import ActorSync
from erp_tui.services import connections, mappings
from erp_tui.settings import Settings
from tests.runner.conftest import API_KEY, CUSTOMER_MAP, World, configure

PERSONS = {"firstname": ("firstname", "<>"), "lastname": ("lastname", "<>"),
           "birthdate": ("birthdate", ">")}


def _open(tmp_path: Path, url: str) -> AppContext:
    return AppContext.open(Settings(data_dir=tmp_path / "data", database_url=url))


@pytest.fixture
def pg_ctx(tmp_path: Path, pg_url: str) -> Iterator[AppContext]:
    ctx = _open(tmp_path / "pg", pg_url)
    try:
        yield ctx
    finally:
        ctx.engine.dispose()


def _world(ctx: AppContext, erp_file: Path, page_size: int = 25) -> World:
    cid = configure(ctx, erp_file, "Nordic", page_size=page_size, persons=False,
                    customer_map=CUSTOMER_MAP, activate=False)
    state = mappings.load_mappings(ctx, cid)
    tab = state.tab("Person")
    tab.enabled = True
    for row in tab.rows:
        target = PERSONS.get(row.erp.key)
        if target is not None:
            assert mappings.set_crm_field(tab, row, target[0]) == ""
            assert mappings.set_direction(tab, row, Direction(target[1])) == ""
    mappings.save_mappings(ctx, state)
    connections.activate(ctx, cid)
    return World(ctx, erp_file, "Nordic", cid)


def _rows(ctx: AppContext) -> dict[str, Any]:
    """What a user could see of the store: records and links by ERP key, the change log."""
    with ctx.engine.connect() as conn:
        companies = conn.execute(text(
            "SELECT l.erp_key, l.state, l.snapshot, c.number1, c.name, c.phone, c.email, "
            "c.country, c.category, c.postal_city FROM link l JOIN crm_company c "
            "ON c.id = l.crm_id AND l.crm_entity = 'company' ORDER BY l.erp_key")).all()
        persons = conn.execute(text(
            "SELECT l.erp_key, l.state, l.snapshot, p.firstname, p.lastname, p.birthdate, "
            "pl.erp_key FROM link l JOIN crm_person p ON p.id = l.crm_id "
            "AND l.crm_entity = 'person' LEFT JOIN link pl ON pl.crm_entity = 'company' "
            "AND pl.crm_id = p.company_id ORDER BY l.erp_key")).all()
        changes = conn.execute(text(
            "SELECT actor_type, erp_key, field, direction, old_value, new_value, conflict "
            "FROM change_log ORDER BY actor_type, erp_key, field, direction")).all()
        errors = conn.execute(text("SELECT count(*) FROM sync_error")).scalar_one()
    return {"companies": [tuple(r) for r in companies],
            "persons": [(*r[:5], str(r[5]) if r[5] else None, r[6]) for r in persons],
            "changes": [tuple(r) for r in changes], "errors": errors}


def _play(world: World) -> list[tuple[int, ...]]:
    """An initial sync, changes on both sides, a second sync: the counts of each run."""
    counts = []
    (report,) = run_sync(world.ctx)
    counts.append(report.counts)
    touch_actors(world.erp_file, "Customer", ["C0000003", "C0000007"],
                 {"phone": "+46 8 123 45 67", "name": "Renamed in the ERP"})
    mark_deleted(world.erp_file, "Customer", ["C0000011"])
    world.edit_company(world.crm_id("C0000007"), name="Renamed in the CRM")  # a conflict
    world.edit_company(world.crm_id("C0000020"), email="pushed@example.com")
    (report,) = run_sync(world.ctx)
    counts.append(report.counts)
    return [(c.created, c.updated, c.pushed, c.deleted, c.conflicts, c.errors) for c in counts]


def test_a_postgresql_store_ends_with_the_same_rows_as_a_sqlite_store(
        tmp_path: Path, pg_ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_indexes, "BULK_MIN", 10)  # the bulk path with its indexes held
    erp = tmp_path / "erp.sqlite"
    generate_sample_erp(erp, customers=60, suppliers=0, persons_per_customer=1,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    shutil.copy(erp, tmp_path / "erp_pg.sqlite")
    lite_ctx = _open(tmp_path / "lite", f"sqlite:///{tmp_path / 'crm.sqlite'}")
    lite = _play(_world(lite_ctx, erp))
    pg = _play(_world(pg_ctx, tmp_path / "erp_pg.sqlite"))
    assert pg == lite
    assert lite[0][0] == 120 and lite[1][1:5] == (2, 1, 1, 1)  # the changes did happen
    expected, got = _rows(lite_ctx), _rows(pg_ctx)
    assert got["companies"] == expected["companies"]
    assert got["persons"] == expected["persons"]
    assert got["changes"] == expected["changes"]
    assert got["errors"] == expected["errors"] == 0
    birthdates = [r[5] for r in got["persons"]]
    assert any(birthdates)  # the date column was written
    touch_actors(tmp_path / "erp_pg.sqlite", "Person", ["P0000002"], {"birthdate": "1970-05-06"})
    (report,) = run_sync(pg_ctx)
    assert report.counts.updated == 1 and report.counts.errors == 0
    assert [r[5] for r in _rows(pg_ctx)["persons"] if r[0] == "P0000002"] == ["1970-05-06"]


def _indexes(ctx: AppContext) -> dict[str, str]:
    with ctx.engine.connect() as conn:
        return dict(conn.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            )).all())


def _bulk_locks(ctx: AppContext) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND classid::bigint = :space AND database = (SELECT oid FROM pg_database "
            "WHERE datname = current_database())"), {"space": bulk_indexes.BULK_LOCK_SPACE}
            ).scalar_one())


def test_a_large_first_load_on_postgresql_builds_the_indexes_as_migrated_at_the_end(
        tmp_path: Path, pg_ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    erp = tmp_path / "erp.sqlite"
    generate_sample_erp(erp, customers=40, suppliers=0, persons_per_customer=1,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    world = _world(pg_ctx, erp)
    before = _indexes(pg_ctx)
    monkeypatch.setattr(bulk_indexes, "BULK_MIN", 10)
    seen: list[set[str]] = []
    apply_page = ActorSync._apply_page

    def watching(self: ActorSync, *args: Any, **kwargs: Any) -> Any:
        seen.append(set(_indexes(pg_ctx)))
        return apply_page(self, *args, **kwargs)

    monkeypatch.setattr(ActorSync, "_apply_page", watching)
    (report,) = run_sync(world.ctx)
    assert report.counts.created == 80 and report.status == "finished"
    held = {n for n, spec in bulk_indexes.FOLDED.items() if spec[0] in ("crm_company", "link")}
    assert seen and not held & seen[0]  # held back while the customers were written
    assert _indexes(pg_ctx) == before  # and built again, the same, afterwards
    assert _bulk_locks(pg_ctx) == 0


def test_indexes_another_runner_holds_back_are_left_to_it_until_it_is_gone(
        tmp_path: Path, pg_ctx: AppContext, pg_url: str) -> None:
    erp = tmp_path / "erp.sqlite"
    generate_sample_erp(erp, customers=10, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    world = _world(pg_ctx, erp)
    before = _indexes(pg_ctx)
    other = create_engine(pg_url)  # another host's runner in the middle of a bulk load
    try:
        with other.connect() as runner:
            runner.execute(text("SELECT pg_advisory_lock(:space, :key)"),
                           dict(zip(("space", "key"), bulk_indexes.lock_key("crm_company"),
                                    strict=True)))
            runner.execute(text("DROP INDEX ix_crm_company_title"))
            runner.commit()
            (report,) = run_sync(world.ctx)
            assert report.status == "finished" and report.counts.created == 10
            assert "ix_crm_company_title" not in _indexes(pg_ctx)
        # That runner died (its session is gone): the next run builds what it held back.
        other.dispose()
        (report,) = run_sync(world.ctx)
        assert report.status == "finished"
        assert _indexes(pg_ctx) == before
    finally:
        other.dispose()


def test_a_load_whose_lock_session_the_server_ended_still_builds_its_indexes(
        tmp_path: Path, pg_ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    erp = tmp_path / "erp.sqlite"
    generate_sample_erp(erp, customers=30, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    world = _world(pg_ctx, erp)
    before = _indexes(pg_ctx)
    monkeypatch.setattr(bulk_indexes, "BULK_MIN", 10)
    apply_page = ActorSync._apply_page
    ended: list[int] = []

    def ending_the_lock_session(self: ActorSync, *args: Any, **kwargs: Any) -> Any:
        if not ended:  # e.g. idle_session_timeout on the server
            with pg_ctx.engine.connect() as conn:
                ended.extend(conn.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = "
                    "'advisory' AND classid::bigint = :space AND database = (SELECT oid "
                    "FROM pg_database WHERE datname = current_database())"),
                    {"space": bulk_indexes.BULK_LOCK_SPACE}).scalars())
        return apply_page(self, *args, **kwargs)

    monkeypatch.setattr(ActorSync, "_apply_page", ending_the_lock_session)
    (report,) = run_sync(world.ctx)
    assert ended and report.status == "finished" and report.counts.created == 30
    assert _indexes(pg_ctx) == before
