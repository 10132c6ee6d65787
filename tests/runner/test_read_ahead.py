"""Reading ERP pages ahead in a second process: same result as reading in-process, and a reader
that dies, stalls or meets a bad connector is a batch error in a finished run, never a crash."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from erp_tui.connectors.sample import SampleConnector
from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.contract import ActorPage, Cursor, FieldType, PageResult, Result
from erp_tui.runner import RunOptions, open_errors, run_sync
from erp_tui.runner import reader as reader_module
from erp_tui.runner.page_db import read_staged_page
from erp_tui.runner.reader import PageRequest, ReaderSource, reader_source
from erp_tui.runner.translate import InboundField
from erp_tui.settings import Settings
from tests.list_support import map_list_item

from .conftest import API_KEY, configure

CUSTOMERS = 300
PAGE = 40
# Read ahead from the first full page on (the default waits for thousands of actors).
AHEAD = RunOptions(read_ahead_rows=1)
# ...and every clean page of new records staged by the reader process.
STAGED = RunOptions(read_ahead_rows=1, staging="always")


def _world(root: Path, name: str = "Ahead") -> tuple[AppContext, Path]:
    erp_file = root / "erp.sqlite"
    generate_sample_erp(erp_file, customers=CUSTOMERS, suppliers=0, persons_per_customer=1,
                        persons_per_supplier=0, projects=0, api_key=API_KEY, seed=11)
    ctx = AppContext.open(Settings(data_dir=root / "data",
                                   database_url=f"sqlite:///{root / 'store.sqlite'}"))
    configure(ctx, erp_file, name, page_size=PAGE)
    return ctx, erp_file


def _state(ctx: AppContext) -> dict[str, Any]:
    with ctx.engine.connect() as conn:
        companies = conn.execute(text(
            "SELECT l.erp_key, l.snapshot, l.crm_stamp, c.name, c.phone, c.country, c.category, "
            "c.number1, c.postal_city FROM link l JOIN crm_company c ON c.id = l.crm_id "
            "WHERE l.actor_type = 'Customer' ORDER BY l.erp_key")).all()
        people = conn.execute(text(
            "SELECT l.erp_key, l.snapshot, p.firstname, p.lastname, pl.erp_key FROM link l "
            "JOIN crm_person p ON p.id = l.crm_id "
            "LEFT JOIN link pl ON pl.crm_id = p.company_id AND pl.actor_type = 'Customer' "
            "WHERE l.actor_type = 'Person' ORDER BY l.erp_key")).all()
        cursors = conn.execute(text("SELECT actor_type, erp_modified, erp_key FROM sync_state "
                                    "ORDER BY actor_type")).all()
        errors = conn.execute(text("SELECT erp_key, message FROM sync_error "
                                   "ORDER BY erp_key")).all()
    return {"companies": [tuple(r) for r in companies], "people": [tuple(r) for r in people],
            "cursors": [tuple(r) for r in cursors], "errors": [tuple(r) for r in errors]}


def test_reading_ahead_gives_exactly_the_in_process_result(tmp_path: Path) -> None:
    in_process, _ = _world(tmp_path / "in-process")
    ahead, _ = _world(tmp_path / "ahead")
    for ctx in (in_process, ahead):
        map_list_item(ctx, "Ahead", "country", "SE", None)  # Swedes: record errors
    reader_module.peak_child_rss_kb = 0
    plain = run_sync(in_process, options=RunOptions(read_ahead_rows=10**9))[0]
    assert reader_module.peak_child_rss_kb == 0  # nothing was read ahead
    read_ahead = run_sync(ahead, options=AHEAD)[0]
    assert reader_module.peak_child_rss_kb > 0  # the reader process ran to the end
    assert read_ahead.counts == plain.counts
    assert read_ahead.counts.created > 0 and read_ahead.counts.errors > 0
    assert _state(ahead) == _state(in_process)
    assert any("ERP item 'SE' of list 'country'" in e.message
               for e in open_errors(ahead, "Ahead"))


def _capture_children(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    started: list[Any] = []
    original = reader_module._ChildReader.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        started.append(self._process)

    monkeypatch.setattr(reader_module._ChildReader, "__init__", init)
    return started


def _signal_first_child(started: list[Any], signum: int) -> RunOptions:
    def progress(event: Any) -> None:
        if started and event.phase == "ERP → CRM" and not getattr(progress, "sent", False):
            progress.sent = True  # type: ignore[attr-defined]
            os.kill(started[0].pid, signum)

    return RunOptions(read_ahead_rows=1, timeout=2.0, progress=progress)


def test_reader_killed_mid_run_is_a_batch_error_and_the_next_run_completes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference, _ = _world(tmp_path / "reference")
    run_sync(reference, options=AHEAD)
    ctx, _ = _world(tmp_path / "killed")
    started = _capture_children(monkeypatch)
    report = run_sync(ctx, options=_signal_first_child(started, signal.SIGKILL))[0]
    assert report.status == "finished"
    assert report.counts.errors == 1
    assert report.counts.created < 2 * CUSTOMERS  # the run stopped reading at the dead reader
    assert "page reader stopped unexpectedly" in open_errors(ctx, "Ahead")[0].message
    again = run_sync(ctx, options=AHEAD)[0]
    assert again.counts.errors == 0
    assert again.counts.created == 2 * CUSTOMERS - report.counts.created
    # The next run read the skipped range again: it closed the first run's batch error.
    assert open_errors(ctx, "Ahead") == [] and again.closed_errors == 1
    assert "Closed 1 batch error of an earlier run: its range" in again.message
    state = _state(ctx)
    state["errors"] = []  # the first run's (closed) error stays on record
    assert state == _state(reference)


def test_stalled_reader_times_out_and_is_ended(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, _ = _world(tmp_path)
    started = _capture_children(monkeypatch)
    report = run_sync(ctx, options=_signal_first_child(started, signal.SIGSTOP))[0]
    assert report.status == "finished"
    assert "did not answer within 2 seconds" in open_errors(ctx, "Ahead")[0].message
    assert started[0].poll() is not None  # the stopped child was killed, not left behind


class _Clock:
    """The reader's clock in these tests: every reading is one millisecond after the one before,
    however busy the machine is (on a real clock, whether staging "fits" depended on how fast
    the machine ran the few lines between two readings)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        self.now += 0.001
        return self.now


