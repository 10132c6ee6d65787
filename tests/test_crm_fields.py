"""User-defined CRM fields: add, list, remove, every refusal (nothing written), and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from erp_tui.cli import main
from erp_tui.context import AppContext
from erp_tui.contract import FieldType
from erp_tui.crm_schema import entity_fields, find_field
from erp_tui.errors import NotFoundError, RefusedError
from erp_tui.model import USER_FIELD_SLOTS, CrmListItem, CrmUserField
from erp_tui.services import crm_fields, mappings, transfer
from erp_tui.services.crm_fields import NewField


def _stored(ctx: AppContext) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every user field and CRM list item (what a refused change must leave alone)."""
    with ctx.session() as session:
        fields = [tuple(r) for r in session.exec(
            select(CrmUserField.entity, CrmUserField.key, CrmUserField.slot))]
        items = [tuple(r) for r in session.exec(
            select(CrmListItem.list_name, CrmListItem.key))]
    return fields, items


def test_added_fields_take_free_slots_and_join_the_entity(ctx: AppContext) -> None:
    limit = crm_fields.add_field(ctx, NewField("company", "credit_limit", "Credit limit",
                                               "decimal", label_nl="Kredietlimiet"))
    assert (limit.type, limit.column, limit.user_defined) == (FieldType.DOUBLE, "udf_01", True)
    assert limit.label_in("nl") == "Kredietlimiet"
    note = crm_fields.add_field(ctx, NewField("company", "note", "Note", "text",
                                              max_length=80))
    assert (note.column, note.max_length) == ("udf_02", 80)
    # Each entity has its own slots.
    hobby = crm_fields.add_field(ctx, NewField("person", "hobby", "Hobby", "text"))
    assert hobby.column == "udf_01"
    listed = crm_fields.list_fields(ctx, "company")
    assert [f.key for f in listed[-2:]] == ["credit_limit", "note"]
    assert listed[0].key == "id" and not listed[0].user_defined
    with ctx.session() as session:
        assert find_field(session, "company", "note") == note
        assert find_field(session, "person", "note") is None
        assert [f.key for f in entity_fields(session, "person")][-1] == "hobby"


def test_a_list_field_uses_an_existing_list_or_creates_one(ctx: AppContext) -> None:
    region = crm_fields.add_field(ctx, NewField("company", "region", "Region", "list",
                                                list_name="country"))
    assert (region.type, region.list_name) == (FieldType.LIST, "country")
    tier = crm_fields.add_field(ctx, NewField(
        "company", "tier", "Tier", "list", list_name="tier",
        items=(("gold", "Gold"), ("silver", "Silver"))))
    assert tier.list_name == "tier"
    assert "tier" in crm_fields.crm_list_names(ctx)
    _fields, items = _stored(ctx)
    assert {("tier", "gold"), ("tier", "silver")} <= set(items)


@pytest.mark.parametrize(("spec", "error", "message"), [
    (NewField("planet", "x", "X", "text"), NotFoundError, "'planet' is not a CRM entity"),
    (NewField("company", "Credit", "X", "text"), RefusedError, "not a valid field key"),
    (NewField("company", "1st", "X", "text"), RefusedError, "not a valid field key"),
    (NewField("company", "a" * 51, "X", "text"), RefusedError, "not a valid field key"),
    (NewField("company", "name", "X", "text"), RefusedError, "is a standard field"),
    (NewField("company", "change_stamp", "X", "text"), RefusedError, "reserved"),
    (NewField("company", "udf_03", "X", "text"), RefusedError, "reserved"),
    (NewField("company", "x", "X", "money"), RefusedError, "not a type"),
    (NewField("company", "x", "  ", "text"), RefusedError, "Give the field a label"),
    (NewField("company", "x", "A\nB", "text"), RefusedError, "one line"),
    (NewField("company", "x", "X", "integer", max_length=5), RefusedError, "text fields only"),
    (NewField("company", "x", "X", "text", max_length=-1), RefusedError, "between"),
    (NewField("company", "x", "X", "text", list_name="country"), RefusedError,
     "Only a list field"),
    (NewField("company", "x", "X", "list"), RefusedError, "needs a list"),
    (NewField("company", "x", "X", "list", list_name="nope"), NotFoundError,
     "no CRM list 'nope'"),
    (NewField("company", "x", "X", "list", list_name="country", items=(("a", "A"),)),
     RefusedError, "exists already"),
    (NewField("company", "x", "X", "list", list_name="new", items=(("a", "A"), ("a", "B"))),
     RefusedError, "given twice"),
    (NewField("company", "x", "X", "list", list_name="Bad Name", items=(("a", "A"),)),
     RefusedError, "not a valid list name"),
])
def test_every_refusal_says_why_and_writes_nothing(ctx: AppContext, spec: NewField,
                                                   error: type[Exception],
                                                   message: str) -> None:
    crm_fields.add_field(ctx, NewField("company", "kept", "Kept", "text"))
    before = _stored(ctx)
    with pytest.raises(error, match=message) as raised:
        crm_fields.add_field(ctx, spec)
    assert "\n" not in str(raised.value)
    assert _stored(ctx) == before


