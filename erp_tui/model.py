"""The store's tables (SQLModel). Schema changes go through Alembic migrations in `migrations/`.

The CRM entity tables are built from the CRM catalog (`erp_tui.crm_catalog`), where each standard
CRM field is declared once.
"""

from __future__ import annotations

import types
from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    func,
)
from sqlalchemy.orm import attributes
from sqlmodel import Field, SQLModel

from erp_tui.contract import FieldType
from erp_tui.crm_catalog import (
    COMPANY,
    CRM_ENTITIES,
    CRM_FIELDS,
    PERSON,
    PROJECT,
    CrmField,
    entity_label,
    parent_column,
)
from erp_tui.metadata_names import NamesByLanguage, names_language, shown_text
from erp_tui.sync_marks import LinkState


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


_NOW: dict[str, Any] = {"server_default": func.now()}


def _names_by_language() -> Any:
    """The `labels` column of the ERP metadata cache: the names in every language
    (`erp_tui.metadata_names`); `{}` for rows cached before it existed."""
    return Field(default_factory=dict,
                 sa_column=Column(JSON, nullable=False, server_default="{}"))


def _text(max_length: int) -> Any:
    """A CRM text column: empty by default, also for rows inserted in bulk by the runner."""
    return Field(default="", max_length=max_length, sa_column_kwargs={"server_default": ""})


def _connection_fk() -> Any:
    return Column(Integer, ForeignKey("connection.id", ondelete="CASCADE"), primary_key=True)


# ---- configuration ---------------------------------------------------------------------------

class Connection(SQLModel, table=True):
    """One configured use of a connector (one ERP company/client)."""

    __tablename__ = "connection"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, sa_column_kwargs={"unique": True})
    connector: str = Field(max_length=100)
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Secret config values (password fields), each encrypted at rest.
    secrets: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    active: bool = False
    # "" = not chosen yet, "everyone", or "chosen" (then scope_members lists users/groups).
    scope: str = Field(default="", max_length=20)
    scope_members: list[str] = Field(default_factory=list,
                                     sa_column=Column(JSON, nullable=False))
    conflict_policy: str = Field(default="erp_wins", max_length=20)
    allow_import: bool = True
    # Seconds of ERP history re-read on every incremental run (clock skew, late commits).
    lag_seconds: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    priority: int = 0
    last_test_ok: bool | None = None
    last_test_at: datetime | None = None
    last_test_message: str = ""
    # Fingerprint of the config values that last passed the connection test.
    tested_fingerprint: str = Field(default="", max_length=128)
    last_sync_at: datetime | None = None
    status: str = Field(default="", max_length=200)
    # Optimistic locking: every change bumps it; a stale save is refused.
    version: int = 1
    created: datetime = Field(default_factory=utc_now)
    updated: datetime = Field(default_factory=utc_now)


class ErpActorType(SQLModel, table=True):
    """Cached ERP metadata: an actor type of a connection. `label` is the connector's own
    name, `labels` the names per language; a loaded row shows the current label language's."""

    __tablename__ = "erp_actor_type"

    connection_id: int = Field(sa_column=_connection_fk())
    key: str = Field(primary_key=True, max_length=100)
    label: str = Field(max_length=200)
    parent_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    position: int = 0
    labels: NamesByLanguage = _names_by_language()


class ErpField(SQLModel, table=True):
    """Cached ERP metadata: a field of an actor type. `label` and `description` are the
    connector's own, `labels` those per language; a loaded row shows the current label
    language's."""

    __tablename__ = "erp_field"

    connection_id: int = Field(sa_column=_connection_fk())
    actor_type: str = Field(primary_key=True, max_length=100)
    key: str = Field(primary_key=True, max_length=200)
    label: str = Field(max_length=200)
    description: str = ""
    type: str = Field(max_length=20)
    list_name: str = Field(default="", max_length=200)
    default_value: str = ""
    max_length: int = 0
    access: str = Field(default="normal", max_length=20)
    searchable: bool = False
    position: int = 0
    labels: NamesByLanguage = _names_by_language()


class ErpListItem(SQLModel, table=True):
    """Cached ERP metadata: one item of an ERP list. `text` is the connector's own text,
    `labels` the texts per language; a loaded row shows the current label language's."""

    __tablename__ = "erp_list_item"

    connection_id: int = Field(sa_column=_connection_fk())
    list_name: str = Field(primary_key=True, max_length=200)
    key: str = Field(primary_key=True, max_length=200)
    text: str = ""
    position: int = 0
    labels: NamesByLanguage = _names_by_language()


