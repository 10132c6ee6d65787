"""A connector whose next cursor does not move on ends the actor type with a batch error at
once (instead of reading the same page forever); nothing past it is skipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.contract import Cursor, PageResult
from erp_tui.runner import RunOptions, open_errors, run_sync

from .conftest import API_KEY, World, configure

GIVE_UP = 50  # the fake answers with a failure after this many reads (old code looped forever)


def _world(ctx: AppContext, tmp_path: Path) -> World:
    erp_file = tmp_path / "erp.sqlite"
    generate_sample_erp(erp_file, customers=30, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    return World(ctx, erp_file, "S", configure(ctx, erp_file, "S", page_size=10,
                                               persons=False))


@pytest.mark.parametrize("stuck_at", ["same", "earlier"])
def test_a_next_cursor_that_does_not_move_ends_the_actor_type(
        ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stuck_at: str) -> None:
    world = _world(ctx, tmp_path)
    connector = ctx.connectors.connector("sample")
    original = connector.actors_changed_since
    reads: list[Cursor] = []

    def stuck(connection_id: int, actor_type: str, cursor: Cursor, *args: Any) -> PageResult:
        reads.append(cursor)
        if len(reads) > GIVE_UP:
            return PageResult(ok=False, user_message="The fake gave up.")
        result = original(connection_id, actor_type, cursor, *args)
        if len(reads) >= 2 and result.page is not None:  # the second page points back
            result.page.next_cursor = cursor if stuck_at == "same" else Cursor()
        return result

    monkeypatch.setattr(connector, "actors_changed_since", stuck)
    (report,) = run_sync(ctx, [world.name], RunOptions())
    assert report.status == "finished"
    assert len(reads) == 2  # the stuck page was read once, not again and again
    assert (report.counts.created, report.counts.errors) == (10, 1), report.as_dict()
    (error,) = open_errors(ctx, world.name)
    assert "next cursor does not move past" in error.message
    assert "Customer" in error.message and "Fix the connector" in error.message
    assert len(world.links()) == 10  # the stuck page was not applied

    monkeypatch.setattr(connector, "actors_changed_since", original)
    (again,) = run_sync(ctx, [world.name], RunOptions())
    assert (again.counts.created, again.counts.errors) == (20, 0), again.as_dict()
    links = world.links()
    assert len(links) == 30 and len({crm_id for _t, _k, crm_id, _s in links}) == 30
