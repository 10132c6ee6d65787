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
from erp_tui.i18n import msg

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
        raise ValueError(msg("'{text}' is not a direction; use '>', '<', '<>' or 'none'.",
                             text=text))


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
        to_crm_reason = msg("CRM field '{label}' is read-only, so the ERP cannot write it.",
                            label=crm.label)
    to_erp_reason = shared or (
        msg("ERP field '{label}' is read-only in the ERP, so the CRM cannot write it.",
            label=erp.label) if erp.read_only else "")
    both_reason = to_crm_reason or to_erp_reason
    return [
        DirectionCell(Direction.TO_CRM, not to_crm_reason, to_crm_reason),
        DirectionCell(Direction.TO_ERP, not to_erp_reason, to_erp_reason),
        DirectionCell(Direction.BOTH, not both_reason, both_reason),
    ]


def _shared_reason(erp: ErpFieldView, entity: str, crm_key: str | None,
                   crm: CrmField | None) -> str:
    if erp.missing:
        return msg("ERP field '{label}' is no longer available in the ERP.", label=erp.label)
    if erp.type in (FieldType.LABEL, FieldType.PASSWORD):
        return msg("ERP field '{label}' is a {type} field and cannot be synced.",
                   label=erp.label, type=erp.type.value)
    if not crm_key:
        return msg("Choose a CRM field first.")
    if crm is None:
        return msg("CRM field '{key}' is not valid for this actor (not a field of {entity}).",
                   key=crm_key, entity=entity)
    if not types_compatible(erp.type, crm.type):
        return msg("CRM field '{crm}' ({crm_type}) does not fit ERP field '{erp}' "
                   "({erp_type}).", crm=crm.label, crm_type=crm.type.value, erp=erp.label,
                   erp_type=erp.type.value)
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
        return msg("'{key}' is not a CRM field of {entity}; 'erp-tui crm-fields {entity}' "
                   "lists them.", key=crm_key, entity=entity)
    if not types_compatible(erp.type, crm.type):
        return msg("CRM field '{crm}' ({crm_type}) does not fit ERP field '{erp}' "
                   "({erp_type}); choose a {erp_type} field.", crm=crm.label,
                   crm_type=crm.type.value, erp=erp.label, erp_type=erp.type.value)
    return ""


def show_on_tab_warning(direction: Direction | None, show_on_tab: bool) -> str:
    """A gentle warning: a synced field usually need not be shown on the ERP tab."""
    if direction is not None and show_on_tab:
        return msg("This field is already synced; showing it on the ERP tab is usually not "
                   "needed.")
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

def parse_value(field: ErpFieldView, text: str, list_items: Mapping[str, str] | None = None,
                *, hint: str = "") -> Value:
    """Parse `text` as a value of `field`; raise ValueError with a clear sentence when it does
    not fit (type, maximum length, list membership). `hint` goes before the sentence's final
    full stop, e.g. " (--set key=...)"."""
    label = field.label
    raw = text.strip() if field.type is not FieldType.TEXT else text
    kind = field.type
    if kind in (FieldType.TEXT, FieldType.PASSWORD):
        if field.max_length and len(text) > field.max_length:
            raise ValueError(msg("'{label}' allows at most {max} characters; the value has "
                                 "{length}{hint}.", label=label, max=field.max_length,
                                 length=len(text), hint=hint))
        return text
    if kind is FieldType.INTEGER:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(msg("'{label}' needs a whole number, not '{text}'{hint}.",
                                 label=label, text=text, hint=hint)) from None
    if kind is FieldType.DOUBLE:
        try:
            return float(raw.replace(",", "."))
        except ValueError:
            raise ValueError(msg("'{label}' needs a number, not '{text}'{hint}.", label=label,
                                 text=text, hint=hint)) from None
    if kind is FieldType.CHECKBOX:
        lowered = raw.lower()
        if lowered in ("1", "true", "yes", "y", "on", "ja", "j"):
            return True
        if lowered in ("0", "false", "no", "n", "off", "nee"):
            return False
        raise ValueError(msg("'{label}' is a checkbox; use yes or no, not '{text}'{hint}.",
                             label=label, text=text, hint=hint))
    if kind is FieldType.DATE:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ValueError(msg("'{label}' needs a date as YYYY-MM-DD, not '{text}'{hint}.",
                                 label=label, text=text, hint=hint)) from None
    if kind is FieldType.DATETIME:
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            raise ValueError(msg("'{label}' needs a date and time as YYYY-MM-DD HH:MM, not "
                                 "'{text}'{hint}.", label=label, text=text,
                                 hint=hint)) from None
    if kind is FieldType.LIST:
        return _list_item(label, text, raw, list_items or {}, hint)
    raise ValueError(msg("'{label}' is a {type} field and cannot hold a value{hint}.",
                         label=label, type=kind.value, hint=hint))


def _list_item(label: str, text: str, raw: str, items: Mapping[str, str], hint: str) -> str:
    """The key of the list item `raw` names (by key or text); ValueError when none does."""
    if raw in items:
        return raw
    for key, item_text in items.items():
        if item_text.lower() == raw.lower():
            return key
    if not items:
        raise ValueError(msg("'{text}' is not an item of the list of '{label}'; choose one of: "
                             "(the list is empty){hint}.", text=text, label=label, hint=hint))
    raise ValueError(msg("'{text}' is not an item of the list of '{label}'; choose one of: "
                         "{items}{hint}.", text=text, label=label,
                         items=", ".join(list(items)[:10]), hint=hint))


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
        return [msg("'{field}' is not an ERP field of this actor.", field=spec.erp_field)]
    problems: list[str] = []
    if field.read_only:
        problems.append(msg("'{label}' is read-only in the ERP; it cannot have a default.",
                            label=field.label))
    if not spec.set_value and not spec.ask_user:
        if spec.mandatory or field.mandatory:
            problems.append(msg("'{label}' is mandatory: choose 'Set default value' or "
                                "'Ask the user for a value' (or both).", label=field.label))
        else:
            problems.append(msg("Choose 'Set default value' or 'Ask the user for a value' for "
                                "'{label}'.", label=field.label))
    if spec.set_value:
        if spec.value == "":
            problems.append(msg("'Set default value' is chosen for '{label}': enter a value.",
                                label=field.label))
        else:
            try:
                parse_value(field, spec.value, list_items)
            except ValueError as exc:
                problems.append(exc.args[0])
    return problems


def effective_mandatory(spec_mandatory: bool, field: ErpFieldView | None) -> bool:
    """A field the connector marks mandatory is always mandatory."""
    return spec_mandatory or bool(field and field.mandatory)
