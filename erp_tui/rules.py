"""The configuration rules of the source page as pure functions, shared by services, UI and CLI.

Nothing here touches the database or a connector: callers pass plain data in and get verdicts
(with one clear sentence each) back.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from erp_tui.contract import FieldAccess, FieldType, Value
from erp_tui.crm_catalog import CrmField

# ---- directions ------------------------------------------------------------------------------


class Direction(enum.StrEnum):
    """Sync direction of a field mapping."""

    TO_CRM = ">"
    TO_ERP = "<"
    BOTH = "<>"

    @property
    def to_crm(self) -> bool:
        return self in (Direction.TO_CRM, Direction.BOTH)

    @property
    def to_erp(self) -> bool:
        return self in (Direction.TO_ERP, Direction.BOTH)

    @classmethod
    def from_flags(cls, to_crm: bool, to_erp: bool) -> Direction | None:
        if to_crm and to_erp:
            return cls.BOTH
        if to_crm:
            return cls.TO_CRM
        if to_erp:
            return cls.TO_ERP
        return None

    @classmethod
    def parse(cls, text: str) -> Direction | None:
        """Parse `>`, `<`, `<>` (or `none`/empty for no direction)."""
        cleaned = text.strip().replace(" ", "")
        if cleaned.lower() in ("", "none", "-"):
            return None
        if cleaned == "=":
            return cls.BOTH
        for direction in cls:
            if direction.value == cleaned:
                return direction
        raise ValueError(f"'{text}' is not a direction; use '>', '<', '<>' or 'none'.")


@dataclass(frozen=True)
class ErpFieldView:
    """What the rules need to know of an ERP field."""

    key: str
    label: str
    type: FieldType
    access: FieldAccess = FieldAccess.NORMAL
    list_name: str = ""
    max_length: int = 0
    missing: bool = False

    @property
    def mandatory(self) -> bool:
        return self.access is FieldAccess.MANDATORY

    @property
    def read_only(self) -> bool:
        return self.access is FieldAccess.READ_ONLY


@dataclass(frozen=True)
class DirectionCell:
    """One direction cell: can it be chosen, and if not, why not."""

    direction: Direction
    enabled: bool
    reason: str = ""


_COMPATIBLE: dict[FieldType, frozenset[FieldType]] = {
    FieldType.TEXT: frozenset({FieldType.TEXT}),
    FieldType.INTEGER: frozenset({FieldType.INTEGER, FieldType.DOUBLE}),
    # A decimal does not fit a whole-number field: "12.5" would land in a CRM integer field.
    FieldType.DOUBLE: frozenset({FieldType.DOUBLE}),
    FieldType.CHECKBOX: frozenset({FieldType.CHECKBOX}),
    FieldType.DATE: frozenset({FieldType.DATE, FieldType.DATETIME}),
    FieldType.DATETIME: frozenset({FieldType.DATETIME, FieldType.DATE}),
    FieldType.LIST: frozenset({FieldType.LIST}),
    FieldType.PASSWORD: frozenset(),
    FieldType.LABEL: frozenset(),
}


def types_compatible(erp_type: FieldType, crm_type: FieldType) -> bool:
    """Can an ERP field of `erp_type` be mapped to a CRM field of `crm_type`?"""
    return crm_type in _COMPATIBLE.get(erp_type, frozenset())


def compatible_crm_fields(erp: ErpFieldView, fields: Iterable[CrmField]) -> list[CrmField]:
    """The CRM fields `erp` may be mapped to (the choice offered in the mapping dialog)."""
    return [field for field in fields if types_compatible(erp.type, field.type)]


def find_crm_field(fields: Iterable[CrmField], key: str | None) -> CrmField | None:
    """The field `key` among an entity's CRM fields, or None."""
    if key:
        for field in fields:
            if field.key == key:
                return field
    return None


def direction_cells(erp: ErpFieldView, entity: str, crm_key: str | None,
                    fields: Sequence[CrmField]) -> list[DirectionCell]:
    """The three direction cells `>`, `<`, `<>` of a mapping row, each with why it is disabled.

    `fields` are the CRM fields of `entity` (erp_tui.crm_schema.entity_fields).
    """
    crm = find_crm_field(fields, crm_key)
    shared = _shared_reason(erp, entity, crm_key, crm)
    to_crm_reason = shared
    if not shared and crm is not None and crm.read_only:
        to_crm_reason = f"CRM field '{crm.label}' is read-only, so the ERP cannot write it."
    to_erp_reason = shared or (
        f"ERP field '{erp.label}' is read-only in the ERP, so the CRM cannot write it."
        if erp.read_only else "")
    both_reason = to_crm_reason or to_erp_reason
    return [
        DirectionCell(Direction.TO_CRM, not to_crm_reason, to_crm_reason),
        DirectionCell(Direction.TO_ERP, not to_erp_reason, to_erp_reason),
        DirectionCell(Direction.BOTH, not both_reason, both_reason),
    ]


def _shared_reason(erp: ErpFieldView, entity: str, crm_key: str | None,
                   crm: CrmField | None) -> str:
    if erp.missing:
        return f"ERP field '{erp.label}' is no longer available in the ERP."
    if erp.type in (FieldType.LABEL, FieldType.PASSWORD):
        return f"ERP field '{erp.label}' is a {erp.type.value} field and cannot be synced."
    if not crm_key:
        return "Choose a CRM field first."
    if crm is None:
        return f"CRM field '{crm_key}' is not valid for this actor (not a field of {entity})."
    if not types_compatible(erp.type, crm.type):
        return (f"CRM field '{crm.label}' ({crm.type.value}) does not fit ERP field "
                f"'{erp.label}' ({erp.type.value}).")
    return ""


