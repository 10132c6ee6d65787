"""No source-language text is left: every screen, dialog and CLI message in the pseudo language.

In the pseudo language (`set_language("pseudo")`) every text that goes through the catalogue is
wrapped in ⟦…⟧. The real app runs headless at 80x24 on the demo after a sync and opens each
screen and dialog of `tests.screen_tour.STOPS`; the CLI runs its commands on the same demo.
Whatever is shown outside the marks must be data; what data is, precisely, is in
`tests.pseudo_support` (values from the store and the ERP, names from outside as the pseudo
language reads them, and tokens that are not words). A failure lists each leak as
"screen: text".
"""

from __future__ import annotations

from typing import Any

import pytest

from erp_tui.screens.app import ErpTuiApp
from tests.cli_support import run
from tests.pseudo_support import data_words, key_names, leaks, outside_marks, typed
from tests.screen_support import screen_text
from tests.screen_tour import SIZE, STOPS, prepare, screen_name


@pytest.fixture
def tour_ctx(demo_ctx: Any) -> Any:
    return prepare(demo_ctx)


def test_the_marks_are_found_and_data_is_not_a_leak() -> None:
    """A guard for the tests below."""
    text = "f1 ⟦Help⟧  ⟦Sync ⟦Nordic⟧ now⟧ Nordic\n ⟦Cut off…\nStatus: ok ⟦Wrapped\nover⟧ x"
    assert outside_marks(text).split() == ["f1", "Nordic", "Status:", "ok", "x"]
    assert leaks(text, {"Nordic"}, {"f1"}) == ["Status: ok"]


@pytest.mark.parametrize("stop", list(STOPS))
async def test_screen_has_no_source_language_text(tour_ctx: Any, stop: str) -> None:
    data = data_words(tour_ctx)
    app = ErpTuiApp(tour_ctx, language="pseudo")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await STOPS[stop](pilot, tour_ctx)
        text = screen_text(app)
        where = f"{stop} ({screen_name(app)})"
        found = leaks(text, data | typed(app), key_names(app))
    assert "⟦" in text, f"{where}: nothing translated at all:\n{text}"
    assert not found, f"{where}: source-language text outside ⟦ ⟧:\n" + "\n".join(
        f"  {where}: {leak!r}" for leak in found) + f"\n--- screen ---\n{text}"


CLI_COMMANDS = [
    ("connections", "list"), ("connections", "show", "Nordic Trading AB"),
    ("connectors",), ("test", "Nordic Trading AB"), ("validate", "Dutch Wholesale BV"),
    ("activate", "Dutch Wholesale BV"), ("mappings", "Dutch Wholesale BV"),
    ("list-map", "Dutch Wholesale BV", "country"), ("defaults", "Dutch Wholesale BV"),
    ("rank", "Nordic Trading AB", "Customer"), ("priority",), ("sync",), ("log",),
    ("log", "--errors"), ("log", "--run", "1"),
    ("doctor",), ("records", "list", "company"), ("crm-fields", "company"),
    ("deactivate", "Nowhere"), ("map", "Nordic Trading AB", "Customer", "vatno",
                                "--direction", "<"),
    ("export", "Nowhere"), ("erp-search", "Nordic Trading AB", "Customer"),
]


@pytest.mark.parametrize("args", CLI_COMMANDS, ids=" ".join)
def test_cli_message_has_no_source_language_text(
        tour_ctx: Any, args: tuple[str, ...], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = data_words(tour_ctx)
    monkeypatch.setenv("ERP_TUI_DATABASE_URL", tour_ctx.settings.resolved_database_url())
    monkeypatch.setenv("ERP_TUI_LANGUAGE", "pseudo")
    code, out, err = run(capsys, *args)
    text = out + err
    where = "erp-tui " + " ".join(args)
    found = [leak for leak in leaks(text, data, set())
             if not leak.lstrip().startswith(("usage:", "erp-tui"))]
    assert text.strip(), f"{where}: printed nothing (exit {code})"
    assert not found, f"{where}: source-language text outside ⟦ ⟧:\n" + "\n".join(
        f"  {where}: {leak!r}" for leak in found) + f"\n--- output ---\n{text}"
