"""A third-party connector package is found through the `erp_tui.connectors` entry-point group.

The example package under examples/ is "installed" offline and without touching the venv: its
package directory is copied into a temporary folder on `sys.path`, next to a `.dist-info`
directory whose `entry_points.txt` is written from the entry points its pyproject.toml declares
(what pip would write).
"""

from __future__ import annotations

import importlib
import shutil
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from erp_tui import registry
from erp_tui.contract import Actor, Connector, Cursor

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "erp-tui-connector-example"


@pytest.fixture
def installed_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    points = project["entry-points"][registry.ENTRY_POINT_GROUP]
    site = tmp_path / "site"
    shutil.copytree(EXAMPLE / "src" / "erp_tui_connector_example",
                    site / "erp_tui_connector_example")
    dist_name = project["name"].replace("-", "_")
    info = site / f"{dist_name}-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\n"
                                   f"Version: {project['version']}\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        f"[{registry.ENTRY_POINT_GROUP}]\n"
        + "".join(f"{name} = {target}\n" for name, target in points.items()), encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    (kind,) = points
    yield kind
    sys.modules.pop("erp_tui_connector_example", None)


def test_example_plugin_is_found(installed_example: str) -> None:
    found = registry.available_connectors()
    assert installed_example == "example-memory"
    info = found[installed_example]
    assert info.origin == "erp-tui-connector-example"
    assert list(found)[:3] == ["sample", "workbook", "http"]  # built-ins first
    connector = registry.create_connector(installed_example)
    assert isinstance(connector, Connector)
    assert type(connector).__module__ == "erp_tui_connector_example"


def test_example_plugin_config_fields_through_services(installed_example: str,
                                                      ctx: Any) -> None:
    from erp_tui.services.connections import config_fields

    fields = config_fields(ctx, installed_example)
    assert [(f.key, f.mandatory) for f in fields] == [("company", True)]


def test_example_plugin_works(installed_example: str) -> None:
    connector = registry.create_connector(installed_example)
    assert connector.test_config({"company": "Åbo Ab"}).ok
    assert not connector.test_config({}).ok
    assert connector.create_connection(1, {"company": "Åbo Ab"}).ok
    made = connector.create_actor(1, Actor(actor_type="Customer", values={"name": "Åsa"}))
    assert made.ok and made.actor is not None
    page = connector.actors_changed_since(1, "Customer", Cursor(), [], 10).page
    assert page is not None and page.rows == [("Åsa", None)]


def test_built_in_kinds_are_registered() -> None:
    found = registry.available_connectors()
    for kind in ("workbook", "http"):
        assert found[kind].origin == "built-in"
        assert registry.create_connector(kind).kind == kind
