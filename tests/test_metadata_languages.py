"""The ERP metadata cache keeps the names in every language: a Dutch UI shows Dutch ERP names
after an English process refreshed the cache, and the other way round; showing a name never
writes it over the connector's own text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.contract import FieldsResult
from erp_tui.i18n import set_language
from erp_tui.model import ErpActorType, ErpField, ErpListItem
from erp_tui.services import connections, defaults, lists, mappings, metadata, ranking
from erp_tui.services.erp_search import search_targets
from erp_tui.services.erp_values import erp_lists
from tests.cli_support import run

API_KEY = "s3cret-Key!"
# The sample connector's English and Dutch names (erp_tui/connectors/sample_data.py).
ENGLISH = {"actor": "Customer", "field": "Customer group", "item": "Retail",
           "description": "Customer group used for pricing and reporting."}
DUTCH = {"actor": "Klant", "field": "Klantgroep", "item": "Detailhandel",
         "description": "Klantgroep voor prijzen en rapportages."}


@pytest.fixture(params=["sqlite", "postgresql"])
def ctx(request: pytest.FixtureRequest, settings: Any) -> Iterator[AppContext]:
    """An opened store, on SQLite and on PostgreSQL (the `labels` column is JSON on both)."""
    if request.param == "postgresql":
        settings = settings.model_copy(
            update={"database_url": request.getfixturevalue("pg_url")})
    context = AppContext.open(settings)
    yield context
    context.engine.dispose()


@pytest.fixture
def cid(ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """A sample connection, Customer enabled, whose Customer field `category` also has a Dutch
    description."""
    erp_file = tmp_path / "erp.sqlite"
    generate_sample_erp(erp_file, customers=5, suppliers=1, projects=1, api_key=API_KEY)
    connector = ctx.connectors.connector("sample")
    original = connector.actor_fields

    def with_dutch_description(connection_id: int, actor_type: str) -> FieldsResult:
        result = original(connection_id, actor_type)
        return result.model_copy(update={"fields": [
            f.model_copy(update={"descriptions": {"nl": DUTCH["description"]}})
            if f.key == "category" else f for f in result.fields]})

    monkeypatch.setattr(connector, "actor_fields", with_dutch_description)
    draft = connections.ConnectionDraft(
        name="Test ERP", connector="sample", scope="everyone",
        values={"database": str(erp_file), "api_key": API_KEY})
    cid = connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))
    state = mappings.load_mappings(ctx, cid)
    state.tab("Customer").enabled = True  # the ERP search lists enabled actor types only
    mappings.save_mappings(ctx, state)
    return cid


def _shown(ctx: AppContext, cid: int) -> dict[str, set[str]]:
    """Each name as every reader of the cache shows it in the current language."""
    tab = mappings.load_mappings(ctx, cid).tab("Customer")
    row = tab.row("category")
    rank = {r.erp_field: r.label for r in ranking.load_ranking(ctx, cid).tabs["Customer"]}
    defaults_tab = defaults.load_defaults(ctx, cid).tab("Customer")
    list_rows = {r.erp_key: r.erp_text
                 for r in lists.load_list_mapping(ctx, cid, "customer_group").rows}
    targets = dict(search_targets(ctx))["Test ERP"]
    with ctx.session() as session:
        cached = erp_lists(session, cid, ["customer_group"])["customer_group"]
    return {
        "actor": {tab.label, dict(targets)["Customer"]},
        "field": {row.erp.label, rank["category"],
                  next(v.label for v in defaults_tab.fields if v.key == "category")},
        "description": {row.description},
        "item": {defaults_tab.list_items["customer_group"]["RETAIL"], list_rows["RETAIL"],
                 cached["RETAIL"]},
    }


def _stored(ctx: AppContext, cid: int) -> tuple[str, ...]:
    """The texts in the cache's own columns, read past the models."""
    with ctx.engine.connect() as conn:
        actor = conn.execute(text("SELECT label FROM erp_actor_type WHERE connection_id = :c "
                                  "AND key = 'Customer'"), {"c": cid}).scalar_one()
        label, description = conn.execute(text(
            "SELECT label, description FROM erp_field WHERE connection_id = :c AND "
            "actor_type = 'Customer' AND key = 'category'"), {"c": cid}).one()
        item = conn.execute(text("SELECT text FROM erp_list_item WHERE connection_id = :c AND "
                                 "list_name = 'customer_group' AND key = 'RETAIL'"),
                            {"c": cid}).scalar_one()
    return actor, label, description, item


