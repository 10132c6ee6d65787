"""Engine sentences shown in the Dutch UI are Dutch: `engine_text` localizes what the engine
returns and raises."""

from __future__ import annotations

import pytest

from erp_tui.contract import FieldAccess, FieldType
from erp_tui.crm_catalog import COMPANY, CRM_FIELDS
from erp_tui.errors import RefusedError
from erp_tui.rules import (
    DefaultSpec,
    Direction,
    ErpFieldView,
    default_problems,
    direction_cells,
    show_on_tab_warning,
)
from erp_tui.screens.engine_text import engine_text
from erp_tui.screens.i18n import set_language
from erp_tui.services.connections import check_name
from erp_tui.services.mapping_problems import MappedField, field_problems

FIELDS = CRM_FIELDS[COMPANY]
NUMBER = ErpFieldView("customer_no", "Klantnummer", FieldType.TEXT, FieldAccess.READ_ONLY)


@pytest.fixture(autouse=True)
def dutch():  # type: ignore[no-untyped-def]
    set_language("nl")
    yield
    set_language("en")


def test_direction_reasons_are_translated() -> None:
    assert engine_text(direction_cells(NUMBER, COMPANY, None, FIELDS)[0].reason) == (
        "Selecteer eerst een CRM-veld.")
    assert engine_text(direction_cells(NUMBER, COMPANY, "number1", FIELDS)[1].reason) == (
        "ERP-veld 'Klantnummer' is alleen-lezen in het ERP; het CRM kan het niet schrijven.")
    assert engine_text(show_on_tab_warning(Direction.TO_CRM, True)) == (
        "Dit veld wordt al gesynchroniseerd; weergave op het ERP-tabblad is doorgaans niet "
        "nodig.")


def test_activation_and_default_problems_are_translated() -> None:
    name = ErpFieldView("name", "Naam", FieldType.TEXT, FieldAccess.MANDATORY)
    mandatory = field_problems(MappedField("Customer", COMPANY, FIELDS, name, None, None),
                               require_direction=True)[0]
    assert engine_text(mandatory.message) == (
        "Klant › Naam: verplicht ERP-veld heeft geen synchronisatierichting; wijs het toe "
        "aan een CRM-veld en kies een richting.")
    problem = default_problems(DefaultSpec("name", False, "", False, True), name)[0]
    assert engine_text(problem) == ("'Naam' is verplicht: kies 'Standaardwaarde instellen' of "
                                    "'Gebruiker om waarde vragen' (of beide).")
    nested = field_problems(MappedField("Customer", COMPANY, FIELDS, NUMBER, "number1",
                                        Direction.TO_ERP))[0]
    assert engine_text(nested.message) == (
        "Klant › Klantnummer: richting '<' is niet mogelijk: ERP-veld 'Klantnummer' is "
        "alleen-lezen in het ERP; het CRM kan het niet schrijven.")


def test_errors_are_translated() -> None:
    with pytest.raises(RefusedError) as refused:
        check_name("  ")
    assert engine_text(refused.value) == "Geef de verbinding een naam."


def test_plain_text_and_english_ui_stay_as_they_are() -> None:
    assert engine_text("Something new happened.") == "Something new happened."
    reason = direction_cells(NUMBER, COMPANY, None, FIELDS)[0].reason
    set_language("en")
    assert engine_text(reason) == "Choose a CRM field first."
