"""`erp-tui import FILE` is bounded: hostile files are refused with one line, nothing written."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from erp_tui.cli import main
from erp_tui.demo import NORDIC

BILLION_LAUGHS = """erp_tui_export: 1
connection:
  name: Bomb
  connector: sample
  scope: everyone
  config:
    a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
    d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
    f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
    g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
    h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
    i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def names(capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, out, _ = run(capsys, "connections", "list", "--json")
    assert code == 0
    return [row["name"] for row in json.loads(out)]


@pytest.fixture
def exported(settings, capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
             monkeypatch: pytest.MonkeyPatch) -> str:
    """The demo's Nordic connection exported, renamed 'Copy' (so importing it is allowed)."""
    monkeypatch.setenv("ERP_TUI_DATABASE_URL", settings.resolved_database_url())
    assert run(capsys, "demo", "--no-ui", "--size", "20")[0] == 0
    code, out, _ = run(capsys, "export", NORDIC)
    assert code == 0
    return out.replace(f"name: {NORDIC}", "name: Copy")


def refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | bytes,
            expected: str) -> str:
    """Import `content`; assert exit 1, one line naming `expected`, and nothing written."""
    before = names(capsys)
    path = tmp_path / "import.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "import", str(path), "--set", "api_key=demo-key")
    assert (code, out) == (1, ""), err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert expected in err, err
    assert names(capsys) == before
    return err


def test_the_exported_file_still_imports(exported: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "copy.yaml"
    path.write_text(exported, encoding="utf-8")
    code, _, err = run(capsys, "import", str(path), "--set", "api_key=demo-key")
    assert code == 0, err
    assert "Copy" in names(capsys)


def test_a_billion_laughs_is_refused_at_once(exported: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    err = refused(capsys, tmp_path, BILLION_LAUGHS, "anchors and aliases")
    assert time.monotonic() - started < 2
    assert "line 7" in err  # the first anchor


def test_a_file_over_the_size_limit_is_refused(exported: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    padding = "# " + "x" * 998 + "\n"
    started = time.monotonic()
    refused(capsys, tmp_path, exported + padding * 1_100, "larger than 1,000,000 bytes")
    assert time.monotonic() - started < 2


def test_duplicate_keys_are_refused_with_key_and_line(exported: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    lines = exported.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == "scope: everyone")
    lines.insert(at + 1, "  scope: chosen")
    refused(capsys, tmp_path, "\n".join(lines) + "\n",
            f"at line {at + 2}: key 'scope' appears twice")


def test_config_keys_the_connector_does_not_declare_are_refused(
        exported: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = yaml.safe_load(exported)
    data["connection"]["config"]["shell_command"] = "rm -rf /"
    err = refused(capsys, tmp_path, yaml.safe_dump(data),
                  "'shell_command' under 'config' is not a config field of connector 'sample'")
    assert "fields: " in err
    data["connection"]["config"].pop("shell_command")
    data["connection"]["config"][next(iter(data["connection"]["config"]))] = {"nested": [1]}
    refused(capsys, tmp_path, yaml.safe_dump(data), "holds a dict; give it as text")


@pytest.mark.parametrize(("content", "expected"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "is not a UTF-8 text file (byte 1)"),
    (b"erp_tui_export: 1\nconnection:\n  name: caf\xe9\n", "is not a UTF-8 text file (byte 42)"),
    (b"erp_tui_export: 1\n\x00\x01\x02", "control character U+0000"),
    ("[" * 20_000 + "]" * 20_000, "nest"),  # libyaml's own limit may answer first
    ("a:\n" + "".join(" " * i + "- \n" for i in range(1, 1_000)),
     "nests deeper than 32 levels"),
    ("erp_tui_export: 1\nconnection: {name: " + "9" * 5_000 + "}\n",
     "holds a value YAML cannot read"),
], ids=["binary", "latin-1", "nul", "deep-flow", "deep-block", "huge-number"])
def test_unreadable_files_give_one_line_never_exit_6(
        exported: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        content: str | bytes, expected: str) -> None:
    refused(capsys, tmp_path, content, expected)


def test_a_hostile_connection_name_in_the_file_is_refused(
        exported: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = yaml.safe_load(exported)
    data["connection"]["name"] = "Evil\x1b[31m red"
    err = refused(capsys, tmp_path, yaml.safe_dump(data), "control character U+001B")
    assert "\x1b" not in err
