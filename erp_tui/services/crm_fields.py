"""User-defined CRM fields: add, list and remove them (each change one transaction).

A user-defined field takes a free slot column of its entity's table (`udf_01` ...) and keeps
its values there as canonical text (see erp_tui.runner.values.canon), so the runner reads and
writes it like any text column. The rules for a new field live here, shared by UI and CLI.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from erp_tui.context import AppContext
from erp_tui.contract import FieldType
from erp_tui.crm_catalog import CRM_FIELDS, CrmField
from erp_tui.crm_schema import entity_fields, user_field
from erp_tui.errors import NotFoundError, RefusedError
from erp_tui.i18n import msg
from erp_tui.model import (
    USER_FIELD_SLOTS,
    ActorMapping,
    Connection,
    CrmListItem,
    CrmUserField,
    FieldMapping,
)

_KEY = re.compile(r"[a-z][a-z0-9_]{0,49}")
_LIST_NAME = re.compile(r"[a-z][a-z0-9_]{0,99}")
# Controls (C0, DEL, C1), line separators and bidi controls: not one line of plain text.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
MAX_LABEL = 200
MAX_TEXT_LENGTH = 10_000
MAX_ITEMS = 500

# The names a user types for each type ("decimal" is the contract's "double").
TYPE_NAMES: dict[str, FieldType] = {
    "text": FieldType.TEXT, "integer": FieldType.INTEGER, "decimal": FieldType.DOUBLE,
    "double": FieldType.DOUBLE, "date": FieldType.DATE, "checkbox": FieldType.CHECKBOX,
    "list": FieldType.LIST,
}


@dataclass(frozen=True)
class NewField:
    """A user-defined field as the user asks for it."""

    entity: str
    key: str
    label: str
    type: str
    label_nl: str = ""
    list_name: str = ""
    # Items (key, text) of a new list; empty to use an existing list.
    items: tuple[tuple[str, str], ...] = ()
    max_length: int = 0


def require_entity(entity: str) -> str:
    """The entity's name, or NotFoundError naming the entities."""
    if entity not in CRM_FIELDS:
        raise NotFoundError(msg("'{entity}' is not a CRM entity; entities: {entities}.",
                                entity=entity, entities=", ".join(CRM_FIELDS)))
    return entity


def list_fields(ctx: AppContext, entity: str) -> tuple[CrmField, ...]:
    """The fields of a CRM entity: standard ones first, then user-defined ones."""
    require_entity(entity)
    with ctx.session() as session:
        return entity_fields(session, entity)


def crm_list_names(ctx: AppContext) -> list[str]:
    """The names of the CRM's lists (those with at least one item), sorted."""
    with ctx.session() as session:
        return sorted(session.exec(select(CrmListItem.list_name).distinct()).all())


def parse_type(name: str) -> FieldType:
    """The field type a user names (text, integer, decimal, date, checkbox, list)."""
    found = TYPE_NAMES.get(name.strip().lower())
    if found is None:
        raise RefusedError(msg("'{name}' is not a type of user-defined field; use one of: "
                               "text, integer, decimal, date, checkbox, list.", name=name))
    return found


def add_field(ctx: AppContext, spec: NewField) -> CrmField:
    """Add a user-defined field in the first free slot of its entity's table; with a new list,
    the list's items are created too. Refused (nothing written) with one sentence."""
    entity = require_entity(spec.entity)
    kind = parse_type(spec.type)
    key = spec.key.strip()
    label = _label(spec.label, msg("label"))
    label_nl = _label(spec.label_nl, msg("Dutch label"), required=False)
    _check_key(entity, key)
    if kind is not FieldType.TEXT and spec.max_length:
        raise RefusedError(msg("A maximum length applies to text fields only."))
    if not 0 <= spec.max_length <= MAX_TEXT_LENGTH:
        raise RefusedError(msg("The maximum length must be between 1 and {max} (or 0 for no "
                               "limit).", max=MAX_TEXT_LENGTH))
    if kind is not FieldType.LIST and (spec.list_name or spec.items):
        raise RefusedError(msg("Only a list field takes a list (and list items)."))
    items = _check_items(spec.items)
    with ctx.session() as session:
        if kind is FieldType.LIST:
            _use_list(session, spec.list_name.strip(), items)
        if any(f.key == key for f in entity_fields(session, entity)):
            raise RefusedError(msg("{entity} already has a field '{key}'.", entity=entity,
                                   key=key))
        used = set(session.exec(select(CrmUserField.slot)
                                .where(CrmUserField.entity == entity)).all())
        free = [slot for slot in USER_FIELD_SLOTS if slot not in used]
        if not free:
            raise RefusedError(msg("{entity} has no free slot: all {count} user-defined fields "
                                   "are in use; remove one first.", entity=entity,
                                   count=len(USER_FIELD_SLOTS)))
        position = session.exec(select(func.coalesce(func.max(CrmUserField.position), 0))
                                .where(CrmUserField.entity == entity)).one()
        row = CrmUserField(entity=entity, key=key, label=label, label_nl=label_nl,
                           type=kind.value, list_name=spec.list_name.strip(),
                           max_length=spec.max_length, slot=free[0], position=position + 1)
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            raise RefusedError(msg("{entity} fields were changed meanwhile; list them and try "
                                   "again (nothing was saved).", entity=entity)) from None
        return user_field(row)


