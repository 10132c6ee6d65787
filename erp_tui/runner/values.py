"""How the runner compares and remembers values: one canonical text form per value.

Both sides are compared in canonical form, so `None` and "" are equal, `True` is "1", dates are
ISO text. A link's snapshot is the canonical values of its synced fields joined by a separator.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

SEPARATOR = "\x1f"


def canon(value: Any) -> str:
    """The canonical text of a value (what comparisons and snapshots use)."""
    if value is None:
        return ""
    kind = type(value)
    if kind is str:
        text: str = value
        return text.replace(SEPARATOR, " ") if SEPARATOR in text else text
    if kind is bool:
        return "1" if value else "0"
    if kind is float:
        return repr(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def encode(values: Sequence[str]) -> str:
    """A snapshot from canonical values."""
    return SEPARATOR.join(values)


def decode(snapshot: str, width: int) -> list[str]:
    """Canonical values of a snapshot, padded or cut to `width`."""
    if not snapshot:
        return [""] * width
    values = snapshot.split(SEPARATOR)
    if len(values) < width:
        values.extend([""] * (width - len(values)))
    return values[:width]


def remap(snapshot: str, old_fields: Sequence[str], new_fields: Sequence[str]) -> str:
    """Re-encode a snapshot taken with `old_fields` for `new_fields` (new ones empty)."""
    old = dict(zip(old_fields, decode(snapshot, len(old_fields)), strict=True))
    return encode([old.get(field, "") for field in new_fields])
