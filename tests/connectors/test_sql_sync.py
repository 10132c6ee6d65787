"""End-to-end sync through the runner with an `sql` connection, on SQLite, PostgreSQL and MariaDB.

The test makes its own ERP database (throw-away; PostgreSQL and MariaDB must be running: the
tests fail, never skip, when a server is missing) with a `customer` table that has a
last-modified column and a `supplier` table without any timestamp (fingerprint mode), plus a
country list table, writes the descriptor file, configures the connection through the services
and runs `run_sync` again and again while both sides change. Both tables also carry a
soft-delete column (`customer.is_deleted`, `supplier.deleted_at`), named only by
`SOFT_DELETE_DESCRIPTOR`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from erp_tui.context import AppContext
from erp_tui.runner import ProgressEvent

from .conftest import BACKENDS, create_database, stamp_type
from .sync_support import (
    configure,
    counts,
    edit,
    error_messages,
    links,
    record,
    sync,
)

HOSTILE = [
    "O'Brien \"; DROP TABLE customer; --",
    "Robert'); DELETE FROM supplier WHERE ('1'='1",
    "Zoë 🚀 ünïcødé — ß «ñ»",
    "50%_off \\ back; -- 'x'",
]
COUNTRIES = {"NL": "Netherlands", "DE": "Germany", "BE": "Belgium", "SE": "Sweden"}
CITIES = ["Amsterdam", "Zürich", "Gent", "Köln", "Malmö", "Utrecht"]
OLD = datetime(2025, 1, 15, 12, 0, 0, 250000)
FIELDS = "name, city, email, country_code"
PLAN_FIELDS = {"name": ("name", "<>"), "city": ("postal_city", ">"), "email": ("email", "<"),
               "country": ("country", "<>")}
DESCRIPTOR = """\
version: 1
lists:
  countries: {table: country, key: code, text: name, order: code}
actors:
  Customer:
    table: customer
    key: id
    last_modified: updated_at
    fields:
      name: {type: text, label: Name, access: mandatory}
      city: {type: text, label: City}
      email: {type: text, label: E-mail}
      country: {column: country_code, type: list, list: countries, label: Country}
  Supplier:
    table: supplier
    key: id
    fields:
      name: {type: text, label: Name, access: mandatory}
      city: {type: text, label: City}
      email: {type: text, label: E-mail}
      country: {column: country_code, type: list, list: countries, label: Country}
