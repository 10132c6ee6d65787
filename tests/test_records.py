"""CRM records: list, filter and page; read one; edit it (typed, checked, stamped, locked)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import insert, select

from erp_tui.cli import main
from erp_tui.errors import NotFoundError, StaleEditError, ValidationFailed
from erp_tui.model import CrmCompany, CrmPerson, Link
from erp_tui.services import records

COMPANY = CrmCompany.__table__  # type: ignore[attr-defined]
PERSON = CrmPerson.__table__  # type: ignore[attr-defined]
LINK = Link.__table__  # type: ignore[attr-defined]

NAMES = ["acme Trading", "Acme Holding", "Berg Consult", "Zeeland Foods", "Ålesund Fisk",
         "berg en dal BV", "100% Pure", "Under_score Ltd"]


def _fill(ctx: Any) -> dict[str, int]:
    """A few companies (mixed case, non-ASCII, LIKE characters) and two persons."""
    ids: dict[str, int] = {}
    with ctx.engine.begin() as conn:
        for i, name in enumerate(NAMES):
            ids[name] = int(conn.execute(insert(COMPANY).values(
                name=name, number1=f"N{i:03d}", email=f"info{i}@example.com",
                postal_city="Oslo" if i % 2 else "Utrecht")).inserted_primary_key[0])
        conn.execute(insert(PERSON).values(firstname="Anna", lastname="Berg",
                                           company_id=ids["Berg Consult"], email="anna@b.nl"))
        conn.execute(insert(PERSON).values(firstname="Bo", lastname="Andersson",
                                           email="bo@a.se"))
    return ids


def _titles(rows: list[records.RecordRow]) -> list[str]:
    return [r.title for r in rows]


def test_list_sorts_by_title_case_insensitively_and_pages(ctx: Any) -> None:
    _fill(ctx)
    assert records.count_records(ctx, "company") == len(NAMES)
    everything = _titles(records.list_records(ctx, "company", limit=100))
    assert everything[:4] == ["100% Pure", "Acme Holding", "acme Trading", "Berg Consult"]
    assert everything[4] == "berg en dal BV"
    paged = [title for offset in range(0, len(NAMES), 3)
             for title in _titles(records.list_records(ctx, "company", "", offset, 3))]
    assert paged == everything
    # Pages past the middle, read from the other end when the total is known, are the same.
    assert _titles(records.list_records(ctx, "company", "", 6, 3, total=len(NAMES))) == \
        everything[6:]
    persons = records.list_records(ctx, "person")
    assert _titles(persons) == ["Bo Andersson", "Anna Berg"]
    assert persons[1].company == "Berg Consult" and persons[0].company == ""


@pytest.mark.parametrize(("text", "expected"), [
    ("acme", {"acme Trading", "Acme Holding"}),          # name, any case
    ("BERG", {"Berg Consult", "berg en dal BV"}),
    ("n00", set(NAMES)),                                   # number
    ("info3@", {"Zeeland Foods"}),                         # e-mail
    ("oslo", {NAMES[i] for i in range(1, len(NAMES), 2)}),  # city
    ("ålesund", {"Ålesund Fisk"}),
    ("100%", {"100% Pure"}),                                # LIKE characters are plain text
    ("under_", {"Under_score Ltd"}),
    ("trading", set()),                                     # begins with, not contains
    ("\x1b[31m", set()),                                    # control characters ignored
])
def test_filter_matches_the_beginning_of_name_number_email_or_city(
        ctx: Any, text: str, expected: set[str]) -> None:
    _fill(ctx)
    rows = records.list_records(ctx, "company", text, limit=100)
    assert set(_titles(rows)) == expected
    assert records.count_records(ctx, "company", text) == len(expected)


def test_filter_finds_erp_keys_and_rows_show_their_links(demo_ctx: Any) -> None:
    from erp_tui.runner import run_sync

    run_sync(demo_ctx)
    with demo_ctx.engine.connect() as conn:
        crm_id, erp_key = conn.execute(select(LINK.c.crm_id, LINK.c.erp_key).where(
            LINK.c.crm_entity == "company").order_by(LINK.c.id)).first()
    rows = records.list_records(demo_ctx, "company", erp_key)
    assert [r.id for r in rows] == [crm_id]
    (badge,) = rows[0].links
    assert (badge.connection, badge.erp_key, badge.state) == ("Nordic Trading AB", erp_key,
                                                              "linked")
    assert records.connection_names(demo_ctx)[0] == "Nordic Trading AB"


def test_unknown_entity_is_one_sentence(ctx: Any) -> None:
    with pytest.raises(NotFoundError, match="use company, person or project"):
        records.list_records(ctx, "planet")


def test_edit_checks_every_value_and_writes_nothing_when_one_is_wrong(ctx: Any) -> None:
    ids = _fill(ctx)
    record_id = ids["Berg Consult"]
    before = records.get_record(ctx, "company", record_id)
    with pytest.raises(ValidationFailed) as failed:
        records.edit_record(ctx, "company", record_id,
                            {"name": "New name", "country": "Mars", "id": "9",
                             "birthdate": "x", "postal_zip": "1" * 21,
                             "phone": "\x1b]0;evil\x07"}, before.stamp)
    keys = [p.field_key for p in failed.value.problems]
    assert keys == ["country", "id", "birthdate", "postal_zip", "phone"]
    after = records.get_record(ctx, "company", record_id)
    assert after.stamp == before.stamp and after.title == "Berg Consult"


def test_edit_stamps_the_record_and_refuses_a_stale_save(ctx: Any) -> None:
    ids = _fill(ctx)
    record_id = ids["Berg Consult"]
    opened = records.get_record(ctx, "company", record_id)
    saved = records.edit_record(ctx, "company", record_id,
                                {"name": "Berg Consult AS", "country": "norway"},
                                opened.stamp)
    values = {f.key: f for f in saved.fields}
    assert values["name"].value == "Berg Consult AS"
    assert (values["country"].value, values["country"].display) == ("NO", "Norway")
    assert saved.stamp > opened.stamp
    with pytest.raises(StaleEditError, match="someone else"):
        records.edit_record(ctx, "company", record_id, {"name": "Lost"}, opened.stamp)
    assert records.get_record(ctx, "company", record_id).title == "Berg Consult AS"
    cleared = records.edit_record(ctx, "company", record_id, {"country": ""}, saved.stamp)
    assert {f.key: f.value for f in cleared.fields}["country"] == ""


def test_dates_are_accepted_in_iso_and_day_month_year(ctx: Any) -> None:
    _fill(ctx)
    person = records.list_records(ctx, "person")[0]
    opened = records.get_record(ctx, "person", person.id)
    saved = records.edit_record(ctx, "person", person.id, {"birthdate": "31-01-1980"},
                                opened.stamp)
    assert {f.key: f.value for f in saved.fields}["birthdate"] == "1980-01-31"
    assert saved.parent is None
    anna = next(r for r in records.list_records(ctx, "person") if r.title == "Anna Berg")
    assert records.get_record(ctx, "person", anna.id).parent is not None


def test_an_edit_is_pushed_by_the_next_sync(demo_ctx: Any) -> None:
    """The whole point of editing: the record's new stamp sends the value to the ERP."""
    from erp_tui.runner import run_sync
    from erp_tui.services import mappings
    from erp_tui.services.connections import activate, deactivate

    run_sync(demo_ctx)
    with demo_ctx.engine.connect() as conn:
        crm_id, erp_key = conn.execute(select(LINK.c.crm_id, LINK.c.erp_key).where(
            LINK.c.crm_entity == "company", LINK.c.actor_type == "Customer")
            .order_by(LINK.c.id)).first()
    deactivate(demo_ctx, "Nordic Trading AB")
    state = mappings.load_mappings(demo_ctx, "Nordic Trading AB")
    tab = state.tab("Customer")
    row = next(r for r in tab.rows if r.crm_field == "phone")
    from erp_tui.rules import Direction

    assert mappings.set_direction(tab, row, Direction.BOTH) == ""
    row.show_on_tab = True
    mappings.save_mappings(demo_ctx, state)
    activate(demo_ctx, "Nordic Trading AB")
    opened = records.get_record(demo_ctx, "company", crm_id)
    records.edit_record(demo_ctx, "company", crm_id, {"phone": "+47 555 0100"}, opened.stamp)
    (report,) = run_sync(demo_ctx)
    assert report.counts.pushed == 1
    from erp_tui.services import erp_tab

    values = erp_tab.erp_tab_values(demo_ctx, "company", crm_id, "Nordic Trading AB",
                                    "Customer", erp_key)
    assert not values.message
    assert {f.key: f.erp_value for f in values.fields}.get(row.erp.key) == "+47 555 0100"


