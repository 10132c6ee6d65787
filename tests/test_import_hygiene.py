"""The engine never imports Textual; the CLI's help stays light."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import erp_tui

ENGINE_MODULES = sorted(
    m.name for m in pkgutil.walk_packages(erp_tui.__path__, "erp_tui.")
    if not m.name.startswith(("erp_tui.screens", "erp_tui.styles", "erp_tui.__main__",
                              "erp_tui.migrations")))


def test_engine_module_list_is_complete() -> None:
    for expected in ("erp_tui.contract", "erp_tui.services.mappings", "erp_tui.cli",
                     "erp_tui.connectors.sample", "erp_tui.demo"):
        assert expected in ENGINE_MODULES


def test_no_engine_module_imports_textual() -> None:
    code = ("import importlib, sys\n"
            f"for name in {ENGINE_MODULES!r}:\n"
            "    importlib.import_module(name)\n"
            "    assert 'textual' not in sys.modules, name\n"
            "print('clean')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"


def test_cli_help_does_not_import_the_database_layer_or_textual() -> None:
    code = ("import sys\nfrom erp_tui.cli import build_parser\nbuild_parser()\n"
            "print(sorted(m for m in ('textual', 'sqlalchemy', 'sqlmodel', 'pydantic') "
            "if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
