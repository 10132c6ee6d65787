"""Issue 10's acceptance: three runner processes on three "hosts" (each its own data directory)
share one PostgreSQL store; 20 SIGKILLs at random moments, each killed process started again,
while CRM users and the ERPs keep changing records. A final run then leaves nothing lost,
duplicated or different between the sides, no connection was ever synced by two processes at
once, and every CRM edit made during the trials reached the ERP."""

from __future__ import annotations

import json
import random
import subprocess
import time
from datetime import datetime
from pathlib import Path
from pprint import pformat
from typing import Any

from sqlalchemy import text

from tests.cli_support import SCRIPT

from .kill_support import (
    Edits,
    Host,
    Site,
    build_site,
    change_erp,
    edit_crm,
    first,
    overlapping_runs,
    record_problems,
    run_rows,
    runner_command,
    running_pids,
    take_over_seconds,
    unpushed_edits,
    utc_now,
    wait_until,
)

TRIALS = 20
CUSTOMERS = 500  # per connection, each with one person: 2,000 records in all
PAGE_SIZE = 10   # many small batches: a kill lands between or inside commits
HOSTS = ("host-a", "host-b", "host-c")


def _links(site: Site) -> int:
    with site.ctx.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM link")).scalar_one())


def _restarted(hosts: list[Host]) -> bool:
    """Start the runners that ended on their own again (a moment later); always True."""
    for host in hosts:
        host.restart_if_ended()
    return True


def _two_at_once(site: Site, hosts: list[Host]) -> list[str]:
    """Connections recorded as running in two live processes right now."""
    live = {h.pid for h in hosts if h.alive()}
    return [f"connection {cid}: runs of processes {sorted(pids & live)} at once"
            for cid, pids in running_pids(site).items() if len(pids & live) > 1]


def _inside_run(site: Site, hosts: list[Host]) -> list[Host]:
    """The live runners the run records show inside a run."""
    running = set().union(set(), *running_pids(site).values())
    return [h for h in hosts if h.alive() and h.pid in running]


class _Trials:
    """The kills, and the edits both sides make meanwhile."""

    def __init__(self, site: Site, hosts: list[Host], rng: random.Random) -> None:
        self.site, self.hosts, self.rng = site, hosts, rng
        self.edits = Edits()
        self.seen_twice: list[str] = []
        self.inside_run = 0
        self.serial = 0
        # (when, connection ids) of each kill of a process inside a run.
        self.kills: list[tuple[datetime, set[int]]] = []

    def meanwhile(self, seconds: float, until: Any = None) -> None:
        """For `seconds` (or until `until()`): restart what ended, watch the run records, let
        the CRM and the ERPs change records now and then."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not (until and until()):
            _restarted(self.hosts)
            self.seen_twice += _two_at_once(self.site, self.hosts)
            self.serial += 1
            if self.rng.random() < 0.15:
                edit_crm(self.site, self.rng, self.edits, self.serial)
            if self.rng.random() < 0.08:
                change_erp(self.site, self.rng, self.edits, self.serial)
            time.sleep(0.1)

    def kill_one(self) -> None:
        """Wait (up to 8 s) until a runner is inside a run, let a random moment pass, then
        SIGKILL mostly one inside a run, sometimes any of them (idle, starting). Which kind a
        trial is comes from the seed, not from the machine's speed: when the run ended during
        the random moment, the trial waits for the next run to kill it."""
        aim_inside = self.rng.random() < 0.8
        delay = self.rng.uniform(0.0, 1.5)
        self.meanwhile(8, until=lambda: _inside_run(self.site, self.hosts))
        self.meanwhile(delay)
        inside = _inside_run(self.site, self.hosts)
        if aim_inside and not inside:
            self.meanwhile(8, until=lambda: _inside_run(self.site, self.hosts))
            inside = _inside_run(self.site, self.hosts)
        victim = self.rng.choice(inside if inside and aim_inside else self.hosts)
        if victim in inside:
            self.inside_run += 1
            connections = {cid for cid, pids in running_pids(self.site).items()
                           if victim.pid in pids}
            self.kills.append((utc_now(), connections))
        victim.kill()


def test_twenty_sigkills_on_three_hosts_lose_nothing_and_never_sync_twice(
        tmp_path: Path, pg_url: str) -> None:
    rng = random.Random(20261202)
    site = build_site(tmp_path, pg_url, customers=CUSTOMERS, page_size=PAGE_SIZE)
    command = runner_command()
    hosts = [Host(site, name, command) for name in HOSTS]
    trials = _Trials(site, hosts, rng)
    edits = trials.edits
    try:
        for host in hosts:
            host.start()
        # The first kills land in the initial sync.
        started = wait_until(lambda: _restarted(hosts) and _links(site) > 0, 60)
        assert started, f"no runner syncs: {[e.stderr_tail for h in hosts for e in h.exits]}"
        for _ in range(TRIALS):
            trials.kill_one()
        trials.meanwhile(2)  # the last restarted runner gets going
        stopping = utc_now()
        for host in hosts:
            host.stop()
    finally:
        for host in hosts:
            host.kill(restart=False)
    final = subprocess.run([str(SCRIPT), "sync"], env=site.env(HOSTS[0]), capture_output=True,
                           text=True, check=False, timeout=120)
    log = subprocess.run([str(SCRIPT), "log", "--json", "--limit", "1000"],
                         env=site.env(HOSTS[1]), capture_output=True, text=True, check=False)
    statuses = [run["status"] for run in json.loads(log.stdout or "[]")]
    rows = run_rows(site)
    site.ctx.engine.dispose()

    exits = [e for h in hosts for e in h.exits]
    waits, not_taken_over = take_over_seconds(rows, trials.kills, stopping)
    problems = {
        **{k: first(v) for k, v in record_problems(site).items()},
        "unpushed CRM edits": first(unpushed_edits(site, edits)),
        "overlapping runs": first(overlapping_runs(rows)),
        "running twice (seen live)": first(sorted(set(trials.seen_twice))),
        "unexpected exits": first([f"{e.host} pid {e.pid} exit {e.code}: {e.stderr_tail}"
                                   for e in exits if not e.expected()]),
        "final run": [] if final.returncode == 0 else [f"exit {final.returncode}: "
                                                       f"{final.stderr.strip()[-300:]}"],
        "runs left running": [f"{statuses.count('running')} of {len(statuses)} runs"]
        if "running" in statuses else [],
        "no take-over within 30 s": first(not_taken_over),
        "kills inside a run": [] if trials.inside_run >= TRIALS // 2
        else [f"only {trials.inside_run} of {TRIALS} kills hit a process inside a run"],
    }
    print(f"{edits.crm_count} CRM edits, {edits.erp_count} ERP changes, {edits.erp_created} "
          f"ERP customers, {len(rows)} runs ({statuses.count('interrupted')} interrupted), "
          f"{trials.inside_run} of {TRIALS} kills inside a run, take-over after "
          f"{' '.join(f'{w:.1f}' for w in sorted(waits))} s, command {command}")
    failed = {k: v for k, v in problems.items() if v}
    assert not failed, (
        f"{pformat(failed, width=100)}\n{edits.crm_count} CRM edits, {edits.erp_count} ERP "
        f"changes, {edits.erp_created} ERP customers created, {len(rows)} runs, "
        f"{trials.inside_run} kills inside a run, command {command}")
    assert edits.crm_count >= 20 and edits.erp_created >= 3  # the sides really changed
    # A killed run is shown as interrupted (a few may have ended just before their kill).
    assert statuses.count("interrupted") >= trials.inside_run // 2 > 0
