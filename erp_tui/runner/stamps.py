"""ERP last-modified stamps as the runner compares them: canonical UTC text that sorts in time
order, moved back for a lag, read as progress, and weighed against a CRM update in a conflict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

STAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def stamp_text(moment: datetime | None) -> str:
    """A moment as stamp text ("" for None; a naive moment counts as UTC)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(STAMP_FORMAT)


def stamp_minus(stamp: str, seconds: int) -> str:
    """The stamp `seconds` earlier ("" when `stamp` is not stamp text)."""
    try:
        moment = datetime.strptime(stamp, STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return ""
    return stamp_text(moment - timedelta(seconds=seconds))


def history_fraction(first: str, current: str, started: datetime) -> float | None:
    """How far through the ERP's history the cursor is (for a progress bar)."""
    try:
        begin = datetime.strptime(first, STAMP_FORMAT).replace(tzinfo=UTC)
        now = datetime.strptime(current, STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    span = (started - begin).total_seconds()
    if span <= 0:
        return None
    return max(0.0, min(1.0, (now - begin).total_seconds() / span))


def erp_wins(policy: str, erp_modified: str, crm_updated: datetime | None) -> bool:
    """True when, under the connection's conflict `policy`, the ERP's value stands against
    the CRM's (`newest_wins`: the later change)."""
    if policy == "erp_wins":
        return True
    if policy == "crm_wins":
        return False
    return erp_modified >= stamp_text(crm_updated)
