"""Engine sentences shown in the Dutch UI are Dutch."""

from __future__ import annotations

from pathlib import Path

import pytest

from erp_tui.contract import FieldAccess, FieldType
from erp_tui.crm_catalog import COMPANY, CRM_FIELDS
from erp_tui.rules import DefaultSpec, ErpFieldView, default_problems, direction_cells
from erp_tui.screens.engine_text import engine_text
from erp_tui.screens.i18n import set_language

FIELDS = CRM_FIELDS[COMPANY]


@pytest.fixture(autouse=True)
def dutch():  # type: ignore[no-untyped-def]
    set_language("nl")
    yield
    set_language("en")


def test_direction_reasons_are_translated() -> None:
    number = ErpFieldView("customer_no", "Klantnummer", FieldType.TEXT, FieldAccess.READ_ONLY)
    assert engine_text(direction_cells(number, COMPANY, None, FIELDS)[0].reason) == (
        "Selecteer eerst een CRM-veld.")
    assert engine_text(direction_cells(number, COMPANY, "number1", FIELDS)[1].reason) == (
        "ERP-veld 'Klantnummer' is alleen-lezen in het ERP; het CRM kan het niet schrijven.")


def test_activation_and_default_problems_are_translated() -> None:
    assert engine_text("Customer › Name: mandatory ERP field has no sync direction; map it to "
                       "a CRM field and choose a direction.") == (
        "Customer › Name: verplicht ERP-veld heeft geen synchronisatierichting; wijs het toe "
        "aan een CRM-veld en kies een richting.")
    name = ErpFieldView("name", "Naam", FieldType.TEXT, FieldAccess.MANDATORY)
    problem = default_problems(DefaultSpec("name", False, "", False, True), name)[0]
    assert engine_text(problem) == ("'Naam' is verplicht: kies 'Standaardwaarde instellen' of "
                                    "'Gebruiker om waarde vragen' (of beide).")
    nested = engine_text("Customer › Nr: direction '<' is not possible: ERP field 'Nr' is "
                         "read-only in the ERP, so the CRM cannot write it.")
    assert nested == ("Customer › Nr: richting '<' is niet mogelijk: ERP-veld 'Nr' is "
                      "alleen-lezen in het ERP; het CRM kan het niet schrijven.")


def test_unknown_sentences_and_english_ui_stay_as_they_are(tmp_path: Path) -> None:
    assert engine_text("Something new happened.") == "Something new happened."
    set_language("en")
    assert engine_text("Choose a CRM field first.") == "Choose a CRM field first."
