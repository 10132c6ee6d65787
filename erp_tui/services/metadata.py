"""ERP metadata: fetch actor types, fields and lists from the connector, cache them, and map
fields automatically.

The cache holds the names in every language the connector gives (`erp_tui.metadata_names`):
its own label in `label`/`description`/`text`, its labels per language in `labels`, for an actor
type the CRM knows with the CRM's Dutch name (Klant, Leverancier…) when the connector gives
none. Whoever reads the cache sees the names in the current `erp_tui.i18n.label_language()`
(`--json`: English; `erp_tui.metadata_names.names_language`), whichever language the process
that refreshed it had.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import delete
from sqlmodel import Session, col, select

from erp_tui.context import AppContext, call
from erp_tui.contract import (
    UNSYNCED_ACTOR_TYPES,
    ActorTypeInfo,
    ActorTypesResult,
    Connector,
    FieldInfo,
    FieldsResult,
    FieldType,
    ListItemsResult,
    SearchableFieldsResult,
    field_in,
    texts_in,
)
from erp_tui.crm_catalog import ACTOR_LABELS, DEFAULT_ENTITY_FOR_ACTOR, actor_label
from erp_tui.crm_schema import all_entity_fields
from erp_tui.errors import ConnectorError
from erp_tui.i18n import Msg, msg
from erp_tui.metadata_names import NamesByLanguage, by_language, names_language
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
class GivenNames:
    """The metadata as the connector gave it, names in every language: what the cache keeps."""

    # Each with the CRM's Dutch name in `labels` when the CRM knows it and the connector gives none.
    actor_types: list[ActorTypeInfo]
    fields: dict[str, list[FieldInfo]]
    # List name -> key -> the connector's own text, and list name -> language -> key -> text.
    lists: dict[str, dict[str, str]]
    list_labels: dict[str, dict[str, dict[str, str]]]


@dataclass(frozen=True)
class ErpMetadata:
    """Everything the connector told about one connection: `given`, names in every language
    (for the cache), and `searchable`; `actor_types`, `fields` and `lists` name them in the
    language the cache is read in (`names_language`), for checks and messages."""

    given: GivenNames
    searchable: dict[str, set[str]]

    @cached_property
    def actor_types(self) -> list[ActorTypeInfo]:
        language = names_language()
        return [actor_in(a, language) for a in self.given.actor_types]

    @cached_property
    def fields(self) -> dict[str, list[FieldInfo]]:
        language = names_language()
        return {actor: [field_in(f, language) for f in fields]
                for actor, fields in self.given.fields.items()}

    @cached_property
    def lists(self) -> dict[str, dict[str, str]]:
        language = names_language()
        return {name: texts_in(items, self.given.list_labels.get(name, {}), language)
                for name, items in self.given.lists.items()}


@dataclass(frozen=True)
class RefreshReport:
    """What a metadata refresh changed."""

    actor_types: int
    fields: int
    new_fields: int
    auto_mapped: int
    missing_fields: list[str]


def fetch_metadata(ctx: AppContext, session: Session, ref: ConnectionRef) -> ErpMetadata:
    """Ask the connector for actor types, fields, searchable fields and list items, named in
    the language the cache is read in (`names_language`), and as given in every language."""
    connection = get_connection(session, ref)
    assert connection.id is not None
    cid = connection.id
    connector = ctx.connectors.for_connection(connection)
    types_result = call(lambda: connector.actor_types(cid), ActorTypesResult)
    _check(types_result.ok, types_result.user_message, msg("actor types"))
    searchable: dict[str, set[str]] = {}
    fields: dict[str, list[FieldInfo]] = {}
    list_names: set[str] = set()
    for actor in types_result.actor_types:
        fields_result = call(lambda a=actor.key: connector.actor_fields(cid, a),  # type: ignore[misc]
                             FieldsResult)
        _check(fields_result.ok, fields_result.user_message,
               msg("fields of {actor}", actor=actor.key))
        fields[actor.key] = list(fields_result.fields)
        search_result = call(lambda a=actor.key: connector.searchable_fields(cid, a),  # type: ignore[misc]
                             SearchableFieldsResult)
        searchable[actor.key] = set(search_result.field_keys) if search_result.ok else set()
        list_names.update(f.list_name for f in fields_result.fields
                          if f.type is FieldType.LIST and f.list_name)
    items = {name: _list_items(connector, cid, name) for name in sorted(list_names)}
    given = GivenNames(
        [with_crm_names(a) for a in types_result.actor_types], fields,
        {name: dict(result.items) for name, result in items.items()},
        {name: {lang: dict(texts) for lang, texts in result.labels.items()}
         for name, result in items.items()})
    return ErpMetadata(given, searchable)


def _list_items(connector: Connector, cid: int, list_name: str) -> ListItemsResult:
    """The items of one ERP list, with their texts per language."""
    result = call(lambda: connector.list_items(cid, list_name), ListItemsResult)
    _check(result.ok, result.user_message, msg("list {name}", name=list_name))
    return result


def actor_in(actor: ActorTypeInfo, language: str) -> ActorTypeInfo:
    """`actor` named in `language`: the connector's label for it, else for an actor type the
    CRM knows its name in a language other than English, else the connector's own label."""
    label = actor.labels.get(language)
    if not label and language != "en" and actor.key in ACTOR_LABELS:
        label = actor_label(actor.key, language)
    return actor.model_copy(update={"label": label}) if label else actor


