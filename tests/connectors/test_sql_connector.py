"""Tests of SqlConnector against real SQLite, PostgreSQL and MariaDB databases.

Each test that takes `db_url` runs on all three backends, in a throw-away database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from erp_tui.connectors.sql.connector import SqlConnector
from erp_tui.connectors.sql.descriptor import DescriptorError, parse_descriptor
from erp_tui.contract import (
    Actor,
    ActorPage,
    Connector,
    Cursor,
    FieldType,
    Restriction,
    SearchOperator,
)
from erp_tui.registry import create_connector

from .conftest import (
    BASE_TIME,
    CUSTOMERS,
    TIE_GROUP,
    create_database,
    descriptor_text,
    seed,
    stamp_type,
)

CID = 1
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
HOSTILE = [
    "O'Brien \"; DROP TABLE customer; --",
    "Robert'); DELETE FROM customer WHERE ('1'='1",
    "Zoë 🚀 ünïcødé — ß",
    "50%_off \\ back",
]


def make(url: str, tmp_path: Path, *, timestamps: bool = True, descriptor: str | None = None,
         **extra: Any) -> SqlConnector:
    path = tmp_path / "erp.yaml"
    path.write_text(descriptor if descriptor is not None else
                    descriptor_text(timestamps=timestamps), encoding="utf-8")
    connector = SqlConnector()
    result = connector.create_connection(CID, {"url": url, "descriptor": str(path), **extra})
    assert result.ok, result.tech_message
    return connector


@pytest.fixture
def sql(db_url: str, tmp_path: Path) -> Iterator[SqlConnector]:
    seed(db_url)
    connector = make(db_url, tmp_path)
    yield connector
    connector.close()


@pytest.fixture
def sql_fp(db_url: str, tmp_path: Path) -> Iterator[SqlConnector]:
    """The connector on a database without any timestamp column."""
    seed(db_url, timestamps=False)
    connector = make(db_url, tmp_path, timestamps=False)
    yield connector
    connector.close()


def read_all(connector: SqlConnector, actor_type: str, page_size: int,
             cursor: Cursor | None = None, fields: list[str] | None = None
             ) -> tuple[list[ActorPage], Cursor]:
    cursor = cursor or Cursor()
    pages = []
    for _ in range(1000):
        result = connector.actors_changed_since(CID, actor_type, cursor, fields or [],
                                                page_size)
        assert result.ok, result.tech_message
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


def keys_of(pages: list[ActorPage]) -> list[str]:
    return [k for p in pages for k in p.erp_keys]


def table_rows(url: str, table: str) -> dict[Any, tuple[Any, ...]]:
    engine = sa.create_engine(url)
    try:
        reflected = sa.Table(table, sa.MetaData(), autoload_with=engine)
        with engine.connect() as conn:
            rows = conn.execute(sa.select(reflected)).all()
    finally:
        engine.dispose()
    return {row[0]: tuple(row) for row in rows}


def one(connector: SqlConnector, key: str, actor_type: str = "Customer") -> Actor:
    result = connector.get_actors(CID, actor_type, [key], [])
    assert result.ok, result.tech_message
    assert result.page is not None and len(result.page) == 1
    return result.page.actors()[0]


# ---- metadata ---------------------------------------------------------------------------------

def test_registry_and_protocol() -> None:
    connector = create_connector("sql")
    assert isinstance(connector, Connector)
    assert connector.kind == "sql"
    keys = [f.key for f in connector.config_fields().fields]
    assert keys[:5] == ["url", "password", "descriptor", "page_size", "read_only"]


def test_metadata(sql: SqlConnector) -> None:
    assert sql.test_connection(CID).ok
    types = {t.key: t for t in sql.actor_types(CID).actor_types}
    assert set(types) == {"Customer", "Person"}
    assert types["Person"].parent_types == ("Customer",)
    fields = {f.key: f for f in sql.actor_fields(CID, "Customer").fields}
    assert fields["name"].mandatory and fields["name"].label == "Name"
    assert fields["city"].max_length == 60  # reflected length
    assert fields["country"].type is FieldType.LIST and fields["country"].list_name == "countries"
    assert sql.searchable_fields(CID, "Customer").field_keys == list(fields)
    items = sql.list_items(CID, "countries")
    assert items.ok and items.items["NL"] == "Netherlands" and len(items.items) == 4
    some = sql.list_items(CID, "countries", ["DE", "ZZ", "NL"])
    assert some.items == {"DE": "Germany", "NL": "Netherlands"}
    assert not sql.list_items(CID, "nope").ok
    assert not sql.actor_fields(CID, "Nope").ok


# ---- reading ----------------------------------------------------------------------------------

def test_paging_with_equal_timestamps(sql: SqlConnector) -> None:
    pages, cursor = read_all(sql, "Customer", 4)
    keys = keys_of(pages)
    assert sorted(keys, key=int) == [str(i) for i in range(1, CUSTOMERS + 1)]
    assert len(set(keys)) == len(keys)
    stamps = [s for p in pages for s in p.last_modified]
    assert all(STAMP.match(s) for s in stamps)
    order = [(s, int(k)) for s, k in zip(stamps, keys, strict=True)]
    assert order == sorted(order)
    # Ties span page boundaries (groups of 7, pages of 4).
    assert pages[1].last_modified[0] == pages[0].last_modified[-1]
    page = pages[0]
    assert page.field_keys == ("name", "city", "country", "credit_limit", "active", "since")
    row = dict(zip(page.field_keys, page.rows[0], strict=True))
    assert isinstance(row["credit_limit"], float) and isinstance(row["active"], bool)
    assert isinstance(row["since"], date) and row["country"] in {"NL", "CH", "BE", "DE"}
    # Nothing after the last cursor; a cursor with an empty key includes that timestamp.
    assert keys_of(read_all(sql, "Customer", 4, cursor)[0]) == []
    tail = read_all(sql, "Customer", 100, Cursor(last_modified=cursor.last_modified))[0]
    assert len(keys_of(tail)) == CUSTOMERS - TIE_GROUP * ((CUSTOMERS - 1) // TIE_GROUP)
    persons = read_all(sql, "Person", 3, fields=["name"])[0]
    assert len(keys_of(persons)) == 10
    assert persons[0].parent_types[0] == "Customer" and persons[0].parent_keys[0] == "1"
    assert not sql.actors_changed_since(CID, "Customer", Cursor(last_modified="garbage"),
                                        []).ok
    assert not sql.actors_changed_since(CID, "Customer", Cursor(), ["nope"]).ok


def test_a_first_full_page_tells_how_many_remain(sql: SqlConnector) -> None:
    pages, _ = read_all(sql, "Customer", 4)
    assert pages[0].remaining == CUSTOMERS - 4 == len(keys_of(pages)) - len(pages[0])
    assert all(p.remaining is None for p in pages[1:])  # later pages do not count again
    persons = read_all(sql, "Person", 3)[0]
    assert persons[0].remaining == 7 and len(keys_of(persons)) == 10
    exact = sql.actors_changed_since(CID, "Customer", Cursor(), [], CUSTOMERS).page
    assert exact is not None and exact.next_cursor is not None and exact.remaining == 0
    whole = sql.actors_changed_since(CID, "Customer", Cursor(), [], CUSTOMERS + 1).page
    assert whole is not None and whole.next_cursor is None and whole.remaining is None
    since = Cursor(last_modified=pages[0].last_modified[0])  # not a read of everything
    later = sql.actors_changed_since(CID, "Customer", since, [], 4).page
    assert later is not None and later.next_cursor is not None and later.remaining is None


def test_remaining_counts_only_the_rows_the_read_returns(db_url: str, tmp_path: Path) -> None:
    """Rows without a last-modified value are never read, so they are not counted."""
    engine = sa.create_engine(db_url)
    ticket = sa.Table("ticket", sa.MetaData(),
                      sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                      sa.Column("title", sa.String(40)),
                      sa.Column("updated_at", stamp_type(), nullable=True))
    ticket.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(ticket), [
            {"id": i, "title": f"T{i}", "updated_at": BASE_TIME if i % 3 else None}
            for i in range(1, 9)])  # 3, 6 have no stamp: 6 rows are read
    engine.dispose()
    descriptor = ("actors:\n  Ticket:\n    table: ticket\n    key: id\n"
                  "    last_modified: updated_at\n    fields: {title: text}\n")
    connector = make(db_url, tmp_path, descriptor=descriptor)
    try:
        pages, _ = read_all(connector, "Ticket", 2)
        assert pages[0].remaining == 4
        assert sorted(keys_of(pages), key=int) == ["1", "2", "4", "5", "7", "8"]
    finally:
        connector.close()


def test_get_and_search(sql: SqlConnector) -> None:
    page = sql.get_actors(CID, "Customer", ["3", "999", "abc", "1; DROP TABLE customer", "1"],
                          ["name", "city"]).page
    assert page is not None and page.erp_keys == ["3", "1"]
    assert page.rows[0] == ("Customer 03", "Köln")
    found = sql.search_actors(CID, "Customer", "ZÜRICH", ["name"]).page
    assert found is not None and len(found) == 6 and set(found.rows) == {
        (f"Customer {i:02d}",) for i in range(1, CUSTOMERS + 1) if i % 5 == 1}
    found = sql.search_actors(CID, "Customer", "customer 1", []).page
    assert found is not None and len(found) == 10
    for text in ("%", "_", "'", "!", "\\"):
        found = sql.search_actors(CID, "Customer", text, []).page
        assert found is not None and len(found) == 0, text

    def adv(*restrictions: tuple[str, str, list[Any]]) -> list[str]:
        result = sql.search_actors_advanced(
            CID, "Customer", [Restriction(field_key=f, operator=SearchOperator(o), values=v)
                              for f, o, v in restrictions], ["name"])
        assert result.ok, result.tech_message
        assert result.page is not None
        return result.page.erp_keys

    assert adv(("name", "begins", ["customer 0"])) == [str(i) for i in range(1, 10)]
    assert adv(("city", "contains", ["RICH"])) == [str(i) for i in range(1, 31) if i % 5 == 1]
    assert adv(("city", "ends", ["recht"])) == [str(i) for i in range(1, 31) if i % 5 == 4]
    assert len(adv(("city", "notcontains", ["e"]))) == 12  # Zürich, Köln
    assert adv(("name", "=", ["CUSTOMER 07"])) == ["7"]
    assert len(adv(("name", "isnot", ["Customer 07"]))) == CUSTOMERS - 1
    assert adv(("credit_limit", "between", [1050, 1080])) == ["5", "6", "7"]
    assert adv(("credit_limit", ">", [1280]), ("active", "=", [True])) == ["28", "30"]
    assert adv(("country", "oneof", ["NL"])) == [str(i) for i in range(4, 31, 4)]
    assert len(adv(("country", "notoneof", ["NL", "CH"]))) == 15
    assert adv(("since", "before", ["2020-01-04"])) == ["1", "2"]
    assert adv(("since", "afterOrEqual", [date(2020, 1, 30)])) == ["29", "30"]
    assert adv(("name", "contains", ["%"])) == []
    assert adv(("name", "begins", ["_"])) == []
    bad = sql.search_actors_advanced(CID, "Customer", [
        Restriction(field_key="name", operator=SearchOperator.GREATER, values=["x"])], [])
    assert not bad.ok and bad.error_code == "bad_operator"
    bad = sql.search_actors_advanced(CID, "Customer", [
        Restriction(field_key="name; DROP", operator=SearchOperator.EQUALS, values=["x"])], [])
    assert not bad.ok and bad.error_code == "unknown_field"
    bad = sql.search_actors_advanced(CID, "Customer", [
        Restriction(field_key="credit_limit", operator=SearchOperator.EQUALS,
                    values=["1; DROP TABLE customer"])], [])
    assert not bad.ok and bad.error_code == "bad_values"


# ---- writing ----------------------------------------------------------------------------------

def test_save_only_sent_fields_and_create(sql: SqlConnector, db_url: str) -> None:
    before = table_rows(db_url, "customer")
    old = one(sql, "3")
    _pages, cursor = read_all(sql, "Customer", 50)
    saved = sql.save_actors(CID, [Actor(actor_type="Customer", erp_key="3",
                                        values={"city": "Leiden", "credit_limit": 5.25})])
    assert saved.ok, saved.tech_message
    actor = saved.actors[0]
    assert actor.values["city"] == "Leiden" and actor.values["credit_limit"] == 5.25
    assert actor.values["name"] == old.values["name"] and actor.last_modified > cursor.last_modified
    after = table_rows(db_url, "customer")
    assert {k: v for k, v in after.items() if k != 3} == {k: v for k, v in before.items()
                                                          if k != 3}
    cols = ["id", "name", "city", "country_code", "credit_limit", "active", "since",
            "updated_at"]
    changed = {c for c, a, b in zip(cols, before[3], after[3], strict=True) if a != b}
    assert changed == {"city", "credit_limit", "updated_at"}
    assert keys_of(read_all(sql, "Customer", 50, cursor)[0]) == ["3"]
    # Insert: the database numbers the key; defaults and list keys are checked.
    created = sql.create_actor(CID, Actor(actor_type="Customer", values={
        "name": "New – ñ", "country": "BE", "active": True, "since": "2024-02-29"}))
    assert created.ok, created.tech_message
    new = created.actor
    assert new is not None and new.erp_key == str(CUSTOMERS + 1) and STAMP.match(
        new.last_modified)
    assert new.values["since"] == date(2024, 2, 29) and new.values["city"] is None
    person = sql.create_actor(CID, Actor(actor_type="Person", parent_actor_type="Customer",
                                         parent_erp_key=new.erp_key, values={"name": "P"}))
    assert person.ok and person.actor is not None
    assert person.actor.parent_erp_key == new.erp_key
    bad_parent = sql.create_actor(CID, Actor(actor_type="Person", parent_actor_type="Customer",
                                             parent_erp_key="9999", values={"name": "P"}))
    assert not bad_parent.ok and bad_parent.error_code == "bad_parent"
    assert len(table_rows(db_url, "customer")) == CUSTOMERS + 1


def test_refusals_write_nothing(sql: SqlConnector, db_url: str, tmp_path: Path) -> None:
    before = table_rows(db_url, "customer")
    cases = [
        [Actor(actor_type="Customer", erp_key="1", values={"nope": 1})],
        [Actor(actor_type="Customer", erp_key="1", values={"credit_limit": "12; DROP"})],
        [Actor(actor_type="Customer", erp_key="1", values={"country": "XX'--"})],
        [Actor(actor_type="Customer", erp_key="1", values={"name": None})],
        [Actor(actor_type="Customer", erp_key="1", values={"name": "x" * 81})],
        [Actor(actor_type="Customer", erp_key="1", values={"city": "ok"}),
         Actor(actor_type="Customer", erp_key="4242", values={"city": "x"})],
        [Actor(actor_type="Customer", erp_key="1 OR 1=1", values={"city": "x"})],
        [Actor(actor_type="Nope", erp_key="1", values={})],
    ]
    for actors in cases:
        result = sql.save_actors(CID, actors)
        assert not result.ok, actors
        assert result.user_message and "Traceback" not in result.user_message
    assert not sql.create_actor(CID, Actor(actor_type="Customer", values={"city": "x"})).ok
    assert table_rows(db_url, "customer") == before
    read_only = make(db_url, tmp_path, read_only=True)
    refused = read_only.save_actors(CID, [Actor(actor_type="Customer", erp_key="1",
                                                values={"city": "x"})])
    assert not refused.ok and refused.error_code == "read_only"
    read_only.close()
    assert table_rows(db_url, "customer") == before


def test_hostile_values(sql: SqlConnector, db_url: str) -> None:
    before = table_rows(db_url, "customer")
    actors = [Actor(actor_type="Customer", erp_key=str(i + 1),
                    values={"name": text, "city": text[:60]})
              for i, text in enumerate(HOSTILE)]
    result = sql.save_actors(CID, actors)
    assert result.ok, result.tech_message
    after = table_rows(db_url, "customer")
    assert len(after) == CUSTOMERS
    untouched = set(before) - {1, 2, 3, 4}
    assert {k: after[k] for k in untouched} == {k: before[k] for k in untouched}
    for i, text in enumerate(HOSTILE):
        assert one(sql, str(i + 1)).values["name"] == text
        found = sql.search_actors(CID, "Customer", text, ["name"]).page
        assert found is not None and found.erp_keys == [str(i + 1)], text
        exact = sql.search_actors_advanced(CID, "Customer", [
            Restriction(field_key="name", operator=SearchOperator.EQUALS, values=[text])], [])
        assert exact.page is not None and exact.page.erp_keys == [str(i + 1)]
    pct = sql.search_actors(CID, "Customer", "%_", []).page
    assert pct is not None and pct.erp_keys == ["4"]
    assert table_rows(db_url, "country") and len(table_rows(db_url, "contact")) == 10


# ---- tables without timestamps -----------------------------------------------------------------

def test_changes_without_timestamps(sql_fp: SqlConnector, db_url: str) -> None:
    pages, cursor = read_all(sql_fp, "Customer", 4)
    assert sorted(map(int, keys_of(pages))) == list(range(1, CUSTOMERS + 1))
    first_stamps = [s for p in pages for s in p.last_modified]
    assert first_stamps == sorted(first_stamps) and len(set(first_stamps)) == CUSTOMERS
    assert keys_of(read_all(sql_fp, "Customer", 4, cursor)[0]) == []
    engine = sa.create_engine(db_url)
    customer = sa.Table("customer", sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        conn.execute(sa.update(customer).where(customer.c.id == 5).values(city="Paris"))
        conn.execute(sa.update(customer).where(customer.c.id == 6).values(since=date(1999, 1, 1)))
        conn.execute(sa.insert(customer).values(id=100, name="Brand new"))
        contact = sa.Table("contact", sa.MetaData(), autoload_with=conn)
        conn.execute(sa.delete(contact).where(contact.c.customer_id == 7))
        conn.execute(sa.delete(customer).where(customer.c.id == 7))
    engine.dispose()
    pages, cursor2 = read_all(sql_fp, "Customer", 2, cursor)
    changes = [(k, d) for p in pages for k, d in zip(p.erp_keys, p.deleted, strict=True)]
    assert sorted(changes) == [("100", False), ("5", False), ("6", False), ("7", True)]
    stamps = [s for p in pages for s in p.last_modified]
    assert stamps == sorted(stamps) and stamps[0] > cursor.last_modified
    by_key = {a.erp_key: a for p in pages for a in p.actors()}
    assert by_key["5"].values["city"] == "Paris"
    assert by_key["7"].deleted and set(by_key["7"].values.values()) == {None}
    # Each change exactly once: nothing more on the next reads.
    assert keys_of(read_all(sql_fp, "Customer", 2, cursor2)[0]) == []
    assert keys_of(read_all(sql_fp, "Customer", 2, cursor2)[0]) == []
    # A write through the connector is one change, with the stamp it returned.
    saved = sql_fp.save_actors(CID, [Actor(actor_type="Customer", erp_key="8",
                                           values={"city": "Oslo"})])
    assert saved.ok and saved.actors[0].last_modified > cursor2.last_modified
    pages, cursor3 = read_all(sql_fp, "Customer", 2, cursor2)
    assert keys_of(pages) == ["8"] and pages[0].last_modified[0] == \
        saved.actors[0].last_modified
    assert keys_of(read_all(sql_fp, "Customer", 2, cursor3)[0]) == []
    created = sql_fp.create_actor(CID, Actor(actor_type="Customer", values={"name": "C"}))
    assert created.ok and created.actor is not None
    assert keys_of(read_all(sql_fp, "Customer", 2, cursor3)[0]) == [created.actor.erp_key]
    persons = read_all(sql_fp, "Person", 3)[0]
    assert len(keys_of(persons)) == 9 and persons[0].parent_types[0] == "Customer"


def test_remaining_without_timestamps(sql_fp: SqlConnector, db_url: str) -> None:
    """Fingerprint mode counts the rows the read pages through, disappeared ones included."""
    pages, _ = read_all(sql_fp, "Customer", 4)
    assert pages[0].remaining == CUSTOMERS - 4
    assert all(p.remaining is None for p in pages[1:])
    engine = sa.create_engine(db_url)
    customer = sa.Table("customer", sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        conn.execute(sa.delete(customer).where(customer.c.id == 20))
        conn.execute(sa.insert(customer).values(id=100, name="Brand new"))
    engine.dispose()
    # A new read of everything: 30 live rows and the one that disappeared.
    pages, _ = read_all(sql_fp, "Customer", 4)
    assert pages[0].remaining == CUSTOMERS + 1 - 4
    assert len(keys_of(pages)) == CUSTOMERS + 1
    assert [k for p in pages for k, d in zip(p.erp_keys, p.deleted, strict=True) if d] == ["20"]
    one_page = sql_fp.actors_changed_since(CID, "Person", Cursor(), [], 100).page
    assert one_page is not None and one_page.next_cursor is None and one_page.remaining is None


# ---- configuration ----------------------------------------------------------------------------

def test_unknown_identifiers_refused(db_url: str, tmp_path: Path) -> None:
    seed(db_url)
    text = descriptor_text().replace("table: contact", "table: contacts_x").replace(
        "city: {type: text, label: City}", "city: {column: \"ci`ty\\\"; --\", type: text}")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    connector = SqlConnector()
    result = connector.test_config({"url": db_url, "descriptor": str(path)})
    assert not result.ok and "contacts_x" in result.user_message
    path.write_text(descriptor_text().replace("city: {type: text, label: City}",
                                              "city: {column: ghost, type: text}"))
    result = connector.test_config({"url": db_url, "descriptor": str(path)})
    assert not result.ok and "customer.ghost" in result.user_message
    assert result.error_code == "unknown_identifier"
    created = connector.create_connection(CID, {"url": db_url, "descriptor": str(path)})
    assert not created.ok and "ghost" in created.user_message
    connector.close()


def test_descriptor_errors_are_clear() -> None:
    data = yaml.safe_load(descriptor_text())
    data["actors"]["Customer"]["tabel"] = "x"
    with pytest.raises(DescriptorError, match=r"actors\.Customer\.tabel: unknown key"):
        parse_descriptor(data)
    data = yaml.safe_load(descriptor_text())
    data["actors"]["Customer"]["fields"]["country"]["list"] = "nope"
    with pytest.raises(DescriptorError, match="list 'nope'"):
        parse_descriptor(data)
    data = yaml.safe_load(descriptor_text())
    data["actors"]["Customer"]["fields"]["name"]["type"] = "blob"
    with pytest.raises(DescriptorError, match=r"name\.type"):
        parse_descriptor(data)


def test_no_secrets_in_messages(tmp_path: Path) -> None:
    path = tmp_path / "erp.yaml"
    path.write_text(descriptor_text(), encoding="utf-8")
    secret = "S3cret-Pw!x"
    connector = SqlConnector()
    for url in ("mysql+pymysql://root@127.0.0.1:3306/test",
                "postgresql+psycopg://nobody@127.0.0.1:1/none"):
        result = connector.test_config({"url": url, "password": secret,
                                        "descriptor": str(path)})
        assert not result.ok
        assert secret not in result.user_message + result.tech_message
        created = connector.create_connection(CID, {"url": url.replace("@", f":{secret}@"),
                                                    "descriptor": str(path)})
        assert not created.ok
        assert secret not in created.user_message + created.tech_message
    assert not connector.test_config({"url": "not a url", "descriptor": str(path)}).ok
    assert not connector.test_config({"url": "sqlite://", "descriptor": "/nope.yaml"}).ok
    connector.close()


# ---- scaffold ---------------------------------------------------------------------------------

def test_scaffold_reads_back(db_url: str, tmp_path: Path) -> None:
    from erp_tui.connectors.sql.scaffold import scaffold_text

    seed(db_url)
    text = scaffold_text(db_url)
    data = yaml.safe_load(text)
    customer = data["actors"]["Customer"]
    assert customer["key"] == "id" and customer["last_modified"] == "updated_at"
    assert customer["fields"]["country_code"] == {
        "type": "list", "list": "country", "label": "Country code", "max_length": 2} or \
        customer["fields"]["country_code"]["list"] == "country"
    assert customer["fields"]["credit_limit"]["type"] == "double"
    assert customer["fields"]["since"]["type"] == "date"
    # A contact table is a Person (the type the CRM syncs), under its customer.
    assert data["actors"]["Person"]["table"] == "contact"
    assert data["actors"]["Person"]["parent"] == {"type": "Customer", "column": "customer_id"}
    assert "Country" not in data["actors"]  # a lookup table is a list only
    connector = make(db_url, tmp_path, descriptor=text)
    assert connector.test_connection(CID).ok
    page = connector.actors_changed_since(CID, "Customer", Cursor(), [], 10).page
    assert page is not None and len(page) == 10
    connector.close()


def test_cli_scaffold_sql(tmp_path: Path) -> None:
    from erp_tui.cli import main

    url, drop = create_database("sqlite", tmp_path)
    seed(url)
    out = tmp_path / "scaffold.yaml"
    assert main(["connector", "scaffold-sql", url, "-o", str(out)]) == 0
    assert "Customer" in yaml.safe_load(out.read_text())["actors"]
    assert main(["connector", "scaffold-sql", "nonsense"]) != 0
    drop()
