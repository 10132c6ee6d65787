"""shared store: which process runs a run, change stamps from sequences, a pending push horizon

`sync_run` records the host and process id of a run and when it was last seen alive, so that a
run whose process died can be told apart (status "interrupted"). On PostgreSQL, CRM change
stamps come from one sequence per CRM table (several runners and users write at once); the
sequences start after the highest stamp already given. `sync_state` keeps a stamp the push
cursor may pass once the transactions in flight when it was read have ended.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Written out here (not imported from the models): a migration keeps the schema of its day.
_CRM_TABLES = ("crm_company", "crm_person", "crm_project")


def upgrade() -> None:
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host", sqlmodel.sql.sqltypes.AutoString(length=255),
                                      server_default="", nullable=False))
        batch_op.add_column(sa.Column("pid", sa.Integer(), server_default="0",
                                      nullable=False))
        batch_op.add_column(sa.Column("last_seen", sqlmodel.sql.sqltypes.UTCDateTime(),
                                      nullable=True))
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crm_pending_stamp", sa.BigInteger(), server_default="0",
                                      nullable=False))
        batch_op.add_column(sa.Column("crm_pending_xid", sa.BigInteger(), server_default="0",
                                      nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        for table in _CRM_TABLES:
            sequence = f"{table}_change_stamp_seq"
            op.execute(f"CREATE SEQUENCE IF NOT EXISTS {sequence} AS bigint")
            # The next stamp is one past the highest given (1 on an empty table).
            op.execute(f"SELECT setval('{sequence}', "
                       f"(SELECT coalesce(max(change_stamp), 0) + 1 FROM {table}), false)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _CRM_TABLES:
            op.execute(f"DROP SEQUENCE IF EXISTS {table}_change_stamp_seq")
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.drop_column("crm_pending_xid")
        batch_op.drop_column("crm_pending_stamp")
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.drop_column("last_seen")
        batch_op.drop_column("pid")
        batch_op.drop_column("host")
