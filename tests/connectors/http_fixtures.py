"""Helpers of the HTTP connector tests: a real `erp-tui connector serve` process and small stub
servers (threads in the test process) that misbehave on purpose."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

TOKEN = "test-token-ÆØÅ-not-secret".encode().hex()


@dataclass
class ServerProcess:
    proc: subprocess.Popen[str]
    url: str
    port: int
    log: list[str] = field(default_factory=list)

    def stop(self, *, kill: bool = False) -> None:
        if self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.terminate()
        self.proc.wait(timeout=10)


def start_server(tmp_path: Path, kind: str, config: dict[str, Any], *, port: int = 0,
                 token: str = TOKEN) -> ServerProcess:
    """`erp-tui connector serve` on loopback; port 0 lets the server pick a free port."""
    config_file = tmp_path / f"{kind}-server.json"
    config_file.write_text(json.dumps(config), encoding="utf-8")
    token_file = tmp_path / "token.txt"
    token_file.write_text(token + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERP_TUI_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "erp_tui", "connector", "serve", "--connector", kind,
         "--config", str(config_file), "--port", str(port), "--host", "127.0.0.1",
         "--token-file", str(token_file)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    match = re.search(r"listening on (http://127\.0\.0\.1:(\d+))/v1", line)
    if match is None:
        proc.kill()
        raise AssertionError(f"server did not start: {line}{proc.stderr.read()}")
    server = ServerProcess(proc=proc, url=match.group(1), port=int(match.group(2)))

    def drain() -> None:
        assert proc.stderr is not None
        for text in proc.stderr:
            server.log.append(text.rstrip("\n"))

    threading.Thread(target=drain, daemon=True).start()
    return server


# ---- stub servers ----------------------------------------------------------------------------

Behaviour = Callable[[BaseHTTPRequestHandler, str], tuple[int, bytes] | None]


class LoopbackServer:
    """A threaded HTTP server on a free loopback port, serving until `close()`; subclasses
    answer every GET and POST in `_answer(handler, verb)` (set their attributes first, then
    call this `__init__`, which starts serving)."""

    def __init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                owner._answer(self, "GET")

            def do_POST(self) -> None:
                owner._answer(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def _answer(self, handler: BaseHTTPRequestHandler, verb: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def send_json(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    """Reply with `body` as JSON; a client that gave up (time-out) is no error."""
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except OSError:
        pass


class StubServer(LoopbackServer):
    """A loopback HTTP server whose replies come from `behaviour(handler, path)` (None: the
    connection is closed without a reply)."""

    def __init__(self, behaviour: Behaviour):
        self.behaviour = behaviour
        self.requests: list[str] = []
        super().__init__()

    def _answer(self, handler: BaseHTTPRequestHandler, verb: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        self.requests.append(handler.path)
        reply = self.behaviour(handler, handler.path)
        if reply is None:
            handler.close_connection = True
            return
        send_json(handler, *reply)


def ok_json(data: Any) -> tuple[int, bytes]:
    return 200, json.dumps(data).encode()


def health_then(behaviour: Behaviour) -> Behaviour:
    """A stub that answers health properly and `behaviour` for everything else."""

    def answer(handler: BaseHTTPRequestHandler, path: str) -> tuple[int, bytes] | None:
        if path == "/v1/health":
            return ok_json({"status": "ok", "protocol": "erp-tui-connector",
                            "protocol_version": 1, "connector": "stub", "label": "Stub"})
        if path == "/v1/create_connection":
            return ok_json({"ok": True, "state": "ok"})
        return behaviour(handler, path)

    return answer


def slow(seconds: float) -> Behaviour:
    def answer(handler: BaseHTTPRequestHandler, path: str) -> tuple[int, bytes] | None:
        time.sleep(seconds)
        return ok_json({"ok": True, "state": "ok", "actor_types": []})

    return answer
