"""erp-tui in scripts and terminals: no TTY, closed pipes, --version, completion, JSON on every
listing, JSON Lines streams, refused paths, the log file named in --help."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from erp_tui.cli import build_parser
from tests.cli_support import SCRIPT, run


@pytest.fixture
def env(settings, tmp_path: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The environment of a console-script run on the test's own store and log folder."""
    return {**os.environ, "ERP_TUI_DATA_DIR": str(settings.data_dir),
            "ERP_TUI_DATABASE_URL": settings.resolved_database_url(),
            "ERP_TUI_LOG_DIR": str(tmp_path / "log")}


@pytest.fixture
def demo(settings, capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERP_TUI_DATABASE_URL", settings.resolved_database_url())
    assert run(capsys, "demo", "--no-ui", "--size", "30")[0] == 0


def test_without_a_terminal_the_ui_is_not_started(env: dict[str, str]) -> None:
    started = time.monotonic()
    result = subprocess.run([str(SCRIPT)], stdin=subprocess.DEVNULL, capture_output=True,
                            env=env, timeout=30, check=False)
    assert time.monotonic() - started < 5
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode().startswith("usage: erp-tui COMMAND [ARGS]")
    assert b"\x1b" not in result.stderr and len(result.stderr.splitlines()) == 1
    # `ssh host erp-tui ui` and the demo as well: the demo builds its data and says why.
    assert subprocess.run([str(SCRIPT), "ui"], stdin=subprocess.DEVNULL, capture_output=True,
                          env=env, timeout=30, check=False).returncode == 2
    demo = subprocess.run([str(SCRIPT), "demo", "--size", "20"], stdin=subprocess.DEVNULL,
                          capture_output=True, env=env, timeout=120, check=False, text=True)
    assert demo.returncode == 0 and "the UI was not opened" in demo.stderr


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A demo whose mapping (600 extra fields) and first run (about 2,000 created records)
    print far more JSON than a pipe holds: `head` exits while erp-tui still writes."""
    root = tmp_path_factory.mktemp("big")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ERP_TUI_")},
           "ERP_TUI_DATA_DIR": str(root / "data"), "ERP_TUI_LOG_DIR": str(root / "log")}
    subprocess.run([str(SCRIPT), "demo", "--no-ui", "--size", "600", "--extra-fields", "600"],
                   env=env, capture_output=True, check=True)
    sync = subprocess.run([str(SCRIPT), "sync"], env=env, capture_output=True, check=False)
    assert sync.returncode in (0, 1), sync.stderr  # 1: some record errors, still a run
    return env


@pytest.mark.parametrize("args", [["log", "--run", "1", "--json", "--limit", "100000"],
                                  ["mappings", "Nordic Trading AB", "--json"]])
def test_a_closed_pipe_ends_quietly(big_store: dict[str, str], args: list[str]) -> None:
    result = subprocess.run(["bash", "-c", '"$@" | head -1 >/dev/null; '
                             'echo "exit=${PIPESTATUS[0]}" >&2', "_", str(SCRIPT), *args],
                            env=big_store, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.stderr == "exit=0\n"  # no traceback, no "Exception ignored", no error line


def test_version_and_help_name_the_log_file(env: dict[str, str], tmp_path: Path) -> None:
    version = subprocess.run([str(SCRIPT), "--version"], capture_output=True, text=True,
                             env=env, check=False)
    assert version.returncode == 0 and version.stdout.startswith("erp-tui 0.")
    help_text = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True,
                               env=env, check=False).stdout
    assert f"log file:\n  {tmp_path / 'log' / 'erp-tui.log'}" in help_text
    assert "--debug" in help_text and "doctor" in help_text and "completion" in help_text


def test_bash_completion_is_generated_from_the_parser(tmp_path: Path) -> None:
    from erp_tui.cli.completion import script

    path = tmp_path / "erp-tui.bash"
    path.write_text(script(build_parser(), "bash"))

    def complete(*words: str) -> list[str]:
        program = (f"source '{path}'; COMP_WORDS=(erp-tui {' '.join(repr(w) for w in words)});"
                   " COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _erp_tui; "
                   "printf '%s\\n' \"${COMPREPLY[@]}\"")
        out = subprocess.run(["bash", "-c", program], capture_output=True, text=True,
                             check=True).stdout
        return out.split()

    assert complete("sy") == ["sync"]
    assert complete("connections", "") == ["list", "show", "add", "edit", "delete", "refresh"]
    assert "--json" in complete("connections", "list", "--")
    assert complete("--lang", "") == ["en", "nl"]
    assert complete("sync", "--dry") == ["--dry-run"]
    assert complete("completion", "") == ["bash", "zsh", "fish"]
    assert complete("connections", "add", "x", "--conflict-policy", "") == [
        "erp_wins", "crm_wins", "newest_wins"]


def test_zsh_and_fish_scripts_cover_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    commands = list(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert {"sync", "log", "doctor", "completion", "rank"} <= set(commands)
    code, fish, _ = run(capsys, "completion", "fish")
    assert code == 0
    for name in commands:
        assert f"-n '__fish_use_subcommand' -a '{name}'" in fish
    assert ("complete -c erp-tui -n '__fish_seen_subcommand_from connections; and not "
            "__fish_seen_subcommand_from list show add edit delete refresh' -a 'list'") in fish
    assert "-n '__fish_seen_subcommand_from sync' -l dry-run" in fish
    code, zsh, _ = run(capsys, "completion", "zsh")
    assert code == 0 and zsh.startswith("#compdef erp-tui") and "compdef _erp_tui erp-tui" in zsh
    assert f"['erp-tui']='{' '.join(commands)}'" in zsh


def test_every_listing_command_has_json(demo: None, capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    actions = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    listing = ["connectors", "validate", "mappings", "list-map", "defaults", "rank",
               "priority", "log", "sync", "doctor"]
    for name in listing:
        options = {o for a in actions[name]._actions for o in a.option_strings}
        assert "--json" in options, name
    code, out, _ = run(capsys, "rank", "Dutch Wholesale BV", "Customer", "--json")
    rows = json.loads(out)
    assert code == 0 and rows[0]["position"] == 1
    assert set(rows[0]) == {"position", "erp_field", "on_tab"}


def test_sync_every_json_is_one_object_per_line(demo: None, env: dict[str, str]) -> None:
    process = subprocess.Popen([str(SCRIPT), "sync", "--every", "1s", "--json"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    lines = [process.stdout.readline(), process.stdout.readline()]
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    first, second = (json.loads(line) for line in lines)
    assert (first["connection"], first["run_id"], first["status"]) == (
        "Nordic Trading AB", 1, "finished")
    assert second["run_id"] == 2 and second["counts"]["created"] == 0
    assert {"status_text", "counts", "actors", "seconds", "closed_errors"} <= set(first)


def test_explicit_paths_whose_parent_is_missing_are_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nonexistent"
    code, out, err = run(capsys, "--db", f"sqlite:///{missing / 'x.sqlite'}", "connections",
                         "list")
    assert code == 3 and out == ""
    assert err == (f"erp-tui: The folder {missing} of the database file does not exist; "
                   "create it first or fix --db / ERP_TUI_DATABASE_URL.\n")
    code, out, err = run(capsys, "--data-dir", str(missing / "data"), "connections", "list")
    assert code == 3 and len(err.splitlines()) == 1 and "--data-dir" in err
    assert not missing.exists()
    # An explicit data directory whose parent exists is created, as is the default one.
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "fresh"), "connections", "list")
    assert code == 0 and (tmp_path / "fresh" / "secret.key").exists()


def test_only_the_default_data_directory_is_created(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERP_TUI_")}
    env.update(XDG_DATA_HOME=str(tmp_path / "xdg"), XDG_STATE_HOME=str(tmp_path / "state"),
               HOME=str(tmp_path))
    result = subprocess.run([str(SCRIPT), "connections", "list"], env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "No connections yet" in result.stdout
    assert (tmp_path / "xdg" / "erp-tui" / "erp-tui.sqlite").exists()
    assert (tmp_path / "state" / "erp-tui" / "log" / "erp-tui.log").exists()


def test_a_broken_plugin_does_not_stop_other_commands(demo: None, env: dict[str, str],
                                                      tmp_path: Path) -> None:
    site = broken_plugin(tmp_path)
    env = {**env, "PYTHONPATH": str(site)}
    listed = subprocess.run([str(SCRIPT), "connectors", "--json"], env=env,
                            capture_output=True, text=True, check=False)
    assert listed.returncode == 0, listed.stderr
    rows = {r["kind"]: r for r in json.loads(listed.stdout)}
    assert rows["broken"]["label"] == "(cannot be loaded: ModuleNotFoundError)"
    result = subprocess.run([str(SCRIPT), "connections", "list", "--json"], env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and len(json.loads(result.stdout)) == 2
    doctor = subprocess.run([str(SCRIPT), "doctor", "--json", "--no-test"], env=env,
                            capture_output=True, text=True, check=False)
    assert doctor.returncode == 1
    failed = [c for c in json.loads(doctor.stdout)["checks"] if c["status"] == "fail"]
    assert [(c["area"], c["subject"]) for c in failed] == [("connector", "broken")]
    assert "no_such_module_here" in failed[0]["message"]
    assert "ModuleNotFoundError" in failed[0]["message"]


def broken_plugin(root: Path) -> Path:
    """A folder for PYTHONPATH holding an installed distribution whose connector entry point
    names a module that does not exist."""
    site = root / "site"
    info = site / "broken_erp_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-erp-plugin\n"
                                   "Version: 0.1\n")
    (info / "entry_points.txt").write_text("[erp_tui.connectors]\n"
                                           "broken = no_such_module_here:Connector\n")
    return site
