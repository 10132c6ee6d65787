"""Counts in narrow columns are shortened, never cut off."""

from __future__ import annotations

import pytest

from erp_tui.screens.widgets.numbers import fit_count


@pytest.mark.parametrize(("value", "width", "shown"), [
    (0, 7, "      0"), (300_000, 7, "300,000"), (1_035_000, 7, "1035000"),
    (12_035_000, 7, " 12.04M"), (1_000_000, 6, " 1.00M"), (12_345, 4, " 12k"),
    (999, 4, " 999"), (4_200_000_000, 6, " 4.20G"),
])
def test_counts_fit_their_column(value: int, width: int, shown: str) -> None:
    assert fit_count(value, width) == shown
    assert len(fit_count(value, width)) == width
