"""Hostile text through every face: each value is refused with one clear line (exit 1, no
traceback, nothing written) or stored exactly and shown inert (no raw escape reaches the
terminal, markup is shown as typed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from erp_tui.cli import main
from tests.screen_support import screen_text

NORDIC = "Nordic Trading AB"
DUTCH = "Dutch Wholesale BV"

# id -> (value, refused?) as a single-line name; every refusal names the reason.
VALUES: dict[str, tuple[str, bool]] = {
    "quotes": ("O'Brien \"Q\" `x`", False),
    "sql": ("'; DROP TABLE connection; --", False),
    "markup": ("[bold]x[/]", False),
    "markup-close": ("[/]", False),
    "csi": ("Evil\x1b[31m red", True),
    "osc": ("Evil\x1b]0;title\x07", True),
    "nul": ("a\x00b", True),
    "rtl": ("\u202eevil.exe", True),
    "long": ("x" * 10_000, True),
    "emoji": ("😀 Café 👩\u200d👩\u200d👧", False),
}
RAW = ("\x1b", "\x00", "\x07", "\u202e")  # never printed as they are


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    # JSON escapes every C0 control; a bidi mark inside a JSON string is still valid JSON.
    for raw in RAW[:3] if "--json" in args else RAW:
        assert raw not in out and raw not in err, (args[:3], out, err)
    assert "Traceback" not in err, err
    return code, out, err


def json_of(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def assert_refused(code: int, err: str) -> None:
    """Exit 1 and one line saying why (under the summary line of a refused save; `connections
    add/edit` reports its connection test first)."""
    assert code == 1, err
    lines = [line for line in err.splitlines() if not line.startswith("Connection test: ")]
    reasons = [line for line in lines if "control character" in line or "characters" in line]
    assert len(reasons) == 1 and len(lines) <= 2, err
    assert len(reasons[0]) < 200, err  # the value is not echoed back


@pytest.fixture
def demo(settings, capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
         monkeypatch: pytest.MonkeyPatch) -> str:
    """The demo in its own store; returns the Dutch sample ERP's file."""
    monkeypatch.setenv("ERP_TUI_DATABASE_URL", settings.resolved_database_url())
    assert run(capsys, "demo", "--no-ui", "--size", "10")[0] == 0
    return str(json_of(capsys, "connections", "show", DUTCH)["config"]["database"])


@pytest.mark.parametrize("key", list(VALUES))
def test_connection_names(demo: str, capsys: pytest.CaptureFixture[str], key: str) -> None:
    value, refused = VALUES[key]
    before = json_of(capsys, "connections", "list")
    code, _, err = run(capsys, "connections", "add", value, "--connector", "sample",
                       "--set", f"database={demo}", "--set", "api_key=demo-key",
                       "--scope", "everyone")
    if refused:
        assert_refused(code, err)
        assert json_of(capsys, "connections", "list") == before
        code, _, err = run(capsys, "connections", "edit", DUTCH, "--rename", value)
        assert_refused(code, err)
        assert json_of(capsys, "connections", "list") == before
        return
    assert code == 0, err
    names = [row["name"] for row in json_of(capsys, "connections", "list")]
    assert value in names  # stored exactly
    assert json_of(capsys, "connections", "show", value)["name"] == value
    code, out, _ = run(capsys, "connections", "list")
    assert code == 0 and len(out.splitlines()) == len(names) + 1  # no row split
    assert any(line.startswith(value + " ") for line in out.splitlines()), out
    code, _, err = run(capsys, "connections", "edit", value, "--rename", value + " 2")
    assert code == 0, err
    assert json_of(capsys, "connections", "show", value + " 2")["name"] == value + " 2"


def test_stored_control_characters_are_printed_escaped(demo: str,
                                                       capsys: pytest.CaptureFixture[str],
                                                       settings: Any) -> None:
    """A name stored before names were checked (or by another tool) is printed inert."""
    from sqlalchemy import create_engine, text

    engine = create_engine(settings.resolved_database_url())
    with engine.begin() as conn:
        conn.execute(text("UPDATE connection SET name = :n WHERE name = :o"),
                     {"n": "Evil\x1b]0;title\x07\nsecond\u202eline", "o": DUTCH})
    engine.dispose()
    code, out, _ = run(capsys, "connections", "list")
    assert code == 0 and len(out.splitlines()) == 3  # header and two rows: none split
    assert "Evil\\x1b]0;title\\x07\\nsecond\\u202eline" in out
    rows = json_of(capsys, "connections", "list")  # JSON stays valid and exact
    assert "Evil\x1b]0;title\x07\nsecond\u202eline" in [row["name"] for row in rows]


