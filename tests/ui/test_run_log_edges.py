"""The run, log and CRM screens whole at 80x24 in English and Dutch (issue 13, items 4 and 5):
the dry run names the connection, a run with record errors says so, the log's "created only"
sentence is shown whole, "+N more" links open, Escape asks before typed input is lost, and
texts from the engine and the runner come in the UI's language."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert

from erp_tui.i18n import msg
from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.create_in_erp_dialog import CreateInErpDialog
from erp_tui.screens.erp_search_dialog import ErpSearchDialog
from erp_tui.screens.log_screen import SyncLogScreen
from erp_tui.screens.record_view import RecordView
from erp_tui.screens.records_screen import RecordsScreen
from erp_tui.screens.run_screen import SyncRunScreen
from erp_tui.screens.widgets.confirm import ConfirmScreen
from tests.list_support import map_list_item
from tests.screen_support import screen_text
from tests.store_support import DUTCH, NORDIC
from tests.ui.crm_support import companies, customer_key, link, settle

LANGUAGES = ["en", "nl"]
SIZE = (80, 24)


def _by_language(language: str, english: str, dutch: str) -> str:
    return dutch if language == "nl" else english


async def _run(app: ErpTuiApp, pilot: Any, dry_run: bool = False) -> SyncRunScreen:
    screen = SyncRunScreen(app.ctx, dry_run=dry_run)
    await app.push_screen(screen)
    await settle(app, pilot)
    return screen


def _no_cut_word(text: str, *words: str) -> None:
    """Each word is on the terminal whole (not cut to "wor…")."""
    for word in words:
        assert word in text, word
        assert f"{word[:-2]}…" not in text, word


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_dry_run_table_names_the_connection(demo_ctx: Any, language: str) -> None:
    app = ErpTuiApp(demo_ctx, language=language)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _run(app, pilot, dry_run=True)
        grid = screen.query_one("#changes")
        assert grid.display
        header = grid.columns[0].label
        assert header == _by_language(language, "Connection", "Verbinding")
        text = screen_text(app)
        assert "Nordic Tra" in text  # the first column holds the connection
        _no_cut_word(text, _by_language(language, "ERP key", "ERP-sleutel"),
                     _by_language(language, "new", "nieuw"))
        if language == "nl":
            assert "Klant" in text and "aanmaken" in text and "Customer" not in text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_run_with_record_errors_says_finished_with_errors(demo_ctx: Any,
                                                                 language: str) -> None:
    map_list_item(demo_ctx, NORDIC, "country", "DE", None)  # German customers: record errors
    app = ErpTuiApp(demo_ctx, language=language)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _run(app, pilot)
        errors = screen.counts_of(NORDIC)["errors"]
        assert errors > 1
        assert screen.status_text().startswith(_by_language(
            language, f"! Finished with {errors} record errors;",
            f"! Voltooid met {errors} fouten in records;"))
        summary = str(screen.query_one("#summary").render())
        assert _by_language(language, f"finished with {errors} errors",
                            f"voltooid met {errors} fouten") in summary


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_dry_run_with_record_errors_does_not_say_only_finished(demo_ctx: Any,
                                                                      language: str) -> None:
    map_list_item(demo_ctx, NORDIC, "country", "DE", None)
    app = ErpTuiApp(demo_ctx, language=language)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _run(app, pilot, dry_run=True)
        errors = screen.counts_of(NORDIC)["errors"]
        assert errors > 1
        assert screen.status_text().startswith(_by_language(
            language, f"! Dry run finished with {errors} record errors:",
            f"! Proefrun voltooid met {errors} fouten in records:"))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_every_key_of_the_run_screen_is_in_the_key_bar(demo_ctx: Any,
                                                           language: str) -> None:
    app = ErpTuiApp(demo_ctx, language=language)
    async with app.run_test(size=SIZE) as pilot:
        await _run(app, pilot)
        text = screen_text(app)
        for key in _by_language(language, "esc Close|l Log|s Sync again|d Dry run|f1 Help",
                                "esc Sluiten|l Logboek|s Opnieuw synchroniseren|d Proefrun|"
                                "f1 Help").split("|"):
            assert key in text, key
        if language == "nl":
            assert "Contactpersoon" in text and "Person" not in text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_log_says_whole_what_a_run_without_field_changes_did(
        demo_ctx: Any, language: str) -> None:
    app = ErpTuiApp(demo_ctx, language=language)
    async with app.run_test(size=SIZE) as pilot:
        await _run(app, pilot)
        await pilot.press("l")
        await settle(app, pilot)
        log = app.screen
        assert isinstance(log, SyncLogScreen)
        await pilot.press("2")
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert log.head_text().startswith(_by_language(
            language, "This run changed no fields.", "Deze run heeft geen velden gewijzigd."))
        whole = " ".join(log.detail_text().split())
        assert whole in text
        assert whole.endswith(_by_language(language, "(their links carry the run).",
                                           "er zijn 219 records aangemaakt."))
        _no_cut_word(screen_text(app), _by_language(language, "ERP key", "ERP-sleutel"))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_stored_runner_message_is_shown_in_the_ui_language(
        demo_ctx: Any, language: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import erp_tui.runner as runner
    from erp_tui.runner.run_log import RecordError

    def errors(*_args: Any, **_kwargs: Any) -> list[RecordError]:
        from datetime import UTC, datetime

        return [RecordError(1, 1, 1, "Person", "P1", None, ">", msg("restored in ERP"), "",
                            datetime.now(UTC))]

    monkeypatch.setattr(runner, "open_errors", errors)
    app = ErpTuiApp(demo_ctx, language=language)
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(SyncLogScreen(demo_ctx))
        await settle(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        log = app.screen
        assert isinstance(log, SyncLogScreen)
        assert log.cell_text("errors", 0, 5) == _by_language(language, "restored in ERP",
                                                              "hersteld in ERP")
        assert log.cell_text("errors", 0, 2) == _by_language(language, "Contact person",
                                                              "Contactpersoon")
        assert _by_language(language, "restored in ERP", "hersteld in ERP") in log.detail_text()


def _second_link(ctx: Any, crm_id: int) -> None:
    """A link of CRM company `crm_id` in the Dutch connection too (straight into the store)."""
    from sqlmodel import select

    from erp_tui.model import Connection, Link

    with ctx.session() as session:
        dutch = session.exec(select(Connection).where(Connection.name == DUTCH)).one()
    with ctx.engine.begin() as conn:
        conn.execute(insert(Link.__table__).values(  # type: ignore[attr-defined]
            connection_id=dutch.id, actor_type="Customer", erp_key="D-1", crm_entity="company",
            crm_id=crm_id, state="linked", snapshot="{}", crm_stamp=-1, erp_modified=""))


@pytest.mark.parametrize("language", LANGUAGES)
async def test_more_links_of_a_record_open_with_f4(demo_ctx: Any, language: str) -> None:
    first = companies(demo_ctx)[0]
    link(demo_ctx, first.id, customer_key(demo_ctx, "10001"))
    _second_link(demo_ctx, first.id)
    app = ErpTuiApp(demo_ctx, language=language)
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(RecordsScreen(demo_ctx))
        await settle(app, pilot)
        records = app.screen
        assert isinstance(records, RecordsScreen)
        detail = records.detail_text()
        assert _by_language(language, "(+1 more: F4 lists every link)",
                            "(+1 meer: F4 toont alle koppelingen)") in detail
        assert _by_language(language, "Customer", "Klant") in detail
        assert "(+1" in screen_text(app)
        await pilot.press("f4")
        await settle(app, pilot)
        view = app.screen
        assert isinstance(view, RecordView)
        text = view.erp_plain()
        assert NORDIC in text and DUTCH in text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_escape_asks_before_the_values_given_to_create_in_erp_are_lost(
        demo_ctx: Any, language: str) -> None:
    from erp_tui.rules import DefaultSpec
    from erp_tui.services import connections, defaults

    connections.deactivate(demo_ctx, NORDIC)
    defaults.save_default(demo_ctx, NORDIC, "Customer", DefaultSpec("note", False, "", True, True))
    first = companies(demo_ctx)[0]
    app = ErpTuiApp(demo_ctx, language=language)
    async with app.run_test(size=SIZE) as pilot:
        dialog = CreateInErpDialog(demo_ctx, "company", first.id, first.title)
        await app.push_screen(dialog)
        await settle(app, pilot)
        nordic = next(i for i, t in enumerate(dialog.targets) if t[0] == NORDIC)
        from textual.widgets import Input, Select

        dialog.query_one("#target", Select).value = str(nordic)
        await settle(app, pilot)
        await pilot.press("escape")  # nothing given yet: closes at once
        await pilot.pause()
        assert app.screen is not dialog

        dialog = CreateInErpDialog(demo_ctx, "company", first.id, first.title)
        await app.push_screen(dialog)
        await settle(app, pilot)
        dialog.query_one("#target", Select).value = str(nordic)
        await settle(app, pilot)
        note = dialog.query(Input).first()
        note.focus()
        await pilot.press(*"hello")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert _by_language(language, "Discard the values you gave",
                            "De opgegeven waarden weggooien") in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is dialog and note.value == "hello"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press(_by_language(language, "y", "j"))
        await pilot.pause()
        assert app.screen is not dialog


@pytest.mark.parametrize("language", LANGUAGES)
async def test_escape_asks_before_typed_search_criteria_are_lost(demo_ctx: Any,
                                                                language: str) -> None:
    from textual.widgets import Input, Select

    app = ErpTuiApp(demo_ctx, language=language)
    async with app.run_test(size=SIZE) as pilot:
        dialog = ErpSearchDialog(demo_ctx)
        await app.push_screen(dialog)
        await settle(app, pilot)
        dialog.query_one("#connection", Select).value = NORDIC
        await settle(app, pilot)
        await pilot.press("escape")  # nothing typed: closes at once
        await pilot.pause()
        assert app.screen is not dialog

        dialog = ErpSearchDialog(demo_ctx)
        await app.push_screen(dialog)
        await settle(app, pilot)
        dialog.query_one("#connection", Select).value = NORDIC
        await settle(app, pilot)
        value = dialog.query(".value").results(Input).__next__()
        value.focus()
        await pilot.press(*"1000")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert _by_language(language, "Discard the criteria you typed",
                            "De ingevulde criteria weggooien") in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is dialog
        await pilot.press("f5")  # searched: the criteria did their work
        await settle(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not dialog


@pytest.mark.parametrize("language", LANGUAGES)
async def test_search_names_actor_types_in_the_ui_language(
        demo_ctx: Any, language: str) -> None:
    from textual.widgets import Select

    app = ErpTuiApp(demo_ctx, language=language)
    async with app.run_test(size=SIZE) as pilot:
        dialog = ErpSearchDialog(demo_ctx)
        await app.push_screen(dialog)
        await settle(app, pilot)
        dialog.query_one("#connection", Select).value = NORDIC
        await settle(app, pilot)
        shown = screen_text(app)
        assert _by_language(language, "Customer", "Klant") in shown
        assert "(Customer)" not in shown  # one name, in the UI's language


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_erp_tab_shows_field_labels_and_actor_names_whole(demo_ctx: Any,
                                                                   language: str) -> None:
    first = companies(demo_ctx)[0]
    link(demo_ctx, first.id, customer_key(demo_ctx, "10001"))
    app = ErpTuiApp(demo_ctx, language=language)
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(RecordView(demo_ctx, "company", first.id, tab="erp"))
        await settle(app, pilot)
        text = screen_text(app)
        assert f"{NORDIC} · {_by_language(language, 'Customer', 'Klant')} " in text
        assert "numb…" not in text and "numm…" not in text
        if language == "en":
            assert "Organisation number" in text
        for key in ("f2", "f4", "f7", "f8", "d ", "r ", "e ", "f1"):
            assert f" {key}" in text, key
