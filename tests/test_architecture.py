"""The rules between layers hold: `lint-imports` keeps every contract in pyproject.toml, and the
engine reaches the UI only through the CLI's lazy `ui` entry (docs/architecture.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# The one place the engine may import the UI: inside `cmd_ui`, so that only `erp-tui` without a
# command loads Textual.
LAZY_UI_ENTRY = ("erp_tui/cli/commands.py", "cmd_ui", "erp_tui.screens.app")


def test_lint_imports_keeps_every_contract() -> None:
    result = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "0 broken" in result.stdout, result.stdout[-4000:]


def _ui_imports(path: Path) -> list[tuple[str, str]]:
    """(enclosing function or "", module) of every import of the UI package in `path`."""
    found: list[tuple[str, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name)
                continue
            modules: list[str] = []
            if isinstance(child, ast.Import):
                modules = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.module:
                modules = [child.module, *(f"{child.module}.{a.name}" for a in child.names)]
            for module in modules:
                if module.split(".")[:2] == ["erp_tui", "screens"]:
                    found.append((function, module))
                    break
            visit(child, function)

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return found


def test_the_engine_imports_the_ui_only_in_the_lazy_ui_entry() -> None:
    """`lint-imports` sees the UI as `screens`; the engine names it `erp_tui.screens`."""
    entry_path, entry_function, entry_module = LAZY_UI_ENTRY
    found = {(str(path.relative_to(ROOT)), function, module)
             for path in sorted((ROOT / "erp_tui").rglob("*.py"))
             for function, module in _ui_imports(path)}
    assert found == {(entry_path, entry_function, entry_module)}