class _Pipe:
    """The reader's end of the pipe; `busy` is how long the writer says a page keeps it busy
    (None: the writer says nothing)."""

    def __init__(self, clock: _Clock, busy: float | None = None) -> None:
        self.sent: list[Any] = []
        self.clock = clock
        self.busy = busy
        self.told = 0

    def send(self, message: Any) -> None:
        self.sent.append(message)

    def poll(self, timeout: float) -> bool:
        return self.busy is not None and self.told < len(self.sent) + 1

    def recv(self) -> Any:
        """When the writer took its page (now, on the reader's clock) and how long each page
        keeps it busy."""
        self.told += 1
        return self.clock.monotonic(), self.busy


def _request() -> PageRequest:
    fields = [InboundField("Name", FieldType.TEXT, None, "", 0),
              InboundField("Country", FieldType.LIST, {"SE": "Sverige"}, "country", 0)]
    return PageRequest(1, "Customer", ["name", "country"], 2, fields, [0, 1], 2)


class _Connector:
    """A connector as the reader process creates it; answers are set per test."""

    pages: list[Any] = []
    bind: Any = None

    def create_connection(self, connection_id: int, values: dict[str, Any]) -> Result:
        return self.bind or Result()

    def actors_changed_since(self, *args: Any) -> Any:
        answer = self.pages.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _page(keys: list[str], rows: list[tuple[Any, ...]], last: bool) -> PageResult:
    return PageResult(page=ActorPage.trusted(
        actor_type="Customer", field_keys=("name", "country"), erp_keys=keys,
        last_modified=["2026-01-01T00:00:00.000000Z"] * len(keys), rows=rows,
        next_cursor=None if last else Cursor(last_modified="2026-01-01T00:00:00.000000Z",
                                             erp_key=keys[-1])))


def _read(monkeypatch: pytest.MonkeyPatch, pages: list[Any], bind: Any = None,
          request: PageRequest | None = None, writer_busy: float | None = None) -> list[Any]:
    monkeypatch.setattr(_Connector, "pages", pages)
    monkeypatch.setattr(_Connector, "bind", bind)
    monkeypatch.setattr("erp_tui.registry.create_connector", lambda kind: _Connector())
    clock = _Clock()
    monkeypatch.setattr(reader_module, "time", clock)  # the staging share reads this clock
    pipe = _Pipe(clock, writer_busy)
    reader_module._read_pages(pipe, ReaderSource("fake", {}),  # type: ignore[arg-type]
                              request or _request(), Cursor())
    return pipe.sent


def test_reader_process_translates_pages_and_reports_its_end(
        monkeypatch: pytest.MonkeyPatch) -> None:
    sent = _read(monkeypatch, [_page(["C1", "C2"], [("Åsa AB", "SE"), ("Bo", "NO")], False),
                               _page(["C3"], [("Cia", "SE")], True)])
    assert [m[0] for m in sent] == ["page", "page", "end"]
    columns, bad, texts = sent[0][2]
    assert [reader_module._unpack(c) for c in columns] == [["Åsa AB", "Bo"],
                                                          ["Sverige", "\x00missing"]]
    assert "ERP item 'NO' of list 'country'" in bad[1]
    assert reader_module._unpack(texts) == ["Åsa AB\x1fSverige", "Bo\x1f\x00missing"]
    assert sent[0][1]["rows"] == []  # translated pages travel without their raw rows
    assert reader_module._unpack(sent[1][1]["erp_keys"]) == ["C3"]


