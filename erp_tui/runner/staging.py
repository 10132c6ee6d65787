"""Bulk creation of CRM records and their links through a staging table.

An initial sync creates millions of records. Building two Python tuples per record and binding
every value twice (record, then link) was most of its time, so a page of new records is bound
once into a temporary table (with the link's snapshot text, joined in Python: concatenating in
SQL was slower), and SQL copies it into the CRM table and the link table. On PostgreSQL the rows
reach the temporary table by COPY (erp_tui.runner.pg_copy).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    cast,
    func,
    insert,
    select,
)
from sqlalchemy.sql import ColumnElement

from erp_tui.runner import pg_copy


@dataclass(frozen=True)
class NewRecordsShape:
    """What one actor type's new records look like (fixed for a run)."""

    crm_table: Table
    link_table: Table
    # CRM column of each staged value column, in order.
    crm_columns: Sequence[str]
    date_columns: frozenset[str]
    # The CRM column pointing to the record's parent (filled from the staged parent ids), or
    # None when the records have no parent.
    parent_column: str | None


def _stage_table(width: int) -> Table:
    """The (temporary) staging table for `width` value columns."""
    return Table(f"erp_stage_{width}", MetaData(),
                 Column("crm_id", Integer), Column("stamp", Integer),
                 Column("erp_key", String), Column("modified", String),
                 Column("parent_id", Integer), Column("snapshot", String),
                 *[Column(f"v{j}", String) for j in range(width)],
                 prefixes=["TEMPORARY"])


# The schema a page staged by the page-reader process is attached as (SQLite stores only).
PAGE_SCHEMA = "erp_page"


def _page_table(width: int) -> Table:
    """The table of a page staged in the reader process: `n` counts the rows from 1."""
    return Table("stage", MetaData(), Column("n", Integer, primary_key=True),
                 Column("erp_key", String), Column("modified", String),
                 Column("snapshot", String), *[Column(f"v{j}", String) for j in range(width)],
                 schema=PAGE_SCHEMA)


def can_attach_pages(dialect: str) -> bool:
    """True when pages staged by the reader process can be attached to a store of `dialect`."""
    return dialect == "sqlite" and hasattr(sqlite3.Connection, "deserialize")


def _column_specs(stage: Table) -> list[pg_copy.ColumnSpec]:
    """(name, SQL type) of the staging table's columns on PostgreSQL."""
    return [(c.name, "bigint" if isinstance(c.type, Integer) else "text")
            for c in stage.columns]


def _ensure_stage(conn: Connection, stage: Table) -> None:
    columns = ", ".join(f"{c.name} {'INTEGER' if isinstance(c.type, Integer) else 'TEXT'}"
                        for c in stage.columns)
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage.name} ({columns})")


