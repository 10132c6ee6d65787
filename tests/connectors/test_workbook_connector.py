"""Tests of WorkbookConnector: layout, types, reads, searches, writes, atomic saves, .xlsm."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from erp_tui.connectors.workbook import WorkbookConnector
from erp_tui.contract import (
    Actor,
    Connector,
    Cursor,
    FieldType,
    Restriction,
    SearchOperator,
)

CID = 7
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
LISTS = "Customer.Country=Countries; Customer.Group=Groups"
VBA_BYTES = b"\xd0\xcf\x11\xe0fake-vba-project" + bytes(range(256)) * 4


def build_workbook(path: Path, customers: int = 6) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Customer"
    ws.append(["ID", "Name", "Country", "Group", "CreditLimit", "Employees", "Blocked",
               "Founded", "Visited", "Note", "LastModified"])
    names = ["Ålesund Fisk AS", "Müller GmbH", "Bakkerij De Zon", "Śląsk Stal", "北京贸易",
             "Øresund ApS", "Café Noël", "Straße AG"]
    for i in range(1, customers + 1):
        ws.append([i, names[(i - 1) % len(names)], "NO" if i % 2 else "DE",
                   "A" if i < 4 else "B", 1000.5 * i, 10 * i, i == 3,
                   date(2000 + i, 1, i), datetime(2024, 5, i, 13, 30, 15),
                   f"note {i} – ünïcødé", f"2025-01-0{min(i, 9)}T10:00:00.000000Z"])
        if i == 2:
            ws.append([None] * 11)  # a blank row in the middle is ignored
    ws.cell(row=3, column=11).value = None  # customer 2 (row 3) has no LastModified
    sup = wb.create_sheet("Supplier")
    sup.append(["ID", "Name", "LastModified"])
    sup.append(["S-001", "Leverancier Één", "2025-02-01T00:00:00.000000Z"])
    sup.append(["S-002", "Fournisseur Deux", "2025-02-01T00:00:00.000000Z"])  # duplicate stamp
    person = wb.create_sheet("Person")
    person.append(["ID", "ParentType", "ParentID", "FirstName", "LastName", "Birthday",
                   "LastModified"])
    person.append([100, "Customer", 1, "Ægir", "Sørensen", date(1980, 2, 29),
                   "2025-03-01T00:00:00.000000Z"])
    person.append([101, "Supplier", "S-002", "Zoë", "Ðorđević", None, None])
    countries = wb.create_sheet("Countries")
    countries.append(["ID", "Text"])
    for key, text in (("NO", "Norge"), ("DE", "Deutschland"), ("SE", "Sverige")):
        countries.append([key, text])
    groups = wb.create_sheet("Groups")
    groups.append(["ID", "Text"])
    groups.append(["A", "Grossisten"])
    groups.append(["B", "Détaillants"])
    wb.save(path)
    return path


def make_xlsm(xlsx: Path, xlsm: Path) -> Path:
    """Turn an openpyxl-made .xlsx into a macro-enabled workbook with a VBA project part."""
    with zipfile.ZipFile(xlsx) as src, zipfile.ZipFile(xlsm, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                text = data.decode()
                text = text.replace(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                text = text.replace(
                    "<Default Extension=\"xml\"",
                    "<Default Extension=\"bin\" ContentType=\"application/vnd.ms-office."
                    "vbaProject\"/><Default Extension=\"xml\"")
                data = text.encode()
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.decode().replace(
                    "</Relationships>",
                    "<Relationship Id=\"rIdVba1\" Type=\"http://schemas.microsoft.com/office/"
                    "2006/relationships/vbaProject\" Target=\"vbaProject.bin\"/>"
                    "</Relationships>").encode()
            dst.writestr(item, data)
        dst.writestr("xl/vbaProject.bin", VBA_BYTES)
    return xlsm


def connect(path: Path, **extra: Any) -> WorkbookConnector:
    connector = WorkbookConnector()
    values = {"path": str(path), "lists": LISTS, **extra}
    result = connector.create_connection(CID, values)
    assert result.ok, result.user_message
    return connector


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return build_workbook(tmp_path / "erp.xlsx")


@pytest.fixture
def conn(book: Path) -> WorkbookConnector:
    return connect(book)


def by_key(connector: WorkbookConnector, actor_type: str, key: str) -> Actor:
    result = connector.get_actors(CID, actor_type, [key], [])
    assert result.ok and result.page is not None, result.user_message
    (actor,) = result.page.actors()
    return actor


# ---- configuration and metadata --------------------------------------------------------------

def test_is_a_connector_with_config_fields(conn: WorkbookConnector, book: Path) -> None:
    assert isinstance(conn, Connector)
    fields = {f.key: f for f in conn.config_fields().fields}
    assert list(fields) == ["path", "lists", "type_overrides", "read_only", "time_zone",
                            "read_again"]
    assert fields["path"].mandatory and fields["read_only"].type is FieldType.CHECKBOX
    ok = conn.test_config({"path": str(book), "lists": LISTS})
    assert ok.ok and "6 Customer" in ok.user_message
    assert conn.test_connection(CID).ok


@pytest.mark.parametrize(("values", "code"), [
    ({}, "config"),
    ({"path": "/nowhere/erp.xlsx"}, "not_found"),
    ({"path": "erp.csv"}, "config"),
    ({"lists": "Customer.Country"}, "config"),
    ({"lists": "Customer.Nope=Countries"}, "config"),
    ({"lists": "Customer.Country=NoSuchSheet"}, "unknown_list"),
    ({"type_overrides": "Customer.Name=colour"}, "config"),
    ({"type_overrides": "Customer.Name=integer"}, "bad_cell"),
])
def test_bad_configs_fail_clearly(book: Path, values: dict[str, Any], code: str) -> None:
    merged = {"path": str(book), **values} if "path" in values or values else {}
    result = WorkbookConnector().test_config(merged)
    assert not result.ok and result.error_code == code, result
    assert result.user_message.endswith(".")


def test_not_a_workbook(tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"not a zip")
    result = WorkbookConnector().test_config({"path": str(fake)})
    assert not result.ok and result.error_code == "bad_workbook"


def test_actor_types_and_inferred_types(conn: WorkbookConnector) -> None:
    types = conn.actor_types(CID)
    assert [t.key for t in types.actor_types] == ["Customer", "Supplier", "Person"]
    assert types.actor_types[2].parent_types == ("Customer", "Supplier")
    fields = {f.key: f for f in conn.actor_fields(CID, "Customer").fields}
    assert list(fields) == ["Name", "Country", "Group", "CreditLimit", "Employees", "Blocked",
                            "Founded", "Visited", "Note"]
    assert {k: f.type for k, f in fields.items()} == {
        "Name": FieldType.TEXT, "Country": FieldType.LIST, "Group": FieldType.LIST,
        "CreditLimit": FieldType.DOUBLE, "Employees": FieldType.INTEGER,
        "Blocked": FieldType.CHECKBOX, "Founded": FieldType.DATE,
        "Visited": FieldType.DATETIME, "Note": FieldType.TEXT}
    assert fields["Country"].list_name == "Countries"
    assert conn.searchable_fields(CID, "Customer").field_keys == list(fields)
    assert not conn.actor_fields(CID, "Project").ok


def test_type_overrides(book: Path) -> None:
    conn = connect(book, type_overrides="Customer.Employees=double; Customer.Founded=datetime;"
                                        " Customer.CreditLimit=text")
    fields = {f.key: f.type for f in conn.actor_fields(CID, "Customer").fields}
    assert fields["Employees"] is FieldType.DOUBLE
    assert fields["Founded"] is FieldType.DATETIME
    actor = by_key(conn, "Customer", "2")
    assert actor.values["Employees"] == 20.0 and isinstance(actor.values["Employees"], float)
    assert actor.values["Founded"] == datetime(2002, 1, 2)
    assert actor.values["CreditLimit"] == "2001"  # a whole number shows without ".0"


def test_list_items(conn: WorkbookConnector) -> None:
    assert conn.list_items(CID, "Countries").items == {
        "NO": "Norge", "DE": "Deutschland", "SE": "Sverige"}
    assert conn.list_items(CID, "Groups", ["B", "Z"]).items == {"B": "Détaillants"}
    assert conn.list_items(CID, "Nope").error_code == "unknown_list"


# ---- reading ---------------------------------------------------------------------------------

def test_values_are_typed_and_unicode_survives(conn: WorkbookConnector) -> None:
    actor = by_key(conn, "Customer", "5")
    assert actor.values == {
        "Name": "北京贸易", "Country": "NO", "Group": "B", "CreditLimit": 5002.5,
        "Employees": 50, "Blocked": False, "Founded": date(2005, 1, 5),
        "Visited": datetime(2024, 5, 5, 13, 30, 15), "Note": "note 5 – ünïcødé"}
    assert STAMP.match(actor.last_modified)
    person = by_key(conn, "Person", "100")
    assert (person.parent_actor_type, person.parent_erp_key) == ("Customer", "1")
    assert person.values["FirstName"] == "Ægir" and person.values["Birthday"] == date(1980, 2, 29)


def test_changed_since_pages_in_cursor_order(conn: WorkbookConnector, book: Path) -> None:
    seen: list[tuple[str, str]] = []
    cursor = Cursor()
    for _ in range(10):
        result = conn.actors_changed_since(CID, "Customer", cursor, ["Name"], page_size=4)
        assert result.ok and result.page is not None
        page = result.page
        seen += list(zip(page.last_modified, page.erp_keys, strict=True))
        assert page.field_keys == ("Name",) and all(len(r) == 1 for r in page.rows)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == 6 and seen == sorted(seen)
    # Customer 2 has no LastModified cell: a stable derived stamp sorts it first.
    assert seen[0][1] == "2" and seen[0][0].startswith("1970-01-01T")
    again = conn.actors_changed_since(CID, "Customer", Cursor(), ["Name"], page_size=100)
    assert again.page is not None and list(zip(again.page.last_modified, again.page.erp_keys,
                                               strict=True)) == seen
    at = Cursor(last_modified=seen[3][0], erp_key=seen[3][1])
    exact = connect(book, read_again="0")
    after = exact.actors_changed_since(CID, "Customer", at, [])
    assert after.page is not None and after.page.erp_keys == [k for _, k in seen[4:]]
    # By default the rows stamped up to 25 hours before the cursor are read again too.
    again_too = conn.actors_changed_since(CID, "Customer", at, [])
    assert again_too.page is not None and again_too.page.erp_keys == [k for _, k in seen[2:]]


def test_pages_tell_how_many_remain(book: Path) -> None:
    """Counted over the rows the reads return: deleted rows in, blank and ID-less rows out."""
    wb = openpyxl.load_workbook(book)
    ws = wb["Customer"]
    ws.cell(row=1, column=12).value = "Deleted"
    ws.cell(row=2, column=12).value = True  # customer 1: deleted, still returned
    ws.append([None, "No ID"])  # skipped by every read
    wb.save(book)
    conn = connect(book)
    remaining = []
    keys: list[str] = []
    cursor = Cursor()
    for _ in range(10):
        page = conn.actors_changed_since(CID, "Customer", cursor, ["Name"], page_size=2).page
        assert page is not None
        remaining.append(page.remaining)
        keys += page.erp_keys
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(keys) == 6 and "1" in keys and remaining == [4, 2, None]
    one = conn.actors_changed_since(CID, "Customer", Cursor(), [], page_size=6).page
    assert one is not None and one.next_cursor is None and one.remaining is None


def test_duplicate_stamps_are_ordered_by_key(conn: WorkbookConnector) -> None:
    page = conn.actors_changed_since(CID, "Supplier", Cursor(), [], 1).page
    assert page is not None and page.erp_keys == ["S-001"] and page.next_cursor is not None
    rest = conn.actors_changed_since(CID, "Supplier", page.next_cursor, [], 1).page
    assert rest is not None and rest.erp_keys == ["S-002"] and rest.next_cursor is None


def test_get_and_search(conn: WorkbookConnector) -> None:
    page = conn.get_actors(CID, "Customer", ["3", "99", "1"], ["Name", "Blocked"]).page
    assert page is not None and page.erp_keys == ["3", "1"]
    assert page.rows == [("Bakkerij De Zon", True), ("Ålesund Fisk AS", False)]
    found = conn.search_actors(CID, "Customer", "ÅLESUND", ["Name"]).page
    assert found is not None and found.erp_keys == ["1"]
    found = conn.search_actors(CID, "Customer", "ünïcødé", []).page
    assert found is not None and len(found) == 6

    def adv(*restrictions: Restriction) -> list[str]:
        result = conn.search_actors_advanced(CID, "Customer", list(restrictions), [])
        assert result.ok, result.user_message
        assert result.page is not None
        return result.page.erp_keys

    R, Op = Restriction, SearchOperator
    assert adv(R(field_key="Name", operator=Op.CONTAINS, values=["müller"])) == ["2"]
    assert adv(R(field_key="Employees", operator=Op.GREATER_EQUAL, values=[40])) == ["4", "5",
                                                                                     "6"]
    assert adv(R(field_key="Founded", operator=Op.BETWEEN,
                 values=["2002-01-01", "2003-12-31"])) == ["2", "3"]
    assert adv(R(field_key="Country", operator=Op.ONE_OF, values=["DE"]),
               R(field_key="Group", operator=Op.EQUALS, values=["A"])) == ["2"]
    assert adv(R(field_key="Blocked", operator=Op.EQUALS, values=[True])) == ["3"]
    bad = conn.search_actors_advanced(CID, "Customer", [R(field_key="Blocked",
                                                           operator=Op.CONTAINS, values=["x"])],
                                      [])
    assert not bad.ok and bad.error_code == "bad_operator"


def test_reloads_when_the_file_changes(conn: WorkbookConnector, book: Path) -> None:
    assert by_key(conn, "Customer", "1").values["Name"] == "Ålesund Fisk AS"
    wb = openpyxl.load_workbook(book)
    wb["Customer"]["B2"] = "Changed outside ÆØÅ"
    wb.save(book)
    os.utime(book, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    assert by_key(conn, "Customer", "1").values["Name"] == "Changed outside ÆØÅ"


# ---- writing ---------------------------------------------------------------------------------

def test_save_round_trip(conn: WorkbookConnector, book: Path) -> None:
    before = conn.actors_changed_since(CID, "Customer", Cursor(), [], 100).page
    assert before is not None
    highest = max(before.last_modified)
    result = conn.save_actors(CID, [
        Actor(actor_type="Customer", erp_key="2",
              values={"Name": "Zürich Uhren AG – ß", "Founded": date(1999, 12, 31),
                      "Blocked": True, "Country": "SE", "Employees": 7}),
        Actor(actor_type="Customer", erp_key="4", values={"CreditLimit": 12.25}),
    ])
    assert result.ok, result.user_message
    saved = {a.erp_key: a for a in result.actors}
    assert saved["2"].values["Name"] == "Zürich Uhren AG – ß"
    assert saved["2"].last_modified > highest and saved["4"].last_modified > \
        saved["2"].last_modified
    assert all(STAMP.match(a.last_modified) for a in result.actors)

    wb = openpyxl.load_workbook(book)
    ws = wb["Customer"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == 2)
    cells = dict(zip(header, row, strict=False))
    assert cells["Name"].value == "Zürich Uhren AG – ß"
    assert cells["Founded"].is_date and cells["Founded"].value.date() == date(1999, 12, 31)
    assert cells["Blocked"].value is True and cells["Employees"].value == 7
    stamp_cell = cells["LastModified"].value  # a date-time cell in the machine's zone
    assert isinstance(stamp_cell, datetime) and stamp_cell.tzinfo is None
    assert stamp_cell.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") == \
        saved["2"].last_modified
    assert cells["Note"].value == "note 2 – ünïcødé"
    # A fresh connector reads the same.
    fresh = by_key(connect(book), "Customer", "2")
    assert fresh.values["Founded"] == date(1999, 12, 31) and fresh.values["Country"] == "SE"
    # Only the saved actors changed since the old high-water mark, in order.
    exact = connect(book, read_again="0")
    changed = exact.actors_changed_since(CID, "Customer", Cursor(last_modified=highest,
                                                                 erp_key="~"), [], 100).page
    assert changed is not None and changed.erp_keys == ["2", "4"]
    assert [p.name for p in book.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_invalid_saves_write_nothing(conn: WorkbookConnector, book: Path) -> None:
    original = book.read_bytes()
    for actors in (
        [Actor(actor_type="Customer", erp_key="1", values={"Name": "ok"}),
         Actor(actor_type="Customer", erp_key="2", values={"Employees": "many"})],
        [Actor(actor_type="Customer", erp_key="1", values={"Country": "XX"})],
        [Actor(actor_type="Customer", erp_key="1", values={"Nope": 1})],
        [Actor(actor_type="Customer", erp_key="404", values={"Name": "x"})],
        [Actor(actor_type="Project", erp_key="1", values={})],
    ):
        result = conn.save_actors(CID, actors)
        assert not result.ok and result.user_message, actors
    assert book.read_bytes() == original
    read_only = connect(book, read_only=True)
    refused = read_only.save_actors(CID, [Actor(actor_type="Customer", erp_key="1",
                                                values={"Name": "x"})])
    assert refused.error_code == "read_only" and book.read_bytes() == original


def test_create_actor(conn: WorkbookConnector, book: Path) -> None:
    made = conn.create_actor(CID, Actor(actor_type="Customer", values={
        "Name": "Nieuw Bedrijf ÉÉN", "Founded": date(2020, 2, 2), "Country": "NO"}))
    assert made.ok and made.actor is not None, made.user_message
    assert made.actor.erp_key == "7" and made.actor.values["Founded"] == date(2020, 2, 2)
    person = conn.create_actor(CID, Actor(actor_type="Person", parent_actor_type="Customer",
                                          parent_erp_key="7", values={"FirstName": "Åsa"}))
    assert person.ok and person.actor is not None, person.user_message
    assert person.actor.erp_key == "102" and person.actor.parent_erp_key == "7"
    bad = conn.create_actor(CID, Actor(actor_type="Person", parent_actor_type="Customer",
                                       parent_erp_key="999", values={}))
    assert not bad.ok and "does not exist" in bad.user_message
    wb = openpyxl.load_workbook(book)
    ids = [r[0] for r in wb["Customer"].iter_rows(min_row=2, values_only=True)]
    assert 7 in ids
    persons = list(wb["Person"].iter_rows(min_row=2, values_only=True))
    assert persons[-1][:4] == (102, "Customer", 7, "Åsa")


def test_xlsm_keeps_its_vba_project(tmp_path: Path) -> None:
    xlsm = make_xlsm(build_workbook(tmp_path / "plain.xlsx"), tmp_path / "erp.xlsm")
    conn = connect(xlsm)
    assert conn.save_actors(CID, [Actor(actor_type="Customer", erp_key="1",
                                        values={"Name": "Makro Å"})]).ok
    with zipfile.ZipFile(xlsm) as archive:
        assert archive.read("xl/vbaProject.bin") == VBA_BYTES
        assert "macroEnabled" in archive.read("[Content_Types].xml").decode()
        assert "vbaProject" in archive.read("xl/_rels/workbook.xml.rels").decode()
    wb = openpyxl.load_workbook(xlsm, keep_vba=True)
    assert wb["Customer"]["B2"].value == "Makro Å"
    assert by_key(connect(xlsm), "Customer", "1").values["Name"] == "Makro Å"


# ---- crash safety ----------------------------------------------------------------------------

SAVER = textwrap.dedent("""
    import sys
    from erp_tui.connectors.workbook import WorkbookConnector
    from erp_tui.contract import Actor

    conn = WorkbookConnector()
    assert conn.create_connection(1, {"path": sys.argv[1]}).ok
    page = conn.get_actors(1, "Customer", ["1"], ["Note"]).page
    counter = int(page.rows[0][0])
    print("ready", counter, flush=True)
    while True:
        counter += 1
        result = conn.save_actors(1, [Actor(actor_type="Customer", erp_key="1",
                                            values={"Name": f"n{counter}",
                                                    "Note": str(counter)})])
        assert result.ok, result.user_message
        print("saved", counter, flush=True)
