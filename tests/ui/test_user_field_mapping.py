"""The Mappings dialog offers user-defined CRM fields to typed ERP fields of their type."""

from __future__ import annotations

from typing import Any

from erp_tui.rules import Direction
from erp_tui.screens.mappings_dialog import MappingsDialog
from erp_tui.screens.widgets.dialog_kit import PickerDialog
from erp_tui.services import crm_fields
from erp_tui.services.mappings import load_mappings
from tests.store_support import DUTCH

from .dialog_fixtures import Answers, connection_id, make_app


async def test_a_decimal_erp_field_maps_to_a_decimal_user_field(two_connections: Any) -> None:
    ctx = two_connections
    crm_fields.add_field(ctx, crm_fields.NewField("company", "limit", "Limit", "decimal"))
    crm_fields.add_field(ctx, crm_fields.NewField("company", "visits", "Visits", "integer"))
    cid = connection_id(ctx, DUTCH)
    app, answers = make_app(ctx), Answers()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = MappingsDialog(ctx, cid, focus_actor="Customer", focus_field="credit_limit")
        await app.push_screen(dialog, answers)
        await pilot.pause()
        await pilot.press("right", "enter")  # CRM field column: opens the picker
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerDialog)
        offered = [key for key, _label in picker.choices]
        assert "limit" in offered and "visits" not in offered and "name" not in offered
        await pilot.press(*"limit", "enter")
        await pilot.pause()
        assert app.screen is dialog
        await pilot.press("equals_sign")
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert answers.values == [True]
    saved = load_mappings(ctx, cid).tab("Customer").row("credit_limit")
    assert (saved.crm_field, saved.direction) == ("limit", Direction.BOTH)
