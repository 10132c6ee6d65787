"""End-to-end sync through the runner with a `workbook` connection: a workbook made here →
CRM; a CRM change → written back into the .xlsx (checked by reopening it with openpyxl)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl

from erp_tui.context import AppContext

from .erp_builders import WORKBOOK_CUSTOMERS as CUSTOMERS
from .erp_builders import WORKBOOK_HEADER as HEADER
from .erp_builders import WORKBOOK_LISTS, workbook_erp
from .sync_support import configure, counts, edit, error_messages, links, record, sync

PLAN = {"Customer": {"Name": ("name", "<>"), "City": ("postal_city", ">"),
                     "Email": ("email", "<"), "Country": ("country", "<>")}}


def sheet(path: Path) -> dict[int, dict[str, Any]]:
    """ERP key -> header -> cell value, read back from the file with openpyxl."""
    wb = openpyxl.load_workbook(path)
    try:
        rows = list(wb["Customer"].iter_rows(values_only=True))
    finally:
        wb.close()
    header = [str(h) for h in rows[0]]
    assert header == HEADER
    return {int(r[0]): dict(zip(header, r, strict=True)) for r in rows[1:] if r[0] is not None}


def test_workbook_sync_both_ways(ctx: AppContext, tmp_path: Path) -> None:
    book = workbook_erp(tmp_path / "erp ünïcødé.xlsx")
    cid = configure(ctx, "Workbook ERP", "workbook",
                    {"path": str(book), "lists": WORKBOOK_LISTS}, PLAN)

    first = sync(ctx, "Workbook ERP")
    assert (first.counts.created, first.counts.errors) == (5, 0), first.as_dict()
    linked = links(ctx, cid)
    for key, name, city, _email, country, _founded in CUSTOMERS:
        crm_id, state = linked[("Customer", str(key))]
        assert state == "linked"
        assert record(ctx, "company", crm_id, "name", "postal_city", "email", "country") == \
            {"name": name, "postal_city": city, "email": "", "country": country}

    # A change in the workbook (as the ERP would make it) comes in.
    wb = openpyxl.load_workbook(book)
    ws = wb["Customer"]
    ws.cell(row=2, column=3).value = "Tromsø"
    ws.cell(row=2, column=7).value = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    wb.save(book)
    wb.close()
    second = sync(ctx, "Workbook ERP")
    assert (second.counts.updated, second.counts.created, second.counts.errors) == (1, 0, 0), \
        second.as_dict()
    assert record(ctx, "company", linked[("Customer", "1")][0], "postal_city") == \
        {"postal_city": "Tromsø"}

    # CRM changes are written back into the workbook.
    before = sheet(book)
    edit(ctx, "company", linked[("Customer", "2")][0], name="Ærøskøbing Ølhandel – 北京",
         email="ø@ærø.dk")
    edit(ctx, "company", linked[("Customer", "3")][0], country="DE")
    third = sync(ctx, "Workbook ERP")
    assert (third.counts.pushed, third.counts.errors, third.counts.conflicts) == (2, 0, 0), \
        third.as_dict()
    after = sheet(book)
    assert after[2]["Name"] == "Ærøskøbing Ølhandel – 北京" and after[2]["Email"] == "ø@ærø.dk"
    assert after[3]["Country"] == "DE"
    for key in (2, 3):  # a date-time cell in the machine's zone, newer than the old stamp
        written = after[key]["LastModified"]
        assert isinstance(written, datetime) and written.tzinfo is None
        assert written.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") > \
            before[key]["LastModified"]
    # Every other cell is what it was: non-ASCII text intact, dates still dates.
    for key, row in before.items():
        for column, value in row.items():
            if (key, column) in {(2, "Name"), (2, "Email"), (3, "Country"),
                                 (2, "LastModified"), (3, "LastModified")}:
                continue
            assert after[key][column] == value, (key, column)
    for key, *_rest, founded in CUSTOMERS:
        assert isinstance(after[key]["Founded"], datetime)
        assert after[key]["Founded"].date() == founded

    fourth = sync(ctx, "Workbook ERP")
    c = counts(fourth)
    assert (c["created"], c["updated"], c["pushed"], c["errors"]) == (0, 0, 0, 0), c
    assert error_messages(ctx, "Workbook ERP") == []
