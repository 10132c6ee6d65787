"""The workbook connector on real-data edges: naive local stamps west of UTC, date-only stamps,
deleted rows, cell types and package parts kept on write-back, honest type inference, and
metadata refreshed when the saved settings change it."""

from __future__ import annotations

import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl

from erp_tui.connectors.workbook import WorkbookConnector, state_path
from erp_tui.context import AppContext
from erp_tui.contract import Actor, Cursor, FieldType
from erp_tui.services import connections, mappings

from .erp_builders import WORKBOOK_LISTS, workbook_erp
from .sync_support import configure, edit, links, record, sync

NEW_YORK = ZoneInfo("America/New_York")
CID = 3
PLAN = {"Customer": {"Name": ("name", "<>"), "City": ("postal_city", "<>"),
                     "Country": ("country", "<>")}}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _new_york_wall_clock(utc_stamp: str, plus: timedelta = timedelta(0)) -> datetime:
    """What a macro's `Now` shows in New York at `utc_stamp` + `plus` (naive)."""
    moment = datetime.strptime(utc_stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) + plus
    return moment.astimezone(NEW_YORK).replace(tzinfo=None)


def _set_cells(book: Path, changes: dict[tuple[int, str], Any], delete_row: int = 0) -> None:
    """Edit the Customer sheet as Excel would: (ERP key, header) -> value."""
    wb = openpyxl.load_workbook(book)
    ws = wb["Customer"]
    header = [c.value for c in ws[1]]
    rows = {r[0].value: r[0].row for r in ws.iter_rows(min_row=2) if r[0].value is not None}
    for (key, column), value in changes.items():
        ws.cell(row=rows[key], column=header.index(column) + 1).value = value
    if delete_row:
        ws.delete_rows(rows[delete_row])
    wb.save(book)
    wb.close()


def test_sync_west_of_utc_date_only_stamps_and_a_deleted_row(ctx: AppContext,
                                                            tmp_path: Path) -> None:
    book = workbook_erp(tmp_path / "erp.xlsx")
    cid = configure(ctx, "Workbook", "workbook",
                    {"path": str(book), "lists": WORKBOOK_LISTS,
                     "time_zone": "America/New_York"}, PLAN)
    assert sync(ctx, "Workbook").counts.created == 5
    linked = links(ctx, cid)

    # erp-tui writes a CRM change back: the row gets a date-time cell on New York's clock.
    edit(ctx, "company", linked[("Customer", "2")][0], name="Müller & Söhne GmbH")
    assert sync(ctx, "Workbook").counts.pushed == 1
    wb = openpyxl.load_workbook(book)
    written = wb["Customer"]["G3"].value
    wb.close()
    assert isinstance(written, datetime)
    cursor = ctx.engine.connect().exec_driver_sql(
        "SELECT erp_modified FROM sync_state WHERE connection_id = ?", (cid,)).scalar()
    assert _new_york_wall_clock(cursor) >= written  # the cursor stands at (or past) the write

    # In New York, Excel's macros stamp local `Now` (5 hours behind UTC in writing), a date
    # alone, and a row is deleted: none of it may be skipped.
    _set_cells(book, {(1, "City"): "Bergen",
                      (1, "LastModified"): _new_york_wall_clock(cursor, timedelta(minutes=1)),
                      (3, "City"): "Lund",
                      (3, "LastModified"): _new_york_wall_clock(cursor).date()},
               delete_row=4)
    report = sync(ctx, "Workbook")
    assert report.counts.errors == 0, report.as_dict()
    assert record(ctx, "company", linked[("Customer", "1")][0], "postal_city") == \
        {"postal_city": "Bergen"}
    assert record(ctx, "company", linked[("Customer", "3")][0], "postal_city") == \
        {"postal_city": "Lund"}
    assert links(ctx, cid)[("Customer", "4")][1] == "deleted_in_erp"
    assert links(ctx, cid)[("Customer", "5")][1] == "linked"


def _connect(book: Path, **extra: Any) -> WorkbookConnector:
    connector = WorkbookConnector()
    assert connector.create_connection(CID, {"path": str(book), **extra}).ok
    return connector


def _changed(connector: WorkbookConnector, cursor: Cursor) -> dict[str, tuple[str, bool]]:
    page = connector.actors_changed_since(CID, "Customer", cursor, ["City"]).page
    assert page is not None
    return {k: (m, d) for k, m, d in zip(page.erp_keys, page.last_modified, page.deleted,
                                         strict=True)}


