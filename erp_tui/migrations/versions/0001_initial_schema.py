"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("connector", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("secrets", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("scope_members", sa.JSON(), nullable=False),
        sa.Column("conflict_policy", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("allow_import", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("last_test_ok", sa.Boolean(), nullable=True),
        sa.Column("last_test_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_test_message", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column(
            "tested_fingerprint", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False
        ),
        sa.Column("last_sync_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "crm_company",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "name", sqlmodel.sql.sqltypes.AutoString(length=200), server_default="", nullable=False
        ),
        sa.Column(
            "department",
            sqlmodel.sql.sqltypes.AutoString(length=200),
            server_default="",
            nullable=False,
        ),
        sa.Column(
            "number1",
            sqlmodel.sql.sqltypes.AutoString(length=50),
            server_default="",
            nullable=False,
        ),
        sa.Column(
            "number2",
            sqlmodel.sql.sqltypes.AutoString(length=50),
            server_default="",
            nullable=False,
        ),
        sa.Column(
            "vatno", sqlmodel.sql.sqltypes.AutoString(length=50), server_default="", nullable=False
        ),
        sa.Column(
            "phone", sqlmodel.sql.sqltypes.AutoString(length=50), server_default="", nullable=False
        ),
        sa.Column(
            "fax", sqlmodel.sql.sqltypes.AutoString(length=50), server_default="", nullable=False
        ),
        sa.Column(
            "email", sqlmodel.sql.sqltypes.AutoString(length=200), server_default="", nullable=False
        ),
        sa.Column(
            "url", sqlmodel.sql.sqltypes.AutoString(length=200), server_default="", nullable=False
        ),
        sa.Column(
            "postal_address1",
            sqlmodel.sql.sqltypes.AutoString(length=200),
            server_default="",
            nullable=False,
        ),
        sa.Column(
            "postal_address2",
            sqlmodel.sql.sqltypes.AutoString(length=200),
            server_default="",
            nullable=False,
        ),
        sa.Column(
            "postal_address3",
            sqlmodel.sql.sqltypes.AutoString(length=200),
            server_default="",
            nullable=False,
        ),
        sa.Column(
            "postal_zip",
            sqlmodel.sql.sqltypes.AutoString(length=20),
            server_default="",
            nullable=False,
        ),
        sa.Column(
            "postal_city",
            sqlmodel.sql.sqltypes.AutoString(length=100),
            server_default="",
            nullable=False,
        ),
        sa.Column(
            "street_address1",
            sqlmodel.sql.sqltypes.AutoString(length=200),
            server_default="",
            nullable=False,
        ),
        sa.Column(
            "street_address2",
            sqlmodel.sql.sqltypes.AutoString(length=200),
            server_default="",
            nullable=False,
        ),
        sa.Column(
            "street_address3",
            sqlmodel.sql.sqltypes.AutoString(length=200),
            server_default="",
            nullable=False,
        ),
        sa.Column(
            "street_zip",
            sqlmodel.sql.sqltypes.AutoString(length=20),
            server_default="",
            nullable=False,
        ),
        sa.Column(
            "street_city",
            sqlmodel.sql.sqltypes.AutoString(length=100),
            server_default="",
            nullable=False,
        ),
        sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("business", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column(
            "created",
            sqlmodel.sql.sqltypes.UTCDateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated",
            sqlmodel.sql.sqltypes.UTCDateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("change_stamp", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("crm_company", schema=None) as batch_op:
        batch_op.create_index("ix_crm_company_change_stamp", ["change_stamp"], unique=False)

    op.create_table(
        "crm_list_item",
        sa.Column("list_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("list_name", "key"),
    )
    op.create_table(
        "crm_project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "name", sqlmodel.sql.sqltypes.AutoString(length=200), server_default="", nullable=False
        ),
        sa.Column(
            "number", sqlmodel.sql.sqltypes.AutoString(length=50), server_default="", nullable=False
        ),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("enddate", sa.Date(), nullable=True),
        sa.Column("text", sa.String(), server_default="", nullable=False),
        sa.Column(
            "url", sqlmodel.sql.sqltypes.AutoString(length=200), server_default="", nullable=False
        ),
        sa.Column(
            "created",
            sqlmodel.sql.sqltypes.UTCDateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated",
            sqlmodel.sql.sqltypes.UTCDateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("change_stamp", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("crm_project", schema=None) as batch_op:
        batch_op.create_index("ix_crm_project_change_stamp", ["change_stamp"], unique=False)

    op.create_table(
        "actor_mapping",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("actor_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("crm_entity", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "actor_type"),
    )
    op.create_table(
        "crm_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column(
            "firstname",
            sqlmodel.sql.sqltypes.AutoString(length=100),
            server_default="",
            nullable=False,
        ),
        sa.Column(
            "middlename",
            sqlmodel.sql.sqltypes.AutoString(length=100),
            server_default="",
            nullable=False,
        ),
        sa.Column(
            "lastname",
            sqlmodel.sql.sqltypes.AutoString(length=100),
            server_default="",
            nullable=False,
        ),
        sa.Column(
            "title", sqlmodel.sql.sqltypes.AutoString(length=100), server_default="", nullable=False
        ),
        sa.Column("position", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column(
            "email", sqlmodel.sql.sqltypes.AutoString(length=200), server_default="", nullable=False
        ),
        sa.Column(
            "phone", sqlmodel.sql.sqltypes.AutoString(length=50), server_default="", nullable=False
        ),
        sa.Column(
            "mobile", sqlmodel.sql.sqltypes.AutoString(length=50), server_default="", nullable=False
        ),
        sa.Column("birthdate", sa.Date(), nullable=True),
        sa.Column(
            "created",
            sqlmodel.sql.sqltypes.UTCDateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated",
            sqlmodel.sql.sqltypes.UTCDateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("change_stamp", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["crm_company.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("crm_person", schema=None) as batch_op:
        batch_op.create_index("ix_crm_person_change_stamp", ["change_stamp"], unique=False)
        batch_op.create_index(batch_op.f("ix_crm_person_company_id"), ["company_id"], unique=False)

    op.create_table(
        "erp_actor_type",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("parent_types", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "key"),
    )
    op.create_table(
        "erp_field",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("actor_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("list_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("default_value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("max_length", sa.Integer(), nullable=False),
        sa.Column("access", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("searchable", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "actor_type", "key"),
    )
    op.create_table(
        "erp_list_item",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("list_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "list_name", "key"),
    )
    op.create_table(
        "field_mapping",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("actor_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("erp_field", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("crm_field", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("to_crm", sa.Boolean(), nullable=False),
        sa.Column("to_erp", sa.Boolean(), nullable=False),
        sa.Column("show_in_search", sa.Boolean(), nullable=False),
        sa.Column("show_on_tab", sa.Boolean(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("missing_in_erp", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "actor_type", "erp_field"),
    )
    op.create_table(
        "list_mapping",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("erp_list", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("crm_list", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("erp_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("crm_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "erp_list", "crm_list", "erp_key"),
    )
    op.create_table(
        "sync_default",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("actor_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("erp_field", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("set_value", sa.Boolean(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("ask_user", sa.Boolean(), nullable=False),
        sa.Column("mandatory", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", "actor_type", "erp_field"),
    )


def downgrade() -> None:
    op.drop_table("sync_default")
    op.drop_table("list_mapping")
    op.drop_table("field_mapping")
    op.drop_table("erp_list_item")
    op.drop_table("erp_field")
    op.drop_table("erp_actor_type")
    with op.batch_alter_table("crm_person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_person_company_id"))
        batch_op.drop_index("ix_crm_person_change_stamp")

    op.drop_table("crm_person")
    op.drop_table("actor_mapping")
    with op.batch_alter_table("crm_project", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_project_change_stamp")

    op.drop_table("crm_project")
    op.drop_table("crm_list_item")
    with op.batch_alter_table("crm_company", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_company_change_stamp")

    op.drop_table("crm_company")
    op.drop_table("connection")
