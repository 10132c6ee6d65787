"""user-defined CRM fields: slot columns per CRM entity table and the table naming them

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Written out here (not imported from the models): a migration keeps the schema of its day.
_TABLES = ("crm_company", "crm_person", "crm_project")
_SLOTS = tuple(f"udf_{n:02}" for n in range(1, 21))


def upgrade() -> None:
    op.create_table(
        "crm_user_field",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("label_nl", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("list_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("max_length", sa.Integer(), nullable=False),
        sa.Column("slot", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("crm_user_field", schema=None) as batch_op:
        batch_op.create_index("ux_crm_user_field_key", ["entity", "key"], unique=True)
        batch_op.create_index("ux_crm_user_field_slot", ["entity", "slot"], unique=True)

    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for slot in _SLOTS:
                batch_op.add_column(
                    sa.Column(slot, sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for slot in reversed(_SLOTS):
                batch_op.drop_column(slot)

    with op.batch_alter_table("crm_user_field", schema=None) as batch_op:
        batch_op.drop_index("ux_crm_user_field_slot")
        batch_op.drop_index("ux_crm_user_field_key")

    op.drop_table("crm_user_field")
