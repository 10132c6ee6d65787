"""A loopback proxy in front of a real `erp-tui connector serve` process that misbehaves on
purpose: after letting some `actors_changed_since` calls through it answers them slowly, with
HTTP 500 or with malformed JSON. Everything else is forwarded unchanged (token included).

Test modules import this with `sys.path` pointing at tests/connectors.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

FAULTS = ("slow", "http_500", "malformed")
PAGES = "/v1/actors_changed_since"


class FaultProxy:
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
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                proxy._answer(self, "GET")

            def do_POST(self) -> None:
                proxy._answer(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

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
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(content)))
            handler.end_headers()
            handler.wfile.write(content)
        except OSError:
            pass  # the client gave up (time-out)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._client.close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
