"""The CRM's fields as they are now: the catalog's standard fields plus user-defined fields.

Every service, screen and the runner ask here (never `CRM_FIELDS` directly) which fields an
entity has, so that user-defined fields act everywhere a standard field does. A user-defined
field lives in a slot column of its entity's table (`udf_01` ...), holding the value's canonical
text; the table `crm_user_field` says which slot holds which field.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from erp_tui.contract import FieldType
from erp_tui.crm_catalog import CRM_FIELDS, CrmField
from erp_tui.model import CrmUserField


def user_field(row: CrmUserField) -> CrmField:
    """The CrmField of a stored user-defined field."""
    return CrmField(key=row.key, label=row.label, type=FieldType(row.type),
                    list_name=row.list_name, max_length=row.max_length, column=row.slot,
                    user_defined=True, label_nl=row.label_nl)


def user_fields(session: Session, entity: str) -> tuple[CrmField, ...]:
    """The user-defined fields of a CRM entity, in their order."""
    rows = session.exec(select(CrmUserField).where(CrmUserField.entity == entity)
                        .order_by(col(CrmUserField.position), col(CrmUserField.id)))
    return tuple(user_field(row) for row in rows)


def entity_fields(session: Session, entity: str) -> tuple[CrmField, ...]:
    """The fields of a CRM entity: standard fields first, then user-defined ones (an unknown
    entity has none)."""
    standard = CRM_FIELDS.get(entity)
    if standard is None:
        return ()
    return standard + user_fields(session, entity)


def find_field(session: Session, entity: str, key: str) -> CrmField | None:
    """The CRM field `key` of `entity` (standard or user-defined), or None."""
    for field in entity_fields(session, entity):
        if field.key == key:
            return field
    return None


def all_entity_fields(session: Session) -> dict[str, tuple[CrmField, ...]]:
    """The fields of every CRM entity (one query for the user-defined ones)."""
    extra: dict[str, list[CrmField]] = {}
    for row in session.exec(select(CrmUserField).order_by(col(CrmUserField.position),
                                                          col(CrmUserField.id))):
        extra.setdefault(row.entity, []).append(user_field(row))
    return {entity: standard + tuple(extra.get(entity, ()))
            for entity, standard in CRM_FIELDS.items()}
