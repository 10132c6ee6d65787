"""`HttpConnector`: the connector contract over the erp-tui connector protocol (JSON over HTTP).

The remote side may be `erp-tui connector serve` hosting any connector, or a server written in
any language following docs/connector-protocol.md. Every reply is validated with pydantic
(pages column by column with `ActorPage.validated`); transport problems, time-outs, error
replies and malformed replies all become failure results — nothing raises out of this class.

Retries with exponential back-off are made for transient failures only: connection errors,
time-outs and replies 500/502/503/504. A 4xx reply is final. `create_actor` is not idempotent,
so it is retried only when the request cannot have reached the connector (connect errors,
connect time-outs, 503).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import httpx
from pydantic import ValidationError

from erp_tui.connectors.base import ConnectorBase, as_settings, as_whole, setting
from erp_tui.connectors.base import Refusal as _Refusal
from erp_tui.connectors.http import protocol as p
from erp_tui.contract import (
    Actor,
    ActorResult,
    ActorsResult,
    ActorTypesResult,
    ConfigFieldsResult,
    Cursor,
    FieldAccess,
    FieldsResult,
    FieldType,
    ListItemsResult,
    PageResult,
    Restriction,
    Result,
    SearchableFieldsResult,
    label_for,
)
from erp_tui.i18n import N_, label_language, msg, msgn

DEFAULT_TIMEOUT = 30
DEFAULT_RETRIES = 3
BACKOFF_BASE = 0.2
"""Seconds before the first retry; doubled for each further one (capped by BACKOFF_MAX)."""
BACKOFF_MAX = 5.0
RETRY_STATUSES = frozenset({500, 502, 503, 504})
SAFE_RETRY_STATUSES = frozenset({503})

_R = TypeVar("_R", bound=Result)


@dataclass(frozen=True)
class _Config:
    url: str
    token: str
    timeout: float
    retries: int


def _parse_config(values: Mapping[str, Any]) -> _Config:
    values = as_settings(values)
    url = str(values.get("url") or "").strip().rstrip("/")
    if not url:
        raise _Refusal(msg("Fill in the URL of the connector server."), "config")
    try:
        parsed = httpx.URL(url)
    except Exception:
        raise _Refusal(msg("{url!r} is not a URL.", url=url), "config") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise _Refusal(msg("The URL must start with http:// or https:// and name a host."),
                       "config")
    token = values.get("token")
    if not isinstance(token, str) or not token.strip():
        raise _Refusal(msg("Fill in the token of the connector server."), "config")
    timeout = as_whole(values.get("timeout"), N_("Time-out"), DEFAULT_TIMEOUT, 1, 3600)
    retries = as_whole(values.get("retries"), N_("Retries"), DEFAULT_RETRIES, 0, 10)
    return _Config(url=url, token=token.strip(), timeout=float(timeout), retries=retries)


@dataclass
class _Link:
    """One connection: its config and its (pooled, thread-safe) HTTP client."""

    config: _Config
    client: httpx.Client
    types: dict[str, dict[str, FieldType]]


def _client(config: _Config) -> httpx.Client:
    return httpx.Client(
        base_url=config.url, timeout=httpx.Timeout(config.timeout),
        headers={"Authorization": f"Bearer {config.token}",
                 "Content-Type": "application/json", "Accept": "application/json"},
        trust_env=False, follow_redirects=False)


class HttpConnector(ConnectorBase):
    """Out-of-process connector reached over the erp-tui connector protocol."""

    kind: ClassVar[str] = "http"
    label: ClassVar[str] = "Remote connector (JSON over HTTP)"
    labels: ClassVar[dict[str, str]] = {"nl": "Externe connector (JSON via HTTP)"}
    connector_name: ClassVar[str] = N_("HTTP connector")

    def __init__(self) -> None:
        super().__init__()
        self._links: dict[int, _Link] = {}

    # -- configuration and connections ----------------------------------------------------

    def config_fields(self) -> ConfigFieldsResult:
        T = FieldType
        return ConfigFieldsResult(fields=[
            setting("url", "Server URL",
                    "Base URL of the connector server, e.g. http://127.0.0.1:8765.",
                    ("Server-URL", "Basis-URL van de connectorserver, bijvoorbeeld "
                                   "http://127.0.0.1:8765."),
                    type=T.TEXT, access=FieldAccess.MANDATORY),
            setting("token", "Token", "Bearer token the connector server expects.",
                    ("Token", "Bearer-token dat de connectorserver verwacht."),
                    type=T.PASSWORD, access=FieldAccess.MANDATORY),
            setting("timeout", "Time-out (s)", "Seconds to wait for one answer of the server.",
                    ("Time-out (s)", "Aantal seconden dat op één antwoord van de server wordt "
                                     "gewacht."),
                    type=T.INTEGER, default=str(DEFAULT_TIMEOUT)),
            setting("retries", "Retries",
                    "How often a call is repeated after a transient failure "
                    "(connection lost, time-out, server busy).",
                    ("Herhalingen", "Hoe vaak een aanroep wordt herhaald na een tijdelijke "
                                    "storing (verbinding verbroken, time-out, server bezet)."),
                    type=T.INTEGER, default=str(DEFAULT_RETRIES)),
        ])

    def test_config(self, values: dict[str, Any]) -> Result:
        """The server answers, speaks this protocol, accepts the token and its connector's
        own configuration test passes."""
        config = _parse_config(values)
        with _client(config) as client:
            health = self._health(client, config)
            data = self._post(client, config, "test_config", {"values": {}})
        result = self._result(data, Result)
        if not result.ok:
            return result
        who = label_for(health, label_language()) or msg("the connector server")
        if result.user_message:
            text = msg("Connected to {who} at {url}. {reply}", who=who, url=config.url,
                       reply=result.user_message)
        else:
            text = msg("Connected to {who} at {url}.", who=who, url=config.url)
        return Result(state=result.state, user_message=text,
                      tech_message=result.tech_message)

    def create_connection(self, connection_id: int, values: dict[str, Any]) -> Result:
        """Remember the server of a connection and bind the id on the server."""
        config = _parse_config(values)
        link = _Link(config=config, client=_client(config), types={})
        with self._lock:
            old = self._links.pop(connection_id, None)
            self._links[connection_id] = link
        if old is not None:
            old.client.close()
        data = self._post(link.client, config, "create_connection",
                          {"connection_id": connection_id, "values": {}})
        return self._result(data, Result)

    def delete_connection(self, connection_id: int) -> Result:
        with self._lock:
            link = self._links.pop(connection_id, None)
        if link is None:
            raise self.unknown_connection(connection_id)
        try:
            data = self._post(link.client, link.config, "delete_connection",
                              {"connection_id": connection_id})
        finally:
            link.client.close()
        return self._result(data, Result)

    def test_connection(self, connection_id: int) -> Result:
        link = self._link(connection_id)
        self._health(link.client, link.config)
        return self._call(connection_id, "test_connection", {}, Result)

    # -- metadata -------------------------------------------------------------------------

    def actor_types(self, connection_id: int) -> ActorTypesResult:
        return self._call(connection_id, "actor_types", {}, ActorTypesResult)

    def actor_fields(self, connection_id: int, actor_type: str) -> FieldsResult:
        result = self._call(connection_id, "actor_fields", {"actor_type": actor_type},
                            FieldsResult)
        if result.ok:
            link = self._link(connection_id)
            link.types[actor_type] = {f.key: f.type for f in result.fields}
        return result

    def searchable_fields(self, connection_id: int, actor_type: str) -> SearchableFieldsResult:
        return self._call(connection_id, "searchable_fields", {"actor_type": actor_type},
                          SearchableFieldsResult)

    def list_items(self, connection_id: int, list_name: str,
                   keys: Sequence[str] | None = None) -> ListItemsResult:
        body = {"list_name": list_name, "keys": None if keys is None else list(keys)}
        return self._call(connection_id, "list_items", body, ListItemsResult)

    # -- reading --------------------------------------------------------------------------

    def get_actors(self, connection_id: int, actor_type: str, keys: Sequence[str],
                   field_keys: Sequence[str]) -> PageResult:
        return self._page_call(connection_id, "get_actors", {
            "actor_type": actor_type, "keys": list(keys), "field_keys": list(field_keys)})

    def actors_changed_since(self, connection_id: int, actor_type: str, cursor: Cursor,
                             field_keys: Sequence[str], page_size: int = 5000) -> PageResult:
        return self._page_call(connection_id, "actors_changed_since", {
            "actor_type": actor_type, "cursor": cursor.model_dump(),
            "field_keys": list(field_keys), "page_size": page_size})

    def search_actors(self, connection_id: int, actor_type: str, text: str,
                      field_keys: Sequence[str]) -> PageResult:
        return self._page_call(connection_id, "search_actors", {
            "actor_type": actor_type, "text": text, "field_keys": list(field_keys)})

    def search_actors_advanced(self, connection_id: int, actor_type: str,
                               restrictions: Sequence[Restriction],
                               field_keys: Sequence[str]) -> PageResult:
        wire = [Restriction.model_validate(r).model_dump(mode="python") for r in restrictions]
        return self._page_call(connection_id, "search_actors_advanced", {
            "actor_type": actor_type, "restrictions": wire, "field_keys": list(field_keys)})

    # -- writing --------------------------------------------------------------------------

    def create_actor(self, connection_id: int, actor: Actor) -> ActorResult:
        data = self._call_raw(connection_id, "create_actor",
                              {"actor": p.encode_actor(actor, {})}, idempotent=False)
        raw_actor = data.pop("actor", None) if isinstance(data, dict) else None
        result = self._result(data, ActorResult)
        if raw_actor is None:
            if result.ok:
                raise _Refusal(msg("The connector server created an actor but did not send it "
                                   "back."), "bad_reply")
            return result
        actor_out = self._wire_actor(connection_id, raw_actor)
        return result.model_copy(update={"actor": actor_out})

    def save_actors(self, connection_id: int, actors: Sequence[Actor]) -> ActorsResult:
        data = self._call_raw(connection_id, "save_actors",
                              {"actors": [p.encode_actor(a, {}) for a in actors]})
        raw_actors = data.pop("actors", None) if isinstance(data, dict) else None
        result = self._result(data, ActorsResult)
        if raw_actors is None:
            return result
        if not isinstance(raw_actors, list):
            raise self._bad_reply("save_actors", "actors is not a list")
        saved = [self._wire_actor(connection_id, raw) for raw in raw_actors]
        return result.model_copy(update={"actors": saved})

    # -- helpers --------------------------------------------------------------------------

    def _link(self, connection_id: int) -> _Link:
        with self._lock:
            link = self._links.get(connection_id)
        if link is None:
            raise self.unknown_connection(connection_id)
        return link

    def _call_raw(self, connection_id: int, method: str, body: dict[str, Any], *,
                  idempotent: bool = True) -> Any:
        link = self._link(connection_id)
        return self._post(link.client, link.config, method,
                          {"connection_id": connection_id, **body}, idempotent=idempotent)

    def _call(self, connection_id: int, method: str, body: dict[str, Any],
              result_cls: type[_R]) -> _R:
        return self._result(self._call_raw(connection_id, method, body), result_cls)

    def _page_call(self, connection_id: int, method: str, body: dict[str, Any]) -> PageResult:
        data = self._call_raw(connection_id, method, body)
        raw_page = data.pop("page", None) if isinstance(data, dict) else None
        result = self._result(data, PageResult)
        if raw_page is None:
            if result.ok:
                raise self._bad_reply(method, "an ok reply without a page")
            return result
        try:
            page = p.decode_page(raw_page, lambda t: self._types(connection_id, t))
        except (ValueError, TypeError) as exc:
            raise self._bad_reply(method, _short(exc)) from None
        return result.model_copy(update={"page": page})

    def _types(self, connection_id: int, actor_type: str) -> dict[str, FieldType]:
        link = self._link(connection_id)
        if actor_type not in link.types:
            self.actor_fields(connection_id, actor_type)
        return link.types.get(actor_type, {})

    def _wire_actor(self, connection_id: int, raw: Any) -> Actor:
        try:
            wire = p.WireActor.model_validate(raw)
            types = None if wire.value_types else self._types(connection_id, wire.actor_type)
            return p.decode_actor(wire, types)
        except (ValueError, TypeError) as exc:
            raise self._bad_reply("actor", _short(exc)) from None

    def _result(self, data: Any, result_cls: type[_R]) -> _R:
        try:
            return result_cls.model_validate(data)
        except ValidationError as exc:
            raise self._bad_reply(result_cls.__name__, _short(exc)) from None

    @staticmethod
    def _bad_reply(what: str, detail: str) -> _Refusal:
        return _Refusal(msg("The connector server sent a reply that does not fit the connector "
                            "protocol; the call failed and nothing was assumed."), "bad_reply",
                        f"{what}: {detail}")

    def _health(self, client: httpx.Client, config: _Config) -> p.HealthReply:
        response = self._send(client, config, "GET", p.HEALTH_PATH, None, idempotent=True)
        data = self._decode(response, "health")
        try:
            health = p.HealthReply.model_validate(data)
        except ValidationError as exc:
            raise self._bad_reply("health", _short(exc)) from None
        if health.protocol_version != p.PROTOCOL_VERSION:
            raise _Refusal(msg("The connector server speaks protocol version {protocol_version}; "
                               "this erp-tui speaks version {PROTOCOL_VERSION}.",
                               protocol_version=health.protocol_version,
                               PROTOCOL_VERSION=p.PROTOCOL_VERSION), "protocol_version")
        return health

    def _post(self, client: httpx.Client, config: _Config, method: str, body: dict[str, Any],
              *, idempotent: bool = True) -> Any:
        response = self._send(client, config, "POST", f"{p.PREFIX}/{method}", p.dumps(body),
                              idempotent=idempotent)
        return self._decode(response, method)

    def _decode(self, response: httpx.Response, what: str) -> Any:
        try:
            data = json.loads(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise self._bad_reply(what, f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise self._bad_reply(what, "the reply is not a JSON object")
        return data

    def _send(self, client: httpx.Client, config: _Config, verb: str, path: str,
              content: bytes | None, *, idempotent: bool) -> httpx.Response:
        """One request with retries; a 200 reply, or _Refusal."""
        attempts = config.retries + 1
        last = ""
        code = ""
        attempt = 0
        for attempt in range(attempts):
            if attempt:
                time.sleep(min(BACKOFF_BASE * 2 ** (attempt - 1), BACKOFF_MAX))
            try:
                response = client.request(verb, path, content=content)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                last = f"cannot connect: {type(exc).__name__}: {exc}"
                code = "unreachable"
                continue
            except httpx.TimeoutException as exc:
                last = f"time-out after {config.timeout:g} s: {type(exc).__name__}"
                code = "timeout"
                if not idempotent:
                    break
                continue
            except httpx.TransportError as exc:
                last = f"connection failed: {type(exc).__name__}: {exc}"
                code = "transport"
                if not idempotent:
                    break
                continue
            status = response.status_code
            if status == 200:
                return response
            if status in RETRY_STATUSES:
                last = f"HTTP {status}: {_error_text(response)}"
                code = f"http_{status}"
                if idempotent or status in SAFE_RETRY_STATUSES:
                    continue
                break
            if status == 401:
                raise _Refusal(msg("The connector server refused the token; check the token of "
                                   "this connection."), "unauthorized", f"HTTP 401 from {path}")
            raise _Refusal(msg("The connector server refused the request (HTTP {status}): "
                               "{response}",
                               status=status, response=_error_text(response)), f"http_{status}",
                           f"{verb} {path}: HTTP {status}")
        tries = msgn("{count} attempt", "{count} attempts", attempt + 1)
        if code == "timeout":
            message = msg("The connector server at {url} did not answer within {seconds:g} "
                          "seconds ({tries}).", url=config.url, seconds=config.timeout,
                          tries=tries)
        elif code in ("unreachable", "transport"):
            message = msg("The connector server at {url} cannot be reached ({tries}); check "
                          "that it runs and the URL.", url=config.url, tries=tries)
        else:
            message = msg("The connector server at {url} failed with HTTP {status} ({tries}); "
                          "see its log.", url=config.url, status=code.removeprefix("http_"),
                          tries=tries)
        raise _Refusal(message, code, f"{verb} {path}: {last}")


def _error_text(response: httpx.Response) -> str:
    """The user message of an error reply, or a short excerpt of whatever came back."""
    try:
        data = json.loads(response.content)
        if isinstance(data, dict) and isinstance(data.get("user_message"), str):
            return str(data["user_message"])
    except (ValueError, UnicodeDecodeError):
        pass
    text = response.content[:200].decode("utf-8", "replace").strip()
    return text or response.reason_phrase


def _short(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}"
                         for e in exc.errors()[:3])
    return f"{type(exc).__name__}: {exc}"
