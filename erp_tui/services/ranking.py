"""Rank fields (Velden rangschikken): the order of fields on the ERP tab."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from erp_tui.context import AppContext
from erp_tui.errors import RefusedError
from erp_tui.i18n import msg
from erp_tui.model import ErpField, FieldMapping
from erp_tui.services.common import ConnectionRef, bump_version, get_connection, require_inactive


@dataclass
class RankRow:
    """A field in the ranking list; `shown` is False for fields not on the ERP tab (dimmed)."""

    erp_field: str
    label: str
    shown: bool
    missing: bool


@dataclass
class RankState:
    """The field order of every actor of a connection."""

    connection_id: int
    version: int
    tabs: dict[str, list[RankRow]]


def load_ranking(ctx: AppContext, ref: ConnectionRef) -> RankState:
    """Every field of every actor, in rank order (all fields, shown or not)."""
    with ctx.session() as session:
        connection = get_connection(session, ref)
        cid = connection.id or 0
        labels = {(f.actor_type, f.key): f.label for f in session.exec(
            select(ErpField).where(ErpField.connection_id == cid))}
        tabs: dict[str, list[RankRow]] = {}
        for m in session.exec(select(FieldMapping).where(FieldMapping.connection_id == cid)
                              .order_by(col(FieldMapping.actor_type), col(FieldMapping.rank))):
            tabs.setdefault(m.actor_type, []).append(RankRow(
                m.erp_field, labels.get((m.actor_type, m.erp_field), m.erp_field),
                m.show_on_tab, m.missing_in_erp))
        return RankState(cid, connection.version, tabs)


def save_ranking(ctx: AppContext, ref: ConnectionRef, actor_type: str, order: list[str],
                 expected_version: int | None = None) -> int:
    """Save the order of one actor's fields (`order` must list every field once)."""
    with ctx.session() as session:
        connection = get_connection(session, ref)
        require_inactive(connection)
        cid = connection.id or 0
        rows = {m.erp_field: m for m in session.exec(select(FieldMapping).where(
            FieldMapping.connection_id == cid, FieldMapping.actor_type == actor_type))}
        if not rows:
            raise RefusedError(msg("Actor '{actor}' has no fields on this connection.",
                                   actor=actor_type))
        if sorted(order) != sorted(rows):
            unknown = [f for f in order if f not in rows]
            if unknown:
                raise RefusedError(msg("'{field}' is not a field of {actor}.", field=unknown[0],
                                       actor=actor_type))
            raise RefusedError(msg("The order must list every field of {actor} exactly once.",
                                   actor=actor_type))
        bump_version(session, connection, expected_version)
        for rank, key in enumerate(order, start=1):
            if rows[key].rank != rank:
                rows[key].rank = rank
                session.add(rows[key])
        return connection.version


def move_field(order: list[str], field: str, delta: int) -> list[str]:
    """`order` with `field` moved `delta` places (negative = up), clamped to the ends."""
    from erp_tui.services.connections import move_in_order

    if field not in order:
        raise RefusedError(msg("'{field}' is not in the list.", field=field))
    moved, _ = move_in_order(order, order.index(field), delta)
    return moved
