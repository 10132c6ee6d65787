"""Test helper of the ERP tab and ERP search tests: a sample ERP and a SQL ERP (SQLite), each
configured through the services the way an admin would, and admin-side changes to the mapping
(show on ERP tab, show in search, rank) made through the same services as the dialogs."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.services import connections, mappings, ranking
from tests.connectors.sync_support import configure

SAMPLE = "Nordic"
SQL = "SQL ERP"
API_KEY = "demo-key"
SAMPLE_PLAN = {
    "Customer": {"customer_no": ("number1", ">"), "name": ("name", "<>"),
                 "email": ("email", "<"), "country": ("country", "<>"),
                 "category": ("category", ">"), "postal_city": ("postal_city", "<>")},
    "Person": {"firstname": ("firstname", "<>"), "lastname": ("lastname", "<>")},
}
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
      credit_limit: {type: double, label: Credit limit}
      active: {type: checkbox, label: Active}
      since: {type: date, label: Customer since}
  Person:
    table: contact
    key: id
    last_modified: updated_at
    parent: {type: Customer, column: customer_id}
    fields:
      name: {type: text, label: Name}
      email: {type: text, label: E-mail, max_length: 100}
"""
SQL_PLAN = {
    "Customer": {"name": ("name", "<>"), "city": ("postal_city", ">"),
                 "country": ("country", "<>")},
    "Person": {"name": ("lastname", "<>"), "email": ("email", "<>")},
}
STAMP = datetime(2025, 1, 1, 12, 0, 0)


def sample_erp(ctx: AppContext, tmp_path: Path, *, customers: int = 6) -> Path:
    """A sample ERP (a person under every customer) and the active connection SAMPLE."""
    erp_file = tmp_path / "sample-erp.sqlite"
    generate_sample_erp(erp_file, customers=customers, suppliers=0, persons_per_customer=1,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    configure(ctx, SAMPLE, "sample", {"database": str(erp_file), "api_key": API_KEY},
              SAMPLE_PLAN)
    return erp_file


def sql_erp(ctx: AppContext, tmp_path: Path) -> str:
    """A SQLite ERP (3 customers, a contact under the first two) through the SQL connector,
    and the active connection SQL; returns the ERP's URL."""
    url = f"sqlite:///{tmp_path / 'sql-erp.sqlite'}"
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    country = sa.Table("country", metadata, sa.Column("code", sa.String(2), primary_key=True),
                       sa.Column("name", sa.String(60), nullable=False))
    customer = sa.Table(
        "customer", metadata, sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False), sa.Column("city", sa.String(60)),
        sa.Column("country_code", sa.String(2), sa.ForeignKey("country.code")),
        sa.Column("credit_limit", sa.Numeric(12, 2)), sa.Column("active", sa.Boolean),
        sa.Column("since", sa.Date), sa.Column("updated_at", sa.DateTime, nullable=False))
    contact = sa.Table(
        "contact", metadata, sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id")),
        sa.Column("name", sa.String(80)), sa.Column("email", sa.String(120)),
        sa.Column("updated_at", sa.DateTime, nullable=False))
    metadata.create_all(engine)
    rows: list[dict[str, Any]] = [
        {"id": 1, "name": "Klant Een", "city": "Zwolle", "country_code": "NL",
         "credit_limit": 1500.5, "active": True, "since": date(2020, 3, 1)},
        {"id": 2, "name": "Kunde Zwei", "city": "Köln", "country_code": "DE",
         "credit_limit": 250, "active": False, "since": date(2018, 7, 9)},
        {"id": 3, "name": "Klant Drie", "city": "Gent", "country_code": "BE",
         "credit_limit": 9000, "active": True, "since": date(2023, 1, 2)},
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(country), [{"code": "NL", "name": "Netherlands"},
                                          {"code": "DE", "name": "Germany"},
                                          {"code": "BE", "name": "Belgium"}])
        conn.execute(sa.insert(customer), [{**r, "updated_at": STAMP} for r in rows])
        conn.execute(sa.insert(contact), [
            {"id": 1, "customer_id": 1, "name": "Jansen", "email": "jansen@klant.nl",
             "updated_at": STAMP},
            {"id": 2, "customer_id": 2, "name": "Müller", "email": "m@kunde.de",
             "updated_at": STAMP}])
    engine.dispose()
    descriptor = tmp_path / "sql-erp.yaml"
    descriptor.write_text(SQL_DESCRIPTOR, encoding="utf-8")
    configure(ctx, SQL, "sql", {"url": url, "descriptor": str(descriptor)}, SQL_PLAN)
    return url


def set_visibility(ctx: AppContext, name: str, actor_type: str, erp_field: str, *,
                   tab: bool | None = None, search: bool | None = None) -> None:
    """Tick or untick "show on ERP tab" / "show in search" as the mapping dialog does."""
    connections.deactivate(ctx, name)
    state = mappings.load_mappings(ctx, name)
    row = state.tab(actor_type).row(erp_field)
    if tab is not None:
        row.show_on_tab = tab
    if search is not None:
        row.show_in_search = search
    mappings.save_mappings(ctx, state)
    connections.activate(ctx, name)


def move_field(ctx: AppContext, name: str, actor_type: str, erp_field: str, by: int) -> None:
    """Move a field in Rank fields as the rank dialog does."""
    connections.deactivate(ctx, name)
    state = ranking.load_ranking(ctx, name)
    order = [row.erp_field for row in state.tabs[actor_type]]
    ranking.save_ranking(ctx, name, actor_type, ranking.move_field(order, erp_field, by))
    connections.activate(ctx, name)
