"""Every configuration rule of the source page through the services, with each refusal message."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from erp_tui.connectors.sample_data import generate_sample_erp
from erp_tui.context import AppContext
from erp_tui.errors import (
    ConnectionActiveError,
    NotFoundError,
    StaleEditError,
    ValidationFailed,
)
from erp_tui.model import SyncDefault
from erp_tui.rules import DefaultSpec, Direction
from erp_tui.services import connections, defaults, lists, mappings, metadata, ranking
from erp_tui.services.activation import validate_connection

API_KEY = "s3cret-Key!"


@pytest.fixture
def erp_file(tmp_path: Path) -> Path:
    path = tmp_path / "erp.sqlite"
    generate_sample_erp(path, customers=30, suppliers=5, projects=5, api_key=API_KEY)
    return path


def _draft(erp_file: Path, name: str = "Test ERP", **values: object) -> connections.ConnectionDraft:
    return connections.ConnectionDraft(
        name=name, connector="sample", scope="everyone",
        values={"database": str(erp_file), "api_key": API_KEY, **values})


def _add(ctx: AppContext, erp_file: Path, name: str = "Test ERP") -> int:
    draft = _draft(erp_file, name)
    return connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))


def _make_activatable(ctx: AppContext, cid: int) -> None:
    state = mappings.load_mappings(ctx, cid)
    customer = state.tab("Customer")
    customer.enabled = True
    for row in customer.rows:
        if row.erp.mandatory:
            if row.crm_field is None:
                continue
            assert mappings.set_direction(customer, row, Direction.BOTH) == ""
    mappings.save_mappings(ctx, state)


# ---- rule 2: the connection dialog's gate ----------------------------------------------------

def test_draft_needs_a_passed_test_of_exactly_the_current_values(ctx: AppContext,
                                                                erp_file: Path) -> None:
    draft = _draft(erp_file)
    problems = connections.draft_problems(ctx, draft, None)
    assert problems == ["Test the connection with the values now in the form."]
    outcome = connections.test_draft(ctx, draft)
    assert outcome.ok
    assert connections.draft_problems(ctx, draft, outcome) == []
    draft.values["page_size"] = "100"
    assert connections.draft_problems(ctx, draft, outcome) == [
        "Test the connection with the values now in the form."]
    with pytest.raises(ValidationFailed) as refused:
        connections.save_draft(ctx, draft, outcome)
    assert "cannot be saved yet" in str(refused.value)
    assert connections.list_connections(ctx) == []


def test_draft_reports_mandatory_fields_and_scope(ctx: AppContext, erp_file: Path) -> None:
    draft = connections.ConnectionDraft(name="", connector="sample")
    problems = connections.draft_problems(ctx, draft, None)
    assert "Enter a name for the connection." in problems
    assert any("mandatory field" in p and "database" in p.lower() for p in problems)
    assert any("scope" in p for p in problems)
    draft = _draft(erp_file)
    draft.scope = "chosen"
    assert ("The scope is 'chosen users/groups': add at least one user or group."
            in connections.draft_problems(ctx, draft, connections.test_draft(ctx, draft)))
    draft.scope_members = ["sales"]
    assert any("user:NAME or group:NAME" in p
               for p in connections.draft_problems(ctx, draft, None))


def test_failed_test_blocks_saving_and_says_why(ctx: AppContext, erp_file: Path) -> None:
    draft = _draft(erp_file, api_key="wrong")
    outcome = connections.test_draft(ctx, draft)
    assert not outcome.ok
    assert "wrong" not in outcome.message  # the key is never echoed
    problems = connections.draft_problems(ctx, draft, outcome)
    assert any(p.startswith("The connection test failed:") for p in problems)


def test_secrets_are_encrypted_at_rest_and_never_shown(ctx: AppContext, erp_file: Path) -> None:
    cid = _add(ctx, erp_file)
    with ctx.engine.connect() as conn:
        raw = conn.execute(text("SELECT config, secrets FROM connection WHERE id = :i"),
                           {"i": cid}).one()
    assert API_KEY not in str(raw)
    assert "api_key" in str(raw.secrets)
    key_file = ctx.settings.data_dir / "secret.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    draft = connections.draft_for(ctx, cid)
    assert draft.values["api_key"] is None  # kept, not revealed
    assert connections.test_draft(ctx, draft).ok  # the kept secret still works


def test_duplicate_names_are_refused(ctx: AppContext, erp_file: Path) -> None:
    _add(ctx, erp_file)
    draft = _draft(erp_file)
    with pytest.raises(Exception, match="already exists"):
        connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))


# ---- rule 4: automatic mapping and refresh ---------------------------------------------------

def test_new_connection_maps_fields_by_key_without_direction(ctx: AppContext,
                                                             erp_file: Path) -> None:
    cid = _add(ctx, erp_file)
    state = mappings.load_mappings(ctx, cid)
    customer = state.tab("Customer")
    mapped = {r.erp.key: r.crm_field for r in customer.rows if r.crm_field}
    assert mapped["name"] == "name" and mapped["vatno"] == "vatno"
    assert mapped["country"] == "country" and mapped["category"] == "category"
    assert "payment_terms" not in mapped and "customer_no" not in mapped
    assert all(r.direction is None for r in customer.rows)
    assert {t.actor_type for t in state.tabs} == {"Customer", "Supplier", "Person", "Project"}
    assert all(not t.enabled for t in state.tabs)


def test_refresh_keeps_disappeared_fields_marked_missing(ctx: AppContext, erp_file: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    cid = _add(ctx, erp_file)
    connector = ctx.connectors.connector("sample")
    original = connector.actor_fields

    def without_note(connection_id: int, actor_type: str):  # type: ignore[no-untyped-def]
        result = original(connection_id, actor_type)
        if actor_type != "Customer":
            return result
        return result.model_copy(update={"fields": [f for f in result.fields
                                                    if f.key != "note"]})

    monkeypatch.setattr(connector, "actor_fields", without_note)
    report = metadata.refresh_metadata(ctx, cid)
    assert report.missing_fields == ["Customer.note"]
    row = mappings.load_mappings(ctx, cid).tab("Customer").row("note")
    assert row.missing
    cells = mappings.load_mappings(ctx, cid).tab("Customer").cells(row)
    assert all("no longer available" in c.reason for c in cells)
    monkeypatch.setattr(connector, "actor_fields", original)
    metadata.refresh_metadata(ctx, cid)
    assert not mappings.load_mappings(ctx, cid).tab("Customer").row("note").missing


# ---- rule 3: field mapping -------------------------------------------------------------------

def test_direction_refused_on_read_only_and_unmapped_fields(ctx: AppContext,
                                                           erp_file: Path) -> None:
    cid = _add(ctx, erp_file)
    state = mappings.load_mappings(ctx, cid)
    customer = state.tab("Customer")
    number = customer.row("customer_no")
    assert mappings.set_direction(customer, number, Direction.TO_CRM) == \
        "Choose a CRM field first."
    assert mappings.set_crm_field(customer, number, "number1") == ""
    assert "read-only in the ERP" in mappings.set_direction(customer, number, Direction.BOTH)
    assert mappings.set_direction(customer, number, Direction.TO_CRM) == ""
    assert "does not fit" in mappings.set_crm_field(customer, customer.row("country"), "name")
    mappings.save_mappings(ctx, state)
    saved = mappings.load_mappings(ctx, cid).tab("Customer").row("customer_no")
    assert (saved.crm_field, saved.direction) == ("number1", Direction.TO_CRM)


def test_changing_crm_field_clears_a_direction_that_no_longer_fits(ctx: AppContext,
                                                                   erp_file: Path) -> None:
    cid = _add(ctx, erp_file)
    state = mappings.load_mappings(ctx, cid)
    customer = state.tab("Customer")
    row = customer.row("name")
    mappings.set_direction(customer, row, Direction.BOTH)
    mappings.set_crm_field(customer, row, "id")  # read-only CRM field: text? no -> refused
    assert row.crm_field == "name"
    mappings.set_crm_field(customer, row, None)
    assert row.direction is None


def test_invalid_mapping_state_is_refused_whole(ctx: AppContext, erp_file: Path) -> None:
    cid = _add(ctx, erp_file)
    state = mappings.load_mappings(ctx, cid)
    customer = state.tab("Customer")
    customer.row("customer_no").crm_field = "number1"
    customer.row("customer_no").direction = Direction.TO_ERP  # bypassing the helpers
    customer.row("name").direction = Direction.BOTH
    with pytest.raises(ValidationFailed) as refused:
        mappings.save_mappings(ctx, state)
    assert any("read-only in the ERP" in p.message for p in refused.value.problems)
    assert mappings.load_mappings(ctx, cid).tab("Customer").row("name").direction is None


# ---- rule 1: only while inactive -------------------------------------------------------------

def test_every_edit_of_an_active_connection_is_refused(ctx: AppContext, erp_file: Path) -> None:
    cid = _add(ctx, erp_file)
    _make_activatable(ctx, cid)
    connections.activate(ctx, cid)
    message = "is active; deactivate it first (deactivate → change → test → OK → reactivate)."
    edits = [
        lambda: mappings.save_mappings(ctx, mappings.load_mappings(ctx, cid)),
        lambda: defaults.save_default(ctx, cid, "Customer",
                                      DefaultSpec("currency", False, "", True, False)),
        lambda: ranking.save_ranking(ctx, cid, "Customer", [
            r.erp_field for r in ranking.load_ranking(ctx, cid).tabs["Customer"]]),
        lambda: metadata.refresh_metadata(ctx, cid),
        lambda: connections.delete_connection(ctx, cid),
        lambda: connections.save_draft(ctx, connections.draft_for(ctx, cid), connections.test_draft(
            ctx, connections.draft_for(ctx, cid))),
    ]
    for edit in edits:
        with pytest.raises(ConnectionActiveError) as refused:
            edit()
        assert message in str(refused.value)
    connections.deactivate(ctx, cid)
    mappings.save_mappings(ctx, mappings.load_mappings(ctx, cid))


# ---- rule 5: list mapping --------------------------------------------------------------------

def test_lists_appear_only_for_mapped_list_fields(ctx: AppContext, erp_file: Path) -> None:
    cid = _add(ctx, erp_file)
    names = {m.erp_list for m in lists.mapped_lists(ctx, cid)}
    assert names == {"country", "customer_group", "supplier_group", "project_status"}
    state = mappings.load_mappings(ctx, cid)
    for tab in state.tabs:
        for row in tab.rows:
            mappings.set_crm_field(tab, row, None)
    mappings.save_mappings(ctx, state)
    assert lists.mapped_lists(ctx, cid) == []
    with pytest.raises(NotFoundError, match="map a list field in Mappings first"):
        lists.load_list_mapping(ctx, cid, "country")


def test_duplicate_list_targets_are_refused_until_resolved(ctx: AppContext,
                                                           erp_file: Path) -> None:
    cid = _add(ctx, erp_file)
    state = lists.load_list_mapping(ctx, cid, "country")
    assert {r.erp_key: r.crm_key for r in state.rows}["SE"] == "SE"  # suggested by key
    state.rows[0].crm_key = "SE"
    first = state.rows[0].erp_key
    assert state.duplicate_rows() == {first, "SE"}
    with pytest.raises(ValidationFailed) as refused:
        lists.save_list_mapping(ctx, state)
    assert "each CRM item may be chosen once" in refused.value.problems[0].message
    state.rows[0].crm_key = None  # "(No selection)"
    lists.save_list_mapping(ctx, state)
    saved = lists.load_list_mapping(ctx, cid, "country")
    assert {r.erp_key: r.crm_key for r in saved.rows}[first] is None
    assert not any(r.suggested for r in saved.rows)


def test_lists_are_saved_together_or_not_at_all(ctx: AppContext, erp_file: Path) -> None:
    cid = _add(ctx, erp_file)
    country = lists.load_list_mapping(ctx, cid, "country")
    group = lists.load_list_mapping(ctx, cid, "customer_group")
    before = {r.erp_key: r.crm_key for r in country.rows}
    country.rows[0].crm_key = None  # a good change in one list ...
    group.rows[0].crm_key = group.rows[1].crm_key = group.rows[1].crm_key or "A"  # ... a bad one
    with pytest.raises(ValidationFailed, match="duplicate mappings"):
        lists.save_list_mappings(ctx, [country, group])
    assert {r.erp_key: r.crm_key
            for r in lists.load_list_mapping(ctx, cid, "country").rows} == before
    group = lists.load_list_mapping(ctx, cid, "customer_group")
    group.rows[0].crm_key = None
    version = lists.save_list_mappings(ctx, [country, group])
    assert country.version == group.version == version
    assert {r.erp_key: r.crm_key
            for r in lists.load_list_mapping(ctx, cid, "country").rows}[country.rows[0].erp_key] \
        is None
    assert lists.load_list_mapping(ctx, cid, "customer_group").rows[0].crm_key is None


# ---- rule 6: defaults ------------------------------------------------------------------------

def test_default_rules(ctx: AppContext, erp_file: Path) -> None:
    cid = _add(ctx, erp_file)
    with pytest.raises(ValidationFailed) as refused:
        defaults.save_default(ctx, cid, "Customer",
                              DefaultSpec("currency", False, "", False, True))
    assert "choose 'Set default value' or 'Ask the user for a value'" in str(refused.value)
    with pytest.raises(ValidationFailed, match="enter a value"):
        defaults.save_default(ctx, cid, "Customer", DefaultSpec("currency", True, "", False,
                                                                False))
    with pytest.raises(ValidationFailed, match="not an item of the list"):
        defaults.save_default(ctx, cid, "Customer", DefaultSpec("currency", True, "XYZ", False,
                                                                False))
    with pytest.raises(ValidationFailed, match="needs a number"):
        defaults.save_default(ctx, cid, "Customer", DefaultSpec("credit_limit", True, "lots",
                                                                False, False))
    defaults.save_default(ctx, cid, "Customer", DefaultSpec("currency", True, "SEK", False,
                                                            True))
    defaults.save_default(ctx, cid, "Person", DefaultSpec("firstname", False, "", True, False))
    state = defaults.load_defaults(ctx, cid)
    row = state.tab("Person").rows[0]
    assert row.mandatory and row.forced_mandatory  # connector-mandatory: always mandatory
    assert [(r.erp_field, r.value, r.mandatory) for r in state.tab("Customer").rows] == [
        ("currency", "SEK", True)]
    defaults.remove_default(ctx, cid, "Customer", "currency")
    assert defaults.load_defaults(ctx, cid).tab("Customer").rows == []


def test_a_list_default_given_by_its_text_is_stored_by_key(ctx: AppContext,
                                                           erp_file: Path) -> None:
    """`defaults --value "Zweedse kroon"` in Dutch and "Swedish krona" in English both store
    SEK, so the default means the same item whichever language reads it later."""
    from erp_tui.i18n import set_language

    cid = _add(ctx, erp_file)
    set_language("nl")
    try:
        defaults.save_default(ctx, cid, "Customer",
                              DefaultSpec("currency", True, "Zweedse kroon", False, False))
    finally:
        set_language("en")
    assert defaults.load_defaults(ctx, cid).tab("Customer").rows[0].value == "SEK"
    defaults.save_default(ctx, cid, "Customer",
                          DefaultSpec("currency", True, "norwegian krone", False, False))
    assert defaults.load_defaults(ctx, cid).tab("Customer").rows[0].value == "NOK"


# ---- rules 7 and 8: ranking and priority -----------------------------------------------------

def test_ranking_lists_every_field_and_saves_the_order(ctx: AppContext, erp_file: Path) -> None:
    cid = _add(ctx, erp_file)
    rows = ranking.load_ranking(ctx, cid).tabs["Customer"]
    order = [r.erp_field for r in rows]
    assert len(order) == 18 and order[0] == "customer_no"
    moved = ranking.move_field(order, "note", -100)
    assert moved[0] == "note"
    ranking.save_ranking(ctx, cid, "Customer", moved)
    assert [r.erp_field for r in ranking.load_ranking(ctx, cid).tabs["Customer"]] == moved
    with pytest.raises(Exception, match="exactly once"):
        ranking.save_ranking(ctx, cid, "Customer", moved[1:])


def test_priority_orders_active_connections(ctx: AppContext, erp_file: Path) -> None:
    ids = [_add(ctx, erp_file, name) for name in ("A", "B", "C")]
    for cid in ids:
        _make_activatable(ctx, cid)
        connections.activate(ctx, cid)
    assert [c.name for c in connections.priority_order(ctx)] == ["A", "B", "C"]
    connections.set_priority_order(ctx, [ids[2], ids[0], ids[1]])
    assert [(c.name, c.priority) for c in connections.priority_order(ctx)] == [
        ("C", 1), ("A", 2), ("B", 3)]
    connections.deactivate(ctx, ids[2])
    assert [(c.name, c.priority) for c in connections.priority_order(ctx)] == [
        ("A", 1), ("B", 2)]
    with pytest.raises(Exception, match="every active connection once"):
        connections.set_priority_order(ctx, [ids[0]])


# ---- rule 9: activation ----------------------------------------------------------------------

def test_activation_lists_one_message_per_problem(ctx: AppContext, erp_file: Path) -> None:
    cid = _add(ctx, erp_file)
    state = mappings.load_mappings(ctx, cid)
    state.tab("Customer").enabled = True
    mappings.save_mappings(ctx, state)
    with ctx.engine.begin() as conn:  # states only a stale import or an old version could leave
        conn.execute(text("UPDATE field_mapping SET crm_field='number1', to_erp=true "
                          "WHERE connection_id=:c AND erp_field='customer_no' "
                          "AND actor_type='Customer'"), {"c": cid})
        conn.execute(text("INSERT INTO list_mapping VALUES (:c,'country','country','NL','SE'),"
                          "(:c,'country','country','SE','SE')"), {"c": cid})
    with ctx.session() as session:
        session.add(SyncDefault(connection_id=cid, actor_type="Customer", erp_field="currency",
                                set_value=False, value="", ask_user=False, mandatory=True))
        session.add(SyncDefault(connection_id=cid, actor_type="Customer",
                                erp_field="credit_limit", set_value=True, value="lots"))
    Path(erp_file).rename(erp_file.with_suffix(".moved"))
    with pytest.raises(ValidationFailed) as refused:
        connections.activate(ctx, cid)
    codes = [p.code for p in refused.value.problems]
    assert codes.count("mandatory_direction") == 1  # Customer.name (payment_terms is unmapped)
    assert "read_only_direction" in codes
    assert "list_duplicate" in codes
    assert codes.count("default") == 2
    assert "test_failed" in codes
    messages = "\n".join(p.message for p in refused.value.problems)
    assert "Customer › Name: mandatory ERP field has no sync direction" in messages
    assert "read-only in the ERP" in messages
    assert "CRM item 'SE' is chosen for ERP items NL, SE" in messages
    assert "needs a number, not 'lots'" in messages
    assert not connections.require_connection(ctx, cid).active
    assert validate_connection(ctx, cid, run_test=False) == [
        p for p in refused.value.problems if p.code != "test_failed"]


def test_a_mapping_problem_reads_the_same_on_save_and_at_activation(ctx: AppContext,
                                                                    erp_file: Path) -> None:
    cid = _add(ctx, erp_file)
    state = mappings.load_mappings(ctx, cid)
    row = state.tab("Customer").row("customer_no")  # read-only in the ERP
    row.crm_field, row.direction = "number1", Direction.TO_ERP  # past set_direction's guard
    with pytest.raises(ValidationFailed) as refused:
        mappings.save_mappings(ctx, state)
    assert [p.code for p in refused.value.problems] == ["read_only_direction"]
    with ctx.engine.begin() as conn:  # the same mapping stored (as an old version could)
        conn.execute(text("UPDATE field_mapping SET crm_field='number1', to_erp=true "
                          "WHERE connection_id=:c AND erp_field='customer_no' "
                          "AND actor_type='Customer'"), {"c": cid})
    at_activation = [p for p in validate_connection(ctx, cid, run_test=False)
                     if p.code == "read_only_direction"]
    assert at_activation == refused.value.problems


def test_activation_succeeds_once_fixed(ctx: AppContext, erp_file: Path) -> None:
    cid = _add(ctx, erp_file)
    state = mappings.load_mappings(ctx, cid)
    state.tab("Customer").enabled = True
    mappings.save_mappings(ctx, state)
    with pytest.raises(ValidationFailed):
        connections.activate(ctx, cid)
    _make_activatable(ctx, cid)
    connections.activate(ctx, cid)
    summary = connections.require_connection(ctx, cid)
    assert summary.active and summary.priority == 1 and summary.last_test_ok


# ---- two administrators ----------------------------------------------------------------------

def test_stale_save_is_refused_and_nothing_is_lost(ctx: AppContext, erp_file: Path) -> None:
    cid = _add(ctx, erp_file)
    first = mappings.load_mappings(ctx, cid)
    second = mappings.load_mappings(ctx, cid)
    first.tab("Customer").row("name").direction = Direction.BOTH
    mappings.save_mappings(ctx, first)
    second.tab("Customer").row("vatno").direction = Direction.TO_CRM
    with pytest.raises(StaleEditError, match="changed by someone else"):
        mappings.save_mappings(ctx, second)
    saved = mappings.load_mappings(ctx, cid).tab("Customer")
    assert saved.row("name").direction is Direction.BOTH
    assert saved.row("vatno").direction is None
    third = mappings.load_mappings(ctx, cid)
    third.tab("Customer").row("vatno").direction = Direction.TO_CRM
    mappings.save_mappings(ctx, third)
    assert mappings.load_mappings(ctx, cid).tab("Customer").row("vatno").direction is \
        Direction.TO_CRM


def test_stale_list_mapping_is_refused(ctx: AppContext, erp_file: Path) -> None:
    cid = _add(ctx, erp_file)
    first = lists.load_list_mapping(ctx, cid, "country")
    second = lists.load_list_mapping(ctx, cid, "country")
    lists.save_list_mapping(ctx, first)
    with pytest.raises(StaleEditError):
        lists.save_list_mapping(ctx, second)
