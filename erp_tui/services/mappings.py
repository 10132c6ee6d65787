"""Field mapping (Veldtoewijzing): actor toggles and per-field CRM field, direction and
visibility. The dialog loads a `MappingsState`, edits it, and saves it whole."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from sqlmodel import Session, col, select

from erp_tui.context import AppContext
from erp_tui.contract import FieldAccess, FieldType
from erp_tui.crm_catalog import CrmField
from erp_tui.crm_schema import all_entity_fields
from erp_tui.errors import NotFoundError, Problem, ValidationFailed
from erp_tui.i18n import msg
from erp_tui.metadata_names import names_language, shown_text
from erp_tui.model import ActorMapping, ErpActorType, ErpField, FieldMapping
from erp_tui.rules import (
    Direction,
    DirectionCell,
    ErpFieldView,
    compatible_crm_fields,
    crm_field_refusal,
    direction_cells,
    direction_refusal,
)
from erp_tui.services.common import (
    ConnectionRef,
    bump_version,
    get_connection,
    require_inactive,
)
from erp_tui.services.mapping_problems import MappedField, field_problems


@dataclass
class FieldRow:
    """One ERP field of an actor tab, as the dialog edits it."""

    erp: ErpFieldView
    description: str
    crm_field: str | None
    direction: Direction | None
    show_in_search: bool
    show_on_tab: bool
    rank: int
    searchable: bool = False

    @property
    def missing(self) -> bool:
        return self.erp.missing


@dataclass
class ActorTab:
    """One actor type of a connection: its toggle and its field rows."""

    actor_type: str
    label: str
    crm_entity: str
    enabled: bool
    rows: list[FieldRow] = field(default_factory=list)
    # The CRM entity's fields, standard and user-defined (as loaded).
    crm_fields: tuple[CrmField, ...] = ()

    def row(self, erp_field: str) -> FieldRow:
        for row in self.rows:
            if row.erp.key == erp_field:
                return row
        raise NotFoundError(msg("Actor {actor} has no ERP field '{field}'.",
                                actor=self.actor_type, field=erp_field))

    def cells(self, row: FieldRow) -> list[DirectionCell]:
        """The direction cells of a row (grey/white/blue with reasons)."""
        return direction_cells(row.erp, self.crm_entity, row.crm_field, self.crm_fields)

    def choices(self, row: FieldRow) -> list[CrmField]:
        """The CRM fields this row may be mapped to (type-compatible)."""
        return compatible_crm_fields(row.erp, self.crm_fields)


@dataclass
class MappingsState:
    """The whole field mapping of a connection, as loaded (with its version)."""

    connection_id: int
    connection_name: str
    version: int
    active: bool
    tabs: list[ActorTab]

    def tab(self, actor_type: str) -> ActorTab:
        for tab in self.tabs:
            if tab.actor_type.lower() == actor_type.lower():
                return tab
        known = ", ".join(t.actor_type for t in self.tabs) or msg("none")
        raise NotFoundError(msg("Connection '{name}' has no actor '{actor}'; actors: {known}.",
                                name=self.connection_name, actor=actor_type, known=known))


def load_mappings(ctx: AppContext, ref: ConnectionRef) -> MappingsState:
    """Load every actor tab with its rows (ERP order, missing fields last).

    Reads plain column tuples (no ORM objects): an actor with thousands of fields opens fast.
    """
    with ctx.session() as session:
        connection = get_connection(session, ref)
        cid = connection.id or 0
        language = names_language()
        actor_labels = _actor_labels(session, cid)
        actors = _actors(session, cid)
        fields: dict[tuple[str, str], tuple[ErpFieldView, str, bool]] = {}
        for (actor_type, key, label, type_, access, list_name, max_length, description,
             searchable, names) in session.exec(
                select(ErpField.actor_type, ErpField.key, ErpField.label,  # type: ignore[call-overload]
                       ErpField.type, ErpField.access, ErpField.list_name, ErpField.max_length,
                       ErpField.description, ErpField.searchable, ErpField.labels)
                .where(ErpField.connection_id == cid).order_by(col(ErpField.position))).all():
            fields[(actor_type, key)] = (
                ErpFieldView(key=key, label=shown_text(names, "label", label, language),
                             type=_field_type(type_), access=_field_access(access),
                             list_name=list_name, max_length=max_length),
                shown_text(names, "description", description, language), searchable)
        mappings = session.exec(
            select(FieldMapping.actor_type, FieldMapping.erp_field,  # type: ignore[call-overload]
                   FieldMapping.crm_field, FieldMapping.to_crm, FieldMapping.to_erp,
                   FieldMapping.show_in_search, FieldMapping.show_on_tab, FieldMapping.rank,
                   FieldMapping.missing_in_erp)
            .where(FieldMapping.connection_id == cid)).all()
        crm_fields = all_entity_fields(session)
        order = {key: i for i, key in enumerate(fields)}
        by_actor: dict[str, list[Any]] = {}
        for m in mappings:
            by_actor.setdefault(m[0], []).append(m)
        tabs: list[ActorTab] = []
        for actor_type in _tab_order(actor_labels, actors):
            actor = actors[actor_type]
            tab = ActorTab(actor_type, actor_labels.get(actor_type, actor_type), actor[0],
                           actor[1], crm_fields=crm_fields.get(actor[0], ()))
            rows = by_actor.get(actor_type, [])
            rows.sort(key=lambda m: (m[8], order.get((m[0], m[1]), 1 << 30)))
            tab.rows = [_row(m, fields.get((actor_type, m[1]))) for m in rows]
            tabs.append(tab)
        return MappingsState(cid, connection.name, connection.version, connection.active, tabs)


def actor_tabs(ctx: AppContext, ref: ConnectionRef) -> list[tuple[str, str]]:
    """(actor type, label) of the connection's actor tabs, in the order Mappings shows them,
    without reading their fields (the other dialogs' tab order)."""
    with ctx.session() as session:
        cid = get_connection(session, ref).id or 0
        labels = _actor_labels(session, cid)
        return [(actor_type, labels.get(actor_type, actor_type))
                for actor_type in _tab_order(labels, _actors(session, cid))]


def _actor_labels(session: Session, connection_id: int) -> dict[str, str]:
    """Cached actor type -> label in the current names language, in the ERP's order."""
    language = names_language()
    return {key: shown_text(names, "label", label, language)
            for key, label, names in session.exec(
                select(ErpActorType.key, ErpActorType.label, ErpActorType.labels)
                .where(ErpActorType.connection_id == connection_id)
                .order_by(col(ErpActorType.position))).all()}


def _actors(session: Session, connection_id: int) -> dict[str, tuple[str, bool]]:
    """Mapped actor type -> (CRM entity, enabled)."""
    return {actor_type: (crm_entity, enabled) for actor_type, crm_entity, enabled
            in session.exec(select(ActorMapping.actor_type, ActorMapping.crm_entity,
                                   ActorMapping.enabled)
                            .where(ActorMapping.connection_id == connection_id)).all()}


def _tab_order(labels: dict[str, str], actors: dict[str, tuple[str, bool]]) -> list[str]:
    """The mapped actor types: in the ERP's order, then those the ERP no longer lists."""
    return [*(a for a in labels if a in actors), *(a for a in actors if a not in labels)]


@cache
def _field_type(value: str) -> FieldType:
    return FieldType(value)


@cache
def _field_access(value: str) -> FieldAccess:
    return FieldAccess(value)


def _row(mapping: Any, erp: tuple[ErpFieldView, str, bool] | None) -> FieldRow:
    """A row from a `field_mapping` tuple (actor_type, erp_field, crm_field, to_crm, to_erp,
    show_in_search, show_on_tab, rank, missing_in_erp) and its cached ERP field."""
    (_actor, erp_field, crm_field, to_crm, to_erp, show_in_search, show_on_tab, rank,
     missing_in_erp) = mapping
    if erp is None:
        view = ErpFieldView(erp_field, erp_field, FieldType.TEXT, missing=True)
        description: str = msg("No longer available in the ERP.")
        searchable = False
    else:
        view, description, searchable = erp
        if missing_in_erp:
            view = replace(view, missing=True)
    return FieldRow(view, description, crm_field, Direction.from_flags(to_crm, to_erp),
                    show_in_search, show_on_tab, rank, searchable)


def mapping_problems(state: MappingsState, *, activating: bool = False) -> list[Problem]:
    """Every row that breaks a mapping rule (erp_tui.services.mapping_problems); when
    `activating`, also every mandatory ERP field of an enabled actor without a direction."""
    return [problem for tab in state.tabs for row in tab.rows
            for problem in field_problems(
                MappedField(tab.actor_type, tab.crm_entity, tab.crm_fields, row.erp,
                            row.crm_field, row.direction),
                require_direction=activating and tab.enabled)]


def save_mappings(ctx: AppContext, state: MappingsState) -> int:
    """Save the whole state (refused when any row breaks a rule, or when stale).

    Returns the connection's new version.
    """
    problems = mapping_problems(state)
    if problems:
        raise ValidationFailed(msg("The mapping cannot be saved:"), problems)
    with ctx.session() as session:
        connection = get_connection(session, state.connection_id)
        require_inactive(connection)
        bump_version(session, connection, state.version)
        actors = {a.actor_type: a for a in session.exec(
            select(ActorMapping).where(ActorMapping.connection_id == state.connection_id))}
        mappings = {(m.actor_type, m.erp_field): m for m in session.exec(
            select(FieldMapping).where(FieldMapping.connection_id == state.connection_id))}
        for tab in state.tabs:
            actor = actors[tab.actor_type]
            if actor.enabled != tab.enabled:
                actor.enabled = tab.enabled
                session.add(actor)
            for row in tab.rows:
                stored = mappings[(tab.actor_type, row.erp.key)]
                direction = row.direction
                wanted = (row.crm_field, bool(direction and direction.to_crm),
                          bool(direction and direction.to_erp), row.show_in_search,
                          row.show_on_tab)
                current = (stored.crm_field, stored.to_crm, stored.to_erp,
                           stored.show_in_search, stored.show_on_tab)
                if wanted != current:
                    (stored.crm_field, stored.to_crm, stored.to_erp, stored.show_in_search,
                     stored.show_on_tab) = wanted
                    session.add(stored)
        state.version = connection.version
        return connection.version


def set_crm_field(tab: ActorTab, row: FieldRow, crm_key: str | None) -> str:
    """Change a row's CRM field; a direction that no longer fits is cleared.

    Returns "" or the sentence explaining why the CRM field was refused.
    """
    refusal = crm_field_refusal(row.erp, tab.crm_entity, crm_key, tab.crm_fields)
    if refusal:
        return refusal
    row.crm_field = crm_key
    if direction_refusal(row.erp, tab.crm_entity, crm_key, row.direction, tab.crm_fields):
        row.direction = None
    return ""


def set_direction(tab: ActorTab, row: FieldRow, direction: Direction | None) -> str:
    """Set a row's direction; returns "" or why that direction is not possible."""
    refusal = direction_refusal(row.erp, tab.crm_entity, row.crm_field, direction,
                                tab.crm_fields)
    if refusal:
        return refusal
    row.direction = direction
    return ""


def toggle_direction(tab: ActorTab, row: FieldRow, direction: Direction) -> str:
    """Select `direction`, or clear it when it is already selected (a direction cell press)."""
    return set_direction(tab, row, None if row.direction is direction else direction)
