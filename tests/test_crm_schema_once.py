"""The CRM schema is declared once: the catalog's fields, the entity tables and the migrated
database agree (columns, types, lengths, parent columns), and actor types sync parents first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Date, DateTime, Integer, String, Table, Text, TypeDecorator, inspect

from erp_tui.contract import FieldType
from erp_tui.crm_catalog import (
    ACTOR_TYPE_ORDER,
    COMPANY,
    CRM_ENTITIES,
    CRM_FIELDS,
    DEFAULT_ENTITY_FOR_ACTOR,
    ENTITY_LABELS,
    CrmField,
    actor_type_rank,
    parent_column,
)
from erp_tui.db import make_engine, upgrade
from erp_tui.model import CRM_MODELS, LIST_KEY_LENGTH, USER_FIELD_SLOTS, crm_table_name
from erp_tui.runner import crm

# Columns of every entity table that are no field of the catalog.
BOOKKEEPING = frozenset({"change_stamp"})


def _table(entity: str) -> Table:
    table: Table = CRM_MODELS[entity].__table__  # type: ignore[attr-defined]
    return table


def _stored_type(column_type: Any) -> Any:
    """The type the database stores (a decorated type's implementation)."""
    return column_type.impl_instance if isinstance(column_type, TypeDecorator) else column_type


def _column_kind(field: CrmField) -> tuple[type[Any], int | None, bool]:
    """(SQLAlchemy type, length, nullable) the column of a standard field must have."""
    if field.key == "id":
        return Integer, None, False
    if field.type is FieldType.TEXT:
        return String, field.max_length or None, False
    if field.type is FieldType.LIST:
        return String, LIST_KEY_LENGTH, True
    if field.type is FieldType.DATE:
        return Date, None, True
    if field.type is FieldType.DATETIME:
        return DateTime, None, False
    raise AssertionError(f"{field.key}: a standard field of type {field.type.value}")


def test_every_entity_is_declared_alike_everywhere() -> None:
    assert tuple(CRM_FIELDS) == CRM_ENTITIES == tuple(ENTITY_LABELS) == tuple(CRM_MODELS)
    for entity in CRM_ENTITIES:
        assert _table(entity).name == crm_table_name(entity)
        assert crm.table(entity) is _table(entity)


@pytest.mark.parametrize("entity", CRM_FIELDS)
def test_every_catalog_field_has_a_column_of_its_type_and_length(entity: str) -> None:
    table = _table(entity)
    for field in CRM_FIELDS[entity]:
        assert not field.user_defined
        assert field.column in table.c, f"{entity}.{field.key} has no column"
        column = table.c[field.column]
        stored = _stored_type(column.type)
        kind, length, nullable = _column_kind(field)
        assert isinstance(stored, kind), f"{entity}.{field.key}: {column.type!r}"
        assert not isinstance(stored, Text), f"{entity}.{field.key}: {column.type!r}"
        assert getattr(stored, "length", None) == length, f"{entity}.{field.key}"
        assert column.nullable is nullable, f"{entity}.{field.key}"
        assert field.read_only == (field.key in ("id", "created", "updated"))


@pytest.mark.parametrize("entity", CRM_FIELDS)
def test_every_column_is_a_catalog_field_a_slot_or_bookkeeping(entity: str) -> None:
    table = _table(entity)
    fields = {f.column for f in CRM_FIELDS[entity]}
    parent = {parent_column(entity)} - {None}
    slots = {c.name for c in table.columns if c.name.startswith("udf_")}
    assert slots == set(USER_FIELD_SLOTS)
    assert all(isinstance(table.c[slot].type, Text) for slot in slots)
    assert set(table.c.keys()) == fields | parent | slots | BOOKKEEPING
    assert not fields & (parent | slots | BOOKKEEPING)


@pytest.mark.parametrize("entity", CRM_FIELDS)
def test_the_parent_column_is_the_only_foreign_key(entity: str) -> None:
    table = _table(entity)
    keys = {(fk.parent.name, fk.column.table.name) for fk in table.foreign_keys}
    parent = parent_column(entity)
    expected = set() if parent is None else {(parent, crm_table_name(COMPANY))}
    assert keys == expected
    assert parent_column(COMPANY) is None


def test_the_migrated_database_has_the_catalog_columns(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite'}")
    upgrade(engine)
    inspector = inspect(engine)
    for entity, fields in CRM_FIELDS.items():
        name = crm_table_name(entity)
        columns = {c["name"]: c for c in inspector.get_columns(name)}
        for field in fields:
            kind, length, nullable = _column_kind(field)
            column = columns[field.column]
            assert isinstance(column["type"], kind), f"{entity}.{field.key}"
            assert getattr(column["type"], "length", None) == length, f"{entity}.{field.key}"
            assert column["nullable"] is nullable, f"{entity}.{field.key}"
        foreign = {(tuple(fk["constrained_columns"]), fk["referred_table"])
                   for fk in inspector.get_foreign_keys(name)}
        parent = parent_column(entity)
        assert foreign == (set() if parent is None
                           else {((parent,), crm_table_name(COMPANY))})
    engine.dispose()


def test_actor_types_sync_parents_first() -> None:
    assert set(ACTOR_TYPE_ORDER) == set(DEFAULT_ENTITY_FOR_ACTOR)
    ranks = {t: actor_type_rank(t) for t in ACTOR_TYPE_ORDER}
    parents = [r for t, r in ranks.items() if DEFAULT_ENTITY_FOR_ACTOR[t] == COMPANY]
    children = [r for t, r in ranks.items()
                if parent_column(DEFAULT_ENTITY_FOR_ACTOR[t]) is not None]
    assert children and max(parents) < min(children)
    assert sorted(["Person", "Zulu", "Customer", "Alpha"], key=actor_type_rank) == [
        "Customer", "Person", "Alpha", "Zulu"]
