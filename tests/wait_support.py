"""Test helper: hold a service or connector call until the test lets it go, to see what the
user sees while it runs (or that a time-out abandons it)."""

from __future__ import annotations

import threading
from typing import Any

import pytest


def hold_calls(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, *,
               at_most: float = 10) -> threading.Event:
    """Make every call of `owner.name` wait until the returned event is set (or `at_most`
    seconds have passed), then run as usual."""
    release = threading.Event()
    original = getattr(owner, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        release.wait(at_most)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, held)
    return release