# The texts each cached metadata model shows in the current label language (`names_language`).
_SHOWN_TEXTS: dict[type[SQLModel], tuple[str, ...]] = {
    ErpActorType: ("label",), ErpField: ("label", "description"), ErpListItem: ("text",)}


def _show_in_language(target: SQLModel, _context: object,
                      attrs: Collection[str] | None = None) -> None:
    """Show a loaded metadata row's texts in the current label language: set as committed
    values, so the row is not dirty and a flush never writes them over the stored texts."""
    loaded = attributes.instance_dict(target)
    names = loaded.get("labels")
    if not names:
        return
    language = names_language()
    for column in _SHOWN_TEXTS[type(target)]:
        if column in loaded and (attrs is None or column in attrs or "labels" in attrs):
            attributes.set_committed_value(
                target, column, shown_text(names, column, loaded[column], language))


for _model in _SHOWN_TEXTS:
    event.listen(_model, "load", _show_in_language)
    event.listen(_model, "refresh", _show_in_language)


class ActorMapping(SQLModel, table=True):
    """Which CRM entity an actor type syncs with, and whether that sync is enabled."""

    __tablename__ = "actor_mapping"

    connection_id: int = Field(sa_column=_connection_fk())
    actor_type: str = Field(primary_key=True, max_length=100)
    crm_entity: str = Field(max_length=50)
    enabled: bool = False


class FieldMapping(SQLModel, table=True):
    """Per ERP field: CRM field, direction, visibility, rank."""

    __tablename__ = "field_mapping"

    connection_id: int = Field(sa_column=_connection_fk())
    actor_type: str = Field(primary_key=True, max_length=100)
    erp_field: str = Field(primary_key=True, max_length=200)
    crm_field: str | None = Field(default=None, max_length=100)
    to_crm: bool = False
    to_erp: bool = False
    show_in_search: bool = False
    show_on_tab: bool = True
    rank: int = 0
    missing_in_erp: bool = False


class ListMapping(SQLModel, table=True):
    """One ERP list item mapped to one CRM list item (or to nothing)."""

    __tablename__ = "list_mapping"

    connection_id: int = Field(sa_column=_connection_fk())
    erp_list: str = Field(primary_key=True, max_length=200)
    crm_list: str = Field(primary_key=True, max_length=100)
    erp_key: str = Field(primary_key=True, max_length=200)
    crm_key: str | None = Field(default=None, max_length=200)


class SyncDefault(SQLModel, table=True):
    """Sync default of an ERP field: fixed value and/or ask the user, and mandatory."""

    __tablename__ = "sync_default"

    connection_id: int = Field(sa_column=_connection_fk())
    actor_type: str = Field(primary_key=True, max_length=100)
    erp_field: str = Field(primary_key=True, max_length=200)
    set_value: bool = False
    value: str = ""
    ask_user: bool = False
    mandatory: bool = False


# ---- the embedded CRM ------------------------------------------------------------------------

# Slot columns of user-defined CRM fields per entity table (see `CrmUserField`).
USER_FIELD_SLOTS = tuple(f"udf_{n:02}" for n in range(1, 21))


def _slot() -> Any:
    """A user-defined field's slot: the value's canonical text ("" when empty)."""
    return Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})


class UserFieldSlots(SQLModel):
    """The slot columns every CRM entity table has for user-defined fields."""

    udf_01: str = _slot()
    udf_02: str = _slot()
    udf_03: str = _slot()
    udf_04: str = _slot()
    udf_05: str = _slot()
    udf_06: str = _slot()
    udf_07: str = _slot()
    udf_08: str = _slot()
    udf_09: str = _slot()
    udf_10: str = _slot()
    udf_11: str = _slot()
    udf_12: str = _slot()
    udf_13: str = _slot()
    udf_14: str = _slot()
    udf_15: str = _slot()
    udf_16: str = _slot()
    udf_17: str = _slot()
    udf_18: str = _slot()
    udf_19: str = _slot()
    udf_20: str = _slot()


class CrmUserField(SQLModel, table=True):
    """A user-defined CRM field: which slot column of its entity's table holds it."""

    __tablename__ = "crm_user_field"
    __table_args__ = (Index("ux_crm_user_field_key", "entity", "key", unique=True),
                      Index("ux_crm_user_field_slot", "entity", "slot", unique=True))

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=50)
    key: str = Field(max_length=100)
    label: str = Field(max_length=200)
    label_nl: str = Field(default="", max_length=200)
    # A contract FieldType value: text, integer, double, date, checkbox or list.
    type: str = Field(max_length=20)
    list_name: str = Field(default="", max_length=100)
    max_length: int = 0
    slot: str = Field(max_length=10)
    position: int = 0


