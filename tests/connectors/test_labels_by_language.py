"""Names from outside the engine in the user's language: connectors give labels per language
(actor types, fields, list items, connection settings), the services hand the current
language's names to the screens, a connector without them keeps its own, and connector errors
are messages by code."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import openpyxl
import pytest

from erp_tui.connectors.base import ConnectorBase
from erp_tui.connectors.sample import SampleConnector
from erp_tui.connectors.workbook import WorkbookConnector
from erp_tui.contract import (
    ActorTypeInfo,
    ConfigFieldsResult,
    FieldInfo,
    Result,
    field_in,
    label_for,
)
from erp_tui.crm_catalog import actor_label, list_item_text, list_label
from erp_tui.i18n import localize, set_language
from erp_tui.services import connections
from erp_tui.services.common import erp_list_items
from erp_tui.services.connector_choices import connector_choices
from erp_tui.services.mappings import load_mappings
from erp_tui.services.metadata import actor_in
from tests.store_support import add_connection, sample_erp

NAMES = {
    "en": {"actors": ["Customer", "Supplier", "Contact person", "Project"], "name": "Name",
           "country": "Netherlands", "sample": "Sample ERP (embedded SQLite)"},
    "nl": {"actors": ["Klant", "Leverancier", "Contactpersoon", "Project"], "name": "Naam",
           "country": "Nederland", "sample": "Voorbeeld-ERP (ingebouwde SQLite)"},
}


@pytest.mark.parametrize("language", ["en", "nl"])
def test_sample_names_reach_the_services_in_the_language(ctx: Any, tmp_path: Path,
                                                         language: str) -> None:
    set_language(language)
    cid = add_connection(ctx, "Nordic", sample_erp(tmp_path, "Nordic", 1, "nordic"))
    state = load_mappings(ctx, cid)
    want = NAMES[language]
    assert [tab.label for tab in state.tabs] == want["actors"]
    assert state.tab("Customer").row("name").erp.label == want["name"]
    with ctx.session() as session:
        assert erp_list_items(session, cid, "country")["NL"] == want["country"]
    sample = next(c for c in connector_choices() if c.kind == "sample")
    assert sample.label == want["sample"]


def test_sample_settings_in_dutch_and_english() -> None:
    fields = {f.key: f for f in SampleConnector().config_fields().fields}
    assert [label_for(f, "en") for f in fields.values()] == [
        "ERP database", "API key", "Environment", "Page size", "Read only", "Sync from"]
    dutch = {key: field_in(f, "nl") for key, f in fields.items()}
    assert [f.label for f in dutch.values()] == [
        "ERP-database", "API-sleutel", "Omgeving", "Paginagrootte", "Alleen lezen",
        "Synchroniseren vanaf"]
    assert dutch["sync_from"].description == (
        "Negeer wijzigingen in het ERP van vóór deze datum (optioneel).")
    assert dutch["environment"].options == {"production": "Productie", "test": "Test"}
    assert field_in(fields["environment"], "en").options == {"production": "Production",
                                                             "test": "Test"}


def _labelled_workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Customer"
    ws.append(["ID", "Name", "Zip", "Country", "LastModified"])
    ws.append([1, "Bakkerij De Zon", "1234 AB", "NL", "2025-01-01T10:00:00.000000Z"])
    countries = wb.create_sheet("Countries")
    countries.append(["ID", "Text", "Text.nl"])
    countries.append(["NL", "Netherlands", "Nederland"])
    countries.append(["DE", "Germany", None])
    labels = wb.create_sheet("Labels")
    labels.append(["Sheet", "Column", "nl"])
    labels.append(["Customer", "Zip", "Postcode"])
    labels.append(["Customer", "", "Debiteur"])
    wb.save(path)
    return path


@pytest.mark.parametrize("language", ["en", "nl"])
def test_workbook_labels_reach_the_services(ctx: Any, tmp_path: Path, language: str) -> None:
    set_language(language)
    book = _labelled_workbook(tmp_path / "erp.xlsx")
    draft = connections.ConnectionDraft(name="Book", connector="workbook",
                            values={"path": str(book), "lists": "Customer.Country=Countries"},
                            scope="everyone")
    cid = connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))
    tab = load_mappings(ctx, cid).tab("Customer")
    with ctx.session() as session:
        countries = erp_list_items(session, cid, "Countries")
    if language == "nl":
        assert (tab.label, tab.row("Zip").erp.label, tab.row("Name").erp.label) == (
            "Debiteur", "Postcode", "Name")
        assert countries == {"NL": "Nederland", "DE": "Germany"}
    else:
        assert (tab.label, tab.row("Zip").erp.label) == ("Customer", "Zip")
        assert countries == {"NL": "Netherlands", "DE": "Germany"}


def test_workbook_settings_have_dutch_labels() -> None:
    fields = WorkbookConnector().config_fields().fields
    assert [field_in(f, "nl").label for f in fields] == [
        "Werkmap", "Lijsten", "Andere kolomtypen", "Alleen lezen", "Tijdzone",
        "Opnieuw lezen (seconden)"]


class _PlainConnector(ConnectorBase):
    """A plugin written before labels per language: one label each, nothing else."""

    kind: ClassVar[str] = "plain"
    label: ClassVar[str] = "Plain ERP"

    def config_fields(self) -> ConfigFieldsResult:
        return ConfigFieldsResult(fields=[FieldInfo(key="host", label="Host",
                                                    description="Where the ERP runs.")])

    def test_config(self, values: dict[str, Any]) -> Result:
        return Result()


def test_a_plugin_without_labels_keeps_its_own_names() -> None:
    field = _PlainConnector().config_fields().fields[0]
    for language in ("en", "nl"):
        assert field_in(field, language) == field
        assert label_for(_PlainConnector, language) == "Plain ERP"
    debtor = ActorTypeInfo(key="Debtor", label="Debtor")
    assert actor_in(debtor, "nl").label == "Debtor"
    customer = ActorTypeInfo(key="Customer", label="Customer")
    assert (actor_in(customer, "en").label, actor_in(customer, "nl").label) == (
        "Customer", "Klant")


def test_crm_names_in_both_languages() -> None:
    assert [actor_label(a, "nl") for a in ("Customer", "Supplier", "Person")] == [
        "Klant", "Leverancier", "Contactpersoon"]
    assert [actor_label(a) for a in ("Customer", "Supplier", "Person")] == [
        "Customer", "Supplier", "Contact person"]
    assert (list_label("country"), list_label("country", "nl")) == ("Country", "Land")
    assert list_item_text("country", "NL", "Netherlands", "nl") == "Nederland"
    assert list_item_text("country", "NL", "Holland", "nl") == "Holland"  # renamed: kept


def test_a_connector_error_is_shown_in_the_language() -> None:
    result = SampleConnector().test_config({"database": "/no/such/erp.sqlite", "api_key": "k"})
    assert result.user_message == "ERP database /no/such/erp.sqlite does not exist; check the path."
    set_language("nl")
    assert localize(result.user_message) == (
        "ERP-database /no/such/erp.sqlite bestaat niet; controleer het pad.")
    refused = SampleConnector().delete_connection(3)
    assert localize(refused.user_message) == (
        "Verbinding 3 is niet bekend bij de voorbeeldconnector; maak de verbinding eerst aan.")


LABELLED_DESCRIPTOR = """\
version: 1
lists:
  countries: {table: country, key: code, text: name, texts: {nl: name_nl}}
