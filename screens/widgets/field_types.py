"""The name of a field type in the user's language (`double` reads "decimaal getal")."""

from __future__ import annotations

from erp_tui.contract import FieldType
from erp_tui.screens.i18n import N_, tr

TEXT = {
    FieldType.CHECKBOX.value: N_("checkbox"),
    FieldType.TEXT.value: N_("text"),
    FieldType.PASSWORD.value: N_("password"),
    FieldType.INTEGER.value: N_("integer"),
    FieldType.DOUBLE.value: N_("double"),
    FieldType.LIST.value: N_("list"),
    FieldType.DATE.value: N_("date"),
    FieldType.DATETIME.value: N_("datetime"),
    FieldType.LABEL.value: N_("label"),
}


def type_name(field_type: FieldType) -> str:
    """`field_type` in the current language."""
    return tr(TEXT, field_type.value)
