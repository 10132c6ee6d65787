"""Test helpers of the SIGKILL trials (issue 10): one PostgreSQL store shared by runner processes
on three "hosts" (each its own data directory), two sample ERPs, a supervisor that restarts
what dies, edits on both sides while the runners work, and the checks of the end state."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import defaultdict
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from erp_tui.connectors.sample_data import (
    generate_sample_erp,
    insert_actor,
    next_timestamps,
    open_erp,
    touch_actors,
)
from erp_tui.context import AppContext
from erp_tui.runner import crm
from erp_tui.settings import Settings
from tests.cli_support import SCRIPT
from tests.runner.conftest import API_KEY, configure

# connection name -> (ERP seed, priority order: the first is activated first = priority 1)
CONNECTIONS = {"North": 11, "South": 23}
# The mapped fields compared on both sides: ERP field -> CRM column (text values). The email
# ("<", CRM to ERP only) is not: the ERP's own addresses never reach the CRM; its edits in the
# CRM are checked by `unpushed_edits`.
CUSTOMER_FIELDS = {"name": "name", "phone": "phone", "country": "country",
                   "postal_city": "postal_city", "customer_no": "number1"}
EDITED_FIELDS = {"email": "email", **CUSTOMER_FIELDS}
PERSON_FIELDS = {"firstname": "firstname", "lastname": "lastname"}
# Who changes what during the trials (disjoint, so that no conflict policy decides a value):
# the CRM edits fields that go to the ERP, the ERP edits fields that come to the CRM.
CRM_COMPANY_EDITS = ("name", "email")          # "<>" and "<"
CRM_PERSON_EDITS = ("lastname",)               # "<>"
ERP_CUSTOMER_EDITS = ("phone", "postal_city")  # ">" and "<>"
ERP_PERSON_EDITS = ("firstname",)              # "<>"
# Exit codes a supervised runner may end with besides SIGKILL: 0 (stopped by SIGTERM) and 7
# (another process holds the connection: `sync --every` gives up, the supervisor restarts it).
EXPECTED_EXITS = {0, 7}


@dataclass
class Site:
    """The shared store, the sample ERP files and the test's own (administrator's) context."""

    root: Path
    store_url: str
    secret_key: str
    ctx: AppContext
    erp_files: dict[str, Path]
    connection_ids: dict[str, int]
    # Customers of each ERP before the trials (C0000001 up to this number).
    customers: int

    def env(self, host: str) -> dict[str, str]:
        """The environment of a runner on `host`: its own data and log directory, the shared
        store and secret key (every host must decrypt the connections' secrets)."""
        folder = self.root / host
        return {**os.environ, "ERP_TUI_DATA_DIR": str(folder / "data"),
                "ERP_TUI_LOG_DIR": str(folder / "log"), "ERP_TUI_DATABASE_URL": self.store_url,
                "ERP_TUI_SECRET_KEY": self.secret_key, "LANG": "C.UTF-8"}


def build_site(root: Path, store_url: str, *, customers: int, page_size: int) -> Site:
    """Two sample ERPs (customers with one person each) mapped and activated on the store."""
    secret_key = Fernet.generate_key().decode()
    settings = Settings(data_dir=root / "admin" / "data", database_url=store_url,
                        secret_key=secret_key, log_dir=root / "admin" / "log")
    ctx = AppContext.open(settings)
    files, ids = {}, {}
    for name, seed in CONNECTIONS.items():
        erp_file = root / f"erp-{name.lower()}.sqlite"
        generate_sample_erp(erp_file, customers=customers, suppliers=0, persons_per_customer=1,
                            persons_per_supplier=0, projects=0, api_key=API_KEY, seed=seed,
                            company_name=f"{name} AB")
        files[name] = erp_file
        ids[name] = configure(ctx, erp_file, name, page_size=page_size)
    return Site(root, store_url, secret_key, ctx, files, ids, customers)


def runner_command() -> list[str]:
    """`erp-tui worker --every 1s` once that command exists, else `erp-tui sync --every 1s`
    (ERP_TUI_TEST_KILL_RUNNER=sync or worker chooses)."""
    chosen = os.environ.get("ERP_TUI_TEST_KILL_RUNNER", "")
    if chosen in ("sync", "worker"):
        return [chosen, "--every", "1s"]
    probe = subprocess.run([str(SCRIPT), "worker", "--help"], capture_output=True, text=True,
                           check=False, env={**os.environ, "LANG": "C.UTF-8"})
    if probe.returncode == 0 and "--every" in probe.stdout:
        return ["worker", "--every", "1s"]
    return ["sync", "--every", "1s"]


@dataclass
class Exit:
    """How one supervised process ended."""

    host: str
    pid: int
    code: int
    # Ended by the test's SIGKILL, or by its SIGTERM (a process still starting up, before its
    # handler is installed, ends with -SIGTERM).
    killed: bool
    stopped: bool
    stderr_tail: str

    def expected(self) -> bool:
        """Killed, stopped, or ended with an exit code a supervised runner may give."""
        return self.killed or self.code in EXPECTED_EXITS or (
            self.stopped and self.code == -signal.SIGTERM)


@dataclass
class Host:
    """One host's runner process, restarted whenever it ends."""

    site: Site
    name: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    exits: list[Exit] = field(default_factory=list)
    # When a process that ended on its own may start again (like systemd's RestartSec).
    restart_at: float = 0.0

    def start(self) -> None:
        self.starts += 1
        folder = self.site.root / self.name
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"stderr-{self.starts}.txt", "wb") as err:
            self.process = subprocess.Popen([str(SCRIPT), *self.command], env=self.site.env(
                self.name), stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def _ended(self, killed: bool = False, stopped: bool = False) -> None:
        assert self.process is not None
        code = self.process.wait()
        tail = (self.site.root / self.name / f"stderr-{self.starts}.txt").read_text(
            errors="replace").strip().splitlines()[-3:]
        self.exits.append(Exit(self.name, self.process.pid, code, killed, stopped,
                              "\n".join(tail)))
        self.process = None

    def restart_if_ended(self, delay: float = 2.0) -> None:
        """Start the process again `delay` seconds after it ended on its own."""
        if self.process is not None and self.process.poll() is None:
            return
        if self.process is not None:
            self._ended()
            self.restart_at = time.monotonic() + delay
        if time.monotonic() >= self.restart_at:
            self.start()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, restart: bool = True) -> None:
        """SIGKILL the process (and its page reader, in its process group), then start it
        again at once."""
        if self.process is not None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self._ended(killed=True)
        if restart:
            self.start()

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM: the runner finishes its batch and stops (SIGKILL after `timeout` s)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self._ended(stopped=True)


