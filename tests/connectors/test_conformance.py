"""The conformance kit (`erp_tui.connectors.conformance`) run against every built-in connector
and the example plugin: sample, sql (SQLite, PostgreSQL, MariaDB), workbook, http (a real
`erp-tui connector serve` hosting the sample connector) and examples/erp-tui-connector-example."""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from erp_tui.connectors.conformance import ConformanceTarget, ConnectorConformance
from erp_tui.connectors.http.client import HttpConnector
from erp_tui.connectors.sample import SampleConnector
from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.connectors.sql.connector import SqlConnector
from erp_tui.connectors.workbook import WorkbookConnector
from erp_tui.contract import Actor, Connector, Cursor, Value

from .conftest import BACKENDS, create_database, descriptor_text, seed
from .http_fixtures import TOKEN, ServerProcess, start_server
from .test_workbook_connector import LISTS, build_workbook

CID = 5
API_KEY = "conformance-key-\u00f8"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "erp-tui-connector-example"


def customers(connector: Connector, config: dict[str, Any], new_values: dict[str, Value],
              changes: dict[str, Value], search_text: str = "") -> ConformanceTarget:
    """The target: `connector` with connection CID created from `config`, its customers.
    Without `search_text`, the start of the first customer's name is searched."""
    assert connector.create_connection(CID, config).ok
    if not search_text:
        name = next(k for k in ("name", "Name") if k in new_values)
        result = connector.actors_changed_since(CID, "Customer", Cursor(), [name], 1)
        assert result.ok and result.page is not None, result.user_message
        search_text = str(result.page.rows[0][0])[:5]
    return ConformanceTarget(connector, config=config, connection_id=CID, actor_type="Customer",
                             new_actor=Actor(actor_type="Customer", values=new_values),
                             changes=changes, search_text=search_text)


@pytest.fixture(scope="module")
def sample_erp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "erp.sqlite"
    generate_sample_erp(path, customers=30, suppliers=5, persons_per_customer=1,
                        projects=5, extra_fields=5, seed=11, api_key=API_KEY)
    return path


class TestSampleConformance(ConnectorConformance):
    @pytest.fixture
    def target(self, sample_erp: Path, tmp_path: Path) -> ConformanceTarget:
        path = tmp_path / "erp.sqlite"
        shutil.copy(sample_erp, path)
        return customers(SampleConnector(), {"database": str(path), "api_key": API_KEY},
                         {"name": "Conformance \u00c5sa AB", "postal_city": "Zwolle",
                          "credit_limit": 2500.5, "blocked": True},
                         {"postal_city": "\u00d6rebro", "note": "checked \u2713"})


@pytest.fixture(scope="module")
def sample_server(sample_erp: Path, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("served")
    path = folder / "erp.sqlite"
    shutil.copy(sample_erp, path)
    server = start_server(folder, "sample", {"database": str(path), "api_key": API_KEY})
    yield server
    server.stop()


class TestHttpConformance(ConnectorConformance):
    """The http connector, reaching the sample connector through `erp-tui connector serve`
    (one server and ERP for the module: the writes of one test stay for the next)."""

    @pytest.fixture
    def target(self, sample_server: ServerProcess) -> ConformanceTarget:
        return customers(HttpConnector(), {"url": sample_server.url, "token": TOKEN, "retries": 0},
                         {"name": "Conformance \u00c5sa AB", "postal_city": "Zwolle"},
                         {"note": "checked \u2713"})


class TestWorkbookConformance(ConnectorConformance):
    @pytest.fixture
    def target(self, tmp_path: Path) -> ConformanceTarget:
        path = build_workbook(tmp_path / "erp.xlsx")
        return customers(WorkbookConnector(), {"path": str(path), "lists": LISTS},
                         {"Name": "Conformance \u00c5sa AB", "Country": "SE", "Employees": 3,
                          "Founded": date(2001, 2, 3)},
                         {"Note": "checked \u2713"}, "M\u00fcller")


@pytest.fixture(scope="module", params=BACKENDS)
def sql_erp(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[dict[str, str]]:
    """A seeded database on each backend and its descriptor: the config of a connection (one
    database per backend for the module: the writes of one test stay for the next)."""
    folder = tmp_path_factory.mktemp("sql")
    url, drop = create_database(request.param, folder)
    try:
        seed(url)
        descriptor = folder / "erp.yaml"
        descriptor.write_text(descriptor_text(), encoding="utf-8")
        config = {"url": url, "descriptor": str(descriptor)}
        if request.param == "postgresql":
            # The test server trusts local connections: a password is sent and must stay out
            # of every message.
            config["password"] = "conformance-secret-\u00f8"
        yield config
    finally:
        drop()


class TestSqlConformance(ConnectorConformance):
    @pytest.fixture
    def target(self, sql_erp: dict[str, str]) -> Iterator[ConformanceTarget]:
        connector = SqlConnector()
        yield customers(connector, dict(sql_erp),
                        {"name": "Conformance \u00c5sa AB", "city": "Zwolle", "country": "NL",
                         "active": True, "since": date(2024, 1, 2)},
                        {"city": "\u00d6rebro"}, "Customer 0")
        connector.close()


class TestExamplePluginConformance(ConnectorConformance):
    """The example plugin, imported from its source folder as an installed plugin would be."""

    @pytest.fixture
    def target(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[ConformanceTarget]:
        monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
        module = importlib.import_module("erp_tui_connector_example")
        connector = module.MemoryConnector()
        target = customers(connector, {"company": "Conformance \u00c5b"},
                           {"name": "\u00c5sa", "city": "Zwolle"}, {"city": "\u00d6rebro"},
                           "b\u00f8rge")
        for name in ("Ada Lovelace AB", "B\u00f8rge Bygg", "C\u00e9line SARL"):
            assert connector.create_actor(CID, Actor(actor_type="Customer",
                                                     values={"name": name})).ok
        yield target
        sys.modules.pop("erp_tui_connector_example", None)
