"""ERP metadata: fetch actor types, fields and lists from the connector, cache them, and map
fields automatically."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, col, select

from erp_tui.context import AppContext, call
from erp_tui.contract import (
    UNSYNCED_ACTOR_TYPES,
    ActorTypeInfo,
    ActorTypesResult,
    FieldInfo,
    FieldsResult,
    FieldType,
    ListItemsResult,
    SearchableFieldsResult,
)
from erp_tui.crm_catalog import DEFAULT_ENTITY_FOR_ACTOR
from erp_tui.crm_schema import all_entity_fields
from erp_tui.errors import ConnectorError
from erp_tui.model import (
    ActorMapping,
    ErpActorType,
    ErpField,
    ErpListItem,
    FieldMapping,
)
from erp_tui.rules import auto_map_key
from erp_tui.services.common import ConnectionRef, bump_version, get_connection, require_inactive


@dataclass(frozen=True)
class ErpMetadata:
    """Everything the connector told about one connection."""

    actor_types: list[ActorTypeInfo]
    fields: dict[str, list[FieldInfo]]
    searchable: dict[str, set[str]]
    lists: dict[str, dict[str, str]]


@dataclass(frozen=True)
class RefreshReport:
    """What a metadata refresh changed."""

    actor_types: int
    fields: int
    new_fields: int
    auto_mapped: int
    missing_fields: list[str]


def fetch_metadata(ctx: AppContext, session: Session, ref: ConnectionRef) -> ErpMetadata:
    """Ask the connector for actor types, fields, searchable fields and list items."""
    connection = get_connection(session, ref)
    assert connection.id is not None
    cid = connection.id
    connector = ctx.connectors.for_connection(connection)
    types_result = call(lambda: connector.actor_types(cid), ActorTypesResult)
    _check(types_result.ok, types_result.user_message, "actor types")
    fields: dict[str, list[FieldInfo]] = {}
    searchable: dict[str, set[str]] = {}
    list_names: set[str] = set()
    for actor in types_result.actor_types:
        fields_result = call(lambda a=actor.key: connector.actor_fields(cid, a),  # type: ignore[misc]
                             FieldsResult)
        _check(fields_result.ok, fields_result.user_message, f"fields of {actor.key}")
        fields[actor.key] = list(fields_result.fields)
        search_result = call(lambda a=actor.key: connector.searchable_fields(cid, a),  # type: ignore[misc]
                             SearchableFieldsResult)
        searchable[actor.key] = set(search_result.field_keys) if search_result.ok else set()
        list_names.update(f.list_name for f in fields_result.fields
                          if f.type is FieldType.LIST and f.list_name)
    lists: dict[str, dict[str, str]] = {}
    for list_name in sorted(list_names):
        items_result = call(lambda n=list_name: connector.list_items(cid, n),  # type: ignore[misc]
                            ListItemsResult)
        _check(items_result.ok, items_result.user_message, f"list {list_name}")
        lists[list_name] = dict(items_result.items)
    return ErpMetadata(list(types_result.actor_types), fields, searchable, lists)


def _check(ok: bool, message: str, what: str) -> None:
    if not ok:
        raise ConnectorError(f"The ERP did not return its {what}: "
                             f"{message or 'no reason given'}")


def refresh_metadata(ctx: AppContext, ref: ConnectionRef,
                     expected_version: int | None = None) -> RefreshReport:
    """Refresh the cached ERP metadata of an inactive connection, map new fields automatically
    and mark fields that disappeared as no longer available in the ERP (kept, not deleted)."""
    with ctx.session() as session:
        connection = get_connection(session, ref)
        require_inactive(connection)
        meta = fetch_metadata(ctx, session, connection.id or 0)
        bump_version(session, connection, expected_version)
        report = store_metadata(session, connection.id or 0, meta)
    return report


def store_metadata(session: Session, connection_id: int, meta: ErpMetadata) -> RefreshReport:
    """Replace the metadata cache and update actor and field mappings (in the caller's
    transaction)."""
    for table in (ErpActorType, ErpField, ErpListItem):
        session.execute(delete(table).where(col(table.connection_id) == connection_id))
    for position, actor in enumerate(meta.actor_types):
        session.add(ErpActorType(connection_id=connection_id, key=actor.key, label=actor.label,
                                 parent_types=list(actor.parent_types), position=position))
    field_count = 0
    for actor_key, fields in meta.fields.items():
        for position, info in enumerate(fields):
            field_count += 1
            session.add(ErpField(
                connection_id=connection_id, actor_type=actor_key, key=info.key,
                label=info.label, description=info.description, type=info.type.value,
                list_name=info.list_name, default_value=info.default,
                max_length=info.max_length, access=info.access.value,
                searchable=info.key in meta.searchable.get(actor_key, set()),
                position=position))
    for list_name, items in meta.lists.items():
        for position, (key, text) in enumerate(items.items()):
            session.add(ErpListItem(connection_id=connection_id, list_name=list_name, key=key,
                                    text=text, position=position))
    new_fields, auto_mapped, missing = _update_mappings(session, connection_id, meta)
    session.flush()
    return RefreshReport(len(meta.actor_types), field_count, new_fields, auto_mapped, missing)


def _update_mappings(session: Session, connection_id: int, meta: ErpMetadata
                     ) -> tuple[int, int, list[str]]:
    existing_actors = {a.actor_type: a for a in session.exec(
        select(ActorMapping).where(ActorMapping.connection_id == connection_id))}
    mappings: dict[tuple[str, str], FieldMapping] = {
        (m.actor_type, m.erp_field): m for m in session.exec(
            select(FieldMapping).where(FieldMapping.connection_id == connection_id))}
    crm_fields = all_entity_fields(session)
    new_fields = auto_mapped = 0
    seen: set[tuple[str, str]] = set()
    for actor in meta.actor_types:
        entity = DEFAULT_ENTITY_FOR_ACTOR.get(actor.key)
        if entity is None or actor.key in UNSYNCED_ACTOR_TYPES:
            continue
        if actor.key not in existing_actors:
            session.add(ActorMapping(connection_id=connection_id, actor_type=actor.key,
                                     crm_entity=entity, enabled=False))
        else:
            entity = existing_actors[actor.key].crm_entity
        next_rank = 1 + max((m.rank for (a, _), m in mappings.items() if a == actor.key),
                            default=0)
        for info in meta.fields.get(actor.key, []):
            key = (actor.key, info.key)
            seen.add(key)
            found = mappings.get(key)
            if found is not None:
                if found.missing_in_erp:
                    found.missing_in_erp = False
                    session.add(found)
                continue
            crm_key = auto_map_key(info.key, info.type, crm_fields.get(entity, ()))
            new_fields += 1
            auto_mapped += crm_key is not None
            session.add(FieldMapping(
                connection_id=connection_id, actor_type=actor.key, erp_field=info.key,
                crm_field=crm_key, to_crm=False, to_erp=False, show_in_search=False,
                show_on_tab=info.type is not FieldType.LABEL, rank=next_rank))
            next_rank += 1
    missing: list[str] = []
    for key, mapping in mappings.items():
        if key not in seen and not mapping.missing_in_erp:
            mapping.missing_in_erp = True
            session.add(mapping)
        if key not in seen:
            missing.append(f"{key[0]}.{key[1]}")
    return new_fields, auto_mapped, missing
