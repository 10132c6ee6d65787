"""Build step beyond pyproject.toml: compile the gettext catalogues (.po) into .mo files.

Everything else about the package is declared in pyproject.toml. A source checkout works
without this step (erp_tui.i18n reads the .po files through Babel), but a built wheel carries
the compiled catalogues so an installed erp-tui does not need Babel.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogues(build_py):
    """`build_py` that also writes `<name>.mo` beside every packaged `<name>.po`."""

    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in Path(self.build_lib, "erp_tui", "locale").glob("*/LC_MESSAGES/*.po"):
            with po_path.open("rb") as source:
                catalogue = read_po(source, abort_invalid=True)
            with po_path.with_suffix(".mo").open("wb") as target:
                write_mo(target, catalogue, use_fuzzy=False)


setup(cmdclass={"build_py": BuildWithCatalogues})