def test_keys_are_unique_per_entity(ctx: AppContext) -> None:
    crm_fields.add_field(ctx, NewField("company", "score", "Score", "integer"))
    before = _stored(ctx)
    with pytest.raises(RefusedError, match="company already has a field 'score'"):
        crm_fields.add_field(ctx, NewField("company", "score", "Other", "text"))
    assert _stored(ctx) == before
    crm_fields.add_field(ctx, NewField("project", "score", "Score", "integer"))


def test_no_free_slot_is_refused(ctx: AppContext) -> None:
    for n in range(len(USER_FIELD_SLOTS)):
        crm_fields.add_field(ctx, NewField("project", f"f{n}", f"F{n}", "text"))
    before = _stored(ctx)
    with pytest.raises(RefusedError, match="project has no free slot"):
        crm_fields.add_field(ctx, NewField("project", "one_more", "One more", "text"))
    assert _stored(ctx) == before


def test_remove_refusals(demo_ctx: AppContext) -> None:
    ctx = demo_ctx
    with pytest.raises(RefusedError, match="'name' is a standard field"):
        crm_fields.remove_field(ctx, "company", "name")
    with pytest.raises(NotFoundError, match="has no user-defined field 'nope'"):
        crm_fields.remove_field(ctx, "company", "nope")
    with pytest.raises(NotFoundError, match="not a CRM entity"):
        crm_fields.remove_field(ctx, "planet", "x")
    crm_fields.add_field(ctx, NewField("company", "limit", "Limit", "decimal"))
    name = "Dutch Wholesale BV"  # inactive in the demo
    state = mappings.load_mappings(ctx, name)
    tab = state.tab("Customer")
    assert mappings.set_crm_field(tab, tab.row("credit_limit"), "limit") == ""
    mappings.save_mappings(ctx, state)
    before = _stored(ctx)
    with pytest.raises(RefusedError, match=f"mapped in '{name}'; unmap it"):
        crm_fields.remove_field(ctx, "company", "limit")
    assert _stored(ctx) == before


def test_import_of_a_mapping_to_a_missing_user_field_is_refused(demo_ctx: AppContext) -> None:
    ctx = demo_ctx
    crm_fields.add_field(ctx, NewField("company", "limit", "Limit", "decimal"))
    name = "Dutch Wholesale BV"
    state = mappings.load_mappings(ctx, name)
    tab = state.tab("Customer")
    assert mappings.set_crm_field(tab, tab.row("credit_limit"), "limit") == ""
    mappings.save_mappings(ctx, state)
    exported = transfer.export_connection(ctx, name)
    assert "crm_field: limit" in exported
    # Into this store (the field exists) it imports; after the field is renamed away it not.
    transfer.import_connection(ctx, exported, new_name="Copy", values={"api_key": "demo-key"})
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE crm_user_field SET key = 'other' WHERE key = 'limit'"))
    with pytest.raises(RefusedError) as raised:
        transfer.import_connection(ctx, exported, new_name="Copy 2",
                                   values={"api_key": "demo-key"})
    problems = [p.message for p in getattr(raised.value, "problems", [])]
    assert problems == ["Customer › Credit limit: this CRM has no company field 'limit'; add "
                        "it first (erp-tui crm-fields company --add limit ...)."]


def test_import_needs_the_crm_list_of_a_list_mapping(demo_ctx: AppContext,
                                                     tmp_path: Path) -> None:
    from erp_tui.services import lists
    from erp_tui.settings import Settings

    ctx = demo_ctx
    items = (("0", "Cash"), ("14", "14 days"), ("30", "30 days"), ("60", "60 days"))
    crm_fields.add_field(ctx, NewField("company", "terms", "Terms", "list", list_name="terms",
                                       items=items))
    name = "Dutch Wholesale BV"
    state = mappings.load_mappings(ctx, name)
    tab = state.tab("Customer")
    assert mappings.set_crm_field(tab, tab.row("payment_terms"), "terms") == ""
    mappings.save_mappings(ctx, state)
    lists.save_list_mapping(ctx, lists.load_list_mapping(ctx, name, "payment_terms"))
    exported = transfer.export_connection(ctx, name)
    other = AppContext.open(Settings(data_dir=tmp_path / "other",
                                     database_url=f"sqlite:///{tmp_path / 'other.sqlite'}"))
    try:
        # The other CRM has the field, but over a list of another name.
        crm_fields.add_field(other, NewField("company", "terms", "Terms", "list",
                                             list_name="payment", items=items))
        with pytest.raises(RefusedError) as raised:
            transfer.import_connection(other, exported, values={"api_key": "demo-key"})
        messages = [p.message for p in getattr(raised.value, "problems", [])]
        assert any(m.startswith("List 'payment_terms': this CRM has no list 'terms'")
                   for m in messages), messages
        with other.session() as session:
            assert session.execute(select(CrmUserField.key)).scalars().all() == ["terms"]
    finally:
        other.engine.dispose()


