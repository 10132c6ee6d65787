"""ERP search: operators by field type with English and Dutch labels, criteria read and checked
with one sentence each, results with the "show in search" fields as columns in rank order, and
importing a result as a new CRM record (its parent first), on the sample and SQL connectors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from erp_tui.context import AppContext
from erp_tui.contract import FieldType, SearchOperator
from erp_tui.errors import NotFoundError, RefusedError, ValidationFailed
from erp_tui.model import Link, SyncRun
from erp_tui.runner import RunOptions, crm, run_sync
from erp_tui.services.erp_search import (
    Criterion,
    actor_types_for,
    import_actor,
    operator_label,
    operators_for,
    parse_where,
    search,
    search_targets,
    searchable_fields,
)
from erp_tui.services.records import get_record
from tests.erp_support import SAMPLE, SQL, move_field, sample_erp, set_visibility, sql_erp

Op = SearchOperator


def where(*texts: str) -> list[Criterion]:
    return [parse_where(t) for t in texts]


def _count(ctx: AppContext, table: object) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


# ---- operators and criteria (no store) -------------------------------------------------------

def test_operators_by_field_type_and_their_labels() -> None:
    text = operators_for(FieldType.TEXT)
    assert text[:2] == [Op.BEGINS, Op.CONTAINS]
    assert {Op.EQUALS, Op.NOT_EQUAL, Op.ENDS, Op.NOT_BEGINS, Op.NOT_CONTAINS, Op.NOT_ENDS,
            Op.IS_NOT, Op.BETWEEN} <= set(text) and Op.GREATER not in text
    assert operators_for(FieldType.DOUBLE) == [Op.EQUALS, Op.NOT_EQUAL, Op.GREATER, Op.LESS,
                                               Op.GREATER_EQUAL, Op.LESS_EQUAL, Op.BETWEEN]
    assert operators_for(FieldType.INTEGER) == operators_for(FieldType.DOUBLE)
    assert operators_for(FieldType.DATE) == [Op.EQUALS, Op.BEFORE, Op.AFTER, Op.BEFORE_OR_EQUAL,
                                             Op.AFTER_OR_EQUAL, Op.BETWEEN]
    assert operators_for(FieldType.CHECKBOX) == [Op.EQUALS]
    assert operators_for(FieldType.LIST) == [Op.ONE_OF, Op.NOT_ONE_OF, Op.EQUALS]
    assert operators_for(FieldType.PASSWORD) == []
    assert (operator_label(Op.BEGINS, "en"), operator_label(Op.BEGINS, "nl")) == (
        "begins with", "begint met")
    assert (operator_label(Op.CONTAINS, "en"), operator_label(Op.CONTAINS, "nl")) == (
        "contains", "bevat")
    for op in Op:  # every operator reads in both languages, and differently per operator
        assert operator_label(op, "en") and operator_label(op, "nl")
    assert len({operator_label(op, "nl") for op in Op}) == len(Op)


@pytest.mark.parametrize(("text", "expected"), [
    ("name begins Fjord", ("name", Op.BEGINS, ("Fjord",))),
    ("name begins with Fjord Trading AB", ("name", Op.BEGINS, ("Fjord Trading AB",))),
    ("name BEGINT MET fj", ("name", Op.BEGINS, ("fj",))),
    ("credit_limit>=1000", ("credit_limit", Op.GREATER_EQUAL, ("1000",))),
    ("credit_limit > 5", ("credit_limit", Op.GREATER, ("5",))),
    ("name != 'A B'", ("name", Op.NOT_EQUAL, ("A B",))),
    ("name does not contain x", ("name", Op.NOT_CONTAINS, ("x",))),
    ("name notcontains x", ("name", Op.NOT_CONTAINS, ("x",))),
    ("name isnot x", ("name", Op.IS_NOT, ("x",))),
    ("credit_limit between 10 and 20", ("credit_limit", Op.BETWEEN, ("10", "20"))),
    ("credit_limit between 10 20", ("credit_limit", Op.BETWEEN, ("10", "20"))),
    ("created between 2020-01-01..2021-01-01",
     ("created", Op.BETWEEN, ("2020-01-01", "2021-01-01"))),
    ("country oneof SE, NO,DK", ("country", Op.ONE_OF, ("SE", "NO", "DK"))),
    ("country notoneof SE", ("country", Op.NOT_ONE_OF, ("SE",))),
    ("created afterOrEqual 2020-01-01", ("created", Op.AFTER_OR_EQUAL, ("2020-01-01",))),
    ("created on or before 2020-01-01", ("created", Op.BEFORE_OR_EQUAL, ("2020-01-01",))),
    ("email = ", ("email", Op.EQUALS, ("",))),
    ('"Last modified" before 2020-01-01', ("Last modified", Op.BEFORE, ("2020-01-01",))),
])
def test_parse_where_reads_symbols_and_names(text: str,
                                             expected: tuple[str, Op, tuple[str, ...]]) -> None:
    found = parse_where(text)
    assert (found.field_key, found.operator, found.values) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("name", "'name' has no operator"),
    ("name ~ x", "'~' is not a search operator"),
    ("name beginsx x", "'beginsx' is not a search operator"),
    ("= x", "does not start with a field"),
    ("", "does not start with a field"),
])
def test_parse_where_refuses_what_it_cannot_read(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_where(text)


# ---- search on the sample connector ----------------------------------------------------------

@pytest.fixture
def sample(ctx: AppContext, tmp_path: Path) -> Path:
    return sample_erp(ctx, tmp_path)


def test_targets_fields_and_actor_types(ctx: AppContext, sample: Path) -> None:
    assert search_targets(ctx) == [(SAMPLE, [("Customer", "Customer"),
                                             ("Person", "Contact person")])]
    assert actor_types_for(ctx, "person") == [(SAMPLE, "Person", "Contact person")]
    assert actor_types_for(ctx, "project") == []
    fields = {f.key: f for f in searchable_fields(ctx, SAMPLE, "customer")}
    assert fields["credit_limit"].type is FieldType.DOUBLE
    assert fields["name"].label == "Name" and fields["name"].choices == ()
    assert ("WHOLESALE", "Wholesale") in fields["category"].choices
    with pytest.raises(NotFoundError, match="There is no connection named 'Nope'"):
        searchable_fields(ctx, "Nope", "Customer")
    with pytest.raises(NotFoundError, match="Actor 'Project' is not synced"):
        searchable_fields(ctx, SAMPLE, "Project")


def test_columns_are_the_show_in_search_fields_in_rank_order(ctx: AppContext,
                                                             sample: Path) -> None:
    set_visibility(ctx, SAMPLE, "Customer", "name", search=True)
    set_visibility(ctx, SAMPLE, "Customer", "category", search=True)
    results = search(ctx, SAMPLE, "Customer", where("customer_no = 10001"))
    assert results.columns == (("name", "Name"), ("category", "Customer group"))
    (hit,) = results.hits
    assert hit.erp_key == "C0000001" and hit.linked is None and not results.more
    assert hit.values[1] in {"Retail", "Wholesale", "Public sector", "Education", "Healthcare",
                             "Industry"}  # the list item's ERP text, not its key
    move_field(ctx, SAMPLE, "Customer", "category", -100)
    set_visibility(ctx, SAMPLE, "Customer", "postal_city", search=True)
    results = search(ctx, SAMPLE, "Customer", where("customer_no = 10001"))
    assert [key for key, _ in results.columns] == ["category", "name", "postal_city"]
    assert results.hits[0].values[1] == hit.values[0]


def test_criteria_hits_links_and_limit(ctx: AppContext, sample: Path) -> None:
    set_visibility(ctx, SAMPLE, "Customer", "name", search=True)
    everyone = search(ctx, SAMPLE, "Customer", [])
    assert len(everyone.hits) == 6 and not everyone.more
    first = search(ctx, SAMPLE, "Customer", [], limit=4)
    assert [h.erp_key for h in first.hits] == [h.erp_key for h in everyone.hits[:4]]
    assert first.more
    name = everyone.hits[2].values[0]
    found = search(ctx, SAMPLE, "Customer", where(f"name begins {name[:4].lower()}",
                                                  "blocked = no", "credit_limit >= 0"))
    assert everyone.hits[2].erp_key in [h.erp_key for h in found.hits]
    assert all(h.values[0].lower().startswith(name[:4].lower()) for h in found.hits)
    assert search(ctx, SAMPLE, "Customer", where("created after 2100-01-01")).hits == ()

    (report,) = run_sync(ctx, [SAMPLE], RunOptions())
    assert report.status == "finished"
    linked = search(ctx, SAMPLE, "Customer", where("customer_no = 10003")).hits[0].linked
    assert linked is not None and linked[0] == "company"
    assert get_record(ctx, "company", linked[1]).links[0].erp_key == "C0000003"


@pytest.mark.parametrize(("criterion", "message", "code"), [
    ("nope = 1", "Customer has no searchable field 'nope'; searchable: customer_no, name",
     "unknown_field"),
    ("credit_limit begins 1", "'begins with' (begins) cannot be used on 'Credit limit', a "
     "double field; use =, !=, >, <, >=, <=, between.", "bad_criterion"),
    ("credit_limit = lots", "'Credit limit' needs a number, not 'lots'.", "bad_criterion"),
    ("credit_limit between 5", "'between' on 'Credit limit' needs two values, as in "
     "\"credit_limit between A and B\"; 1 given.", "bad_criterion"),
    ("blocked = perhaps", "'Blocked' is a checkbox; use yes or no, not 'perhaps'.",
     "bad_criterion"),
    ("created before 1-2-2020", "'Created' needs a date as YYYY-MM-DD, not '1-2-2020'.",
     "bad_criterion"),
    ("category oneof RETAIL,NOPE", "'NOPE' is not an item of the list of 'Customer group'",
     "bad_criterion"),
    ("created > 2020-01-01", "'greater than' (>) cannot be used on 'Created', a date field",
     "bad_criterion"),
    ("name = a\x00b", "A value for 'Name' cannot hold control characters.", "bad_criterion"),
    ("blocked begins y", "'begins with' (begins) cannot be used on 'Blocked', a checkbox "
     "field; use =.",
     "bad_criterion"),
])
def test_bad_criteria_are_refused_with_one_sentence(ctx: AppContext, sample: Path,
                                                    criterion: str, message: str,
                                                    code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        search(ctx, SAMPLE, "Customer", where("name begins A", criterion))
    (problem,) = caught.value.problems
    assert problem.message.startswith(message) and problem.code == code
    assert "\n" not in problem.message


def test_list_criteria_take_item_text_or_key(ctx: AppContext, sample: Path) -> None:
    by_key = search(ctx, SAMPLE, "Customer", where("category oneof RETAIL,WHOLESALE"))
    by_text = search(ctx, SAMPLE, "Customer", where("category oneof retail, Wholesale"))
    assert by_key == by_text
    others = search(ctx, SAMPLE, "Customer", where("category notoneof RETAIL,WHOLESALE"))
    assert len(by_key.hits) + len(others.hits) == 6


# ---- import ----------------------------------------------------------------------------------

def test_importing_a_person_imports_its_company_first(ctx: AppContext, sample: Path) -> None:
    assert _count(ctx, crm.table("company")) == 0
    entity, person_id = import_actor(ctx, SAMPLE, "Person", "P0000002")
    person = get_record(ctx, entity, person_id)
    assert entity == "person" and person.parent is not None
    company = get_record(ctx, "company", person.parent[1])
    assert [(b.actor_type, b.state) for b in company.links] == [("Customer", "linked")]
    company_key = company.links[0].erp_key
    hits = search(ctx, SAMPLE, "Customer", where(f"customer_no = 1000{company_key[-1]}")).hits
    assert hits[0].erp_key == company_key and hits[0].linked == ("company", company.id)
    values = {f.key: f.value for f in company.fields}
    assert values["name"] and values["number1"] == f"1000{company_key[-1]}"
    assert [b.erp_key for b in person.links] == ["P0000002"]
    assert {f.key: f.value for f in person.fields}["lastname"]
    with ctx.engine.connect() as conn:
        runs = conn.execute(select(SyncRun.kind, SyncRun.status, SyncRun.created)).all()  # type: ignore[call-overload]
    assert [tuple(r) for r in runs] == [("import", "finished", 2)]

    # A second person of the same company: the company is not imported twice.
    with pytest.raises(RefusedError, match=r"ERP Person 'P0000002' is already linked to CRM "
                       rf"person {person_id} in 'Nordic'\."):
        import_actor(ctx, SAMPLE, "Person", "P0000002")
    entity, customer_id = import_actor(ctx, SAMPLE, "Customer", "C0000005")
    assert (entity, _count(ctx, crm.table("company"))) == ("company", 2)
    with pytest.raises(RefusedError, match="already linked"):
        import_actor(ctx, SAMPLE, "Customer", company_key)
    with pytest.raises(NotFoundError, match="The ERP has no Person with key 'P9'"):
        import_actor(ctx, SAMPLE, "Person", "P9")
    assert customer_id != company.id


def test_an_import_that_cannot_be_made_writes_nothing(ctx: AppContext, sample: Path) -> None:
    from tests.list_support import map_list_item

    category = search(ctx, SAMPLE, "Customer", where("customer_no = 10004"))
    assert category.hits
    fields = {f.key: f for f in searchable_fields(ctx, SAMPLE, "Customer")}
    for item, _text in fields["category"].choices:
        map_list_item(ctx, SAMPLE, "customer_group", item, None)
    with pytest.raises(ValidationFailed) as caught:
        import_actor(ctx, SAMPLE, "Person", "P0000004")
    assert "has no CRM item; map it in List mapping" in caught.value.problems[0].message
    assert caught.value.problems[0].message.startswith("Customer C0000004: ERP item")
    assert _count(ctx, crm.table("company")) == _count(ctx, crm.table("person")) == 0
    assert _count(ctx, Link.__table__) == _count(ctx, SyncRun.__table__) == 0  # type: ignore[attr-defined]


# ---- the SQL connector (SQLite) --------------------------------------------------------------

def test_sql_connector_search_and_import(ctx: AppContext, tmp_path: Path) -> None:
    sql_erp(ctx, tmp_path)
    set_visibility(ctx, SQL, "Customer", "name", search=True)
    set_visibility(ctx, SQL, "Customer", "country", search=True)
    set_visibility(ctx, SQL, "Customer", "credit_limit", search=True)

    def keys(*texts: str) -> list[str]:
        return [h.erp_key for h in search(ctx, SQL, "Customer", where(*texts)).hits]

    assert keys("name begins klant") == ["1", "3"]
    assert keys("credit_limit between 200 and 2000") == ["1", "2"]
    assert keys("country oneof Netherlands,BE") == ["1", "3"]
    assert keys("active = yes", "since after 2021-01-01") == ["3"]
    assert keys("city contains ö") == ["2"]
    results = search(ctx, SQL, "Customer", where("name = Kunde Zwei"))
    assert results.columns == (("name", "Name"), ("country", "Country"),
                               ("credit_limit", "Credit limit"))
    assert results.hits[0].values == ("Kunde Zwei", "Germany", "250")

    entity, person_id = import_actor(ctx, SQL, "Person", "2")
    person = get_record(ctx, entity, person_id)
    assert person.parent is not None and person.parent[2] == "Kunde Zwei"
    assert search(ctx, SQL, "Customer", where("name = Kunde Zwei")).hits[0].linked == (
        "company", person.parent[1])
    assert {f.key: f.value for f in person.fields}["lastname"] == "Müller"


def test_import_works_where_the_sync_does_not_import(ctx: AppContext, sample: Path) -> None:
    """"Allow import" decides what a sync creates; an import a user asks for is made anyway."""
    from erp_tui.services import connections

    connections.deactivate(ctx, SAMPLE)
    draft = connections.draft_for(ctx, SAMPLE)
    draft.allow_import = False
    connections.save_draft(ctx, draft, connections.test_draft(ctx, draft))
    connections.activate(ctx, SAMPLE)
    (report,) = run_sync(ctx, [SAMPLE], RunOptions())
    assert report.counts.created == 0 and _count(ctx, crm.table("company")) == 0
    entity, crm_id = import_actor(ctx, SAMPLE, "Customer", "C0000002")
    assert entity == "company" and get_record(ctx, entity, crm_id).links[0].erp_key == "C0000002"
    assert _count(ctx, crm.table("company")) == 1
