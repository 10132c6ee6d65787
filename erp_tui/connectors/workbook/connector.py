"""`WorkbookConnector`: the connector contract over an Excel workbook (see the package's
description for the workbook's layout, stamps, deleted rows and writes)."""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from erp_tui import contract
from erp_tui.connectors.base import ConnectorBase, Refusal
from erp_tui.connectors.workbook.book import Book, read_book, signature
from erp_tui.connectors.workbook.deletions import track_deletions
from erp_tui.connectors.workbook.layout import ACTOR_LABELS_NL, ACTOR_SHEETS, parent_types
from erp_tui.connectors.workbook.pages import page_of, read_again_start
from erp_tui.connectors.workbook.search import restriction_matches, text_matches
from erp_tui.connectors.workbook.settings import (
    WorkbookSettings,
    parse_settings,
    settings_fields,
)
from erp_tui.connectors.workbook.writing import sheet_of, write_actors
from erp_tui.contract import Actor, ActorPage, ActorTypeInfo, Cursor, Restriction
from erp_tui.i18n import N_, msg

DEFAULT_PAGE_SIZE = 5000

_KEPT_CONTINUATIONS = 256


class WorkbookConnector(ConnectorBase):
    """In-process connector over an Excel workbook (.xlsx / .xlsm)."""

    kind: ClassVar[str] = "workbook"
    label: ClassVar[str] = "Excel workbook (.xlsx / .xlsm)"
    labels: ClassVar[dict[str, str]] = {"nl": "Excel-werkmap (.xlsx / .xlsm)"}
    connector_name: ClassVar[str] = N_("workbook connector")
    storage_errors: ClassVar[tuple[type[BaseException], ...]] = (OSError,)
    storage_message: ClassVar[str] = ("The workbook could not be read or written; see the "
                                      "technical message.")
    storage_code: ClassVar[str] = "io"

    def __init__(self) -> None:
        super().__init__()
        self._books: dict[int, Book] = {}
        self._write_locks: dict[Path, threading.Lock] = {}
        # Next-page cursors this instance handed out: their read needs no read-again window.
        self._continuations: dict[int, set[tuple[str, str]]] = {}

    # -- configuration and connections ----------------------------------------------------

    def config_fields(self) -> contract.ConfigFieldsResult:
        """Path, list links, type overrides and the read-only switch."""
        return contract.ConfigFieldsResult(fields=settings_fields())

    def test_config(self, values: dict[str, Any]) -> contract.Result:
        """OK when the workbook opens and its sheets fit the layout and the settings."""
        settings = parse_settings(values)
        book = read_book(settings)
        counts = ", ".join(f"{len(s.rows)} {k}" for k, s in book.sheets.items())
        return contract.Result(user_message=msg("Workbook {path} is usable ({counts}).",
                                                path=settings.path.name, counts=counts))

    # -- metadata -------------------------------------------------------------------------

    def actor_types(self, connection_id: int) -> contract.ActorTypesResult:
        """The actor types that have a sheet in the workbook."""
        book, _ = self._book(connection_id)
        return contract.ActorTypesResult(actor_types=[
            ActorTypeInfo(key=key, label=ACTOR_SHEETS[key][0],
                          labels={"nl": ACTOR_LABELS_NL[key], **book.labels.get((key, ""), {})},
                          parent_types=tuple(p for p in parent_types(key) if p in book.sheets))
            for key in book.sheets])

    def actor_fields(self, connection_id: int, actor_type: str) -> contract.FieldsResult:
        """The columns of the actor type's sheet, as fields."""
        book, _ = self._book(connection_id)
        return contract.FieldsResult(fields=list(sheet_of(book, actor_type).fields))

    def searchable_fields(self, connection_id: int, actor_type: str
                          ) -> contract.SearchableFieldsResult:
        """Every field of the actor type can be used as a criterion."""
        book, _ = self._book(connection_id)
        return contract.SearchableFieldsResult(
            field_keys=[f.key for f in sheet_of(book, actor_type).fields])

    def list_items(self, connection_id: int, list_name: str,
                   keys: Sequence[str] | None = None) -> contract.ListItemsResult:
        """ID -> Text of a list sheet linked in Lists, or of the given IDs that exist."""
        book, _ = self._book(connection_id)
        items = book.lists.get(list_name)
        if items is None:
            raise Refusal(msg("The workbook has no list {list_name!r} linked in Lists.",
                              list_name=list_name),
                          "unknown_list")
        labels = book.list_labels.get(list_name, {})
        if keys is not None:
            items = {k: items[k] for k in keys if k in items}
        return contract.ListItemsResult(items=dict(items), labels=labels)

    # -- reading --------------------------------------------------------------------------

    def get_actors(self, connection_id: int, actor_type: str, keys: Sequence[str],
                   field_keys: Sequence[str]) -> contract.PageResult:
        """Live actors by ERP key, in the order asked; unknown and deleted keys left out."""
        book, _ = self._book(connection_id)
        sheet = sheet_of(book, actor_type)
        rows = []
        for key in dict.fromkeys(str(k) for k in keys):
            row = sheet.rows.get(key)
            if row is not None and not row.deleted:
                rows.append(row)
        return contract.PageResult(page=page_of(sheet, rows, field_keys))

    def actors_changed_since(self, connection_id: int, actor_type: str, cursor: Cursor,
                             field_keys: Sequence[str],
                             page_size: int = DEFAULT_PAGE_SIZE) -> contract.PageResult:
        """Actors with (last_modified, erp_key) > cursor, deleted ones included, after the
        rows of the read-again window before the cursor."""
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise Refusal(msg("Page size must be a whole number of at least 1."), "bad_page_size")
        book, settings = self._book(connection_id)
        sheet = sheet_of(book, actor_type)
        limit = min(page_size, ActorPage.MAX_ROWS)
        start = bisect_right(sheet.order, cursor.as_tuple())
        chosen = sheet.order[start:start + limit]
        again = start
        if settings.read_again_us and cursor.last_modified and \
                not self._continues(connection_id, cursor):
            again = read_again_start(sheet, cursor, settings.read_again_us, start,
                                     ActorPage.MAX_ROWS - len(chosen))
        page = page_of(sheet, [sheet.rows[k] for _, k in sheet.order[again:start] + chosen],
                       field_keys, with_deleted=True)
        if start + limit < len(sheet.order) and chosen:
            page.next_cursor = Cursor(last_modified=chosen[-1][0], erp_key=chosen[-1][1])
            self._remember_continuation(connection_id, page.next_cursor)
            # The loaded sheet knows exactly how many rows (deleted ones too) lie beyond.
            page.remaining = len(sheet.order) - start - len(chosen)
        return contract.PageResult(page=page)

    def search_actors(self, connection_id: int, actor_type: str, text: str,
                      field_keys: Sequence[str]) -> contract.PageResult:
        """Actors whose ID or any text field contains `text` (case-insensitive)."""
        if not isinstance(text, str):
            raise Refusal(msg("The search text must be text."), "bad_values")
        book, _ = self._book(connection_id)
        sheet = sheet_of(book, actor_type)
        return self.search_result(page_of(sheet, text_matches(sheet, text), field_keys))

    def search_actors_advanced(self, connection_id: int, actor_type: str,
                               restrictions: Sequence[Restriction],
                               field_keys: Sequence[str]) -> contract.PageResult:
        """Actors meeting every restriction."""
        book, _ = self._book(connection_id)
        sheet = sheet_of(book, actor_type)
        found = restriction_matches(sheet, restrictions)
        return self.search_result(page_of(sheet, found, field_keys))

    # -- writing --------------------------------------------------------------------------

    def create_actor(self, connection_id: int, actor: Actor) -> contract.ActorResult:
        """Append a row; the result carries the new ID and LastModified."""
        saved = self._write(connection_id, [actor], creating=True)
        return contract.ActorResult(
            actor=saved[0], user_message=msg("{actor_type} {erp_key} was created.",
                                             actor_type=actor.actor_type,
                                             erp_key=saved[0].erp_key))

    def save_actors(self, connection_id: int, actors: Sequence[Actor]) -> contract.ActorsResult:
        """Update the given values of existing actors; all or nothing."""
        saved = self._write(connection_id, list(actors), creating=False)
        return contract.ActorsResult(actors=saved, user_message=msg("{count} actor(s) saved.",
                                                                    count=len(saved)))

    # -- helpers --------------------------------------------------------------------------

    def drop_connection_state(self, connection_id: int) -> None:
        """Drop the parsed workbook of a connection bound before."""
        self._books.pop(connection_id, None)

    def _continues(self, connection_id: int, cursor: Cursor) -> bool:
        """Whether `cursor` is the next page of a read this connector began (its read needs
        no read-again window); forgets it."""
        with self._lock:
            continuations = self._continuations.get(connection_id, set())
            if cursor.as_tuple() in continuations:
                continuations.discard(cursor.as_tuple())
                return True
        return False

    def _remember_continuation(self, connection_id: int, cursor: Cursor) -> None:
        with self._lock:
            continuations = self._continuations.setdefault(connection_id, set())
            if len(continuations) >= _KEPT_CONTINUATIONS:  # cursors of reads never continued
                continuations.clear()
            continuations.add(cursor.as_tuple())

    def _write(self, connection_id: int, actors: list[Actor], *, creating: bool
               ) -> list[Actor]:
        settings = parse_settings(self.connection_values(connection_id))
        if settings.read_only:
            raise Refusal(msg("Connection {connection_id} is read-only (the 'Read only' option "
                              "is on); nothing was written.",
                              connection_id=connection_id), "read_only")
        if not actors:
            return []
        with self._lock:
            lock = self._write_locks.setdefault(settings.path.resolve(), threading.Lock())
        with lock:
            try:
                book, _ = self._book(connection_id)
                new_book, keys = write_actors(book, settings, actors, creating=creating)
            except BaseException:
                with self._lock:  # the cached parse may hold half-planned changes
                    self._books.pop(connection_id, None)
                raise
            with self._lock:
                if self._connections.get(connection_id) is not None:
                    self._books[connection_id] = new_book
        out = []
        for actor_type, erp_key in keys:
            sheet = new_book.sheets[actor_type]
            out += page_of(sheet, [sheet.rows[erp_key]], ()).actors()
        return out

    def _book(self, connection_id: int) -> tuple[Book, WorkbookSettings]:
        """The parsed workbook of a connection, re-read when the file changed."""
        settings = parse_settings(self.connection_values(connection_id))
        with self._lock:
            book = self._books.get(connection_id)
        try:
            current = signature(settings.path)
        except FileNotFoundError:
            raise Refusal(msg("Workbook {path} does not exist; check the path.",
                              path=settings.path),
                          "not_found") from None
        if book is None or book.signature != current:
            book = read_book(settings)
            track_deletions(book, settings)
            with self._lock:
                if connection_id in self._connections:
                    self._books[connection_id] = book
        return book, settings