@pytest.mark.parametrize("key", ["csi", "osc", "nul", "rtl"])
def test_refusals_quoting_what_was_typed_are_printed_inert(
        demo: str, capsys: pytest.CaptureFixture[str], key: str) -> None:
    value = VALUES[key][0]
    code, _, err = run(capsys, "connections", "show", value)  # run() finds no raw character
    assert code == 3 and len(err.splitlines()) == 1, err
    assert "There is no connection named 'Evil\\x1b" in err or key not in ("csi", "osc")
    record = json_of(capsys, "records", "list", "company")["records"][0]
    code, _, err = run(capsys, "records", "edit", "company", str(record["id"]),
                       "--set", f"{value}=x")
    assert code in (1, 3) and "no field" in err, err


@pytest.mark.parametrize("key", list(VALUES))
def test_record_names(demo: str, capsys: pytest.CaptureFixture[str], key: str) -> None:
    value, refused = VALUES[key]
    record = json_of(capsys, "records", "list", "company")["records"][0]
    before = json_of(capsys, "records", "show", "company", str(record["id"]))
    code, out, err = run(capsys, "records", "edit", "company", str(record["id"]),
                         "--set", f"name={value}")
    after = json_of(capsys, "records", "show", "company", str(record["id"]))
    if refused:
        assert_refused(code, err)
        assert after == before
        return
    assert code == 0, err
    assert after["title"] == value
    code, out, _ = run(capsys, "records", "list", "company")
    # The records table shows the emoji joiner escaped (\u200d) as well: inert either way.
    assert code == 0 and (value in out or value.replace("\u200d", "\\u200d") in out), out


@pytest.mark.parametrize("key", list(VALUES))
def test_crm_field_labels(demo: str, capsys: pytest.CaptureFixture[str], key: str) -> None:
    value, refused = VALUES[key]
    before = json_of(capsys, "crm-fields", "company")
    code, _, err = run(capsys, "crm-fields", "company", "--add", "hostile", "--type", "text",
                       "--label", value)
    fields = json_of(capsys, "crm-fields", "company")
    if refused:
        assert code == 1 and len(err.splitlines()) == 1, err
        assert "one line of at most 200 characters" in err
        assert fields == before
        return
    assert code == 0, err
    assert [f["label"] for f in fields["fields"] if f["key"] == "hostile"] == [value]


@pytest.mark.parametrize("key", list(VALUES))
def test_erp_search_criteria(demo: str, capsys: pytest.CaptureFixture[str], key: str) -> None:
    value, refused = VALUES[key]
    code, out, err = run(capsys, "erp-search", NORDIC, "Customer", "--where", f"name = {value}")
    # A long text is a fine criterion (it matches nothing); the emoji joiner (U+200D, a format
    # character) is refused with the controls.
    if (refused and key != "long") or key == "emoji":
        assert code == 1 and len(err.splitlines()) == 1, err
        assert "cannot hold control characters" in err
        return
    assert code == 0, err
    assert out == "No ERP Customer matches.\n"


# ---- the UI -----------------------------------------------------------------------------------

SHOWN = [v for v, refused in VALUES.values() if not refused]
# The screens show outside text one line, controls as spaces (the emoji joiner too).
ON_SCREEN = [v.replace("\u200d", " ") for v in SHOWN]
STORED_RAW = "Evil\x1b[31m red\x1b]0;title\x07"  # as if it came from an ERP or an older version


async def test_the_connections_list_shows_names_as_typed(ctx: Any, tmp_path: Path) -> None:
    from sqlalchemy import update

    from erp_tui.connectors.sample_data import generate_sample_erp
    from erp_tui.model import Connection
    from erp_tui.screens.app import ErpTuiApp
    from erp_tui.services import connections

    erp = tmp_path / "erp.sqlite"
    generate_sample_erp(erp, customers=3, suppliers=0, projects=0, api_key="demo-key")
    for name in [*SHOWN, "Raw"]:
        draft = connections.ConnectionDraft(
            name=name, connector="sample", scope="everyone",
            values={"database": str(erp), "api_key": "demo-key"})
        connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))
    with ctx.session() as session:
        session.execute(update(Connection).where(Connection.name == "Raw")  # type: ignore[arg-type]
                        .values(name=STORED_RAW))
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        for name in ON_SCREEN:
            assert name in text, (name, text)
        assert not any(raw in text for raw in RAW), text
        assert "Evil" in text


async def test_the_records_screen_shows_company_names_as_typed(ctx: Any) -> None:
    from erp_tui.screens.app import ErpTuiApp
    from erp_tui.screens.records_screen import RecordsScreen

    names = [*SHOWN, STORED_RAW]
    with ctx.engine.begin() as conn:
        for number, name in enumerate(names, start=1):
            conn.exec_driver_sql("INSERT INTO crm_company (id, name, change_stamp) "
                                 "VALUES (?, ?, ?)", (number, name, number))
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        for _ in range(5):
            await pilot.pause()
        assert isinstance(app.screen, RecordsScreen)
        text = screen_text(app)
        for name in ON_SCREEN:
            assert name in text, (name, text)
        assert not any(raw in text for raw in RAW), text
        assert "Evil" in text