# ---- edits on both sides ------------------------------------------------------------------

@dataclass
class Edits:
    """The edits made during the trials: the last value of each (connection, entity, id,
    field) edited in the CRM, and what the ERPs gained."""

    crm: dict[tuple[str, str, int, str], str] = field(default_factory=dict)
    crm_count: int = 0
    erp_count: int = 0
    erp_created: int = 0


def linked_ids(site: Site, connection: str, actor_type: str) -> list[int]:
    with site.ctx.engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT crm_id FROM link WHERE connection_id = :c AND actor_type = :a "
            "ORDER BY crm_id"), {"c": site.connection_ids[connection], "a": actor_type}
        ).scalars())


def edit_crm(site: Site, rng: random.Random, edits: Edits, serial: int) -> None:
    """A CRM user changes a few linked records (each edit its own transaction)."""
    connection = rng.choice(list(CONNECTIONS))
    for entity, actor, fields in (("company", "Customer", CRM_COMPANY_EDITS),
                                  ("person", "Person", CRM_PERSON_EDITS)):
        ids = linked_ids(site, connection, actor)
        for crm_id in rng.sample(ids, min(len(ids), 3)):
            column = rng.choice(fields)
            value = (f"crm{serial}x{crm_id}@example.com" if column == "email"
                     else f"CRM {column} {serial}-{crm_id}")
            try:
                with site.ctx.engine.begin() as conn:
                    conn.execute(text("SET LOCAL lock_timeout = '30s'"))
                    crm.edit_record(conn, entity, crm_id, {column: value})
            except OperationalError as exc:  # a lock never freed: say who holds what
                raise AssertionError(f"A CRM edit waited 30 s for a lock ({exc.orig}); "
                                     f"sessions: {blocked_sessions(site)}") from None
            edits.crm[(connection, entity, crm_id, column)] = value
            edits.crm_count += 1


def blocked_sessions(site: Site) -> list[tuple[Any, ...]]:
    """The store's sessions with what they wait for and who blocks them (for a failure)."""
    with site.ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT pid, application_name, state, wait_event_type, wait_event, "
            "pg_blocking_pids(pid), left(query, 160) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"))]


