"""Record indexes held back while the runner creates many CRM records at once (SQLite stores).

The records list sorts and filters on case-folded text (indexes of migration 0004). Kept up to
date row by row, the name and e-mail indexes take random inserts, and every batch commit
rewrites most of their pages: a first sync of 1,000,000 customers ran several times slower.
So when a first sync is about to create more records than the table holds, the entity's folded
indexes are dropped and built again (one sort each) when the actor type has been read. A run
killed meanwhile leaves them missing; the next run builds them first (`restore_missing`).
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine, func, select, text

from erp_tui.runner import crm

# Index name -> (table, case-folded columns, plain columns after them): exactly as migration
# 0004 creates them (a test compares the two).
FOLDED: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
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
# Fewer new records than this are written with the indexes in place.
BULK_MIN = 50_000


def create_sql(name: str) -> str:
    """The statement that builds index `name` on a SQLite store."""
    table, folded, plain = FOLDED[name]
    parts = [f"lower({column})" for column in folded] + list(plain)
    return f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({', '.join(parts)})"


def _present(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {row[0] for row in conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'index'"))}


def suspend(engine: Engine, entity: str, new_records: int) -> list[str]:
    """Drop the folded indexes of `entity` when `new_records` is many for its table; returns
    the names dropped (to pass to `restore`). Only on SQLite stores."""
    if engine.dialect.name != "sqlite" or new_records < BULK_MIN:
        return []
    table = crm.table(entity)
    with engine.connect() as conn:
        existing = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    if new_records < existing:
        return []
    names = [n for n, spec in FOLDED.items() if spec[0] == table.name and n in _present(engine)]
    with engine.begin() as conn:
        for name in names:
            conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
    return names


def restore(engine: Engine, names: list[str]) -> None:
    """Build the indexes `suspend` dropped.

    On a connection of its own with a small page cache and its sort spilled to a temporary
    file: on the runner's pooled connections (large cache, temporary data in memory) building
    the four company indexes of 1,000,000 records took 9 s and 60 MB more memory."""
    if not names:
        return
    database = engine.url.database
    if not database or database == ":memory:":
        with engine.begin() as conn:
            for name in names:
                conn.execute(text(create_sql(name)))
        return
    builder = sqlite3.connect(database, timeout=120)
    try:
        builder.execute("PRAGMA temp_store = FILE")
        builder.execute("PRAGMA cache_size = -8000")
        for name in names:
            builder.execute(create_sql(name))
        builder.commit()
    finally:
        builder.close()


def restore_missing(engine: Engine) -> None:
    """Build any folded index a killed run left dropped (SQLite stores)."""
    if engine.dialect.name != "sqlite":
        return
    restore(engine, [n for n in FOLDED if n not in _present(engine)])
