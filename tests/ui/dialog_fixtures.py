"""Helpers for the configuration dialog tests (mappings, lists, defaults, rank, priority)."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.widgets import Static


def connection_id(ctx: Any, name: str) -> int:
    """The id of the connection called `name`."""
    from erp_tui.services.connections import require_connection

    return require_connection(ctx, name).id


def make_app(ctx: Any, language: str = "en") -> App[Any]:
    """The real app, with its language chosen."""
    from erp_tui.screens.app import ErpTuiApp

    return ErpTuiApp(ctx, language=language)


def status_text(screen: Screen[Any], selector: str = "#status") -> str:
    """The text a user reads in a dialog's status line (or another Static)."""
    return str(screen.query_one(selector, Static).render())


class Answers:
    """Collects what a dialog dismissed with."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any) -> None:
        self.values.append(value)