class CrmListItem(SQLModel, table=True):
    """An item of a CRM list (category, business, country, ...)."""

    __tablename__ = "crm_list_item"

    list_name: str = Field(primary_key=True, max_length=100)
    key: str = Field(primary_key=True, max_length=200)
    text: str = ""
    position: int = 0


class CrmRecord(UserFieldSlots):
    """The columns every CRM entity table has besides its catalog fields: the id, the times,
    the change stamp (one counter per table: what changed since a push) and the slots."""

    id: int | None = Field(default=None, primary_key=True)
    created: datetime = Field(default_factory=utc_now, sa_column_kwargs=_NOW)
    updated: datetime = Field(default_factory=utc_now, sa_column_kwargs=_NOW)
    change_stamp: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


# A list field's column holds the key of one list item.
LIST_KEY_LENGTH = 50


def crm_table_name(entity: str) -> str:
    """The table of a CRM entity."""
    return f"crm_{entity}"


def _field_column(field: CrmField) -> tuple[Any, Any]:
    """(annotation, Field) of the column of a standard CRM field."""
    if field.type is FieldType.TEXT and field.max_length:
        return str, _text(field.max_length)
    if field.type is FieldType.TEXT:
        return str, Field(default="", sa_column=Column(String, nullable=False, server_default=""))
    if field.type is FieldType.LIST:
        return str | None, Field(default=None, max_length=LIST_KEY_LENGTH)
    if field.type is FieldType.DATE:
        return date | None, Field(default=None)
    raise ValueError(f"The CRM field {field.key!r} has a type without a column "
                     f"({field.type.value}).")


def _parent_column() -> Any:
    """A record's parent company: emptied when the company is deleted."""
    parent = Column(Integer, ForeignKey(f"{crm_table_name(COMPANY)}.id", ondelete="SET NULL"),
                    index=True)
    return Field(default=None, sa_column=parent)


def _crm_entity_table(entity: str) -> type[CrmRecord]:
    """The table of a CRM entity: `CrmRecord`'s columns, the parent column (if the entity has
    one) and a column per standard field of the catalog."""
    name = crm_table_name(entity)
    annotations: dict[str, Any] = {}
    body: dict[str, Any] = {
        "__module__": __name__, "__tablename__": name,
        "__doc__": f"CRM {entity_label(entity)} ({entity_label(entity, 'nl')}).",
        "__table_args__": (Index(f"ix_{name}_change_stamp", "change_stamp"),),
        "__annotations__": annotations}
    parent = parent_column(entity)
    if parent is not None:
        annotations[parent], body[parent] = int | None, _parent_column()
    for field in CRM_FIELDS[entity]:
        if field.column not in CrmRecord.model_fields:
            annotations[field.column], body[field.column] = _field_column(field)
    table = types.new_class(f"Crm{entity.capitalize()}", (CrmRecord,), {"table": True},
                            lambda namespace: namespace.update(body))
    return cast(type[CrmRecord], table)


# The CRM entity tables by entity; their fields are declared once, in erp_tui.crm_catalog.
CRM_MODELS: dict[str, type[CrmRecord]] = {e: _crm_entity_table(e) for e in CRM_ENTITIES}
CrmCompany = CRM_MODELS[COMPANY]
CrmPerson = CRM_MODELS[PERSON]
CrmProject = CRM_MODELS[PROJECT]


# ---- the runner ------------------------------------------------------------------------------

class Link(SQLModel, table=True):
    """The pairing of one CRM record with one ERP actor in one connection."""

    __tablename__ = "link"
    __table_args__ = (
        Index("ux_link_erp", "connection_id", "actor_type", "erp_key", unique=True),
        Index("ux_link_crm", "connection_id", "crm_entity", "crm_id", unique=True),
        # A record's links across connections (records screen, ERP tab).
        Index("ix_link_record", "crm_entity", "crm_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    connection_id: int = Field(sa_column=Column(
        Integer, ForeignKey("connection.id", ondelete="CASCADE"), nullable=False))
    actor_type: str = Field(max_length=100)
    erp_key: str = Field(max_length=200)
    crm_entity: str = Field(max_length=50)
    crm_id: int
    # LINKED, or DELETED_IN_ERP once the ERP reported the actor deleted.
    state: str = Field(default=LinkState.LINKED.value, max_length=20)
    # Last synced value of every synced field (encoded; see erp_tui.runner.values).
    snapshot: str = Field(default="", sa_column=Column(String, nullable=False, server_default=""))
    # CRM change stamp up to which this record is in sync.
    crm_stamp: int = 0
    # ERP last-modified of the actor as last seen.
    erp_modified: str = Field(default="", max_length=40)
    created_run: int | None = None


