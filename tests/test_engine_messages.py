"""The engine's refusals are messages by code: English as before, Dutch from `engine.po`."""

from __future__ import annotations

from pathlib import Path

import pytest

from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.errors import ConnectionActiveError, ErpTuiError, ValidationFailed
from erp_tui.i18n import Msg, localize, set_language
from erp_tui.rules import DefaultSpec, Direction
from erp_tui.services import connections, defaults, lists, mappings, records
from erp_tui.services.activation import validate_connection
from erp_tui.services.common import require_inactive

API_KEY = "s3cret-Key!"


@pytest.fixture
def cid(ctx: AppContext, tmp_path: Path) -> int:
    path = tmp_path / "erp.sqlite"
    generate_sample_erp(path, customers=10, suppliers=2, projects=2, api_key=API_KEY)
    draft = _draft(path)
    return connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))


def _draft(path: Path, **values: object) -> connections.ConnectionDraft:
    return connections.ConnectionDraft(
        name="Test ERP", connector="sample", scope="everyone",
        values={"database": str(path), "api_key": API_KEY, **values})


def _both(error: ErpTuiError) -> tuple[str, str]:
    """The error's English text and its Dutch text."""
    english = str(error)
    set_language("nl")
    try:
        return english, localize(error)
    finally:
        set_language("en")


def _dutch(text: str) -> str:
    set_language("nl")
    try:
        return localize(text)
    finally:
        set_language("en")


def test_connection_refusals(ctx: AppContext, cid: int, tmp_path: Path) -> None:
    problems = connections.draft_problems(
        ctx, _draft(tmp_path / "erp.sqlite", page_size="many"), None)
    assert all(isinstance(p, Msg) for p in problems)
    assert "'Page size' needs a whole number, not 'many' (--set page_size=...)." in problems
    assert [_dutch(p) for p in problems] == [
        "'Page size' moet een geheel getal zijn, niet 'many' (--set page_size=...).",
        "Test de verbinding met de waarden die nu in het formulier staan."]
    with ctx.session() as session:
        connection = connections.get_connection(session, cid)
        connection.active = True
        with pytest.raises(ConnectionActiveError) as refused:
            require_inactive(connection)
    assert _both(refused.value) == (
        "Connection 'Test ERP' is active; deactivate it first (deactivate → change → test → OK "
        "→ reactivate).",
        "Verbinding 'Test ERP' is actief; deactiveer haar eerst (deactiveren → wijzigen → "
        "testen → OK → opnieuw activeren).")


def test_mapping_refusals(ctx: AppContext, cid: int) -> None:
    state = mappings.load_mappings(ctx, cid)
    customer = state.tab("Customer")
    number = customer.row("customer_no")
    assert _dutch(mappings.set_direction(customer, number, Direction.TO_CRM)) == (
        "Selecteer eerst een CRM-veld.")
    number.crm_field, number.direction = "number1", Direction.TO_ERP  # bypassing the helpers
    with pytest.raises(ValidationFailed) as refused:
        mappings.save_mappings(ctx, state)
    english, dutch = _both(refused.value)
    assert english == (
        "The mapping cannot be saved:\n"
        "- Customer › Customer number: direction '<' is not possible: ERP field "
        "'Customer number' is read-only in the ERP, so the CRM cannot write it.")
    assert dutch == (
        "De toewijzing kan niet worden opgeslagen:\n"
        "- Klant › Customer number: richting '<' is niet mogelijk: ERP-veld "
        "'Customer number' is alleen-lezen in het ERP; het CRM kan het niet schrijven.")


def test_default_refusals(ctx: AppContext, cid: int) -> None:
    with pytest.raises(ValidationFailed) as refused:
        defaults.save_default(ctx, cid, "Customer",
                              DefaultSpec("credit_limit", True, "lots", False, False))
    assert _both(refused.value) == (
        "The default cannot be saved:\n- 'Credit limit' needs a number, not 'lots'.",
        "De standaardwaarde kan niet worden opgeslagen:\n"
        "- 'Credit limit' moet een getal zijn, niet 'lots'.")


def test_list_refusals(ctx: AppContext, cid: int) -> None:
    state = lists.load_list_mapping(ctx, cid, "country")
    state.rows[0].crm_key = "SE"
    first = state.rows[0].erp_key
    with pytest.raises(ValidationFailed) as refused:
        lists.save_list_mapping(ctx, state)
    english, dutch = _both(refused.value)
    assert english.splitlines()[0] == "List 'country' has duplicate mappings:"
    assert dutch == (
        "Lijst 'country' heeft dubbele toewijzingen:\n"
        f"- CRM-item 'Sweden' is gekozen voor 2 ERP-items ({first}, SE); elk CRM-item mag maar "
        "één keer gekozen worden.")


def test_activation_problems(ctx: AppContext, cid: int) -> None:
    problems = validate_connection(ctx, cid, run_test=False)
    assert [p.code for p in problems] == ["no_actor"]
    assert _dutch(problems[0].message) == (
        "Er is geen actor ingeschakeld; open Toewijzingen en vink 'Synchroniseer ERP-<actor> "
        "met CRM-<entiteit>' aan voor ten minste één actor.")


def test_record_refusals(ctx: AppContext) -> None:
    with pytest.raises(ValidationFailed) as refused:
        records.edit_record(ctx, "company", 7, {"colour": "red"}, 0)
    assert _both(refused.value) == (
        "Company 7 was not saved:\n"
        "- Company has no field 'colour'; 'erp-tui crm-fields company' lists them.",
        "Bedrijf 7 is niet opgeslagen:\n"
        "- Bedrijf heeft geen veld 'colour'; 'erp-tui crm-fields company' toont ze.")


def test_a_reason_keeps_its_parameters_in_both_languages(ctx: AppContext, cid: int) -> None:
    tab = mappings.load_mappings(ctx, cid).tab("Customer")
    row = tab.row("customer_no")
    row.crm_field = "number1"
    reason = tab.cells(row)[1].reason
    assert isinstance(reason, Msg) and reason.params == {"label": "Customer number"}
    assert _dutch(reason) == (
        "ERP-veld 'Customer number' is alleen-lezen in het ERP; het CRM kan het niet schrijven.")
    assert localize(reason) == str(reason) == (
        "ERP field 'Customer number' is read-only in the ERP, so the CRM cannot write it.")
