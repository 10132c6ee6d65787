"""Benchmark: generate a sample ERP with 1,000,000 customers, then page through all of them.

Run: PYTHONPATH=. python bench/bench_sample_generate.py [customers] [path]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from erp_tui.connectors.sample import SampleConnector
from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.contract import Cursor

FIELDS = ["customer_no", "name", "orgno", "vatno", "phone", "email", "url", "postal_address1",
          "postal_zip", "postal_city", "country", "category", "payment_terms", "currency",
          "credit_limit", "blocked", "created"]


def main() -> None:
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    path = Path(sys.argv[2]) if len(sys.argv) > 2 else \
        Path(tempfile.mkdtemp()) / "bench-erp.sqlite"
    summary = generate_sample_erp(path, customers=customers, persons_per_customer=0,
                                  overwrite=True)
    print(f"generate {customers:,} customers: {summary.seconds:.2f} s "
          f"({path.stat().st_size / 1e6:.0f} MB)")
    connector = SampleConnector()
    connector.create_connection(1, {"database": str(path), "api_key": "demo-key"})
    for width in (5, 15, 17):
        started = time.perf_counter()
        cursor, count = Cursor(), 0
        while True:
            result = connector.actors_changed_since(1, "Customer", cursor, FIELDS[:width])
            assert result.ok and result.page is not None, result.user_message
            count += len(result.page)
            if result.page.next_cursor is None:
                break
            cursor = result.page.next_cursor
        print(f"read {count:,} customers x {width} fields in pages of 5000: "
              f"{time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
