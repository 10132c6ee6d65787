"""How a run is asked to run, and what it tells while and after it runs: options, counts,
progress events and the changes a dry run reports."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from erp_tui.runner.reader import READ_AHEAD_MIN_ROWS


@dataclass
class Counts:
    """What a run (or one actor type of it) did."""

    created: int = 0
    updated: int = 0
    pushed: int = 0
    unchanged: int = 0
    deleted: int = 0
    conflicts: int = 0
    errors: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def copy(self) -> Counts:
        """These counts as they are now."""
        return Counts(**self.as_dict())

    def restore(self, earlier: Counts) -> None:
        """Take the values of `earlier` (counts of work that was undone)."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(earlier, name))


@dataclass(frozen=True)
class Change:
    """One intended or made field change (what a dry run reports). `field` is the ERP field's
    key, or a ChangeKind for a whole-record event or an error (erp_tui.runner.shapes)."""

    actor_type: str
    erp_key: str
    crm_id: int | None
    field: str
    direction: str
    old: str | None
    new: str | None
    conflict: bool = False


@dataclass
class ProgressEvent:
    """Where a run is: shown by the CLI and the run screen."""

    connection: str
    actor_type: str
    phase: str
    counts: Counts
    fraction: float | None = None
    message: str = ""


@dataclass
class RunOptions:
    """How to run."""

    dry_run: bool = False
    timeout: float = 120.0
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: Callable[[ProgressEvent], None] = lambda _event: None
    # Dry runs keep at most this many changes in memory for display (all are counted).
    keep_changes: int = 10_000
    # A first ERP page of at least this many actors starts reading ahead in a second process.
    read_ahead_rows: int = READ_AHEAD_MIN_ROWS
    # Which pages of new records that process stages itself: "auto" (as long as the writer
    # need not wait for it), "always" or "never" (see erp_tui.runner.reader).
    staging: str = "auto"