def change_erp(site: Site, rng: random.Random, edits: Edits, serial: int) -> None:
    """The ERP changes a few actors and gains a customer and a person (under a customer the
    CRM has had from the start: a person whose new company the running sync has not read yet
    is a record error until `erp-tui retry`, by design)."""
    connection = rng.choice(list(CONNECTIONS))
    erp_file = site.erp_files[connection]
    with closing(open_erp(erp_file, read_only=True)) as erp:
        customers = [r[0] for r in erp.execute("SELECT erp_key FROM customer")]
        persons = [r[0] for r in erp.execute("SELECT erp_key FROM person")]
    keys = rng.sample(customers, min(len(customers), 4))
    column = rng.choice(ERP_CUSTOMER_EDITS)
    touch_actors(erp_file, "Customer", keys, {column: f"ERP {column} {serial}"})
    touch_actors(erp_file, "Person", rng.sample(persons, 2),
                 {ERP_PERSON_EDITS[0]: f"ERP first {serial}"})
    edits.erp_count += len(keys) + 2
    erp = open_erp(erp_file)
    try:
        erp.execute("BEGIN IMMEDIATE")
        stamp, person_stamp = next_timestamps(erp, 2)
        insert_actor(erp, "Customer", {"name": f"New {connection} {serial}",
                                       "phone": "+46 8 555 00 00", "country": "SE",
                                       "postal_city": "Visby"}, stamp)
        parent = f"C{rng.randint(1, site.customers):07d}"
        insert_actor(erp, "Person", {"firstname": f"New {serial}", "lastname": "Person"},
                     person_stamp, parent=("Customer", parent))
        erp.execute("COMMIT")
    finally:
        erp.close()
    edits.erp_created += 1


# ---- checks ---------------------------------------------------------------------------------

def _norm(value: Any) -> str:
    return "" if value is None else str(value)


def record_problems(site: Site) -> dict[str, list[str]]:
    """Lost (an ERP actor without its CRM record), duplicated (more CRM records or links than
    actors, a CRM record linked twice) and mismatched (a mapped value or a person's company
    differing between the sides) records of every connection."""
    lost: list[str] = []
    duplicated: list[str] = []
    mismatched: list[str] = []
    with site.ctx.engine.connect() as conn:
        for name, cid in site.connection_ids.items():
            with closing(open_erp(site.erp_files[name], read_only=True)) as erp:
                erp_customers = {r[0]: r[1:] for r in erp.execute(
                    f"SELECT erp_key, {', '.join(CUSTOMER_FIELDS)} FROM customer "
                    "WHERE deleted = 0")}
                erp_persons = {r[0]: r[1:] for r in erp.execute(
                    f"SELECT erp_key, {', '.join(PERSON_FIELDS)}, parent_key FROM person "
                    "WHERE deleted = 0")}
            company_columns = ", ".join(f"c.{c}" for c in CUSTOMER_FIELDS.values())
            person_columns = ", ".join(f"p.{c}" for c in PERSON_FIELDS.values())
            crm_customers = {r[0]: r[1:] for r in conn.execute(text(
                f"SELECT l.erp_key, l.crm_id, {company_columns} "
                "FROM link l JOIN crm_company c ON c.id = l.crm_id "
                "WHERE l.connection_id = :c AND l.actor_type = 'Customer'"), {"c": cid})}
            crm_persons = {r[0]: r[1:] for r in conn.execute(text(
                f"SELECT l.erp_key, l.crm_id, {person_columns}, "
                "pl.erp_key FROM link l JOIN crm_person p ON p.id = l.crm_id "
                "LEFT JOIN link pl ON pl.crm_id = p.company_id AND pl.actor_type = 'Customer' "
                "AND pl.connection_id = l.connection_id "
                "WHERE l.connection_id = :c AND l.actor_type = 'Person'"), {"c": cid})}
            for actor, erp_side, crm_side in (("Customer", erp_customers, crm_customers),
                                              ("Person", erp_persons, crm_persons)):
                lost += [f"{name} {actor} {k}" for k in sorted(set(erp_side) - set(crm_side))]
                crm_ids = [row[0] for row in crm_side.values()]
                if len(crm_ids) != len(set(crm_ids)):
                    duplicated.append(f"{name} {actor}: a CRM record linked to two actors")
                for key in sorted(set(erp_side) & set(crm_side)):
                    erp_values = [_norm(v) for v in erp_side[key]]
                    crm_values = [_norm(v) for v in crm_side[key][1:]]
                    if erp_values != crm_values:
                        mismatched.append(f"{name} {actor} {key}: ERP {erp_values} != CRM "
                                          f"{crm_values}")
            links, distinct = conn.execute(text(
                "SELECT count(*), count(DISTINCT (actor_type, crm_id)) FROM link "
                "WHERE connection_id = :c"),
                {"c": cid}).one()
            if links != len(erp_customers) + len(erp_persons) or links != distinct:
                duplicated.append(f"{name}: {links} links ({distinct} CRM records) for "
                                  f"{len(erp_customers) + len(erp_persons)} ERP actors")
        companies, persons, linked = conn.execute(text(
            "SELECT (SELECT count(*) FROM crm_company), (SELECT count(*) FROM crm_person), "
            "(SELECT count(*) FROM (SELECT DISTINCT actor_type, crm_id FROM link) AS d)")).one()
        if companies + persons != linked:
            duplicated.append(f"{companies} CRM companies and {persons} persons, "
                              f"{linked} of them linked")
    return {"lost": lost, "duplicated": duplicated, "mismatched": mismatched}


