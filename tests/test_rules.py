"""The pure configuration rules: directions, compatibility, lists, values, defaults."""

from __future__ import annotations

from datetime import date

import pytest

from erp_tui.contract import FieldAccess, FieldType
from erp_tui.crm_catalog import COMPANY, CRM_FIELDS
from erp_tui.rules import (
    DefaultSpec,
    Direction,
    ErpFieldView,
    auto_map_key,
    crm_field_refusal,
    default_problems,
    direction_cells,
    list_duplicates,
    parse_value,
    show_on_tab_warning,
    types_compatible,
)

NAME = ErpFieldView("name", "Name", FieldType.TEXT, FieldAccess.MANDATORY, max_length=10)
NUMBER = ErpFieldView("customer_no", "Customer no", FieldType.TEXT, FieldAccess.READ_ONLY)
COUNTRY = ErpFieldView("country", "Country", FieldType.LIST, list_name="country")
FIELDS = CRM_FIELDS[COMPANY]


def test_no_crm_field_disables_every_direction_with_a_reason() -> None:
    cells = direction_cells(NAME, COMPANY, None, FIELDS)
    assert [c.enabled for c in cells] == [False, False, False]
    assert all(c.reason == "Choose a CRM field first." for c in cells)


def test_mapped_field_enables_all_three_directions() -> None:
    cells = direction_cells(NAME, COMPANY, "name", FIELDS)
    assert [(c.direction, c.enabled) for c in cells] == [
        (Direction.TO_CRM, True), (Direction.TO_ERP, True), (Direction.BOTH, True)]


def test_read_only_erp_field_cannot_be_written_by_the_crm() -> None:
    to_crm, to_erp, both = direction_cells(NUMBER, COMPANY, "number1", FIELDS)
    assert to_crm.enabled
    assert not to_erp.enabled and "read-only in the ERP" in to_erp.reason
    assert not both.enabled and both.reason == to_erp.reason


def test_read_only_crm_field_cannot_be_written_by_the_erp() -> None:
    field = ErpFieldView("id", "Id", FieldType.INTEGER)
    to_crm, to_erp, _ = direction_cells(field, COMPANY, "id", FIELDS)
    assert not to_crm.enabled and "read-only" in to_crm.reason
    assert to_erp.enabled


def test_field_of_another_entity_is_invalid_for_the_actor() -> None:
    cells = direction_cells(NAME, COMPANY, "firstname", FIELDS)
    assert not any(c.enabled for c in cells)
    assert "not valid for this actor" in cells[0].reason


def test_missing_field_explains_itself() -> None:
    gone = ErpFieldView("old", "Old", FieldType.TEXT, missing=True)
    assert "no longer available" in direction_cells(gone, COMPANY, "name", FIELDS)[0].reason


@pytest.mark.parametrize(("erp", "crm", "ok"), [
    (FieldType.TEXT, FieldType.TEXT, True), (FieldType.INTEGER, FieldType.DOUBLE, True),
    (FieldType.DOUBLE, FieldType.INTEGER, False), (FieldType.DOUBLE, FieldType.DOUBLE, True),
    (FieldType.CHECKBOX, FieldType.CHECKBOX, True), (FieldType.DATE, FieldType.DATE, True),
    (FieldType.DATE, FieldType.DATETIME, True), (FieldType.LIST, FieldType.LIST, True),
    (FieldType.TEXT, FieldType.LIST, False), (FieldType.CHECKBOX, FieldType.TEXT, False),
    (FieldType.PASSWORD, FieldType.TEXT, False), (FieldType.LABEL, FieldType.TEXT, False)])
def test_type_compatibility(erp: FieldType, crm: FieldType, ok: bool) -> None:
    assert types_compatible(erp, crm) is ok


def test_crm_field_choice_restricted_to_compatible_types() -> None:
    assert crm_field_refusal(COUNTRY, COMPANY, "name", FIELDS).startswith("CRM field 'Name' (text)")
    assert crm_field_refusal(COUNTRY, COMPANY, "country", FIELDS) == ""
    assert "is not a CRM field" in crm_field_refusal(COUNTRY, COMPANY, "nonsense", FIELDS)


def test_auto_map_matches_keys_case_insensitively_and_checks_type() -> None:
    fields = FIELDS
    assert auto_map_key("VatNo", FieldType.TEXT, fields) == "vatno"
    assert auto_map_key("country", FieldType.LIST, fields) == "country"
    assert auto_map_key("country", FieldType.TEXT, fields) is None
    assert auto_map_key("payment_terms", FieldType.LIST, fields) is None


def test_direction_parse() -> None:
    assert Direction.parse("< >") is Direction.BOTH
    assert Direction.parse("=") is Direction.BOTH
    assert Direction.parse("none") is None
    with pytest.raises(ValueError, match="is not a direction"):
        Direction.parse("sideways")


def test_list_duplicates_reports_every_erp_item_of_a_shared_target() -> None:
    mapping = {"NL": "NL", "HOL": "NL", "SE": "SE", "XX": None, "YY": None}
    assert list_duplicates(mapping) == {"NL": ["NL", "HOL"]}


def test_parse_value_checks_type_length_and_list() -> None:
    assert parse_value(ErpFieldView("n", "N", FieldType.INTEGER), " 42 ") == 42
    assert parse_value(ErpFieldView("d", "D", FieldType.DATE), "2026-01-31") == date(2026, 1, 31)
    assert parse_value(ErpFieldView("b", "B", FieldType.CHECKBOX), "ja") is True
    assert parse_value(COUNTRY, "sweden", {"SE": "Sweden"}) == "SE"
    with pytest.raises(ValueError, match="at most 10 characters"):
        parse_value(NAME, "x" * 11)
    with pytest.raises(ValueError, match="whole number"):
        parse_value(ErpFieldView("n", "N", FieldType.INTEGER), "4.5")
    with pytest.raises(ValueError, match="not an item of the list"):
        parse_value(COUNTRY, "Mars", {"SE": "Sweden"})


def test_mandatory_default_needs_a_value_or_a_prompt() -> None:
    spec = DefaultSpec("name", set_value=False, value="", ask_user=False, mandatory=True)
    assert any("is mandatory" in p for p in default_problems(spec, NAME))
    assert default_problems(DefaultSpec("name", False, "", True, True), NAME) == []


def test_set_value_requires_a_fitting_value() -> None:
    assert any("enter a value" in p for p in
               default_problems(DefaultSpec("name", True, "", False, False), NAME))
    assert any("at most 10" in p for p in
               default_problems(DefaultSpec("name", True, "x" * 20, False, False), NAME))
    assert default_problems(DefaultSpec("country", True, "SE", False, False), COUNTRY,
                            {"SE": "Sweden"}) == []


def test_read_only_field_cannot_have_a_default() -> None:
    problems = default_problems(DefaultSpec("customer_no", True, "1", False, False), NUMBER)
    assert any("read-only" in p for p in problems)


def test_synced_field_on_erp_tab_warns() -> None:
    assert show_on_tab_warning(Direction.BOTH, True)
    assert show_on_tab_warning(None, True) == ""
