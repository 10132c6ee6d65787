"""A store's secrets are never silently re-keyed: a missing or wrong key is named as such."""

from __future__ import annotations

from pathlib import Path

import pytest

from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.errors import ErpTuiError
from erp_tui.secrets import KEY_FILE_NAME, new_key
from erp_tui.services import connections
from erp_tui.settings import Settings

API_KEY = "s3cret-Key!"


def _store_with_a_secret(settings: Settings, tmp_path: Path) -> None:
    erp = tmp_path / "erp.sqlite"
    generate_sample_erp(erp, customers=5, suppliers=1, projects=1, api_key=API_KEY)
    ctx = AppContext.open(settings)
    draft = connections.ConnectionDraft(name="ERP", connector="sample", scope="everyone",
                                        values={"database": str(erp), "api_key": API_KEY})
    connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))
    ctx.engine.dispose()


def test_a_new_store_gets_a_key_file(settings: Settings) -> None:
    key_file = settings.data_dir / KEY_FILE_NAME
    assert not key_file.exists()
    AppContext.open(settings).engine.dispose()
    assert key_file.exists()


def test_missing_key_file_is_named_and_never_recreated(settings: Settings,
                                                       tmp_path: Path) -> None:
    _store_with_a_secret(settings, tmp_path)
    key_file = settings.data_dir / KEY_FILE_NAME
    key_file.unlink()
    ctx = AppContext.open(settings)
    assert not key_file.exists()
    result = connections.test_connection(ctx, "ERP")
    assert not result.ok
    assert "failed unexpectedly" not in result.user_message
    assert "key file" in result.user_message and "cannot be decrypted" in result.user_message
    assert "ERP_TUI_SECRET_KEY" in result.user_message
    with pytest.raises(ErpTuiError, match="cannot be decrypted"):
        ctx.secrets.encrypt("a second key must not be used")
    ctx.engine.dispose()


def test_a_different_key_is_named(settings: Settings, tmp_path: Path) -> None:
    _store_with_a_secret(settings, tmp_path)
    key_file = settings.data_dir / KEY_FILE_NAME
    original = key_file.read_bytes()
    other = settings.model_copy(update={"secret_key": new_key()})
    ctx = AppContext.open(other)
    result = connections.test_connection(ctx, "ERP")
    assert result.user_message == ("The stored secrets cannot be decrypted with this key: set "
                                   "ERP_TUI_SECRET_KEY or restore secret.key.")
    assert key_file.read_bytes() == original
    ctx.engine.dispose()
    ctx = AppContext.open(settings)  # the original key still opens everything
    assert connections.test_connection(ctx, "ERP").ok
    ctx.engine.dispose()
