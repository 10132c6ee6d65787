"""The connector runner: carries the configured synchronisation out (SPEC §5)."""

from __future__ import annotations

from erp_tui.runner.engine import Change, Counts, ProgressEvent, RunOptions
from erp_tui.runner.lock import AlreadyRunningError
from erp_tui.runner.service import (
    RunReport,
    count_changes,
    open_errors,
    recent_runs,
    resync_from_crm,
    retry_errors,
    run_changes,
    run_sync,
)

__all__ = [
    "AlreadyRunningError",
    "Change",
    "Counts",
    "ProgressEvent",
    "RunOptions",
    "RunReport",
    "count_changes",
    "open_errors",
    "recent_runs",
    "resync_from_crm",
    "retry_errors",
    "run_changes",
    "run_sync",
]
