"""`connector scaffold-sql` on a classic ERP schema: every drafted actor type is one the CRM
syncs (the others are left out with a comment), lists only over small code tables, binary
columns left out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from erp_tui.connectors.sql.scaffold import scaffold_text
from erp_tui.context import AppContext
from erp_tui.contract import UNSYNCED_ACTOR_TYPES
from erp_tui.crm_catalog import DEFAULT_ENTITY_FOR_ACTOR
from erp_tui.services import connections, mappings

from .conftest import create_database

STAMP = datetime(2026, 3, 1, 8, 0, 0)


def _classic_erp(url: str) -> None:
    """Employees, 830 orders, products, categories with long texts, shippers, customers with
    a logo (binary), contacts."""
    engine = sa.create_engine(url)
    md = sa.MetaData()
    text = sa.String(40)
    shippers = sa.Table("shippers", md, sa.Column("shipper_id", sa.Integer, primary_key=True),
                        sa.Column("company_name", text, nullable=False))
    categories = sa.Table("categories", md,
                          sa.Column("category_id", sa.Integer, primary_key=True),
                          sa.Column("description", sa.Text))
    employees = sa.Table("employees", md, sa.Column("employee_id", sa.Integer, primary_key=True),
                         sa.Column("last_name", sa.String(20), nullable=False),
                         sa.Column("first_name", sa.String(10)),
                         sa.Column("title", sa.String(30)),
                         sa.Column("photo", sa.LargeBinary))
    customers = sa.Table(
        "customers", md, sa.Column("customer_id", sa.Integer, primary_key=True),
        sa.Column("company_name", text, nullable=False), sa.Column("city", sa.String(15)),
        sa.Column("shipper_id", sa.Integer, sa.ForeignKey("shippers.shipper_id")),
        sa.Column("category_id", sa.Integer, sa.ForeignKey("categories.category_id")),
        sa.Column("last_order_id", sa.Integer),  # FK added below (orders refer back)
        sa.Column("logo", sa.LargeBinary),
        sa.Column("updated_at", sa.DateTime, nullable=False))
    orders = sa.Table("orders", md, sa.Column("order_id", sa.Integer, primary_key=True),
                      sa.Column("customer_id", sa.Integer,
                                sa.ForeignKey("customers.customer_id")),
                      sa.Column("employee_id", sa.Integer,
                                sa.ForeignKey("employees.employee_id")),
                      sa.Column("order_date", sa.Date), sa.Column("ship_name", text))
    products = sa.Table("products", md, sa.Column("product_id", sa.Integer, primary_key=True),
                        sa.Column("product_name", text, nullable=False),
                        sa.Column("category_id", sa.Integer,
                                  sa.ForeignKey("categories.category_id")),
                        sa.Column("unit_price", sa.Numeric(10, 2)))
    contacts = sa.Table("contacts", md, sa.Column("contact_id", sa.Integer, primary_key=True),
                        sa.Column("customer_id", sa.Integer,
                                  sa.ForeignKey("customers.customer_id")),
                        sa.Column("contact_name", sa.String(30)),
                        sa.Column("updated_at", sa.DateTime, nullable=False))
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(shippers), [{"shipper_id": i, "company_name": f"Shipper {i}"}
                                           for i in (1, 2, 3)])
        conn.execute(sa.insert(categories), [{"category_id": i, "description": "Long " * 40}
                                             for i in range(1, 9)])
        conn.execute(sa.insert(employees), [
            {"employee_id": i, "last_name": f"Name{i}", "photo": b"\x89PNG\x00" * 10}
            for i in range(1, 10)])
        conn.execute(sa.insert(customers), [
            {"customer_id": i, "company_name": f"Klant {i}", "city": "Zwolle",
             "shipper_id": 1 + i % 3, "category_id": 1, "logo": b"\x00\xff",
             "updated_at": STAMP} for i in range(1, 11)])
        conn.execute(sa.insert(orders), [
            {"order_id": 10248 + i, "customer_id": 1 + i % 10, "employee_id": 1 + i % 9,
             "order_date": date(2024, 1, 1) + timedelta(days=i), "ship_name": f"Ship {i}"}
            for i in range(830)])
        conn.execute(sa.insert(products), [
            {"product_id": i, "product_name": f"Product {i}", "category_id": 1 + i % 8}
            for i in range(1, 78)])
        conn.execute(sa.insert(contacts), [
            {"contact_id": i, "customer_id": i, "contact_name": f"Contact {i}",
             "updated_at": STAMP} for i in range(1, 6)])
        conn.execute(sa.update(customers).values(last_order_id=10248))
    engine.dispose()
    # The customers -> orders foreign key, added once both tables exist.
    engine = sa.create_engine(url)
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE customers ADD CONSTRAINT fk_last_order FOREIGN "
                                 "KEY (last_order_id) REFERENCES orders (order_id)"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def erp_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url, drop = create_database(request.param, tmp_path)
    _classic_erp(url)
    yield url
    drop()


def test_scaffold_drafts_only_syncable_actor_types(erp_url: str, ctx: AppContext,
                                                  tmp_path: Path) -> None:
    text = scaffold_text(erp_url)
    data = yaml.safe_load(text)
    comments = [line for line in text.splitlines() if line.startswith("#")]
    actors = data["actors"]
    assert set(actors) == {"Customer", "Person"}
    assert all(a in DEFAULT_ENTITY_FOR_ACTOR and a not in UNSYNCED_ACTOR_TYPES for a in actors)
    assert actors["Person"]["table"] == "contacts"
    assert actors["Person"]["parent"] == {"type": "Customer", "column": "customer_id"}
    said = "\n".join(comments)
    assert "table employees: left out; 'Employee' is an actor type the CRM never syncs." in said
    assert "table orders: left out; 'Order' is not an actor type the CRM syncs" in said
    assert "table products: left out; 'Product' is not an actor type the CRM syncs" in said

    # Lists only over small code tables with short texts.
    assert set(data["lists"]) == {"shippers"}
    fields = actors["Customer"]["fields"]
    assert fields["shipper_id"]["list"] == "shippers"
    assert fields["category_id"]["type"] == "integer"
    assert "texts over 100 characters" in said
    if not erp_url.startswith("sqlite"):  # SQLite reflects no FK added afterwards
        assert fields["last_order_id"]["type"] == "integer"
        assert "Customer.last_order_id: no list over table orders, as it has more than 200 " \
               "rows." in said
    # Binary columns are left out, with a reason.
    assert "logo" not in fields
    assert any("Customer.logo: left out; a binary column" in line for line in comments)

    # Saved as a connection, every drafted actor type gets its tab in the mappings.
    descriptor = tmp_path / "erp.yaml"
    descriptor.write_text(text, encoding="utf-8")
    draft = connections.ConnectionDraft(name="Classic", connector="sql", scope="everyone",
                                        values={"url": erp_url, "descriptor": str(descriptor)})
    outcome = connections.test_draft(ctx, draft)
    assert outcome.ok, outcome.message
    cid = connections.save_draft(ctx, draft, outcome)
    tabs = {t.actor_type for t in mappings.load_mappings(ctx, cid).tabs}
    assert tabs == set(actors)
