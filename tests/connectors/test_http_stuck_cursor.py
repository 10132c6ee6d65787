"""An HTTP connector replying with a `next_cursor` that does not move on: the run ends with a
batch error after that one page (it used to read the same page for minutes), and a later run
with a healthy server reads everything exactly once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.runner import open_errors

from .http_fixtures import TOKEN, ServerProcess, start_server
from .http_proxy import PAGES, FaultProxy
from .sync_support import all_records, configure, links, sync

API_KEY = "http-stuck-key"
CUSTOMERS = 40
NAME = "Stuck ERP"
PLAN = {"Customer": {"customer_no": ("number1", ">"), "name": ("name", "<>")}}
GIVE_UP = 50  # after this many stuck pages the proxy answers HTTP 500 (old code looped)


class StuckCursorProxy(FaultProxy):
    """From the second page read on, the reply's `next_cursor` is the cursor asked for."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.stuck = True

    def _answer(self, handler: BaseHTTPRequestHandler, verb: str) -> None:
        if handler.path != PAGES or not self.stuck:
            super()._answer(handler, verb)
            return
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        with self._lock:
            self.calls[PAGES] += 1
            count = self.calls[PAGES]
        headers = {k: v for k, v in handler.headers.items()
                   if k.lower() in ("authorization", "content-type")}
        reply = self._client.request(verb, PAGES, content=body, headers=headers)
        status, content = reply.status_code, reply.content
        if count > GIVE_UP:
            status, content = 500, b'{"ok": false, "user_message": "Gave up."}'
        elif count >= 2:
            data = json.loads(content)
            data["page"]["next_cursor"] = json.loads(body)["cursor"]
            content = json.dumps(data).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    erp = tmp_path / "erp.sqlite"
    generate_sample_erp(erp, customers=CUSTOMERS, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, seed=5, api_key=API_KEY)
    process = start_server(tmp_path, "sample", {"database": str(erp), "api_key": API_KEY,
                                                "page_size": 10})
    yield process
    process.stop()


def test_a_next_cursor_that_does_not_move_ends_the_run(ctx: AppContext,
                                                       server: ServerProcess) -> None:
    with StuckCursorProxy(server.url) as proxy:
        cid = configure(ctx, NAME, "http", {"url": proxy.url, "token": TOKEN, "timeout": 10,
                                            "retries": 1}, PLAN)
        proxy.calls.clear()
        first = sync(ctx, NAME)
        assert proxy.calls[PAGES] == 2  # the stuck page was read once
        assert (first.counts.created, first.counts.errors) == (10, 1), first.as_dict()
        (error,) = open_errors(ctx, NAME)
        assert "next cursor does not move past" in error.message
        assert len(links(ctx, cid)) == 10

        proxy.stuck = False
        second = sync(ctx, NAME)
        assert (second.counts.created, second.counts.errors) == (CUSTOMERS - 10, 0), \
            second.as_dict()
    linked = links(ctx, cid)
    assert len(linked) == CUSTOMERS
    assert len({crm_id for crm_id, _state in linked.values()}) == CUSTOMERS
    assert len(all_records(ctx, "company")) == CUSTOMERS