def remove_field(ctx: AppContext, entity: str, key: str) -> str:
    """Remove a user-defined field and clear its slot's values (so a later field starts
    clean); refused while a connection maps it. Returns the freed slot."""
    require_entity(entity)
    with ctx.session() as session:
        row = session.exec(select(CrmUserField).where(CrmUserField.entity == entity,
                                                      CrmUserField.key == key)).first()
        if row is None:
            if any(f.key == key for f in CRM_FIELDS[entity]):
                raise RefusedError(msg("'{key}' is a standard field of {entity}; only "
                                       "user-defined fields can be removed.", key=key,
                                       entity=entity))
            raise NotFoundError(msg("{entity} has no user-defined field '{key}'; "
                                    "'erp-tui crm-fields {entity}' lists the fields.",
                                    entity=entity, key=key))
        users = _connections_mapping(session, entity, key)
        if users:
            names = ", ".join(f"'{name}'" for name in users)
            raise RefusedError(msg("Field '{key}' of {entity} is mapped in {names}; unmap it "
                                   "there first.", key=key, entity=entity, names=names))
        from erp_tui.runner.crm import table

        t = table(entity)
        slot = row.slot
        session.execute(update(t).where(t.c[slot] != "").values({slot: ""}))
        session.execute(delete(CrmUserField).where(col(CrmUserField.id) == row.id))
        return slot


def _connections_mapping(session: Session, entity: str, key: str) -> list[str]:
    """Names of the connections mapping an ERP field to this CRM field (sorted)."""
    rows = session.exec(
        select(Connection.name).distinct()
        .join(ActorMapping, col(ActorMapping.connection_id) == col(Connection.id))
        .join(FieldMapping, (col(FieldMapping.connection_id) == col(Connection.id))
              & (col(FieldMapping.actor_type) == col(ActorMapping.actor_type)))
        .where(ActorMapping.crm_entity == entity, FieldMapping.crm_field == key))
    return sorted(rows.all())


def _label(text: str, what: str, required: bool = True) -> str:
    cleaned = text.strip()
    if required and not cleaned:
        raise RefusedError(msg("Give the field a {what}.", what=what))
    if len(cleaned) > MAX_LABEL or _CONTROL.search(cleaned):
        raise RefusedError(msg("The {what} must be one line of at most {max} characters.",
                               what=what, max=MAX_LABEL))
    return cleaned


def _check_key(entity: str, key: str) -> None:
    if not _KEY.fullmatch(key):
        raise RefusedError(msg("'{key}' is not a valid field key: use a lowercase letter "
                               "followed by lowercase letters, digits or '_' (at most 50).",
                               key=key[:60]))
    if any(f.key == key for f in CRM_FIELDS[entity]):
        raise RefusedError(msg("'{key}' is a standard field of {entity}; choose another key.",
                               key=key, entity=entity))
    from erp_tui.runner.crm import table

    if key in table(entity).c:
        raise RefusedError(msg("'{key}' is reserved by the CRM; choose another key.", key=key))


def _check_items(items: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    if len(items) > MAX_ITEMS:
        raise RefusedError(msg("A new list takes at most {max} items.", max=MAX_ITEMS))
    seen: set[str] = set()
    checked = []
    for raw_key, raw_text in items:
        key, text = raw_key.strip(), raw_text.strip()
        if not key or len(key) > 200 or _CONTROL.search(key):
            raise RefusedError(msg("List item key '{key}' must be one line of 1 to 200 "
                                   "characters.", key=key[:60]))
        if len(text) > MAX_LABEL or _CONTROL.search(text):
            raise RefusedError(msg("The text of list item '{key}' must be one line of at most "
                                   "{max} characters.", key=key, max=MAX_LABEL))
        if key in seen:
            raise RefusedError(msg("List item '{key}' is given twice.", key=key))
        seen.add(key)
        checked.append((key, text or key))
    return checked


def _use_list(session: Session, list_name: str, items: list[tuple[str, str]]) -> None:
    """Check the list of a list field; create it when items are given."""
    if not list_name:
        raise RefusedError(msg("A list field needs a list: name an existing CRM list, or a "
                               "new one with its items."))
    if not _LIST_NAME.fullmatch(list_name):
        raise RefusedError(msg("'{name}' is not a valid list name: use a lowercase letter "
                               "followed by lowercase letters, digits or '_'.",
                               name=list_name[:60]))
    exists = session.exec(select(CrmListItem.key)
                          .where(CrmListItem.list_name == list_name)).first() is not None
    if exists and items:
        raise RefusedError(msg("CRM list '{name}' exists already; leave out the items to use "
                               "it.", name=list_name))
    if not exists and not items:
        raise NotFoundError(msg("There is no CRM list '{name}'; give its items to create it.",
                                name=list_name))
    for position, (key, text) in enumerate(items):
        session.add(CrmListItem(list_name=list_name, key=key, text=text, position=position))
