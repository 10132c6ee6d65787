"""Faulty connectors never crash a run; people's links and creates; PostgreSQL as the store."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.contract import ActorPage, PageResult
from erp_tui.errors import ValidationFailed
from erp_tui.rules import DefaultSpec
from erp_tui.runner import RunOptions, open_errors, retry_errors, run_sync
from erp_tui.runner.linking import create_in_erp, disconnect, link_record
from erp_tui.services import connections, defaults

from .conftest import API_KEY, World, configure


def _sync(world: World, **options: Any):  # type: ignore[no-untyped-def]
    (report,) = run_sync(world.ctx, [world.name], RunOptions(**options))
    return report


def _small_pages(ctx: AppContext, tmp_path: Path, customers: int = 30) -> World:
    erp_file = tmp_path / "erp.sqlite"
    generate_sample_erp(erp_file, customers=customers, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    return World(ctx, erp_file, "F", configure(ctx, erp_file, "F", page_size=10,
                                               persons=False))


def test_connector_that_raises_gives_a_batch_error_and_a_finished_run(
        ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = _small_pages(ctx, tmp_path)
    connector = ctx.connectors.connector("sample")
    original = connector.actors_changed_since
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> PageResult:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("ERP database is on fire")
        return original(*args, **kwargs)

    monkeypatch.setattr(connector, "actors_changed_since", flaky)
    report = _sync(world)
    assert report.status == "finished" and report.counts.created == 10
    errors = open_errors(ctx, "F")
    assert len(errors) == 1 and "failed unexpectedly" in errors[0].message
    assert "on fire" in errors[0].tech_message
    monkeypatch.setattr(connector, "actors_changed_since", original)
    again = _sync(world)
    assert again.counts.created == 20  # the rest, nothing twice
    assert len(world.links()) == 30
    # That run read the failed batch's range again, so it closed the error: nothing to retry.
    assert open_errors(ctx, "F") == [] and again.closed_errors == 1
    assert retry_errors(ctx, "F") == (0, 0)


def test_connector_that_hangs_times_out(ctx: AppContext, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    world = _small_pages(ctx, tmp_path)
    connector = ctx.connectors.connector("sample")
    original = connector.actors_changed_since

    def slow(*args: Any, **kwargs: Any) -> PageResult:
        time.sleep(1.5)
        return original(*args, **kwargs)

    monkeypatch.setattr(connector, "actors_changed_since", slow)
    started = time.perf_counter()
    report = _sync(world, timeout=0.3)
    assert time.perf_counter() - started < 1.4
    assert report.status == "finished" and report.counts.errors == 1
    assert "did not answer within 0.3 seconds" in open_errors(ctx, "F")[0].message


def test_invalid_records_are_skipped_one_by_one(ctx: AppContext, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    world = _small_pages(ctx, tmp_path, customers=8)
    connector = ctx.connectors.connector("sample")
    original = connector.actors_changed_since

    def garbage(*args: Any, **kwargs: Any) -> PageResult:
        result = original(*args, **kwargs)
        page = result.page
        assert page is not None
        rows = [list(row) for row in page.rows]
        if rows:
            rows[0][page.field_keys.index("name")] = 12345  # a number in a text field
        broken = ActorPage.trusted(**{**page.__dict__, "rows": [tuple(r) for r in rows]})
        return PageResult(page=broken)

    monkeypatch.setattr(connector, "actors_changed_since", garbage)
    report = _sync(world)
    assert report.counts.created == 7 and report.counts.errors == 1
    message = open_errors(ctx, "F")[0].message
    assert "sent a int for Name, a text field" in message


def test_refused_pushes_become_record_errors(world: World,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _sync(world)
    for key, email in (("C0000001", "ok@example.com"), ("C0000002", "x" * 500)):
        world.edit_company(world.crm_id(key), email=email)
    report = _sync(world)
    assert report.counts.pushed == 1 and report.counts.errors == 1
    error = open_errors(world.ctx, world.name)[0]
    assert error.erp_key == "C0000002" and error.direction == "<"
    assert world.erp("C0000001", "email")["email"] == "ok@example.com"
    world.edit_company(world.crm_id("C0000002"), email="fixed@example.com")
    assert retry_errors(world.ctx, world.name, [error.id or 0]) == (1, 0)
    assert world.erp("C0000002", "email")["email"] == "fixed@example.com"


def test_create_in_erp_applies_defaults_and_asks(world: World) -> None:
    ctx = world.ctx
    connections.deactivate(ctx, world.name)
    defaults.save_default(ctx, world.name, "Customer",
                          DefaultSpec("payment_terms", True, "60", False, True))
    defaults.save_default(ctx, world.name, "Customer",
                          DefaultSpec("note", False, "", True, True))
    connections.activate(ctx, world.name)
    with ctx.engine.begin() as conn:
        from erp_tui.runner import crm

        crm_id = crm.allocate_ids(conn, "company", 1)[0]
        conn.exec_driver_sql(
            "INSERT INTO crm_company (id, name, email, country, change_stamp) "
            "VALUES (?, 'Nieuw Bedrijf BV', 'info@nieuw.nl', 'NL', 999)", (crm_id,))
    with pytest.raises(ValidationFailed) as refused:
        create_in_erp(ctx, world.name, "Customer", crm_id)
    assert "'Note' is mandatory: give a value." in str(refused.value)
    key = create_in_erp(ctx, world.name, "Customer", crm_id, {"note": "asked value"})
    erp = world.erp(key, "name", "email", "country", "payment_terms", "note")
    assert erp == {"name": "Nieuw Bedrijf BV", "email": "info@nieuw.nl", "country": "NL",
                   "payment_terms": "60", "note": "asked value"}
    assert ("Customer", key, crm_id, "linked") in world.links()


def test_link_and_disconnect_touch_no_data(world: World) -> None:
    ctx = world.ctx
    with ctx.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO crm_company (id, name, change_stamp) "
                             "VALUES (5000, 'Hand made', 1)")
    erp_name = world.erp("C0000003", "name")["name"]
    connections.deactivate(ctx, world.name)
    with ctx.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE connection SET allow_import = 0")
    connections.activate(ctx, world.name)
    link_record(ctx, world.name, "Customer", "C0000003", 5000)
    assert world.company(5000)["name"] == erp_name  # erp_wins settles the two-way name
    disconnect(ctx, world.name, "Customer", "C0000003")
    assert world.company(5000)["name"] == erp_name
    assert world.erp("C0000003", "name")["name"] == erp_name
    assert world.links() == []


def test_postgresql_store_syncs_the_same(tmp_path: Path, pg_url: str) -> None:
    from erp_tui.settings import Settings

    ctx = AppContext.open(Settings(data_dir=tmp_path / "data", database_url=pg_url))
    try:
        erp_file = tmp_path / "erp.sqlite"
        generate_sample_erp(erp_file, customers=25, suppliers=0, persons_per_customer=1,
                            persons_per_supplier=0, projects=0, api_key=API_KEY)
        world = World(ctx, erp_file, "PG", configure(ctx, erp_file, "PG", page_size=10))
        assert _sync(world).counts.created == 50
        crm_id = world.crm_id("C0000004")
        world.edit_erp(["C0000004"], name="Changed in ERP")
        world.edit_company(crm_id, email="pg@example.com")
        report = _sync(world)
        assert (report.counts.updated, report.counts.pushed) == (1, 1)
        assert world.company(crm_id)["name"] == "Changed in ERP"
        assert world.erp("C0000004", "email")["email"] == "pg@example.com"
    finally:
        ctx.engine.dispose()


def test_actor_seen_twice_in_one_initial_run_is_linked_once(
        ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An actor changed in the ERP while the initial sync runs comes back in a later page."""
    world = _small_pages(ctx, tmp_path, customers=25)
    connector = ctx.connectors.connector("sample")
    original = connector.actors_changed_since
    first: dict[str, Any] = {}

    def replaying(*args: Any, **kwargs: Any) -> PageResult:
        result = original(*args, **kwargs)
        page = result.page
        assert page is not None
        if not first:
            first["row"] = (page.erp_keys[0], page.rows[0])
        elif page.next_cursor is None and page.erp_keys[0] != first["row"][0]:
            key, row = first["row"]
            page = ActorPage.trusted(**{
                **page.__dict__, "erp_keys": [*page.erp_keys, key],
                "last_modified": [*page.last_modified, "2099-01-01T00:00:00.000000Z"],
                "rows": [*page.rows, row], "deleted": [*page.deleted, False]})
        return PageResult(page=page)

    monkeypatch.setattr(connector, "actors_changed_since", replaying)
    report = _sync(world)
    assert report.counts.created == 25 and report.counts.errors == 0
    assert len(world.links()) == 25


def test_malformed_page_is_a_batch_error(ctx: AppContext, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    world = _small_pages(ctx, tmp_path, customers=5)
    connector = ctx.connectors.connector("sample")
    original = connector.actors_changed_since

    def short(*args: Any, **kwargs: Any) -> PageResult:
        page = original(*args, **kwargs).page
        assert page is not None
        return PageResult(page=ActorPage.trusted(**{**page.__dict__,
                                                    "rows": page.rows[:-1]}))

    monkeypatch.setattr(connector, "actors_changed_since", short)
    report = _sync(world)
    assert report.status == "finished" and report.counts.created == 0
    assert "malformed page" in open_errors(ctx, "F")[0].message
