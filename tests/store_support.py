"""Test helpers that set up a store the way the screens and snapshots expect it: the demo's two
sample ERP connections ("Nordic Trading AB" and "Dutch Wholesale BV") and frozen timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

NORDIC = "Nordic Trading AB"
DUTCH = "Dutch Wholesale BV"
API_KEY = "demo-key"
# The one instant every frozen timestamp shows, so that screens and snapshots are stable.
FROZEN_TIME = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
# A connection test's message as frozen for snapshots.
TESTED = "Connected to the sample ERP (production)."


def sample_erp(tmp_path: Path, name: str, seed: int, flavour: str) -> Path:
    """A small seeded sample ERP file (20 customers, 4 suppliers, 5 projects) named `name`."""
    from erp_tui.connectors.sample_data import generate_sample_erp

    path = tmp_path / f"erp-{flavour}.sqlite"
    generate_sample_erp(path, customers=20, suppliers=4, projects=5, seed=seed, flavour=flavour,
                        api_key=API_KEY, company_name=name, overwrite=True)
    return path


def add_connection(ctx: Any, name: str, erp_file: Path) -> int:
    """Save a tested (inactive) sample connection to `erp_file` through the services."""
    from erp_tui.services import connections

    draft = connections.ConnectionDraft(
        name=name, connector="sample",
        values={"database": str(erp_file), "api_key": API_KEY, "environment": "production",
                "page_size": 5000},
        scope="everyone")
    return connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))


def add_nordic_and_dutch(ctx: Any, tmp_path: Path) -> int:
    """The two sample connections, both inactive and without actors; returns Nordic's id."""
    nordic = add_connection(ctx, NORDIC, sample_erp(tmp_path, NORDIC, 1, "nordic"))
    add_connection(ctx, DUTCH, sample_erp(tmp_path, DUTCH, 2, "dutch"))
    return nordic


def freeze_times(ctx: Any, **also: Any) -> None:
    """Give every connection fixed timestamps (and the other column values in `also`)."""
    from sqlalchemy import update

    from erp_tui.model import Connection

    with ctx.session() as session:
        session.execute(update(Connection).values(last_test_at=FROZEN_TIME, created=FROZEN_TIME,
                                                  updated=FROZEN_TIME, **also))