actors:
  Customer:
    table: customer
    key: id
    labels: {nl: Debiteur}
    last_modified: updated_at
    fields:
      name: {type: text, label: Name, labels: {nl: Naam}, description: Registered name,
             descriptions: {nl: Statutaire naam}}
      city: {type: text, label: City}
      country: {column: country_code, type: list, list: countries, label: Country}
"""


def test_sql_descriptor_carries_labels_per_language(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from erp_tui.connectors.sql.connector import SqlConnector
    from tests.connectors.erp_builders import sqlite_erp

    url, descriptor = sqlite_erp(tmp_path, LABELLED_DESCRIPTOR)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE country ADD COLUMN name_nl VARCHAR(60)"))
        conn.execute(sa.text("UPDATE country SET name_nl = 'Nederland' WHERE code = 'NL'"))
    engine.dispose()
    connector = SqlConnector()
    assert connector.create_connection(1, {"url": url, "descriptor": str(descriptor)}).ok
    actor = connector.actor_types(1).actor_types[0]
    assert (label_for(actor, "en"), label_for(actor, "nl")) == ("Customer", "Debiteur")
    fields = {f.key: field_in(f, "nl") for f in connector.actor_fields(1, "Customer").fields}
    assert (fields["name"].label, fields["name"].description) == ("Naam", "Statutaire naam")
    assert fields["city"].label == "City"
    items = connector.list_items(1, "countries")
    assert items.items_in("nl") == {"DE": "Germany", "NL": "Nederland"}
    assert items.items_in("en") == {"DE": "Germany", "NL": "Netherlands"}
    connector.delete_connection(1)
