"""Export → import round trip; import validates everything before writing anything."""

from __future__ import annotations

import pytest
import yaml

from erp_tui.context import AppContext
from erp_tui.demo import NORDIC
from erp_tui.errors import ErpTuiError, RefusedError, ValidationFailed
from erp_tui.rules import Direction
from erp_tui.services import connections, mappings
from erp_tui.services.transfer import export_connection, import_connection


def _without_name(text: str) -> dict[str, object]:
    data = yaml.safe_load(text)
    data["connection"].pop("name")
    return data  # type: ignore[no-any-return]


def test_round_trip_reproduces_the_whole_configuration(demo_ctx: AppContext) -> None:
    exported = export_connection(demo_ctx, NORDIC)
    assert "demo-key" not in exported and "api_key" not in exported
    cid = import_connection(demo_ctx, exported, new_name="Copy", values={"api_key": "demo-key"})
    again = export_connection(demo_ctx, cid)
    assert _without_name(again) == _without_name(exported)
    copy = connections.require_connection(demo_ctx, cid)
    assert not copy.active  # imported connections start inactive
    data = yaml.safe_load(exported)
    customer = data["actors"]["Customer"]
    assert customer["enabled"] is True
    assert {"erp_field": "name", "crm_field": "name", "direction": "<>",
            "show_in_search": True, "show_on_tab": False} in customer["fields"]
    assert any(entry["erp_list"] == "country" for entry in data["lists"])


def test_secrets_travel_only_encrypted_with_a_passphrase(demo_ctx: AppContext) -> None:
    exported = export_connection(demo_ctx, NORDIC, secrets_passphrase="correct horse")
    assert "demo-key" not in exported
    assert "api_key" in exported
    with pytest.raises(ErpTuiError, match="is not a config field"):
        import_connection(demo_ctx, exported, new_name="Copy", values={"nope": "1"},
                          secrets_passphrase="correct horse")
    with pytest.raises(ErpTuiError, match="give the passphrase"):
        import_connection(demo_ctx, exported, new_name="Copy")
    with pytest.raises(ErpTuiError, match="does not decrypt"):
        import_connection(demo_ctx, exported, new_name="Copy", secrets_passphrase="wrong")
    cid = import_connection(demo_ctx, exported, new_name="Copy",
                            secrets_passphrase="correct horse")
    assert connections.test_connection(demo_ctx, cid).ok  # the secret arrived intact


def test_a_mapping_problem_reads_the_same_on_import_and_on_save(demo_ctx: AppContext) -> None:
    data = yaml.safe_load(export_connection(demo_ctx, NORDIC))
    data["actors"]["Customer"]["fields"].append(
        {"erp_field": "customer_no", "crm_field": "number2", "direction": "<>"})
    with pytest.raises(ValidationFailed) as refused:
        import_connection(demo_ctx, yaml.safe_dump(data), new_name="Broken",
                          values={"api_key": "demo-key"})
    state = mappings.load_mappings(demo_ctx, NORDIC)
    row = state.tab("Customer").row("customer_no")  # read-only in the ERP
    row.crm_field, row.direction = "number2", Direction.BOTH
    assert refused.value.problems == mappings.mapping_problems(state)


def test_invalid_import_writes_nothing(demo_ctx: AppContext) -> None:
    before = connections.list_connections(demo_ctx)
    data = yaml.safe_load(export_connection(demo_ctx, NORDIC))
    data["actors"]["Customer"]["fields"].append(
        {"erp_field": "customer_no", "crm_field": "number2", "direction": "<>"})
    data["actors"]["Customer"]["fields"].append({"erp_field": "nonexistent"})
    data["lists"][0]["items"]["NL"] = "SE"
    data["lists"][0]["items"]["SE"] = "SE"
    with pytest.raises(ValidationFailed) as refused:
        import_connection(demo_ctx, yaml.safe_dump(data), new_name="Broken",
                          values={"api_key": "demo-key"})
    messages = [p.message for p in refused.value.problems]
    assert any("read-only in the ERP" in m for m in messages)
    assert any("'nonexistent' does not exist" in m for m in messages)
    assert any("CRM item 'SE' is chosen" in m for m in messages)
    assert connections.list_connections(demo_ctx) == before


def test_import_refuses_existing_names_and_bad_files(demo_ctx: AppContext) -> None:
    exported = export_connection(demo_ctx, NORDIC)
    with pytest.raises(RefusedError, match="already exists; use --replace"):
        import_connection(demo_ctx, exported)
    with pytest.raises(ErpTuiError, match="not valid YAML at line"):
        import_connection(demo_ctx, "a: [unclosed\n  b")
    with pytest.raises(ErpTuiError, match="not an erp-tui export file"):
        import_connection(demo_ctx, "hello: world\n")
    with pytest.raises(ErpTuiError, match=r"invalid at 'connection\.scope'"):
        import_connection(demo_ctx, exported.replace("scope: everyone", "scope: nobody"))


def test_replace_overwrites_an_inactive_connection(demo_ctx: AppContext) -> None:
    from erp_tui.demo import DUTCH

    exported = export_connection(demo_ctx, NORDIC).replace(f"name: {NORDIC}", f"name: {DUTCH}")
    original_id = connections.require_connection(demo_ctx, DUTCH).id
    cid = import_connection(demo_ctx, exported, replace=True, values={"api_key": "demo-key"})
    assert cid == original_id
    assert _without_name(export_connection(demo_ctx, DUTCH)) == _without_name(
        export_connection(demo_ctx, NORDIC))
