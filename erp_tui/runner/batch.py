"""One batch of a run's writes: what the planning decided, applied in one transaction (CRM
records and values, links, the CRM cursor, log rows and errors). On a PostgreSQL store the rows
go by COPY, and updates are merged from staging tables (erp_tui.runner.pg_copy)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection as DbConnection
from sqlalchemy import bindparam, insert, update

from erp_tui.crm_catalog import parent_column
from erp_tui.model import utc_now
from erp_tui.runner import crm, pg_copy, staging
from erp_tui.runner.layout import FieldLayout
from erp_tui.runner.plan import ActorPlan
from erp_tui.runner.shapes import LinkState, StagedPage, StampRange
from erp_tui.runner.tables import ERRORS, LINK, LOG, STATE


@dataclass
class Batch:
    """The writes of one batch, applied in one transaction."""

    # Rows of (crm id, stamp, erp key, last modified, parent crm id, snapshot text,
    # *canonical values) for new records and their links (see erp_tui.runner.staging).
    new_records: list[Iterable[tuple[Any, ...]]] = field(default_factory=list)
    # Pages of new records staged by the reader process.
    staged_pages: list[StagedPage] = field(default_factory=list)
    # CRM id -> changed column values, and the record's new change stamp.
    crm_updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    crm_stamps: dict[int, int] = field(default_factory=dict)
    # Parameters of link updates (see `update_link`), log rows and error rows.
    link_updates: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def update_link(self, link_id: int, state: str, snapshot: str, crm_stamp: int,
                    erp_modified: str | None) -> None:
        """Set a link's state, snapshot and CRM stamp (and its ERP last-modified unless None)."""
        self.link_updates.append({"b_id": link_id, "b_state": state, "b_snapshot": snapshot,
                                  "b_stamp": crm_stamp, "b_modified": erp_modified})


class BatchWriter:
    """Writes the batches of one actor type (statements for new records built once)."""

    def __init__(self, plan: ActorPlan, run_id: int, layout: FieldLayout) -> None:
        self.plan = plan
        self.run_id = run_id
        self.new_records = staging.NewRecordWriter(staging.NewRecordsShape(
            crm_table=crm.table(plan.crm_entity), link_table=LINK,
            crm_columns=layout.crm_columns, date_columns=layout.date_columns,
            parent_column=parent_column(plan.crm_entity) if plan.parent_types else None))

    def write(self, conn: DbConnection, batch: Batch, stamps: StampRange | None = None) -> None:
        """Apply `batch`; with `stamps`, move the CRM cursor past the batch's own CRM writes."""
        plan = self.plan
        if batch.new_records or batch.staged_pages:
            now = crm.db_datetime(conn, datetime.now(UTC))
            link_values = {"connection_id": plan.connection_id, "actor_type": plan.actor_type,
                           "crm_entity": plan.crm_entity, "state": LinkState.LINKED,
                           "created_run": self.run_id}
            for staged in batch.staged_pages:
                self.new_records.write_staged(conn, staged.data, staged.first_id,
                                              staged.first_stamp, link_values, now)
            for rows in batch.new_records:
                self.new_records.write(conn, rows, link_values, now)
        postgresql = pg_copy.is_postgresql(conn)
        if batch.crm_updates:
            if postgresql:
                pg_copy.update_records(conn, crm.table(plan.crm_entity), batch.crm_updates,
                                       batch.crm_stamps, utc_now())
            else:
                crm.update_values(conn, plan.crm_entity, batch.crm_updates, batch.crm_stamps)
        if stamps is not None and stamps.after != stamps.before:
            # The runner's own CRM writes need no pushing: when the CRM cursor stood at the
            # newest stamp before this batch, move it past the batch's stamps.
            conn.execute(update(STATE).where(
                STATE.c.connection_id == plan.connection_id,
                STATE.c.actor_type == plan.actor_type,
                STATE.c.crm_stamp == stamps.before).values(crm_stamp=stamps.after))
        if batch.link_updates and postgresql:
            pg_copy.update_links(conn, LINK, batch.link_updates)
        elif batch.link_updates:
            conn.execute(update(LINK).where(LINK.c.id == bindparam("b_id")).values(
                state=bindparam("b_state"), snapshot=bindparam("b_snapshot"),
                crm_stamp=bindparam("b_stamp")), batch.link_updates)
            modified = [u for u in batch.link_updates if u["b_modified"]]
            if modified:
                conn.execute(update(LINK).where(LINK.c.id == bindparam("b_id")).values(
                    erp_modified=bindparam("b_modified")), modified)
        if batch.logs and postgresql:
            pg_copy.insert_rows(conn, LOG, batch.logs)
        elif batch.logs:
            conn.execute(insert(LOG), batch.logs)
        if batch.errors and postgresql:
            pg_copy.insert_rows(conn, ERRORS, batch.errors)
        elif batch.errors:
            conn.execute(insert(ERRORS), batch.errors)
