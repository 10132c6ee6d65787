"""Snapshots at 80x24 of the Doctor screen in English and Dutch. The checks are fixed (paths
and process ids differ per run): a passing set with one warning and one failure each.

Review changes with `pytest tests/snapshots/test_snap_doctor.py --snapshot-update` and the
report it writes.
"""

from __future__ import annotations

from typing import Any

import pytest

from erp_tui.i18n import msg, msgn
from erp_tui.runner.service import status_text
from erp_tui.screens.app import ErpTuiApp
from erp_tui.services import doctor
from erp_tui.services.doctor import Check

SIZE = (80, 24)
CHECKS = [  # the engine's messages (by code), so that Dutch shows Dutch
    Check("data_dir", "", "ok", msg("The data directory {folder} is writable.",
                                    folder="/srv/erp-tui")),
    Check("log_file", "", "ok", msg("Logging to {path} (level {level}).",
                                    path="/var/log/erp-tui/erp-tui.log", level="INFO")),
    Check("connector", "sample", "ok", msg("{label} loads ({origin}).",
                                           label="Sample ERP (embedded SQLite)",
                                           origin="built-in")),
    Check("connector", "acme", "fail", msg("Cannot be loaded from {target} ({origin}): {reason}",
                                           target="acme_erp:Connector", origin="acme-erp",
                                           reason="ModuleNotFoundError: No module named "
                                                  "'acme_erp'")),
    Check("store", "", "ok", msg("The store {url} is reachable and at the current migration "
                                 "({head}).", url="sqlite:////srv/erp-tui/erp-tui.sqlite",
                                 head="0006")),
    Check("secret_key", "", "ok", msgn(
        "The secret key ({source}) decrypts the stored secrets of {count} connection.",
        "The secret key ({source}) decrypts the stored secrets of {count} connections.", 2,
        source=msg("the key file {path}", path="/srv/erp-tui/secret.key"))),
    Check("connection", "Nordic Trading AB", "ok", msg("Active; the connection test passed.")),
    Check("lock", "Nordic Trading AB", "ok", msg("Being synced now ({who}).",
                                                 who="erp-host, pid 4242")),
    Check("errors", "Nordic Trading AB", "warn", msgn(
        "{count} open record error; 'erp-tui log --errors' lists it.",
        "{count} open record errors; 'erp-tui log --errors' lists them.", 3)),
    Check("last_run", "Nordic Trading AB", "ok", msg(
        "Run {id} ({kind}) {when}: {status}.", id=12, kind="sync", when="2026-11-02 09:30 UTC",
        status=status_text("finished", 3))),
    Check("connection", "[b]Dutch[/b] Wholesale BV", "ok", msg("Inactive: not tested.")),
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
