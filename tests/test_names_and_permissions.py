"""Hostile names and config values are refused in one place; the store, its key and exports
with secrets are private to their owner."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.errors import RefusedError, ValidationFailed
from erp_tui.secrets import KEY_FILE_NAME
from erp_tui.services import connections
from erp_tui.services.transfer import export_connection, write_export
from erp_tui.settings import Settings

API_KEY = "s3cret-Key!"
HOSTILE_NAMES = {
    "escape sequence": "ERP \x1b[31mred\x1b]0;title\x07",
    "newline": "first\nsecond",
    "NUL": "ERP\x00",
    "C1 control": "ERP\x9b31m",
    "right-to-left override": "ERP \u202egnp.exe",
    "line separator": "ERP\u2028two",
}


@pytest.fixture
def erp_file(tmp_path: Path) -> Path:
    path = tmp_path / "erp.sqlite"
    generate_sample_erp(path, customers=5, suppliers=1, projects=1, api_key=API_KEY)
    return path


def _draft(erp_file: Path, name: str, **values: str) -> connections.ConnectionDraft:
    return connections.ConnectionDraft(
        name=name, connector="sample", scope="everyone",
        values={"database": str(erp_file), "api_key": API_KEY, **values})


def _save(ctx: AppContext, draft: connections.ConnectionDraft) -> int:
    return connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))


@pytest.mark.parametrize("name", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
def test_control_characters_in_names_are_refused(ctx: AppContext, erp_file: Path,
                                                 name: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _save(ctx, _draft(erp_file, name))
    message = str(refused.value)
    assert "The connection name contains the control character U+" in message
    assert "\x1b" not in message and "\n-" in message  # one line per problem, nothing raw
    assert connections.list_connections(ctx) == []


def test_quotes_markup_and_emoji_are_plain_text(ctx: AppContext, erp_file: Path) -> None:
    name = "O'Brien \"[b]bold[/b]\" 👩‍💻 ; DROP TABLE connection"
    _save(ctx, _draft(erp_file, name))
    assert [c.name for c in connections.list_connections(ctx)] == [name]


def _long_name_refused(ctx: AppContext, erp_file: Path) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _save(ctx, _draft(erp_file, "x" * 101))
    assert "The connection name is 101 characters long; use at most 100." in str(refused.value)
    assert "INSERT" not in str(refused.value)
    assert connections.list_connections(ctx) == []
    _save(ctx, _draft(erp_file, "y" * 100))
    assert [len(c.name) for c in connections.list_connections(ctx)] == [100]


def test_name_length_checked_before_the_store_on_sqlite(ctx: AppContext,
                                                        erp_file: Path) -> None:
    _long_name_refused(ctx, erp_file)


def test_name_length_checked_before_the_store_on_postgresql(pg_url: str, tmp_path: Path,
                                                            erp_file: Path,
                                                            settings: Settings) -> None:
    ctx = AppContext.open(settings.model_copy(update={"database_url": pg_url}))
    try:
        _long_name_refused(ctx, erp_file)
    finally:
        ctx.engine.dispose()


def test_check_name_is_one_sentence() -> None:
    assert connections.check_name("  Nordic ERP  ") == "Nordic ERP"
    with pytest.raises(RefusedError, match=r"^The connection name contains the control "
                                           r"character U\+001B; use plain text on one line\.$"):
        connections.check_name("a\x1bb")


def test_config_problems_name_the_set_key(ctx: AppContext, erp_file: Path) -> None:
    missing = connections.ConnectionDraft(name="ERP", connector="sample", scope="everyone",
                                          values={"api_key": API_KEY})
    problems = connections.draft_problems(ctx, missing, None)
    assert "Fill in the mandatory field 'ERP database' (--set database=...)." in problems
    wrong = _draft(erp_file, "ERP", page_size="many", environment="moon")
    problems = connections.draft_problems(ctx, wrong, None)
    assert any(p.startswith("'moon' is not a choice of 'Environment' (--set environment=...)")
               for p in problems)
    assert any("'Page size'" in p and p.endswith("(--set page_size=...).") for p in problems)


def test_control_characters_in_config_values_are_refused(ctx: AppContext,
                                                         erp_file: Path) -> None:
    draft = _draft(erp_file, "ERP")
    draft.values["database"] = f"{erp_file}\x1b[2J"
    problems = connections.draft_problems(ctx, draft, None)
    assert ("'ERP database' (--set database=...) contains the control character U+001B; "
            "use plain text.") in problems


# ---- permissions -----------------------------------------------------------------------------

def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_store_key_and_data_directory_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        data_dir = tmp_path / "fresh" / "erp-tui"
        ctx = AppContext.open(Settings(data_dir=data_dir))
        ctx.engine.dispose()
    finally:
        os.umask(old)
    assert _mode(data_dir) == 0o700
    assert _mode(data_dir / "erp-tui.sqlite") == 0o600
    assert _mode(data_dir / KEY_FILE_NAME) == 0o600


def test_exports_with_secrets_are_private_and_need_a_long_passphrase(
        ctx: AppContext, erp_file: Path, tmp_path: Path) -> None:
    _save(ctx, _draft(erp_file, "ERP"))
    with pytest.raises(RefusedError, match=r"^Use a passphrase of at least 12 characters"):
        export_connection(ctx, "ERP", secrets_passphrase="short-11chr")
    text = export_connection(ctx, "ERP", secrets_passphrase="twelve chars")
    target = tmp_path / "erp.yaml"
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o644)
    write_export(target, text)
    assert _mode(target) == 0o600
    assert target.read_text(encoding="utf-8") == text
    assert [p.name for p in tmp_path.glob(".erp.yaml*")] == []
