"""The erp-tui conformance kit run against this plugin: `pytest tests` with the plugin and
erp-tui installed."""

from __future__ import annotations

import pytest
from erp_tui_connector_example import MemoryConnector

from erp_tui.connectors.conformance import ConformanceTarget, ConnectorConformance
from erp_tui.contract import Actor


class TestMemoryConnector(ConnectorConformance):
    @pytest.fixture
    def target(self) -> ConformanceTarget:
        connector = MemoryConnector()
        config = {"company": "Example AB"}
        assert connector.create_connection(1, config).ok
        for name in ("Ada AB", "Bo Bygg", "Cé SARL"):  # the kit reads at least three actors
            assert connector.create_actor(1, Actor(actor_type="Customer",
                                                   values={"name": name})).ok
        return ConformanceTarget(
            connector, config=config, connection_id=1, actor_type="Customer",
            new_actor=Actor(actor_type="Customer", values={"name": "Åsa", "city": "Zwolle"}),
            changes={"city": "Örebro"}, search_text="bygg")
