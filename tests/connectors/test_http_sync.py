"""End-to-end sync through the runner with an `http` connection to a real
`erp-tui connector serve` process hosting the sample connector; and runs that meet a slow
server, HTTP 500s, malformed JSON and a server that dies between pages. Every fault run finishes
with clear errors and loses nothing: once the server is healthy again the next run completes
and the CRM holds every actor exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from erp_tui.connectors.sample import SampleConnector
from erp_tui.connectors.sample_data import generate_sample_erp, touch_actors
from erp_tui.context import AppContext
from erp_tui.contract import Cursor, PageResult
from erp_tui.runner import ProgressEvent, open_errors, retry_errors

from .http_fixtures import TOKEN, ServerProcess, start_server
from .http_proxy import FAULTS, FaultProxy
from .sync_support import all_records, configure, edit, error_messages, links, record, sync

API_KEY = "http-sync-key-æøå"
CUSTOMERS = 40
SERVER_PAGE = 10
NAME = "Remote ERP"
PLAN = {"Customer": {
    "customer_no": ("number1", ">"), "name": ("name", "<>"), "phone": ("phone", ">"),
    "email": ("email", "<"), "country": ("country", "<>"), "category": ("category", ">"),
    "postal_city": ("postal_city", "<>")}}
MESSAGES = {
    "slow": "did not answer within 1 seconds",
    "http_500": "HTTP 500",
    "malformed": "does not fit the connector protocol",
    "died": "cannot be reached",
}


@pytest.fixture
def erp(tmp_path: Path) -> Path:
    path = tmp_path / "erp.sqlite"
    generate_sample_erp(path, customers=CUSTOMERS, suppliers=0, persons_per_customer=1,
                        persons_per_supplier=0, projects=0, seed=11, api_key=API_KEY)
    return path


def serve(tmp_path: Path, erp: Path, port: int = 0) -> ServerProcess:
    return start_server(tmp_path, "sample", {"database": str(erp), "api_key": API_KEY,
                                             "page_size": SERVER_PAGE}, port=port)


@pytest.fixture
def server(tmp_path: Path, erp: Path) -> Iterator[ServerProcess]:
    process = serve(tmp_path, erp)
    yield process
    process.stop()


def direct(erp: Path) -> SampleConnector:
    connector = SampleConnector()
    assert connector.create_connection(1, {"database": str(erp), "api_key": API_KEY}).ok
    return connector


def erp_values(erp: Path, key: str, *fields: str) -> dict[str, Any]:
    result = direct(erp).get_actors(1, "Customer", [key], list(fields))
    assert isinstance(result, PageResult) and result.page is not None, result.user_message
    return dict(zip(result.page.field_keys, result.page.rows[0], strict=True))


def erp_keys(erp: Path) -> list[str]:
    page = direct(erp).actors_changed_since(1, "Customer", Cursor(), ["name"], 10_000).page
    assert page is not None
    return list(page.erp_keys)


def add_connection(ctx: AppContext, url: str, **client: Any) -> int:
    values = {"url": url, "token": TOKEN, "timeout": 10, "retries": 1, **client}
    return configure(ctx, NAME, "http", values, PLAN)


def assert_every_actor_once(ctx: AppContext, cid: int, erp: Path) -> None:
    linked = links(ctx, cid)
    assert sorted(k for _t, k in linked) == sorted(erp_keys(erp))
    ids = [crm_id for crm_id, _state in linked.values()]
    assert len(set(ids)) == len(ids) == CUSTOMERS
    assert len(all_records(ctx, "company")) == CUSTOMERS
    assert {state for _id, state in linked.values()} == {"linked"}


def test_full_sync_through_a_serve_process(ctx: AppContext, server: ServerProcess,
                                           erp: Path) -> None:
    cid = add_connection(ctx, server.url)
    first = sync(ctx, NAME)
    assert (first.counts.created, first.counts.errors) == (CUSTOMERS, 0), first.as_dict()
    assert_every_actor_once(ctx, cid, erp)
    # Pages of the server's size crossed the wire.
    pages = sum('"POST /v1/actors_changed_since" 200' in line for line in server.log)
    assert pages >= CUSTOMERS // SERVER_PAGE

    # An ERP change comes in.
    key = sorted(erp_keys(erp))[3]
    crm_id = links(ctx, cid)[("Customer", key)][0]
    touch_actors(erp, "Customer", [key], {"name": "Omdøbt Ærø ApS", "postal_city": "Ærøskøbing"})
    second = sync(ctx, NAME)
    assert (second.counts.updated, second.counts.created, second.counts.errors) == (1, 0, 0), \
        second.as_dict()
    assert record(ctx, "company", crm_id, "name", "postal_city") == \
        {"name": "Omdøbt Ærø ApS", "postal_city": "Ærøskøbing"}

    # A CRM change goes out through the server into the ERP.
    edit(ctx, "company", crm_id, name="Ærø Fællesmejeri «Ø»", email="mejeri@ærø.dk")
    third = sync(ctx, NAME)
    assert (third.counts.pushed, third.counts.errors, third.counts.conflicts) == (1, 0, 0), \
        third.as_dict()
    assert erp_values(erp, key, "name", "email") == {"name": "Ærø Fællesmejeri «Ø»",
                                                     "email": "mejeri@ærø.dk"}
    assert any('"POST /v1/save_actors" 200' in line for line in server.log)
    fourth = sync(ctx, NAME)
    assert (fourth.counts.created, fourth.counts.updated, fourth.counts.pushed,
            fourth.counts.errors) == (0, 0, 0, 0), fourth.as_dict()
    assert error_messages(ctx, NAME) == []
    assert not any(TOKEN in line for line in server.log)

    # The server refuses requests without the token.
    body = {"connection_id": cid, "actor_type": "Customer", "keys": [key], "field_keys": []}
    refused = httpx.post(f"{server.url}/v1/get_actors", json=body)
    assert refused.status_code == 401 and "rows" not in refused.text
    assert httpx.post(f"{server.url}/v1/get_actors", json=body,
                      headers={"Authorization": "Bearer nope"}).status_code == 401
    assert httpx.post(f"{server.url}/v1/get_actors", json=body,
                      headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def _recover_and_check(ctx: AppContext, cid: int, erp: Path, fault: str, faulty: Any) -> None:
    """A fault run finished with clear errors; a healthy run then completes, nothing lost."""
    assert faulty.status == "finished", faulty.as_dict()
    assert faulty.counts.errors > 0, faulty.as_dict()
    assert 0 < faulty.counts.created < CUSTOMERS, faulty.as_dict()
    errors = open_errors(ctx, NAME)
    assert errors, "the fault left no open error"
    assert any(MESSAGES[fault] in e.message for e in errors), \
        [(e.message, e.tech_message) for e in errors]
    assert all(e.message and not e.message.startswith("Traceback") for e in errors)
    created_before = len(links(ctx, cid))
    assert created_before == faulty.counts.created

    healed = sync(ctx, NAME)
    assert healed.counts.errors == 0, healed.as_dict()
    assert healed.counts.created == CUSTOMERS - created_before, healed.as_dict()
    assert_every_actor_once(ctx, cid, erp)
    # The healthy run read the failed range again, so it closed the batch errors itself:
    # nothing is left for `retry`.
    assert open_errors(ctx, NAME) == []
    assert retry_errors(ctx, NAME) == (0, 0)
    assert_every_actor_once(ctx, cid, erp)


@pytest.mark.parametrize("fault", FAULTS)
def test_fault_runs_lose_nothing(ctx: AppContext, server: ServerProcess, erp: Path,
                                 fault: str) -> None:
    with FaultProxy(server.url) as proxy:
        # One try per call, and a short time-out for the slow server.
        cid = add_connection(ctx, proxy.url, timeout=1, retries=0 if fault == "slow" else 1)
        proxy.fault = fault
        faulty = sync(ctx, NAME)
        assert proxy.faults_served >= 1
        proxy.fault = None
        _recover_and_check(ctx, cid, erp, fault, faulty)


def test_server_dying_between_pages(ctx: AppContext, tmp_path: Path, erp: Path) -> None:
    process = serve(tmp_path, erp)
    try:
        cid = add_connection(ctx, process.url, timeout=5, retries=1)

        def kill_after_first_page(event: ProgressEvent) -> None:
            if event.phase == "ERP → CRM" and process.proc.poll() is None:
                process.stop(kill=True)

        faulty = sync(ctx, NAME, progress=kill_after_first_page)
        assert process.proc.poll() is not None
        # The server comes back on the same port; the next run goes on where this one stopped.
        process = serve(tmp_path, erp, port=process.port)
        _recover_and_check(ctx, cid, erp, "died", faulty)
    finally:
        process.stop()
