"""The example connector package really installed with pip (offline, into a target folder) is
found through the `erp_tui.connectors` entry-point group, in a fresh interpreter, and passes its
own tests (the conformance kit)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "erp-tui-connector-example"

PROBE = textwrap.dedent("""
    import json
    import erp_tui_connector_example
    from erp_tui.registry import available_connectors, create_connector

    found = available_connectors()
    info = found["example-memory"]
    connector = create_connector("example-memory")
    fields = connector.config_fields()
    print(json.dumps({
        "kinds": list(found),
        "origin": info.origin,
        "target": info.target,
        "module": erp_tui_connector_example.__file__,
        "fields_ok": fields.ok,
        "fields": [[f.key, f.type.value, f.access.value] for f in fields.fields],
        "test_ok": connector.test_config({"company": "Åbo Ab"}).ok,
        "test_empty": connector.test_config({}).ok,
    }))
""")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ERP_TUI_", "PIP_")) and k != "PYTHONPATH"}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def test_pip_installed_plugin_is_found(tmp_path: Path) -> None:
    # Build from a copy so the build leaves nothing behind in the repository.
    source = tmp_path / "src" / EXAMPLE.name
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__"))
    target = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(source)],
        capture_output=True, text=True, env=_env(), timeout=120)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    dist_info = list(target.glob("erp_tui_connector_example-*.dist-info"))
    assert len(dist_info) == 1
    assert "example-memory" in (dist_info[0] / "entry_points.txt").read_text(encoding="utf-8")

    probe = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                           env=_env(PYTHONPATH=str(target)), cwd=tmp_path, timeout=60)
    assert probe.returncode == 0, probe.stderr
    seen = json.loads(probe.stdout.strip().splitlines()[-1])
    assert seen["origin"] == "erp-tui-connector-example"
    assert seen["target"] == "erp_tui_connector_example:MemoryConnector"
    assert seen["kinds"][:3] == ["sample", "workbook", "http"]  # built-ins first
    assert seen["kinds"][-1] == "example-memory"
    assert Path(seen["module"]).resolve().is_relative_to(target.resolve())
    assert seen["fields_ok"] is True
    assert seen["fields"] == [["company", "text", "mandatory"]]
    assert seen["test_ok"] is True and seen["test_empty"] is False

    # The plugin's own tests (the conformance kit) pass against the installed plugin.
    kit = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          str(source / "tests")], capture_output=True, text=True,
                         env=_env(PYTHONPATH=str(target)), cwd=source, timeout=300)
    assert kit.returncode == 0, kit.stdout[-3000:] + kit.stderr[-3000:]
    assert " passed" in kit.stdout and "failed" not in kit.stdout

    # Without the target folder on the path the plugin is not there.
    bare = subprocess.run([sys.executable, "-c",
                           "from erp_tui.registry import available_connectors;"
                           "print('example-memory' in available_connectors())"],
                          capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=60)
    assert bare.returncode == 0 and bare.stdout.strip() == "False", bare.stderr
