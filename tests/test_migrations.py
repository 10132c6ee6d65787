"""Schema comes from migrations only; the models and the migrated schema agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from erp_tui.db import _alembic_config, current_revision, head_revision, make_engine, upgrade

# Expression indexes (case-folded text of the records screen, migration 0004) exist in the
# migrations only: SQLAlchemy cannot declare them for both backends alike. Alembic reflects them
# on PostgreSQL, not on SQLite; test_record_indexes_exist_and_serve_the_records_list checks them.
FOLDED_INDEXES = frozenset({
    "ix_crm_company_title", "ix_crm_company_number1", "ix_crm_company_email",
    "ix_crm_company_city", "ix_crm_person_title", "ix_crm_person_firstname",
    "ix_crm_person_email", "ix_crm_project_title", "ix_crm_project_number",
    "ix_link_erp_key_folded"})


def _not_folded_index(obj: object, name: str | None, kind: str, reflected: bool,
                      compare_to: object) -> bool:
    return not (kind == "index" and name in FOLDED_INDEXES)


def _schema_differences(url: str) -> list[object]:
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_object": _not_folded_index})
        diffs = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    return list(diffs)


def test_start_up_knows_the_head_revision() -> None:
    from erp_tui.migrations import HEAD_REVISION

    assert head_revision() == HEAD_REVISION


def test_empty_sqlite_database_migrates_to_head(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.sqlite'}")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"connection", "field_mapping", "list_mapping", "sync_default", "crm_company"} <= tables


def test_migrated_sqlite_schema_matches_the_models(tmp_path: Path) -> None:
    assert _schema_differences(f"sqlite:///{tmp_path / 'cmp.sqlite'}") == []


def test_migrated_postgresql_schema_matches_the_models(pg_url: str) -> None:
    assert _schema_differences(pg_url) == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrading_step_by_step_keeps_connections(tmp_path: Path, backend: str,
                                                  request: pytest.FixtureRequest) -> None:
    """A connection written at the first revision survives every later migration."""
    revisions = [r.revision for r in
                 reversed(list(ScriptDirectory.from_config(_alembic_config()).walk_revisions()))]

    def run(url: str) -> None:
        engine = make_engine(url)
        upgrade(engine, revisions[0])
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO connection (name, connector, config, secrets, active, scope, "
                "scope_members, conflict_policy, allow_import, priority, last_test_message, "
                "tested_fingerprint, status, version, created, updated) VALUES ('Kept', "
                "'sample', '{}', '{}', false, 'everyone', '[]', 'erp_wins', true, 0, '', '', "
                "'', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        for revision in revisions[1:]:
            upgrade(engine, revision)
        upgrade(engine)
        with engine.connect() as connection:
            names = connection.execute(text("SELECT name FROM connection")).scalars().all()
        engine.dispose()
        assert names == ["Kept"]

    if backend == "sqlite":
        run(f"sqlite:///{tmp_path / 'steps.sqlite'}")
    else:
        run(request.getfixturevalue("pg_url"))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_record_indexes_exist_and_serve_the_records_list(tmp_path: Path, backend: str,
                                                         request: pytest.FixtureRequest) -> None:
    """The folded-text indexes exist, and the records list's order and filter use them."""
    url = (f"sqlite:///{tmp_path / 'ix.sqlite'}" if backend == "sqlite"
           else request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as connection:
        if backend == "sqlite":
            names = {r[0] for r in connection.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'index'"))}
            plan = " ".join(str(r[3]) for r in connection.execute(text(
                "EXPLAIN QUERY PLAN SELECT id FROM crm_company "
                "WHERE lower(name) >= 'ab' AND lower(name) < 'ac' ORDER BY lower(name), id")))
            assert "ix_crm_company_title" in plan, plan
        else:
            names = {r[0] for r in connection.execute(text(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"))}
    engine.dispose()
    assert names >= FOLDED_INDEXES
