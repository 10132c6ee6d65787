"""ERP pages for phase A: read in this process, or read ahead in a second process.

Reading a page (the connector's work) and translating it take about as long as writing it, and
threads cannot share that work (they serialise on the GIL). So when the first page shows a large
backlog (an initial sync), a child process recreates the connector and reads and translates
the following pages while this process writes: the two cores each do half. Small runs never
start the child. Only connectors that declare `reads_in_worker_process = True` are read this
way (their instances hold no state that a second instance would miss).

The runner takes pages in on a receiving thread, at most READ_AHEAD_PAGES ahead of need (then a
send blocks); clean pages of new records may come staged as SQLite databases (_StagingShare).
The child ends with its parent (a send to a closed pipe fails), and everything it sends is a
result: a connector error, a time-out or the child's death become a failed `PageResult`, never
an exception.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import queue
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from erp_tui.contract import ActorPage, Cursor, PageResult
from erp_tui.i18n import msg
from erp_tui.runner.page_db import stage_page
from erp_tui.runner.translate import (
    InboundField,
    Translation,
    malformed,
    snapshots,
    translate_page,
)

if TYPE_CHECKING:
    from multiprocessing.connection import Connection as Pipe

    from erp_tui.contract import Connector

# Read ahead in a child only when the first page holds at least this many actors.
READ_AHEAD_MIN_ROWS = 2000
# Pages the runner takes in from the child ahead of need.
READ_AHEAD_PAGES = 2
# Peak memory (KB) of the reader processes of this process (benchmarks print it), and how
# many pages they staged themselves (see _StagingShare).
peak_child_rss_kb = 0
staged_pages = 0

Item = tuple[PageResult, Translation | None]


@dataclass(frozen=True)
class ReaderSource:
    """How a child process recreates a connector: its kind and the connection's values."""

    kind: str
    values: dict[str, Any]


@dataclass(frozen=True)
class PageRequest:
    """What to read: everything crosses to the child process as plain data."""

    connection_id: int
    actor_type: str
    field_keys: list[str]
    page_size: int
    fields: list[InboundField]
    # Snapshot slot of each field and the snapshot's width (see translate.snapshots).
    slots: list[int]
    width: int
    # Clean pages the reader stages as SQLite databases (the store can attach them): "auto"
    # (when that keeps pace with the writer), "always" or "never".
    stage: str = "never"


def reader_source(kind: str, connector: Connector, values: dict[str, Any]
                  ) -> ReaderSource | None:
    """A source for a reader process, or None when `connector` must be read in this process
    (it has not opted in, or it is not the instance the registry would create, or this is
    not a POSIX system, where the reader's socket is handed over)."""
    from erp_tui.registry import load_connector_class

    if os.name != "posix":
        return None
    try:
        cls = load_connector_class(kind)
    except Exception:  # an unknown kind is read in-process, where its error is reported
        return None
    if type(connector) is not cls or not getattr(cls, "reads_in_worker_process", False):
        return None
    if "actors_changed_since" in vars(connector):  # a replaced method lives only here
        return None
    return ReaderSource(kind, values)


class PageStream:
    """The pages of one phase A, from `start` on, in order; `next()` is None at the end."""

    def __init__(self, fetch: Callable[[Cursor], PageResult], request: PageRequest,
                 start: Cursor, *, source: ReaderSource | None, timeout: float,
                 min_rows: int = READ_AHEAD_MIN_ROWS, prestart: bool = False) -> None:
        """`prestart` starts the reader process at once (while the first page is read here),
        for runs that are likely large: the first sync of an actor type."""
        self._fetch = fetch
        self._request = request
        self._cursor: Cursor | None = start
        self._source = source
        self._timeout = timeout
        self._min_rows = min_rows
        self._child: _ChildReader | None = None
        if prestart and source is not None and request.page_size >= min_rows:
            self._child = _ChildReader(source, request, timeout)
        self._first = True

    def next(self) -> Item | None:
        """The next page (translated when it was read ahead), or None when there is none."""
        if self._child is not None and self._child.reading:
            item = self._child.next()
            if item is None or not item[0].ok or item[0].page is None:
                self.close()
            return item
        if self._cursor is None:
            return None
        result = self._fetch(self._cursor)
        page = result.page if result.ok else None
        self._cursor = page.next_cursor if page is not None else None
        if self._first:
            self._first = False
            if (self._source is not None and page is not None and self._cursor is not None
                    and len(page) >= self._min_rows):
                if self._child is None:
                    self._child = _ChildReader(self._source, self._request, self._timeout)
                self._child.begin(self._cursor)
            elif self._child is not None:  # a small run: the started reader is not needed
                self._child.close()
                self._child = None
        return result, None

    def close(self) -> None:
        """Stop reading ahead (the child is ended)."""
        if self._child is not None:
            self._child.close()
            self._child = None
        self._cursor = None


