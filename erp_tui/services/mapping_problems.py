"""The problems of a connection's mappings, built and worded in one place.

Saving the field mapping, activating a connection and importing an export file all check the
same rules; each face turns its own rows into `MappedField`s (and list items, defaults) and gets
its `Problem`s here, so one problem reads the same wherever it is found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from erp_tui.crm_catalog import CrmField, actor_param
from erp_tui.errors import Problem
from erp_tui.i18n import msg
from erp_tui.rules import (
    Direction,
    ErpFieldView,
    crm_field_refusal,
    direction_refusal,
    find_crm_field,
    list_duplicates,
)

# Problem codes: the activation screen opens the dialog that fixes each kind.
MISSING_FIELD = "missing_field"
MANDATORY_DIRECTION = "mandatory_direction"
CRM_FIELD = "crm_field"
DIRECTION = "read_only_direction"
LIST_DUPLICATE = "list_duplicate"
DEFAULT = "default"
FIELD_CODES = (MISSING_FIELD, MANDATORY_DIRECTION, CRM_FIELD, DIRECTION)


@dataclass(frozen=True, slots=True)
class MappedField:
    """One ERP field of an actor with its CRM field and direction, as the rules check it."""

    actor_type: str
    crm_entity: str
    crm_fields: Sequence[CrmField]  # the fields of `crm_entity`
    erp: ErpFieldView
    crm_field: str | None
    direction: Direction | None


def field_problems(mapped: MappedField, *, require_direction: bool = False) -> list[Problem]:
    """What is wrong with one field mapping: a field gone from the ERP that still has a
    direction, a CRM field that does not exist or does not fit, a direction that is not
    possible and, with `require_direction` (an enabled actor being activated), a mandatory ERP
    field without a direction."""
    erp, actor_type = mapped.erp, mapped.actor_type

    def problem(message: str, code: str) -> Problem:
        return Problem(msg("{actor} › {field}: {problem}", actor=actor_param(actor_type),
                           field=erp.label, problem=message), actor_type, erp.key, code=code)

    if erp.missing:
        if mapped.direction is None:
            return []
        return [problem(msg("the field is no longer available in the ERP but still has a "
                            "direction; clear its direction."), MISSING_FIELD)]
    problems: list[Problem] = []
    if require_direction and erp.mandatory and mapped.direction is None:
        problems.append(problem(msg("mandatory ERP field has no sync direction; map it to a "
                                    "CRM field and choose a direction."), MANDATORY_DIRECTION))
    entity, crm_key = mapped.crm_entity, mapped.crm_field
    if crm_key and find_crm_field(mapped.crm_fields, crm_key) is None:
        problems.append(problem(msg("this CRM has no {entity} field '{key}'; add it first "
                                    "(erp-tui crm-fields {entity} --add {key} ...).",
                                    entity=entity, key=crm_key), CRM_FIELD))
        return problems
    refusal = crm_field_refusal(erp, entity, crm_key, mapped.crm_fields)
    if refusal:
        problems.append(problem(refusal, CRM_FIELD))
        return problems
    refusal = direction_refusal(erp, entity, crm_key, mapped.direction, mapped.crm_fields)
    if refusal:
        problems.append(problem(msg("direction '{direction}' is not possible: {reason}",
                                    direction=str(mapped.direction), reason=refusal),
                                DIRECTION))
    return problems


def list_duplicate_problems(erp_list: str, items: Mapping[str, str | None]) -> list[Problem]:
    """One problem per CRM item chosen for more than one ERP item of list `erp_list`
    (`items`: ERP item -> CRM item)."""
    return [Problem(msg("List '{list}': CRM item '{crm}' is chosen for ERP items {erp}; open "
                        "List mapping and resolve the duplicate.", list=erp_list, crm=crm,
                        erp=", ".join(keys)), list_name=erp_list, code=LIST_DUPLICATE)
            for crm, keys in list_duplicates(items).items()]


def default_problem(actor_type: str, erp_field: str, label: str, message: str) -> Problem:
    """The problem `message` (a `rules.default_problems` sentence) of the default of ERP field
    `erp_field` (shown as `label`)."""
    return Problem(msg("{actor} › default of '{label}': {problem}",
                           actor=actor_param(actor_type),
                       label=label, problem=message), actor_type, erp_field, code=DEFAULT)
