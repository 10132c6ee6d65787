"""The command line and secrets: values from the environment or a file (never from the command
line seen by `ps`), private export files with long passphrases, the connector's settings in
`--help`, and the type a connector guessed shown in `mappings`."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from erp_tui.cli import main
from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.model import Connection
from erp_tui.services.transfer import MIN_PASSPHRASE
from erp_tui.settings import Settings
from tests.cli_support import SCRIPT, run
from tests.connectors.erp_builders import workbook_erp

API_KEY = "Xq7-very-secret-api-key"
NAME = "Sample"


def help_of(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run a `--help` command line (argparse ends it with SystemExit)."""
    with pytest.raises(SystemExit) as ended:
        main(list(args))
    out, err = capsys.readouterr()
    return int(ended.value.code or 0), out, err


@pytest.fixture
def store(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The store of `settings`, used by the commands through ERP_TUI_DATABASE_URL."""
    monkeypatch.setenv("ERP_TUI_DATABASE_URL", settings.resolved_database_url())
    return settings


@pytest.fixture
def erp_file(tmp_path: Path) -> Path:
    path = tmp_path / "erp.sqlite"
    generate_sample_erp(path, customers=5, suppliers=1, projects=1, api_key=API_KEY)
    return path


@pytest.fixture
def connection(store: Settings, erp_file: Path,
               capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    """Connection NAME to the sample ERP, added with its API key from the environment."""
    monkeypatch.setenv("SAMPLE_API_KEY", API_KEY)
    code, _, err = run(capsys, "connections", "add", NAME, "--connector", "sample",
                       "--set", f"database={erp_file}", "--set-from-env",
                       "api_key=SAMPLE_API_KEY", "--scope", "everyone")
    assert code == 0, err
    monkeypatch.delenv("SAMPLE_API_KEY")
    return NAME


@pytest.fixture
def owner_umask() -> Iterator[None]:
    """A umask that would leave new files readable by everyone (0644)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def stored_secret(settings: Settings, name: str) -> str:
    ctx = AppContext.open(settings)
    with ctx.session() as session:
        row = session.exec(select(Connection).where(Connection.name == name)).one()
        token = row.secrets["api_key"]
    assert token != API_KEY and API_KEY not in json.dumps(row.config)
    return ctx.secrets.decrypt(token)


# ---- secrets from the environment or a file ----------------------------------------------------

def test_a_secret_from_the_environment_arrives_encrypted_and_is_never_echoed(
        store: Settings, erp_file: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMPLE_API_KEY", API_KEY)
    code, out, err = run(capsys, "connections", "add", NAME, "--connector", "sample",
                         "--set", f"database={erp_file}", "--set-from-env",
                         "api_key=SAMPLE_API_KEY", "--scope", "everyone")
    assert code == 0, err
    assert "Connection test: passed" in err and API_KEY not in out + err
    assert stored_secret(store, NAME) == API_KEY
    code, out, _ = run(capsys, "connections", "show", NAME, "--json")
    assert code == 0 and API_KEY not in out


def test_the_console_script_takes_a_secret_from_a_file_keeping_it_off_the_command_line(
        store: Settings, erp_file: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "api.key"
    key_file.write_text(API_KEY + "\n", encoding="utf-8")  # as `echo` writes it
    argv = [str(SCRIPT), "connections", "add", NAME, "--connector", "sample", "--set",
            f"database={erp_file}", "--set-from-file", f"api_key={key_file}", "--scope",
            "everyone"]
    assert not any(API_KEY in word for word in argv)  # what `ps` shows of the process
    result = subprocess.run(argv, capture_output=True, text=True, check=False,
                            env={**os.environ, "ERP_TUI_DATABASE_URL":
                                 store.resolved_database_url()})
    assert result.returncode == 0, result.stderr
    assert API_KEY not in result.stdout + result.stderr
    assert stored_secret(store, NAME) == API_KEY  # no trailing newline


def test_a_wrong_secret_from_the_environment_is_not_printed_in_the_failure(
        store: Settings, erp_file: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WRONG_KEY", "Zz9-wrong-key-not-to-show")
    code, out, err = run(capsys, "connections", "add", NAME, "--connector", "sample",
                         "--set", f"database={erp_file}", "--set-from-env",
                         "api_key=WRONG_KEY", "--scope", "everyone")
    assert code == 1 and "The connection test failed" in err
    assert "Zz9-wrong-key" not in out + err


@pytest.mark.parametrize(("option", "value", "expected"), [
    ("--set-from-env", "api_key=NOT_SET_ANYWHERE",
     "The environment variable NOT_SET_ANYWHERE is not set (--set-from-env "
     "api_key=NOT_SET_ANYWHERE)."),
    ("--set-from-env", "api_key=EMPTY_VALUE", "The environment variable EMPTY_VALUE is empty"),
    ("--set-from-env", "api_key", "'api_key' is not a --set-from-env value; write KEY=VAR."),
    ("--set-from-file", "api_key={missing}", "Cannot read {missing} (--set-from-file "
                                             "api_key=...): No such file or directory."),
    ("--set-from-file", "api_key={big}", "is larger than 65,536 bytes, the limit of a value "
                                         "file"),
    ("--set-from-file", "api_key={binary}", "is not UTF-8 text"),
    ("--set-from-file", "api_key={blank}", "is empty (--set-from-file api_key=...)."),
])
def test_a_value_that_cannot_be_taken_is_one_line_and_exit_1(
        store: Settings, erp_file: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        option: str, value: str, expected: str) -> None:
    monkeypatch.setenv("EMPTY_VALUE", "")
    files = {"missing": tmp_path / "missing.key", "big": tmp_path / "big.key",
             "binary": tmp_path / "binary.key", "blank": tmp_path / "blank.key"}
    files["big"].write_bytes(b"k" * (64 * 1024 + 1))
    files["binary"].write_bytes(b"\xff\xfe\x00secret")
    files["blank"].write_text("\n\n", encoding="utf-8")
    names = {k: str(v) for k, v in files.items()}
    code, out, err = run(capsys, "connections", "add", NAME, "--connector", "sample",
                         "--set", f"database={erp_file}", option, value.format(**names),
                         "--scope", "everyone")
    assert (code, out) == (1, ""), err
    assert err.count("\n") == 1 and expected.format(**names) in err, err
    assert "secret" not in err  # the binary file's text is not shown
    code, out, _ = run(capsys, "connections", "list", "--json")
    assert json.loads(out) == []


def test_a_key_given_twice_is_refused(connection: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    key_file = tmp_path / "api.key"
    key_file.write_text(API_KEY, encoding="utf-8")
    code, _, err = run(capsys, "connections", "edit", connection, "--set", "api_key=other",
                       "--set-from-file", f"api_key={key_file}")
    assert code == 1 and "'api_key' is given more than once" in err


def test_edit_takes_a_new_secret_from_a_file(connection: str, store: Settings,
                                             tmp_path: Path, erp_file: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    with sqlite3.connect(erp_file) as erp:  # the ERP's administrator changes its key
        tables = {r[0] for r in erp.execute("SELECT name FROM sqlite_master")}
        assert "settings" in tables
        erp.execute("UPDATE settings SET value = 'Rotated-key-0002' WHERE key = 'api_key'")
    key_file = tmp_path / "rotated.key"
    key_file.write_text("Rotated-key-0002\r\n", encoding="utf-8")
    code, out, err = run(capsys, "connections", "edit", connection, "--set-from-file",
                         f"api_key={key_file}")
    assert code == 0, err
    assert "Rotated-key" not in out + err
    ctx = AppContext.open(store)
    with ctx.session() as session:
        row = session.exec(select(Connection).where(Connection.name == connection)).one()
        assert ctx.secrets.decrypt(row.secrets["api_key"]) == "Rotated-key-0002"


def test_import_takes_the_secret_left_out_of_the_file_from_the_environment(
        connection: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        store: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    export_file = tmp_path / "sample.yaml"
    assert run(capsys, "export", connection, "-o", str(export_file))[0] == 0
    code, _, err = run(capsys, "import", str(export_file), "--name", "Copy")
    assert code == 1 and "--set-from-env api_key=VAR, --set-from-file api_key=PATH" in err
    monkeypatch.setenv("COPY_KEY", API_KEY)
    code, out, err = run(capsys, "import", str(export_file), "--name", "Copy",
                         "--set-from-env", "api_key=COPY_KEY")
    assert code == 0, err
    assert API_KEY not in out + err
    assert stored_secret(store, "Copy") == API_KEY


def test_the_options_are_explained_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (("connections", "add"), ("connections", "edit"), ("import",)):
        code, out, _ = help_of(capsys, *command, "--help")
        text = " ".join(out.split())
        assert code == 0
        assert "--set-from-env KEY=VAR" in text and "--set-from-file KEY=PATH" in text
        assert "not set or empty: exit 1" in text and "unreadable or empty: exit 1" in text
        assert "visible to other local users (ps" in text


# ---- export files ------------------------------------------------------------------------------

def test_an_export_file_is_private_even_over_an_old_readable_file(
        connection: str, tmp_path: Path, owner_umask: None,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "sample.yaml"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o644)
    monkeypatch.setenv("ERP_TUI_EXPORT_PASSPHRASE", "twelve chars")
    code, _, err = run(capsys, "export", connection, "-o", str(target), "--include-secrets")
    assert code == 0, err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = target.read_text(encoding="utf-8")
    assert "secrets:" in text and API_KEY not in text
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
    code, _, err = run(capsys, "export", connection, "-o", str(tmp_path / "plain.yaml"))
    assert code == 0 and stat.S_IMODE((tmp_path / "plain.yaml").stat().st_mode) == 0o600


def test_a_short_export_passphrase_is_refused_and_nothing_written(
        connection: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "sample.yaml"
    monkeypatch.setenv("ERP_TUI_EXPORT_PASSPHRASE", "x" * (MIN_PASSPHRASE - 1))
    code, out, err = run(capsys, "export", connection, "-o", str(target), "--include-secrets")
    assert (code, out) == (1, "")
    assert err == ("erp-tui: ERP_TUI_EXPORT_PASSPHRASE is too short: use a passphrase of at "
                   f"least {MIN_PASSPHRASE} characters. Nothing was written.\n")
    assert not target.exists()
    code, out, err = help_of(capsys, "export", "--help")
    assert f"at least {MIN_PASSPHRASE} characters" in " ".join(out.split())
    assert "mode 0600" in out


def test_an_export_to_a_missing_folder_is_one_line(connection: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no-such-folder" / "sample.yaml"
    code, _, err = run(capsys, "export", connection, "-o", str(target))
    assert code == 1
    assert err == f"erp-tui: Cannot write {target}: No such file or directory; nothing was " \
                  "written.\n"


# ---- the connector's settings in --help --------------------------------------------------------

def test_add_help_lists_the_connectors_settings(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = help_of(capsys, "connections", "add", "X", "--connector", "workbook", "--help")
    assert code == 0
    assert out.startswith("usage: erp-tui connections add")
    settings = out[out.index("settings of connector 'workbook':"):].splitlines()
    assert settings[1].split() == ["KEY", "LABEL", "TYPE", "MANDATORY", "DEFAULT"]
    rows = {line.split()[0]: line for line in settings[2:8]}
    assert rows["path"].split() == ["path", "Workbook", "text", "yes"]
    assert rows["type_overrides"].split() == ["type_overrides", "Type", "overrides", "text",
                                              "no"]
    assert rows["read_only"].split() == ["read_only", "Read", "only", "checkbox", "no", "false"]
    assert "  lists: Columns that take their values from a list sheet" in out


def test_add_help_without_a_connector_says_how(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = help_of(capsys, "connections", "add", "--help")
    assert code == 0 and "Give --connector KIND before --help" in out


def test_add_help_names_an_unknown_connector(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = help_of(capsys, "connections", "add", "--connector", "nope", "--help")
    assert code == 3 and out.startswith("usage:")
    assert err.startswith("erp-tui: No connector 'nope' is installed; available:")


def test_edit_help_lists_the_settings_of_the_connections_connector(
        connection: str, store: Settings, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ERP_TUI_DATABASE_URL")  # the store comes from --db, given first
    code, out, _ = help_of(capsys, "--db", store.resolved_database_url(), "connections",
                           "edit", connection, "--help")
    assert code == 0
    rows = {line.split()[0]: line.split() for line in
            out[out.index("settings of connector 'sample':"):].splitlines()[2:8]}
    assert rows["api_key"] == ["api_key", "API", "key", "password", "yes"]
    assert rows["environment"][-3:] == ["list", "no", "production"]
    assert "Choices: production, test." in " ".join(out.split())
    assert API_KEY not in out


def test_the_connector_settings_load_no_ui(erp_file: Path) -> None:
    code = ("import sys\nfrom erp_tui.cli import main\n"
            "try:\n    main(['connections', 'add', '--connector', 'sample', '--help'])\n"
            "except SystemExit:\n    pass\nprint('textual' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "False"
    assert "api_key" in result.stdout


# ---- the type a connector guessed, in `mappings` -----------------------------------------------

def test_mappings_show_the_type_the_workbook_guessed(
        store: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workbook = workbook_erp(tmp_path / "erp.xlsx")
    code, _, err = run(capsys, "connections", "add", "Book", "--connector", "workbook",
                       "--set", f"path={workbook}", "--set", "lists=Customer.Country=Countries",
                       "--scope", "everyone")
    assert code == 0, err
    code, out, _ = run(capsys, "mappings", "Book", "Customer")
    assert code == 0
    lines = out.splitlines()
    founded = next(line for line in lines if line.split()[0] == "Founded")
    assert founded.split()[1:3] == ["date", "?"]
    name = next(line for line in lines if line.split()[0] == "Name")
    assert "?" not in name
    assert "  ? Founded: Type guessed from only 5 filled cell(s); set a type override" in out
    assert "? = type guessed" in lines[-1]
    code, out, _ = run(capsys, "mappings", "Book", "Customer", "--json")
    fields = {f["erp_field"]: f for f in json.loads(out)[0]["fields"]}
    assert fields["Founded"]["description"].startswith("Type guessed from only 5 filled")
    assert fields["Founded"]["type_guessed"] is True
    assert (fields["Name"]["description"], fields["Name"]["type_guessed"]) == ("", False)


def test_mappings_of_a_connector_that_did_not_guess_show_no_notes(
        connection: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "mappings", connection, "Customer")
    assert code == 0 and "?" not in out
    code, out, _ = run(capsys, "mappings", connection, "Customer", "--json")
    fields = {f["erp_field"]: f for f in json.loads(out)[0]["fields"]}
    assert fields["name"]["description"] == "Registered name of the company."
    assert fields["name"]["type_guessed"] is False
