"""The erp-tui connector protocol, version 1: JSON over HTTP (see docs/connector-protocol.md).

Shared by the client (`HttpConnector`) and the server (`connector serve`): the endpoint names,
the request bodies as pydantic models, and the JSON encoding of values and pages.

Values travel as JSON scalars; dates and datetimes as ISO-8601 strings. Which strings are dates
is told by type information taken from the field metadata: a page carries `field_types` (one
type per field key) and an actor carries `value_types` (field key -> type).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from erp_tui.contract import (
    Actor,
    ActorPage,
    Cursor,
    FieldType,
    Restriction,
    Value,
)
from erp_tui.i18n import msg

PROTOCOL_NAME = "erp-tui-connector"
PROTOCOL_VERSION = 1
PREFIX = f"/v{PROTOCOL_VERSION}"
HEALTH_PATH = f"{PREFIX}/health"
TOKEN_ENV = "ERP_TUI_CONNECTOR_TOKEN"
MAX_BODY_BYTES = 64 * 1024 * 1024
"""Largest request body a server accepts (413 above)."""

# Contract method -> whether it acts on a connection id.
METHODS: dict[str, bool] = {
    "config_fields": False,
    "test_config": False,
    "create_connection": True,
    "delete_connection": True,
    "test_connection": True,
    "actor_types": True,
    "actor_fields": True,
    "get_actors": True,
    "actors_changed_since": True,
    "search_actors": True,
    "search_actors_advanced": True,
    "searchable_fields": True,
    "create_actor": True,
    "save_actors": True,
    "list_items": True,
}


# ---- request bodies ------------------------------------------------------------------------

class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmptyRequest(_Body):
    """Body of `config_fields` (an empty object)."""


class TestConfigRequest(_Body):
    values: dict[str, Any] = Field(default_factory=dict)


class ConnectionRequest(_Body):
    connection_id: int


class CreateConnectionRequest(ConnectionRequest):
    values: dict[str, Any] = Field(default_factory=dict)


class ActorTypeRequest(ConnectionRequest):
    actor_type: str


class GetActorsRequest(ActorTypeRequest):
    keys: list[str]
    field_keys: list[str] = Field(default_factory=list)


class ChangedSinceRequest(ActorTypeRequest):
    cursor: Cursor = Field(default_factory=Cursor)
    field_keys: list[str] = Field(default_factory=list)
    page_size: int = Field(default=5000, ge=1, le=ActorPage.MAX_ROWS)


class SearchRequest(ActorTypeRequest):
    text: str
    field_keys: list[str] = Field(default_factory=list)


class AdvancedSearchRequest(ActorTypeRequest):
    restrictions: list[Restriction]
    field_keys: list[str] = Field(default_factory=list)


class WireActor(Actor):
    """An actor on the wire: values as JSON scalars plus the types of non-JSON ones."""

    value_types: dict[str, FieldType] = Field(default_factory=dict)


class CreateActorRequest(ConnectionRequest):
    actor: WireActor


class SaveActorsRequest(ConnectionRequest):
    actors: list[WireActor]


class ListItemsRequest(ConnectionRequest):
    list_name: str
    keys: list[str] | None = None


REQUEST_MODELS: dict[str, type[_Body]] = {
    "config_fields": EmptyRequest,
    "test_config": TestConfigRequest,
    "create_connection": CreateConnectionRequest,
    "delete_connection": ConnectionRequest,
    "test_connection": ConnectionRequest,
    "actor_types": ConnectionRequest,
    "actor_fields": ActorTypeRequest,
    "get_actors": GetActorsRequest,
    "actors_changed_since": ChangedSinceRequest,
    "search_actors": SearchRequest,
    "search_actors_advanced": AdvancedSearchRequest,
    "searchable_fields": ActorTypeRequest,
    "create_actor": CreateActorRequest,
    "save_actors": SaveActorsRequest,
    "list_items": ListItemsRequest,
}


class ErrorReply(BaseModel):
    """Body of every non-200 reply."""

    ok: bool = False
    state: str = "error"
    user_message: str = ""
    tech_message: str = ""
    error_code: str = "error"


class HealthReply(BaseModel):
    """Body of `GET /v1/health`."""

    status: str
    protocol: str
    protocol_version: int
    connector: str = ""
    label: str = ""
    labels: dict[str, str] = Field(default_factory=dict)  # the label per language


# ---- values --------------------------------------------------------------------------------

def json_default(value: Any) -> Any:
    """`json.dumps` hook: dates and datetimes as ISO-8601 text."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} cannot be sent as JSON")


def dumps(data: Any) -> bytes:
    """Compact UTF-8 JSON (non-ASCII kept as is)."""
    return json.dumps(data, default=json_default, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def type_of_value(value: Any) -> FieldType | None:
    """The wire type of a Python value that JSON cannot carry as itself."""
    if isinstance(value, datetime):
        return FieldType.DATETIME
    if isinstance(value, date):
        return FieldType.DATE
    return None


def decode_value(ftype: FieldType | None, value: Any) -> Value:
    """A JSON scalar as the typed value of a field of type `ftype`; ValueError if it is not."""
    if value is None:
        return None
    if ftype is FieldType.DATE:
        if isinstance(value, str):
            return date.fromisoformat(value)
        raise ValueError(msg("a date must be sent as ISO text, not {value!r}", value=value))
    if ftype is FieldType.DATETIME:
        if isinstance(value, str):
            return datetime.fromisoformat(value)
        raise ValueError(msg("a datetime must be sent as ISO text, not {value!r}", value=value))
    if ftype is FieldType.DOUBLE and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str | int | float | bool):
        return value
    raise ValueError(msg("{name} is not a field value", name=type(value).__name__))


