"""The sync of one actor type of one connection.

A run first pushes CRM changes to the ERP (phase B, CRM→ERP: erp_tui.runner.push), then reads
ERP changes from the cursor (phase A, ERP→CRM: erp_tui.runner.pull reads the pages,
erp_tui.runner.page_plan decides what each actor needs). Work goes in batches; each batch's CRM
writes, link updates, log rows, errors and cursor advance commit in one transaction
(erp_tui.runner.batch, erp_tui.runner.journal), so a run killed at any instant loses nothing
and duplicates nothing when run again. ERP writes are idempotent (values, not deltas).

Every comparison happens on canonical text in CRM terms (list items translated to CRM items);
a link's snapshot holds the last synced value of each synced field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection as DbConnection
from sqlalchemy.exc import IntegrityError

from erp_tui.contract import ActorPage, Connector
from erp_tui.runner import bulk_indexes, crm
from erp_tui.runner.batch import Batch, BatchWriter
from erp_tui.runner.cursor_state import has_links, read_state, save_erp_cursor
from erp_tui.runner.journal import Journal, finish_run, start_run
from erp_tui.runner.layout import FieldLayout
from erp_tui.runner.options import Change, Counts, ProgressEvent, RunOptions
from erp_tui.runner.page_plan import PagePlanner
from erp_tui.runner.plan import ActorPlan
from erp_tui.runner.pull import ErpPull
from erp_tui.runner.push import PUSH_BATCH, CrmPush
from erp_tui.runner.reader import ReaderSource
from erp_tui.runner.shapes import StoredCursor
from erp_tui.runner.tables import ERRORS, LINK
from erp_tui.runner.translate import Translation

# Names other modules import from here (their homes are the modules above).
__all__ = [
    "ERRORS",
    "LINK",
    "ActorSync",
    "Change",
    "Counts",
    "ProgressEvent",
    "RunOptions",
    "finish_run",
    "start_run",
]


class ActorSync:
    """Syncs one actor type of one connection within a run: runs the phases in order and
    applies each batch in one transaction."""

    def __init__(self, engine: Any, plan: ActorPlan, connector: Connector, run_id: int,
                 options: RunOptions, changes: list[Change],
                 reader_source: ReaderSource | None = None,
                 dry_links: dict[tuple[str, str], int] | None = None) -> None:
        self.engine = engine
        self.plan = plan
        self.connector = connector
        self.run_id = run_id
        self.options = options
        self.changes = changes
        self.counts = Counts()
        self.layout = FieldLayout.of(plan)
        self.writer = BatchWriter(plan, run_id, self.layout)
        self.journal = Journal(engine, plan, run_id, options, self.counts, changes, self.writer,
                               self._report)
        self.planner = PagePlanner(plan, self.layout, options, self.counts, self.journal,
                                   {} if dry_links is None else dry_links)
        self.pull = ErpPull(engine, plan, self.layout, connector, options, self.journal,
                            self._report, reader_source)
        self.push = CrmPush(engine, plan, self.layout, connector, options, self.counts,
                            self.journal, self.writer, self._report)
        self.cursor_before = ""
        self.cursor_after = ""
        # True while this actor type has no links at all and pages hold unseen keys only:
        # the initial sync then skips looking links up (a duplicate key, e.g. an actor changed
        # during the run, makes the batch fail and be planned again with lookups).
        self._fresh = False
        # Counts before the page being applied (taken back when it is planned again).
        self._counts_before_page = Counts()

    @property
    def read_all(self) -> bool:
        """False once a batch error stopped reading ERP changes before the end."""
        return self.pull.read_all

    def state(self, conn: DbConnection) -> StoredCursor:
        """Where this actor type's sync stands (the state row made the first time, link
        snapshots re-keyed after a mapping change)."""
        return read_state(conn, self.plan, self.options.dry_run)

    # ---- the run -----------------------------------------------------------------------------

    def run(self, pull: bool = True) -> Counts:
        """Push CRM changes, then (unless `pull` is False) pull ERP changes; returns what was
        done. `read_all` tells afterwards whether the ERP changes were read to the end."""
        if not self.options.dry_run:
            bulk_indexes.restore_missing(self.engine)  # after a run killed in a bulk load
        with self.engine.begin() as conn:
            erp_modified, erp_key, crm_stamp = self.state(conn)
        self.cursor_before = f"{erp_modified}|{erp_key}|{crm_stamp}"
        if self.layout.out_fields:
            crm_stamp = self.push.push_changes(crm_stamp)
        elif not self.options.dry_run:
            crm_stamp = self.push.skip_changes()
        if self.layout.in_fields and not self.options.cancel.is_set() and pull:
            self._fresh = (not self.options.dry_run and not self.plan.lag_seconds
                           and not self._has_links())
            erp_modified, erp_key = self.pull.pull(erp_modified, erp_key, self._fresh,
                                                   self._apply_page)
        self.pull.read_all = pull and not self.options.cancel.is_set() and self.pull.read_all
        self.cursor_after = f"{erp_modified}|{erp_key}|{crm_stamp}"
        return self.counts

    def _has_links(self) -> bool:
        with self.engine.connect() as conn:
            return has_links(conn, self.plan)

    def _report(self, phase: str, fraction: float | None = None, message: str = "") -> None:
        self.options.progress(ProgressEvent(self.plan.connection_name, self.plan.actor_type,
                                            phase, self.counts, fraction, message))

    def _apply_page(self, page: ActorPage, advance: tuple[str, str],
                    translation: Translation | None) -> None:
        """Plan and write a page with the ERP cursor moved to `advance`, in one transaction."""
        if self._fresh:
            try:
                self._apply_page_once(page, advance, translation)
                return
            except IntegrityError:
                self._fresh = False
                self.counts.restore(self._counts_before_page)
        self._apply_page_once(page, advance, translation)

    def _apply_page_once(self, page: ActorPage, advance: tuple[str, str],
                         translation: Translation | None) -> None:
        self._counts_before_page = self.counts.copy()
        with self.engine.begin() as conn:
            batch, stamps = self.planner.plan_page(conn, page, translation, self._fresh)
            if self.options.dry_run:
                return
            self.writer.write(conn, batch, stamps)
            save_erp_cursor(conn, self.plan, advance[0], advance[1])
            self.journal.save_counts(conn)

    # ---- retry and resync --------------------------------------------------------------------

    def apply_records(self, page: ActorPage) -> set[str]:
        """Sync these ERP actors now (cursor untouched); returns the keys that failed again."""
        if not self.layout.in_fields:
            return set()  # nothing flows ERP→CRM (e.g. a parent type linked by hand only)
        with self.engine.begin() as conn:
            batch, stamps = self.planner.plan_page(conn, page)
            self.writer.write(conn, batch, stamps)
            self.journal.save_counts(conn)
        return {e["erp_key"] for e in batch.errors}

    def push_links(self, erp_keys: Sequence[str], force: bool) -> set[str]:
        """Push the CRM side of these links to the ERP; returns the keys that failed."""
        failed: set[str] = set()
        columns = [f.crm_column for f in self.layout.out_fields]
        if not columns:
            return failed
        for start in range(0, len(erp_keys), PUSH_BATCH):
            chunk = list(erp_keys[start:start + PUSH_BATCH])
            with self.engine.begin() as conn:
                rows = crm.linked_rows(conn, self.plan.crm_entity, LINK,
                                       self.plan.connection_id, self.plan.actor_type, chunk,
                                       columns)
                batch = Batch()
                self.push.push_rows(rows, batch, force=force)
                self.writer.write(conn, batch)
                self.journal.save_counts(conn)
            failed.update(e["erp_key"] for e in batch.errors)
        return failed
