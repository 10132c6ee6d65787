"""Benchmark of the runner: N sample customers, ~15 mapped fields, compared with equal work.

    .venv/bin/python bench/bench_sync.py [--store sqlite|postgresql] [--customers 1000000]
        [--changes 1000] [--json] [--no-dlt] [--dlt-python PATH] [--pg-url URL] [--keep DIR]

Generates the sample ERP (a SQLite file), then, in one run:

* floor: a plain SQLite `ATTACH` + `INSERT ... SELECT` of exactly the columns erp-tui moves,
  into a new SQLite file (the store's pragmas), in this process;
* erp-tui: the initial sync into an empty store (a SQLite file, or a throw-away database on
  the PostgreSQL server at --pg-url, dropped afterwards), in a child process like a cron
  `erp-tui sync`;
* dlt: `sql_table` (pyarrow backend, `included_columns` = the same columns) into the same kind
  of destination (a SQLite file through dlt's sqlalchemy destination; the same PostgreSQL
  server through dlt's postgres destination, its own throw-away database), in a child process
  with the Python of a separate virtual environment (dlt is never a dependency of erp-tui):
  --dlt-python, else $ERP_TUI_BENCH_DLT_PYTHON, else /tmp/dltvenv/bin/python, else this
  Python when it has dlt; without one the dlt figures are left out;
* incremental: `--changes` ERP actors and as many CRM records changed, then a sync.

Equal work: the columns erp-tui moves are the ERP key and last-modified (written to the link)
and the fields mapped with a direction into the CRM (written to the CRM record), read from the
saved mapping (14 columns with the mapping below). After the loads the benchmark checks that
the floor, erp-tui and dlt hold the same number of rows and the same non-empty values per
column as the ERP (`equal_work` in the output; a difference is printed as a warning).

Times are wall seconds and CPU seconds (user + system) of the load call itself: in the child,
`getrusage` of itself plus of its children that ended (the runner's page-reader process is one);
`*_process_cpu_s` is the whole child process, interpreter start and imports included. Peak
memory is the summed RSS of the child's process tree, sampled from /proc every 50 ms. On the
PostgreSQL store `db_server_cpu_s` is the CPU of the server's backends serving the benchmark's
database (sampled from /proc; the server must run on this machine): a lower bound, as a backend
living less than one sample interval, or the end of one, is missed (this shows for dlt's short
per-job connections at small N). `--json` prints one JSON object on stdout (progress goes to
stderr). Not part of the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import multiprocessing
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proc_sampler import Sampler

if TYPE_CHECKING:
    from erp_tui.context import AppContext

MAPPED = {
    # erp field -> (crm field, direction)
    "customer_no": ("number1", ">"), "name": ("name", "<>"), "orgno": ("number2", ">"),
    "vatno": ("vatno", "<>"), "phone": ("phone", "<>"), "email": ("email", "<>"),
    "url": ("url", ">"), "postal_address1": ("postal_address1", "<>"),
    "postal_zip": ("postal_zip", "<>"), "postal_city": ("postal_city", "<>"),
    "country": ("country", "<>"), "category": ("category", ">"), "note": ("department", "<"),
    "created": ("street_address1", None), "currency": ("business", None),
}
ACTOR = "Customer"
ERP_TABLE = "customer"
DEFAULT_DLT_PYTHON = Path("/tmp/dltvenv/bin/python")
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SAMPLE_INTERVAL = 0.05

Log = Callable[[str], None]


def cpu_seconds(who: int) -> float:
    """User + system CPU seconds of `resource.RUSAGE_SELF` or `RUSAGE_CHILDREN`."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


# ---- the store ------------------------------------------------------------------------------

@dataclass
class Store:
    """Where erp-tui (and dlt) write: a SQLite file, or throw-away PostgreSQL databases."""

    kind: str  # "sqlite" or "postgresql"
    url: str  # the erp-tui store's SQLAlchemy URL
    dbname: str  # the PostgreSQL database's name ("" on SQLite)
    dlt_url: str  # dlt's destination
    dlt_dbname: str
    drop: Callable[[], None]


