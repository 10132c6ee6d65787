"""Field mapping (Veldtoewijzing): actor toggles and per-field CRM field, direction and
visibility (SPEC §4 rule 3). The dialog loads a `MappingsState`, edits it, and saves it whole."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import col, select

from erp_tui.context import AppContext
from erp_tui.crm_catalog import CRM_FIELDS, CrmField
from erp_tui.errors import NotFoundError, Problem, ValidationFailed
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
    field_view,
    get_connection,
    require_inactive,
)


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

    @property
    def crm_fields(self) -> tuple[CrmField, ...]:
        return CRM_FIELDS.get(self.crm_entity, ())

    def row(self, erp_field: str) -> FieldRow:
        for row in self.rows:
            if row.erp.key == erp_field:
                return row
        raise NotFoundError(f"Actor {self.actor_type} has no ERP field '{erp_field}'.")

    def cells(self, row: FieldRow) -> list[DirectionCell]:
        """The direction cells of a row (grey/white/blue with reasons)."""
        return direction_cells(row.erp, self.crm_entity, row.crm_field)

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
        known = ", ".join(t.actor_type for t in self.tabs) or "none"
        raise NotFoundError(f"Connection '{self.connection_name}' has no actor "
                            f"'{actor_type}'; actors: {known}.")


def load_mappings(ctx: AppContext, ref: ConnectionRef) -> MappingsState:
    """Load every actor tab with its rows (ERP order, missing fields last)."""
    with ctx.session() as session:
        connection = get_connection(session, ref)
        cid = connection.id or 0
        actor_labels = {a.key: a.label for a in session.exec(
            select(ErpActorType).where(ErpActorType.connection_id == cid)
            .order_by(col(ErpActorType.position)))}
        actors = {a.actor_type: a for a in session.exec(
            select(ActorMapping).where(ActorMapping.connection_id == cid))}
        fields = {(f.actor_type, f.key): f for f in session.exec(
            select(ErpField).where(ErpField.connection_id == cid)
            .order_by(col(ErpField.position)))}
        mappings = list(session.exec(
            select(FieldMapping).where(FieldMapping.connection_id == cid)))
        order = {key: i for i, key in enumerate(fields)}
        tabs: list[ActorTab] = []
        for actor_type in [*actor_labels, *(a for a in actors if a not in actor_labels)]:
            mapping = actors.get(actor_type)
            if mapping is None:
                continue
            tab = ActorTab(actor_type, actor_labels.get(actor_type, actor_type),
                           mapping.crm_entity, mapping.enabled)
            rows = [m for m in mappings if m.actor_type == actor_type]
            rows.sort(key=lambda m: (m.missing_in_erp,
                                     order.get((m.actor_type, m.erp_field), 1 << 30)))
            for m in rows:
                tab.rows.append(_row(m, fields.get((actor_type, m.erp_field))))
            tabs.append(tab)
        return MappingsState(cid, connection.name, connection.version, connection.active, tabs)


def _row(mapping: FieldMapping, erp: ErpField | None) -> FieldRow:
    if erp is None:
        from erp_tui.contract import FieldType

        view = ErpFieldView(mapping.erp_field, mapping.erp_field, FieldType.TEXT, missing=True)
        description = "No longer available in the ERP."
        searchable = False
    else:
        view = field_view(erp, missing=mapping.missing_in_erp)
        description = erp.description
        searchable = erp.searchable
    return FieldRow(view, description, mapping.crm_field,
                    Direction.from_flags(mapping.to_crm, mapping.to_erp),
                    mapping.show_in_search, mapping.show_on_tab, mapping.rank, searchable)


def mapping_problems(state: MappingsState) -> list[Problem]:
    """Every row whose CRM field or direction breaks rule 3."""
    problems: list[Problem] = []
    for tab in state.tabs:
        for row in tab.rows:
            refusal = crm_field_refusal(row.erp, tab.crm_entity, row.crm_field)
            if not refusal:
                refusal = direction_refusal(row.erp, tab.crm_entity, row.crm_field, row.direction)
                if refusal:
                    refusal = f"Direction '{row.direction}' is not possible: {refusal}"
            if refusal and not (row.missing and row.direction is None):
                problems.append(Problem(f"{tab.actor_type} › {row.erp.label}: {refusal}",
                                        tab.actor_type, row.erp.key, code="mapping"))
    return problems


def save_mappings(ctx: AppContext, state: MappingsState) -> int:
    """Save the whole state (refused when any row breaks a rule, or when stale).

    Returns the connection's new version.
    """
    problems = mapping_problems(state)
    if problems:
        raise ValidationFailed("The mapping cannot be saved:", problems)
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
    refusal = crm_field_refusal(row.erp, tab.crm_entity, crm_key)
    if refusal:
        return refusal
    row.crm_field = crm_key
    if direction_refusal(row.erp, tab.crm_entity, crm_key, row.direction):
        row.direction = None
    return ""


def set_direction(tab: ActorTab, row: FieldRow, direction: Direction | None) -> str:
    """Set a row's direction; returns "" or why that direction is not possible."""
    refusal = direction_refusal(row.erp, tab.crm_entity, row.crm_field, direction)
    if refusal:
        return refusal
    row.direction = direction
    return ""


def toggle_direction(tab: ActorTab, row: FieldRow, direction: Direction) -> str:
    """Select `direction`, or clear it when it is already selected (a direction cell press)."""
    return set_direction(tab, row, None if row.direction is direction else direction)