def test_texts_holding_the_packing_separator_travel_as_lists() -> None:
    for column in (["a", "b\x1ec", ""], ["", ""], ["only"], []):
        assert reader_module._unpack(reader_module._pack(column)) == column


def test_reader_process_passes_malformed_pages_and_failures_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    bad = _page(["C1", "C2"], [("Åsa AB", "SE")], False)  # two keys, one row
    sent = _read(monkeypatch, [bad])
    assert len(sent) == 1 and sent[0][2] is None and len(sent[0][1]["rows"]) == 1
    assert reader_module._unpack(sent[0][1]["erp_keys"]) == ["C1", "C2"]
    sent = _read(monkeypatch, [RuntimeError("socket closed")])
    assert sent[0][0] == "failure"
    assert sent[0][1].tech_message == "RuntimeError: socket closed"
    sent = _read(monkeypatch, [], bind=Result.failure("Wrong API key."))
    assert sent[0][0] == "failure" and sent[0][1].user_message == "Wrong API key."


def test_only_opted_in_registry_connectors_are_read_in_a_second_process() -> None:
    sample = SampleConnector()
    assert reader_source("sample", sample, {"api_key": "k"}) == ReaderSource("sample",
                                                                              {"api_key": "k"})
    assert reader_source("workbook", sample, {}) is None  # not what the registry creates
    assert reader_source("no-such-kind", sample, {}) is None
    patched = SampleConnector()
    patched.actors_changed_since = lambda *a: None  # type: ignore[method-assign]
    assert reader_source("sample", patched, {}) is None


def test_reader_started_for_a_first_sync_is_ended_when_the_run_is_small(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    erp_file = tmp_path / "erp.sqlite"
    generate_sample_erp(erp_file, customers=30, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    ctx = AppContext.open(Settings(data_dir=tmp_path / "data",
                                   database_url=f"sqlite:///{tmp_path / 'store.sqlite'}"))
    configure(ctx, erp_file, "Small", page_size=1000, persons=False)
    started = _capture_children(monkeypatch)
    report = run_sync(ctx, options=AHEAD)[0]
    assert len(started) == 1  # a first sync starts the reader before its first page...
    assert started[0].poll() is not None  # ...and ends it when one page holds everything
    assert (report.counts.created, report.counts.errors) == (30, 0)


def _staging_request() -> PageRequest:
    request = _request()
    return PageRequest(*[getattr(request, f) for f in (
        "connection_id", "actor_type", "field_keys", "page_size", "fields", "slots",
        "width")], stage="auto")


def _clean_pages() -> list[PageResult]:
    return [*(_page([f"C{n}", f"C{n + 1}"], [("Åsa AB", "SE"), ("", "SE")], False)
              for n in (1, 3, 5)), _page(["C7"], [("Bo", "NO")], True)]


def test_reader_stages_clean_pages_while_the_writer_is_busy(
        monkeypatch: pytest.MonkeyPatch) -> None:
    sent = _read(monkeypatch, _clean_pages(), request=_staging_request(), writer_busy=60.0)
    # Clean pages are staged; a page with a record error travels as columns (the writer plans
    # it row by row).
    assert [m[0] for m in sent] == ["staged", "staged", "staged", "page", "end"]
    assert sent[-1][2] == 3  # staged pages, reported at the end
    columns, texts = read_staged_page(sent[0][2], 2)
    assert [list(c) for c in columns] == [["Åsa AB", ""], ["Sverige", "Sverige"]]
    assert texts == ["Åsa AB\x1fSverige", "\x1fSverige"]


def test_reader_leaves_binding_to_a_writer_that_would_wait(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for busy in (None, 0.000001):  # no word from the writer, or a writer that is quick
        sent = _read(monkeypatch, _clean_pages(), request=_staging_request(), writer_busy=busy)
        assert [m[0] for m in sent] == ["page", "page", "page", "page", "end"]


def test_staged_pages_of_known_actors_are_planned_row_by_row(tmp_path: Path) -> None:
    """Clean pages come staged; when their actors are linked already (here: the cursor was
    reset), the writer reads the staged values back and finds nothing to change."""
    plain, _ = _world(tmp_path / "in-process")
    ahead, _ = _world(tmp_path / "ahead")
    expected = run_sync(plain, options=RunOptions(read_ahead_rows=10**9))[0]
    before = reader_module.staged_pages
    first = run_sync(ahead, options=STAGED)[0]
    assert reader_module.staged_pages > before  # pages really came staged
    assert first.counts == expected.counts
    assert first.counts.created == 2 * CUSTOMERS
    assert _state(ahead) == _state(plain)
    with ahead.engine.begin() as conn:
        conn.execute(text("UPDATE sync_state SET erp_modified = '', erp_key = ''"))
    staged = reader_module.staged_pages
    again = run_sync(ahead, options=STAGED)[0]
    assert reader_module.staged_pages > staged
    assert (again.counts.created, again.counts.updated, again.counts.errors) == (0, 0, 0)
    assert again.counts.unchanged == 2 * CUSTOMERS