def _in(names: dict[str, str]) -> dict[str, set[str]]:
    return {what: {name} for what, name in names.items()}


@pytest.mark.parametrize(("refreshed_in", "read_in", "expected"),
                         [("en", "nl", DUTCH), ("nl", "en", ENGLISH), ("en", "en", ENGLISH),
                          ("nl", "pseudo", DUTCH)])
def test_names_show_in_the_readers_language_whoever_refreshed(
        ctx: AppContext, cid: int, refreshed_in: str, read_in: str,
        expected: dict[str, str]) -> None:
    set_language(refreshed_in)
    metadata.refresh_metadata(ctx, cid)
    set_language(read_in)
    assert _shown(ctx, cid) == _in(expected)
    assert _stored(ctx, cid) == (ENGLISH["actor"], ENGLISH["field"], ENGLISH["description"],
                                 ENGLISH["item"])


def test_a_row_shown_in_dutch_and_saved_keeps_the_connectors_own_text(
        ctx: AppContext, cid: int) -> None:
    set_language("nl")
    with ctx.session() as session:
        actor = session.get(ErpActorType, (cid, "Customer"))
        field = session.get(ErpField, (cid, "Customer", "category"))
        item = session.get(ErpListItem, (cid, "customer_group", "RETAIL"))
        assert actor and field and item
        assert (actor.label, field.label, item.text) == (DUTCH["actor"], DUTCH["field"],
                                                         DUTCH["item"])
        actor.position, field.position, item.position = 90, 91, 92
        session.add_all([actor, field, item])
        session.commit()
        session.expire_all()
        assert (actor.label, field.description, item.text) == (
            DUTCH["actor"], DUTCH["description"], DUTCH["item"])
    assert _stored(ctx, cid) == (ENGLISH["actor"], ENGLISH["field"], ENGLISH["description"],
                                 ENGLISH["item"])
    with ctx.session() as session:
        positions = [row.position if row else None for row in (
            session.get(ErpActorType, (cid, "Customer")),
            session.get(ErpField, (cid, "Customer", "category")),
            session.get(ErpListItem, (cid, "customer_group", "RETAIL")))]
    assert positions == [90, 91, 92]


def test_an_actor_the_connector_names_in_english_only_reads_the_crms_dutch_name(
        ctx: AppContext, cid: int, monkeypatch: pytest.MonkeyPatch) -> None:
    connector = ctx.connectors.connector("sample")
    original = connector.actor_types

    def english_only(connection_id: int):  # type: ignore[no-untyped-def]
        result = original(connection_id)
        return result.model_copy(update={"actor_types": [
            a.model_copy(update={"labels": {}}) for a in result.actor_types]})

    monkeypatch.setattr(connector, "actor_types", english_only)
    metadata.refresh_metadata(ctx, cid)
    set_language("nl")
    labels = {t.actor_type: t.label for t in mappings.load_mappings(ctx, cid).tabs}
    assert labels == {"Customer": "Klant", "Supplier": "Leverancier",
                      "Person": "Contactpersoon", "Project": "Project"}
    set_language("en")
    labels = {t.actor_type: t.label for t in mappings.load_mappings(ctx, cid).tabs}
    assert labels["Person"] == "Contact person"


def test_rows_cached_before_the_names_column_show_their_stored_text(
        ctx: AppContext, cid: int) -> None:
    """A cache filled before migration 0006 has no other languages until its next refresh."""
    with ctx.engine.begin() as conn:
        for table in ("erp_actor_type", "erp_field", "erp_list_item"):
            conn.execute(text(f"UPDATE {table} SET labels = '{{}}'"))
    set_language("nl")
    assert _shown(ctx, cid) == _in(ENGLISH)


def test_the_cli_reads_dutch_names_and_its_json_stays_english(
        ctx: AppContext, cid: int, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`--json` does not change with the language (docs/languages.md), ERP names included."""
    monkeypatch.setenv("ERP_TUI_DATABASE_URL", ctx.settings.resolved_database_url())
    code, out, _ = run(capsys, "--lang", "nl", "mappings", "Test ERP", "Customer")
    assert code == 0 and "ERP-Klant " in out
    code, out, _ = run(capsys, "--lang", "nl", "mappings", "Test ERP", "Customer", "--json")
    labels = {f["erp_field"]: f["label"] for f in json.loads(out)[0]["fields"]}
    assert code == 0 and labels["category"] == ENGLISH["field"]
    set_language("nl")  # the English of --json ended with the command
    assert mappings.load_mappings(ctx, cid).tab("Customer").label == DUTCH["actor"]