@contextlib.contextmanager
def open_store(kind: str, work: Path, pg_url: str) -> Iterator[Store]:
    """A new empty store of `kind`, dropped (PostgreSQL) when the block ends."""
    if kind == "sqlite":
        yield Store(kind, f"sqlite:///{work / 'crm.sqlite'}", "",
                    f"sqlite:///{work / 'dlt.sqlite'}", "", lambda: None)
        return
    import sqlalchemy as sa

    admin_url = sa.make_url(pg_url).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    suffix = uuid.uuid4().hex[:8]
    names = [f"erp_tui_bench_{suffix}", f"erp_tui_bench_dlt_{suffix}"]

    def drop() -> None:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    # dlt's postgres credentials insist on a password; trust authentication ignores it.
    dlt_url = admin_url.set(drivername="postgresql", database=names[1],
                            password=admin_url.password or "unused")
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield Store(kind, admin_url.set(database=names[0]).render_as_string(False), names[0],
                    dlt_url.render_as_string(False), names[1], drop)
    finally:
        drop()


# ---- configuration --------------------------------------------------------------------------

def configure(ctx: AppContext, erp_file: Path) -> int:
    """Create, map and activate the benchmark's sample connection; its id."""
    from erp_tui.rules import Direction
    from erp_tui.services import connections, lists, mappings

    draft = connections.ConnectionDraft(
        name="Bench ERP", connector="sample", scope="everyone",
        values={"database": str(erp_file), "api_key": "demo-key", "page_size": 5000})
    cid = connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))
    state = mappings.load_mappings(ctx, cid)
    tab = state.tab(ACTOR)
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


@dataclass(frozen=True)
class MovedColumns:
    """The ERP columns erp-tui moves, and where it writes each."""

    crm_entity: str
    # ERP field -> CRM column, for the fields mapped with a direction into the CRM.
    fields: dict[str, str]

    @property
    def source(self) -> list[str]:
        """The ERP table's columns: key, last-modified and the fields, in that order."""
        return ["erp_key", "last_modified", *self.fields]


def moved_columns(ctx: AppContext, cid: int) -> MovedColumns:
    """Read from the saved configuration (the runner's own plan), not from MAPPED."""
    from erp_tui.model import Connection
    from erp_tui.runner.plan import actor_plans

    with ctx.session() as session:
        connection = session.get(Connection, cid)
        assert connection is not None
        plan = next(p for p in actor_plans(session, connection) if p.actor_type == ACTOR)
    return MovedColumns(plan.crm_entity, {f.erp_key: f.crm_column for f in plan.in_fields})


# ---- the three loads ------------------------------------------------------------------------

def floor(erp_file: Path, columns: list[str], work: Path) -> dict[str, Any]:
    """SQLite ATTACH + INSERT ... SELECT of `columns` into a new file; seconds, CPU, rows."""
    target = work / "floor.sqlite"
    target.unlink(missing_ok=True)
    conn = sqlite3.connect(target, isolation_level=None)
    for pragma in ("page_size=16384", "journal_mode=WAL", "synchronous=NORMAL",
                   "cache_size=-65536", "temp_store=MEMORY"):
        conn.execute(f"PRAGMA {pragma}")
    names = ", ".join(columns)
    conn.execute(f"CREATE TABLE floor (id INTEGER PRIMARY KEY, {names})")
    gc.collect()
    cpu = time.process_time()
    start = time.perf_counter()
    conn.execute("ATTACH DATABASE ? AS erp", (str(erp_file),))
    conn.execute("BEGIN")
    conn.execute(f"INSERT INTO floor ({names}) SELECT {names} FROM erp.{ERP_TABLE} "
                 "WHERE deleted = 0")
    conn.execute("COMMIT")
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    counts = _nonempty(lambda sql: conn.execute(sql).fetchone(), "floor", columns)
    conn.close()
    return {"seconds": seconds, "cpu_s": cpu, "counts": counts}


