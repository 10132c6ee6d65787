"""The store's tables the runner reads and writes, as SQLAlchemy Core tables (bulk statements
without ORM objects)."""

from __future__ import annotations

from sqlalchemy import Table

from erp_tui.model import ChangeLog, Link, SyncError, SyncRun, SyncState

LINK: Table = Link.__table__  # type: ignore[attr-defined]
LOG: Table = ChangeLog.__table__  # type: ignore[attr-defined]
ERRORS: Table = SyncError.__table__  # type: ignore[attr-defined]
STATE: Table = SyncState.__table__  # type: ignore[attr-defined]
RUNS: Table = SyncRun.__table__  # type: ignore[attr-defined]
