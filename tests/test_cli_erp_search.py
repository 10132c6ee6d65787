"""`erp-tui erp-search` and `erp-tui erp-import`: the show-in-search fields as columns, criteria by
symbol or name, JSON; bad input gives one line on stderr, the documented exit code, and
writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from erp_tui.cli import main
from erp_tui.context import AppContext
from erp_tui.model import Link, SyncRun
from erp_tui.runner import crm
from tests.cli_support import run
from tests.erp_support import SAMPLE, SQL, sample_erp, sql_erp


@pytest.fixture
def cli(ctx: AppContext, settings, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
        tmp_path: Path) -> AppContext:
    """The CLI and `ctx` on one store holding the sample connection."""
    monkeypatch.setenv("ERP_TUI_DATABASE_URL", settings.resolved_database_url())
    sample_erp(ctx, tmp_path)
    return ctx


def _written(ctx: AppContext) -> tuple[int, ...]:
    tables = [crm.table("company"), crm.table("person"), Link.__table__,  # type: ignore[attr-defined]
              SyncRun.__table__]  # type: ignore[attr-defined]
    with ctx.engine.connect() as conn:
        return tuple(int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in tables)


def test_columns_are_the_show_in_search_fields(cli: AppContext,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "erp-search", SAMPLE, "Customer", "--where",
                         "customer_no = 10001")
    assert (code, err) == (0, "")
    assert out.splitlines() == ["ERP_KEY   LINKED", "C0000001"]
    for command in (["deactivate", SAMPLE], ["map", SAMPLE, "Customer", "name", "--search",
                                             "yes"],
                    ["map", SAMPLE, "Customer", "credit_limit", "--search", "yes"],
                    ["activate", SAMPLE]):
        assert run(capsys, *command)[0] == 0
    code, out, _ = run(capsys, "erp-search", SAMPLE, "Customer", "--where", "customer_no=10001")
    header, row = out.splitlines()
    assert header.split() == ["ERP_KEY", "NAME", "CREDIT_LIMIT", "LINKED"]
    assert row.startswith("C0000001  ")
    code, out, _ = run(capsys, "erp-search", SAMPLE, "Customer", "--where",
                       "customer_no equals 10001", "--json")
    data = json.loads(out)
    assert [c["key"] for c in data["columns"]] == ["name", "credit_limit"]
    (hit,) = data["hits"]
    assert hit["erp_key"] == "C0000001" and set(hit["values"]) == {"name", "credit_limit"}
    assert hit["linked"] is None and data["more"] is False
    assert f"{hit['values']['name']}" in row


def test_criteria_limit_and_linked(cli: AppContext, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "erp-search", SAMPLE, "Customer", "--limit", "2", "--json")
    data = json.loads(out)
    assert code == 0 and len(data["hits"]) == 2 and data["more"] is True
    code, out, _ = run(capsys, "erp-search", SAMPLE, "Customer", "--limit", "2")
    assert out.splitlines()[-1].startswith("More actors match; these are the first 2")
    code, out, _ = run(capsys, "erp-search", SAMPLE, "Customer", "--where",
                       "created after 2100-01-01")
    assert (code, out) == (0, "No ERP Customer matches.\n")
    assert run(capsys, "sync")[0] == 0
    code, out, _ = run(capsys, "erp-search", SAMPLE, "Customer", "--where",
                       "customer_no between 10002 and 10003", "--where", "blocked = no",
                       "--json")
    hits = json.loads(out)["hits"]
    assert [h["erp_key"] for h in hits] == ["C0000002", "C0000003"]
    assert all(h["linked"]["entity"] == "company" for h in hits)


@pytest.mark.parametrize(("args", "code", "message"), [
    (["Nope", "Customer"], 3, "There is no connection named 'Nope'"),
    ([SAMPLE, "Invoice"], 3, "Actor 'Invoice' is not synced by 'Nordic'"),
    ([SAMPLE, "Customer", "--where", "nope = 1"], 3, "Customer has no searchable field 'nope'"),
    ([SAMPLE, "Customer", "--where", "name ~ x"], 1, "'~' is not a search operator"),
    ([SAMPLE, "Customer", "--where", "credit_limit contains 5"], 1,
     "'contains' (contains) cannot be used on 'Credit limit', a double field"),
    ([SAMPLE, "Customer", "--where", "credit_limit > many"], 1,
     "'Credit limit' needs a number, not 'many'."),
    ([SAMPLE, "Customer", "--where", "created between 2020-01-01"], 1,
     "'between' on 'Created' needs two values"),
    ([SAMPLE, "Customer", "--where", "name"], 1, "'name' has no operator"),
])
def test_bad_input_is_one_line_with_the_documented_exit_code(
        cli: AppContext, capsys: pytest.CaptureFixture[str], args: list[str], code: int,
        message: str) -> None:
    before = _written(cli)
    found, out, err = run(capsys, "erp-search", *args)
    assert (found, out) == (code, "")
    assert len(err.splitlines()) == 1 and err.startswith(f"erp-tui: {message}"), err
    assert _written(cli) == before


def test_help_documents_operators_between_and_exit_codes(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["erp-search", "--help"])
    out = capsys.readouterr().out
    assert '"credit_limit between 1000 and 5000"' in out
    assert "3  not found: connection, actor type (not enabled in Mappings) or searchable field" \
        in out
    assert "1  a criterion cannot be used" in out
    with pytest.raises(SystemExit) as caught:
        main(["erp-search", SAMPLE, "Customer", "--limit", "0"])
    assert caught.value.code == 2


def test_import_a_person_with_its_company(cli: AppContext,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "erp-import", SAMPLE, "Person", "P0000003", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["entity"] == "person"
    assert _written(cli)[:3] == (1, 1, 2)
    before = _written(cli)
    code, out, err = run(capsys, "erp-import", SAMPLE, "Person", "P0000003")
    assert (code, out) == (1, "")
    assert err == (f"erp-tui: ERP Person 'P0000003' is already linked to CRM person "
                   f"{data['id']} in 'Nordic'.\n")
    code, _, err = run(capsys, "erp-import", SAMPLE, "Customer", "C9")
    assert code == 3 and err == "erp-tui: The ERP has no Customer with key 'C9'.\n"
    assert _written(cli) == before
    code, out, _ = run(capsys, "erp-import", SAMPLE, "Customer", "C0000001")
    assert code == 0 and out.startswith("Imported ERP Customer C0000001 as CRM company ")


def test_sql_connector_from_the_command_line(cli: AppContext, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    sql_erp(cli, tmp_path)
    for command in (["deactivate", SQL], ["map", SQL, "Customer", "city", "--search", "yes"],
                    ["activate", SQL]):
        assert run(capsys, *command)[0] == 0
    code, out, _ = run(capsys, "erp-search", SQL, "Customer", "--where",
                       "country oneof Germany,BE", "--where", "credit_limit >= 300")
    assert code == 0 and out.splitlines() == ["ERP_KEY  CITY  LINKED", "3        Gent"]
    code, out, _ = run(capsys, "erp-import", SQL, "Person", "1", "--json")
    assert code == 0 and json.loads(out)["entity"] == "person"
    code, out, _ = run(capsys, "erp-search", SQL, "Customer", "--where", "name = klant een")
    assert out.splitlines()[1].split() == ["1", "Zwolle", "company", out.split()[-1]]
