"""A run killed with SIGKILL at random moments, then run again, ends exactly like a run that
was never interrupted: nothing lost, nothing duplicated."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

from sqlalchemy import text

from erp_tui.connectors.sample_data import generate_sample_erp, open_erp, touch_actors
from erp_tui.context import AppContext
from erp_tui.runner import crm, run_sync
from erp_tui.settings import Settings
from tests.cli_support import SCRIPT

from .conftest import API_KEY, configure

CUSTOMERS = 1500


def _world(root: Path, customers: int = CUSTOMERS, page_size: int = 40
           ) -> tuple[AppContext, Path, dict[str, str]]:
    erp_file = root / "erp.sqlite"
    generate_sample_erp(erp_file, customers=customers, suppliers=0, persons_per_customer=1,
                        persons_per_supplier=0, projects=0, api_key=API_KEY, seed=7)
    settings = Settings(data_dir=root / "data",
                        database_url=f"sqlite:///{root / 'store.sqlite'}")
    ctx = AppContext.open(settings)
    configure(ctx, erp_file, "Crash", page_size=page_size)
    env = {**os.environ, "ERP_TUI_DATA_DIR": str(settings.data_dir),
           "ERP_TUI_DATABASE_URL": settings.database_url}
    return ctx, erp_file, env


def _change_both_sides(ctx: AppContext, erp_file: Path) -> None:
    touch_actors(erp_file, "Customer", [f"C{n:07d}" for n in range(1, 400, 2)],
                 {"phone": "+46 8 123 45 67", "postal_city": "Uppsala"})
    with ctx.engine.begin() as conn:
        ids = conn.execute(text("SELECT crm_id FROM link WHERE actor_type = 'Customer' "
                                "ORDER BY erp_key LIMIT 300")).scalars().all()
        for crm_id in ids[1::2]:
            crm.edit_record(conn, "company", crm_id, {"email": f"crm{crm_id}@example.com",
                                                      "name": f"CRM name {crm_id}"})


def _state(ctx: AppContext, erp_file: Path) -> dict[str, object]:
    with ctx.engine.connect() as conn:
        companies = conn.execute(text(
            "SELECT l.erp_key, c.name, c.phone, c.email, c.postal_city, c.country, c.number1 "
            "FROM link l JOIN crm_company c ON c.id = l.crm_id "
            "WHERE l.actor_type = 'Customer' ORDER BY l.erp_key")).all()
        people = conn.execute(text(
            "SELECT l.erp_key, p.firstname, p.lastname, pl.erp_key FROM link l "
            "JOIN crm_person p ON p.id = l.crm_id "
            "LEFT JOIN link pl ON pl.crm_id = p.company_id AND pl.actor_type = 'Customer' "
            "WHERE l.actor_type = 'Person' ORDER BY l.erp_key")).all()
        counts = conn.execute(text(
            "SELECT (SELECT count(*) FROM crm_company), (SELECT count(*) FROM crm_person), "
            "(SELECT count(*) FROM link)")).one()
    with open_erp(erp_file) as erp:
        pushed = erp.execute("SELECT erp_key, name, email FROM customer ORDER BY erp_key"
                             ).fetchall()
    return {"companies": [tuple(r) for r in companies], "people": [tuple(r) for r in people],
            "counts": tuple(counts), "erp": pushed}


def _start_sync(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(SCRIPT), "sync"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _kill_repeatedly(env: dict[str, str], rng: random.Random, kills: int) -> int:
    """Start `erp-tui sync` and SIGKILL it at random moments; returns how many died mid-run."""
    killed = 0
    for _ in range(kills):
        process = _start_sync(env)
        time.sleep(rng.uniform(0.4, 1.6))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait()
    return killed


def _links(ctx: AppContext) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM link")).scalar_one())


def _kill_at_random_progress(ctx: AppContext, env: dict[str, str], rng: random.Random,
                             kills: int, total: int, readers: set[int] | None = None) -> int:
    """SIGKILL `erp-tui sync` once the store holds a random share of its `total` links, at
    `kills` rising points; returns how many died mid-run (however fast the machine is)."""
    killed = 0
    for share in sorted(rng.uniform(0.05, 0.95) for _ in range(kills)):
        process = _start_sync(env)
        while process.poll() is None and _links(ctx) < share * total:
            if readers is not None:
                readers.update(_page_readers())
            time.sleep(0.005)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait()
    return killed


def _page_readers() -> list[int]:
    """Process ids of runner page-reader processes still alive."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"erp_tui.runner.reader import child_entry" in command:
            found.append(int(entry.name))
    return found


def _finish_and_compare(env: dict[str, str], crashed: tuple[AppContext, Path],
                        reference: tuple[AppContext, Path], customers: int) -> None:
    """Run `erp-tui sync` to the end; the store and the ERP must equal the reference's."""
    finished = subprocess.run([str(SCRIPT), "sync"], env=env, capture_output=True, text=True,
                              check=False)
    assert finished.returncode == 0, finished.stderr
    expected = _state(*reference)
    assert _state(*crashed) == expected
    assert expected["counts"] == (customers, customers, 2 * customers)


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    rng = random.Random(20261127)
    reference_ctx, reference_erp, _ = _world(tmp_path / "reference")
    crash_ctx, crash_erp, env = _world(tmp_path / "crash")

    # Initial sync: uninterrupted versus killed several times, then completed.
    run_sync(reference_ctx)
    killed = _kill_at_random_progress(crash_ctx, env, rng, 5, 2 * CUSTOMERS)
    finished = subprocess.run([str(SCRIPT), "sync"], env=env, capture_output=True, text=True,
                              check=False)
    assert finished.returncode == 0, finished.stderr
    assert killed >= 3  # the kills really landed mid-run
    assert _state(crash_ctx, crash_erp) == _state(reference_ctx, reference_erp)

    # Incremental sync with changes on both sides (pushes to the ERP included).
    for ctx, erp_file in ((reference_ctx, reference_erp), (crash_ctx, crash_erp)):
        _change_both_sides(ctx, erp_file)
    run_sync(reference_ctx)
    _kill_repeatedly(env, rng, 4)
    _finish_and_compare(env, (crash_ctx, crash_erp), (reference_ctx, reference_erp), CUSTOMERS)


def test_sigkill_while_pages_are_read_ahead_loses_nothing_and_leaves_no_reader(
        tmp_path: Path) -> None:
    """Pages of 2,000 start the page-reader process; killing the runner ends it too."""
    customers = 12_000
    rng = random.Random(27)
    reference_ctx, reference_erp, _ = _world(tmp_path / "reference", customers, 2000)
    crash_ctx, crash_erp, env = _world(tmp_path / "crash", customers, 2000)
    run_sync(reference_ctx)
    readers_before = set(_page_readers())
    seen: set[int] = set()
    assert _kill_at_random_progress(crash_ctx, env, rng, 4, 2 * customers, seen) >= 3
    assert seen - readers_before  # pages really were read ahead by a reader process
    deadline = time.monotonic() + 10
    while set(_page_readers()) - readers_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(_page_readers()) - readers_before == set()  # no orphaned reader
    _finish_and_compare(env, (crash_ctx, crash_erp), (reference_ctx, reference_erp), customers)