def _nonempty(fetch: Callable[[str], Any], table: str, columns: list[str],
              where: str = "") -> dict[str, int]:
    """Rows of `table` and per column the rows with a value (not NULL, not '')."""
    parts = ", ".join(f"SUM(CASE WHEN {c} IS NULL OR CAST({c} AS TEXT) = '' THEN 0 ELSE 1 END)"
                      for c in columns)
    row = fetch(f"SELECT COUNT(*), {parts} FROM {table} {where}")
    return {"rows": int(row[0]), **{c: int(v or 0) for c, v in zip(columns, row[1:],
                                                                    strict=True)}}


def source_counts(erp_file: Path, columns: list[str]) -> dict[str, int]:
    """The ERP's live actors and their non-empty values per column."""
    conn = sqlite3.connect(erp_file)
    try:
        return _nonempty(lambda sql: conn.execute(sql).fetchone(), ERP_TABLE, columns,
                         "WHERE deleted = 0")
    finally:
        conn.close()


def erp_tui_counts(ctx: AppContext, cid: int, moved: MovedColumns) -> dict[str, int]:
    """What the initial sync wrote, per ERP column: the linked CRM records' values, the
    links' keys and ERP last-modified."""
    import sqlalchemy as sa

    from erp_tui.runner.crm import table

    crm = table(moved.crm_entity).name
    crm_columns = [f"c.{c}" for c in moved.fields.values()]
    with ctx.engine.connect() as conn:
        counts = _nonempty(
            lambda sql: conn.execute(sa.text(sql)).one(),
            f"link l JOIN {crm} c ON c.id = l.crm_id", ["l.erp_key", "l.erp_modified",
                                                      *crm_columns],
            f"WHERE l.connection_id = {int(cid)} AND l.actor_type = '{ACTOR}' "
            f"AND l.crm_entity = '{moved.crm_entity}'")
        records = int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {crm}")).scalar_one())
    values = list(counts.values())
    return {"rows": values[0], **dict(zip(moved.source, values[1:], strict=True)),
            "crm_records": records}


def _child_python_env() -> dict[str, str]:
    root = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


