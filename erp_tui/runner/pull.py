"""Phase A (ERP→CRM): ERP pages read from the cursor on, checked and handed to be applied.

Pages may be read ahead (and translated, even staged) by a second process; a page that does not
line up, or whose next cursor does not move, stops the reading with a batch error and leaves
the cursor before it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from erp_tui.contract import ActorPage, Connector, Cursor, PageResult
from erp_tui.crm_catalog import actor_param
from erp_tui.i18n import msg
from erp_tui.rules import Direction
from erp_tui.runner import bulk_indexes, staging
from erp_tui.runner.calls import timed_call
from erp_tui.runner.journal import Journal
from erp_tui.runner.layout import FieldLayout
from erp_tui.runner.options import RunOptions
from erp_tui.runner.plan import ActorPlan
from erp_tui.runner.reader import PageRequest, PageStream, ReaderSource
from erp_tui.runner.stamps import history_fraction, stamp_minus
from erp_tui.runner.translate import Translation, malformed

PHASE = "ERP → CRM"
TO_CRM = Direction.TO_CRM
# Applies a page (the cursor to save with it, and its translation when read ahead).
ApplyPage = Callable[[ActorPage, tuple[str, str], Translation | None], None]


class ErpPull:
    """Reads one actor type's ERP changes since the cursor and hands them on page by page."""

    def __init__(self, engine: Any, plan: ActorPlan, layout: FieldLayout, connector: Connector,
                 options: RunOptions, journal: Journal, report: Callable[..., None],
                 reader_source: ReaderSource | None = None) -> None:
        self.engine = engine
        self.plan = plan
        self.layout = layout
        self.connector = connector
        self.options = options
        self.journal = journal
        self.report = report
        # Set when pages may be read ahead by a child process (see erp_tui.runner.reader).
        self.reader_source = reader_source
        # False once a batch error stopped reading ERP changes before the end.
        self.read_all = True

    def pull(self, erp_modified: str, erp_key: str, fresh: bool, apply: ApplyPage
             ) -> tuple[str, str]:
        """Read the changes after (`erp_modified`, `erp_key`) and `apply` them; returns the
        cursor reached. `fresh`: the actor type has no links yet (a large first load holds
        the records list's indexes back until the end)."""
        plan = self.plan
        cursor = Cursor(last_modified=erp_modified, erp_key=erp_key)
        if plan.lag_seconds and erp_modified:
            cursor = Cursor(last_modified=stamp_minus(erp_modified, plan.lag_seconds))
        field_keys = [f.erp_key for f in self.layout.in_fields]
        started = datetime.now(UTC)
        first_seen = ""
        seen = 0
        expected: int | None = None  # actors this phase will read, when the ERP tells

        def fetch(at: Cursor) -> PageResult:
            return timed_call(lambda: self.connector.actors_changed_since(
                plan.connection_id, plan.actor_type, at, field_keys, plan.page_size),
                PageResult, self.options.timeout)

        request = PageRequest(plan.connection_id, plan.actor_type, field_keys, plan.page_size,
                              self.layout.inbound, self.layout.in_slots, self.layout.width,
                              stage=self.options.staging if self._can_take_staged_pages()
                              else "never")
        at = cursor  # where the page being handled was asked from
        suspended: list[str] | None = None  # record indexes held back for a bulk load
        pages = PageStream(fetch, request, cursor, source=self.reader_source,
                           timeout=self.options.timeout, min_rows=self.options.read_ahead_rows,
                           prestart=not erp_modified and not erp_key)
        try:
            while not self.options.cancel.is_set():
                item = pages.next()
                if item is None:
                    break
                result, translation = item
                page = self._usable_page(result, translation, at, field_keys)
                if page is None:
                    break
                at = page.next_cursor or at
                first_seen = first_seen or page.last_modified[0]
                last = (page.last_modified[-1], page.erp_keys[-1])
                advance = max(last, (erp_modified, erp_key))
                if suspended is None:
                    suspended = (bulk_indexes.suspend(self.engine, plan.crm_entity,
                                                      len(page) + (page.remaining or 0))
                                 if fresh else [])
                apply(page, advance, translation)
                erp_modified, erp_key = advance
                seen += len(page)
                if page.remaining is not None:
                    expected = seen + page.remaining
                self.report(PHASE, min(1.0, seen / expected) if expected else
                            history_fraction(first_seen, erp_modified, started))
        finally:
            pages.close()
            if suspended:
                self.report(PHASE, 1.0, msg("Building the records list's indexes…"))
                bulk_indexes.restore(self.engine, suspended)
        return erp_modified, erp_key

    def _usable_page(self, result: PageResult, translation: Translation | None, at: Cursor,
                     field_keys: list[str]) -> ActorPage | None:
        """The page to apply, or None at the end or when reading must stop (a batch error is
        then recorded and `read_all` is False)."""
        if not result.ok or result.page is None:
            self.journal.batch_error(TO_CRM, result.user_message
                                     or msg("The ERP returned no page."), result.tech_message)
            self.read_all = False
            return None
        page = result.page
        if len(page) == 0:
            return None
        if translation is None and not self._page_fits(page, field_keys):
            self.read_all = False
            return None
        if not self._cursor_moves(at, page.next_cursor):
            self.read_all = False
            return None
        return page

    def _can_take_staged_pages(self) -> bool:
        """True when the reader process may send pages staged as SQLite databases: new
        records of an actor type without parents, written to a SQLite store."""
        return (not self.options.dry_run and not self.plan.parent_types
                and self.plan.allow_import and staging.can_attach_pages(self.engine.dialect.name))

    def _cursor_moves(self, at: Cursor, following: Cursor | None) -> bool:
        """True unless the page's next cursor stands at or before the one it was asked from
        (the connector would return the same page forever); then a batch error is recorded
        and the page is not applied, so the cursor stays before it."""
        if following is None or following.as_tuple() > at.as_tuple():
            return True
        self.journal.batch_error(
            TO_CRM, msg("The ERP connector's next cursor does not move past the one the page "
                        "was read from; reading {actor} stopped there, nothing was skipped. "
                        "Fix the connector and sync again.",
                        actor=actor_param(self.plan.actor_type)),
            f"next_cursor {following.as_tuple()!r:.200} after {at.as_tuple()!r:.200}")
        return False

    def _page_fits(self, page: ActorPage, field_keys: list[str]) -> bool:
        """True when the page lines up with what was asked; else a batch error is recorded."""
        problem = malformed(page)
        if problem:
            self.journal.batch_error(TO_CRM, msg("The ERP returned a malformed page (columns of "
                                                 "different lengths); the batch was skipped."),
                                     problem)
            return False
        if page.field_keys and tuple(page.field_keys) != tuple(field_keys):
            self.journal.batch_error(TO_CRM, msg("The ERP returned other fields than asked for; "
                                                 "the batch was skipped."),
                                     f"got {page.field_keys}")
            return False
        return True