class SyncState(SQLModel, table=True):
    """Incremental cursors of one connection and actor type."""

    __tablename__ = "sync_state"

    connection_id: int = Field(sa_column=_connection_fk())
    actor_type: str = Field(primary_key=True, max_length=100)
    erp_modified: str = Field(default="", max_length=40)
    erp_key: str = Field(default="", max_length=200)
    crm_stamp: int = 0
    # PostgreSQL store: a CRM stamp the push cursor may pass once every transaction that was
    # in flight when it was read has ended (`crm_pending_xid`: that moment's snapshot xmax);
    # 0 when none is pending. See erp_tui/runner/stamp_horizon.py.
    crm_pending_stamp: int = Field(default=0, sa_column=Column(
        BigInteger, nullable=False, server_default="0"))
    crm_pending_xid: int = Field(default=0, sa_column=Column(
        BigInteger, nullable=False, server_default="0"))
    # The field keys a link snapshot holds, in order (JSON list).
    snapshot_fields: list[str] = Field(default_factory=list,
                                       sa_column=Column(JSON, nullable=False))


class SyncRun(SQLModel, table=True):
    """One run of one connection."""

    __tablename__ = "sync_run"

    id: int | None = Field(default=None, primary_key=True)
    connection_id: int = Field(sa_column=Column(
        Integer, ForeignKey("connection.id", ondelete="CASCADE"), nullable=False, index=True))
    started: datetime = Field(default_factory=utc_now)
    ended: datetime | None = None
    # "running", "finished", "cancelled", "failed", "interrupted" (its process died)
    status: str = Field(default="running", max_length=20)
    kind: str = Field(default="sync", max_length=20)
    created: int = 0
    updated: int = 0
    pushed: int = 0
    unchanged: int = 0
    deleted: int = 0
    conflicts: int = 0
    errors: int = 0
    cursor_before: str = ""
    cursor_after: str = ""
    message: str = ""
    # Which process ran it (host name, process id) and when it last showed it was alive.
    host: str = Field(default="", max_length=255, sa_column_kwargs={"server_default": ""})
    pid: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_seen: datetime | None = None


class ChangeLog(SQLModel, table=True):
    """One field change made by a run (`field` '*' marks a link deleted in the ERP).

    Records a run creates are not logged field by field (an initial sync creates millions):
    their links carry `created_run`, and the run its `created` count.
    """

    __tablename__ = "change_log"
    __table_args__ = (Index("ix_change_log_run", "run_id"),
                      Index("ix_change_log_link", "link_id"))

    id: int | None = Field(default=None, primary_key=True)
    run_id: int
    link_id: int | None = None
    actor_type: str = Field(max_length=100)
    erp_key: str = Field(max_length=200)
    crm_id: int | None = None
    field: str = Field(max_length=200)
    # ">" ERP→CRM, "<" CRM→ERP; `conflict` tells a change that settled a conflict.
    direction: str = Field(max_length=2)
    old_value: str | None = None
    new_value: str | None = None
    conflict: bool = False
    at: datetime = Field(default_factory=utc_now)


class SyncError(SQLModel, table=True):
    """A record (or batch) a run could not sync; retryable until resolved."""

    __tablename__ = "sync_error"
    __table_args__ = (Index("ix_sync_error_open", "connection_id", "resolved"),
                      Index("ix_sync_error_crm", "crm_id"))

    id: int | None = Field(default=None, primary_key=True)
    run_id: int
    connection_id: int = Field(sa_column=Column(
        Integer, ForeignKey("connection.id", ondelete="CASCADE"), nullable=False))
    actor_type: str = Field(max_length=100)
    erp_key: str = Field(default="", max_length=200)
    crm_id: int | None = None
    direction: str = Field(max_length=2)
    message: str = ""
    tech_message: str = ""
    resolved: bool = False
    at: datetime = Field(default_factory=utc_now)
