"""Snapshots at 80x24 of the Doctor screen in English and Dutch. The checks are fixed (paths
and process ids differ per run): a passing set with one warning and one failure each.

Review changes with `pytest tests/snapshots/test_snap_doctor.py --snapshot-update` and the
report it writes.
"""

from __future__ import annotations

from typing import Any

import pytest

from erp_tui.screens.app import ErpTuiApp
from erp_tui.services import doctor
from erp_tui.services.doctor import Check

SIZE = (80, 24)
CHECKS = [
    Check("data_dir", "", "ok", "The data directory /srv/erp-tui is writable."),
    Check("log_file", "", "ok", "Logging to /var/log/erp-tui/erp-tui.log (level INFO)."),
    Check("connector", "sample", "ok", "Sample ERP (embedded SQLite) loads (built-in)."),
    Check("connector", "acme", "fail", "Cannot be loaded from acme_erp:Connector (acme-erp): "
          "ModuleNotFoundError: No module named 'acme_erp'"),
    Check("store", "", "ok", "The store sqlite:////srv/erp-tui/erp-tui.sqlite is reachable "
          "and at the current migration (0004)."),
    Check("secret_key", "", "ok", "The secret key (the key file /srv/erp-tui/secret.key) "
          "decrypts the stored secrets of 2 connection(s)."),
    Check("connection", "Nordic Trading AB", "ok", "Active; the connection test passed."),
    Check("lock", "Nordic Trading AB", "ok", "Being synced now by process 4242."),
    Check("errors", "Nordic Trading AB", "warn",
          "3 open record error(s); 'erp-tui log --errors' lists them."),
    Check("last_run", "Nordic Trading AB", "ok",
          "Run 12 (sync) 2026-11-02 09:30 UTC: finished with 3 errors."),
    Check("connection", "[b]Dutch[/b] Wholesale BV", "ok", "Inactive: not tested."),
]


@pytest.mark.parametrize("language", ["en", "nl"])
def test_doctor_screen(snap_compare: Any, demo_ctx: Any, language: str,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor, "run_checks", lambda *_args, **_kwargs: list(CHECKS))

    async def run_before(pilot: Any) -> None:
        await pilot.press("k")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(ErpTuiApp(demo_ctx, language=language), run_before=run_before,
                        terminal_size=SIZE)
