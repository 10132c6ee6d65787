"""`connector serve` against hostile clients, on loopback: half requests are dropped after the
read time-out, the client cap answers 503, short bodies and deep or malformed JSON get 400, and
short tokens are refused at start. Every socket wait is bounded."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from erp_tui.connectors.http.server import ConnectorHTTPServer, make_server
from erp_tui.connectors.sample import SampleConnector
from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.errors import RefusedError

TOKEN = "a-token-of-32-characters-or-so-x"
WAIT = 10.0  # the longest any client here waits for the server (never reached when right)


@pytest.fixture
def erp_values(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "erp.sqlite"
    generate_sample_erp(path, customers=3, suppliers=1, projects=1, api_key="k" * 20)
    return {"database": str(path), "api_key": "k" * 20}


def _serving(values: dict[str, str], **options: float) -> Iterator[ConnectorHTTPServer]:
    server = make_server(SampleConnector(), values, TOKEN, **options)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(WAIT)


@pytest.fixture
def server(erp_values: dict[str, str]) -> Iterator[ConnectorHTTPServer]:
    yield from _serving(erp_values, read_timeout=0.5, max_clients=4)


def _client(server: ConnectorHTTPServer) -> socket.socket:
    sock = socket.create_connection(server.server_address[:2], timeout=WAIT)  # type: ignore[arg-type]
    return sock


def _head(body_length: int, path: str = "/v1/actor_types") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {body_length}\r\n\r\n").encode()


def _reply(sock: socket.socket) -> tuple[int, dict[str, object], bytes]:
    """Status, JSON body and everything read up to the close (bounded by WAIT)."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            if len(rest) >= length:
                return int(head.split()[1]), json.loads(rest[:length]), data
    if not data:
        return 0, {}, data
    head, _, rest = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(rest) if rest else {}, data


def _post(server: ConnectorHTTPServer, body: bytes) -> tuple[int, dict[str, object]]:
    with _client(server) as sock:
        sock.sendall(_head(len(body)) + body)
        status, reply, _ = _reply(sock)
    return status, reply


def test_a_good_request_is_answered(server: ConnectorHTTPServer) -> None:
    status, reply = _post(server, b'{"connection_id": 1}')
    assert status == 200 and reply["ok"] is True


def test_half_a_header_is_dropped_after_the_read_timeout(server: ConnectorHTTPServer) -> None:
    with _client(server) as sock:
        sock.sendall(b"POST /v1/actor_types HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthoriz")
        assert sock.recv(1024) == b""  # closed by the server, long before WAIT


@pytest.mark.parametrize("close_write", [True, False], ids=["client-ends", "client-stalls"])
def test_a_short_content_length_gets_400(server: ConnectorHTTPServer,
                                         close_write: bool) -> None:
    with _client(server) as sock:
        sock.sendall(_head(100) + b'{"connec')
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        status, reply, _ = _reply(sock)
    assert status == 400 and reply["error_code"] == "bad_request"
    assert "shorter than its Content-Length" in str(reply["user_message"])


@pytest.mark.parametrize("body", [
    b"[" * 200_000 + b"]" * 200_000,
    json.dumps({"connection_id": 1, "x": json.loads("[" * 500 + "]" * 500)}).encode(),
    b'{"connection_id": 1,',
    b"\xff\xfe not utf-8",
    b"[1, 2, 3]",
], ids=["deep-array", "deep-but-parseable", "truncated", "binary", "not-an-object"])
def test_deep_or_malformed_json_gets_400(server: ConnectorHTTPServer, body: bytes) -> None:
    status, reply = _post(server, body)
    assert status == 400, reply
    assert reply["error_code"] == "bad_request"
    assert "Traceback" not in json.dumps(reply)


def test_concurrent_clients_are_capped(erp_values: dict[str, str]) -> None:
    for server in _serving(erp_values, read_timeout=WAIT * 3, max_clients=2):
        held = [_client(server), _client(server)]
        for sock in held:  # each holds a slot with half a request
            sock.sendall(b"POST /v1/actor_types HTTP/1.1\r\n")
        with _client(server) as third:
            third.sendall(_head(20) + b'{"connection_id": 1}')
            status, reply, _ = _reply(third)
        assert status == 503 and reply["error_code"] == "busy"
        for sock in held:
            sock.close()
        deadline = time.monotonic() + WAIT  # the freed slots come back
        while True:
            status, _ = _post(server, b'{"connection_id": 1}')
            if status == 200 or time.monotonic() > deadline:
                break
        assert status == 200


def test_short_tokens_are_refused(erp_values: dict[str, str]) -> None:
    with pytest.raises(RefusedError, match=r"is 15 character\(s\) long; use at least 16"):
        make_server(SampleConnector(), erp_values, "x" * 15)  # type: ignore[arg-type]


def test_serve_refuses_a_short_token_with_one_line(tmp_path: Path,
                                                   erp_values: dict[str, str]) -> None:
    config = tmp_path / "server.json"
    config.write_text(json.dumps(erp_values), encoding="utf-8")
    token = tmp_path / "token.txt"
    token.write_text("x\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERP_TUI_")}
    done = subprocess.run(
        [sys.executable, "-m", "erp_tui", "connector", "serve", "--connector", "sample",
         "--config", str(config), "--port", "0", "--host", "127.0.0.1", "--token-file",
         str(token)], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "is 1 character(s) long; use at least 16" in lines[0]
