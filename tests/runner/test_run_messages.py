"""The runner's texts are messages by code: a run's message and a record error it stored read
back in the reader's language (Dutch or English), while the JSON log and rows stored as plain
text keep reading as before."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, update

from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.errors import Problem, ValidationFailed
from erp_tui.i18n import Msg, localize, msg, msgn, set_language
from erp_tui.runner import RunOptions, open_errors, recent_runs, run_sync
from erp_tui.runner.journal import start_run
from erp_tui.runner.liveness import close_dead_runs
from erp_tui.runner.lock import Holder, _refusal
from erp_tui.runner.run_log import get_run
from erp_tui.runner.service import status_text
from erp_tui.runner.stored import MARK, from_stored, message_of, to_stored
from erp_tui.runner.tables import ERRORS, RUNS
from tests.cli_support import run

from .conftest import API_KEY, World, configure


@pytest.fixture
def parents_world(ctx: AppContext, tmp_path: Path) -> World:
    """Persons under suppliers while Supplier is not synced: record errors of the runner."""
    erp_file = tmp_path / "erp.sqlite"
    generate_sample_erp(erp_file, customers=2, suppliers=1, persons_per_customer=1,
                        persons_per_supplier=2, projects=0, api_key=API_KEY)
    return World(ctx, erp_file, "P", configure(ctx, erp_file, "P"))


def test_a_run_and_its_record_errors_read_back_in_either_language(
        parents_world: World) -> None:
    ctx = parents_world.ctx
    (report,) = run_sync(ctx, ["P"], RunOptions())
    assert report.counts.errors == 2
    (logged,) = recent_runs(ctx, "P")
    assert isinstance(logged.message, Msg)
    english = ("finished with 2 errors: 4 created, 0 updated, 0 pushed, 0 conflicts, "
               "2 errors")
    assert logged.message == english and localize(logged.message) == english
    errors = open_errors(ctx, "P")
    assert len(errors) == 2 and all(isinstance(e.message, Msg) for e in errors)
    assert errors[0].message.startswith("Its parent Supplier S")
    assert not errors[0].tech_message.startswith(MARK)

    set_language("nl")
    assert localize(get_run(ctx, logged.id).message) == (
        "voltooid met 2 fouten: 4 nieuw, 0 gewijzigd, 0 naar ERP, 0 conflicten, 2 fouten")
    dutch = localize(open_errors(ctx, "P")[0].message)
    assert dutch.startswith("De bovenliggende Leverancier S") and "niet in het CRM" in dutch


def test_the_json_log_keeps_the_english_text(parents_world: World, settings,  # type: ignore[no-untyped-def]
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    run_sync(parents_world.ctx, ["P"], RunOptions())
    monkeypatch.setenv("ERP_TUI_DATABASE_URL", settings.resolved_database_url())
    set_language("nl")
    code, out, _ = run(capsys, "log", "--json")
    assert code == 0
    assert json.loads(out)[0]["message"].startswith("finished with 2 errors: 4 created")
    code, out, _ = run(capsys, "log", "--errors", "--json")
    assert code == 0 and json.loads(out)[0]["message"].startswith("Its parent Supplier S")


def test_rows_stored_as_plain_text_still_read(parents_world: World) -> None:
    ctx = parents_world.ctx
    run_sync(ctx, ["P"], RunOptions())
    (logged,) = recent_runs(ctx, "P")
    with ctx.engine.begin() as conn:
        conn.execute(update(RUNS).where(RUNS.c.id == logged.id).values(
            message="finished: 4 created, 0 updated, 0 pushed, 0 conflicts, 2 errors"))
        conn.execute(insert(ERRORS).values(
            run_id=logged.id, connection_id=parents_world.connection_id, actor_type="Person",
            erp_key="X1", crm_id=None, direction=">", message="The ERP says no.",
            tech_message="HTTP 422", resolved=False, at=datetime.now(UTC)))
    set_language("nl")
    message = get_run(ctx, logged.id).message
    assert not isinstance(message, Msg)
    assert localize(message) == "finished: 4 created, 0 updated, 0 pushed, 0 conflicts, 2 errors"
    (old,) = [e for e in open_errors(ctx, "P") if e.erp_key == "X1"]
    assert localize(old.message) == "The ERP says no."


def test_an_interrupted_run_reads_in_dutch(ctx: AppContext, parents_world: World) -> None:
    run_id = start_run(ctx.engine, parents_world.connection_id, "sync")
    with ctx.engine.begin() as conn:
        conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(host="web1", pid=4321))
        assert close_dead_runs(conn, parents_world.connection_id) == 1
    message = get_run(ctx, run_id).message
    assert message.startswith("Interrupted: its process (host web1, process 4321) stopped ")
    set_language("nl")
    assert localize(message).startswith("Onderbroken: het proces (host web1, proces 4321) ")


def test_stored_messages_keep_nested_and_plural_messages() -> None:
    inner = msgn("finished with {count} error", "finished with {count} errors", 1)
    outer = msg("{message} {note}", message=msg("The ERP refused the change."), note=inner)
    back = from_stored(to_stored(outer))
    assert isinstance(back, Msg) and back == outer == "The ERP refused the change. " \
        "finished with 1 error"
    assert to_stored("The ERP's own words") == "The ERP's own words"
    assert from_stored(MARK + "not json") == MARK + "not json"
    assert from_stored(None) == ""
    set_language("nl")
    assert localize(back) == "Het ERP heeft de wijziging geweigerd. voltooid met 1 fout"
    assert localize(status_text("finished", 3)) == "voltooid met 3 fouten"
    assert localize(status_text("interrupted", 0)) == "onderbroken"


def test_errors_keep_their_message_and_refusals_read_in_dutch() -> None:
    refused = _refusal("Nordic", Holder("web1", 12, None))
    assert str(refused) == ("Connection 'Nordic' is already being synced (host web1, process "
                            "12); wait for that run to finish (or cancel it) and try again.")
    assert message_of(refused) is refused.args[0]
    failed = ValidationFailed(msg("CRM record {crm_id} cannot be created in the ERP:",
                                  crm_id=3), [Problem(msg("The ERP refused the change."))])
    assert message_of(failed) == str(failed)  # the problems are kept
    set_language("nl")
    assert refused.localized() == ("Verbinding 'Nordic' wordt al gesynchroniseerd (host web1, "
                                   "proces 12); wacht tot die run klaar is (of annuleer hem) "
                                   "en probeer het opnieuw.")
