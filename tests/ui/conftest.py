"""UI fixtures: a store with two sample ERP connections built through the services.

`two_connections` does not depend on the demo: "Nordic Trading AB" is made active directly in
the store (the fixture's shortcut; the UI itself only activates through the services) and
"Dutch Wholesale BV" stays inactive with no actor enabled, so activating it is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

NORDIC = "Nordic Trading AB"
DUTCH = "Dutch Wholesale BV"
API_KEY = "demo-key"
FROZEN_TIME = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def sample_erp(tmp_path: Path, name: str, seed: int, flavour: str) -> Path:
    from erp_tui.connectors.sample_data import generate_sample_erp

    path = tmp_path / f"erp-{flavour}.sqlite"
    generate_sample_erp(path, customers=20, suppliers=4, projects=5, seed=seed, flavour=flavour,
                        api_key=API_KEY, company_name=name, overwrite=True)
    return path


def add_connection(ctx: Any, name: str, erp_file: Path) -> int:
    from erp_tui.services import connections

    draft = connections.ConnectionDraft(
        name=name, connector="sample",
        values={"database": str(erp_file), "api_key": API_KEY, "environment": "production",
                "page_size": 5000},
        scope="everyone")
    return connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))


@pytest.fixture
def two_connections(ctx: Any, tmp_path: Path) -> Iterator[Any]:
    from sqlalchemy import update

    from erp_tui.model import Connection

    nordic = add_connection(ctx, NORDIC, sample_erp(tmp_path, NORDIC, 1, "nordic"))
    add_connection(ctx, DUTCH, sample_erp(tmp_path, DUTCH, 2, "dutch"))
    with ctx.session() as session:
        session.execute(update(Connection).where(Connection.id == nordic)  # type: ignore[arg-type]
                        .values(active=True, priority=1))
        # Same instant as tests/conftest.py's freeze_times, so screens are stable.
        session.execute(update(Connection).values(last_test_at=FROZEN_TIME, created=FROZEN_TIME,
                                                  updated=FROZEN_TIME))
    yield ctx
