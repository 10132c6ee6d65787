"""Hosts any connector behind the erp-tui connector protocol (docs/connector-protocol.md).

`ConnectorService` turns protocol requests into calls of the wrapped connector (transport-free,
easy to test); `make_server` puts it behind a stdlib `ThreadingHTTPServer` with bearer-token
auth (a token of at least `MIN_TOKEN_LENGTH` characters), a read time-out per connection (a
client that sends half a request is dropped), a cap on concurrent clients (the next one gets
503 at once) and a 400 for every body that is not a well-formed, shallow JSON object. The
wrapped connector's config values come from the server's config file: a client's
`create_connection` binds its connection id to those values (and any connection id is bound on
first use, so a server restart needs no action from clients).
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import BaseModel, ValidationError

from erp_tui.connectors.base import RESULT_CLASSES
from erp_tui.connectors.http import protocol as p
from erp_tui.contract import (
    ActorResult,
    ActorsResult,
    Connector,
    FieldsResult,
    FieldType,
    PageResult,
    Restriction,
    Result,
)
from erp_tui.errors import RefusedError
from erp_tui.i18n import msg

log = logging.getLogger("erp_tui.connector_server")

MIN_TOKEN_LENGTH = 16
READ_TIMEOUT = 30.0  # seconds a connection may stay silent while a request is due
MAX_CLIENTS = 32  # connections served at once
MAX_JSON_DEPTH = 32  # no protocol body nests deeper than a few levels


class ProtocolError(Exception):
    """A request that does not fit the protocol: becomes a non-200 error reply."""

    def __init__(self, status: int, user_message: str, error_code: str,
                 tech_message: str = ""):
        super().__init__(user_message)
        self.status = status
        self.user_message = user_message
        self.error_code = error_code
        self.tech_message = tech_message or user_message

    def body(self) -> dict[str, Any]:
        return p.ErrorReply(user_message=self.user_message, tech_message=self.tech_message,
                            error_code=self.error_code).model_dump()


class ConnectorService:
    """Dispatches protocol requests to a wrapped connector; never raises for its answers."""

    def __init__(self, connector: Connector, config_values: Mapping[str, Any]):
        self.connector = connector
        self.config_values = dict(config_values)
        self._bound: set[int] = set()
        self._lock = threading.Lock()

    # -- entry point ----------------------------------------------------------------------

    def handle(self, method: str, body: Any) -> dict[str, Any]:
        """The JSON-ready reply to `POST /v1/<method>`; raises ProtocolError for bad requests."""
        model = p.REQUEST_MODELS.get(method)
        if model is None:
            raise ProtocolError(HTTPStatus.NOT_FOUND, f"The connector protocol has no method "
                                f"{method!r}.", "unknown_method")
        if not isinstance(body, dict):
            raise ProtocolError(HTTPStatus.BAD_REQUEST, "The request body must be a JSON "
                                "object.", "bad_request")
        try:
            request = model.model_validate(body)
        except ValidationError as exc:
            raise ProtocolError(HTTPStatus.BAD_REQUEST, f"The request body of {method} does "
                                f"not fit the protocol.", "bad_request",
                                _short(exc)) from None
        result_cls = RESULT_CLASSES[method]
        try:
            result = self._dispatch(method, request)
        except Exception as exc:  # the wrapped connector broke its contract
            log.warning("connector raised in %s: %s: %s", method, type(exc).__name__, exc)
            result = result_cls.failure(
                msg("The connector failed unexpectedly; see the technical message."),
                tech_message=f"{type(exc).__name__}: {exc}", error_code="connector_exception")
        if not isinstance(result, result_cls):
            result = result_cls.failure(
                msg("The connector returned an answer of the wrong kind."),
                tech_message=f"expected {result_cls.__name__}, got {type(result).__name__}",
                error_code="connector_bad_answer")
        return self._encode(method, request, result)

    # -- dispatch -------------------------------------------------------------------------

    def _dispatch(self, method: str, request: BaseModel) -> Result:
        c = self.connector
        if method == "config_fields":
            return c.config_fields()
        if method == "test_config":
            return c.test_config(dict(self.config_values))
        assert isinstance(request, p.ConnectionRequest)
        cid = request.connection_id
        if method == "create_connection":
            result = c.create_connection(cid, dict(self.config_values))
            if result.ok:
                with self._lock:
                    self._bound.add(cid)
            return result
        if method == "delete_connection":
            with self._lock:
                self._bound.discard(cid)
            return c.delete_connection(cid)
        bound = self._bind(cid)
        if not bound.ok:
            return bound
        if method == "test_connection":
            return c.test_connection(cid)
        if method == "actor_types":
            return c.actor_types(cid)
        if isinstance(request, p.ListItemsRequest):
            return c.list_items(cid, request.list_name, request.keys)
        if isinstance(request, p.CreateActorRequest):
            types = self._types(cid, request.actor.actor_type)
            return c.create_actor(cid, p.decode_actor(request.actor, types))
        if isinstance(request, p.SaveActorsRequest):
            cache: dict[str, dict[str, FieldType]] = {}
            actors = []
            for wire in request.actors:
                if wire.actor_type not in cache:
                    cache[wire.actor_type] = self._types(cid, wire.actor_type)
                actors.append(p.decode_actor(wire, cache[wire.actor_type]))
            return c.save_actors(cid, actors)
        assert isinstance(request, p.ActorTypeRequest)
        actor_type = request.actor_type
        if method == "actor_fields":
            return c.actor_fields(cid, actor_type)
        if method == "searchable_fields":
            return c.searchable_fields(cid, actor_type)
        if isinstance(request, p.GetActorsRequest):
            return c.get_actors(cid, actor_type, request.keys, request.field_keys)
        if isinstance(request, p.ChangedSinceRequest):
            return c.actors_changed_since(cid, actor_type, request.cursor, request.field_keys,
                                          request.page_size)
        if isinstance(request, p.SearchRequest):
            return c.search_actors(cid, actor_type, request.text, request.field_keys)
        if isinstance(request, p.AdvancedSearchRequest):
            types = self._types(cid, actor_type)
            restrictions = [
                Restriction(field_key=r.field_key, operator=r.operator,
                            values=[_decode_loose(types.get(r.field_key), v) for v in r.values])
                for r in request.restrictions]
            return c.search_actors_advanced(cid, actor_type, restrictions, request.field_keys)
        raise ProtocolError(HTTPStatus.NOT_FOUND, f"Method {method!r} is not served.",
                            "unknown_method")

    def _bind(self, cid: int) -> Result:
        """Bind `cid` to the configured values on first use."""
        with self._lock:
            if cid in self._bound:
                return Result()
        result = self.connector.create_connection(cid, dict(self.config_values))
        if not isinstance(result, Result):
            return Result.failure(msg("The connector returned an answer of the wrong kind."),
                                  error_code="connector_bad_answer")
        if result.ok:
            with self._lock:
                self._bound.add(cid)
        return result

    def _types(self, cid: int, actor_type: str) -> dict[str, FieldType]:
        """Field key -> type of an actor type (empty when the connector cannot tell)."""
        result = self.connector.actor_fields(cid, actor_type)
        if not isinstance(result, FieldsResult) or not result.ok:
            return {}
        return {f.key: f.type for f in result.fields}

    # -- encoding -------------------------------------------------------------------------

    def _encode(self, method: str, request: BaseModel, result: Result) -> dict[str, Any]:
        if isinstance(result, PageResult):
            data = result.model_dump(exclude={"page"})
            page = result.page
            if page is not None:
                assert isinstance(request, p.ActorTypeRequest)
                types = self._types(request.connection_id, page.actor_type)
                data["page"] = p.encode_page(page, types)
            else:
                data["page"] = None
            return data
        if isinstance(result, ActorResult | ActorsResult):
            assert isinstance(request, p.ConnectionRequest)
            data = result.model_dump(exclude={"actor", "actors"})
            cache: dict[str, dict[str, FieldType]] = {}

            def enc(actor: Any) -> dict[str, Any]:
                if actor.actor_type not in cache:
                    cache[actor.actor_type] = self._types(request.connection_id,
                                                          actor.actor_type)
                return p.encode_actor(actor, cache[actor.actor_type])

            if isinstance(result, ActorResult):
                data["actor"] = enc(result.actor) if result.actor is not None else None
            else:
                data["actors"] = [enc(a) for a in result.actors]
            return data
        return result.model_dump(mode="json")


def _decode_loose(ftype: FieldType | None, value: Any) -> Any:
    """Restriction values: date texts of date fields become dates; anything else stays."""
    try:
        return p.decode_value(ftype, value)
    except ValueError:
        return value


def _short(exc: ValidationError) -> str:
    errors = exc.errors()[:3]
    return "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in errors)


# ---- HTTP ------------------------------------------------------------------------------------

class ConnectorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server carrying the service and the expected token."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], service: ConnectorService, token: str, *,
                 read_timeout: float = READ_TIMEOUT, max_clients: int = MAX_CLIENTS):
        self.service = service
        self.token = token
        self.read_timeout = read_timeout
        self.max_clients = max_clients
        self._slots = threading.BoundedSemaphore(max_clients)
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve the connection in a thread of its own, or answer 503 when all are busy."""
        if not self._slots.acquire(blocking=False):
            log.warning("%s refused: %d clients already connected", client_address[0],
                        self.max_clients)
            self._refuse_busy(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def _refuse_busy(self, request: Any) -> None:
        payload = p.dumps(p.ErrorReply(
            user_message=msg("The connector server is busy; try again shortly."),
            tech_message=f"more than {self.max_clients} concurrent clients",
            error_code="busy").model_dump())
        head = (f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; "
                f"charset=utf-8\r\nContent-Length: {len(payload)}\r\nRetry-After: 1\r\n"
                f"Connection: close\r\n\r\n").encode()
        try:
            request.settimeout(1.0)
            request.sendall(head + payload)
        except OSError:
            pass
        self.shutdown_request(request)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ConnectorHTTPServer
    server_version = f"erp-tui-connector/{p.PROTOCOL_VERSION}"

    def setup(self) -> None:
        self.timeout = self.server.read_timeout  # type: ignore[misc]  # the socket's time-out
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the stdlib's own access log; `_reply` logs one line per request."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, verb: str) -> None:
        started = time.perf_counter()
        self._started = started
        try:
            status, body = self._route(verb)
        except ProtocolError as exc:
            status, body = exc.status, exc.body()
            if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.REQUEST_ENTITY_TOO_LARGE):
                self.close_connection = True
        except Exception as exc:
            log.exception("internal error serving %s %s", verb, self.path)
            status = HTTPStatus.INTERNAL_SERVER_ERROR
            body = p.ErrorReply(user_message=msg("The connector server failed unexpectedly."),
                                tech_message=f"{type(exc).__name__}: {exc}",
                                error_code="server_error").model_dump()
        self._reply(verb, int(status), body)

    def _route(self, verb: str) -> tuple[int, dict[str, Any]]:
        if not self._authorised():
            raise ProtocolError(HTTPStatus.UNAUTHORIZED, "The request has no valid bearer "
                                "token.", "unauthorized")
        path = self.path.split("?", 1)[0]
        if path == p.HEALTH_PATH:
            if verb != "GET":
                self._drain()
                raise ProtocolError(HTTPStatus.METHOD_NOT_ALLOWED, "Use GET for health.",
                                    "method_not_allowed")
            connector = self.server.service.connector
            return 200, p.HealthReply(status="ok", protocol=p.PROTOCOL_NAME,
                                      protocol_version=p.PROTOCOL_VERSION,
                                      connector=getattr(connector, "kind", ""),
                                      label=getattr(connector, "label", ""),
                                      labels=getattr(connector, "labels", {})).model_dump()
        prefix = p.PREFIX + "/"
        method = path[len(prefix):] if path.startswith(prefix) else None
        if method is None or method not in p.METHODS:
            self._drain()
            raise ProtocolError(HTTPStatus.NOT_FOUND, f"No endpoint {path}.", "not_found")
        if verb != "POST":
            self._drain()
            raise ProtocolError(HTTPStatus.METHOD_NOT_ALLOWED, f"Use POST for {path}.",
                                "method_not_allowed")
        raw = self._read_body()
        try:
            body = json.loads(raw) if raw else {}
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise ProtocolError(HTTPStatus.BAD_REQUEST, "The request body is not JSON.",
                                "bad_request", _first_line(exc)) from None
        if _depth(body) > MAX_JSON_DEPTH:
            raise ProtocolError(HTTPStatus.BAD_REQUEST, f"The request body nests deeper than "
                                f"{MAX_JSON_DEPTH} levels.", "bad_request")
        return 200, self.server.service.handle(method, body)

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        return hmac.compare_digest(token.strip().encode("utf-8"),
                                   self.server.token.encode("utf-8"))

    def _length(self) -> int:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise ProtocolError(HTTPStatus.BAD_REQUEST, "Send the body with a Content-Length, "
                                "not a transfer encoding.", "bad_request")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise ProtocolError(HTTPStatus.BAD_REQUEST, "Bad Content-Length.",
                                "bad_request") from None
        if length < 0:
            raise ProtocolError(HTTPStatus.BAD_REQUEST, "Bad Content-Length.", "bad_request")
        if length > p.MAX_BODY_BYTES:
            raise ProtocolError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                                f"The request body is larger than {p.MAX_BODY_BYTES} bytes.",
                                "too_large")
        return length

    def _read_body(self) -> bytes:
        length = self._length()
        if not length:
            return b""
        try:
            raw = self.rfile.read(length)
        except TimeoutError:
            raw = b""
        if len(raw) != length:
            self.close_connection = True  # the stream no longer lines up with requests
            raise ProtocolError(HTTPStatus.BAD_REQUEST, f"The request body is shorter than "
                                f"its Content-Length ({length} bytes).", "bad_request")
        return raw

    def _drain(self) -> None:
        try:
            self._read_body()
        except ProtocolError:
            self.close_connection = True

    def _reply(self, verb: str, status: int, body: dict[str, Any]) -> None:
        payload = p.dumps(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Erp-Tui-Protocol", str(p.PROTOCOL_VERSION))
        if status == HTTPStatus.UNAUTHORIZED:
            self.send_header("WWW-Authenticate", 'Bearer realm="erp-tui-connector"')
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)
        elapsed = (time.perf_counter() - self._started) * 1000
        log.info('%s "%s %s" %d %d bytes %.1f ms', self.client_address[0], verb,
                 self.path.split("?", 1)[0], status, len(payload), elapsed)


