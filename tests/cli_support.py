"""Test helpers of the command-line tests: run `erp-tui` inside the test process, or as the
console script of this environment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("erp-tui")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `erp-tui ARGS` in the test process: (exit code, standard output, standard error)."""
    from erp_tui.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err
