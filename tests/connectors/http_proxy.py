"""A loopback proxy in front of a real `erp-tui connector serve` process that misbehaves on
purpose: after letting some `actors_changed_since` calls through it answers them slowly, with
HTTP 500 or with malformed JSON. Everything else is forwarded unchanged (token included)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler

import httpx

from .http_fixtures import LoopbackServer, send_json

FAULTS = ("slow", "http_500", "malformed")
PAGES = "/v1/actors_changed_since"


class FaultProxy(LoopbackServer):
    """Forwards to `target`; `fault` (None = healthy) applies to page reads after the first
    `pass_first` ones."""

    def __init__(self, target: str, *, slow_seconds: float = 2.5) -> None:
        self.target = target
        self.fault: str | None = None
        self.pass_first = 1
        self.slow_seconds = slow_seconds
        self.calls: Counter[str] = Counter()
        self.faults_served = 0
        self._lock = threading.Lock()
        self._client = httpx.Client(base_url=target, timeout=30)
        super().__init__()

    def _answer(self, handler: BaseHTTPRequestHandler, verb: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        path = handler.path
        with self._lock:
            self.calls[path] += 1
            faulty = (self.fault is not None and path == PAGES
                      and self.calls[path] > self.pass_first)
            if faulty:
                self.faults_served += 1
        status, content = 200, b""
        if faulty and self.fault == "http_500":
            status, content = 500, b'{"ok": false, "user_message": "Internal server error."}'
        elif faulty and self.fault == "malformed":
            content = b'{"ok": true, "page": {"actor_type": "Customer", "erp_keys": ["C1"'
        else:
            if faulty and self.fault == "slow":
                time.sleep(self.slow_seconds)
            headers = {k: v for k, v in handler.headers.items()
                       if k.lower() in ("authorization", "content-type")}
            reply = self._client.request(verb, path, content=body, headers=headers)
            status, content = reply.status_code, reply.content
        send_json(handler, status, content)

    def close(self) -> None:
        super().close()
        self._client.close()