class _ChildReader:
    """The parent's end of a reader process.

    The child is a fresh interpreter started with subprocess (not multiprocessing, which would
    re-import the host program's main module) and talks over one socket pair.
    """

    def __init__(self, source: ReaderSource, request: PageRequest, timeout: float) -> None:
        ours, theirs = multiprocessing.Pipe(duplex=True)
        self._pipe = ours
        self._timeout = timeout
        self._done = False
        self._last = False  # the last page was received
        self.reading = False  # begin() was called
        self._taken_at = 0.0  # when the latest page was taken
        # Messages taken from the child ahead of need (at most READ_AHEAD_PAGES).
        self._inbox: queue.Queue[Any] = queue.Queue(maxsize=READ_AHEAD_PAGES)
        self._stop = threading.Event()
        self._receiver = threading.Thread(target=self._receive, name="erp-tui-page-receiver",
                                          daemon=True)
        package_root = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
        fd = theirs.fileno()
        from erp_tui import logs

        # The child logs to this process's log file; what it prints (a crash) goes there too.
        log_env = logs.child_environment()
        stderr: Any = subprocess.DEVNULL
        if log_env:
            with contextlib.suppress(OSError):
                stderr = open(log_env[logs.CHILD_FILE_ENV], "ab")  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", "import sys; from erp_tui.runner.reader import "
                 "child_entry; child_entry(int(sys.argv[1]))", str(fd)],
                pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=stderr, env={**os.environ, **log_env, "PYTHONPATH": path})
        finally:
            if stderr is not subprocess.DEVNULL:
                stderr.close()
        logs.logger.debug("page reader %d started for %s", self._process.pid,
                          request.actor_type)
        theirs.close()
        self._pipe.send((source, request))

    def begin(self, start: Cursor) -> None:
        """Start reading pages from `start` (the child is ready, or gets ready, meanwhile)."""
        self.reading = True
        with contextlib.suppress(OSError):  # the child is gone: next() says so
            self._pipe.send(start)
        self._receiver.start()

    def _receive(self) -> None:
        """Take the child's messages as they come, so that it can read further ahead."""
        while True:
            try:
                message = self._pipe.recv()
            except (EOFError, OSError) as exc:
                message = ("died", exc, None)
            while not self._stop.is_set():
                try:
                    self._inbox.put(message, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if message[0] not in ("page", "staged") or self._stop.is_set():
                return

    def next(self, wait: float | None = None) -> Item | None:
        """The child's next page (or failure); None after its end. Waits up to the run's
        time-out, or `wait` seconds."""
        if self._done:
            return None
        began = time.monotonic()
        busy = began - self._taken_at if self._taken_at else 0.0
        try:
            message = self._inbox.get(timeout=self._timeout if wait is None else wait)
        except queue.Empty:
            self._done = True
            seconds = f"{self._timeout:g}"
            return _failure(msg("The connector did not answer within {seconds} seconds; the "
                                "batch was skipped and will be read again on the next run.",
                                seconds=seconds), "connector_timeout"), None
        kind, payload, translation = message
        if kind == "died":
            self._done = True
            from erp_tui.logs import logger

            logger.warning("the page reader stopped unexpectedly: %s: %s",
                           type(payload).__name__, payload)
            return _failure(msg("The ERP page reader stopped unexpectedly; the batch was "
                                "skipped and will be read again on the next run."),
                            "reader_died", f"{type(payload).__name__}: {payload}"), None
        if kind == "end":
            global peak_child_rss_kb, staged_pages
            peak_child_rss_kb = max(peak_child_rss_kb, int(payload))
            staged_pages += int(translation)
            self._done = True
            return None
        if kind not in ("page", "staged"):
            self._done = True
            return payload, None
        self._taken_at = time.monotonic()
        with contextlib.suppress(OSError):  # tells the reader how to share the work
            self._pipe.send((self._taken_at, busy, self._inbox.qsize()))
        self._last = payload["next_cursor"] is None
        for name in _TEXT_COLUMNS:
            payload[name] = _unpack(payload[name])
        if kind == "staged":
            translation = Translation([], {}, staged=translation)
        elif translation is not None:
            columns, bad, texts = translation
            translation = Translation([_unpack(c) for c in columns], bad, _unpack(texts))
        return PageResult(page=ActorPage.trusted(**payload)), translation

    def close(self) -> None:
        if self._last and not self._done:  # the child's closing words are on their way
            self.next(wait=1.0)
        self._stop.set()
        if self._receiver.is_alive():
            # End the child first: the receiving thread's read then returns.
            self._process.kill()
            self._receiver.join(5)
        self._pipe.close()
        try:
            self._process.wait(0.5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def _failure(message: str, code: str, tech: str = "") -> PageResult:
    result: PageResult = PageResult.failure(message, tech_message=str(tech or message),
                                            error_code=code)
    return result


# Text columns of a page sent packed (see _pack).
_TEXT_COLUMNS = ("erp_keys", "last_modified", "parent_types", "parent_keys")
_SEPARATOR = "\x1e"


def _pack(values: Sequence[str]) -> str | list[str]:
    """A column of texts as one string when no text holds the separator: pickling one long
    string is a copy, pickling thousands of short ones was most of the transfer's cost."""
    if not values:
        return []
    joined = _SEPARATOR.join(values)
    return joined if joined.count(_SEPARATOR) == len(values) - 1 else list(values)


def _unpack(packed: str | list[str] | None) -> list[str]:
    if packed is None:
        return []
    return packed.split(_SEPARATOR) if isinstance(packed, str) else packed


def _page_fields(page: ActorPage, with_rows: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {"actor_type": page.actor_type, "field_keys": page.field_keys,
                              "rows": page.rows if with_rows else [],
                              "deleted": page.deleted, "next_cursor": page.next_cursor,
                              "remaining": page.remaining}
    for name in _TEXT_COLUMNS:
        fields[name] = _pack(getattr(page, name))
    return fields


class _StagingShare:
    """Which pages the reader process stages itself (binding their values into a SQLite
    database) rather than leaving that to the writing process.

    The writer reports when it took each page, how long it had been busy with the one before,
    and how many more it holds. A page is staged here when the writer holds pages in hand, or
    when staging fits before the writer will want the page (so the writer never waits for the
    extra work); else the writer binds it.
    """

    def __init__(self) -> None:
        self.staged = 0
        self._taken_at: float | None = None  # when the writer took its latest page
        self._writer_busy = 0.0  # seconds the writer spends on a page (moving average)
        self._stage_cost = 0.0  # seconds staging a page takes here (moving average)
        self._queued = 0  # pages the writer held in hand besides the one it took

    def take(self) -> bool:
        """True when the page at hand is to be staged here."""
        if self._taken_at is None or not self._writer_busy:
            return False
        if self._queued:  # the writer has pages in hand: no hurry
            return True
        wanted_at = self._taken_at + self._writer_busy
        return time.monotonic() + self._stage_cost <= wanted_at

    def staged_in(self, seconds: float) -> None:
        self.staged += 1
        self._stage_cost = _moving_average(self._stage_cost, seconds)

    def writer_took(self, at: float, busy: float, queued: int = 0) -> None:
        self._taken_at = at
        self._queued = queued
        if busy > 0:
            self._writer_busy = _moving_average(self._writer_busy, busy)


def _moving_average(average: float, value: float) -> float:
    return value if not average else 0.7 * average + 0.3 * value


def child_entry(fd: int) -> None:
    """The reader process: take the request from the parent, then read, check and translate
    pages until the last one, a failure, or the parent going away."""
    from multiprocessing.connection import Connection

    from erp_tui.logs import logger, setup_child

    setup_child()
    # A hang-up, Ctrl+C or a service manager signals the whole process group: the parent
    # decides when to stop (it finishes its batch first); a closed pipe ends this process.
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_IGN)
    # A short-lived worker whose pages form no reference cycles: the cyclic collector would
    # only re-scan them (measured: a sizeable share of the reader's time).
    gc.disable()
    pipe = Connection(fd)
    try:
        source, request = pipe.recv()
        logger.debug("page reader: reading %s pages of connection %d", request.actor_type,
                     request.connection_id)
        _read_pages(pipe, source, request, None)
        logger.debug("page reader: done")
    except (EOFError, OSError):
        logger.debug("page reader: the runner stopped listening")
    except Exception as exc:  # tell the parent, which records it as a batch error
        logger.exception("page reader failed")
        with contextlib.suppress(OSError):
            pipe.send(("failure", _failure(msg("The ERP page reader failed; the batch was "
                                               "skipped and will be read again on the next "
                                               "run."),
                                           "reader_failed", f"{type(exc).__name__}: {exc}"),
                       None))
    finally:
        pipe.close()


def _read_pages(pipe: Pipe, source: ReaderSource, request: PageRequest,
                start: Cursor | None) -> None:
    """Bind a connector, wait for the start cursor (unless given), then send pages."""
    from erp_tui.contract import Result
    from erp_tui.registry import create_connector

    def guarded(function: Callable[[], Any], result_type: type[Any]) -> Any:
        try:
            return function()
        except Exception as exc:  # a connector must never take the reader down
            return result_type.failure(msg("The connector failed unexpectedly; see the log for "
                                           "details."),
                                       tech_message=f"{type(exc).__name__}: {exc}",
                                       error_code="connector_exception")

    connector = guarded(lambda: create_connector(source.kind), Result)
    if isinstance(connector, Result):
        pipe.send(("failure", connector, None))
        return
    bound = guarded(lambda: connector.create_connection(request.connection_id, source.values),
                    Result)
    if not bound.ok:
        pipe.send(("failure", _failure(bound.user_message or msg(
            "The connector refused the connection's configuration."), bound.error_code,
                                       bound.tech_message), None))
        return
    cursor: Cursor | None = start if start is not None else pipe.recv()
    share = _StagingShare()
    while cursor is not None:
        result = guarded(lambda at=cursor: connector.actors_changed_since(  # type: ignore[misc]
            request.connection_id, request.actor_type, at, request.field_keys,
            request.page_size), PageResult)
        if not isinstance(result, PageResult):
            result = _failure(msg("The connector returned an answer of the wrong kind."),
                              "connector_bad_answer", type(result).__name__)
        page = result.page if result.ok else None
        if page is None:
            from erp_tui.logs import logger

            logger.warning("page reader: the connector failed: %s", result.tech_message
                           or result.user_message)
            pipe.send(("failure", result, None))
            return
        cursor = page.next_cursor
        if malformed(page) or (page.field_keys and
                               tuple(page.field_keys) != tuple(request.field_keys)):
            pipe.send(("page", _page_fields(page, with_rows=True), None))  # the parent says why
            return
        translation = translate_page(page, request.fields)
        texts = snapshots(translation.columns, request.slots, request.width)
        while pipe.poll(0):  # when the writer took its pages, and how busy it was
            share.writer_took(*pipe.recv())
        if (request.stage != "never" and texts and not translation.bad
                and not any(page.deleted) and (request.stage == "always" or share.take())):
            began = time.monotonic()
            staged = stage_page(page.erp_keys, page.last_modified, texts, translation.columns)
            share.staged_in(time.monotonic() - began)
            message: tuple[str, Any, Any] = ("staged", _page_fields(page, with_rows=False),
                                             staged)
        else:
            message = ("page", _page_fields(page, with_rows=False),
                       ([_pack(c) for c in translation.columns], translation.bad,
                        _pack(texts)))
        pipe.send(message)
    pipe.send(("end", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, share.staged))

