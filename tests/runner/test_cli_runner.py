"""The runner from the command line: sync (dry run, JSON, schedule), log, retry, resync."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest

from erp_tui.db import make_engine
from erp_tui.runner.lock import run_lock
from tests.cli_support import SCRIPT, run


@pytest.fixture
def demo(settings, capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERP_TUI_DATABASE_URL", settings.resolved_database_url())
    assert run(capsys, "demo", "--no-ui", "--size", "30")[0] == 0


def test_sync_json_log_and_dry_run(demo: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sync", "--dry-run", "--json")
    dry = json.loads(out)[0]
    assert code == 0 and dry["dry_run"] and dry["run_id"] is None
    created = dry["counts"]["created"]
    assert created > 0 and len([c for c in dry["changes"] if c["field"] == "*"]) == created
    code, out, _ = run(capsys, "sync", "--json")
    real = json.loads(out)[0]
    assert code == 0 and real["counts"]["created"] == created and real["status"] == "finished"
    code, out, _ = run(capsys, "log", "--json")
    runs = json.loads(out)
    assert [(r["id"], r["kind"], r["created"]) for r in runs] == [(real["run_id"], "sync",
                                                                   created)]
    code, out, _ = run(capsys, "sync")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("Nordic Trading AB: run 2 finished in ")
    assert lines[0].endswith(" s — no changes")
    # A summary line per actor type the connection syncs, and where the changes are.
    assert lines[1:-1] == [f"  {actor}: no changes" for actor in real["actors"]]
    assert "  Customer: no changes" in lines
    assert lines[-1] == "Field changes and created records: erp-tui log --run 2"
    # Every count of a run is in the log: deletions in the ERP too (they were left out).
    code, out, _ = run(capsys, "log", "--json")
    assert {(r["deleted"], r["unchanged"]) for r in json.loads(out)} == {(0, 0)}
    code, out, _ = run(capsys, "log")
    assert out.splitlines()[0].split() == ["ID", "CONNECTION", "KIND", "STARTED", "STATUS",
                                           "NEW", "UPD", "PUSH", "ERR"]
    assert all(len(line) <= 80 for line in out.splitlines())
    assert out.splitlines()[1].split()[:3] == ["2", "Nordic", "Trading"]


def test_already_running_is_refused_with_its_own_exit_code(
        demo: None, settings, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    with run_lock(make_engine(settings.resolved_database_url()), settings.data_dir, 1,
                  "Nordic Trading AB"):
        code, _, err = run(capsys, "sync")
    assert code == 7
    assert "Connection 'Nordic Trading AB' is already being synced" in err


def test_sync_every_interval_logs_one_line_per_run(demo: None, settings) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "ERP_TUI_DATA_DIR": str(settings.data_dir),
           "ERP_TUI_DATABASE_URL": settings.resolved_database_url()}
    process = subprocess.Popen([str(SCRIPT), "sync", "--every", "1s"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    lines = [process.stdout.readline(), process.stdout.readline()]  # each run flushes its line
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert all(len(line.rstrip("\n")) <= 80 for line in lines)
    assert lines[0].split(" ", 2)[2].startswith("Nordic Trading AB: run 1 finished")
    assert lines[1].split(" ", 2)[2].startswith("Nordic Trading AB: run 2 finished")


def test_retry_and_resync_commands(demo: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "sync")[0] == 0
    code, out, _ = run(capsys, "retry")
    assert code == 0 and out.strip() == "Retried: 0 resolved, 0 still failing."
    code, out, _ = run(capsys, "resync", "Nordic Trading AB", "--actor", "Customer")
    assert code == 0 and "finished" in out
    code, _, err = run(capsys, "resync", "Dutch Wholesale BV")
    assert code == 1 and "is not active" in err
    code, _, err = run(capsys, "sync", "--every", "soon")
    assert code == 1 and "is not an interval" in err