def run_measured(command: list[str], dbname: str, env: dict[str, str]) -> dict[str, Any]:
    """Run `command` (which prints one JSON line last) sampled; its JSON plus the process
    tree's peak memory, whole-process CPU and wall seconds and the database backends' CPU."""
    children = cpu_seconds(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    with Sampler(process.pid, dbname, interval=SAMPLE_INTERVAL) as sampler:
        out, err = process.communicate()
    wall = time.perf_counter() - start
    if process.returncode != 0 or not out.strip():
        raise RuntimeError(f"{command[1]} failed ({process.returncode}): "
                           f"{err.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result.update(process_s=wall,
                  process_cpu_s=cpu_seconds(resource.RUSAGE_CHILDREN) - children,
                  sampled_cpu_s=sampler.tree_cpu_s, peak_rss_mb=sampler.peak_rss_mb,
                  db_server_cpu_s=sampler.backend_cpu_s)
    return result


def erp_tui_sync(store: Store, work: Path) -> dict[str, Any]:
    """One `run_sync` of all active connections in a child process, measured."""
    spec = {"data_dir": str(work / "data"), "database_url": store.url,
            "log_dir": str(work / "logs")}
    return run_measured([sys.executable, __file__, "--child-sync", json.dumps(spec)],
                        store.dbname, _child_python_env())


def child_sync(spec: dict[str, str]) -> int:
    """The child's side of erp_tui_sync: prints one JSON line."""
    from erp_tui.context import AppContext
    from erp_tui.runner import reader, run_sync
    from erp_tui.settings import Settings

    ctx = AppContext.open(Settings(data_dir=Path(spec["data_dir"]),
                                   database_url=spec["database_url"],
                                   log_dir=Path(spec["log_dir"])))
    gc.collect()
    cpu = cpu_seconds(resource.RUSAGE_SELF) + cpu_seconds(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    reports = run_sync(ctx)
    seconds = time.perf_counter() - start
    cpu = cpu_seconds(resource.RUSAGE_SELF) + cpu_seconds(resource.RUSAGE_CHILDREN) - cpu
    ctx.engine.dispose()
    print(json.dumps({
        "seconds": seconds, "cpu_s": cpu, "status": reports[0].status,
        "counts": reports[0].counts.as_dict(),
        "runner_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "reader_maxrss_mb": reader.peak_child_rss_kb / 1024,
        "staged_pages": reader.staged_pages}))
    return 0


def find_dlt_python(option: str | None) -> str | None:
    """The Python that runs dlt, or None when there is none."""
    candidates = [option, os.environ.get("ERP_TUI_BENCH_DLT_PYTHON"),
                  str(DEFAULT_DLT_PYTHON) if DEFAULT_DLT_PYTHON.exists() else None,
                  sys.executable]
    for python in candidates:
        if not python:
            continue
        probe = subprocess.run([python, "-c", "import dlt, pyarrow"], capture_output=True,
                               check=False)
        if probe.returncode == 0:
            return python
        if python == option:
            raise SystemExit(f"--dlt-python {option} cannot import dlt and pyarrow; install "
                             "them there ('pip install dlt[sqlalchemy] pyarrow psycopg2-binary').")
    return None


def dlt_load(python: str, store: Store, erp_file: Path, columns: list[str], work: Path
             ) -> dict[str, Any]:
    """dlt's load of the same columns into the same kind of destination, measured."""
    spec = {"source": f"sqlite:///{erp_file}", "table": ERP_TABLE, "columns": columns,
            "destination": "postgres" if store.kind == "postgresql" else "sqlite",
            "destination_url": store.dlt_url, "pipelines_dir": str(work / "dlt-pipelines"),
            "loader_file_format": ""}
    env = {**os.environ, "RUNTIME__LOG_LEVEL": "WARNING", "RUNTIME__DLTHUB_TELEMETRY": "false"}
    script = str(Path(__file__).resolve().parent / "dlt_load.py")
    return run_measured([python, script, json.dumps(spec)], store.dlt_dbname, env)


def dlt_counts(store: Store, columns: list[str], dataset: str) -> dict[str, Any]:
    """The rows dlt wrote, its non-empty values per column and its table's own columns."""
    import sqlalchemy as sa

    url = sa.make_url(store.dlt_url)
    if store.kind == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
        table = f"{dataset}.{ERP_TABLE}"
    else:
        table = ERP_TABLE
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            counts: dict[str, Any] = _nonempty(lambda sql: conn.execute(sa.text(sql)).one(),
                                               table, columns)
            inspected = sa.inspect(conn).get_columns(
                ERP_TABLE, schema=dataset if store.kind == "postgresql" else None)
    finally:
        engine.dispose()
    counts["table_columns"] = [c["name"] for c in inspected
                               if not c["name"].startswith("_dlt_")]
    return counts


# ---- the incremental run --------------------------------------------------------------------

def change_both_sides(ctx: AppContext, erp_file: Path, count: int) -> None:
    """Change `count` ERP actors (phone) and `count` other actors' CRM records (email)."""
    from sqlalchemy import select

    from erp_tui.connectors.sample_data import touch_actors
    from erp_tui.model import Link
    from erp_tui.runner.crm import edit_record

    erp_keys = [f"C{n:07d}" for n in range(1, count * 2, 2)]
    touch_actors(erp_file, ACTOR, erp_keys, {"phone": "+46 8 000 00 00"})
    link = Link.__table__  # type: ignore[attr-defined]
    with ctx.engine.begin() as conn:
        crm_ids = list(conn.execute(select(link.c.crm_id).where(
            link.c.erp_key.in_([f"C{n:07d}" for n in range(2, count * 2 + 1, 2)]))).scalars())
        assert len(crm_ids) == count, f"{len(crm_ids)} linked records to change, not {count}"
        for crm_id in crm_ids:
            edit_record(conn, "company", crm_id, {"email": f"changed{crm_id}@example.com"})


# ---- the whole run --------------------------------------------------------------------------

def _generate(erp_file: Path, customers: int) -> None:
    from erp_tui.connectors.sample_data import generate_sample_erp

    generate_sample_erp(erp_file, customers=customers, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, overwrite=True)


def _equal_work(source: dict[str, int], loads: dict[str, dict[str, Any]],
                columns: list[str], log: Log) -> dict[str, Any]:
    """Compare rows and per-column values of each load with the ERP's; warn on differences."""
    differences = []
    for name, counts in loads.items():
        for key in ("rows", *columns):
            if counts.get(key) != source[key]:
                differences.append(f"{name} {key}: {counts.get(key)} (ERP {source[key]})")
    for difference in differences:
        log(f"WARNING: unequal work: {difference}")
    return {"columns": columns, "column_count": len(columns), "rows": source["rows"],
            "same_rows_and_values": not differences, "differences": differences}


def bench(args: argparse.Namespace, log: Log) -> dict[str, Any]:
    """The whole benchmark; the JSON object."""
    from erp_tui.context import AppContext
    from erp_tui.settings import Settings

    dlt_python = None if args.no_dlt else find_dlt_python(args.dlt_python)
    work: Path = args.keep or Path(tempfile.mkdtemp(prefix="erp-tui-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    erp_file = work / "erp.sqlite"
    result: dict[str, Any] = {"store": args.store, "customers": args.customers}
    # Other work on the machine shows in the wall times (CPU seconds suffer less): recorded.
    load_before = os.getloadavg()
    try:
        start = time.perf_counter()
        # In a child process: the generator's memory is no part of the figures.
        generator = multiprocessing.get_context("spawn").Process(
            target=_generate, args=(erp_file, args.customers))
        generator.start()
        generator.join()
        log(f"generated {args.customers:,} customers in {time.perf_counter() - start:.1f} s")
        with open_store(args.store, work, args.pg_url) as store:
            settings = Settings(data_dir=work / "data", database_url=store.url,
                                log_dir=work / "logs")
            ctx = AppContext.open(settings)
            cid = configure(ctx, erp_file)
            moved = moved_columns(ctx, cid)
            ctx.engine.dispose()
            columns = moved.source
            source = source_counts(erp_file, columns)

            floor_run = floor(erp_file, columns, work)
            log(f"floor (SQLite ATTACH + INSERT ... SELECT, {len(columns)} columns): "
                f"{floor_run['seconds']:.2f} s, {floor_run['cpu_s']:.2f} s CPU")

            initial = erp_tui_sync(store, work)
            log(f"erp-tui initial sync: {initial['seconds']:.2f} s, {initial['cpu_s']:.2f} s "
                f"CPU (whole process {initial['process_cpu_s']:.2f} s), peak RSS "
                f"{initial['peak_rss_mb']:.0f} MB, {initial['counts']}"
                + (f", PostgreSQL backends {initial['db_server_cpu_s']:.2f} s CPU"
                   if store.kind == "postgresql" else ""))
            loads: dict[str, dict[str, Any]] = {
                "floor": floor_run["counts"], "erp_tui": erp_tui_counts(ctx, cid, moved)}
            ctx.engine.dispose()

            dlt_run = None
            if dlt_python is not None:
                dlt_run = dlt_load(dlt_python, store, erp_file, columns, work)
                loads["dlt"] = dlt_counts(store, columns, dlt_run["dataset"])
                log(f"dlt {dlt_run['dlt_version']} (sql_table, pyarrow, "
                    f"{'/'.join(dlt_run['loader_file_formats'])}): {dlt_run['seconds']:.2f} s, "
                    f"{dlt_run['cpu_s']:.2f} s CPU (whole process "
                    f"{dlt_run['process_cpu_s']:.2f} s), peak RSS "
                    f"{dlt_run['peak_rss_mb']:.0f} MB"
                    + (f", PostgreSQL backends {dlt_run['db_server_cpu_s']:.2f} s CPU"
                       if store.kind == "postgresql" else ""))
                if loads["dlt"]["table_columns"] != columns:
                    log(f"WARNING: dlt's table has columns {loads['dlt']['table_columns']}")
            elif not args.no_dlt:
                log("dlt left out: no Python with dlt and pyarrow (see --dlt-python)")
            equal = _equal_work(source, loads, columns, log)
            if dlt_run is not None:
                equal["dlt_table_columns"] = loads["dlt"]["table_columns"]

            change_both_sides(ctx, erp_file, args.changes)
            ctx.engine.dispose()
            incremental = erp_tui_sync(store, work)
            log(f"erp-tui incremental sync ({args.changes} ERP + {args.changes} CRM changes): "
                f"{incremental['seconds']:.2f} s, {incremental['cpu_s']:.2f} s CPU, "
                f"{incremental['counts']}")

            result.update(
                erp_tui_s=initial["seconds"], erp_tui_cpu_s=initial["cpu_s"],
                floor_s=floor_run["seconds"], floor_cpu_s=floor_run["cpu_s"])
            if dlt_run is not None:
                result.update(dlt_s=dlt_run["seconds"], dlt_cpu_s=dlt_run["cpu_s"])
            result.update(
                incremental_s=incremental["seconds"], incremental_cpu_s=incremental["cpu_s"],
                peak_rss_mb=max(initial["peak_rss_mb"], incremental["peak_rss_mb"]))
            if store.kind == "postgresql":
                result.update(db_server_cpu_s=initial["db_server_cpu_s"],
                              incremental_db_server_cpu_s=incremental["db_server_cpu_s"])
                if dlt_run is not None:
                    result["dlt_db_server_cpu_s"] = dlt_run["db_server_cpu_s"]
            result["ratios"] = _ratios(result)
            result["details"] = {
                "load_average_before_after": [load_before, os.getloadavg()],
                "erp_tui_initial": initial, "erp_tui_incremental": incremental,
                "dlt": dlt_run, "changes": {"erp": args.changes, "crm": args.changes},
                "equal_work": equal}
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return result


def _ratios(result: dict[str, Any]) -> dict[str, float]:
    ratios = {"erp_tui_cpu_over_floor_cpu": result["erp_tui_cpu_s"] / result["floor_cpu_s"],
              "erp_tui_over_floor": result["erp_tui_s"] / result["floor_s"]}
    if "dlt_cpu_s" in result:
        ratios["dlt_cpu_over_erp_tui_cpu"] = result["dlt_cpu_s"] / result["erp_tui_cpu_s"]
        ratios["dlt_over_erp_tui"] = result["dlt_s"] / result["erp_tui_s"]
        if "db_server_cpu_s" in result:  # the client's CPU plus its database backends'
            ratios["dlt_cpu_over_erp_tui_cpu_with_db_server"] = (
                (result["dlt_cpu_s"] + result["dlt_db_server_cpu_s"])
                / (result["erp_tui_cpu_s"] + result["db_server_cpu_s"]))
    return ratios


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=1000,
                        help="ERP actors and CRM records changed before the incremental sync")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-dlt", action="store_true")
    parser.add_argument("--dlt-python", help="a Python that has dlt and pyarrow")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL,
                        help="an admin URL of the PostgreSQL server (postgresql store)")
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it")
    parser.add_argument("--child-sync", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_sync:
        return child_sync(json.loads(args.child_sync))
    if not 0 < args.changes * 2 <= args.customers:
        parser.error("--changes must be between 1 and half of --customers")

    def log(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    result = _rounded(bench(args, log))
    if args.json:
        print(json.dumps(result))
        return 0
    summary = {k: v for k, v in result.items() if k not in ("details", "ratios")}
    log("summary: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    log("ratios: " + ", ".join(f"{k}={v}" for k, v in result["ratios"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
