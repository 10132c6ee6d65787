"""Tests of the embedded sample ERP (generator) and of SampleConnector (the contract)."""

from __future__ import annotations

import re
import sqlite3
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from erp_tui.connectors.sample import SEARCH_LIMIT, SampleConnector
from erp_tui.connectors.sample_data import (
    ACTOR_SPECS,
    generate_sample_erp,
    mark_deleted,
    open_erp,
    touch_actors,
)
from erp_tui.contract import (
    Actor,
    ActorPage,
    Connector,
    Cursor,
    FieldAccess,
    FieldType,
    Restriction,
    ResultState,
    SearchOperator,
)

API_KEY = "s3cret-Key-ø"
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
CID = 1


@pytest.fixture
def erp(tmp_path: Path) -> Path:
    path = tmp_path / "erp.sqlite"
    generate_sample_erp(path, customers=40, suppliers=6, persons_per_customer=1,
                        persons_per_supplier=1, projects=8, extra_fields=7, seed=3,
                        api_key=API_KEY)
    return path


def make_connector(path: Path, **extra: Any) -> SampleConnector:
    connector = SampleConnector()
    values = {"database": str(path), "api_key": API_KEY, **extra}
    assert connector.create_connection(CID, values).ok
    return connector


@pytest.fixture
def conn(erp: Path) -> SampleConnector:
    return make_connector(erp)


def read_all(connector: SampleConnector, actor_type: str, fields: list[str],
             page_size: int, cursor: Cursor | None = None) -> tuple[list[ActorPage], Cursor]:
    cursor = cursor or Cursor()
    pages = []
    for _ in range(10_000):
        result = connector.actors_changed_since(CID, actor_type, cursor, fields, page_size)
        assert result.ok, result.user_message
        assert result.page is not None
        pages.append(result.page)
        if result.page.next_cursor is None:
            break
        assert len(result.page) == page_size
        cursor = result.page.next_cursor
    if pages[-1].erp_keys:
        cursor = Cursor(last_modified=pages[-1].last_modified[-1],
                        erp_key=pages[-1].erp_keys[-1])
    return pages, cursor


def all_keys(pages: list[ActorPage]) -> list[str]:
    return [k for p in pages for k in p.erp_keys]


