"""metadata names in every language: a `labels` column on the ERP metadata cache

`erp_actor_type`, `erp_field` and `erp_list_item` keep the connector's own text in their text
columns and, in a new JSON column `labels`, the texts per language (language -> column -> text,
e.g. {"nl": {"label": "Klant"}}). It is NOT NULL with the server default '{}': rows cached
before this revision read as "no other languages" (their stored text is shown) until the next
metadata refresh, and nobody reading the cache has to handle a missing value.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Written out here (not imported from the models): a migration keeps the schema of its day.
_TABLES = ("erp_actor_type", "erp_field", "erp_list_item")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("labels", sa.JSON(), server_default="{}",
                                          nullable=False))


def downgrade() -> None:
    for table in reversed(_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("labels")