def _macro_book(path: Path) -> Path:
    """Stamps as a workbook's macros write them: naive local date-times (New York)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Customer"
    ws.append(["ID", "Name", "City", "LastModified"])
    for key in (1, 2, 3):
        ws.append([key, f"Klant {key}", "Albany", datetime(2025, 6, 1, 9, key)])
    wb.save(path)
    return path


def test_naive_stamps_are_read_in_the_configured_zone(tmp_path: Path) -> None:
    book = _macro_book(tmp_path / "macros.xlsx")
    connector = _connect(book, time_zone="America/New_York", read_again="0")
    everything = _changed(connector, Cursor())
    assert everything["1"][0] == "2025-06-01T13:01:00.000000Z"  # 09:01 EDT
    saved = connector.save_actors(CID, [Actor(actor_type="Customer", erp_key="2",
                                              values={"City": "Troy"})])
    assert saved.ok, saved.user_message
    after_write = Cursor(last_modified=saved.actors[0].last_modified, erp_key="2")
    # One minute later, on New York's clock, a macro stamps row 3.
    _set_cells(book, {(3, "City"): "Utica", (3, "LastModified"): _new_york_wall_clock(
        after_write.last_modified, timedelta(minutes=1))})
    assert list(_changed(connector, after_write)) == ["3"]


def test_date_only_stamps_are_read_again_within_the_window(tmp_path: Path) -> None:
    book = _macro_book(tmp_path / "macros.xlsx")
    saved = _connect(book, time_zone="America/New_York").save_actors(
        CID, [Actor(actor_type="Customer", erp_key="2", values={"City": "Troy"})])
    assert saved.ok
    after_write = Cursor(last_modified=saved.actors[0].last_modified, erp_key="2")
    today = _new_york_wall_clock(after_write.last_modified).date()
    _set_cells(book, {(3, "City"): "Utica", (3, "LastModified"): today.isoformat()})
    assert list(_changed(_connect(book, time_zone="America/New_York", read_again="0"),
                         after_write)) == []  # a date alone sorts before the cursor...
    default = _changed(_connect(book, time_zone="America/New_York"), after_write)
    assert "3" in default  # ...and the default read-again window (25 h) reads it again
    assert default["3"][0] == _stamp(datetime(today.year, today.month, today.day,
                                              tzinfo=NEW_YORK))


def test_a_deleted_row_is_reported_deleted_once(tmp_path: Path) -> None:
    book = _macro_book(tmp_path / "macros.xlsx")
    connector = _connect(book, read_again="0")
    first = _changed(connector, Cursor())
    assert {k for k, (_, gone) in first.items() if gone} == set()
    high = max((m, k) for k, (m, _) in first.items())
    _set_cells(book, {}, delete_row=2)
    later = _changed(connector, Cursor(last_modified=high[0], erp_key=high[1]))
    assert list(later) == ["2"] and later["2"][1] is True
    gone_at = Cursor(last_modified=later["2"][0], erp_key="2")
    assert _changed(connector, gone_at) == {}
    # A fresh connector (another run) keeps the same stamp: reported once, not per run.
    assert _changed(_connect(book, read_again="0"), gone_at) == {}
    assert state_path(book).exists()
    assert not connector.get_actors(CID, "Customer", ["2"], []).page.erp_keys  # type: ignore[union-attr]
    refused = connector.save_actors(CID, [Actor(actor_type="Customer", erp_key="2",
                                                values={"City": "x"})])
    assert not refused.ok and "deleted" in refused.user_message


# ---- write-back keeps the workbook as it was -------------------------------------------------

PRINTER_BIN = b"\x00DEVMODE-of-a-real-printer" * 40


def _with_printer_settings(path: Path) -> None:
    """Give the Customer sheet a page setup with printer settings, as Excel saves it."""
    source = path.read_bytes()
    import io

    with zipfile.ZipFile(io.BytesIO(source)) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                if 'xmlns:r="' not in text.split(">", 2)[1]:
                    text = text.replace(
                        "<worksheet ", '<worksheet xmlns:r="http://schemas.openxmlformats.org/'
                        'officeDocument/2006/relationships" ', 1)
                text = re.sub(r"<pageSetup[^>]*/>", "", text)
                text = text.replace("</worksheet>", '<pageSetup paperSize="9" orientation='
                                    '"landscape" r:id="rId1"/></worksheet>')
                data = text.encode()
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Default Extension="bin" ContentType="'
                                    b'application/vnd.openxmlformats-officedocument.'
                                    b'spreadsheetml.printerSettings"/></Types>')
            dst.writestr(item, data)
        dst.writestr("xl/worksheets/_rels/sheet1.xml.rels",
                     '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                     'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                     '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                     'officeDocument/2006/relationships/printerSettings" Target="../'
                     'printerSettings/printerSettings1.bin"/></Relationships>')
        dst.writestr("xl/printerSettings/printerSettings1.bin", PRINTER_BIN)


def test_write_back_keeps_cell_types_and_printer_settings(tmp_path: Path) -> None:
    path = tmp_path / "typed.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Customer"
    ws.append(["ID", "Name", "Zip", "Visited", "LastModified"])
    for key in range(1, 4):
        ws.append([key, f"Klant {key}", 10000 + key, datetime(2025, 3, key, 8, 30),
                   datetime(2025, 6, 1, 9, key)])
    wb.save(path)
    _with_printer_settings(path)
    connector = _connect(path, time_zone="UTC")
    fields = {f.key: f for f in connector.actor_fields(CID, "Customer").fields}
    assert fields["Zip"].type is FieldType.TEXT  # a code column: no sums, leading zeros kept
    assert fields["Zip"].description
    made = connector.create_actor(CID, Actor(actor_type="Customer",
                                             values={"Name": "Vier", "Zip": "40004"}))
    assert made.ok, made.user_message
    saved = connector.save_actors(CID, [
        Actor(actor_type="Customer", erp_key="1", values={"Name": "Een"}),
        Actor(actor_type="Customer", erp_key="2", values={"Zip": "20002"}),
        Actor(actor_type="Customer", erp_key="3", values={"Zip": "01234"})])
    assert saved.ok, saved.user_message
    wb = openpyxl.load_workbook(path)
    cells = {r[0].value: r for r in wb["Customer"].iter_rows(min_row=2)}
    assert cells[1][2].value == 10001 and cells[2][2].value == 20002  # numbers stay numbers
    assert cells[3][2].value == "01234"  # a leading zero can only be kept as text
    assert cells[4][2].value == 40004
    for row in cells.values():
        assert isinstance(row[4].value, datetime) and row[4].is_date  # not ISO text
    assert isinstance(cells[1][3].value, datetime) and cells[1][3].is_date
    assert cells[2][4].value == datetime.strptime(saved.actors[1].last_modified,
                                                  "%Y-%m-%dT%H:%M:%S.%fZ")
    wb.close()
    with zipfile.ZipFile(path) as archive:
        assert archive.read("xl/printerSettings/printerSettings1.bin") == PRINTER_BIN
        rels = archive.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        rid = re.search(r'Id="([^"]+)"[^>]*printerSettings1\.bin', rels)
        assert rid is not None
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        assert re.search(rf'<pageSetup[^>]*r:id="{rid.group(1)}"', sheet)
        assert "printerSettings" in archive.read("[Content_Types].xml").decode()
    # The package still opens and reads the same.
    again = _connect(path, time_zone="UTC")
    assert again.get_actors(CID, "Customer", ["3"], ["Zip"]).page.rows == [("01234",)]  # type: ignore[union-attr]


# ---- types are inferred from all rows, and a guess says so -----------------------------------

def test_type_inference_does_not_guess_silently(tmp_path: Path) -> None:
    path = tmp_path / "types.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Customer"
    ws.append(["ID", "Newsletter", "IsActive", "Employees", "Rating", "PostalCode", "Paid"])
    for key in range(1, 31):
        ws.append([key, key % 2, (key + 1) % 2, 10 * key if key > 2 else None,
                   key if key < 3 else None, 7000 + key, "yes" if key % 3 else "no"])
    ws.cell(row=31, column=4).value = "many"  # one text cell among 29 numbers
    wb.save(path)
    fields = {f.key: f for f in _connect(path).actor_fields(CID, "Customer").fields}
    types = {k: f.type for k, f in fields.items()}
    assert types == {"Newsletter": FieldType.INTEGER, "IsActive": FieldType.CHECKBOX,
                     "Employees": FieldType.TEXT, "Rating": FieldType.INTEGER,
                     "PostalCode": FieldType.TEXT, "Paid": FieldType.CHECKBOX}
    assert "0 and 1" in fields["Newsletter"].description
    assert "only 2 filled" in fields["Rating"].description
    assert fields["Employees"].description and fields["PostalCode"].description
    assert fields["IsActive"].description == "" and fields["Paid"].description == ""


# ---- saved settings that change the metadata refresh it --------------------------------------

def test_editing_the_lists_setting_refreshes_field_types(ctx: AppContext,
                                                         tmp_path: Path) -> None:
    book = workbook_erp(tmp_path / "erp.xlsx")
    draft = connections.ConnectionDraft(name="Workbook", connector="workbook",
                                        scope="everyone", values={"path": str(book)})
    cid = connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))

    def country_type() -> FieldType:
        tab = mappings.load_mappings(ctx, cid).tab("Customer")
        return next(r.erp.type for r in tab.rows if r.erp.key == "Country")

    assert country_type() is FieldType.TEXT
    draft = connections.draft_for(ctx, cid)
    draft.values["lists"] = WORKBOOK_LISTS
    connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))
    assert country_type() is FieldType.LIST
    draft = connections.draft_for(ctx, cid)
    draft.values["lists"] = ""
    connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))
    assert country_type() is FieldType.TEXT


def test_type_inference_reads_past_the_first_rows(tmp_path: Path) -> None:
    book = tmp_path / "many.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Customer"
    ws.append(["ID", "Ref"])
    for key in range(1, 501):
        ws.append([key, key if key < 500 else "A-500"])
    wb.save(book)
    (ref,) = _connect(book).actor_fields(CID, "Customer").fields
    assert ref.type is FieldType.TEXT


def test_bad_time_zone_and_window_are_refused(tmp_path: Path) -> None:
    book = _macro_book(tmp_path / "macros.xlsx")
    connector = WorkbookConnector()
    bad_zone = connector.test_config({"path": str(book), "time_zone": "Mars/Olympus"})
    assert not bad_zone.ok and "Time zone" in bad_zone.user_message
    bad_window = connector.test_config({"path": str(book), "read_again": "-5"})
    assert not bad_window.ok and "Read again" in bad_window.user_message
    assert connector.test_config({"path": str(book)}).ok  # default: the machine's zone
