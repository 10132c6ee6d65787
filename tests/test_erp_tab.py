"""The ERP tab of a CRM record: links with state, last sync, errors and history from the store;
live ERP values of the "show on ERP tab" fields in rank order; differing CRM values shown with
both values; a connector that hangs, fails or lost the actor gives a message, never an error."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from erp_tui.connectors.sample_data import mark_deleted, touch_actors
from erp_tui.context import AppContext
from erp_tui.errors import NotFoundError
from erp_tui.runner import RunOptions, crm, run_sync
from erp_tui.services.erp_tab import (
    TabValues,
    erp_tab_links,
    erp_tab_values,
    retry_record_errors,
)
from tests.erp_support import (
    SAMPLE,
    SQL,
    move_field,
    sample_erp,
    set_visibility,
    sql_erp,
)
from tests.wait_support import hold_calls


def _sync(ctx: AppContext, name: str) -> None:
    (report,) = run_sync(ctx, [name], RunOptions())
    assert report.status == "finished", report.as_dict()


def _crm_id(ctx: AppContext, name: str, actor_type: str, erp_key: str) -> int:
    with ctx.engine.connect() as conn:
        crm_id = conn.execute(text(
            "SELECT link.crm_id FROM link JOIN connection ON connection.id = link.connection_id"
            " WHERE connection.name = :name AND link.actor_type = :actor_type"
            " AND link.erp_key = :erp_key"),
            {"name": name, "actor_type": actor_type, "erp_key": erp_key}).scalar()
    assert crm_id is not None
    return int(crm_id)


def _edit(ctx: AppContext, entity: str, crm_id: int, **values: Any) -> None:
    with ctx.engine.begin() as conn:
        crm.edit_record(conn, entity, crm_id, values)


def _values(ctx: AppContext, crm_id: int, erp_key: str, name: str = SAMPLE,
            actor_type: str = "Customer", **kwargs: Any) -> TabValues:
    return erp_tab_values(ctx, "company", crm_id, name, actor_type, erp_key, **kwargs)


@pytest.fixture
def sample(ctx: AppContext, tmp_path: Path) -> Path:
    erp_file = sample_erp(ctx, tmp_path)
    _sync(ctx, SAMPLE)
    return erp_file


def test_tab_shows_the_ranked_fields_and_follows_rank_and_show_on_tab(
        ctx: AppContext, sample: Path) -> None:
    crm_id = _crm_id(ctx, SAMPLE, "Customer", "C0000001")
    (link,) = erp_tab_links(ctx, "company", crm_id)
    assert (link.connection, link.actor_type, link.erp_key, link.state) == (
        SAMPLE, "Customer", "C0000001", "linked")
    assert link.last_sync is not None and link.errors == () and link.history == ()
    keys = [key for key, _label in link.field_keys]
    assert keys[:4] == ["customer_no", "name", "orgno", "vatno"]
    assert dict(link.field_keys)["orgno"] == "Organisation number"
    values = _values(ctx, crm_id, "C0000001")
    assert values.message == "" and [f.key for f in values.fields] == keys

    move_field(ctx, SAMPLE, "Customer", "note", -100)  # to the top
    set_visibility(ctx, SAMPLE, "Customer", "orgno", tab=False)
    (link,) = erp_tab_links(ctx, "company", crm_id)
    keys = [key for key, _label in link.field_keys]
    assert keys[:4] == ["note", "customer_no", "name", "vatno"] and "orgno" not in keys
    assert [f.key for f in _values(ctx, crm_id, "C0000001").fields] == keys


def test_values_are_display_text_and_differing_crm_values_show_both(
        ctx: AppContext, sample: Path) -> None:
    crm_id = _crm_id(ctx, SAMPLE, "Customer", "C0000002")
    touch_actors(sample, "Customer", ["C0000002"], {"category": "WHOLESALE", "blocked": True,
                                                    "credit_limit": 2500.0})
    _sync(ctx, SAMPLE)
    fields = {f.key: f for f in _values(ctx, crm_id, "C0000002").fields}
    # ERP list items by their ERP text; checkboxes and numbers readable; unsynced: no CRM side.
    assert fields["category"].erp_value == "Wholesale"
    assert (fields["category"].crm_value, fields["category"].differs) == ("Wholesale", False)
    assert (fields["blocked"].erp_value, fields["blocked"].crm_value) == ("yes", None)
    assert fields["credit_limit"].erp_value == "2500" and fields["credit_limit"].direction == ""
    assert fields["name"].direction == "<>"
    # E-mail flows CRM→ERP only and the CRM has none: out of sync from the start.
    assert [f.key for f in fields.values() if f.differs] == ["email"]
    assert (fields["email"].erp_value, fields["email"].crm_value) == (
        "info@jorgensenenergi.no", "")

    erp_name = fields["name"].erp_value
    _edit(ctx, "company", crm_id, name="Renamed in the CRM", category="retail")
    fields = {f.key: f for f in _values(ctx, crm_id, "C0000002").fields}
    assert fields["name"].differs
    assert (fields["name"].erp_value, fields["name"].crm_value) == (erp_name,
                                                                    "Renamed in the CRM")
    assert fields["category"].differs
    assert (fields["category"].erp_value, fields["category"].crm_value) == ("Wholesale",
                                                                            "Retail")
    assert [f.key for f in fields.values() if f.differs] == ["name", "email", "category"]
    # The sync pushes the two-way name; the ERP, read again after that push, writes its
    # category back (ERP→CRM only); the empty CRM e-mail is nothing to push.
    _sync(ctx, SAMPLE)
    fields = {f.key: f for f in _values(ctx, crm_id, "C0000002").fields}
    assert [f.key for f in fields.values() if f.differs] == ["email"]
    assert fields["name"].erp_value == "Renamed in the CRM"


def test_history_errors_and_retry(ctx: AppContext, sample: Path) -> None:
    crm_id = _crm_id(ctx, SAMPLE, "Customer", "C0000003")
    touch_actors(sample, "Customer", ["C0000003"], {"postal_city": "Tromsø"})
    _sync(ctx, SAMPLE)
    touch_actors(sample, "Customer", ["C0000003"], {"postal_city": "Bergen"})
    _sync(ctx, SAMPLE)
    (link,) = erp_tab_links(ctx, "company", crm_id)
    newest, older = link.history[:2]
    assert (newest.field, newest.direction, newest.old, newest.new) == ("City", ">", "Tromsø",
                                                                        "Bergen")
    assert (older.field, older.new) == ("City", "Tromsø") and newest.run_id > older.run_id
    assert link.last_sync is not None and link.last_sync >= newest.at

    _edit(ctx, "company", crm_id, email="x" * 150)  # longer than the ERP's 120
    _sync(ctx, SAMPLE)
    (link,) = erp_tab_links(ctx, "company", crm_id)
    assert link.state == "error" and len(link.errors) == 1
    assert link.errors[0].direction == "<" and "120" in link.errors[0].message
    other = _crm_id(ctx, SAMPLE, "Customer", "C0000004")
    assert erp_tab_links(ctx, "company", other)[0].errors == ()

    _edit(ctx, "company", crm_id, email="fixed@example.com")
    summary = retry_record_errors(ctx, SAMPLE, [link.errors[0].id])
    assert summary == "Retried 1 error: 1 resolved, 0 still failing."
    (link,) = erp_tab_links(ctx, "company", crm_id)
    assert link.state == "linked" and link.errors == ()
    with pytest.raises(NotFoundError, match="already resolved"):
        retry_record_errors(ctx, SAMPLE, [1])


def test_a_hanging_connector_gives_a_time_out_message_within_the_time_out(
        ctx: AppContext, sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    crm_id = _crm_id(ctx, SAMPLE, "Customer", "C0000001")
    release = hold_calls(monkeypatch, ctx.connectors.connector("sample"), "get_actors",
                         at_most=30)
    try:
        started = time.perf_counter()
        values = _values(ctx, crm_id, "C0000001", timeout=0.2)
        elapsed = time.perf_counter() - started
    finally:
        release.set()
    assert values.fields == ()
    assert values.message == "The ERP did not answer within 0.2 seconds; try again later."
    assert elapsed < 5  # the call hangs for 30 s unless abandoned at the time-out


def test_a_failing_connector_or_a_lost_actor_gives_a_message(
        ctx: AppContext, sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    crm_id = _crm_id(ctx, SAMPLE, "Customer", "C0000005")
    mark_deleted(sample, "Customer", ["C0000005"])
    lost = _values(ctx, crm_id, "C0000005")
    assert lost.fields == () and "no longer has Customer 'C0000005'" in lost.message
    _sync(ctx, SAMPLE)
    (link,) = erp_tab_links(ctx, "company", crm_id)
    assert link.state == "deleted_in_erp" and link.history[0].field == "*"
    assert "deleted in the ERP" in _values(ctx, crm_id, "C0000005").message

    other = _crm_id(ctx, SAMPLE, "Customer", "C0000006")
    connector = ctx.connectors.connector("sample")

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("ERP database is on fire")

    monkeypatch.setattr(connector, "get_actors", broken)
    failed = _values(ctx, other, "C0000006")
    assert failed.fields == () and "failed unexpectedly" in failed.message


def test_unknown_record_or_link_is_not_found(ctx: AppContext, sample: Path) -> None:
    crm_id = _crm_id(ctx, SAMPLE, "Customer", "C0000001")
    with pytest.raises(NotFoundError, match="no CRM company with id 99999"):
        erp_tab_links(ctx, "company", 99999)
    with pytest.raises(NotFoundError, match="is not linked to ERP Customer 'C0000002'"):
        _values(ctx, crm_id, "C0000002")
    with pytest.raises(NotFoundError, match="no CRM entity"):
        erp_tab_links(ctx, "invoice", crm_id)


def test_sql_connector_tab_values_and_differences(ctx: AppContext, tmp_path: Path) -> None:
    url = sql_erp(ctx, tmp_path)
    _sync(ctx, SQL)
    crm_id = _crm_id(ctx, SQL, "Customer", "1")
    (link,) = erp_tab_links(ctx, "company", crm_id)
    assert [k for k, _ in link.field_keys] == ["name", "city", "country", "credit_limit",
                                               "active", "since"]
    fields = {f.key: f for f in _values(ctx, crm_id, "1", SQL).fields}
    assert (fields["country"].erp_value, fields["country"].crm_value) == ("Netherlands",
                                                                          "Netherlands")
    assert fields["credit_limit"].erp_value == "1500.5"
    assert (fields["active"].erp_value, fields["since"].erp_value) == ("yes", "2020-03-01")
    assert fields["city"].direction == ">" and not any(f.differs for f in fields.values())

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE customer SET city = 'Deventer', country_code = 'DE', "
                          "updated_at = '2025-02-01 00:00:00' WHERE id = 1"))
    engine.dispose()
    fields = {f.key: f for f in _values(ctx, crm_id, "1", SQL).fields}
    assert (fields["city"].erp_value, fields["city"].crm_value) == ("Deventer", "Zwolle")
    assert (fields["country"].erp_value, fields["country"].crm_value) == ("Germany",
                                                                          "Netherlands")
    assert fields["city"].differs and fields["country"].differs and not fields["name"].differs


def test_erp_text_is_shown_inert_and_bounded(ctx: AppContext, sample: Path) -> None:
    crm_id = _crm_id(ctx, SAMPLE, "Customer", "C0000004")
    touch_actors(sample, "Customer", ["C0000004"], {
        "note": "\x1b[31m[b]red[/b]\nsecond line\u2028" + "x" * 2000, "orgno": "[link=x]y"})
    fields = {f.key: f for f in _values(ctx, crm_id, "C0000004").fields}
    note = fields["note"].erp_value
    assert note.startswith(" [31m[b]red[/b] second line ") and len(note) == 500
    assert note.endswith("…") and note.isprintable()
    assert fields["orgno"].erp_value == "[link=x]y"  # markup-like text stays text


def test_typed_fields_compare_with_user_defined_crm_fields(ctx: AppContext,
                                                           tmp_path: Path) -> None:
    from erp_tui.connectors.sample_data import generate_sample_erp
    from erp_tui.services import crm_fields, records
    from tests.connectors.sync_support import configure
    from tests.erp_support import API_KEY, SAMPLE_PLAN

    for key, label, kind in (("credit_limit", "Credit limit", "decimal"),
                             ("blocked", "Blocked", "checkbox")):
        crm_fields.add_field(ctx, crm_fields.NewField("company", key, label, kind))
    erp_file = tmp_path / "typed.sqlite"
    generate_sample_erp(erp_file, customers=2, suppliers=0, persons_per_customer=0,
                        persons_per_supplier=0, projects=0, api_key=API_KEY)
    plan = {"Customer": {**SAMPLE_PLAN["Customer"], "credit_limit": ("credit_limit", "<>"),
                         "blocked": ("blocked", "<>")}}
    configure(ctx, SAMPLE, "sample", {"database": str(erp_file), "api_key": API_KEY}, plan)
    touch_actors(erp_file, "Customer", ["C0000001"], {"credit_limit": 1250.0, "blocked": True})
    _sync(ctx, SAMPLE)
    crm_id = _crm_id(ctx, SAMPLE, "Customer", "C0000001")
    fields = {f.key: f for f in _values(ctx, crm_id, "C0000001").fields}
    assert (fields["credit_limit"].erp_value, fields["credit_limit"].crm_value) == ("1250",
                                                                                    "1250")
    assert (fields["blocked"].erp_value, fields["blocked"].crm_value) == ("yes", "yes")
    assert not fields["credit_limit"].differs and not fields["blocked"].differs
    stamp = records.get_record(ctx, "company", crm_id).stamp
    records.edit_record(ctx, "company", crm_id, {"credit_limit": "99.5", "blocked": "no"}, stamp)
    fields = {f.key: f for f in _values(ctx, crm_id, "C0000001").fields}
    assert (fields["credit_limit"].crm_value, fields["credit_limit"].differs) == ("99.5", True)
    assert (fields["blocked"].crm_value, fields["blocked"].differs) == ("no", True)
