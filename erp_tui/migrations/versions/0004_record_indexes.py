"""indexes of the records screen: case-folded title, number, e-mail, city; links by record

The records list sorts by the case-folded title and filters by what a column begins with
(a range on the case-folded column). On PostgreSQL the folded text is compared byte-wise
(COLLATE "C"), so that a prefix is a range there as it is on SQLite.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# index name -> (table, folded columns, plain columns after them)
_FOLDED = {
    "ix_crm_company_title": ("crm_company", ("name",), ("id",)),
    "ix_crm_company_number1": ("crm_company", ("number1",), ()),
    "ix_crm_company_email": ("crm_company", ("email",), ()),
    "ix_crm_company_city": ("crm_company", ("postal_city",), ()),
    "ix_crm_person_title": ("crm_person", ("lastname", "firstname"), ("id",)),
    "ix_crm_person_firstname": ("crm_person", ("firstname",), ()),
    "ix_crm_person_email": ("crm_person", ("email",), ()),
    "ix_crm_project_title": ("crm_project", ("name",), ("id",)),
    "ix_crm_project_number": ("crm_project", ("number",), ()),
}
_PLAIN = {
    "ix_link_record": ("link", ("crm_entity", "crm_id")),
    "ix_sync_error_crm": ("sync_error", ("crm_id",)),
}


def upgrade() -> None:
    collate = ' COLLATE "C"' if op.get_bind().dialect.name == "postgresql" else ""
    for name, (table, folded, plain) in _FOLDED.items():
        parts = [f"lower({column}){collate}" for column in folded] + list(plain)
        op.execute(f"CREATE INDEX {name} ON {table} ({', '.join(parts)})")
    op.execute(f"CREATE INDEX ix_link_erp_key_folded ON link (crm_entity, lower(erp_key){collate})")
    for name, (table, columns) in _PLAIN.items():
        op.create_index(name, table, list(columns))


def downgrade() -> None:
    for name, (table, _columns) in _PLAIN.items():
        op.drop_index(name, table_name=table)
    op.execute("DROP INDEX ix_link_erp_key_folded")
    for name in _FOLDED:
        op.execute(f"DROP INDEX {name}")
