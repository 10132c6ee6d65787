"""The command line: every configuration step headless, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli_support import SCRIPT, run


@pytest.fixture
def demo(settings, capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERP_TUI_DATABASE_URL", settings.resolved_database_url())
    code, out, _ = run(capsys, "demo", "--no-ui", "--size", "40")
    assert code == 0, out


def test_console_script_help_and_exit_codes_are_documented() -> None:
    result = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "exit codes:" in result.stdout and "5  changed by someone else" in result.stdout
    bad = subprocess.run([str(SCRIPT), "frobnicate"], capture_output=True, text=True,
                         check=False)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_demo_is_idempotent_and_listed(demo: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo", "--no-ui")
    assert code == 0 and out.startswith("Found the demo")
    code, out, _ = run(capsys, "connections", "list", "--json")
    rows = json.loads(out)
    assert [(r["name"], r["active"]) for r in rows] == [
        ("Nordic Trading AB", True), ("Dutch Wholesale BV", False)]


def test_show_masks_secrets(demo: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "connections", "show", "Nordic Trading AB")
    assert code == 0
    assert "api_key: ••••••" in out and "demo-key" not in out


def test_whole_workflow_from_the_command_line(demo: None, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    name = "Nordic Trading AB"
    code, _, err = run(capsys, "map", name, "Customer", "vatno", "--direction", "<")
    assert code == 1 and "is active; deactivate it first" in err
    assert run(capsys, "deactivate", name)[0] == 0
    code, out, _ = run(capsys, "map", name, "Customer", "customer_no", "--crm", "number2",
                       "--direction", ">")
    assert code == 0 and "customer_no -> number2, direction >" in out
    code, _, err = run(capsys, "map", name, "Customer", "customer_no", "--direction", "<>")
    assert code == 1 and "read-only in the ERP" in err
    code, _, err = run(capsys, "list-map", name, "country", "--set", "NL=SE")
    assert code == 1 and "duplicate mappings" in err
    assert run(capsys, "list-map", name, "country", "--set", "NL=NL")[0] == 0
    code, _, err = run(capsys, "defaults", name, "Customer", "--set", "note", "--mandatory")
    assert code == 1 and "'Note' is mandatory" in err
    assert run(capsys, "defaults", name, "Customer", "--set", "note", "--ask",
               "--mandatory")[0] == 0
    code, out, _ = run(capsys, "defaults", name, "Customer", "--json")
    assert {"actor": "Customer", "erp_field": "note", "label": "Note", "value": None,
            "ask_user": True, "mandatory": True} in json.loads(out)
    assert run(capsys, "rank", name, "Customer", "--move", "note", "--by", "-3")[0] == 0
    assert run(capsys, "map", name, "Customer", "name", "--direction", "none")[0] == 0
    code, _, err = run(capsys, "activate", name)
    assert code == 1
    assert "Customer › Name: mandatory ERP field has no sync direction" in err
    assert run(capsys, "map", name, "Customer", "name", "--direction", "<>")[0] == 0
    code, out, _ = run(capsys, "validate", name)
    assert code == 0 and "can be activated" in out
    assert run(capsys, "activate", name)[0] == 0
    code, out, _ = run(capsys, "mappings", name, "Customer", "--json")
    fields = {f["erp_field"]: f for f in json.loads(out)[0]["fields"]}
    assert fields["customer_no"]["crm_field"] == "number2"
    assert fields["name"]["direction"] == "<>"

    export_file = tmp_path / "nordic.yaml"
    assert run(capsys, "export", name, "-o", str(export_file))[0] == 0
    code, _, err = run(capsys, "import", str(export_file), "--name", "Nordic copy")
    assert code == 1  # no terminal to ask on: say how to give it, before asking the ERP
    assert err == ("erp-tui: The file holds no API key (a secret); give it with "
                   "--set-from-env api_key=VAR, --set-from-file api_key=PATH or --set "
                   "api_key=VALUE.\n")
    code, out, _ = run(capsys, "import", str(export_file), "--name", "Nordic copy",
                       "--set", "api_key=demo-key")
    assert code == 0 and "it is inactive" in out
    code, out, _ = run(capsys, "priority", "--json")
    assert [r["name"] for r in json.loads(out)] == [name]


def test_errors_are_one_clear_line(demo: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "connections", "show", "Nope")
    assert code == 3
    assert err.strip() == ("erp-tui: There is no connection named 'Nope'; "
                           "'erp-tui connections list' shows them.")
    code, _, err = run(capsys, "map", "Dutch Wholesale BV", "Customer", "name", "--direction",
                       "sideways")
    assert code == 1 and err.strip().endswith("use '>', '<', '<>' or 'none'.")
    code, _, err = run(capsys, "import", "/nonexistent/file.yaml")
    assert code == 1 and "Cannot read /nonexistent/file.yaml" in err


def test_add_connection_runs_the_test_gate(demo: None, settings,  # type: ignore[no-untyped-def]
                                           capsys: pytest.CaptureFixture[str]) -> None:
    erp = settings.data_dir / "demo" / "erp-dutch.sqlite"
    code, _, err = run(capsys, "connections", "add", "Third", "--connector", "sample",
                       "--set", f"database={erp}", "--set", "api_key=wrong",
                       "--scope", "everyone")
    assert code == 1 and "The connection test failed" in err
    code, out, _ = run(capsys, "connections", "add", "Third", "--connector", "sample",
                       "--set", f"database={erp}", "--set", "api_key=demo-key",
                       "--scope", "everyone")
    assert code == 0 and "Added connection 'Third'" in out
    code, out, _ = run(capsys, "test", "Third")
    assert code == 0 and out.startswith("passed")


def test_bad_database_url_is_one_line(tmp_path: Path) -> None:
    result = subprocess.run([str(SCRIPT), "--db", "postgresql+psycopg://nobody@127.0.0.1:1/x",
                             "connections", "list"], capture_output=True, text=True,
                            check=False, env={**os.environ, "ERP_TUI_DATA_DIR": str(tmp_path)})
    assert result.returncode == 6
    assert len(result.stderr.strip().splitlines()) == 1
    assert "the database cannot be used" in result.stderr
