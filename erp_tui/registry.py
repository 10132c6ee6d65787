"""Finds connectors: the built-in ones, and third-party ones through the
`erp_tui.connectors` entry-point group."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from erp_tui.contract import Connector
from erp_tui.errors import NotFoundError
from erp_tui.i18n import msg

ENTRY_POINT_GROUP = "erp_tui.connectors"

BUILT_IN: dict[str, str] = {
    "sample": "erp_tui.connectors.sample:SampleConnector",
    "workbook": "erp_tui.connectors.workbook:WorkbookConnector",
    "http": "erp_tui.connectors.http.client:HttpConnector",
    "sql": "erp_tui.connectors.sql.connector:SqlConnector",
}


@dataclass(frozen=True)
class ConnectorInfo:
    """A connector that can be chosen for a connection."""

    kind: str
    target: str
    origin: str  # "built-in" or the distribution that provides the plugin


def available_connectors() -> dict[str, ConnectorInfo]:
    """Every connector kind that can be used, built-ins first."""
    found = {kind: ConnectorInfo(kind, target, "built-in") for kind, target in BUILT_IN.items()}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in found:
            continue
        origin = point.dist.name if point.dist is not None else "plugin"
        found[point.name] = ConnectorInfo(point.name, point.value, origin)
    return found


def load_connector_class(kind: str) -> Any:
    """The class implementing connector `kind`."""
    info = available_connectors().get(kind)
    if info is None:
        known = ", ".join(sorted(available_connectors())) or msg("none")
        raise NotFoundError(msg("No connector '{kind}' is installed; available: {known}.",
                                kind=kind, known=known))
    module_name, _, attribute = info.target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute)


def create_connector(kind: str) -> Connector:
    """A new instance of connector `kind`."""
    connector: Connector = load_connector_class(kind)()
    return connector
