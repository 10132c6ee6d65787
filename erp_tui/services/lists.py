"""List mapping (Lijsttoewijzing): ERP list items to CRM list items, one-to-one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlmodel import Session, col, select

from erp_tui.context import AppContext
from erp_tui.contract import FieldType
from erp_tui.crm_catalog import list_item_text
from erp_tui.crm_schema import all_entity_fields
from erp_tui.errors import NotFoundError, Problem, RefusedError, ValidationFailed
from erp_tui.i18n import label_language, msg
from erp_tui.model import ActorMapping, CrmListItem, ErpField, FieldMapping, ListMapping
from erp_tui.rules import find_crm_field, list_duplicates
from erp_tui.services.common import (
    ConnectionRef,
    bump_version,
    erp_list_items,
    get_connection,
    require_inactive,
)
from erp_tui.services.mapping_problems import list_duplicate_problems


@dataclass(frozen=True)
class MappedList:
    """A list that needs item mapping: an ERP list used by a mapped list field."""

    erp_list: str
    crm_list: str
    fields: tuple[str, ...]  # "Customer.country" ...

    @property
    def label(self) -> str:
        return f"{self.erp_list} → {self.crm_list}"


@dataclass
class ItemRow:
    """One ERP item and the CRM item it maps to (None = "(No selection)")."""

    erp_key: str
    erp_text: str
    crm_key: str | None
    suggested: bool = False


@dataclass
class ListMappingState:
    """One list's item mapping, as loaded (with the connection's version)."""

    connection_id: int
    version: int
    erp_list: str
    crm_list: str
    rows: list[ItemRow]
    crm_items: dict[str, str] = field(default_factory=dict)

    def duplicates(self) -> dict[str, list[str]]:
        """CRM item -> ERP items, for CRM items chosen more than once."""
        return list_duplicates({row.erp_key: row.crm_key for row in self.rows})

    def duplicate_rows(self) -> set[str]:
        """ERP keys of the rows that take part in a duplicate."""
        return {key for keys in self.duplicates().values() for key in keys}


def mapped_lists(ctx: AppContext, ref: ConnectionRef) -> list[MappedList]:
    """Lists of mapped list-type fields (none when no list field is mapped)."""
    with ctx.session() as session:
        connection = get_connection(session, ref)
        return _mapped_lists(session, connection.id or 0)


def _mapped_lists(session: Session, connection_id: int) -> list[MappedList]:
    entities = {a.actor_type: a.crm_entity for a in session.exec(
        select(ActorMapping).where(ActorMapping.connection_id == connection_id))}
    fields = {(f.actor_type, f.key): f for f in session.exec(
        select(ErpField).where(ErpField.connection_id == connection_id,
                               ErpField.type == FieldType.LIST.value))}
    crm_fields = all_entity_fields(session)
    found: dict[tuple[str, str], list[str]] = {}
    for mapping in session.exec(select(FieldMapping).where(
            FieldMapping.connection_id == connection_id, col(FieldMapping.crm_field).is_not(None),
            col(FieldMapping.missing_in_erp).is_(False))):
        erp = fields.get((mapping.actor_type, mapping.erp_field))
        crm = find_crm_field(crm_fields.get(entities.get(mapping.actor_type, ""), ()),
                             mapping.crm_field)
        if erp is None or crm is None or not erp.list_name or crm.type is not FieldType.LIST:
            continue
        found.setdefault((erp.list_name, crm.list_name), []).append(
            f"{mapping.actor_type}.{mapping.erp_field}")
    return [MappedList(erp_list, crm_list, tuple(names))
            for (erp_list, crm_list), names in sorted(found.items())]


def crm_list_items(session: Session, list_name: str) -> dict[str, str]:
    """Items (key -> text) of a CRM list."""
    rows = session.exec(select(CrmListItem).where(CrmListItem.list_name == list_name)
                        .order_by(col(CrmListItem.position)))
    language = label_language()
    return {row.key: list_item_text(list_name, row.key, row.text, language) for row in rows}


def load_list_mapping(ctx: AppContext, ref: ConnectionRef, erp_list: str,
                      crm_list: str | None = None) -> ListMappingState:
    """One list's rows; on a list never mapped before, items with the same key or text are
    suggested (marked `suggested`, saved only when the user saves)."""
    with ctx.session() as session:
        connection = get_connection(session, ref)
        cid = connection.id or 0
        lists = _mapped_lists(session, cid)
        chosen = [m for m in lists if m.erp_list == erp_list
                  and (crm_list is None or m.crm_list == crm_list)]
        if not chosen:
            if not lists:
                raise NotFoundError(msg("No list fields are mapped; map a list field in "
                                        "Mappings first, then its list appears here."))
            names = ", ".join(m.erp_list for m in lists)
            raise NotFoundError(msg("List '{list}' is not used by a mapped field; lists to "
                                    "map: {names}.", list=erp_list, names=names))
        target = chosen[0].crm_list
        erp_items = erp_list_items(session, cid, erp_list)
        crm_items = crm_list_items(session, target)
        saved = {m.erp_key: m.crm_key for m in session.exec(select(ListMapping).where(
            ListMapping.connection_id == cid, ListMapping.erp_list == erp_list,
            ListMapping.crm_list == target))}
        rows = []
        for key, text in erp_items.items():
            if saved:
                rows.append(ItemRow(key, text, saved.get(key)))
            else:
                guess = _guess(key, text, crm_items)
                rows.append(ItemRow(key, text, guess, suggested=guess is not None))
        return ListMappingState(cid, connection.version, erp_list, target, rows, crm_items)


def _guess(key: str, text: str, crm_items: dict[str, str]) -> str | None:
    for crm_key, crm_text in crm_items.items():
        if crm_key.lower() == key.lower() or crm_text.lower() == text.lower():
            return crm_key
    return None


def save_list_mapping(ctx: AppContext, state: ListMappingState) -> int:
    """Save one list's mapping; refused while two ERP items map to the same CRM item."""
    return save_list_mappings(ctx, [state])


