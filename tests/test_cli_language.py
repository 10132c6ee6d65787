"""The command line in the user's language: --lang, ERP_TUI_LANGUAGE or the locale choose it;
every text, argparse's own words too, comes from the catalogue; --json stays English."""

from __future__ import annotations

import json

import pytest

from tests.cli_support import run

NAME = "Nordic Trading AB"


@pytest.fixture
def broken(settings, capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
           monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo, with a mandatory ERP field of an inactive connection left without a direction."""
    monkeypatch.setenv("ERP_TUI_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.delenv("ERP_TUI_LANGUAGE", raising=False)
    assert run(capsys, "demo", "--no-ui", "--size", "20")[0] == 0
    assert run(capsys, "deactivate", NAME)[0] == 0
    assert run(capsys, "map", NAME, "Customer", "name", "--direction", "none")[0] == 0


def _exit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run arguments that end in argparse's exit (help, usage errors)."""
    from erp_tui.cli import main

    with pytest.raises(SystemExit) as stop:
        main(list(args))
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), out, err


def test_validate_speaks_dutch_with_lang_nl(broken: None,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, english, _ = run(capsys, "validate", NAME)
    assert code == 1 and english.startswith("1 problem blocks activation:\n  - ")
    code, dutch, _ = run(capsys, "--lang", "nl", "validate", NAME)
    assert code == 1 and dutch.startswith("1 probleem verhindert activering:\n  - ")
    assert dutch != english


def test_results_and_errors_in_dutch(broken: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--lang", "nl", "map", NAME, "Customer", "name", "--direction",
                       "<>")
    assert code == 0 and out == "Klant.name -> name, richting <>, zoeken ja, tabblad nee.\n"
    code, out, _ = run(capsys, "--lang", "nl", "validate", NAME)
    assert code == 0 and out == "Geen problemen: de verbinding kan worden geactiveerd.\n"
    code, _, err = run(capsys, "--lang", "nl", "rank", NAME, "Nobody")
    assert code == 1 and err == "erp-tui: Deze verbinding heeft geen actor 'Nobody'.\n"
    code, out, _ = run(capsys, "--lang", "nl", "log", "--errors")
    assert code == 0 and out == "Geen openstaande fouten.\n"


def test_environment_and_locale_choose_dutch(broken: None, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERP_TUI_LANGUAGE", "nl")
    code, out, _ = run(capsys, "connections", "list")
    assert code == 0 and out.startswith("NAAM ") and " ACTIEF " in out
    code, out, _ = run(capsys, "--lang", "en", "connections", "list")
    assert out.startswith("NAME ")  # --lang wins over the environment
    monkeypatch.delenv("ERP_TUI_LANGUAGE")
    monkeypatch.setenv("LANG", "nl_NL.UTF-8")
    assert run(capsys, "connections", "list")[1].startswith("NAAM ")


def test_show_reads_as_labels_in_dutch(broken: None,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    english = run(capsys, "connections", "show", NAME)[1]
    assert "conflict_policy: newest_wins\nallow_import: True\n" in english
    dutch = run(capsys, "--lang", "nl", "connections", "show", NAME)[1]
    assert dutch.startswith(f"Naam: {NAME}\nConnector: sample\nActief: nee\n")
    assert "Conflictbeleid: newest_wins\nImport toestaan: ja\n" in dutch


def test_json_stays_english(broken: None, capsys: pytest.CaptureFixture[str]) -> None:
    for args in (("validate", NAME, "--json"), ("connections", "list", "--json"),
                 ("mappings", NAME, "Customer", "--json")):
        english = run(capsys, *args)[1]
        assert run(capsys, "--lang", "nl", *args)[1] == english
        json.loads(english)


def test_help_in_dutch(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _exit(capsys, "--lang", "nl", "--help")
    assert code == 0
    assert out.startswith("gebruik: erp-tui ")
    for text in ("positionele argumenten:", "opties:", "deze hulp tonen en stoppen",
                 "de terminal-UI openen", "afsluitcodes:", "logbestand:"):
        assert text in out
    for text in ("usage:", "options:", "exit codes:", "show this help"):
        assert text not in out
    code, out, _ = _exit(capsys, "--lang", "nl", "validate", "--help")
    assert "elk probleem tonen dat activering verhindert" in out


def test_usage_errors_in_dutch(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _exit(capsys, "--lang", "nl", "frobnicate")
    assert code == 2
    assert "erp-tui: fout: argument COMMAND: ongeldige keuze: 'frobnicate'" in err
    code, _, err = _exit(capsys, "--lang", "nl", "validate")
    assert code == 2
    assert err.endswith("erp-tui validate: fout: de volgende argumenten zijn verplicht: name\n")
    code, _, err = _exit(capsys, "frobnicate")
    assert code == 2 and "error: argument COMMAND: invalid choice" in err


def test_pseudo_language_leaves_no_cli_text_untranslated(
        broken: None, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERP_TUI_LANGUAGE", "pseudo")
    for args in (("connections", "list"), ("log", "--errors"), ("priority",)):
        out = run(capsys, *args)[1]
        assert out.startswith("⟦"), out


def test_records_show_names_the_actor_type_in_the_readers_language(
        settings, capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERP_TUI_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.delenv("ERP_TUI_LANGUAGE", raising=False)
    assert run(capsys, "demo", "--no-ui", "--size", "20")[0] == 0
    assert run(capsys, "sync", NAME)[0] == 0
    listed = json.loads(run(capsys, "records", "list", "person", "--json")[1])["records"]
    person = next(r for r in listed if r["links"])
    args = ("records", "show", "person", str(person["id"]), "--no-erp")
    english = [line for line in run(capsys, *args)[1].splitlines() if line.startswith("ERP: ")]
    dutch = [line for line in run(capsys, "--lang", "nl", *args)[1].splitlines()
             if line.startswith("ERP: ")]
    # In English the key the commands take; in Dutch the CRM's name for it.
    assert english and all(f"{NAME} · Person " in line for line in english)
    assert dutch and all(f"{NAME} · Contactpersoon " in line for line in dutch)
