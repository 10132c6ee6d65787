"""Create in ERP: the "ask the user" defaults asked by type, mandatory ones required, the new
ERP key linked and shown on the record's ERP tab."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Select

from erp_tui.rules import DefaultSpec
from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.create_in_erp_dialog import Created, CreateInErpDialog
from erp_tui.screens.record_view import RecordView
from tests.screen_support import screen_text
from tests.store_support import NORDIC

from .crm_support import companies, erp_customer, settle


def _ask_note(ctx: Any) -> None:
    """Nordic asks for a mandatory note on create (besides the demo's currency)."""
    from erp_tui.services import connections, defaults

    connections.deactivate(ctx, NORDIC)
    defaults.save_default(ctx, NORDIC, "Customer", DefaultSpec("note", False, "", True, True))


async def test_asks_the_defaults_and_refuses_an_empty_mandatory_one(demo_ctx: Any) -> None:
    from erp_tui.services.erp_tab import erp_tab_links
    from erp_tui.services.records import edit_record, get_record

    _ask_note(demo_ctx)
    company = companies(demo_ctx)[3]
    # The demo's categories (customer, prospect, partner) have no ERP item: one that has.
    edit_record(demo_ctx, "company", company.id, {"category": "retail"},
                get_record(demo_ctx, "company", company.id).stamp)
    app = ErpTuiApp(demo_ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = RecordView(demo_ctx, "company", company.id)
        await app.push_screen(view)
        await settle(app, pilot)
        await pilot.press("f8")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, CreateInErpDialog)
        nordic = next(i for i, t in enumerate(dialog.targets) if t[0] == NORDIC)
        dialog.query_one("#target", Select).value = str(nordic)
        await pilot.pause()
        assert (dialog.connection, dialog.actor_type) == (NORDIC, "Customer")
        assert sorted(v.key for v, _m in dialog.asked) == ["currency", "note"]
        text = screen_text(app)
        assert "Note *" in text and "Currency *" not in text
        currency = next(i for i, (v, _m) in enumerate(dialog.asked) if v.key == "currency")
        note = next(i for i, (v, _m) in enumerate(dialog.asked) if v.key == "note")
        choices = dialog.query_one(f"#ask-{currency}", Select)
        assert "EUR" in [value for _prompt, value in choices._options]
        await pilot.press("f10")
        await settle(app, pilot)
        assert app.screen is dialog  # refused
        assert "mandatory" in dialog.problem_text("note")
        assert "Not created" in dialog.status_text()
        assert erp_tab_links(demo_ctx, "company", company.id) == []
        dialog.query_one(f"#ask-{note}", Input).value = "Asked at create"
        choices.value = "EUR"
        await pilot.press("f10")
        await settle(app, pilot)
        assert app.screen is view, dialog.status_text()
        links = erp_tab_links(demo_ctx, "company", company.id)
        assert len(links) == 1 and links[0].connection == NORDIC
        key = links[0].erp_key
        assert erp_customer(demo_ctx, key, "note") == "Asked at create"
        assert erp_customer(demo_ctx, key, "currency") == "EUR"
        assert erp_customer(demo_ctx, key, "name") == company.title
        assert f"Created in the ERP as Customer '{key}'" in view.message_text()
        assert f"{NORDIC} · Customer {key}" in view.erp_plain()  # the ERP tab follows


async def test_cancel_and_no_target(demo_ctx: Any) -> None:
    company = companies(demo_ctx)[3]
    answers: list[Any] = []
    app = ErpTuiApp(demo_ctx, language="nl")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        # The record is linked in both connections: nothing left to create it in.
        dialog = CreateInErpDialog(demo_ctx, "company", company.id, company.title,
                                   {NORDIC, "Dutch Wholesale BV"})
        app.push_screen(dialog, answers.append)
        await pilot.pause()
        assert "Geen ERP-verbinding" in dialog.status_text()
        await pilot.press("f10", "escape")
        await pilot.pause()
    assert answers == [None]
    assert not isinstance(answers[0], Created)