def save_list_mappings(ctx: AppContext, states: Sequence[ListMappingState]) -> int:
    """Save the mappings of several lists in one transaction (all or none); refused, with
    nothing written, while any list maps two ERP items to the same CRM item. Returns the
    connection's new version."""
    if not states:
        raise RefusedError(msg("There is no list mapping to save."))
    for state in states:
        _check_list(state)
    with ctx.session() as session:
        connection = get_connection(session, states[0].connection_id)
        require_inactive(connection)
        bump_version(session, connection, states[0].version)
        for state in states:
            _write_list(session, state)
        for state in states:
            state.version = connection.version
        return connection.version


def _check_list(state: ListMappingState) -> None:
    """Refuse a list mapping with duplicates or an item the CRM list does not have."""
    duplicates = state.duplicates()
    if duplicates:
        problems = [Problem(msg("CRM item '{crm}' is chosen for {count} ERP items ({erp}); each "
                                "CRM item may be chosen once.",
                                crm=state.crm_items.get(crm, crm), count=len(keys),
                                erp=", ".join(keys)),
                            list_name=state.erp_list, code="list_duplicate")
                    for crm, keys in duplicates.items()]
        raise ValidationFailed(msg("List '{list}' has duplicate mappings:",
                                   list=state.erp_list), problems)
    unknown = [row.crm_key for row in state.rows
               if row.crm_key is not None and row.crm_key not in state.crm_items]
    if unknown:
        raise RefusedError(msg("'{item}' is not an item of CRM list '{list}'.", item=unknown[0],
                               list=state.crm_list))


def _write_list(session: Session, state: ListMappingState) -> None:
    """Replace the stored rows of one list's mapping by `state`'s rows."""
    session.execute(delete(ListMapping).where(
        col(ListMapping.connection_id) == state.connection_id,
        col(ListMapping.erp_list) == state.erp_list,
        col(ListMapping.crm_list) == state.crm_list))
    for row in state.rows:
        session.add(ListMapping(connection_id=state.connection_id, erp_list=state.erp_list,
                                crm_list=state.crm_list, erp_key=row.erp_key,
                                crm_key=row.crm_key))
        row.suggested = False


def stored_list_duplicates(session: Session, connection_id: int) -> list[Problem]:
    """Duplicates in the saved list mappings of a connection (for activation)."""
    problems: list[Problem] = []
    for mapped in _mapped_lists(session, connection_id):
        rows = session.exec(select(ListMapping).where(
            ListMapping.connection_id == connection_id, ListMapping.erp_list == mapped.erp_list,
            ListMapping.crm_list == mapped.crm_list))
        problems.extend(list_duplicate_problems(
            mapped.erp_list, {row.erp_key: row.crm_key for row in rows}))
    return problems
