"""One run per connection at a time, on every host that shares the store.

On a PostgreSQL store the run holds a session advisory lock (`RUN_LOCK_SPACE`, connection id)
on a database connection of its own, kept for the whole run: the server frees it when the
process dies or its connection drops, so another host takes over at once. On a SQLite store
(one host) the lock is an open-file-description lock on a file per connection in the data
directory, freed by the kernel when the process dies. Either way the holder's host, process id
and start are readable without taking the lock (`lock_holder`, `locks_held`), so reading the
log never stands in the way of a starting run.
"""

from __future__ import annotations

import fcntl
import os
import re
import socket
import struct
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text

from erp_tui import lock_spaces
from erp_tui.errors import RefusedError
from erp_tui.i18n import Msg, msg
from erp_tui.runner.tables import RUNS

# The first key of the advisory lock of a run; the second is the connection id.
RUN_LOCK_SPACE = lock_spaces.RUN
# The application name of a run's lock connection, read back to name the holder.
_APP_NAME = "erp-tui run {pid}@{host}"
_APP_PATTERN = re.compile(r"erp-tui run (\d+)@(.*)")
# struct flock of 64-bit Linux (l_type, l_whence, l_start, l_len, l_pid, padding).
_FLOCK = "hhqqi4x"
_OFD = hasattr(fcntl, "F_OFD_SETLK") and struct.calcsize("l") == 8


class AlreadyRunningError(RefusedError):
    """Another run of the same connection holds the lock."""

    exit_code = 7


class LockLostError(AlreadyRunningError):
    """The database session holding this run's lock ended (a server restart, a terminated
    session): another run may have taken the connection over, so this one stops."""


# Run locks this process holds on a PostgreSQL store: connection id -> the server process id
# of the lock's session, and when each was last checked (time.monotonic()).
_HELD: dict[int, int] = {}
_CHECKED: dict[int, float] = {}
# How often a run checks, with a batch, that its lock is still held.
LOCK_CHECK_SECONDS = 2.0


@dataclass(frozen=True)
class Holder:
    """The process holding a connection's run lock: its host, process id and since when
    (empty, 0 or None when unknown)."""

    host: str
    pid: int
    since: datetime | None

    def who(self) -> Msg | None:
        """"host web1, process 1234, since 2026-12-02 18:03:12 UTC", or None if unknown."""
        parts = [msg("host {host}", host=self.host)] if self.host else []
        if self.pid:
            parts.append(msg("process {pid}", pid=self.pid))
        if self.since is not None:
            parts.append(msg("since {moment}", moment=utc_text(self.since)))
        return joined(parts) if parts else None


def joined(parts: list[Msg]) -> Msg:
    """Messages as one, separated by commas: "host web1, process 1234"."""
    whole = parts[0]
    for part in parts[1:]:
        whole = msg("{first}, {second}", first=whole, second=part)
    return whole


def utc_text(moment: datetime) -> str:
    """A moment as "2026-12-02 18:03:12 UTC" (a naive moment is taken as UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def this_process() -> tuple[str, int]:
    """This process's host name and process id, as run records and locks name them."""
    return socket.gethostname(), os.getpid()


def is_postgresql(engine: Engine) -> bool:
    """Whether the store is a PostgreSQL database (else SQLite: one host)."""
    return engine.dialect.name == "postgresql"


@contextmanager
def run_lock(engine: Engine, data_dir: Path, connection_id: int, name: str) -> Iterator[None]:
    """Hold the run lock of a connection for the block; AlreadyRunningError (exit 7), naming
    the holder, when another run on any host holds it."""
    lock = _pg_lock if is_postgresql(engine) else _file_lock
    with lock(engine, data_dir, connection_id, name):
        yield


def lock_holder(engine: Engine, data_dir: Path, connection_id: int) -> Holder | None:
    """Who holds a connection's run lock, or None when it is free; never takes the lock."""
    if is_postgresql(engine):
        with engine.connect() as conn:
            rows = _pg_holders(conn, [connection_id])
        if connection_id not in rows:
            return None
        return rows[connection_id] or _newest_running(engine, connection_id)
    return _file_holder(_lock_path(data_dir, connection_id))


def locks_held(engine: Engine, data_dir: Path, connection_ids: Iterable[int]) -> set[int]:
    """The connections among `connection_ids` whose run lock is held now (never taken here)."""
    ids = sorted(set(connection_ids))
    if not ids:
        return set()
    if is_postgresql(engine):
        with engine.connect() as conn:
            return set(_pg_holders(conn, ids))
    return {cid for cid in ids if _file_holder(_lock_path(data_dir, cid)) is not None}


def _refusal(name: str, holder: Holder | None) -> AlreadyRunningError:
    who = holder.who() if holder is not None else None
    if who is None:
        return AlreadyRunningError(msg("Connection '{name}' is already being synced; wait for "
                                       "that run to finish (or cancel it) and try again.",
                                       name=name))
    return AlreadyRunningError(msg("Connection '{name}' is already being synced ({who}); wait "
                                   "for that run to finish (or cancel it) and try again.",
                                   name=name, who=who))


# ---- PostgreSQL: a session advisory lock on a connection of the run's own -----------------