def with_crm_names(actor: ActorTypeInfo) -> ActorTypeInfo:
    """`actor` with, for an actor type the CRM knows, the CRM's Dutch name in its `labels`
    where the connector gives no Dutch label (as `actor_in` names it in Dutch)."""
    if actor.key not in ACTOR_LABELS or actor.labels.get("nl"):
        return actor
    return actor.model_copy(update={"labels": {**actor.labels,
                                               "nl": actor_label(actor.key, "nl")}})


def _check(ok: bool, message: str, what: Msg) -> None:
    if not ok:
        raise ConnectorError(msg("The ERP did not return its {what}: {reason}", what=what,
                                 reason=message or msg("no reason given")))


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
    """Replace the metadata cache (names in every language: `meta.given`) and update actor and
    field mappings (in the caller's transaction)."""
    for table in (ErpActorType, ErpField, ErpListItem):
        session.execute(delete(table).where(col(table.connection_id) == connection_id))
    given = meta.given
    for position, actor in enumerate(given.actor_types):
        session.add(ErpActorType(connection_id=connection_id, key=actor.key, label=actor.label,
                                 parent_types=list(actor.parent_types), position=position,
                                 labels=by_language(label=actor.labels)))
    field_count = 0
    for actor_key, fields in given.fields.items():
        for position, info in enumerate(fields):
            field_count += 1
            session.add(_field_row(connection_id, actor_key, info, position,
                                   info.key in meta.searchable.get(actor_key, set())))
    for list_name, items in given.lists.items():
        for position, (key, text) in enumerate(items.items()):
            session.add(ErpListItem(connection_id=connection_id, list_name=list_name, key=key,
                                    text=text, position=position,
                                    labels=_item_names(given.list_labels.get(list_name, {}),
                                                       key)))
    new_fields, auto_mapped, missing = _update_mappings(session, connection_id, meta)
    session.flush()
    return RefreshReport(len(given.actor_types), field_count, new_fields, auto_mapped, missing)


def _field_row(connection_id: int, actor_key: str, info: FieldInfo, position: int,
               searchable: bool) -> ErpField:
    """The cache row of an actor field: its own label and description, and those per
    language."""
    return ErpField(
        connection_id=connection_id, actor_type=actor_key, key=info.key, label=info.label,
        description=info.description, type=info.type.value, list_name=info.list_name,
        default_value=info.default, max_length=info.max_length, access=info.access.value,
        searchable=searchable, position=position,
        labels=by_language(label=info.labels, description=info.descriptions))


def _item_names(by_lang: dict[str, dict[str, str]], key: str) -> NamesByLanguage:
    """The texts of list item `key` per language, as the `labels` column holds them."""
    return by_language(text={lang: texts.get(key, "") for lang, texts in by_lang.items()})


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


def actor_type_names(ctx: AppContext) -> dict[tuple[int, str], str]:
    """The name of every cached ERP actor type in the current names language, by
    (connection id, key): the CRM's name for a type the CRM knows, else the ERP's."""
    language = names_language()
    with ctx.session() as session:
        return {(t.connection_id, t.key): actor_label(t.key, language, t.label)
                for t in session.exec(select(ErpActorType))}
