"""The connection dialog with the real connectors `sql`, `workbook` and `http`: choose the
connector, see its config fields (password masked), fill them, test (F5), save (F2); a failing
value shows the connector's own message and keeps OK disabled."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input, Select, Static

from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.connection_dialog import ConnectionDialog, connector_choices
from erp_tui.screens.connections import ConnectionsScreen
from erp_tui.services.connections import list_connections
from tests.connectors.erp_builders import SQL_DESCRIPTOR, WORKBOOK_LISTS, sqlite_erp, workbook_erp
from tests.connectors.http_fixtures import TOKEN, ServerProcess, start_server

SAMPLE_KEY = "dialog-key"


@dataclass
class Case:
    """What the dialog shows for a connector and what to type into it."""

    kind: str
    labels: list[str]  # config rows, in order
    passwords: list[str]  # rows whose input is masked
    good: dict[str, str]  # label -> value that passes the test
    bad: dict[str, str]  # label -> value that fails it
    message: str  # part of the connector's failure message


@pytest.fixture(scope="module")
def serve_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("serve")
    erp = folder / "erp.sqlite"
    generate_sample_erp(erp, customers=5, suppliers=0, persons_per_customer=1,
                        persons_per_supplier=0, projects=0, api_key=SAMPLE_KEY)
    process = start_server(folder, "sample", {"database": str(erp), "api_key": SAMPLE_KEY})
    yield process
    process.stop()


def sql_case(tmp_path: Path, _server: ServerProcess) -> Case:
    url, descriptor = sqlite_erp(tmp_path)
    broken = tmp_path / "broken.yaml"
    broken.write_text(SQL_DESCRIPTOR.replace("table: customer", "table: klanten_xyz"),
                      encoding="utf-8")
    return Case("sql", ["Database URL", "Password", "Descriptor file", "Page size",
                        "Read only", "State database URL"], ["Password"],
                {"Database URL": url, "Descriptor file": str(descriptor)},
                {"Descriptor file": str(broken)}, "klanten_xyz")


def workbook_case(tmp_path: Path, _server: ServerProcess) -> Case:
    book = workbook_erp(tmp_path / "erp.xlsx")
    return Case("workbook", ["Workbook", "Lists", "Type overrides", "Read only", "Time zone",
                             "Read again (seconds)"], [],
                {"Workbook": str(book), "Lists": WORKBOOK_LISTS},
                {"Workbook": str(tmp_path / "missing.xlsx")}, "missing.xlsx")


def http_case(_tmp_path: Path, server: ServerProcess) -> Case:
    return Case("http", ["Server URL", "Token", "Time-out (s)", "Retries"], ["Token"],
                {"Server URL": server.url, "Token": TOKEN, "Retries": "0"},
                {"Token": "not-the-token"}, "refused the token")


def _rows(dialog: ConnectionDialog) -> dict[str, Any]:
    """Label (without the mandatory mark) -> widget of every config row."""
    rows = {}
    for row in dialog.query_one("#config").query(".row"):
        label = str(row.query_one(".label").render()).rstrip(" *")
        rows[label] = row.children[1]
    return rows


def _text(dialog: ConnectionDialog, selector: str) -> str:
    return str(dialog.query_one(selector, Static).render())


async def _fill(pilot: Any, dialog: ConnectionDialog, values: dict[str, str]) -> None:
    rows = _rows(dialog)
    for label, value in values.items():
        widget = rows[label]
        assert isinstance(widget, Input), label
        widget.value = value
    await pilot.pause()


async def _test(pilot: Any, app: ErpTuiApp) -> None:
    await pilot.press("f5")
    await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("make_case", [sql_case, workbook_case, http_case],
                         ids=["sql", "workbook", "http"])
async def test_add_connection_with_connector(ctx: Any, tmp_path: Path,
                                             serve_process: ServerProcess,
                                             make_case: Callable[[Path, ServerProcess], Case]
                                             ) -> None:
    case = make_case(tmp_path, serve_process)
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        dialog = app.screen
        assert isinstance(dialog, ConnectionDialog)
        connector = dialog.query_one("#connector", Select)
        assert case.kind in [kind for _label, kind in connector_choices()]
        dialog.query_one("#name", Input).value = f"My {case.kind} ERP"
        dialog.query_one("#scope", Select).value = "everyone"
        connector.value = case.kind
        await pilot.pause()
        assert f"({case.kind})" in _text(dialog, "#settings-title")

        # The connector's config fields are rendered, secrets masked.
        rows = _rows(dialog)
        assert list(rows) == case.labels
        for label, widget in rows.items():
            if isinstance(widget, Input):
                assert widget.password == (label in case.passwords), label
        ok = dialog.query_one("#ok", Button)
        assert ok.disabled

        # A failing value: the connector's message is shown, OK stays disabled.
        await _fill(pilot, dialog, {**case.good, **case.bad})
        await _test(pilot, app)
        result = _text(dialog, "#test-result")
        assert "✗ Test failed" in result and case.message in result, result
        assert ok.disabled
        assert "The connection test failed" in _text(dialog, "#why")

        # The good values pass; OK becomes enabled and saves the connection.
        await _fill(pilot, dialog, case.good)
        assert ok.disabled  # not tested with these values yet
        await _test(pilot, app)
        assert "✓ Test passed" in _text(dialog, "#test-result"), _text(dialog, "#test-result")
        assert not ok.disabled, _text(dialog, "#why")
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ConnectionsScreen), _text(dialog, "#test-result")
        (saved,) = list_connections(ctx)
        assert saved.name == f"My {case.kind} ERP" and saved.last_test_ok
        assert app.screen.query_one("#connections").row_count == 1
