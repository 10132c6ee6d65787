"""`SqlConnector`: the connector contract over any SQL database SQLAlchemy reaches.

A YAML *descriptor* (see `descriptor.py` and docs/sql-connector.md) maps actor types to tables or
views. Identifiers are never formatted into SQL text: every table and column is taken from the
reflected schema (SQLAlchemy `Table` objects), so an unknown name is refused when the connection
is created or tested, and quoting is SQLAlchemy's. Every value is a bound parameter.

Notes on the contract as implemented here:

* An empty `field_keys` sequence means "all fields of the actor type".
* With a last-modified column, `actors_changed_since` orders by (that column, key column) and
  compares with the expanded form `lm > :t OR (lm = :t AND key > :k)`; equal timestamps at a
  page boundary are neither lost nor repeated. Within equal timestamps keys follow the
  database's order of the key column (numeric for integer keys).
* Without one, changes are detected by fingerprints kept in a state database (`changes.py`);
  a scan runs at the start of every read (not for a page that continues the previous one).
* A soft-delete column (descriptor `deleted:`) marks rows deleted: NULL, false and 0 mean live,
  any other value deleted (`soft_delete_rule`). With a last-modified column such rows come back
  from `actors_changed_since` marked deleted (values None); in fingerprint mode the scan does not
  see them, so they are reported like removed rows. Every other read (get, searches, parent and
  save checks) sees live rows only, through `BoundActor.live_where`.
* A full first page from the empty cursor tells `remaining` (one count: of the table's rows
  with a last-modified value, or of the state rows in fingerprint mode); later pages do not.
* Searches return at most `search_limit` (1000) actors (state `ok_with_info` when there were
  more).
* `save_actors` is all-or-nothing: if any actor is refused, nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from erp_tui import contract
from erp_tui.connectors.base import ConnectorBase, Refusal
from erp_tui.connectors.sql import reading, writing
from erp_tui.connectors.sql.binding import BoundConnection, bind
from erp_tui.connectors.sql.changes import ChangeStore
from erp_tui.connectors.sql.search import restriction_clauses, text_search_clause
from erp_tui.connectors.sql.settings import DEFAULT_PAGE_SIZE, parse_settings, settings_fields
from erp_tui.contract import Actor, ActorPage, ActorTypeInfo, Cursor, Restriction
from erp_tui.i18n import N_, msg


class SqlConnector(ConnectorBase):
    """In-process connector for SQL databases (SQLite, PostgreSQL, MariaDB/MySQL)."""

    kind: ClassVar[str] = "sql"
    label: ClassVar[str] = "SQL database (SQLite, PostgreSQL, MariaDB/MySQL)"
    labels: ClassVar[dict[str, str]] = {"nl": "SQL-database (SQLite, PostgreSQL, MariaDB/MySQL)"}
    connector_name: ClassVar[str] = N_("SQL connector")
    storage_errors: ClassVar[tuple[type[BaseException], ...]] = (SQLAlchemyError,)
    storage_message: ClassVar[str] = ("The ERP database could not be read or written; see the "
                                      "technical message for the cause.")

    def __init__(self) -> None:
        super().__init__()
        self._bound: dict[int, BoundConnection] = {}
        self._stores: dict[str, ChangeStore] = {}

    # -- configuration and connections ----------------------------------------------------

    def config_fields(self) -> contract.ConfigFieldsResult:
        """The fields needed to define a SQL connection."""
        return contract.ConfigFieldsResult(fields=settings_fields())

    def test_config(self, values: dict[str, Any]) -> contract.Result:
        """OK when the database is reachable and has every table and column named."""
        settings = parse_settings(values)
        bound = bind(settings, self._store)
        try:
            with bound.engine.connect() as conn:
                for actor in bound.actors.values():
                    conn.execute(select(actor.key_col).limit(1)).all()
        finally:
            bound.dispose()
        return contract.Result(
            user_message=msg("Connected to {safe_url}: {count} actor type(s) and {count2} "
                             "list(s), every table and column was found.",
                             safe_url=settings.safe_url, count=len(bound.actors),
                             count2=len(bound.lists)))

    def create_connection(self, connection_id: int, values: dict[str, Any]) -> contract.Result:
        """Bind a connection id to its config values and check them against the database."""
        bound_message = super().create_connection(connection_id, values)
        self._get_bound(connection_id)
        return bound_message

    def close(self) -> None:
        """Close every database connection and state database (not part of the contract)."""
        with self._lock:
            for cid in list(self._connections):
                self.forget_connection(cid)
            for store in self._stores.values():
                store.dispose()
            self._stores.clear()

    # -- metadata -------------------------------------------------------------------------

    def actor_types(self, connection_id: int) -> contract.ActorTypesResult:
        """The actor types of the descriptor."""
        bound = self._get_bound(connection_id)
        return contract.ActorTypesResult(actor_types=[
            ActorTypeInfo(key=a.key, label=a.label, labels=a.spec.labels,
                          parent_types=a.spec.parent.parent_types if a.spec.parent else ())
            for a in bound.actors.values()])

    def actor_fields(self, connection_id: int, actor_type: str) -> contract.FieldsResult:
        """The fields of the actor type, in descriptor order."""
        actor = self._get_bound(connection_id).actor(actor_type)
        return contract.FieldsResult(fields=list(actor.fields.values()))

    def searchable_fields(self, connection_id: int, actor_type: str
                          ) -> contract.SearchableFieldsResult:
        """Every field of the actor type can be used as a criterion."""
        actor = self._get_bound(connection_id).actor(actor_type)
        return contract.SearchableFieldsResult(field_keys=list(actor.fields))

    def list_items(self, connection_id: int, list_name: str,
                   keys: Sequence[str] | None = None) -> contract.ListItemsResult:
        """Key -> text of a whole list, or of the given keys that exist."""
        bound = self._get_bound(connection_id)
        items, labels = reading.list_items(bound, list_name, keys)
        return contract.ListItemsResult(items=items, labels=labels)

    # -- reading --------------------------------------------------------------------------

    def get_actors(self, connection_id: int, actor_type: str, keys: Sequence[str],
                   field_keys: Sequence[str]) -> contract.PageResult:
        """Live actors by ERP key, in the order asked; unknown and soft-deleted keys are left
        out."""
        bound = self._get_bound(connection_id)
        actor = bound.actor(actor_type)
        fields = actor.pick(field_keys)
        if isinstance(keys, str):
            raise Refusal(msg("Keys must be a list of ERP keys, not one text."), "bad_keys")
        wanted = list(dict.fromkeys(str(k) for k in keys))
        return contract.PageResult(page=reading.fetch_by_keys(bound, actor, fields, wanted))

    def actors_changed_since(self, connection_id: int, actor_type: str, cursor: Cursor,
                             field_keys: Sequence[str],
                             page_size: int = DEFAULT_PAGE_SIZE) -> contract.PageResult:
        """Actors with (last_modified, erp_key) > cursor in that order, deleted ones included."""
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise Refusal(msg("Page size must be a whole number of at least 1."), "bad_page_size")
        if not isinstance(cursor, Cursor):
            cursor = Cursor.model_validate(cursor)
        bound = self._get_bound(connection_id)
        actor = bound.actor(actor_type)
        fields = actor.pick(field_keys)
        limit = min(page_size, bound.settings.page_size, ActorPage.MAX_ROWS)
        return contract.PageResult(page=reading.changes_since(bound, actor, fields, cursor, limit))

    def search_actors(self, connection_id: int, actor_type: str, text: str,
                      field_keys: Sequence[str]) -> contract.PageResult:
        """Actors whose search fields contain `text` (case-insensitive)."""
        if not isinstance(text, str):
            raise Refusal(msg("The search text must be text."), "bad_values")
        bound = self._get_bound(connection_id)
        actor = bound.actor(actor_type)
        fields = actor.pick(field_keys)
        page = reading.fetch(bound, actor, fields, where=[text_search_clause(actor, text)],
                             order=[actor.key_col], limit=self.search_limit + 1)
        return self.search_result(page)

    def search_actors_advanced(self, connection_id: int, actor_type: str,
                               restrictions: Sequence[Restriction],
                               field_keys: Sequence[str]) -> contract.PageResult:
        """Actors meeting every restriction (values always bound as parameters)."""
        bound = self._get_bound(connection_id)
        actor = bound.actor(actor_type)
        fields = actor.pick(field_keys)
        conditions = restriction_clauses(actor, restrictions)
        page = reading.fetch(bound, actor, fields, where=conditions, order=[actor.key_col],
                             limit=self.search_limit + 1)
        return self.search_result(page)

    # -- writing --------------------------------------------------------------------------

    def create_actor(self, connection_id: int, actor: Actor) -> contract.ActorResult:
        """Insert an actor; the result carries its ERP key and last_modified."""
        bound = self._get_bound(connection_id)
        writing.refuse_writes(bound, connection_id)
        created, key = writing.insert_actor(bound, actor)
        label = bound.actor(actor.actor_type).label
        return contract.ActorResult(actor=created, user_message=msg("{label} {key} was created.",
                                                                    label=label, key=key))

    def save_actors(self, connection_id: int, actors: Sequence[Actor]) -> contract.ActorsResult:
        """Update only the given values of existing actors; all or nothing."""
        bound = self._get_bound(connection_id)
        writing.refuse_writes(bound, connection_id)
        saved = writing.update_actors(bound, actors)
        return contract.ActorsResult(actors=saved, user_message=msg("{count} actor(s) saved.",
                                                                    count=len(saved)))

    # -- helpers --------------------------------------------------------------------------

    def drop_connection_state(self, connection_id: int) -> None:
        """Close the database connections of a connection bound before."""
        bound = self._bound.pop(connection_id, None)
        if bound is not None:
            bound.dispose()

    def secrets(self) -> list[str]:
        """The passwords of the connections, blanked out of every failure message."""
        with self._lock:
            found = [str(v.get("password") or "") for v in self._connections.values()]
            found += [b.settings.url.password or "" for b in self._bound.values()]
        return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)

    def _store(self, url: str) -> ChangeStore:
        with self._lock:
            store = self._stores.get(url)
            if store is None:
                store = self._stores[url] = ChangeStore(url)
            return store

    def _get_bound(self, connection_id: int) -> BoundConnection:
        values = self.connection_values(connection_id)
        with self._lock:
            bound = self._bound.get(connection_id)
            if bound is None:
                bound = bind(parse_settings(values), self._store)
                self._bound[connection_id] = bound
            return bound