def test_records_on_a_postgresql_store(pg_url: str, tmp_path: Any) -> None:
    from erp_tui.context import AppContext
    from erp_tui.settings import Settings

    context = AppContext.open(Settings(data_dir=tmp_path / "data", database_url=pg_url))
    try:
        _fill(context)
        assert set(_titles(records.list_records(context, "company", "acme"))) == {
            "acme Trading", "Acme Holding"}
        assert _titles(records.list_records(context, "company", limit=2)) == [
            "100% Pure", "Acme Holding"]
        assert records.count_records(context, "company", "ålesund") == 1
        first = records.list_records(context, "company", "berg")[0]
        opened = records.get_record(context, "company", first.id)
        saved = records.edit_record(context, "company", first.id, {"postal_zip": "0150"},
                                    opened.stamp)
        assert saved.stamp > opened.stamp
    finally:
        context.engine.dispose()


# ---- the CLI face ----------------------------------------------------------------------------

def _run(capsys: pytest.CaptureFixture[str], ctx: Any, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(ctx.settings.database_url), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_list_show_and_edit(ctx: Any, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _fill(ctx)
    code, out, _err = _run(capsys, ctx, "records", "list", "company", "--search", "acme")
    assert code == 0
    assert "Acme Holding" in out and "acme Trading" in out and "Berg" not in out
    code, out, _err = _run(capsys, ctx, "records", "list", "company", "--limit", "3", "--json")
    listed = json.loads(out)
    assert listed["total"] == len(NAMES) and len(listed["records"]) == 3
    record_id = ids["Zeeland Foods"]
    code, out, _err = _run(capsys, ctx, "records", "edit", "company", str(record_id), "--set",
                           "name=Zeeland Foods BV", "--set", "country=NL")
    assert code == 0 and "Zeeland Foods → Zeeland Foods BV" in out
    code, out, _err = _run(capsys, ctx, "records", "show", "company", str(record_id), "--json")
    shown = json.loads(out)
    assert shown["title"] == "Zeeland Foods BV" and shown["erp"] == []
    assert {f["key"]: f["value"] for f in shown["fields"]}["country"] == "NL"


@pytest.mark.parametrize(("args", "code", "message"), [
    (("records", "list", "planet"), 3, "no CRM entity 'planet'"),
    (("records", "show", "company", "999999"), 3, "no CRM Company with id 999999"),
    (("records", "edit", "company", "1", "--set", "nope=1"), 1, "has no field 'nope'"),
    (("records", "edit", "company", "1", "--set", "country=Mars"), 1, "'Mars' is not an item"),
    (("records", "edit", "company", "1", "--set", "novalue"), 1, "FIELD=VALUE"),
    (("records", "list", "company", "--limit", "0"), 1, "--limit must be at least 1"),
])
def test_cli_bad_input_is_one_clear_line_and_writes_nothing(
        ctx: Any, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], code: int,
        message: str) -> None:
    _fill(ctx)
    before = records.get_record(ctx, "company", 1)
    got, _out, err = _run(capsys, ctx, *args)
    assert got == code
    assert message in err and "Traceback" not in err
    assert records.get_record(ctx, "company", 1) == before


def test_cli_prints_outside_text_inert(ctx: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with ctx.engine.begin() as conn:
        conn.execute(insert(COMPANY).values(name="Evil\x1b[31m Red\x1b]0;title\x07"))
    code, out, _err = _run(capsys, ctx, "records", "list", "company")
    assert code == 0
    assert "\x1b" not in out and "\\x1b[31m" in out


@pytest.mark.parametrize("sort_matches", [20_000, 0])
@pytest.mark.parametrize("text", ["", "a", "berg", "n00", "oslo", "u"])
def test_pages_agree_whichever_way_they_are_read(ctx: Any, monkeypatch: pytest.MonkeyPatch,
                                                 sort_matches: int, text: str) -> None:
    """Sorted from the matching ids, or walking the title order and testing each row (the way
    a broad filter is read), forwards or from the other end: the same rows in the same order."""
    _fill(ctx)
    expected = _titles(records.list_records(ctx, "company", text, limit=100))
    monkeypatch.setattr(records, "_SORT_MATCHES", sort_matches)
    total = records.count_records(ctx, "company", text)
    assert total == len(expected)
    forwards = [title for offset in range(0, total, 3)
                for title in _titles(records.list_records(ctx, "company", text, offset, 3))]
    known = [title for offset in range(0, total, 3) for title in
             _titles(records.list_records(ctx, "company", text, offset, 3, total=total))]
    assert forwards == known == expected