# ---- CLI -------------------------------------------------------------------------------------

def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli(settings, monkeypatch: pytest.MonkeyPatch) -> Path:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ERP_TUI_DATABASE_URL", settings.resolved_database_url())
    return Path(settings.resolved_database_url().removeprefix("sqlite:///"))


def test_cli_lists_adds_and_removes(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "crm-fields", "company")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["KEY", "LABEL", "TYPE", "LIST", "MAX", "KIND"]
    assert any(line.split()[:3] == ["country", "Country", "list"] for line in lines)
    code, out, err = _run(capsys, "crm-fields", "company", "--add", "tier", "--type", "list",
                          "--label", "Tier", "--label-nl", "Niveau", "--list", "tier",
                          "--item", "gold=Gold", "--item", "silver=Silver")
    assert (code, err) == (0, "")
    assert "Added list field 'tier' to company" in out
    code, out, _ = _run(capsys, "crm-fields", "company", "--add", "limit", "--type",
                        "decimal", "--label", "Credit limit")
    assert code == 0
    code, out, _ = _run(capsys, "crm-fields", "company", "--json")
    data = json.loads(out)
    assert data["fields"][-2:] == [
        {"key": "tier", "label": "Tier", "label_nl": "Niveau", "type": "list", "list": "tier",
         "max_length": None, "read_only": False, "user_defined": True, "column": "udf_01"},
        {"key": "limit", "label": "Credit limit", "label_nl": "Credit limit",
         "type": "decimal", "list": None, "max_length": None, "read_only": False,
         "user_defined": True, "column": "udf_02"}]
    code, out, _ = _run(capsys, "crm-fields", "company", "--remove", "tier")
    assert code == 0 and "Removed field 'tier'" in out
    code, out, _ = _run(capsys, "crm-fields", "company", "--json")
    assert [f["key"] for f in json.loads(out)["fields"]][-1] == "limit"


@pytest.mark.parametrize(("args", "code", "message"), [
    (("crm-fields", "planet"), 3, "'planet' is not a CRM entity"),
    (("crm-fields", "company", "--remove", "nope"), 3, "no user-defined field 'nope'"),
    (("crm-fields", "company", "--remove", "name"), 1, "is a standard field"),
    (("crm-fields", "company", "--add", "name", "--type", "text", "--label", "N"), 1,
     "is a standard field"),
    (("crm-fields", "company", "--add", "Bad-Key", "--type", "text", "--label", "N"), 1,
     "not a valid field key"),
    (("crm-fields", "company", "--add", "x", "--type", "list", "--label", "X", "--list",
      "nope"), 3, "no CRM list 'nope'"),
    (("crm-fields", "company", "--add", "x", "--label", "X"), 2, "needs --type and --label"),
    (("crm-fields", "company", "--add", "x", "--type", "money", "--label", "X"), 2,
     "invalid choice"),
    (("crm-fields", "company", "--type", "text"), 2, "--type goes with --add"),
    (("crm-fields", "company", "--add", "x", "--type", "list", "--label", "X", "--list", "l",
      "--item", "nokey"), 2, "--item takes KEY=TEXT"),
    (("crm-fields", "company", "--add", "x", "--remove", "y"), 2, "not allowed with"),
])
def test_cli_bad_input_is_one_line_with_its_exit_code(
        cli: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], code: int,
        message: str) -> None:
    _run(capsys, "crm-fields", "company")  # the store exists
    try:
        got, out, err = _run(capsys, *args)
    except SystemExit as exit_:  # argparse's own usage errors
        got, (out, err) = int(exit_.code or 0), capsys.readouterr()
    assert got == code
    assert message in err and out == ""
    if code != 2:
        assert len(err.strip().splitlines()) == 1
    listed, out, _ = _run(capsys, "crm-fields", "company", "--json")
    assert listed == 0 and not any(f["user_defined"] for f in json.loads(out)["fields"])