def first(problems: list[str], count: int = 5) -> list[str]:
    """The first `count` problems and how many more there are (keeps failures readable)."""
    more = [f"... and {len(problems) - count} more"] if len(problems) > count else []
    return problems[:count] + more


def unpushed_edits(site: Site, edits: Edits) -> list[str]:
    """CRM edits made during the trials whose value is not in the ERP."""
    missing = []
    field_of = {v: k for k, v in {**EDITED_FIELDS, **PERSON_FIELDS}.items()}
    with site.ctx.engine.connect() as conn:
        keys = {(row[0], row[1], row[2]): row[3] for row in conn.execute(text(
            "SELECT connection_id, crm_entity, crm_id, erp_key FROM link"))}
    for (name, entity, crm_id, column), value in sorted(edits.crm.items()):
        erp_key = keys.get((site.connection_ids[name], entity, crm_id))
        if erp_key is None:
            missing.append(f"{name} {entity} {crm_id}: no longer linked")
            continue
        table = "customer" if entity == "company" else "person"
        with closing(open_erp(site.erp_files[name], read_only=True)) as erp:
            found = erp.execute(f"SELECT {field_of[column]} FROM {table} WHERE erp_key = ?",
                                (erp_key,)).fetchone()
        if found is None or found[0] != value:
            missing.append(f"{name} {entity} {crm_id} {column}: ERP has "
                           f"{found[0] if found else None!r}, CRM edit {value!r}")
    return missing


@dataclass
class RunRow:
    id: int
    connection_id: int
    status: str
    host: str
    pid: int
    started: datetime
    end: datetime | None


def run_rows(site: Site) -> list[RunRow]:
    """The sync_run rows; a run's end is `ended`, else `last_seen` (its last heartbeat)."""
    with site.ctx.engine.connect() as conn:
        columns = {c for c in conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'sync_run'"
        )).scalars()}
        host = "host" if "host" in columns else "''"
        pid = "pid" if "pid" in columns else "0"
        seen = "last_seen" if "last_seen" in columns else "NULL"
        return [RunRow(*row) for row in conn.execute(text(
            f"SELECT id, connection_id, status, {host}, {pid}, started, "
            f"COALESCE(ended, {seen}) FROM sync_run ORDER BY connection_id, started"))]


def overlapping_runs(rows: list[RunRow]) -> list[str]:
    """Pairs of runs of one connection whose [started, end] intervals overlap (a run without
    an end counts from its start to its start)."""
    found = []
    by_connection: dict[int, list[RunRow]] = defaultdict(list)
    for row in rows:
        by_connection[row.connection_id].append(row)
    for runs in by_connection.values():
        latest: RunRow | None = None  # the run reaching furthest so far (sorted by start)
        for run in runs:
            if latest is not None and run.started < (latest.end or latest.started):
                found.append(f"connection {run.connection_id}: run {run.id} ({run.host} pid "
                             f"{run.pid}) started {run.started:%H:%M:%S.%f} while run "
                             f"{latest.id} ({latest.host} pid {latest.pid}, {latest.status}) "
                             f"ran until {latest.end or latest.started:%H:%M:%S.%f}")
            if latest is None or (run.end or run.started) > (latest.end or latest.started):
                latest = run
    return found


def utc_now() -> datetime:
    """Now in UTC, naive like the run records' times."""
    return datetime.now(UTC).replace(tzinfo=None)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def take_over_seconds(rows: list[RunRow], kills: list[tuple[datetime, set[int]]],
                      until: datetime, limit: float = 30) -> tuple[list[float], list[str]]:
    """How long after each kill of a process inside a run the next run of its connection
    started, and the kills after which none started within `limit` seconds (kills less than
    `limit` seconds before `until`, when the runners were stopped, are left out)."""
    waits, missing = [], []
    for moment, connections in kills:
        for cid in connections:
            starts = [_naive(r.started) for r in rows
                      if r.connection_id == cid and _naive(r.started) >= moment]
            wait = (min(starts) - moment).total_seconds() if starts else None
            if wait is not None and wait <= limit:
                waits.append(wait)
            elif (until - moment).total_seconds() > limit:
                missing.append(f"connection {cid} killed at {moment:%H:%M:%S}: next run "
                               f"{'never' if wait is None else f'after {wait:.0f} s'}")
    return waits, missing


def running_pids(site: Site) -> dict[int, set[int]]:
    """Connection id -> process ids of the runs recorded as running right now."""
    found: dict[int, set[int]] = defaultdict(set)
    for row in run_rows(site):
        if row.status == "running":
            found[row.connection_id].add(row.pid)
    return found


def wait_until(predicate: Any, timeout: float, step: float = 0.05) -> bool:
    """Poll `predicate()` until it is true or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())
