"""Stylesheets shipped in `erp_tui.styles`, read through importlib.resources (wheel-safe)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def load_css(*names: str) -> str:
    """The text of the named `.tcss` files, concatenated."""
    package = files("erp_tui.styles")
    return "\n".join(package.joinpath(name).read_text(encoding="utf-8") for name in names)
