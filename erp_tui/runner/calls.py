"""Connector calls made by the runner: with a time-out, and never raising.

A hung connector call is abandoned after its time-out (its thread is left to finish on its
own); the run records a batch error and goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from erp_tui.context import call
from erp_tui.contract import Result
from erp_tui.i18n import msg

R = TypeVar("R", bound=Result)

DEFAULT_TIMEOUT = 120.0


def timed_call(function: Callable[[], R], result_type: type[R],
               timeout: float = DEFAULT_TIMEOUT) -> R:
    """`function()` as a result of `result_type`; a time-out or exception becomes a failure."""
    box: list[R] = []

    def target() -> None:
        box.append(call(function, result_type))

    worker = threading.Thread(target=target, name="connector-call", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive() or not box:
        seconds = f"{timeout:g}"
        return result_type.failure(
            msg("The connector did not answer within {seconds} seconds; the batch was skipped "
                "and will be read again on the next run.", seconds=seconds),
            tech_message=f"time-out after {timeout}s", error_code="connector_timeout")
    return box[0]
