"""CLI commands (registered by erp_tui.cli.build_parser)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

Handler = Callable[[argparse.Namespace], int]
Command = Callable[[str, Handler, str], argparse.ArgumentParser]


def register(command: Command) -> None:
    """Add this module's commands to the parser."""
