"""Log and errors that tell the truth: batch errors closed by the run that read their range
again, "finished with N errors" everywhere, `log --run` pages, dry-run output that fits 80
columns, and every run in the log file (never a secret)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from erp_tui import logs
from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.contract import PageResult
from erp_tui.runner import RunOptions, open_errors, recent_runs, run_sync
from tests.cli_support import run

from .conftest import API_KEY, configure


@pytest.fixture
def small(ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    """30 customers read in pages of 10; the CLI uses the same store."""
    erp_file = tmp_path / "erp.sqlite"
    generate_sample_erp(erp_file, customers=30, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    configure(ctx, erp_file, "F", page_size=10, persons=False)
    monkeypatch.setenv("ERP_TUI_DATABASE_URL", ctx.settings.resolved_database_url())
    return ctx


def _fail_page(monkeypatch: pytest.MonkeyPatch, number: int) -> None:
    """Page `number` of the next reads fails (in this process: the CLI's store too)."""
    from erp_tui.connectors.sample import SampleConnector

    original = SampleConnector.actors_changed_since
    calls = {"n": 0}

    def flaky(self: Any, *args: Any, **kwargs: Any) -> PageResult:
        calls["n"] += 1
        if calls["n"] == number:
            raise RuntimeError("ERP unreachable")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SampleConnector, "actors_changed_since", flaky)