def _stage_rows(conn: Connection, stage: Table, rows: Iterable[tuple[Any, ...]]) -> None:
    """Bind the rows straight through the DBAPI cursor (an iterator: no list is built)."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {stage.name} ({', '.join(c.name for c in stage.columns)}) "
           f"VALUES ({', '.join([mark] * len(stage.columns))})")
    cursor = conn.connection.cursor()
    many: Any = rows  # sqlite3 and psycopg both take any iterable of rows
    try:
        cursor.executemany(sql, many)
    finally:
        cursor.close()


def _as_date(dialect: str, value: ColumnElement[Any]) -> ColumnElement[Any]:
    """Canonical ISO text as the value of a date column (NULL when empty)."""
    text = func.nullif(func.substr(value, 1, 10), "")
    return text if dialect == "sqlite" else cast(text, Date)


class NewRecordWriter:
    """Creates CRM records and their links for one actor type (statements built once)."""

    LINK_SHARED = ("connection_id", "actor_type", "crm_entity", "state", "created_run")

    def __init__(self, shape: NewRecordsShape) -> None:
        self.shape = shape
        self.stage = _stage_table(len(shape.crm_columns))
        self._statements: dict[str, tuple[Any, Any]] = {}

    def _build(self, dialect: str, stage: Table | None = None) -> tuple[Any, Any]:
        """The two INSERT … SELECT statements, from this process's staging table, or from
        an attached staged page (ids and stamps then count on from `id0` and `stamp0`)."""
        shape = self.shape
        if stage is None:
            stage = self.stage
            crm_id: ColumnElement[Any] = stage.c.crm_id
            stamp: ColumnElement[Any] = stage.c.stamp
        else:
            crm_id = stage.c.n + bindparam("id0", type_=Integer())
            stamp = stage.c.n + bindparam("stamp0", type_=Integer())
        values = [stage.c[f"v{j}"] for j in range(len(shape.crm_columns))]
        crm_columns: list[str] = ["id", "change_stamp", *shape.crm_columns]
        crm_values: list[ColumnElement[Any]] = [
            crm_id, stamp,
            *(_as_date(dialect, v) if c in shape.date_columns else v
              for c, v in zip(shape.crm_columns, values, strict=True))]
        if shape.parent_column is not None:
            crm_columns.append(shape.parent_column)
            crm_values.append(stage.c.parent_id)
        crm_columns += ["created", "updated"]
        crm_values += [bindparam("now"), bindparam("now")]
        records = insert(shape.crm_table).from_select(crm_columns, select(*crm_values))
        link_types = {"connection_id": Integer(), "created_run": Integer()}
        links = insert(shape.link_table).from_select(
            [*self.LINK_SHARED, "erp_key", "crm_id", "snapshot", "crm_stamp", "erp_modified"],
            select(*(bindparam(name, type_=link_types.get(name, String())).label(name)
                     for name in self.LINK_SHARED),
                   stage.c.erp_key, crm_id, stage.c.snapshot, stamp, stage.c.modified))
        return records, links

    def write(self, conn: Connection, rows: Iterable[tuple[Any, ...]],
              link_values: dict[str, Any], now: Any) -> None:
        """Create records and links from rows of
        (crm id, change stamp, erp key, last modified, parent crm id, snapshot text,
        *canonical values).

        `link_values` holds the columns every new link shares (LINK_SHARED); `now` is the
        created/updated time in the driver's form.
        """
        dialect = conn.dialect.name
        if dialect not in self._statements:
            self._statements[dialect] = self._build(dialect)
        records, links = self._statements[dialect]
        if pg_copy.is_postgresql(conn):
            pg_copy.stage(conn, self.stage.name, _column_specs(self.stage), rows)
            conn.execute(records, {"now": now})
            conn.execute(links, link_values)
            return
        _ensure_stage(conn, self.stage)
        _stage_rows(conn, self.stage, rows)
        conn.execute(records, {"now": now})
        conn.execute(links, link_values)
        conn.exec_driver_sql(f"DELETE FROM {self.stage.name}")

    def write_staged(self, conn: Connection, data: bytes, first_id: int, first_stamp: int,
                     link_values: dict[str, Any], now: Any) -> None:
        """Create records and links from a page staged by the reader process (SQLite stores
        only, see `can_attach_pages`): ids and stamps count on from `first_id` and
        `first_stamp`. Call before any other write of the transaction."""
        if "staged" not in self._statements:
            self._statements["staged"] = self._build(
                "sqlite", _page_table(len(self.shape.crm_columns)))
        records, links = self._statements["staged"]
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        # (Deserializing into a schema that is not attached fails without a proper error.)
        if PAGE_SCHEMA not in {row[1] for row in raw.execute("PRAGMA database_list")}:
            raw.execute(f"ATTACH DATABASE ':memory:' AS {PAGE_SCHEMA}")
        raw.deserialize(data, name=PAGE_SCHEMA)
        offsets = {"id0": first_id - 1, "stamp0": first_stamp - 1}
        conn.execute(records, {"now": now, **offsets})
        conn.execute(links, {**link_values, **offsets})
