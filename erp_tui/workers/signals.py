"""Stop signals of a worker: SIGTERM (systemd, kill), SIGHUP (a closed terminal or SSH
session) and SIGINT (Ctrl+C) all finish the running batch, then stop the worker."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


@contextmanager
def on_stop(loop: asyncio.AbstractEventLoop, callback: Callable[[int], None],
            stopping: Callable[[], bool]) -> Iterator[None]:
    """Call `callback(signal number)` on the event loop for each stop signal while inside.
    Once `stopping()`, the signals are ignored afterwards: a second SIGTERM while the worker
    closes its connections does not kill it mid-way."""
    for number in STOP_SIGNALS:
        loop.add_signal_handler(number, callback, int(number))
    try:
        yield
    finally:
        for number in STOP_SIGNALS:
            loop.remove_signal_handler(number)
            if stopping():
                signal.signal(number, signal.SIG_IGN)
