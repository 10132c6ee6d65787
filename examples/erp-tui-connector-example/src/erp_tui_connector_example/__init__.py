"""A minimal erp-tui connector: an in-memory ERP with one actor type, `Customer`.

It shows the whole contract in a few lines: results instead of exceptions, field metadata,
pages built with `ActorPage.trusted`, a global strictly increasing `last_modified`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

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
)

FIELDS = [
    FieldInfo(key="name", label="Name", type=FieldType.TEXT, access=FieldAccess.MANDATORY,
              max_length=100),
    FieldInfo(key="city", label="City", type=FieldType.TEXT),
]


class MemoryConnector:
    """Customers kept in a dict; every connection gets its own empty ERP."""

    kind: ClassVar[str] = "example-memory"
    label: ClassVar[str] = "Example: in-memory ERP"

    def __init__(self) -> None:
        self._erps: dict[int, dict[str, Actor]] = {}
        self._clock = datetime(2025, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()

    def _stamp(self) -> str:
        now = datetime.now(UTC)
        self._clock = max(now, self._clock + timedelta(microseconds=1))
        return self._clock.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _erp(self, connection_id: int) -> dict[str, Actor] | None:
        return self._erps.get(connection_id)

    def _page(self, actors: list[Actor], field_keys: Sequence[str]) -> ActorPage:
        keys = tuple(field_keys) or tuple(f.key for f in FIELDS)
        return ActorPage.trusted(
            actor_type="Customer", field_keys=keys, erp_keys=[a.erp_key for a in actors],
            last_modified=[a.last_modified for a in actors],
            rows=[tuple(a.values.get(k) for k in keys) for a in actors],
            deleted=[False] * len(actors))

    # -- configuration --------------------------------------------------------------------

    def config_fields(self) -> ConfigFieldsResult:
        return ConfigFieldsResult(fields=[
            FieldInfo(key="company", label="Company name", type=FieldType.TEXT,
                      access=FieldAccess.MANDATORY, description="Shown in test messages."),
        ])

    def test_config(self, values: dict[str, Any]) -> Result:
        if not str(values.get("company") or "").strip():
            return Result.failure("Fill in the company name.", error_code="config")
        return Result(user_message=f"The in-memory ERP of {values['company']} is ready.")

    def create_connection(self, connection_id: int, values: dict[str, Any]) -> Result:
        with self._lock:
            self._erps.setdefault(connection_id, {})
        return Result()

    def delete_connection(self, connection_id: int) -> Result:
        with self._lock:
            self._erps.pop(connection_id, None)
        return Result()

    def test_connection(self, connection_id: int) -> Result:
        if self._erp(connection_id) is None:
            return Result.failure(f"Connection {connection_id} is unknown.",
                                  error_code="unknown_connection")
        return Result()

    # -- metadata -------------------------------------------------------------------------

    def actor_types(self, connection_id: int) -> ActorTypesResult:
        return ActorTypesResult(actor_types=[ActorTypeInfo(key="Customer", label="Customer")])

    def actor_fields(self, connection_id: int, actor_type: str) -> FieldsResult:
        if actor_type != "Customer":
            return FieldsResult.failure(f"There is no actor type {actor_type!r}.")
        return FieldsResult(fields=list(FIELDS))

    def searchable_fields(self, connection_id: int, actor_type: str) -> SearchableFieldsResult:
        return SearchableFieldsResult(field_keys=[f.key for f in FIELDS])

    def list_items(self, connection_id: int, list_name: str,
                   keys: Sequence[str] | None = None) -> ListItemsResult:
        return ListItemsResult.failure(f"There is no list {list_name!r}.")

    # -- reading --------------------------------------------------------------------------

    def get_actors(self, connection_id: int, actor_type: str, keys: Sequence[str],
                   field_keys: Sequence[str]) -> PageResult:
        erp = self._erp(connection_id) or {}
        return PageResult(page=self._page([erp[k] for k in keys if k in erp], field_keys))

    def actors_changed_since(self, connection_id: int, actor_type: str, cursor: Cursor,
                             field_keys: Sequence[str], page_size: int = 5000) -> PageResult:
        erp = self._erp(connection_id) or {}
        after = sorted((a for a in erp.values()
                        if (a.last_modified, a.erp_key) > cursor.as_tuple()),
                       key=lambda a: (a.last_modified, a.erp_key))
        page = self._page(after[:page_size], field_keys)
        if len(after) > page_size:
            last = after[page_size - 1]
            page.next_cursor = Cursor(last_modified=last.last_modified, erp_key=last.erp_key)
        return PageResult(page=page)

    def search_actors(self, connection_id: int, actor_type: str, text: str,
                      field_keys: Sequence[str]) -> PageResult:
        erp = self._erp(connection_id) or {}
        needle = text.casefold()
        found = [a for a in erp.values() if needle in str(a.values.get("name", "")).casefold()]
        return PageResult(page=self._page(found, field_keys))

    def search_actors_advanced(self, connection_id: int, actor_type: str,
                               restrictions: Sequence[Restriction],
                               field_keys: Sequence[str]) -> PageResult:
        return PageResult.failure("Advanced search is not supported by the example.",
                                  error_code="not_supported")

    # -- writing --------------------------------------------------------------------------

    def create_actor(self, connection_id: int, actor: Actor) -> ActorResult:
        with self._lock:
            erp = self._erp(connection_id)
            if erp is None:
                return ActorResult.failure(f"Connection {connection_id} is unknown.")
            key = f"M{len(erp) + 1:05d}"
            created = Actor(actor_type="Customer", erp_key=key, last_modified=self._stamp(),
                            values={f.key: actor.values.get(f.key) for f in FIELDS})
            erp[key] = created
        return ActorResult(actor=created)

    def save_actors(self, connection_id: int, actors: Sequence[Actor]) -> ActorsResult:
        with self._lock:
            erp = self._erp(connection_id) or {}
            missing = [a.erp_key for a in actors if a.erp_key not in erp]
            if missing:
                return ActorsResult.failure(f"Customer {missing[0]!r} does not exist; nothing "
                                            f"was saved.", error_code="unknown_actor")
            saved = []
            for actor in actors:
                current = erp[actor.erp_key]
                erp[actor.erp_key] = current.model_copy(update={
                    "last_modified": self._stamp(),
                    "values": {**current.values, **actor.values}})
                saved.append(erp[actor.erp_key])
        return ActorsResult(actors=saved)
