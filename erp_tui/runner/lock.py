"""One run per connection at a time, also across processes: an exclusive file lock per
connection in the data directory (released by the OS even when a run is killed)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from erp_tui.errors import RefusedError


class AlreadyRunningError(RefusedError):
    """Another run of the same connection holds the lock."""

    exit_code = 7


@contextmanager
def run_lock(data_dir: Path, connection_id: int, name: str) -> Iterator[None]:
    """Hold the run lock of a connection; AlreadyRunningError when another run holds it."""
    folder = data_dir / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"sync-{connection_id}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            raise AlreadyRunningError(
                f"Connection '{name}' is already being synced{holder}; wait for that run to "
                "finish (or cancel it) and try again.") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)


def _read(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode().strip()
    except OSError:
        return ""
    return f" (process {text})" if text.isdigit() else ""
