"""A minimal erp-tui connector: an in-memory ERP with one actor type, `Customer`.

It shows the whole contract in a few lines: `ConnectorBase` for the shared behaviour (connection
bookkeeping, failure results instead of exceptions, value checks), field metadata, pages built
with `ActorPage.trusted`, a global strictly increasing `last_modified`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from erp_tui.connectors.base import ConnectorBase, Refusal, check_actor_values
from erp_tui.contract import (
    Actor,
    ActorPage,
    ActorResult,
    ActorsResult,
    ActorTypeInfo,
    ActorTypesResult,
    ConfigFieldsResult,
    Cursor,
    FieldAccess,
    FieldInfo,
    FieldsResult,
    FieldType,
    ListItemsResult,
    PageResult,
    Restriction,
    Result,
    SearchableFieldsResult,
    Value,
)

ACTOR_TYPE = "Customer"
FIELDS = {f.key: f for f in [
    FieldInfo(key="name", label="Name", type=FieldType.TEXT, access=FieldAccess.MANDATORY,
              max_length=100),
    # `labels` (optional): the label per language; without it `label` is shown in every one.
    FieldInfo(key="city", label="City", labels={"nl": "Plaats"}, type=FieldType.TEXT),
]}


class MemoryConnector(ConnectorBase):
    """Customers kept in a dict; every connection gets its own empty ERP."""

    kind: ClassVar[str] = "example-memory"
    label: ClassVar[str] = "Example: in-memory ERP"
    labels: ClassVar[dict[str, str]] = {"nl": "Voorbeeld: ERP in het geheugen"}
    connector_name: ClassVar[str] = "example connector"
    supports_advanced_search: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__()  # connection bookkeeping: self._connections, self._lock
        self._erps: dict[int, dict[str, Actor]] = {}
        self._clock = datetime(2025, 1, 1, tzinfo=UTC)

    # -- configuration (create/delete/test_connection come from ConnectorBase) -------------

    def config_fields(self) -> ConfigFieldsResult:
        return ConfigFieldsResult(fields=[
            FieldInfo(key="company", label="Company name", type=FieldType.TEXT,
                      access=FieldAccess.MANDATORY, description="Shown in test messages.",
                      labels={"nl": "Bedrijfsnaam"},
                      descriptions={"nl": "Wordt getoond in testberichten."}),
        ])

    def test_config(self, values: dict[str, Any]) -> Result:
        if not str(values.get("company") or "").strip():
            raise Refusal("Fill in the company name.", "config")
        return Result(user_message=f"The in-memory ERP of {values['company']} is ready.")

    def forget_connection(self, connection_id: int) -> bool:
        """Deleting a connection drops its ERP (binding the id again keeps it)."""
        with self._lock:
            self._erps.pop(connection_id, None)
        return super().forget_connection(connection_id)

    # -- metadata -------------------------------------------------------------------------

    def actor_types(self, connection_id: int) -> ActorTypesResult:
        self._erp(connection_id)
        return ActorTypesResult(actor_types=[ActorTypeInfo(key=ACTOR_TYPE, label="Customer")])

    def actor_fields(self, connection_id: int, actor_type: str) -> FieldsResult:
        self._erp(connection_id)
        self._field_keys(actor_type, [])
        return FieldsResult(fields=list(FIELDS.values()))

    def searchable_fields(self, connection_id: int, actor_type: str) -> SearchableFieldsResult:
        self._erp(connection_id)
        return SearchableFieldsResult(field_keys=list(self._field_keys(actor_type, [])))

    def list_items(self, connection_id: int, list_name: str,
                   keys: Sequence[str] | None = None) -> ListItemsResult:
        self._erp(connection_id)
        raise Refusal(f"There is no list {list_name!r}.", "unknown_list")

    # -- reading --------------------------------------------------------------------------

    def get_actors(self, connection_id: int, actor_type: str, keys: Sequence[str],
                   field_keys: Sequence[str]) -> PageResult:
        erp = self._erp(connection_id)
        fields = self._field_keys(actor_type, field_keys)
        return PageResult(page=self._page([erp[k] for k in keys if k in erp], fields))

    def actors_changed_since(self, connection_id: int, actor_type: str, cursor: Cursor,
                             field_keys: Sequence[str], page_size: int = 5000) -> PageResult:
        erp = self._erp(connection_id)
        fields = self._field_keys(actor_type, field_keys)
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise Refusal("Page size must be a whole number of at least 1.", "bad_page_size")
        after = sorted((a for a in erp.values()
                        if (a.last_modified, a.erp_key) > cursor.as_tuple()),
                       key=lambda a: (a.last_modified, a.erp_key))
        page = self._page(after[:page_size], fields)
        if len(after) > page_size:
            last = after[page_size - 1]
            page.next_cursor = Cursor(last_modified=last.last_modified, erp_key=last.erp_key)
        return PageResult(page=page)

    def search_actors(self, connection_id: int, actor_type: str, text: str,
                      field_keys: Sequence[str]) -> PageResult:
        erp = self._erp(connection_id)
        fields = self._field_keys(actor_type, field_keys)
        needle = text.casefold()
        found = [a for a in erp.values() if needle in str(a.values.get("name", "")).casefold()]
        return self.search_result(self._page(found, fields))

    def search_actors_advanced(self, connection_id: int, actor_type: str,
                               restrictions: Sequence[Restriction],
                               field_keys: Sequence[str]) -> PageResult:
        raise self.not_supported("search by criteria")

    # -- writing --------------------------------------------------------------------------

    def create_actor(self, connection_id: int, actor: Actor) -> ActorResult:
        with self._lock:
            erp = self._erp(connection_id)
            values = self._checked_values(erp, actor, creating=True)
            key = f"M{len(erp) + 1:05d}"
            created = Actor(actor_type=ACTOR_TYPE, erp_key=key, last_modified=self._stamp(),
                            values={k: values.get(k) for k in FIELDS})
            erp[key] = created
        return ActorResult(actor=created)

    def save_actors(self, connection_id: int, actors: Sequence[Actor]) -> ActorsResult:
        with self._lock:
            erp = self._erp(connection_id)
            # Check everything first: a save is all or nothing.
            changes = [self._checked_values(erp, actor, creating=False) for actor in actors]
            saved = []
            for actor, values in zip(actors, changes, strict=True):
                current = erp[actor.erp_key]
                erp[actor.erp_key] = current.model_copy(update={
                    "last_modified": self._stamp(), "values": {**current.values, **values}})
                saved.append(erp[actor.erp_key])
        return ActorsResult(actors=saved)

    # -- helpers --------------------------------------------------------------------------

    def _erp(self, connection_id: int) -> dict[str, Actor]:
        """The ERP of a connection; a refusal when the connection was never created."""
        self.connection_values(connection_id)
        with self._lock:
            return self._erps.setdefault(connection_id, {})

    @staticmethod
    def _field_keys(actor_type: str, field_keys: Sequence[str]) -> tuple[str, ...]:
        if actor_type != ACTOR_TYPE:
            raise Refusal(f"There is no actor type {actor_type!r}.", "unknown_actor_type")
        unknown = [k for k in field_keys if k not in FIELDS]
        if unknown:
            raise Refusal(f"{ACTOR_TYPE} has no field {unknown[0]!r}.", "unknown_field")
        return tuple(field_keys) or tuple(FIELDS)

    def _checked_values(self, erp: dict[str, Actor], actor: Actor, *,
                        creating: bool) -> dict[str, Value]:
        """The actor's values checked against the fields; a refusal naming every problem."""
        if actor.actor_type != ACTOR_TYPE:
            raise Refusal(f"There is no actor type {actor.actor_type!r}.", "unknown_actor_type")
        if not creating and actor.erp_key not in erp:
            raise Refusal(f"{ACTOR_TYPE} {actor.erp_key!r} does not exist; nothing was saved.",
                          "unknown_actor")
        if actor.deleted:
            raise self.not_supported("delete actors")
        return check_actor_values(FIELDS, actor, creating=creating)

    def _stamp(self) -> str:
        now = datetime.now(UTC)
        self._clock = max(now, self._clock + timedelta(microseconds=1))
        return self._clock.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    @staticmethod
    def _page(actors: list[Actor], keys: tuple[str, ...]) -> ActorPage:
        return ActorPage.trusted(
            actor_type=ACTOR_TYPE, field_keys=keys, erp_keys=[a.erp_key for a in actors],
            last_modified=[a.last_modified for a in actors],
            rows=[tuple(a.values.get(k) for k in keys) for a in actors],
            deleted=[False] * len(actors))