def direction_refusal(erp: ErpFieldView, entity: str, crm_key: str | None,
                      direction: Direction | None, fields: Sequence[CrmField]) -> str:
    """Why `direction` may not be set on this mapping ("" when it may)."""
    if direction is None:
        return ""
    for cell in direction_cells(erp, entity, crm_key, fields):
        if cell.direction is direction:
            return cell.reason
    return ""


def crm_field_refusal(erp: ErpFieldView, entity: str, crm_key: str | None,
                      fields: Sequence[CrmField]) -> str:
    """Why `erp` may not be mapped to `crm_key` ("" when it may); `fields` are the CRM fields
    of `entity`."""
    if not crm_key:
        return ""
    crm = find_crm_field(fields, crm_key)
    if crm is None:
        return (f"'{crm_key}' is not a CRM field of {entity}; 'erp-tui crm-fields {entity}' "
                "lists them.")
    if not types_compatible(erp.type, crm.type):
        return (f"CRM field '{crm.label}' ({crm.type.value}) does not fit ERP field "
                f"'{erp.label}' ({erp.type.value}); choose a {erp.type.value} field.")
    return ""


def show_on_tab_warning(direction: Direction | None, show_on_tab: bool) -> str:
    """A gentle warning: a synced field usually need not be shown on the ERP tab."""
    if direction is not None and show_on_tab:
        return "This field is already synced; showing it on the ERP tab is usually not needed."
    return ""


def auto_map_key(erp_key: str, erp_type: FieldType, fields: Iterable[CrmField]) -> str | None:
    """The CRM field whose key equals `erp_key` case-insensitively and whose type fits."""
    wanted = erp_key.lower()
    for field in fields:
        if field.key.lower() == wanted and types_compatible(erp_type, field.type):
            return field.key
    return None


# ---- list mapping ----------------------------------------------------------------------------

def list_duplicates(mapping: Mapping[str, str | None]) -> dict[str, list[str]]:
    """CRM item -> the ERP items mapped to it, for every CRM item chosen more than once."""
    by_target: dict[str, list[str]] = defaultdict(list)
    for erp_key, crm_key in mapping.items():
        if crm_key:
            by_target[crm_key].append(erp_key)
    return {crm: erp_keys for crm, erp_keys in by_target.items() if len(erp_keys) > 1}


# ---- values and defaults ---------------------------------------------------------------------

def parse_value(field: ErpFieldView, text: str, list_items: Mapping[str, str] | None = None
                ) -> Value:
    """Parse `text` as a value of `field`; raise ValueError with a clear sentence when it does
    not fit (type, maximum length, list membership)."""
    label = field.label
    raw = text.strip() if field.type is not FieldType.TEXT else text
    kind = field.type
    if kind in (FieldType.TEXT, FieldType.PASSWORD):
        if field.max_length and len(text) > field.max_length:
            raise ValueError(f"'{label}' allows at most {field.max_length} characters; "
                             f"the value has {len(text)}.")
        return text
    if kind is FieldType.INTEGER:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"'{label}' needs a whole number, not '{text}'.") from None
    if kind is FieldType.DOUBLE:
        try:
            return float(raw.replace(",", "."))
        except ValueError:
            raise ValueError(f"'{label}' needs a number, not '{text}'.") from None
    if kind is FieldType.CHECKBOX:
        lowered = raw.lower()
        if lowered in ("1", "true", "yes", "y", "on", "ja", "j"):
            return True
        if lowered in ("0", "false", "no", "n", "off", "nee"):
            return False
        raise ValueError(f"'{label}' is a checkbox; use yes or no, not '{text}'.")
    if kind is FieldType.DATE:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"'{label}' needs a date as YYYY-MM-DD, not '{text}'.") from None
    if kind is FieldType.DATETIME:
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"'{label}' needs a date and time as YYYY-MM-DD HH:MM, "
                             f"not '{text}'.") from None
    if kind is FieldType.LIST:
        items = list_items or {}
        if raw in items:
            return raw
        for key, item_text in items.items():
            if item_text.lower() == raw.lower():
                return key
        raise ValueError(f"'{text}' is not an item of the list of '{label}'; "
                         f"choose one of: {', '.join(list(items)[:10]) or '(the list is empty)'}.")
    raise ValueError(f"'{label}' is a {kind.value} field and cannot hold a value.")


@dataclass(frozen=True)
class DefaultSpec:
    """A sync default as the user asks for it."""

    erp_field: str
    set_value: bool
    value: str
    ask_user: bool
    mandatory: bool


def default_problems(spec: DefaultSpec, field: ErpFieldView | None,
                     list_items: Mapping[str, str] | None = None) -> list[str]:
    """Every reason this default cannot be saved (empty when it can)."""
    if field is None:
        return [f"'{spec.erp_field}' is not an ERP field of this actor."]
    problems: list[str] = []
    if field.read_only:
        problems.append(f"'{field.label}' is read-only in the ERP; it cannot have a default.")
    if not spec.set_value and not spec.ask_user:
        if spec.mandatory or field.mandatory:
            problems.append(f"'{field.label}' is mandatory: choose 'Set default value' or "
                            "'Ask the user for a value' (or both).")
        else:
            problems.append(f"Choose 'Set default value' or 'Ask the user for a value' for "
                            f"'{field.label}'.")
    if spec.set_value:
        if spec.value == "":
            problems.append(f"'Set default value' is chosen for '{field.label}': enter a value.")
        else:
            try:
                parse_value(field, spec.value, list_items)
            except ValueError as exc:
                problems.append(str(exc))
    return problems


def effective_mandatory(spec_mandatory: bool, field: ErpFieldView | None) -> bool:
    """A field the connector marks mandatory is always mandatory."""
    return spec_mandatory or bool(field and field.mandatory)
