"""The connector runner: carries the configured synchronisation out.

Names are imported on first use, so that the page-reader process (erp_tui.runner.reader)
starts without loading the store.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from erp_tui.runner.lock import AlreadyRunningError
    from erp_tui.runner.options import Change, Counts, ProgressEvent, RunOptions
    from erp_tui.runner.reread import resync_from_erp
    from erp_tui.runner.run_log import (
        LoggedChange,
        LoggedRun,
        RecordError,
        count_changes,
        open_errors,
        recent_runs,
        run_changes,
    )
    from erp_tui.runner.service import RunReport, resync_from_crm, retry_errors, run_sync

_HOMES = {
    "Change": "options", "Counts": "options", "ProgressEvent": "options", "RunOptions": "options",
    "AlreadyRunningError": "lock", "RunReport": "service", "resync_from_crm": "service",
    "retry_errors": "service", "run_sync": "service", "resync_from_erp": "reread",
    "LoggedChange": "run_log", "LoggedRun": "run_log", "RecordError": "run_log",
    "count_changes": "run_log", "open_errors": "run_log", "recent_runs": "run_log",
    "run_changes": "run_log",
}

__all__ = [
    "AlreadyRunningError",
    "Change",
    "Counts",
    "LoggedChange",
    "LoggedRun",
    "ProgressEvent",
    "RecordError",
    "RunOptions",
    "RunReport",
    "count_changes",
    "open_errors",
    "recent_runs",
    "resync_from_crm",
    "resync_from_erp",
    "retry_errors",
    "run_changes",
    "run_sync",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'erp_tui.runner' has no attribute {name!r}")
    return getattr(importlib.import_module(f"erp_tui.runner.{home}"), name)
