"""A built wheel carries every catalogue compiled, so an installed erp-tui speaks Dutch without
Babel (a source checkout reads the .po files through Babel instead)."""

from __future__ import annotations

import gettext
import shutil
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = ROOT / "erp_tui" / "locale" / "nl" / "LC_MESSAGES"


def test_the_wheel_holds_a_compiled_catalogue_for_every_po_file(tmp_path: Path) -> None:
    # Build from a copy: a build in the checkout would leave its build/ folder behind.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", "__snapshots__", "*.mo"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(source)],
        capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("erp_tui-*.whl"))
    sources = sorted(path.stem for path in CATALOGUES.glob("*.po"))
    assert "screens" in sources
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for stem in sources:
            compiled = f"erp_tui/locale/nl/LC_MESSAGES/{stem}.mo"
            assert compiled in names, f"{stem}.po was not compiled into the wheel"
        screens = gettext.GNUTranslations(
            BytesIO(archive.read("erp_tui/locale/nl/LC_MESSAGES/screens.mo")))
    # Read with the standard library alone: no Babel at run time.
    assert screens.gettext("Mappings") == "Toewijzingen"
