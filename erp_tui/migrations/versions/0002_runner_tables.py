"""runner tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("actor_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("erp_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("crm_id", sa.Integer(), nullable=True),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("direction", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("old_value", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("new_value", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("conflict", sa.Boolean(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.create_index("ix_change_log_link", ["link_id"], unique=False)
        batch_op.create_index("ix_change_log_run", ["run_id"], unique=False)

    op.create_table(
        "link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("actor_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("erp_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("crm_entity", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("crm_id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("snapshot", sa.String(), server_default="", nullable=False),
        sa.Column("crm_stamp", sa.Integer(), nullable=False),
        sa.Column("erp_modified", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("created_run", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("link", schema=None) as batch_op:
        batch_op.create_index("ux_link_crm", ["connection_id", "crm_entity", "crm_id"], unique=True)
        batch_op.create_index(
            "ux_link_erp", ["connection_id", "actor_type", "erp_key"], unique=True
        )

    op.create_table(
        "sync_error",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("actor_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("erp_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("crm_id", sa.Integer(), nullable=True),
        sa.Column("direction", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("tech_message", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sync_error", schema=None) as batch_op:
        batch_op.create_index("ix_sync_error_open", ["connection_id", "resolved"], unique=False)

    op.create_table(
        "sync_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("started", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("pushed", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("cursor_before", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("cursor_after", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sync_run_connection_id"), ["connection_id"], unique=False
        )

    op.create_table(
        "sync_state",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("actor_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("erp_modified", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("erp_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("crm_stamp", sa.Integer(), nullable=False),
        sa.Column("snapshot_fields", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "actor_type"),
    )
    with op.batch_alter_table("connection", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lag_seconds", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("connection", schema=None) as batch_op:
        batch_op.drop_column("lag_seconds")

    op.drop_table("sync_state")
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_run_connection_id"))

    op.drop_table("sync_run")
    with op.batch_alter_table("sync_error", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_error_open")

    op.drop_table("sync_error")
    with op.batch_alter_table("link", schema=None) as batch_op:
        batch_op.drop_index("ux_link_erp")
        batch_op.drop_index("ux_link_crm")

    op.drop_table("link")
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_index("ix_change_log_run")
        batch_op.drop_index("ix_change_log_link")

    op.drop_table("change_log")