""")


def test_killed_saves_never_corrupt_the_workbook(tmp_path: Path) -> None:
    path = tmp_path / "crash.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Customer"
    ws.append(["ID", "Name", "Note", "LastModified"])
    ws.append([1, "n0", "0", None])
    for i in range(2, 300):  # some bulk so that a save takes a while
        ws.append([i, f"Kunde {i} – æøå", str(i), None])
    wb.save(path)
    script = tmp_path / "saver.py"
    script.write_text(SAVER, encoding="utf-8")
    rng = random.Random(5)
    acknowledged = 0
    kills = 0
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, str(script), str(path)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        first = proc.stdout.readline().split()
        assert first[0] == "ready", first
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        out = proc.communicate(timeout=10)[0]
        kills += 1
        saved = [int(line.split()[1]) for line in out.splitlines() if line.startswith("saved")]
        acknowledged = saved[-1] if saved else int(first[1])
        check = openpyxl.load_workbook(path)  # always opens
        row = next(check["Customer"].iter_rows(min_row=2, max_row=2, values_only=True))
        counter = int(row[2])
        assert row[1] == f"n{counter}"  # never half a change
        assert counter in (acknowledged, acknowledged + 1)  # the old or the new content
        assert len(list(check["Customer"].iter_rows(min_row=2))) == 299
    assert kills == 5 and acknowledged > 0