def make_server(connector: Connector, config_values: Mapping[str, Any], token: str, *,
                host: str = "127.0.0.1", port: int = 0, read_timeout: float = READ_TIMEOUT,
                max_clients: int = MAX_CLIENTS) -> ConnectorHTTPServer:
    """A server (not yet serving) hosting `connector`; port 0 picks a free port.

    Refused (RefusedError, one sentence) when `token` is shorter than `MIN_TOKEN_LENGTH`.
    """
    if len(token) < MIN_TOKEN_LENGTH:
        raise RefusedError(msg("The server's token is {count} character(s) long; use at least "
                               "{MIN_TOKEN_LENGTH} (e.g. the output of 'erp-tui secret-key').",
                               count=len(token), MIN_TOKEN_LENGTH=MIN_TOKEN_LENGTH))
    if read_timeout <= 0 or max_clients < 1:
        raise RefusedError(msg("The read time-out must be positive and at least one client must "
                               "be allowed."))
    return ConnectorHTTPServer((host, port), ConnectorService(connector, config_values), token,
                               read_timeout=read_timeout, max_clients=max_clients)


def _depth(value: Any) -> int:
    """How deeply `value` nests lists and objects (iteratively: no recursion to exhaust)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if deepest > MAX_JSON_DEPTH:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def _first_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