@contextmanager
def _pg_lock(engine: Engine, _data_dir: Path, connection_id: int, name: str) -> Iterator[None]:
    host, pid = this_process()
    keys = {"space": RUN_LOCK_SPACE, "key": connection_id}
    # Autocommit: the lock connection holds no transaction (no snapshot) during the run.
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    clean = True  # False while the session may still hold the lock: never back to the pool
    try:
        conn.execute(text("SELECT set_config('application_name', :app, false)"),
                     {"app": _APP_NAME.format(pid=pid, host=host)[:63]})
        taken, backend = conn.execute(text(
            "SELECT pg_try_advisory_lock(CAST(:space AS integer), CAST(:key AS integer)), "
            "pg_backend_pid()"), keys).one()
        if not taken:
            holders = _pg_holders(conn, [connection_id])
            holder = holders.get(connection_id) or _newest_running(engine, connection_id)
            raise _refusal(name, holder)
        clean = False
        _HELD[connection_id] = backend
        _CHECKED[connection_id] = time.monotonic()
        try:
            yield
        finally:
            _HELD.pop(connection_id, None)
            with suppress(Exception):  # a session that is gone has freed it already
                clean = bool(conn.execute(text(
                    "SELECT pg_advisory_unlock(CAST(:space AS integer), CAST(:key AS integer))"),
                    keys).scalar_one())
    finally:
        try:
            if clean:
                conn.execute(text("RESET application_name"))
        except Exception:
            clean = False
        if not clean:
            conn.invalidate()  # closing the session frees whatever it holds
        conn.close()


def check_lock(conn: Any, connection_id: int, name: str) -> None:
    """Raise LockLostError when this process's run lock of a connection on a PostgreSQL store
    is gone; checked on `conn` (the batch's own transaction, so that the batch is not
    committed) at most every LOCK_CHECK_SECONDS. Nothing to check on a SQLite store: the lock
    lives as long as the process."""
    backend = _HELD.get(connection_id)
    now = time.monotonic()
    if backend is None or now - _CHECKED.get(connection_id, 0.0) < LOCK_CHECK_SECONDS:
        return
    _CHECKED[connection_id] = now
    held = conn.execute(text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND objsubid = 2 AND classid::bigint = :space AND objid::bigint = :key "
        "AND pid = :backend"),
        {"space": RUN_LOCK_SPACE, "key": connection_id, "backend": backend}).scalar_one()
    if not held:
        raise LockLostError(msg("Connection '{name}' lost its run lock (the database session "
                                "holding it ended), so this run stopped; the next sync "
                                "carries on where it stopped.", name=name))


def _pg_holders(conn: Any, connection_ids: list[int]) -> dict[int, Holder | None]:
    """The connections whose run lock is held, each with its holder (None when the server
    does not show who: another role's session without pg_read_all_stats)."""
    rows = conn.execute(text(
        "SELECT l.objid::bigint, a.application_name, a.query_start "
        "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND l.classid::bigint = :space AND l.objid::bigint = ANY(:keys)"),
        {"space": RUN_LOCK_SPACE, "keys": connection_ids}).all()
    held: dict[int, Holder | None] = {}
    for key, app, since in rows:
        match = _APP_PATTERN.fullmatch(app or "")
        held[int(key)] = (Holder(match.group(2), int(match.group(1)), since) if match
                          else None)
    return held


def _newest_running(engine: Engine, connection_id: int) -> Holder | None:
    """The holder as the newest run recorded as running names it (when the server hides it)."""
    with engine.connect() as conn:
        row = conn.execute(select(RUNS.c.host, RUNS.c.pid, RUNS.c.started).where(
            RUNS.c.connection_id == connection_id, RUNS.c.status == "running")
            .order_by(RUNS.c.id.desc()).limit(1)).first()
    return Holder(row.host, row.pid, row.started) if row is not None else None


# ---- SQLite store: a file lock in the data directory --------------------------------------

def _lock_path(data_dir: Path, connection_id: int) -> Path:
    return data_dir.expanduser() / "locks" / f"sync-{connection_id}.lock"


@contextmanager
def _file_lock(_engine: Engine, data_dir: Path, connection_id: int, name: str
               ) -> Iterator[None]:
    path = _lock_path(data_dir, connection_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            _lock_fd(fd)
        except OSError:
            raise _refusal(name, _read_holder(fd)) from None
        host, pid = this_process()
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{pid}\t{host}\t{datetime.now(UTC).isoformat()}".encode(), 0)
        yield
    finally:
        os.close(fd)  # frees the lock


def _lock_fd(fd: int) -> None:
    """Take the exclusive lock of the open file or raise OSError when it is held."""
    if _OFD:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET,
                                                       0, 0, 0))
    else:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _file_holder(path: Path) -> Holder | None:
    """The holder of a lock file, or None when it is free (or there is no such file)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        if _OFD:  # asks the kernel who would conflict; takes nothing
            probe = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
            held = struct.unpack(_FLOCK, fcntl.fcntl(fd, fcntl.F_OFD_GETLK, probe))[0]
            return None if held == fcntl.F_UNLCK else _read_holder(fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_holder(fd: int) -> Holder:
    try:
        parts = os.pread(fd, 512, 0).decode(errors="replace").strip().split("\t")
    except OSError:
        return Holder("", 0, None)
    pid = int(parts[0]) if parts[0].isdigit() else 0
    host = parts[1] if len(parts) > 1 else ""
    since = None
    if len(parts) > 2:
        with suppress(ValueError):
            since = datetime.fromisoformat(parts[2])
    return Holder(host, pid, since)
