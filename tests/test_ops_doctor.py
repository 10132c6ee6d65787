"""`erp-tui doctor`: every check an operator runs first, as the CLI prints them."""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from erp_tui.cli import main
from erp_tui.runner.lock import run_lock
from erp_tui.secrets import new_key
from erp_tui.services.doctor import passed, run_checks

NORDIC = "Nordic Trading AB"


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["doctor", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def by_area(report: dict[str, Any], area: str, subject: str = "") -> dict[str, str]:
    return next(c for c in report["checks"] if c["area"] == area and c["subject"] == subject)


@pytest.fixture
def demo(demo_ctx: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ERP_TUI_DATABASE_URL", demo_ctx.settings.resolved_database_url())
    return demo_ctx


def test_a_healthy_demo_passes(demo: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = doctor(capsys)
    assert code == 0 and report["ok"] is True
    areas = {c["area"] for c in report["checks"]}
    assert areas == {"data_dir", "log_file", "connector", "store", "secret_key", "connection",
                     "lock", "errors", "last_run"}
    assert by_area(report, "connection", NORDIC)["message"] == (
        "Active; the connection test passed.")
    assert by_area(report, "connection", "Dutch Wholesale BV")["message"] == (
        "Inactive: not tested.")
    assert "at the current migration" in by_area(report, "store")["message"]
    assert by_area(report, "last_run", NORDIC)["message"] == "Never synced."
    assert "decrypts the stored secrets of 2 connections" in by_area(
        report, "secret_key")["message"]
    code = main(["doctor"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and lines[-1] == "All checks passed."
    assert lines[0] == "[ok  ] data_dir: The data directory"  # the path on the next line
    assert f"[ok  ] connection {NORDIC}: Active; the connection test passed." in lines
    assert all(len(line) <= 80 for line in lines if "/" not in line)  # paths are not broken


def test_a_replaced_key_file_is_named_and_kept(demo: Any,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    key_file = demo.settings.data_dir / "secret.key"
    other = new_key().encode()
    key_file.write_bytes(other)  # a key from another machine
    code, report = doctor(capsys)
    assert code == 1 and report["ok"] is False
    check = by_area(report, "secret_key")
    assert check["status"] == "fail"
    assert check["message"].startswith(f"The secret key (the key file {key_file}) cannot "
                                       "decrypt the stored secrets of 2 connections (")
    assert "a key from another machine" in check["message"]
    assert by_area(report, "connection", NORDIC)["message"] == (
        "Not tested: its secrets cannot be decrypted with the current key.")
    assert key_file.read_bytes() == other  # never silently replaced


def test_a_missing_key_file_is_not_recreated(demo: Any,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    key_file = demo.settings.data_dir / "secret.key"
    key_file.unlink()
    code, report = doctor(capsys, "--no-test")
    assert code == 1
    assert by_area(report, "secret_key")["message"].startswith(
        f"The key file {key_file} is missing, so the stored secrets of 2 connections")
    assert not key_file.exists()


def test_loose_permissions_fail(demo: Any, capsys: pytest.CaptureFixture[str]) -> None:
    key_file = demo.settings.data_dir / "secret.key"
    os.chmod(key_file, 0o644)
    code, report = doctor(capsys, "--no-test")
    assert code == 1
    assert by_area(report, "secret_key")["message"] == (
        f"The key file {key_file} is readable by others (mode 644); run "
        f"'chmod 600 {key_file}'.")
    os.chmod(key_file, 0o600)
    os.chmod(demo.settings.data_dir, 0o777)
    try:
        code, report = doctor(capsys, "--no-test")
    finally:
        os.chmod(demo.settings.data_dir, 0o700)
    assert code == 1 and "is writable by others (mode 777)" in by_area(
        report, "data_dir")["message"]


def test_locks_interrupted_runs_open_errors_and_the_last_run(
        demo: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import insert

    from erp_tui.model import SyncRun
    from erp_tui.runner import run_sync
    from tests.list_support import map_list_item

    map_list_item(demo, NORDIC, "country", "DE", None)  # German customers: record errors
    report = run_sync(demo)[0]
    errors = report.counts.errors
    assert errors > 0
    with demo.engine.begin() as conn:  # a run killed before it could record its end
        conn.execute(insert(SyncRun.__table__).values(  # type: ignore[attr-defined]
            connection_id=1, started=datetime.now(UTC) - timedelta(minutes=5),
            status="running", kind="sync"))
    code, checks = doctor(capsys, "--no-test")
    assert code == 0  # warnings pass
    assert by_area(checks, "errors", NORDIC) == {
        "area": "errors", "subject": NORDIC, "status": "warn",
        "message": f"{errors} open record errors; 'erp-tui log --errors' lists them."}
    assert by_area(checks, "lock", NORDIC)["message"].startswith(
        "Run(s) 2 were interrupted (still marked running, but no process holds the lock)")
    assert by_area(checks, "last_run", NORDIC)["message"].startswith("Run 2 (sync) ")
    with run_lock(demo.engine, demo.settings.data_dir, 1, NORDIC):
        code, checks = doctor(capsys, "--no-test")
    assert by_area(checks, "lock", NORDIC)["message"].startswith(
        f"Being synced now (host {socket.gethostname()}, process {os.getpid()}, since ")


def test_last_run_with_errors_reads_finished_with_n_errors(demo: Any) -> None:
    from erp_tui.runner import run_sync
    from tests.list_support import map_list_item

    map_list_item(demo, NORDIC, "country", "DE", None)
    errors = run_sync(demo)[0].counts.errors
    checks = run_checks(demo.settings, test_connections=False)
    last = next(c for c in checks if c.area == "last_run" and c.subject == NORDIC)
    assert last.message.endswith(f": finished with {errors} errors.")
    assert passed(checks)


def test_an_unreachable_store_fails_with_one_sentence(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    code = main(["--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "doctor", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    store = by_area(report, "store")
    assert store["status"] == "fail"
    assert store["message"].startswith("The store postgresql+psycopg://nobody@127.0.0.1:1/none "
                                       "cannot be used: ")
    assert store["message"].endswith("check --db / ERP_TUI_DATABASE_URL.")
    assert "secret_key" not in {c["area"] for c in report["checks"]}


def test_doctor_reports_an_old_store_upgraded(tmp_path: Path, settings: Any) -> None:
    from erp_tui.db import head_revision, make_engine, upgrade

    engine = make_engine(settings.resolved_database_url())
    upgrade(engine, "0001")
    engine.dispose()
    checks = run_checks(settings, test_connections=False)
    store = next(c for c in checks if c.area == "store")
    assert store.message.endswith(f"was upgraded from migration 0001 to {head_revision()}.")
