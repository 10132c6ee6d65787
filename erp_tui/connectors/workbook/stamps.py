"""Time stamps: LastModified cells read as normalised UTC stamps, stamps as microseconds, and
the date-time a new stamp is written as."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

STAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
"""A normalised stamp: fixed-width ISO-8601 UTC with microseconds and `Z`."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def format_stamp(moment: datetime) -> str:
    """`moment` as fixed-width ISO-8601 UTC with microseconds and `Z` (naive = UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stamp_us(stamp: str) -> int:
    """A normalised stamp as microseconds since 1970; ValueError for another text."""
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def stamp_from_us(micros: int) -> str:
    """Microseconds since 1970 as a normalised stamp."""
    return format_stamp(_EPOCH + timedelta(microseconds=micros))


def now_us() -> int:
    """This moment in microseconds since 1970."""
    return stamp_us(format_stamp(datetime.now(UTC)))


def _aware(moment: datetime, zone: tzinfo | None) -> datetime:
    """`moment` with a time zone: a naive one is read in `zone` (None: this machine's zone)."""
    if moment.tzinfo is not None:
        return moment
    if zone is None:
        return moment.astimezone()  # the machine's zone, daylight saving included
    return moment.replace(tzinfo=zone)


def cell_stamp(value: Any, zone: tzinfo | None = UTC) -> str | None:
    """A normalised stamp from a LastModified cell, or None when it holds none.

    Date-times and texts without a zone are read in `zone`; a date alone means its midnight.
    """
    if isinstance(value, datetime):
        return format_stamp(_aware(value, zone))
    if isinstance(value, date):
        return format_stamp(_aware(datetime(value.year, value.month, value.day), zone))
    if isinstance(value, str):
        text = value.strip()
        if STAMP_RE.match(text):
            return text
        if text:
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            return format_stamp(_aware(moment, zone))
    return None


def local_cell_time(micros: int, zone: tzinfo | None) -> datetime:
    """The naive date-time to write in a LastModified cell for a stamp: the workbook's own
    clock (`zone`), as its macros write `Now`."""
    moment = _EPOCH + timedelta(microseconds=micros)
    return moment.astimezone(zone).replace(tzinfo=None)
