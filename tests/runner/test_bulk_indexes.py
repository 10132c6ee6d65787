"""A first sync that creates many records builds the records list's indexes once at the end
instead of row by row; a run killed meanwhile leaves nothing missing for long."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from erp_tui.runner import bulk_indexes, run_sync
from erp_tui.runner.engine import ActorSync
from erp_tui.services import records


def _index_sql(world: Any) -> dict[str, str]:
    with world.ctx.engine.connect() as conn:
        return {row[0]: " ".join(str(row[1]).split()) for row in conn.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))}


def test_the_runner_builds_the_indexes_exactly_as_the_migration_does(world: Any) -> None:
    migrated = _index_sql(world)
    for name in bulk_indexes.FOLDED:
        assert migrated[name] == bulk_indexes.create_sql(name).replace(" IF NOT EXISTS", "")


def test_a_large_first_sync_holds_the_company_indexes_back_then_builds_them(
        world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _index_sql(world)
    monkeypatch.setattr(bulk_indexes, "BULK_MIN", 10)
    seen: list[set[str]] = []
    apply_page = ActorSync._apply_page

    def watching(self: ActorSync, *args: Any, **kwargs: Any) -> Any:
        seen.append(set(_index_sql(world)))
        return apply_page(self, *args, **kwargs)

    monkeypatch.setattr(ActorSync, "_apply_page", watching)
    (report,) = run_sync(world.ctx)
    assert report.counts.created == 80  # 40 customers and their 40 persons
    company = {n for n, spec in bulk_indexes.FOLDED.items() if spec[0] == "crm_company"}
    assert seen and not company & seen[0]  # held back while the customers were written
    assert _index_sql(world) == before  # and built again, the same, afterwards
    name = world.company(world.crm_id("C0000001"), "name")["name"]
    assert [r.title for r in records.list_records(world.ctx, "company", name[:6])][:1] == [name]


def test_small_loads_keep_their_indexes(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    dropped: list[list[str]] = []
    suspend = bulk_indexes.suspend
    monkeypatch.setattr(bulk_indexes, "suspend",
                        lambda *a: dropped.append(suspend(*a)) or dropped[-1])
    run_sync(world.ctx)
    assert dropped and all(names == [] for names in dropped)


def test_indexes_a_killed_run_left_dropped_are_built_by_the_next_run(world: Any) -> None:
    before = _index_sql(world)
    with world.ctx.engine.begin() as conn:  # what a run killed in a bulk load leaves
        conn.execute(text("DROP INDEX ix_crm_company_title"))
        conn.execute(text("DROP INDEX ix_crm_person_email"))
    run_sync(world.ctx)
    assert _index_sql(world) == before
