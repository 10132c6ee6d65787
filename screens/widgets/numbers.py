"""Counts in narrow table columns."""

from __future__ import annotations


def fit_count(value: int, width: int) -> str:
    """`value` right-aligned in `width` characters: with thousands separators when they fit,
    else shortened (12.3k, 1.04M) so that a column never cuts a number off."""
    for text in (f"{value:,}", str(value)):
        if len(text) <= width:
            return text.rjust(width)
    for size, unit in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if value >= size:
            for digits in (2, 1, 0):
                text = f"{value / size:.{digits}f}{unit}"
                if len(text) <= width:
                    return text.rjust(width)
    return str(value)[:width]
