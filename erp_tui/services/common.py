"""Helpers shared by the services: finding a connection, the inactive rule, optimistic locking."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from erp_tui.contract import FieldAccess, FieldType
from erp_tui.crm_catalog import COMPANY, PERSON, PROJECT, entity_label
from erp_tui.errors import ConnectionActiveError, NotFoundError, StaleEditError
from erp_tui.i18n import N_, Msg, msg
from erp_tui.model import Connection, ErpField, ErpListItem, utc_now
from erp_tui.rules import ErpFieldView

ConnectionRef = int | str
# entity -> its name in a sentence: (at the start, inside).
_ENTITY_NAMES = {COMPANY: (N_("Company"), N_("company")), PERSON: (N_("Person"), N_("person")),
                 PROJECT: (N_("Project"), N_("project"))}


def entity_name(entity: str, *, lower: bool = False) -> str:
    """A CRM entity's name as a message parameter (translated where it is shown)."""
    names = _ENTITY_NAMES.get(entity)
    if names is None:
        label = entity_label(entity)
        return label.lower() if lower else label
    return Msg(names[1] if lower else names[0])


def get_connection(session: Session, ref: ConnectionRef) -> Connection:
    """The connection with this id or name; NotFoundError otherwise."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        found = session.get(Connection, int(ref))
        if found is not None:
            return found
    found = session.exec(select(Connection).where(Connection.name == str(ref))).first()
    if found is None:
        raise NotFoundError(msg("There is no connection named '{name}'; "
                                "'erp-tui connections list' shows them.", name=ref))
    return found


def require_inactive(connection: Connection) -> None:
    """Rule 1: a connection is edited only while inactive."""
    if connection.active:
        raise ConnectionActiveError(msg(
            "Connection '{name}' is active; deactivate it first "
            "(deactivate → change → test → OK → reactivate).", name=connection.name))


def bump_version(session: Session, connection: Connection,
                 expected_version: int | None = None) -> None:
    """Claim the connection for this change: refuse if someone else changed it meanwhile."""
    seen = connection.version if expected_version is None else expected_version
    result = session.execute(
        update(Connection)
        .where(col(Connection.id) == connection.id, col(Connection.version) == seen)
        .values(version=seen + 1, updated=utc_now())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise StaleEditError(msg(
            "Connection '{name}' was changed by someone else since you opened it; "
            "reopen it and apply your change again (nothing was saved).", name=connection.name))
    connection.version = seen + 1


def message_of(error: BaseException) -> str:
    """The message an error was raised with (a `Msg` stays one), else its text."""
    if len(error.args) == 1 and isinstance(error.args[0], str):
        return error.args[0]
    return str(error)


def field_view(row: ErpField, missing: bool = False) -> ErpFieldView:
    """The rule-level view of a cached ERP field."""
    return ErpFieldView(key=row.key, label=row.label, type=FieldType(row.type),
                        access=FieldAccess(row.access), list_name=row.list_name,
                        max_length=row.max_length, missing=missing)


def erp_fields(session: Session, connection_id: int, actor_type: str) -> list[ErpField]:
    """Cached ERP fields of an actor type, in the ERP's order."""
    return list(session.exec(
        select(ErpField).where(ErpField.connection_id == connection_id,
                               ErpField.actor_type == actor_type)
        .order_by(col(ErpField.position))))


def erp_list_items(session: Session, connection_id: int, list_name: str) -> dict[str, str]:
    """Cached items (key -> text) of an ERP list, in the ERP's order."""
    rows = session.exec(
        select(ErpListItem).where(ErpListItem.connection_id == connection_id,
                                  ErpListItem.list_name == list_name)
        .order_by(col(ErpListItem.position)))
    return {row.key: row.text for row in rows}
