"""Throughput of the SQL connector on PostgreSQL (actors per second).

    .venv/bin/python bench/bench_sql_connector.py [--actors 100000] [--updates 10000]

Creates a throw-away database (admin URL: env ERP_TUI_TEST_PG_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres), loads a customer table of ~10 fields,
reads every page with actors_changed_since (timestamp column), updates actors with save_actors in
batches, then does the same read on a copy of the table without a timestamp column (fingerprint
change detection: first full scan, then a scan that finds nothing). Drops the database after.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from erp_tui.connectors.sql.connector import SqlConnector
from erp_tui.contract import Actor, Cursor

ADMIN_URL = os.environ.get("ERP_TUI_TEST_PG_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
FIELDS = ["name", "street", "city", "zip", "country", "phone", "email", "credit_limit",
          "active", "since"]

DESCRIPTOR = """\
actors:
  Customer:
    table: customer
    key: id
    last_modified: updated_at
    fields: &fields
      name: text
      street: text
      city: text
      zip: text
      country: text
      phone: text
      email: text
      credit_limit: double
      active: checkbox
      since: date
  Account:
    table: account
    key: id
    fields: *fields
"""


def _table(metadata: sa.MetaData, name: str, *, stamp: bool) -> sa.Table:
    extra = [sa.Column("updated_at", sa.DateTime, nullable=False, index=False)] if stamp else []
    table = sa.Table(
        name, metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80)), sa.Column("street", sa.String(80)),
        sa.Column("city", sa.String(60)), sa.Column("zip", sa.String(10)),
        sa.Column("country", sa.String(2)), sa.Column("phone", sa.String(30)),
        sa.Column("email", sa.String(120)), sa.Column("credit_limit", sa.Numeric(12, 2)),
        sa.Column("active", sa.Boolean), sa.Column("since", sa.Date), *extra)
    if stamp:
        sa.Index(f"ix_{name}_cursor", table.c.updated_at, table.c.id)
    return table


def _rows(count: int, *, stamp: bool) -> list[dict[str, Any]]:
    base = datetime(2025, 1, 1)
    rows = []
    for i in range(1, count + 1):
        row: dict[str, Any] = {
            "id": i, "name": f"Customer {i}", "street": f"Main street {i % 500}",
            "city": f"City {i % 97}", "zip": f"{1000 + i % 8999}", "country": "NL",
            "phone": f"+31 20 {i:07d}", "email": f"c{i}@example.com",
            "credit_limit": (i % 1000) * 10.5, "active": i % 3 != 0,
            "since": date(2000, 1, 1) + timedelta(days=i % 9000)}
        if stamp:
            row["updated_at"] = base + timedelta(milliseconds=i // 3)  # ties of three
        rows.append(row)
    return rows


def _read_all(connector: SqlConnector, actor_type: str, page_size: int,
              cursor: Cursor | None = None) -> tuple[int, Cursor]:
    cursor, total = cursor or Cursor(), 0
    while True:
        result = connector.actors_changed_since(1, actor_type, cursor, FIELDS, page_size)
        if not result.ok or result.page is None:
            raise SystemExit(f"read failed: {result.tech_message}")
        total += len(result.page)
        if result.page.erp_keys:
            cursor = Cursor(last_modified=result.page.last_modified[-1],
                            erp_key=result.page.erp_keys[-1])
        if result.page.next_cursor is None:
            return total, cursor
        cursor = result.page.next_cursor


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, default=100_000)
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1000, help="actors per save_actors call")
    parser.add_argument("--page-size", type=int, default=5000)
    args = parser.parse_args()

    name = f"erp_tui_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    connector = SqlConnector()
    try:
        engine = sa.create_engine(url)
        metadata = sa.MetaData()
        customer = _table(metadata, "customer", stamp=True)
        account = _table(metadata, "account", stamp=False)
        metadata.create_all(engine)
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(sa.insert(customer), _rows(args.actors, stamp=True))
            conn.execute(sa.insert(account), _rows(args.actors, stamp=False))
            conn.execute(sa.text("ANALYZE"))
        load = time.perf_counter() - started
        engine.dispose()
        with tempfile.TemporaryDirectory() as tmp:
            descriptor = Path(tmp) / "bench.yaml"
            descriptor.write_text(DESCRIPTOR, encoding="utf-8")
            created = connector.create_connection(1, {
                "url": url, "descriptor": str(descriptor), "page_size": args.page_size})
            if not created.ok:
                raise SystemExit(created.tech_message)
            print(f"PostgreSQL, {args.actors:,} actors of {len(FIELDS)} fields, pages of "
                  f"{args.page_size} (load via SQLAlchemy: {load:.1f} s)")

            started = time.perf_counter()
            total, _cursor = _read_all(connector, "Customer", args.page_size)
            read = time.perf_counter() - started
            print(f"read (timestamp column): {total:,} actors in {read:.2f} s = "
                  f"{total / read:,.0f} actors/s")

            stamp = datetime.now(UTC).isoformat()
            batches = []
            for start in range(0, args.updates, args.batch):
                batches.append([Actor(actor_type="Customer", erp_key=str(k * 7 % args.actors + 1),
                                      values={"city": f"Updated {k} {stamp[:19]}",
                                              "credit_limit": k * 1.5})
                                for k in range(start, min(start + args.batch, args.updates))])
            started = time.perf_counter()
            saved = 0
            for batch in batches:
                result = connector.save_actors(1, batch)
                if not result.ok:
                    raise SystemExit(f"save failed: {result.tech_message}")
                saved += len(result.actors)
            write = time.perf_counter() - started
            print(f"write (save_actors, {args.batch} per call, read back included): "
                  f"{saved:,} actors in {write:.2f} s = {saved / write:,.0f} actors/s")

            started = time.perf_counter()
            total, cursor = _read_all(connector, "Account", args.page_size)
            first = time.perf_counter() - started
            print(f"read (no timestamp, first scan + fingerprints): {total:,} actors in "
                  f"{first:.2f} s = {total / first:,.0f} actors/s")
            started = time.perf_counter()
            total, cursor = _read_all(connector, "Account", args.page_size, cursor)
            rescan = time.perf_counter() - started
            print(f"incremental read, no timestamp, nothing changed (full scan): "
                  f"{args.actors:,} rows compared in {rescan:.2f} s = "
                  f"{args.actors / rescan:,.0f} rows/s ({total} changes)")
            with sa.create_engine(url).begin() as conn:
                conn.execute(sa.update(account).where(account.c.id % 10 == 0)
                             .values(city="Changed"))
            started = time.perf_counter()
            total, cursor = _read_all(connector, "Account", args.page_size, cursor)
            changed = time.perf_counter() - started
            print(f"incremental read, no timestamp, 10% changed: scan + {total:,} changed "
                  f"actors in {changed:.2f} s")
            connector.close()
    finally:
        connector.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
