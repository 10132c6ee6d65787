"""What to sync for one connection and actor type, read once from the configuration."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from erp_tui.contract import FieldType
from erp_tui.crm_catalog import CrmField, actor_type_rank
from erp_tui.crm_schema import all_entity_fields
from erp_tui.model import (
    ActorMapping,
    Connection,
    ErpActorType,
    ErpField,
    FieldMapping,
    ListMapping,
)
from erp_tui.rules import Direction, find_crm_field

CONFLICT_POLICIES = ("erp_wins", "crm_wins", "newest_wins")


@dataclass(frozen=True)
class FieldPlan:
    """One synced field: ERP key, CRM column, direction and list translation."""

    erp_key: str
    label: str
    # The CRM table's column: a standard field's own column or a user-defined field's slot.
    crm_column: str
    direction: Direction
    erp_type: FieldType
    crm_type: FieldType
    crm_max_length: int
    # ERP item -> CRM item (ERP→CRM) and back; None when the field is not a list.
    to_crm_items: dict[str, str] | None = None
    to_erp_items: dict[str, str] | None = None
    erp_list: str = ""
    # True for a real date (date-time) column: values are converted on write. A user-defined
    # date field's slot holds ISO text as is.
    crm_date_column: bool = False

    @property
    def to_crm(self) -> bool:
        return self.direction.to_crm

    @property
    def to_erp(self) -> bool:
        return self.direction.to_erp


@dataclass
class ActorPlan:
    """Everything the runner needs to sync one actor type of one connection."""

    connection_id: int
    connection_name: str
    actor_type: str
    crm_entity: str
    parent_types: tuple[str, ...]
    fields: list[FieldPlan]
    allow_import: bool
    conflict_policy: str
    lag_seconds: int
    page_size: int = 5000
    # Fields of higher-priority connections writing the same entity: connection id -> columns.
    higher_priority: dict[int, set[str]] = field(default_factory=dict)
    # Parent types (of `parent_types`) whose records this connection does not create.
    unsynced_parent_types: tuple[str, ...] = ()

    @property
    def in_fields(self) -> list[FieldPlan]:
        """Fields flowing ERP→CRM (`>` and `<>`), in plan order."""
        return [f for f in self.fields if f.to_crm]

    @property
    def out_fields(self) -> list[FieldPlan]:
        """Fields flowing CRM→ERP (`<` and `<>`), in plan order."""
        return [f for f in self.fields if f.to_erp]

    @property
    def snapshot_fields(self) -> list[str]:
        return [f.erp_key for f in self.fields]


def actor_plans(session: Session, connection: Connection) -> list[ActorPlan]:
    """Plans of the enabled actor types of `connection`, parents first."""
    cid = connection.id or 0
    higher = [c for c in session.exec(select(Connection).where(col(Connection.active).is_(True)))
              if connection.active and c.priority < connection.priority and c.id != cid]
    parents = {a.key: tuple(a.parent_types) for a in session.exec(
        select(ErpActorType).where(ErpActorType.connection_id == cid))}
    fields = {(f.actor_type, f.key): f for f in session.exec(
        select(ErpField).where(ErpField.connection_id == cid))}
    list_maps: dict[tuple[str, str], dict[str, str]] = {}
    for item in session.exec(select(ListMapping).where(ListMapping.connection_id == cid)):
        if item.crm_key:
            list_maps.setdefault((item.erp_list, item.crm_list), {})[item.erp_key] = item.crm_key
    crm_fields = all_entity_fields(session)
    plans = []
    actors = session.exec(select(ActorMapping).where(ActorMapping.connection_id == cid,
                                                     col(ActorMapping.enabled).is_(True)))
    for actor in sorted(actors, key=lambda a: actor_type_rank(a.actor_type)):
        mappings = session.exec(select(FieldMapping).where(
            FieldMapping.connection_id == cid, FieldMapping.actor_type == actor.actor_type,
            col(FieldMapping.missing_in_erp).is_(False)).order_by(col(FieldMapping.rank)))
        plan_fields = []
        for mapping in mappings:
            direction = Direction.from_flags(mapping.to_crm, mapping.to_erp)
            erp = fields.get((actor.actor_type, mapping.erp_field))
            crm = find_crm_field(crm_fields.get(actor.crm_entity, ()), mapping.crm_field)
            if direction is None or erp is None or crm is None:
                continue
            to_crm_items = to_erp_items = None
            if crm.type is FieldType.LIST:
                to_crm_items = dict(list_maps.get((erp.list_name, crm.list_name), {}))
                to_erp_items = {v: k for k, v in to_crm_items.items()}
            plan_fields.append(FieldPlan(
                erp_key=erp.key, label=erp.label, crm_column=crm.column, direction=direction,
                erp_type=FieldType(erp.type), crm_type=crm.type,
                crm_max_length=crm.max_length, to_crm_items=to_crm_items,
                to_erp_items=to_erp_items, erp_list=erp.list_name,
                crm_date_column=crm.date_column))
        page_size = int(connection.config.get("page_size") or 5000)
        plans.append(ActorPlan(
            connection_id=cid, connection_name=connection.name, actor_type=actor.actor_type,
            crm_entity=actor.crm_entity, parent_types=parents.get(actor.actor_type, ()),
            fields=plan_fields, allow_import=connection.allow_import,
            conflict_policy=connection.conflict_policy, lag_seconds=connection.lag_seconds,
            page_size=max(1, min(page_size, 50_000))))
    # Children of a parent type this connection does not create still wait for their parent
    # (as a record error saying so) unless the parent is linked some other way.
    linkable = {p.actor_type for p in plans if p.in_fields}
    for plan in plans:
        plan.unsynced_parent_types = tuple(t for t in plan.parent_types if t not in linkable)
        for other in higher:
            columns = _columns_written(session, other, plan.crm_entity,
                                       crm_fields.get(plan.crm_entity, ()))
            if columns:
                plan.higher_priority[other.id or 0] = columns
    return plans


def _columns_written(session: Session, connection: Connection, entity: str,
                     fields: tuple[CrmField, ...]) -> set[str]:
    """CRM columns of `entity` that `connection` writes (fields mapped `>` or `<>`)."""
    cid = connection.id or 0
    actors = {a.actor_type for a in session.exec(select(ActorMapping).where(
        ActorMapping.connection_id == cid, col(ActorMapping.enabled).is_(True),
        ActorMapping.crm_entity == entity))}
    if not actors:
        return set()
    columns = {crm.key: crm.column for crm in fields}
    return {columns[m.crm_field] for m in session.exec(select(FieldMapping).where(
        FieldMapping.connection_id == cid, col(FieldMapping.to_crm).is_(True)))
        if m.actor_type in actors and m.crm_field in columns}
