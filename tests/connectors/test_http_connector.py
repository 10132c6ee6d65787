"""HttpConnector against a real `erp-tui connector serve` process, and against stub servers that
time out, fail, send garbage or die."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from erp_tui.connectors.http.client import HttpConnector
from erp_tui.connectors.sample import SampleConnector
from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.contract import (
    Actor,
    ActorPage,
    Connector,
    Cursor,
    FieldType,
    Restriction,
    SearchOperator,
)

from .http_fixtures import (
    TOKEN,
    ServerProcess,
    StubServer,
    health_then,
    ok_json,
    slow,
    start_server,
)

API_KEY = "sample-key-ø"
CID = 3


@pytest.fixture(scope="module")
def erp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("erp") / "erp.sqlite"
    generate_sample_erp(path, customers=120, suppliers=10, persons_per_customer=1,
                        projects=10, extra_fields=4, seed=4, api_key=API_KEY)
    return path


@pytest.fixture(scope="module")
def server(erp: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("srv"), "sample",
                        {"database": str(erp), "api_key": API_KEY, "page_size": 5000})
    yield proc
    proc.stop()


def client(url: str, token: str = TOKEN, **extra: Any) -> HttpConnector:
    connector = HttpConnector()
    result = connector.create_connection(CID, {"url": url, "token": token, **extra})
    assert result.ok, result
    return connector


def direct(erp: Path) -> SampleConnector:
    connector = SampleConnector()
    assert connector.create_connection(CID, {"database": str(erp), "api_key": API_KEY}).ok
    return connector


def read_all(connector: Connector, actor_type: str, page_size: int) -> list[ActorPage]:
    pages = []
    cursor = Cursor()
    while True:
        result = connector.actors_changed_since(CID, actor_type, cursor, [], page_size)
        assert result.ok and result.page is not None, result.user_message
        pages.append(result.page)
        if result.page.next_cursor is None:
            return pages
        cursor = result.page.next_cursor


# ---- the whole contract through a real server ------------------------------------------------

def test_the_contract_over_http(server: ServerProcess, erp: Path) -> None:
    remote = client(server.url)
    local = direct(erp)
    assert isinstance(remote, Connector)
    assert [f.key for f in remote.config_fields().fields] == ["url", "token", "timeout",
                                                              "retries"]
    tested = remote.test_config({"url": server.url, "token": TOKEN})
    assert tested.ok and "sample ERP" in tested.user_message, tested
    assert remote.test_connection(CID).ok
    assert remote.actor_types(CID) == local.actor_types(CID)
    for actor_type in ("Customer", "Person", "Project"):
        assert remote.actor_fields(CID, actor_type) == local.actor_fields(CID, actor_type)
        assert remote.searchable_fields(CID, actor_type) == \
            local.searchable_fields(CID, actor_type)
    assert remote.list_items(CID, "country") == local.list_items(CID, "country")
    assert remote.list_items(CID, "country", ["SE", "XX"]).items == \
        local.list_items(CID, "country", ["SE", "XX"]).items

    # Paged reads give exactly what the connector gives in-process: same keys, typed values.
    remote_pages = read_all(remote, "Customer", 50)
    local_pages = read_all(local, "Customer", 50)
    assert len(remote_pages) == len(local_pages) == 3
    for got, want in zip(remote_pages, local_pages, strict=True):
        assert got.field_keys == want.field_keys
        assert got.erp_keys == want.erp_keys and got.last_modified == want.last_modified
        assert got.rows == want.rows and got.deleted == want.deleted
        assert got.next_cursor == want.next_cursor
    created_at = remote_pages[0].field_keys.index("created")
    assert isinstance(remote_pages[0].rows[0][created_at], date)
    persons = read_all(remote, "Person", 1000)[0]
    assert persons.parent_keys == read_all(local, "Person", 1000)[0].parent_keys

    keys = remote_pages[0].erp_keys[:3]
    fetched = remote.get_actors(CID, "Customer", keys, ["name", "created"])
    assert fetched.page == local.get_actors(CID, "Customer", keys, ["name", "created"]).page
    name = fetched.page.rows[0][0] if fetched.page else ""
    assert isinstance(name, str)
    assert remote.search_actors(CID, "Customer", name[:5], []).page == \
        local.search_actors(CID, "Customer", name[:5], []).page
    restrictions = [Restriction(field_key="created", operator=SearchOperator.AFTER,
                                values=[date(2015, 1, 1)]),
                    Restriction(field_key="country", operator=SearchOperator.ONE_OF,
                                values=["SE", "NO"])]
    found = remote.search_actors_advanced(CID, "Customer", restrictions, ["name", "created"])
    assert found.ok and found.page is not None and len(found.page) > 0, found.user_message
    assert found.page == local.search_actors_advanced(CID, "Customer", restrictions,
                                                      ["name", "created"]).page
    bad = remote.search_actors_advanced(CID, "Customer", [Restriction(
        field_key="nope", operator=SearchOperator.EQUALS, values=["x"])], [])
    assert not bad.ok and bad.error_code == "unknown_field"

    # Writes: values (dates, non-ASCII) go through and come back typed.
    saved = remote.save_actors(CID, [Actor(actor_type="Customer", erp_key=keys[0],
                                           values={"note": "Ærlig talt – ünïcødé"})])
    assert saved.ok, saved.user_message
    assert saved.actors[0].values["note"] == "Ærlig talt – ünïcødé"
    assert isinstance(saved.actors[0].values["created"], date)
    assert saved.actors[0].last_modified > max(remote_pages[-1].last_modified)
    assert local.get_actors(CID, "Customer", [keys[0]], ["note"]).page.rows == [  # type: ignore
        ("Ærlig talt – ünïcødé",)]
    made = remote.create_actor(CID, Actor(actor_type="Customer", values={
        "name": "Ny Kund Åbo", "country": "FI", "currency": "EUR"}))
    assert made.ok and made.actor is not None, made.user_message
    assert made.actor.erp_key and made.actor.values["name"] == "Ny Kund Åbo"
    refused = remote.save_actors(CID, [Actor(actor_type="Customer", erp_key=keys[0],
                                             values={"credit_limit": "lots"})])
    assert not refused.ok and refused.error_code == "invalid_values"

    assert remote.delete_connection(CID).ok
    assert remote.actor_types(CID).error_code == "unknown_connection"
    assert any('"POST /v1/actors_changed_since" 200' in line for line in server.log)
    assert not any(TOKEN in line for line in server.log)


def test_remaining_survives_the_round_trip(server: ServerProcess, erp: Path) -> None:
    remote_pages = read_all(client(server.url), "Customer", 50)
    local_pages = read_all(direct(erp), "Customer", 50)
    assert [p.remaining for p in remote_pages] == [p.remaining for p in local_pages]
    assert remote_pages[0].remaining == sum(len(p) for p in remote_pages[1:]) > 0
    assert remote_pages[-1].remaining is None  # the sample tells it on a first page only


def test_a_server_leaves_out_a_remaining_that_is_not_a_count() -> None:
    from erp_tui.connectors.http import protocol

    page = ActorPage.trusted(actor_type="Customer", field_keys=("name",), erp_keys=["C1"],
                             last_modified=["2025-01-01T00:00:00.000000Z"], rows=[("Å",)])
    for given, sent in ((5, 5), (0, 0), (None, None), (-3, None), (True, None)):
        page.remaining = given
        encoded = protocol.encode_page(page, {})
        assert encoded["remaining"] == sent
        assert protocol.decode_page(json.loads(protocol.dumps(encoded))).remaining == sent


def test_requests_without_the_token_are_refused(server: ServerProcess) -> None:
    body = {"connection_id": CID, "actor_type": "Customer", "keys": ["C0000001"]}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": "Bearer"}):
        reply = httpx.post(f"{server.url}/v1/get_actors", json=body, headers=headers)
        assert reply.status_code == 401
        assert reply.json()["error_code"] == "unauthorized" and "page" not in reply.json()
        health = httpx.get(f"{server.url}/v1/health", headers=headers)
        assert health.status_code == 401
    wrong = HttpConnector()
    result = wrong.create_connection(CID, {"url": server.url, "token": "wrong", "retries": 3})
    assert not result.ok and result.error_code == "unauthorized"
    assert not wrong.test_config({"url": server.url, "token": "wrong"}).ok
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.get(f"{server.url}/v1/health", headers=auth).json()["protocol_version"] == 1
    assert httpx.post(f"{server.url}/v1/get_actors", content=b"{oops",
                      headers=auth).status_code == 400
    assert httpx.post(f"{server.url}/v1/get_actors", json={"connection_id": "x"},
                      headers=auth).status_code == 400
    assert httpx.post(f"{server.url}/v1/nope", json={}, headers=auth).status_code == 404
    assert httpx.get(f"{server.url}/v1/get_actors", headers=auth).status_code == 405


def test_bad_client_configs() -> None:
    connector = HttpConnector()
    for values in ({}, {"url": "ftp://x", "token": "t"}, {"url": "http://127.0.0.1:1"},
                   {"url": "http://127.0.0.1:1", "token": "t", "timeout": "soon"},
                   {"url": "http://127.0.0.1:1", "token": "t", "retries": -1}):
        result = connector.test_config(values)
        assert not result.ok and result.error_code == "config", values


# ---- faults ----------------------------------------------------------------------------------

def test_slow_server_times_out() -> None:
    with StubServer(health_then(slow(3))) as stub:
        connector = client(stub.url, timeout=1, retries=1)
        started = time.perf_counter()
        result = connector.actor_types(CID)
        elapsed = time.perf_counter() - started
    assert not result.ok and result.error_code == "timeout", result
    assert "did not answer within 1 seconds" in result.user_message
    assert 1.9 < elapsed < 4.5  # two attempts of one second each, plus the back-off
    assert stub.requests.count("/v1/actor_types") == 2


def test_server_errors_are_retried_then_fail() -> None:
    with StubServer(health_then(lambda h, p: (500, b'{"ok": false, "user_message": "boom"}'))
                    ) as stub:
        connector = client(stub.url, retries=2)
        fields = connector.actor_fields(CID, "Customer")
    assert not fields.ok and fields.error_code == "http_500"
    assert stub.requests.count("/v1/actor_fields") == 3
    with StubServer(health_then(lambda h, p: (503, b"busy"))) as stub:
        result = client(stub.url, retries=1).create_actor(CID, Actor(actor_type="Customer"))
    assert not result.ok and stub.requests.count("/v1/create_actor") == 2  # 503 is safe
    with StubServer(health_then(lambda h, p: (500, b"oops"))) as stub:
        result = client(stub.url, retries=3).create_actor(CID, Actor(actor_type="Customer"))
    assert not result.ok and stub.requests.count("/v1/create_actor") == 1  # not idempotent


def test_client_errors_are_not_retried() -> None:
    with StubServer(health_then(lambda h, p: (400, json.dumps(
            {"ok": False, "user_message": "Bad body.", "error_code": "bad_request"}).encode()))
                    ) as stub:
        result = client(stub.url, retries=3).actor_types(CID)
    assert not result.ok and result.error_code == "http_400" and "Bad body." in \
        result.user_message
    assert stub.requests.count("/v1/actor_types") == 1


GOOD_PAGE = {"actor_type": "Customer", "field_keys": ["name", "created"],
             "field_types": ["text", "date"], "erp_keys": ["C1"],
             "last_modified": ["2025-01-01T00:00:00.000000Z"], "rows": [["Å", "2020-02-02"]],
             "next_cursor": None}


@pytest.mark.parametrize("reply", [
    b"{not json",
    b"[1, 2]",
    json.dumps({"ok": "maybe"}).encode(),
    json.dumps({"ok": True}).encode(),  # no page
    json.dumps({"ok": True, "page": {**GOOD_PAGE, "erp_keys": ["C1", "C2"]}}).encode(),
    json.dumps({"ok": True, "page": {**GOOD_PAGE, "rows": [["Å"]]}}).encode(),
    json.dumps({"ok": True, "page": {**GOOD_PAGE, "rows": [["Å", "not a date"]]}}).encode(),
    json.dumps({"ok": True, "page": {**GOOD_PAGE, "rows": [[1, "2020-02-02"]]}}).encode(),
    json.dumps({"ok": True, "page": {**GOOD_PAGE, "field_types": ["text"]}}).encode(),
    json.dumps({"ok": True, "page": {**GOOD_PAGE, "rows": [["Å", {"x": 1}]]}}).encode(),
])
def test_malformed_replies_become_failures(reply: bytes) -> None:
    with StubServer(health_then(lambda h, p: (200, reply))) as stub:
        result = client(stub.url, retries=2).get_actors(CID, "Customer", ["C1"], [])
    assert not result.ok and result.error_code == "bad_reply", result
    assert "does not fit the connector protocol" in result.user_message
    assert stub.requests.count("/v1/get_actors") == 1


def test_a_well_formed_stub_page_is_decoded() -> None:
    with StubServer(health_then(lambda h, p: ok_json({"ok": True, "page": GOOD_PAGE}))) as stub:
        result = client(stub.url).get_actors(CID, "Customer", ["C1"], [])
    assert result.ok and result.page is not None
    assert result.page.rows == [("Å", date(2020, 2, 2))]


@pytest.mark.parametrize(("sent", "want"), [(None, None), (0, 0), (41, 41), ("absent", None)])
def test_remaining_from_a_stub_server(sent: Any, want: int | None) -> None:
    page = {**GOOD_PAGE, "remaining": sent}
    if sent == "absent":
        del page["remaining"]
    with StubServer(health_then(lambda h, p: ok_json({"ok": True, "page": page}))) as stub:
        result = client(stub.url).actors_changed_since(CID, "Customer", Cursor(), [], 1)
    assert result.ok and result.page is not None, result.user_message
    assert result.page.remaining == want


@pytest.mark.parametrize("sent", [-1, 2.5, 3.0, "3", True, [3], {"n": 3}])
def test_malformed_remaining_is_a_bad_reply(sent: Any) -> None:
    page = {**GOOD_PAGE, "remaining": sent}
    with StubServer(health_then(lambda h, p: ok_json({"ok": True, "page": page}))) as stub:
        result = client(stub.url, retries=2).actors_changed_since(CID, "Customer", Cursor(),
                                                                   [], 1)
    assert not result.ok and result.error_code == "bad_reply", result
    assert "does not fit the connector protocol" in result.user_message
    assert "remaining" in result.tech_message
    assert stub.requests.count("/v1/actors_changed_since") == 1


def test_dropped_connections_fail_cleanly() -> None:
    with StubServer(health_then(lambda h, p: None)) as stub:
        result = client(stub.url, retries=1).actor_types(CID)
    assert not result.ok and result.error_code in ("transport", "unreachable")


def test_server_dying_mid_run(erp: Path, tmp_path: Path) -> None:
    server = start_server(tmp_path, "sample", {"database": str(erp), "api_key": API_KEY})
    try:
        remote = client(server.url, retries=1, timeout=5)
        first = remote.actors_changed_since(CID, "Customer", Cursor(), ["name"], 40)
        assert first.ok and first.page is not None and first.page.next_cursor is not None
        server.stop(kill=True)
        started = time.perf_counter()
        for _ in range(3):
            lost = remote.actors_changed_since(CID, "Customer", first.page.next_cursor,
                                               ["name"], 40)
            assert not lost.ok and lost.error_code == "unreachable", lost
            assert "cannot be reached" in lost.user_message
        assert not remote.test_connection(CID).ok
        assert time.perf_counter() - started < 5
        # The server comes back on the same port: the client goes on where it was.
        server = start_server(tmp_path, "sample", {"database": str(erp), "api_key": API_KEY},
                              port=server.port)
        again = remote.actors_changed_since(CID, "Customer", first.page.next_cursor,
                                            ["name"], 40)
        assert again.ok and again.page is not None, again.user_message
        assert again.page.erp_keys[0] not in first.page.erp_keys
    finally:
        server.stop()


def test_pages_without_field_types_use_actor_fields() -> None:
    page = {k: v for k, v in GOOD_PAGE.items() if k != "field_types"}

    def answer(handler: Any, path: str) -> tuple[int, bytes]:
        if path == "/v1/actor_fields":
            return ok_json({"ok": True, "fields": [
                {"key": "name", "label": "Name", "type": "text"},
                {"key": "created", "label": "Created", "type": "date"}]})
        return ok_json({"ok": True, "page": page})

    with StubServer(health_then(answer)) as stub:
        result = client(stub.url).get_actors(CID, "Customer", ["C1"], [])
    assert result.ok and result.page is not None, result.user_message
    assert result.page.rows == [("Å", date(2020, 2, 2))]
    assert FieldType.DATE.value == "date"


# ---- a full sync through the HTTP connector --------------------------------------------------

def test_full_sync_through_http(ctx: Any, tmp_path: Path) -> None:
    from erp_tui.demo import _PREFERRED
    from erp_tui.runner import run_sync
    from erp_tui.services import connections, lists, mappings

    erp = tmp_path / "sync-erp.sqlite"
    generate_sample_erp(erp, customers=40, suppliers=4, persons_per_customer=1, projects=5,
                        seed=9, api_key=API_KEY)
    server = start_server(tmp_path, "sample", {"database": str(erp), "api_key": API_KEY})
    try:
        draft = connections.ConnectionDraft(
            name="Remote ERP", connector="http",
            values={"url": server.url, "token": TOKEN, "timeout": 10, "retries": 1},
            scope="everyone", conflict_policy="erp_wins")
        outcome = connections.test_draft(ctx, draft)
        assert outcome.ok, outcome
        connection_id = connections.save_draft(ctx, draft, outcome)
        state = mappings.load_mappings(ctx, connection_id)
        for tab in state.tabs:
            tab.enabled = tab.actor_type == "Customer"
            for row in tab.rows:
                wanted = _PREFERRED.get(tab.actor_type, {}).get(row.erp.key)
                if wanted is not None and row.crm_field is not None:
                    mappings.set_direction(tab, row, wanted)
        mappings.save_mappings(ctx, state)
        for mapped in lists.mapped_lists(ctx, connection_id):
            lists.save_list_mapping(ctx, lists.load_list_mapping(
                ctx, connection_id, mapped.erp_list, mapped.crm_list))
        connections.activate(ctx, connection_id)
        (report,) = run_sync(ctx, ["Remote ERP"])
        assert report.status == "finished", report.as_dict()
        assert report.counts.created == 40 and report.counts.errors == 0, report.as_dict()
        (again,) = run_sync(ctx, ["Remote ERP"])
        assert again.counts.created == 0 and again.counts.errors == 0, again.as_dict()
        local = direct(erp)
        first = local.actors_changed_since(CID, "Customer", Cursor(), ["name"], 1).page
        assert first is not None
        assert local.save_actors(CID, [Actor(actor_type="Customer", erp_key=first.erp_keys[0],
                                             values={"name": "Omdøbt Ærø ApS"})]).ok
        (third,) = run_sync(ctx, ["Remote ERP"])
        assert third.counts.updated == 1 and third.counts.errors == 0, third.as_dict()
        assert any('"POST /v1/actors_changed_since" 200' in line for line in server.log)
    finally:
        server.stop()
