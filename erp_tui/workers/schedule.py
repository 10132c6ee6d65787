"""`--every` as a cron line: the schedule tick is a periodic job, deferred once per tick by
whichever worker comes first, whatever the number of workers."""

from __future__ import annotations

from erp_tui.errors import RefusedError
from erp_tui.i18n import msg

DEFAULT_EVERY = "5m"


def cron_of(seconds: float) -> str:
    """The cron line (procrastinate's: seconds in an optional sixth column) of a tick every
    `seconds`; the interval must divide a minute, an hour or a day evenly."""
    whole = int(seconds)
    if whole != seconds or whole < 1:
        raise RefusedError(msg("The interval of a worker must be whole seconds (e.g. 30s, 5m)."))
    if whole < 60 and 60 % whole == 0:
        return f"* * * * * */{whole}"
    minutes, rest = divmod(whole, 60)
    if not rest and minutes < 60 and 60 % minutes == 0:
        return f"*/{minutes} * * * *"
    hours, rest = divmod(whole, 3600)
    if not rest and hours <= 24 and 24 % hours == 0:
        return f"0 */{hours} * * *" if hours < 24 else "0 0 * * *"
    raise RefusedError(msg("A worker's interval must divide a minute, an hour or a day evenly "
                           "(e.g. 30s, 5m, 2h); {seconds} seconds does not.", seconds=whole))


def periodic_id(seconds: float) -> str:
    """The name of the schedule of `seconds`: workers with the same --every share it."""
    return f"every-{int(seconds)}s"
