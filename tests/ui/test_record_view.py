"""The record view: CRM fields edited by type and saved with the stamp they were read with, and
the ERP tab with live values read in a worker."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Select, Static

from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.record_view import RecordView
from erp_tui.screens.widgets.confirm import ConfirmScreen
from erp_tui.services.records import edit_record, get_record, list_records
from tests.screen_support import screen_text
from tests.store_support import NORDIC
from tests.wait_support import hold_calls

from .crm_support import companies, customer_key, link, settle


def _index(view: RecordView, key: str) -> int:
    assert view.detail is not None
    return next(i for i, f in enumerate(view.detail.fields) if f.key == key)


async def _view(app: ErpTuiApp, pilot: Any, entity: str, record_id: int,
                tab: str = "crm") -> RecordView:
    await pilot.pause()
    view = RecordView(app.ctx, entity, record_id, tab=tab)  # type: ignore[arg-type]
    await app.push_screen(view)
    await settle(app, pilot)
    return view


async def test_fields_by_type_save_and_the_next_stamp(demo_ctx: Any) -> None:
    company = companies(demo_ctx)[0]
    before = get_record(demo_ctx, "company", company.id)
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _view(app, pilot, "company", company.id)
        assert isinstance(view.query_one(f"#field-{_index(view, 'id')}"), Static)  # locked
        country = view.query_one(f"#field-{_index(view, 'country')}", Select)
        assert ("NL", "Netherlands") in [(k, t) for k, t in view.choices["country"]]
        name = view.query_one(f"#field-{_index(view, 'name')}", Input)
        assert name.has_focus or view.focused is not None
        name.value = "Renamed [EU] AB"
        country.value = "NL"
        await pilot.pause()
        assert view.dirty
        await pilot.press("f2")
        await pilot.pause()
        after = get_record(demo_ctx, "company", company.id)
        values = {f.key: f.value for f in after.fields}
        assert values["name"] == "Renamed [EU] AB" and values["country"] == "NL"
        assert after.stamp > before.stamp
        assert "Saved" in view.message_text()
        assert not view.dirty
        assert "Company › Renamed [EU] AB" in screen_text(app)  # shown as typed


async def test_a_bad_value_is_shown_at_its_field_and_nothing_is_saved(demo_ctx: Any) -> None:
    person = list_records(demo_ctx, "person", "", 0, 1)[0]
    before = get_record(demo_ctx, "person", person.id)
    app = ErpTuiApp(demo_ctx, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _view(app, pilot, "person", person.id)
        birth = view.query_one(f"#field-{_index(view, 'birthdate')}", Input)
        birth.value = "gisteren"
        await pilot.pause()
        assert "moet een datum zijn" in view.problem_text("birthdate")  # as typed, in Dutch
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Niet opgeslagen" in view.message_text()
        assert get_record(demo_ctx, "person", person.id).stamp == before.stamp
        birth.value = "31-12-1980"
        await pilot.press("f2")
        await pilot.pause()
        assert view.problem_text("birthdate") == ""
        saved = {f.key: f.value for f in get_record(demo_ctx, "person", person.id).fields}
        assert saved["birthdate"] == "1980-12-31"


async def test_a_save_by_someone_else_offers_reload(demo_ctx: Any) -> None:
    company = companies(demo_ctx)[1]
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _view(app, pilot, "company", company.id)
        stamp = view.detail.stamp if view.detail else 0
        edit_record(demo_ctx, "company", company.id, {"phone": "+31 1"}, stamp)
        view.query_one(f"#field-{_index(view, 'name')}", Input).value = "Mine"
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "changed by someone else" in screen_text(app)
        await pilot.press("y")  # reload
        await pilot.pause()
        assert app.screen is view
        phone = view.query_one(f"#field-{_index(view, 'phone')}", Input)
        assert phone.value == "+31 1"
        name = view.query_one(f"#field-{_index(view, 'name')}", Input)
        assert name.value == company.title  # the unsaved change is gone, nothing was saved
        assert {f.key: f.value for f in get_record(demo_ctx, "company", company.id).fields
                }["name"] == company.title


async def test_escape_with_unsaved_changes_asks_first(demo_ctx: Any) -> None:
    company = companies(demo_ctx)[2]
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _view(app, pilot, "company", company.id)
        view.query_one(f"#field-{_index(view, 'email')}", Input).value = "x@example.com"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is view
        await pilot.press("escape", "y")
        await pilot.pause()
        assert app.screen is not view
        assert {f.key: f.value for f in get_record(demo_ctx, "company", company.id).fields
                }["email"] == company.email


async def test_a_person_shows_its_company_and_f6_opens_it(demo_ctx: Any) -> None:
    person = list_records(demo_ctx, "person", "", 0, 1)[0]
    detail = get_record(demo_ctx, "person", person.id)
    assert detail.parent is not None
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await _view(app, pilot, "person", person.id)
        assert f"Company: {detail.parent[2]}" in screen_text(app)
        await pilot.press("f6")
        await pilot.pause()
        parent = app.screen
        assert isinstance(parent, RecordView)
        assert (parent.entity, parent.record_id) == ("company", detail.parent[1])


async def test_erp_tab_loads_values_in_a_worker_and_keys_do_not_wait(
        demo_ctx: Any, monkeypatch: Any) -> None:
    from erp_tui.services import erp_tab

    company = companies(demo_ctx)[0]
    key = customer_key(demo_ctx, "10001")
    link(demo_ctx, company.id, key)
    labels = [label for _k, label in erp_tab.erp_tab_links(demo_ctx, "company",
                                                            company.id)[0].field_keys]
    release = hold_calls(monkeypatch, erp_tab, "erp_tab_values")
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = RecordView(demo_ctx, "company", company.id, tab="erp")
        await app.push_screen(view)
        await pilot.pause()
        text = view.erp_plain()
        assert f"● {NORDIC} · Customer {key} · linked" in text
        assert "Loading…" in text and view.values_loading()
        await pilot.press("f3")  # a key while the ERP is read: answered at once
        assert view.query_one("#tabs").active == "crm"  # type: ignore[attr-defined]
        await pilot.press("f4")
        release.set()
        await settle(app, pilot)
        text = view.erp_plain()
        assert "Loading…" not in text
        positions = [text.index(label[:17]) for label in labels]
        assert positions == sorted(positions)  # rank order
        assert "10001" in text  # the customer number, read from the ERP


async def test_erp_tab_shows_a_failure_and_both_values_when_they_differ(
        demo_ctx: Any, monkeypatch: Any) -> None:
    from erp_tui.services import connections, erp_tab, mappings

    company = companies(demo_ctx)[0]
    key = customer_key(demo_ctx, "10001")
    link(demo_ctx, company.id, key)
    connections.deactivate(demo_ctx, NORDIC)
    state = mappings.load_mappings(demo_ctx, NORDIC)
    state.tab("Customer").row("name").show_on_tab = True
    mappings.save_mappings(demo_ctx, state)
    detail = get_record(demo_ctx, "company", company.id)
    edit_record(demo_ctx, "company", company.id, {"name": "Only in the CRM"}, detail.stamp)
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _view(app, pilot, "company", company.id, tab="erp")
        text = view.erp_plain()
        assert "≠ CRM: Only in the CRM" in text
        line = next(li for li in text.splitlines() if "Name" in li and "<>" in li)
        assert line.startswith("≠ ")  # the mark is a glyph, not only a colour
        monkeypatch.setattr(erp_tab, "erp_tab_values", lambda *a, **k: erp_tab.TabValues(
            (), "The ERP did not answer within 5 s."))
        await pilot.press("f5")
        await settle(app, pilot)
        assert "✗ The ERP did not answer within 5 s." in view.erp_plain()


async def test_disconnect_from_the_erp_tab(demo_ctx: Any) -> None:
    from erp_tui.services.erp_tab import erp_tab_links

    company = companies(demo_ctx)[0]
    key = customer_key(demo_ctx, "10001")
    link(demo_ctx, company.id, key)
    app = ErpTuiApp(demo_ctx, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _view(app, pilot, "company", company.id, tab="erp")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert f"'{NORDIC}' ontkoppelen?" in screen_text(app)
        await pilot.press("y")
        await settle(app, pilot)
        assert erp_tab_links(demo_ctx, "company", company.id) == []
        assert "Ontkoppeld" in view.message_text()
        assert "niet gekoppeld" in view.erp_plain()


async def test_open_errors_are_listed_and_retried_with_r(demo_ctx: Any) -> None:
    from sqlalchemy import insert

    from erp_tui.model import SyncError
    from erp_tui.services.connections import require_connection
    from erp_tui.services.erp_tab import erp_tab_links

    company = companies(demo_ctx)[0]
    key = customer_key(demo_ctx, "10001")
    link(demo_ctx, company.id, key)
    with demo_ctx.session() as session:
        session.execute(insert(SyncError).values(
            run_id=1, connection_id=require_connection(demo_ctx, NORDIC).id,
            actor_type="Customer", erp_key=key, crm_id=company.id, direction=">",
            message="List item 'X [1]' is not mapped"))
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        view = await _view(app, pilot, "company", company.id, tab="erp")
        text = view.erp_plain()
        assert f"! {NORDIC} · Customer {key} · open error" in text
        assert "Open errors (1) — r retries them:" in text
        assert "List item 'X [1]' is not mapped" in screen_text(app)  # as written: no markup
        await pilot.press("r")
        await settle(app, pilot)
        assert view.message_text().startswith("Retried 1 error: ")
        still = sum(len(x.errors) for x in erp_tab_links(demo_ctx, "company", company.id))
        assert ("Open errors" in view.erp_plain()) == bool(still)


async def test_bracketed_names_and_values_are_shown_as_typed(demo_ctx: Any) -> None:
    company = companies(demo_ctx)[0]
    odd = "Lager [EU] a[/]b [bold]x"
    edit_record(demo_ctx, "company", company.id, {"name": odd, "department": "[/]"},
                get_record(demo_ctx, "company", company.id).stamp)
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press(*"lager [eu]")
        await settle(app, pilot)
        text = screen_text(app)
        assert text.count(odd) == 2, text  # its row and the detail line
        await pilot.press("enter", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, RecordView)
        text = screen_text(app)
        assert f"Company › {odd}" in text and "[/]" in text
