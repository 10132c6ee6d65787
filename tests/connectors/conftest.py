"""Fixtures of the SQL connector tests: a throw-away database per test on each backend
(tests.db_support), seeded customers and the descriptor that reads them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from tests.db_support import BACKENDS, create_database

BASE_TIME = datetime(2026, 3, 1, 8, 0, 0, 123456)
CUSTOMERS = 30
TIE_GROUP = 7  # customers per equal updated_at value


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A throw-away database on each backend (dropped after the test)."""
    url, drop = create_database(request.param, tmp_path)
    try:
        yield url
    finally:
        drop()


def stamp_type() -> sa.types.TypeEngine[Any]:
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def build_tables(metadata: sa.MetaData, *, timestamps: bool) -> dict[str, sa.Table]:
    stamp: list[sa.Column[Any]] = \
        [sa.Column("updated_at", stamp_type(), nullable=False)] if timestamps else []
    contact_stamp: list[sa.Column[Any]] = \
        [sa.Column("updated_at", stamp_type(), nullable=False)] if timestamps else []
    country = sa.Table("country", metadata,
                       sa.Column("code", sa.String(2), primary_key=True),
                       sa.Column("name", sa.String(60), nullable=False))
    customer = sa.Table(
        "customer", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("city", sa.String(60)),
        sa.Column("country_code", sa.String(2), sa.ForeignKey("country.code")),
        sa.Column("credit_limit", sa.Numeric(12, 2)),
        sa.Column("active", sa.Boolean),
        sa.Column("since", sa.Date),
        *stamp)
    contact = sa.Table(
        "contact", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id")),
        sa.Column("name", sa.String(80)),
        sa.Column("email", sa.String(120)),
        *contact_stamp)
    return {"country": country, "customer": customer, "contact": contact}


CITIES = ["Amsterdam", "Zürich", "Gent", "Köln", "Utrecht"]
COUNTRIES = {"NL": "Netherlands", "CH": "Switzerland", "BE": "Belgium", "DE": "Germany"}


def seed(url: str, *, timestamps: bool = True) -> dict[str, sa.Table]:
    """Create and fill the test schema: 4 countries, 30 customers, 10 contacts."""
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    tables = build_tables(metadata, timestamps=timestamps)
    metadata.create_all(engine)
    codes = list(COUNTRIES)
    with engine.begin() as conn:
        conn.execute(sa.insert(tables["country"]),
                     [{"code": c, "name": n} for c, n in COUNTRIES.items()])
        rows = []
        for i in range(1, CUSTOMERS + 1):
            row: dict[str, Any] = {
                "id": i, "name": f"Customer {i:02d}", "city": CITIES[i % len(CITIES)],
                "country_code": codes[i % len(codes)], "credit_limit": 1000 + i * 10.5,
                "active": i % 2 == 0, "since": date(2020, 1, 1) + timedelta(days=i)}
            if timestamps:
                # Groups of TIE_GROUP customers share one updated_at (ties across pages).
                row["updated_at"] = BASE_TIME + timedelta(seconds=(i - 1) // TIE_GROUP)
            rows.append(row)
        # Insert in a shuffled key order so physical order is not key order.
        conn.execute(sa.insert(tables["customer"]), rows[::2] + rows[1::2])
        contacts = []
        for i in range(1, 11):
            c: dict[str, Any] = {"id": i, "customer_id": i, "name": f"Contact {i}",
                                 "email": f"c{i}@example.com"}
            if timestamps:
                c["updated_at"] = BASE_TIME
            contacts.append(c)
        conn.execute(sa.insert(tables["contact"]), contacts)
        if conn.dialect.name == "postgresql":
            for table in ("customer", "contact"):
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))"))
    engine.dispose()
    return tables


def descriptor_text(*, timestamps: bool = True) -> str:
    lm = "    last_modified: updated_at\n" if timestamps else ""
    return f"""\
version: 1
lists:
  countries: {{table: country, key: code, text: name}}
actors:
  Customer:
    table: customer
    key: id
{lm}    search: [name, city]
    fields:
      name: {{type: text, label: Name, access: mandatory}}
      city: {{type: text, label: City}}
      country: {{column: country_code, type: list, list: countries, label: Country}}
      credit_limit: {{type: double, label: Credit limit}}
      active: {{type: checkbox}}
      since: {{type: date}}
  Person:
    table: contact
    key: id
{lm}    parent: {{type: Customer, column: customer_id}}
    fields:
      name: text
      email: {{type: text, max_length: 100}}
"""