def test_a_run_that_fails_again_keeps_the_old_batch_error_open(
        small: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        _fail_page(patch, 2)
        first = run_sync(small)[0]
    assert first.counts.errors == 1 and first.status == "finished"
    with monkeypatch.context() as patch:
        _fail_page(patch, 1)  # the ERP is still unreachable: nothing read again
        second = run_sync(small)[0]
    assert second.closed_errors == 0
    assert sorted(e.run_id for e in open_errors(small, "F")) == [first.run_id, second.run_id]
    third = run_sync(small)[0]
    assert third.counts.created == 20 and third.closed_errors == 2
    assert open_errors(small, "F") == []
    (latest, *_rest) = recent_runs(small, "F")
    assert latest.id == third.run_id
    assert latest.message == ("Closed 2 batch errors of earlier runs: their ranges were read "
                              "again.")


def test_a_run_with_errors_reads_finished_with_n_errors(
        small: AppContext, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _fail_page(monkeypatch, 2)
    code, out, _ = run(capsys, "sync")
    assert code == 1
    assert out.splitlines()[0].startswith("F: run 1 finished with 1 error in ")
    assert "  Customer: 10 created, 1 error" in out.splitlines()
    code, out, _ = run(capsys, "log")
    assert "finished with 1 error" in out.splitlines()[1]
    code, out, _ = run(capsys, "log", "--run", "1")
    assert out.splitlines()[0].startswith("Run 1 · F · sync · finished with 1 error · started ")
    rows = json.loads(run(capsys, "log", "--json")[1])
    assert (rows[0]["status"], rows[0]["status_text"], rows[0]["connection"]) == (
        "finished", "finished with 1 error", "F")
    code, out, _ = run(capsys, "log", "--errors")
    assert out.splitlines()[0].split()[:4] == ["ID", "RUN", "CONNECTION", "ACTOR"]


def test_log_run_pages_lists_created_records_and_knows_unknown_runs(
        small: AppContext, capsys: pytest.CaptureFixture[str]) -> None:
    run_sync(small)
    code, out, err = run(capsys, "log", "--run", "99")
    assert code == 3 and out == ""
    assert err.strip() == "erp-tui: There is no run 99; 'erp-tui log' lists the recent ones."
    code, out, _ = run(capsys, "log", "--run", "1", "--limit", "4")
    lines = out.splitlines()
    assert code == 0
    assert "Field changes: none." in lines
    start = lines.index("Created records: 1-4 of 30")
    assert lines[start + 1].split() == ["ACTOR", "ERP_KEY", "CRM_ENTITY", "CRM_ID"]
    assert [line.split()[1] for line in lines[start + 2:start + 6]] == [
        "C0000001", "C0000002", "C0000003", "C0000004"]
    assert lines[start + 6] == "  … 26 more: erp-tui log --run 1 --offset 4 --limit 4"
    code, out, _ = run(capsys, "log", "--run", "1", "--limit", "4", "--offset", "28")
    assert "Created records: 29-30 of 30" in out and "more:" not in out
    data = json.loads(run(capsys, "log", "--run", "1", "--json", "--limit", "5")[1])
    assert data["created_total"] == 30 and len(data["created"]) == 5
    assert data["created"][0]["erp_key"] == "C0000001" and data["changes_total"] == 0
    assert data["run"]["id"] == 1 and data["run"]["connection"] == "F"


def test_dry_run_shows_summaries_first_then_limited_changes_in_80_columns(
        small: AppContext, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sync", "--dry-run", "--limit", "3")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("F: dry run finished in ") and lines[0].endswith("30 created")
    assert lines[1] == "  Customer: 30 created"
    assert lines[2:5] == [f"    + C000000{i} → new CRM record" for i in (1, 2, 3)]
    assert lines[5] == "    … and 27 more (--limit N shows more; --json lists them all)"
    assert len(lines) == 6
    code, out, _ = run(capsys, "sync", "--dry-run")  # default: 20 changes each
    assert sum(line.startswith("    + ") for line in out.splitlines()) == 20
    assert all(len(line) <= 80 for line in out.splitlines())


def test_long_values_and_names_are_cut_to_80_columns(
        small: AppContext, capsys: pytest.CaptureFixture[str]) -> None:
    from erp_tui.services.connections import deactivate, draft_for, save_draft, test_draft

    run_sync(small)
    deactivate(small, "F")
    draft = draft_for(small, "F")
    draft.name = "A connection whose name is much longer than anybody would type in a terminal"
    save_draft(small, draft, test_draft(small, draft))
    code, out, _ = run(capsys, "activate", draft.name.strip())
    assert code == 0, out
    code, out, _ = run(capsys, "sync")
    assert code == 0
    assert all(len(line) <= 80 for line in out.splitlines())
    assert out.splitlines()[0].startswith("A connection whose name")
    assert "…: run 2 finished in " in out.splitlines()[0]


def test_runs_are_logged_to_the_file_without_secrets(
        small: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ERP_TUI_LOG_DIR", str(tmp_path / "logs"))
    with monkeypatch.context() as patch:
        _fail_page(patch, 2)
        assert run(capsys, "sync")[0] == 1
    assert run(capsys, "sync")[0] == 0
    text = (tmp_path / "logs" / "erp-tui.log").read_text()
    assert "INFO [" in text and "run 1 of 'F' started (1 actor types)" in text
    assert "run 1 of 'F' finished with 1 error in " in text
    assert "run 1 error: Customer (batch) (>): RuntimeError: ERP unreachable" in text
    assert "run 2 closed 1 batch error(s) of Customer: their range was read again" in text
    assert API_KEY not in text
    assert "DEBUG" not in text  # INFO unless asked
    assert run(capsys, "--debug", "log")[0] == 0
    assert "DEBUG [" in (tmp_path / "logs" / "erp-tui.log").read_text()


def test_the_page_reader_logs_to_the_same_file(small: AppContext, tmp_path: Path) -> None:
    from erp_tui.runner import reader

    log_file = logs.setup(tmp_path / "logs", logging.DEBUG)
    assert log_file is not None
    try:
        report = run_sync(small, options=RunOptions(read_ahead_rows=1))[0]
    finally:
        logs.logger.handlers.clear()
    assert report.counts.created == 30 and reader.peak_child_rss_kb > 0
    text = log_file.read_text()
    parent = f"[{__import__('os').getpid()}]"
    reader_lines = [line for line in text.splitlines() if "page reader: " in line]
    assert any("page reader: reading Customer pages of connection" in line
               for line in reader_lines)
    assert reader_lines and all(parent not in line for line in reader_lines)  # the child's


def test_secrets_are_masked_in_log_lines() -> None:
    line = logs.redact("connect postgresql+psycopg://erp:s3cret@db/erp failed; password=hunter2"
                       " api_key: 'demo-key' token=abc")
    assert "s3cret" not in line and "hunter2" not in line and "demo-key" not in line
    assert "abc" not in line and "postgresql+psycopg://erp:******@db/erp" in line