def raw(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(path)
    try:
        rows = db.execute(sql, params).fetchall()
        db.commit()
        return rows
    finally:
        db.close()


# ---- generator -------------------------------------------------------------------------------

def test_generator_counts_data_and_determinism(tmp_path: Path) -> None:
    a = generate_sample_erp(tmp_path / "a.sqlite", customers=25, suppliers=4,
                            persons_per_customer=0.5, projects=3, seed=9, flavour="dutch")
    b = generate_sample_erp(tmp_path / "b.sqlite", customers=25, suppliers=4,
                            persons_per_customer=0.5, projects=3, seed=9, flavour="dutch")
    assert (a.customers, a.suppliers, a.persons, a.projects) == (25, 4, 12 + 4, 3)
    rows_a = raw(a.path, "SELECT * FROM customer ORDER BY erp_key")
    assert rows_a == raw(b.path, "SELECT * FROM customer ORDER BY erp_key")
    assert len(rows_a) == 25
    persons = raw(a.path, "SELECT parent_type, parent_key, email FROM person")
    assert len(persons) == 16 and {p[0] for p in persons} == {"Customer", "Supplier"}
    assert all("@" in p[2] for p in persons)
    countries = {r[0] for r in raw(a.path, "SELECT country FROM customer")}
    assert countries <= {"NL", "BE", "DE"}
    # Every stored list value is an item of its list.
    items = set(raw(a.path, "SELECT list_name, key FROM list_item"))
    for spec in ACTOR_SPECS.values():
        for field in spec.fields:
            if field.type is FieldType.LIST:
                values = raw(a.path, f"SELECT DISTINCT {field.key} FROM {spec.table} "
                                     f"WHERE {field.key} IS NOT NULL")
                assert all((field.list_name, v) in items for (v,) in values), field.key


def test_generator_nordic_names_are_non_ascii(tmp_path: Path) -> None:
    summary = generate_sample_erp(tmp_path / "n.sqlite", customers=300, seed=1)
    text = " ".join(r[0] + r[1] for r in raw(summary.path,
                                             "SELECT firstname, lastname FROM person"))
    text += " ".join(r[0] for r in raw(summary.path, "SELECT name FROM customer"))
    assert any(ch in text for ch in "øåöé")
    dutch = generate_sample_erp(tmp_path / "d.sqlite", customers=300, flavour="dutch")
    names = raw(dutch.path, "SELECT middlename, lastname FROM person")
    assert any(m for m, _ in names)  # 'van', 'de', ... as middle names
    assert any("ij" in last.lower() for _, last in names)


def test_generator_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite"
    generate_sample_erp(path, customers=3)
    with pytest.raises(ValueError, match="already exists"):
        generate_sample_erp(path, customers=5)
    assert raw(path, "SELECT COUNT(*) FROM customer") == [(3,)]
    generate_sample_erp(path, customers=5, overwrite=True)
    assert raw(path, "SELECT COUNT(*) FROM customer") == [(5,)]
    with pytest.raises(ValueError):
        generate_sample_erp(tmp_path / "y.sqlite", flavour="martian")


def test_last_modified_is_fixed_width_and_globally_unique(erp: Path) -> None:
    stamps = [r[0] for spec in ACTOR_SPECS.values()
              for r in raw(erp, f"SELECT last_modified FROM {spec.table}")]
    assert all(STAMP.match(s) for s in stamps)
    assert len(set(stamps)) == len(stamps)
    (clock,) = raw(erp, "SELECT last_modified FROM clock")[0]
    assert clock == max(stamps)


def test_touch_and_mark_deleted_take_strictly_increasing_stamps(erp: Path) -> None:
    before = raw(erp, "SELECT last_modified FROM clock")[0][0]
    touched = touch_actors(erp, "Customer", ["C0000001", "C0000002"],
                           {"name": "Touched AB", "blocked": True, "extra_0002": 5})
    deleted = mark_deleted(erp, "Project", ["J0000001"])
    stamps = [before, *touched, *deleted]
    assert stamps == sorted(stamps) and len(set(stamps)) == 4
    assert raw(erp, "SELECT name, blocked FROM customer WHERE erp_key = 'C0000002'") == [
        ("Touched AB", 1)]
    assert raw(erp, "SELECT deleted FROM project WHERE erp_key = 'J0000001'") == [(1,)]
    with pytest.raises(ValueError):
        touch_actors(erp, "Customer", ["C0000001"], {"nonsense": 1})
    with pytest.raises(ValueError):
        mark_deleted(erp, "Customer", ["C9999999"])
    with pytest.raises(FileNotFoundError):
        open_erp(erp.parent / "missing.sqlite")


# ---- configuration and connections -----------------------------------------------------------

def test_is_a_connector_and_declares_one_config_field_of_each_type() -> None:
    connector = SampleConnector()
    assert isinstance(connector, Connector)
    assert (connector.kind, connector.label) == ("sample", "Sample ERP (embedded SQLite)")
    fields = {f.key: f for f in connector.config_fields().fields}
    assert list(fields) == ["database", "api_key", "environment", "page_size", "read_only",
                            "sync_from"]
    assert [f.type for f in fields.values()] == [
        FieldType.TEXT, FieldType.PASSWORD, FieldType.LIST, FieldType.INTEGER,
        FieldType.CHECKBOX, FieldType.DATE]
    assert fields["database"].mandatory and fields["api_key"].mandatory
    assert fields["environment"].options["production"] == "Production"
    assert fields["page_size"].default == "5000"


def test_test_config_accepts_a_good_configuration(erp: Path) -> None:
    result = SampleConnector().test_config({"database": str(erp), "api_key": API_KEY,
                                            "environment": "test", "page_size": "100",
                                            "read_only": "true", "sync_from": "2020-01-01"})
    assert result.ok and "Nordlys Handel AB" in result.user_message


@pytest.mark.parametrize(("change", "code", "words"), [
    ({"database": "/nowhere/erp.sqlite"}, "not_found", "does not exist"),
    ({"api_key": "wrong-key"}, "bad_api_key", "not accepted"),
    ({"api_key": ""}, "config", "API key"),
    ({"database": ""}, "config", "path"),
    ({"page_size": "many"}, "config", "whole number"),
    ({"page_size": 0}, "config", "between"),
    ({"environment": "staging"}, "config", "production"),
    ({"sync_from": "yesterday"}, "config", "YYYY-MM-DD"),
])
def test_test_config_refusals_are_one_clear_sentence(erp: Path, change: dict[str, Any],
                                                     code: str, words: str) -> None:
    values = {"database": str(erp), "api_key": API_KEY, **change}
    result = SampleConnector().test_config(values)
    assert not result.ok and result.state is ResultState.ERROR
    assert result.error_code == code
    assert words in result.user_message
    assert result.user_message.endswith(".") and result.user_message.count(". ") == 0
    for message in (result.user_message, result.tech_message):
        assert API_KEY not in message and "wrong-key" not in message


def test_test_config_refuses_files_that_are_not_a_sample_erp(tmp_path: Path) -> None:
    text = tmp_path / "notes.sqlite"
    text.write_text("hello, not a database " * 100)
    other = tmp_path / "other.sqlite"
    raw(other, "CREATE TABLE t (x)")
    for path in (text, other):
        result = SampleConnector().test_config({"database": str(path), "api_key": API_KEY})
        assert not result.ok and result.error_code == "bad_schema"
        assert "is not a sample ERP database" in result.user_message


def test_wrong_api_key_on_a_connection_refuses_every_call(erp: Path) -> None:
    connector = SampleConnector()
    connector.create_connection(4, {"database": str(erp), "api_key": "guess"})
    for result in (connector.test_connection(4), connector.actor_types(4),
                   connector.actors_changed_since(4, "Customer", Cursor(), ["name"]),
                   connector.list_items(4, "currency")):
        assert not result.ok and result.error_code == "bad_api_key"
        assert "guess" not in result.user_message + result.tech_message


def test_unknown_connection_ids_fail_clearly(erp: Path) -> None:
    connector = make_connector(erp)
    results = [
        connector.test_connection(2), connector.actor_types(2),
        connector.actor_fields(2, "Customer"), connector.searchable_fields(2, "Customer"),
        connector.get_actors(2, "Customer", ["C0000001"], ["name"]),
        connector.actors_changed_since(2, "Customer", Cursor(), ["name"]),
        connector.search_actors(2, "Customer", "a", ["name"]),
        connector.search_actors_advanced(2, "Customer", [], ["name"]),
        connector.create_actor(2, Actor(actor_type="Project", values={"name": "x"})),
        connector.save_actors(2, []), connector.list_items(2, "currency"),
        connector.delete_connection(2),
    ]
    for result in results:
        assert not result.ok
        assert result.user_message.startswith("Connection 2 is not known to the sample "
                                              "connector;")
    assert connector.test_connection(CID).ok
    assert connector.delete_connection(CID).ok
    assert not connector.test_connection(CID).ok


# ---- metadata --------------------------------------------------------------------------------

def test_actor_types_and_fields(conn: SampleConnector) -> None:
    types = {t.key: t for t in conn.actor_types(CID).actor_types}
    assert list(types) == ["Customer", "Supplier", "Person", "Project"]
    assert types["Person"].parent_types == ("Customer", "Supplier")
    fields = {f.key: f for f in conn.actor_fields(CID, "Customer").fields}
    assert fields["customer_no"].access is FieldAccess.READ_ONLY
    assert fields["name"].mandatory and fields["name"].max_length == 100
    assert not fields["payment_terms"].mandatory and fields["payment_terms"].default == "30"
    assert fields["payment_terms"].list_name == "payment_terms"
    assert fields["category"].list_name == "customer_group"
    assert fields["created"].type is FieldType.DATE and fields["created"].read_only
    assert [k for k in fields if k.startswith("extra_")] == [f"extra_{i:04d}"
                                                             for i in range(1, 8)]
    assert {fields[f"extra_{i:04d}"].type for i in range(1, 6)} == {
        FieldType.TEXT, FieldType.INTEGER, FieldType.DOUBLE, FieldType.CHECKBOX, FieldType.DATE}
    for actor_type in types:
        for field in conn.actor_fields(CID, actor_type).fields:
            assert field.label and field.description, (actor_type, field.key)
    supplier = {f.key: f for f in conn.actor_fields(CID, "Supplier").fields}
    assert supplier["category"].list_name == "supplier_group" and "bank_account" in supplier
    assert not any(k.startswith("extra_") for k in supplier)
    crm_person = {"firstname", "middlename", "lastname", "title", "email", "phone", "mobile",
                  "birthdate"}
    assert crm_person <= {f.key for f in conn.actor_fields(CID, "Person").fields}
    assert conn.searchable_fields(CID, "Customer").field_keys == list(fields)
    for result in (conn.actor_fields(CID, "Employee"), conn.searchable_fields(CID, "Sale")):
        assert not result.ok and result.error_code == "unknown_actor_type"


def test_many_extra_fields_exceed_the_sqlite_column_limit(tmp_path: Path) -> None:
    path = tmp_path / "wide.sqlite"
    generate_sample_erp(path, customers=3, suppliers=1, persons_per_customer=0, projects=30,
                        extra_fields=2100, extra_fields_actor="Project", api_key=API_KEY)
    connector = make_connector(path)
    fields = connector.actor_fields(CID, "Project").fields
    assert len(fields) == 8 + 2100 and fields[-1].key == "extra_2100"
    page = connector.get_actors(CID, "Project", ["J0000002"], []).page
    assert page is not None and len(page.field_keys) == 2108
    values = page.actors()[0].values
    assert values["extra_2100"] is not None and isinstance(values["extra_0004"], bool)
    assert isinstance(values["extra_0005"], date)


def test_list_items(conn: SampleConnector) -> None:
    currencies = conn.list_items(CID, "currency").items
    assert set(currencies) == {"EUR", "SEK", "NOK", "DKK", "USD"}
    assert conn.list_items(CID, "country").items["NL"] == "Netherlands"
    assert conn.list_items(CID, "project_status", ["active", "bogus"]).items == {
        "active": "Active"}
    assert set(conn.list_items(CID, "payment_terms").items) >= {"14", "30", "60"}
    assert len(conn.list_items(CID, "customer_group").items) >= 3
    missing = conn.list_items(CID, "colours")
    assert not missing.ok and "colours" in missing.user_message


# ---- reading ---------------------------------------------------------------------------------

def test_changed_since_reads_everything_in_cursor_order(conn: SampleConnector) -> None:
    fields = ["name", "credit_limit", "blocked", "created", "country", "extra_0002"]
    pages, _ = read_all(conn, "Customer", fields, page_size=7)
    keys = all_keys(pages)
    assert len(keys) == 40 and len(set(keys)) == 40
    pairs = [(lm, k) for p in pages for lm, k in zip(p.last_modified, p.erp_keys, strict=True)]
    assert pairs == sorted(pairs)
    assert [len(p) for p in pages] == [7, 7, 7, 7, 7, 5]
    first = pages[0].actors()[0]
    assert isinstance(first.values["name"], str) and isinstance(first.values["blocked"], bool)
    assert isinstance(first.values["credit_limit"], float)
    assert isinstance(first.values["created"], date)
    assert isinstance(first.values["extra_0002"], int)
    assert pages[0].field_keys == tuple(fields)
    assert all(d is False for p in pages for d in p.deleted)


def test_changed_since_exact_multiple_ends_with_an_empty_page(conn: SampleConnector) -> None:
    pages, _ = read_all(conn, "Project", ["name"], page_size=4)
    assert [len(p) for p in pages] == [4, 4, 0]
    assert pages[-1].next_cursor is None


def test_equal_timestamps_across_a_page_boundary_lose_and_repeat_nothing(
        erp: Path, conn: SampleConnector) -> None:
    same = "2025-09-05T10:00:00.000000Z"
    raw(erp, "UPDATE customer SET last_modified = ? WHERE erp_key BETWEEN 'C0000005' AND "
             "'C0000016'", (same,))
    for size in (1, 3, 5, 11, 12, 13):
        pages, _ = read_all(conn, "Customer", ["name"], page_size=size)
        keys = all_keys(pages)
        assert sorted(keys) == [f"C{i:07d}" for i in range(1, 41)], size
        assert len(keys) == len(set(keys))


def test_changed_since_continues_after_the_cursor_with_new_changes(
        erp: Path, conn: SampleConnector) -> None:
    _, cursor = read_all(conn, "Customer", ["name"], page_size=100)
    again, _ = read_all(conn, "Customer", ["name"], page_size=100, cursor=cursor)
    assert all_keys(again) == []
    touch_actors(erp, "Customer", ["C0000003"], {"note": "changed"})
    pages, _ = read_all(conn, "Customer", ["note"], page_size=100, cursor=cursor)
    assert all_keys(pages) == ["C0000003"]
    assert pages[0].rows == [("changed",)]


def test_deleted_actor_comes_back_once_and_is_hidden_elsewhere(
        erp: Path, conn: SampleConnector) -> None:
    _, cursor = read_all(conn, "Customer", ["name"], page_size=50)
    name = raw(erp, "SELECT name FROM customer WHERE erp_key = 'C0000010'")[0][0]
    mark_deleted(erp, "Customer", ["C0000010"])
    pages, cursor = read_all(conn, "Customer", ["name"], page_size=50, cursor=cursor)
    assert all_keys(pages) == ["C0000010"] and pages[0].deleted == [True]
    pages, _ = read_all(conn, "Customer", ["name"], page_size=50, cursor=cursor)
    assert all_keys(pages) == []
    assert conn.get_actors(CID, "Customer", ["C0000010"], ["name"]).page.erp_keys == []
    found = conn.search_actors(CID, "Customer", name, ["name"]).page
    assert "C0000010" not in found.erp_keys
    saved = conn.save_actors(CID, [Actor(actor_type="Customer", erp_key="C0000010",
                                         values={"note": "x"})])
    assert not saved.ok and "deleted" in saved.user_message


def test_persons_carry_their_parent(conn: SampleConnector) -> None:
    pages, _ = read_all(conn, "Person", ["firstname", "lastname", "birthdate"], page_size=100)
    page = pages[0]
    assert len(page) == 46 and len(page.parent_types) == 46 == len(page.parent_keys)
    assert set(page.parent_types) == {"Customer", "Supplier"}
    assert page.parent_keys[0] == "C0000001"
    actor = page.actors()[-1]
    assert actor.parent_actor_type == "Supplier" and actor.parent_erp_key.startswith("S")


def test_sync_from_hides_older_changes(erp: Path) -> None:
    connector = make_connector(erp, sync_from="2030-01-01")
    pages, _ = read_all(connector, "Customer", ["name"], page_size=10)
    assert all_keys(pages) == []
    touch_actors(erp, "Customer", ["C0000004"])  # now is before 2030: still hidden
    assert all_keys(read_all(connector, "Customer", ["name"], 10)[0]) == []
    connector = make_connector(erp, sync_from=date(2000, 1, 1), page_size="4")
    result = connector.actors_changed_since(CID, "Customer", Cursor(), ["name"], 5000)
    assert len(result.page) == 4  # configured page size caps the argument


def test_changed_since_refusals(conn: SampleConnector) -> None:
    for result in (conn.actors_changed_since(CID, "Customer", Cursor(), ["name", "shoe_size"]),
                   conn.actors_changed_since(CID, "Customer", Cursor(), ["name"], 0),
                   conn.actors_changed_since(CID, "Employee", Cursor(), ["name"])):
        assert not result.ok and result.user_message


def test_get_actors_in_requested_order_without_unknown_keys(conn: SampleConnector) -> None:
    page = conn.get_actors(CID, "Customer", ["C0000009", "C9999999", "C0000002", "C0000009"],
                           ["customer_no", "name"]).page
    assert page.erp_keys == ["C0000009", "C0000002"]
    assert page.rows[0][0] == "10009"
    everything = conn.get_actors(CID, "Customer", ["C0000001"], []).page
    assert everything.field_keys[:2] == ("customer_no", "name")
    assert "extra_0007" in everything.field_keys
    assert conn.get_actors(CID, "Customer", [], ["name"]).page.erp_keys == []


def test_search_is_case_insensitive_also_for_non_ascii(erp: Path, conn: SampleConnector) -> None:
    touch_actors(erp, "Customer", ["C0000007"], {"name": "Østergaard Ålesund Café Qz A/S"})
    for text in ("østergaard ålesund", "ØSTERGAARD ÅLESUND", "café qz a/s", "CAFÉ QZ"):
        page = conn.search_actors(CID, "Customer", text, ["name"]).page
        assert page.erp_keys == ["C0000007"], text
    by_number = conn.search_actors(CID, "Customer", "10012", ["customer_no"]).page
    assert by_number.erp_keys == ["C0000012"]
    persons = conn.search_actors(CID, "Person", "", ["firstname", "lastname"]).page
    first = persons.actors()[0].values
    full = f"{first['firstname']} {first['lastname']}".upper()
    assert persons.erp_keys[0] in conn.search_actors(CID, "Person", full, []).page.erp_keys


@pytest.mark.parametrize("hostile", [
    "'; DROP TABLE customer; --", "\" OR 1=1 --", "%", "_", "\\", "a' OR 'a'='a",
    "名前; DELETE FROM settings", "\x00",
])
def test_hostile_search_text_finds_nothing_and_changes_nothing(
        erp: Path, conn: SampleConnector, hostile: str) -> None:
    before = raw(erp, "SELECT COUNT(*), MAX(last_modified) FROM customer")
    result = conn.search_actors(CID, "Customer", hostile, ["name"])
    assert result.ok and result.page.erp_keys == []
    advanced = conn.search_actors_advanced(
        CID, "Customer",
        [Restriction(field_key="name", operator=SearchOperator.CONTAINS, values=[hostile])],
        ["name"])
    if "\x00" in hostile:
        assert not advanced.ok and advanced.error_code == "bad_values"
    else:
        assert advanced.ok and advanced.page.erp_keys == []
    assert raw(erp, "SELECT COUNT(*), MAX(last_modified) FROM customer") == before
    assert conn.test_connection(CID).ok


def test_search_results_are_limited(tmp_path: Path) -> None:
    path = tmp_path / "big.sqlite"
    generate_sample_erp(path, customers=SEARCH_LIMIT + 20, suppliers=0, persons_per_customer=0,
                        projects=0, api_key=API_KEY)
    result = make_connector(path).search_actors(CID, "Customer", "", ["name"])
    assert result.ok and result.state is ResultState.OK_WITH_INFO
    assert len(result.page) == SEARCH_LIMIT == len(result.page.rows)


def advanced(conn: SampleConnector, field: str, op: SearchOperator, *values: Any,
             actor_type: str = "Customer") -> list[str]:
    result = conn.search_actors_advanced(
        CID, actor_type, [Restriction(field_key=field, operator=op, values=list(values))],
        [field])
    assert result.ok, result.user_message
    return result.page.erp_keys


def test_advanced_search_operators(erp: Path, conn: SampleConnector) -> None:
    touch_actors(erp, "Customer", ["C0000001"], {"name": "Alpha Qxångström AB", "note": None,
                                                 "credit_limit": 123.5, "blocked": True,
                                                 "country": "NL", "extra_0001": "needle"})
    touch_actors(erp, "Customer", ["C0000002"], {"name": "Beta Qxångström AS",
                                                 "credit_limit": 900.0, "country": "BE"})
    op = SearchOperator
    assert advanced(conn, "name", op.EQUALS, "alpha qxÅNGSTRÖM ab") == ["C0000001"]
    assert advanced(conn, "name", op.BEGINS, "alpha") == ["C0000001"]
    assert advanced(conn, "name", op.ENDS, "xångström AS") == ["C0000002"]
    assert advanced(conn, "name", op.CONTAINS, "QXÅNGSTRÖM") == ["C0000001", "C0000002"]
    assert "C0000001" not in advanced(conn, "name", op.NOT_CONTAINS, "qxångström")
    assert len(advanced(conn, "name", op.NOT_CONTAINS, "qxångström")) == 38
    assert len(advanced(conn, "name", op.NOT_BEGINS, "alpha")) == 39
    assert len(advanced(conn, "name", op.NOT_ENDS, "ab")) + len(
        advanced(conn, "name", op.ENDS, "ab")) == 40
    assert len(advanced(conn, "name", op.IS_NOT, "Alpha Qxångström AB")) == 39
    assert "C0000001" in advanced(conn, "note", op.IS_NOT, "x")  # empty counts as not x
    assert advanced(conn, "name", op.BETWEEN, "alpha", "alphz") == ["C0000001"]
    assert advanced(conn, "credit_limit", op.EQUALS, 123.5) == ["C0000001"]
    assert advanced(conn, "credit_limit", op.BETWEEN, 100, 1000) == ["C0000001", "C0000002"]
    assert "C0000001" not in advanced(conn, "credit_limit", op.GREATER, 123.5)
    assert "C0000001" in advanced(conn, "credit_limit", op.GREATER_EQUAL, "123.5")
    assert "C0000001" in advanced(conn, "credit_limit", op.LESS, 124)
    assert "C0000001" not in advanced(conn, "credit_limit", op.NOT_EQUAL, 123.5)
    blocked = advanced(conn, "blocked", op.EQUALS, True)
    assert "C0000001" in blocked and "C0000002" not in blocked
    assert set(advanced(conn, "blocked", op.EQUALS, False)).isdisjoint(blocked)
    assert advanced(conn, "country", op.ONE_OF, "NL", "BE") == ["C0000001", "C0000002"]
    assert len(advanced(conn, "country", op.NOT_ONE_OF, "BE", "NL")) == 38
    created = raw(erp, "SELECT created FROM customer WHERE erp_key = 'C0000003'")[0][0]
    day = date.fromisoformat(created)
    assert "C0000003" in advanced(conn, "created", op.EQUALS, day)
    assert "C0000003" in advanced(conn, "created", op.BETWEEN, day, created)
    assert "C0000003" in advanced(conn, "created", op.BEFORE_OR_EQUAL, day)
    assert "C0000003" in advanced(conn, "created", op.AFTER_OR_EQUAL, created)
    assert "C0000003" not in advanced(conn, "created", op.BEFORE, day)
    assert "C0000003" not in advanced(conn, "created", op.AFTER, day)
    total = len(advanced(conn, "created", op.BEFORE, day)) + len(
        advanced(conn, "created", op.AFTER_OR_EQUAL, day))
    assert total == 40
    assert advanced(conn, "extra_0001", op.EQUALS, "NEEDLE") == ["C0000001"]
    assert advanced(conn, "extra_0002", op.GREATER, 1_000_000) == []
    assert len(advanced(conn, "extra_0002", op.GREATER, 0)) == 25  # values for 25 actors


def test_advanced_search_all_restrictions_must_hold(conn: SampleConnector) -> None:
    both = conn.search_actors_advanced(CID, "Customer", [
        Restriction(field_key="customer_no", operator=SearchOperator.BEGINS, values=["1000"]),
        Restriction(field_key="customer_no", operator=SearchOperator.ENDS, values=["5"]),
    ], ["customer_no"])
    assert both.page.erp_keys == ["C0000005"]
    assert both.page.rows == [("10005",)]


@pytest.mark.parametrize(("restriction", "code"), [
    (Restriction(field_key="shoe_size", operator=SearchOperator.EQUALS, values=[1]),
     "unknown_field"),
    (Restriction(field_key="credit_limit", operator=SearchOperator.BEGINS, values=["1"]),
     "bad_operator"),
    (Restriction(field_key="blocked", operator=SearchOperator.GREATER, values=[True]),
     "bad_operator"),
    (Restriction(field_key="created", operator=SearchOperator.BETWEEN, values=["2020-01-01"]),
     "bad_values"),
    (Restriction(field_key="created", operator=SearchOperator.AFTER, values=["soon"]),
     "bad_values"),
    (Restriction(field_key="credit_limit", operator=SearchOperator.GREATER, values=["1; --"]),
     "bad_values"),
    (Restriction(field_key="country", operator=SearchOperator.ONE_OF, values=[]),
     "bad_values"),
])
def test_advanced_search_refusals(conn: SampleConnector, restriction: Restriction,
                                  code: str) -> None:
    result = conn.search_actors_advanced(CID, "Customer", [restriction], ["name"])
    assert not result.ok and result.error_code == code and result.user_message


# ---- writing ---------------------------------------------------------------------------------

def test_create_actor_assigns_key_number_and_newest_stamp(erp: Path,
                                                          conn: SampleConnector) -> None:
    _, cursor = read_all(conn, "Customer", ["name"], page_size=100)
    result = conn.create_actor(CID, Actor(actor_type="Customer", values={
        "name": "Ny Kund ÅÄÖ AB", "payment_terms": "30", "country": "SE", "blocked": True,
        "credit_limit": 5000, "extra_0005": date(2026, 1, 2), "extra_0003": 1.25}))
    assert result.ok, result.user_message
    actor = result.actor
    assert actor.erp_key == "C0000041" and actor.values["customer_no"] == "10041"
    assert actor.values["blocked"] is True and actor.values["credit_limit"] == 5000.0
    assert actor.values["extra_0005"] == date(2026, 1, 2)
    assert actor.values["extra_0003"] == 1.25
    assert STAMP.match(actor.last_modified) and actor.last_modified > cursor.last_modified
    assert actor.last_modified == raw(erp, "SELECT last_modified FROM clock")[0][0]
    pages, _ = read_all(conn, "Customer", ["name"], page_size=10, cursor=cursor)
    assert all_keys(pages) == ["C0000041"] and pages[0].rows == [("Ny Kund ÅÄÖ AB",)]


def test_create_person_needs_an_existing_parent(conn: SampleConnector) -> None:
    values = {"firstname": "Åse", "lastname": "Bjørnstad", "birthdate": "1980-02-29"}
    missing = conn.create_actor(CID, Actor(actor_type="Person", values=values))
    assert not missing.ok and "Customer or Supplier" in missing.user_message
    wrong = conn.create_actor(CID, Actor(actor_type="Person", values=values,
                                         parent_actor_type="Customer",
                                         parent_erp_key="C7777777"))
    assert not wrong.ok and "does not exist" in wrong.user_message
    made = conn.create_actor(CID, Actor(actor_type="Person", values=values,
                                        parent_actor_type="Supplier",
                                        parent_erp_key="S0000002"))
    assert made.ok, made.user_message
    assert made.actor.parent_erp_key == "S0000002"
    assert made.actor.values["birthdate"] == date(1980, 2, 29)


@pytest.mark.parametrize(("values", "words"), [
    ({"payment_terms": "30"}, "Name (name) is mandatory"),
    ({"name": "  ", "payment_terms": "30"}, "Name (name) is mandatory"),
    ({"name": "X" * 101, "payment_terms": "30"}, "longer than 100"),
    ({"name": "X", "payment_terms": "45"}, "not an item of list payment_terms"),
    ({"name": "X", "payment_terms": "30", "customer_no": "1"}, "read-only"),
    ({"name": "X", "payment_terms": "30", "created": "2020-01-01"}, "read-only"),
    ({"name": "X", "payment_terms": "30", "credit_limit": "lots"}, "must be a number"),
    ({"name": "X", "payment_terms": "30", "blocked": "yes"}, "true or false"),
    ({"name": "X", "payment_terms": "30", "extra_0002": 1.5}, "whole number"),
    ({"name": "X", "payment_terms": "30", "extra_0005": "31-12-2020"}, "must be a date"),
    ({"name": "X", "payment_terms": "30", "shoe_size": 44}, "no field 'shoe_size'"),
    ({"name": 7, "payment_terms": "30"}, "must be text"),
])
def test_create_actor_validation(erp: Path, conn: SampleConnector, values: dict[str, Any],
                                 words: str) -> None:
    before = raw(erp, "SELECT COUNT(*), (SELECT last_modified FROM clock) FROM customer")
    result = conn.create_actor(CID, Actor(actor_type="Customer", values=values))
    assert not result.ok and result.error_code == "invalid_values"
    assert words in result.user_message and result.user_message.startswith("Customer was not")
    assert raw(erp, "SELECT COUNT(*), (SELECT last_modified FROM clock) FROM customer") == before


def test_save_actors_updates_values_and_stamps(erp: Path, conn: SampleConnector) -> None:
    _, cursor = read_all(conn, "Customer", ["name"], page_size=100)
    result = conn.save_actors(CID, [
        Actor(actor_type="Customer", erp_key="C0000005",
              values={"name": "Renamed B.V.", "note": None, "extra_0004": True}),
        Actor(actor_type="Project", erp_key="J0000002",
              values={"status": "completed", "enddate": date(2026, 3, 1), "budget": 7}),
    ])
    assert result.ok, result.user_message
    customer, project = result.actors
    assert customer.values["name"] == "Renamed B.V." and customer.values["note"] is None
    assert customer.values["extra_0004"] is True
    assert project.values["enddate"] == date(2026, 3, 1) and project.values["budget"] == 7.0
    assert cursor.last_modified < customer.last_modified < project.last_modified
    pages, _ = read_all(conn, "Customer", ["name", "payment_terms"], 10, cursor=cursor)
    assert all_keys(pages) == ["C0000005"]
    assert pages[0].rows[0][0] == "Renamed B.V." and pages[0].rows[0][1] is not None


def test_save_actors_is_all_or_nothing(erp: Path, conn: SampleConnector) -> None:
    before = raw(erp, "SELECT name, last_modified FROM customer WHERE erp_key = 'C0000006'")
    for bad in (Actor(actor_type="Customer", erp_key="C0000007", values={"name": None}),
                Actor(actor_type="Customer", erp_key="C0099999", values={"name": "x"}),
                Actor(actor_type="Customer", erp_key="C0000007", values={"customer_no": "1"}),
                Actor(actor_type="Invoice", erp_key="I1", values={})):
        result = conn.save_actors(CID, [
            Actor(actor_type="Customer", erp_key="C0000006", values={"name": "Changed"}),
            bad])
        assert not result.ok and result.user_message
    assert raw(erp, "SELECT name, last_modified FROM customer WHERE erp_key = 'C0000006'") == \
        before


def test_read_only_connection_refuses_writes(erp: Path) -> None:
    connector = make_connector(erp, read_only=True)
    created = connector.create_actor(CID, Actor(actor_type="Project", values={"name": "P"}))
    saved = connector.save_actors(CID, [Actor(actor_type="Project", erp_key="J0000001",
                                              values={"name": "P"})])
    for result in (created, saved):
        assert not result.ok and result.error_code == "read_only"
        assert "read-only" in result.user_message
    assert raw(erp, "SELECT COUNT(*) FROM project") == [(8,)]
    assert connector.search_actors(CID, "Project", "", ["name"]).ok  # reading still works


def test_sqlite_errors_become_failure_results(erp: Path, conn: SampleConnector) -> None:
    raw(erp, "DROP TABLE customer")
    result = conn.actors_changed_since(CID, "Customer", Cursor(), ["name"])
    assert not result.ok and result.error_code == "database"
    assert "no such table" in result.tech_message
    assert API_KEY not in result.user_message + result.tech_message


def test_calls_from_many_threads(erp: Path, conn: SampleConnector) -> None:
    errors: list[str] = []

    def work(n: int) -> None:
        for i in range(5):
            if n % 2:
                result: Any = conn.save_actors(CID, [Actor(
                    actor_type="Customer", erp_key=f"C{n * 5 + i + 1:07d}",
                    values={"note": f"thread {n}"})])
            else:
                result = conn.actors_changed_since(CID, "Customer", Cursor(), ["name"], 10)
            if not result.ok:
                errors.append(result.tech_message)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stamps = [r[0] for r in raw(erp, "SELECT last_modified FROM customer")]
    assert len(set(stamps)) == len(stamps) == 40
