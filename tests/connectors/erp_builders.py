"""Small ERPs made by the tests: a SQLite database with its descriptor file, and a workbook."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import sqlalchemy as sa

SQL_DESCRIPTOR = """\
version: 1
lists:
  countries: {table: country, key: code, text: name}
actors:
  Customer:
    table: customer
    key: id
    last_modified: updated_at
    fields:
      name: {type: text, label: Name, access: mandatory}
      city: {type: text, label: City}
      country: {column: country_code, type: list, list: countries, label: Country}
"""

WORKBOOK_HEADER = ["ID", "Name", "City", "Email", "Country", "Founded", "LastModified"]
WORKBOOK_CUSTOMERS = [
    (1, "Ålesund Fisk AS", "Ålesund", "post@fisk.no", "NO", date(1999, 2, 28)),
    (2, "Müller GmbH", "Köln", "info@müller.de", "DE", date(2004, 7, 1)),
    (3, "Øresund ApS", "Malmö", "hej@oresund.se", "SE", date(2012, 12, 31)),
    (4, "北京贸易", "北京", "trade@example.cn", "NO", date(1988, 8, 8)),
    (5, "Café Noël", "Göteborg", "noel@café.se", "SE", date(2020, 2, 29)),
]
WORKBOOK_LISTS = "Customer.Country=Countries"


def sqlite_erp(folder: Path, descriptor: str = SQL_DESCRIPTOR) -> tuple[str, Path]:
    """A SQLite ERP (3 customers, 2 countries) and its descriptor file: (URL, descriptor)."""
    url = f"sqlite:///{folder / 'erp.sqlite'}"
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    country = sa.Table("country", metadata, sa.Column("code", sa.String(2), primary_key=True),
                       sa.Column("name", sa.String(60), nullable=False))
    customer = sa.Table("customer", metadata,
                        sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("name", sa.String(80), nullable=False),
                        sa.Column("city", sa.String(60)),
                        sa.Column("country_code", sa.String(2), sa.ForeignKey("country.code")),
                        sa.Column("updated_at", sa.DateTime, nullable=False))
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(country), [{"code": "NL", "name": "Netherlands"},
                                          {"code": "DE", "name": "Germany"}])
        conn.execute(sa.insert(customer), [
            {"id": i, "name": f"Klant {i}", "city": "Zwolle", "country_code": "NL",
             "updated_at": datetime(2025, 1, 1, 12, 0, i)} for i in (1, 2, 3)])
    engine.dispose()
    path = folder / "erp.yaml"
    path.write_text(descriptor, encoding="utf-8")
    return url, path


def workbook_erp(path: Path) -> Path:
    """A workbook with a Customer sheet (non-ASCII text, dates) and a Countries list sheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Customer"
    ws.append(WORKBOOK_HEADER)
    for i, row in enumerate(WORKBOOK_CUSTOMERS):
        ws.append([*row, f"2025-01-0{i + 1}T10:00:00.000000Z"])
    countries = wb.create_sheet("Countries")
    countries.append(["ID", "Text"])
    for key, text in (("NO", "Norge"), ("DE", "Deutschland"), ("SE", "Sverige")):
        countries.append([key, text])
    wb.save(path)
    return path