"""
SOFT_DELETE_DESCRIPTOR = DESCRIPTOR.replace(
    "    last_modified: updated_at\n",
    "    last_modified: updated_at\n    deleted: is_deleted\n").replace(
    "    table: supplier\n", "    table: supplier\n    deleted: deleted_at\n")


class Erp:
    """The ERP database of one test, seen through plain SQL."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)
        metadata = sa.MetaData()
        self.country = sa.Table("country", metadata,
                                sa.Column("code", sa.String(2), primary_key=True),
                                sa.Column("name", sa.String(60), nullable=False))

        def columns() -> list[sa.Column[Any]]:
            return [sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("name", sa.String(80), nullable=False),
                    sa.Column("city", sa.String(60)),
                    sa.Column("email", sa.String(120)),
                    sa.Column("country_code", sa.String(2), sa.ForeignKey("country.code"))]

        self.customer = sa.Table("customer", metadata, *columns(),
                                 sa.Column("updated_at", stamp_type(), nullable=False),
                                 sa.Column("is_deleted", sa.Boolean))
        self.supplier = sa.Table("supplier", metadata, *columns(),
                                 sa.Column("deleted_at", stamp_type()))
        metadata.create_all(self.engine)
        codes = list(COUNTRIES)
        with self.engine.begin() as conn:
            conn.execute(sa.insert(self.country),
                         [{"code": c, "name": n} for c, n in COUNTRIES.items()])
            conn.execute(sa.insert(self.customer), [
                {"id": i, "name": f"Kunde {i} GmbH", "city": CITIES[i % len(CITIES)],
                 "email": f"k{i}@erp.example", "country_code": codes[i % len(codes)],
                 "updated_at": OLD + timedelta(seconds=i // 3)} for i in range(1, 9)])
            conn.execute(sa.insert(self.supplier), [
                {"id": i, "name": f"Lieferant {i} AG", "city": CITIES[-i % len(CITIES)],
                 "email": f"s{i}@erp.example", "country_code": codes[-i % len(codes)]}
                for i in range(1, 7)])

    def rows(self, table: sa.Table) -> dict[str, tuple[Any, ...]]:
        """ERP key -> (name, city, email, country_code)."""
        with self.engine.connect() as conn:
            return {str(r[0]): tuple(r[1:]) for r in conn.execute(
                sa.select(table.c.id, table.c.name, table.c.city, table.c.email,
                          table.c.country_code))}

    def stamps(self) -> dict[str, datetime]:
        with self.engine.connect() as conn:
            return {str(r[0]): r[1] for r in conn.execute(
                sa.select(self.customer.c.id, self.customer.c.updated_at))}

    def change(self, table: sa.Table, key: int, **values: Any) -> None:
        if table is self.customer:
            values["updated_at"] = datetime.now(UTC).replace(tzinfo=None)
        with self.engine.begin() as conn:
            assert conn.execute(sa.update(table).where(table.c.id == key)
                                .values(**values)).rowcount == 1

    def insert(self, table: sa.Table, **values: Any) -> None:
        if table is self.customer:
            values["updated_at"] = datetime.now(UTC).replace(tzinfo=None)
        with self.engine.begin() as conn:
            conn.execute(sa.insert(table).values(**values))

    def delete(self, table: sa.Table, key: int) -> None:
        with self.engine.begin() as conn:
            assert conn.execute(sa.delete(table).where(table.c.id == key)).rowcount == 1


@pytest.fixture(params=BACKENDS)
def erp(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Erp, str]]:
    url, drop = create_database(request.param, tmp_path)
    database = Erp(url)
    try:
        yield database, url
    finally:
        database.engine.dispose()
        drop()


def crm_view(ctx: AppContext, crm_id: int) -> tuple[Any, ...]:
    values = record(ctx, "company", crm_id, "name", "postal_city", "email", "country")
    return tuple(values.values())


def configure_sql_erp(ctx: AppContext, url: str, tmp_path: Path, descriptor_text: str) -> int:
    """Connection "SQL ERP" over `url` with this descriptor, pages of 3, both actors mapped."""
    descriptor = tmp_path / "erp.yaml"
    descriptor.write_text(descriptor_text, encoding="utf-8")
    return configure(ctx, "SQL ERP", "sql", {"url": url, "descriptor": str(descriptor),
                                             "page_size": 3},
                     {"Customer": PLAN_FIELDS, "Supplier": PLAN_FIELDS})


def test_sql_sync_both_ways(ctx: AppContext, erp: tuple[Erp, str], tmp_path: Path) -> None:
    db, url = erp
    cid = configure_sql_erp(ctx, url, tmp_path, DESCRIPTOR)
    names = {"Customer": db.customer, "Supplier": db.supplier}

    # ---- run 1: every ERP actor becomes a CRM company ----------------------------------------
    first = sync(ctx, "SQL ERP")
    assert counts(first) == {**counts(first), "created": 14, "errors": 0}, first.as_dict()
    linked = links(ctx, cid)
    assert len(linked) == 14 and {s for _, s in linked.values()} == {"linked"}
    for actor_type, table in names.items():
        for key, (name, city, _email, country) in db.rows(table).items():
            crm_id = linked[(actor_type, key)][0]
            # email flows CRM→ERP only: the new CRM record does not get it.
            assert crm_view(ctx, crm_id) == (name, city, "", country), (actor_type, key)
    again = counts(sync(ctx, "SQL ERP"))
    assert (again["created"], again["updated"], again["pushed"], again["errors"]) == \
        (0, 0, 0, 0), again

    # ---- run 2: ERP rows change, appear and disappear ----------------------------------------
    db.change(db.customer, 2, name="Kunde Zwei Düsseldorf", city="Düsseldorf")
    db.change(db.customer, 3, name=HOSTILE[0], country_code="SE")
    db.insert(db.customer, id=9, name="Neukunde Ångström", city="Umeå", email="n9@erp.example",
              country_code="SE")
    db.delete(db.customer, 8)
    db.change(db.supplier, 2, city="Brügge")
    db.change(db.supplier, 3, name=HOSTILE[2])
    db.insert(db.supplier, id=7, name="Nieuwe Leverancier", city="Gent", email=None,
              country_code="BE")
    db.delete(db.supplier, 6)
    second = sync(ctx, "SQL ERP")
    c = counts(second)
    assert (c["created"], c["updated"], c["deleted"], c["errors"], c["pushed"]) == \
        (2, 4, 1, 0, 0), second.as_dict()
    linked = links(ctx, cid)
    assert len(linked) == 16
    for actor_type, table in names.items():
        for key, (name, city, _email, country) in db.rows(table).items():
            assert crm_view(ctx, linked[(actor_type, key)][0]) == (name, city, "", country)
    assert crm_view(ctx, linked[("Customer", "2")][0])[:2] == \
        ("Kunde Zwei Düsseldorf", "Düsseldorf")
    assert crm_view(ctx, linked[("Customer", "3")][0])[::3] == (HOSTILE[0], "SE")
    assert crm_view(ctx, linked[("Customer", "9")][0]) == \
        ("Neukunde Ångström", "Umeå", "", "SE")
    assert crm_view(ctx, linked[("Supplier", "2")][0])[1] == "Brügge"
    assert crm_view(ctx, linked[("Supplier", "3")][0])[0] == HOSTILE[2]
    assert crm_view(ctx, linked[("Supplier", "7")][0]) == ("Nieuwe Leverancier", "Gent", "", "BE")
    # Deleted in the ERP: the link is marked, the CRM record stays.
    gone_id, state = linked[("Supplier", "6")]
    assert state == "deleted_in_erp"
    assert crm_view(ctx, gone_id)[0] == "Lieferant 6 AG"
    # A table with a last-modified column cannot show deletions (docs/sql-connector.md):
    # the link stays, nothing is lost.
    assert linked[("Customer", "8")][1] == "linked"
    assert crm_view(ctx, linked[("Customer", "8")][0])[0] == "Kunde 8 GmbH"

    # ---- run 3: CRM changes are pushed into the ERP tables -----------------------------------
    before = {actor: db.rows(table) for actor, table in names.items()}
    stamps_before = db.stamps()
    edit(ctx, "company", linked[("Customer", "1")][0], name=HOSTILE[1],
         email="o'hara;--@crm.example")
    edit(ctx, "company", linked[("Customer", "4")][0], country="BE", email="ünï@crm.example")
    edit(ctx, "company", linked[("Supplier", "1")][0], name=HOSTILE[3], email="x'; --")
    edit(ctx, "company", linked[("Supplier", "7")][0], email="Zoë 🚀 <z@crm.example>")
    third = sync(ctx, "SQL ERP")
    c = counts(third)
    assert (c["pushed"], c["errors"], c["created"], c["updated"], c["conflicts"]) == \
        (4, 0, 0, 0, 0), third.as_dict()
    after = {actor: db.rows(table) for actor, table in names.items()}
    want = {actor: dict(rows) for actor, rows in before.items()}
    want["Customer"]["1"] = (HOSTILE[1], *before["Customer"]["1"][1:2],
                             "o'hara;--@crm.example", before["Customer"]["1"][3])
    want["Customer"]["4"] = (*before["Customer"]["4"][:2], "ünï@crm.example", "BE")
    want["Supplier"]["1"] = (HOSTILE[3], before["Supplier"]["1"][1], "x'; --",
                             before["Supplier"]["1"][3])
    want["Supplier"]["7"] = (*before["Supplier"]["7"][:2], "Zoë 🚀 <z@crm.example>", "BE")
    assert after == want  # exactly these rows changed, every other row is untouched
    stamps_after = db.stamps()
    assert {k for k in stamps_after if stamps_after[k] != stamps_before[k]} == {"1", "4"}
    with db.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(db.country)).scalar_one() == 4

    # ---- run 4: nothing left to do; the pushes do not come back as ERP changes ---------------
    fourth = sync(ctx, "SQL ERP")
    c = counts(fourth)
    assert (c["created"], c["updated"], c["pushed"], c["errors"], c["conflicts"]) == \
        (0, 0, 0, 0, 0), fourth.as_dict()
    assert crm_view(ctx, linked[("Customer", "1")][0]) == \
        (HOSTILE[1], before["Customer"]["1"][1], "o'hara;--@crm.example",
         before["Customer"]["1"][3])
    assert error_messages(ctx, "SQL ERP") == []
    assert len(links(ctx, cid)) == 16


def test_first_sync_progress_counts_against_the_size_the_erp_tells(
        ctx: AppContext, erp: tuple[Erp, str], tmp_path: Path) -> None:
    """8 customers (timestamps) and 6 suppliers (fingerprints), read 3 at a time: the first
    page's `remaining` makes every fraction a true share of the rows."""
    _db, url = erp
    configure_sql_erp(ctx, url, tmp_path, DESCRIPTOR)
    events: list[ProgressEvent] = []
    sync(ctx, "SQL ERP", progress=events.append)
    fractions: dict[str, list[float | None]] = {}
    for event in events:
        if event.phase == "ERP → CRM":
            fractions.setdefault(event.actor_type, []).append(event.fraction)
    assert fractions == {"Customer": [3 / 8, 6 / 8, 1.0], "Supplier": [0.5, 1.0]}


def test_a_soft_delete_marks_the_link_deleted_in_erp(ctx: AppContext, erp: tuple[Erp, str],
                                                     tmp_path: Path) -> None:
    """A row the ERP flags deleted (customer: boolean flag and a bumped timestamp; supplier:
    deleted_at, fingerprint mode) marks its link "deleted in ERP"; the CRM record stays."""
    db, url = erp
    cid = configure_sql_erp(ctx, url, tmp_path, SOFT_DELETE_DESCRIPTOR)
    first = sync(ctx, "SQL ERP")
    assert counts(first) == {**counts(first), "created": 14, "errors": 0}, first.as_dict()
    customer, supplier = db.rows(db.customer)["2"], db.rows(db.supplier)["3"]
    db.change(db.customer, 2, is_deleted=True)  # bumps updated_at, as ERPs do
    db.change(db.supplier, 3, deleted_at=datetime.now(UTC).replace(tzinfo=None))
    second = sync(ctx, "SQL ERP")
    c = counts(second)
    assert (c["deleted"], c["created"], c["updated"], c["pushed"], c["errors"]) == \
        (2, 0, 0, 0, 0), second.as_dict()
    linked = links(ctx, cid)
    assert {k: state for k, (_id, state) in linked.items() if state != "linked"} == {
        ("Customer", "2"): "deleted_in_erp", ("Supplier", "3"): "deleted_in_erp"}
    name, city, _email, country = customer
    assert crm_view(ctx, linked[("Customer", "2")][0]) == (name, city, "", country)
    name, city, _email, country = supplier
    assert crm_view(ctx, linked[("Supplier", "3")][0]) == (name, city, "", country)
    # Reported once: the next run has nothing to do.
    third = counts(sync(ctx, "SQL ERP"))
    assert (third["deleted"], third["created"], third["updated"], third["errors"]) == \
        (0, 0, 0, 0), third
    assert error_messages(ctx, "SQL ERP") == []