def encode_actor(actor: Actor, types: Mapping[str, FieldType]) -> dict[str, Any]:
    """An actor as a JSON-ready dict with `value_types` for every value whose type is known."""
    data = actor.model_dump(mode="python")
    data["value_types"] = {k: types[k].value for k in actor.values if k in types}
    for key, value in actor.values.items():
        guessed = type_of_value(value)
        if guessed is not None and key not in data["value_types"]:
            data["value_types"][key] = guessed.value
    return data


def decode_actor(actor: WireActor, types: Mapping[str, FieldType] | None = None) -> Actor:
    """A wire actor as a contract actor: date texts become dates (metadata first)."""
    values = {}
    for key, value in actor.values.items():
        ftype = (types or {}).get(key) or actor.value_types.get(key)
        values[key] = decode_value(ftype, value)
    return Actor(actor_type=actor.actor_type, erp_key=actor.erp_key,
                 last_modified=actor.last_modified, parent_actor_type=actor.parent_actor_type,
                 parent_erp_key=actor.parent_erp_key, deleted=actor.deleted, values=values)


# ---- pages ---------------------------------------------------------------------------------

def encode_page(page: ActorPage, types: Mapping[str, FieldType]) -> dict[str, Any]:
    """A page in column form, JSON-ready (dates are turned into text by `json_default`)."""
    return {
        "actor_type": page.actor_type,
        "field_keys": list(page.field_keys),
        "field_types": [types[k].value if k in types else None for k in page.field_keys],
        "erp_keys": page.erp_keys,
        "last_modified": page.last_modified,
        "rows": page.rows,
        "parent_types": page.parent_types,
        "parent_keys": page.parent_keys,
        "deleted": page.deleted,
        "next_cursor": page.next_cursor.model_dump() if page.next_cursor else None,
        # A progress hint the wrapped connector got wrong is left out, not sent to fail the page.
        "remaining": page.remaining if _is_count(page.remaining) else None,
    }


def _is_count(value: Any) -> bool:
    """True for a whole number of at least 0 (not a bool, a float or a text)."""
    return type(value) is int and value >= 0


_NONE = type(None)
_ALLOWED: dict[FieldType | None, frozenset[type]] = {
    FieldType.TEXT: frozenset({str, _NONE}),
    FieldType.PASSWORD: frozenset({str, _NONE}),
    FieldType.LIST: frozenset({str, _NONE}),
    FieldType.LABEL: frozenset({str, _NONE}),
    FieldType.INTEGER: frozenset({int, _NONE}),
    FieldType.DOUBLE: frozenset({float, int, _NONE}),
    FieldType.CHECKBOX: frozenset({bool, _NONE}),
    FieldType.DATE: frozenset({str, _NONE}),
    FieldType.DATETIME: frozenset({str, _NONE}),
    None: frozenset({str, int, float, bool, _NONE}),
}


def _convert_column(ftype: FieldType | None, key: str, column: Sequence[Any]
                    ) -> Sequence[Any] | None:
    """The column converted to typed values, or None when it is fine as it is."""
    kinds = set(map(type, column))
    allowed = _ALLOWED[ftype]
    if not kinds <= allowed:
        wrong = sorted(k.__name__ for k in kinds - allowed)
        raise ValueError(msg("column {key!r} ({value}) holds {names} values",
                             key=key, value=ftype.value if ftype else 'untyped',
                             names=', '.join(wrong)))
    if ftype is FieldType.DATE:
        return [None if v is None else date.fromisoformat(v) for v in column]
    if ftype is FieldType.DATETIME:
        return [None if v is None else datetime.fromisoformat(v) for v in column]
    if ftype is FieldType.DOUBLE and int in kinds:
        return [None if v is None else float(v) for v in column]
    return None


def decode_page(data: Any, types_for: Callable[[str], Mapping[str, FieldType]] | None = None
                ) -> ActorPage:
    """Validate a page received over HTTP (`remaining`, shape by `ActorPage.validated`, then
    each column's types) and turn date texts into dates. Raises ValueError (or pydantic's
    ValidationError, a ValueError) when the page does not fit the protocol; an absent or null
    `remaining` stays None.

    Types come from the page's `field_types`; when it has none, from `types_for(actor_type)`.
    """
    if not isinstance(data, dict):
        raise ValueError(msg("the page is not a JSON object"))
    data = dict(data)
    remaining = data.get("remaining")
    if remaining is not None and not _is_count(remaining):
        # Checked here: the page model would take true, 3.0 or "3" as a number.
        raise ValueError(msg("remaining must be a whole number of at least 0, not {remaining!r}",
                             remaining=remaining))
    raw_types = data.pop("field_types", None)
    page = ActorPage.validated(data)
    keys = page.field_keys
    if raw_types is None:
        known = types_for(page.actor_type) if types_for else {}
        types: list[FieldType | None] = [known.get(k) for k in keys]
    else:
        if not isinstance(raw_types, list) or len(raw_types) != len(keys):
            raise ValueError(msg("field_types does not match field_keys"))
        types = [None if t is None else FieldType(t) for t in raw_types]
    if not page.rows or not keys:
        return page
    columns: list[Sequence[Any]] = list(zip(*page.rows, strict=True))
    changed = False
    for i, (key, ftype) in enumerate(zip(keys, types, strict=True)):
        converted = _convert_column(ftype, key, columns[i])
        if converted is not None:
            columns[i] = converted
            changed = True
    if changed:
        page.rows = list(zip(*columns, strict=True))
    return page
