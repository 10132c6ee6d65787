"""Benchmark of the runner (issue 4): 1,000,000 sample customers, ~15 mapped fields.

Generates the sample ERP, runs the initial sync into an empty CRM, changes 1,000 actors in the
ERP and 1,000 records in the CRM, runs the incremental sync, and loads the same rows with dlt
(sql_database source, pyarrow backend, SQLite destination) for comparison. Prints times,
actors per second and peak memory (the runner's and its page-reader process's). Not part of
the tests:

    python bench/bench_sync.py [--customers 1000000] [--no-dlt] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAPPED = {
    # erp field -> (crm field, direction)
    "customer_no": ("number1", ">"), "name": ("name", "<>"), "orgno": ("number2", ">"),
    "vatno": ("vatno", "<>"), "phone": ("phone", "<>"), "email": ("email", "<>"),
    "url": ("url", ">"), "postal_address1": ("postal_address1", "<>"),
    "postal_zip": ("postal_zip", "<>"), "postal_city": ("postal_city", "<>"),
    "country": ("country", "<>"), "category": ("category", ">"), "note": ("department", "<"),
    "created": ("street_address1", None), "currency": ("business", None),
}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def configure(ctx, erp_file: Path) -> int:  # type: ignore[no-untyped-def]
    from erp_tui.rules import Direction
    from erp_tui.services import connections, lists, mappings

    draft = connections.ConnectionDraft(
        name="Bench ERP", connector="sample", scope="everyone",
        values={"database": str(erp_file), "api_key": "demo-key", "page_size": 5000})
    cid = connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))
    state = mappings.load_mappings(ctx, cid)
    tab = state.tab("Customer")
    tab.enabled = True
    for row in tab.rows:
        target = MAPPED.get(row.erp.key)
        if target is None or target[1] is None:
            continue
        assert mappings.set_crm_field(tab, row, target[0]) == "", row.erp.key
        assert mappings.set_direction(tab, row, Direction(target[1])) == "", row.erp.key
    mappings.save_mappings(ctx, state)
    for mapped in lists.mapped_lists(ctx, cid):
        lists.save_list_mapping(ctx, lists.load_list_mapping(ctx, cid, mapped.erp_list,
                                                             mapped.crm_list))
    connections.activate(ctx, cid)
    return cid


def timed_sync(ctx, label: str) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    from erp_tui.runner import run_sync

    gc.collect()
    start = time.perf_counter()
    report = run_sync(ctx)[0]
    seconds = time.perf_counter() - start
    c = report.counts
    print(f"{label}: {seconds:.2f} s  created={c.created} updated={c.updated} "
          f"pushed={c.pushed} unchanged={c.unchanged} conflicts={c.conflicts} "
          f"errors={c.errors}  peak RSS {peak_mb():.0f} MB", flush=True)
    return seconds, report


def change_both_sides(ctx, erp_file: Path, count: int) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from erp_tui.connectors.sample_data import touch_actors
    from erp_tui.model import Link
    from erp_tui.runner.crm import edit_record

    erp_keys = [f"C{n:07d}" for n in range(1, count * 2, 2)]
    touch_actors(erp_file, "Customer", erp_keys, {"phone": "+46 8 000 00 00"})
    link = Link.__table__  # type: ignore[attr-defined]
    with ctx.engine.begin() as conn:
        crm_ids = conn.execute(select(link.c.crm_id).where(
            link.c.erp_key.in_([f"C{n:07d}" for n in range(2, count * 2 + 1, 2)]))).scalars()
        for crm_id in list(crm_ids):
            edit_record(conn, "company", crm_id, {"email": f"changed{crm_id}@example.com"})


def run_dlt(erp_file: Path, work: Path) -> float | None:
    """Load the same customers with dlt in a subprocess; None when dlt is not installed."""
    code = f"""
import time, dlt
from dlt.sources.sql_database import sql_database
start = time.perf_counter()
source = sql_database("sqlite:///{erp_file}", table_names=["customer"], backend="pyarrow")
pipeline = dlt.pipeline(pipeline_name="bench", destination=dlt.destinations.sqlalchemy(
    "sqlite:///{work / 'dlt.sqlite'}"), dataset_name="main", pipelines_dir="{work / 'dlt'}")
pipeline.run(source)
print(time.perf_counter() - start)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False, env={**os.environ, "RUNTIME__LOG_LEVEL": "WARNING"})
    if result.returncode != 0:
        print("dlt run failed:", result.stderr.strip().splitlines()[-1:] or "?")
        return None
    return float(result.stdout.strip().splitlines()[-1])


def _generate(erp_file: Path, customers: int) -> None:
    from erp_tui.connectors.sample_data import generate_sample_erp

    generate_sample_erp(erp_file, customers=customers, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, overwrite=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--no-dlt", action="store_true")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="erp-tui-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    from erp_tui.context import AppContext
    from erp_tui.settings import Settings

    erp_file = work / "erp.sqlite"
    start = time.perf_counter()
    # In a child process, so that the peak memory printed below is the sync's own.
    generator = multiprocessing.get_context("spawn").Process(target=_generate,
                                                             args=(erp_file, args.customers))
    generator.start()
    generator.join()
    print(f"generated {args.customers:,} customers in {time.perf_counter() - start:.1f} s")
    ctx = AppContext.open(Settings(data_dir=work / "data",
                                   database_url=f"sqlite:///{work / 'crm.sqlite'}"))
    configure(ctx, erp_file)
    initial, _ = timed_sync(ctx, "initial sync")
    print(f"  {args.customers / initial:,.0f} actors/s")
    change_both_sides(ctx, erp_file, args.changes)
    timed_sync(ctx, f"incremental sync ({args.changes} ERP + {args.changes} "
                                     "CRM changes)")
    from erp_tui.runner import reader

    child = reader.peak_child_rss_kb / 1024
    print(f"peak memory (RSS): {peak_mb():.0f} MB in the runner + {child:.0f} MB in its page "
          f"reader process = {peak_mb() + child:.0f} MB")
    if not args.no_dlt:
        dlt_seconds = run_dlt(erp_file, work)
        if dlt_seconds is not None:
            print(f"dlt (sql_database, pyarrow, sqlite): {dlt_seconds:.2f} s  "
                  f"-> erp-tui is {dlt_seconds / initial:.1f}x faster")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
