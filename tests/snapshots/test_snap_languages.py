"""Every screen and dialog at 80x24 in English and Dutch: whole, with every key, nothing cut.

Snapshots: the screens no other snapshot file shows (the main screen after a sync, the quit
question, the delete confirmation, Mappings of an active connection, a dry run, the log's
filter); the others are in
test_snap_connections, test_snap_dialogs, test_snap_doctor, test_snap_records and
test_snap_runner, in both languages. Review with
`pytest tests/snapshots/test_snap_languages.py --snapshot-update` and the report.

Checks on every stop of `tests.screen_tour.STOPS`, in both languages at 80x24:
- every key of the key bar (`KeyBar.words()`, a screen's short words) is shown whole
  ("key word"), none left out for the bar's height (F1 would list it, but the user needs it);
  a screen without a key bar shows each of its keys (on its buttons) or an F1 hint;
- no title (a widget with id `title`) is cut: its whole text is inside its region;
- the main connections table has no horizontal scrollbar after a sync (the Status column fits).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from textual.app import App
from textual.widget import Widget
from textual.widgets import DataTable

from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.widgets.keys import KeyBar, visible_bindings
from tests.screen_support import screen_text
from tests.screen_tour import SIZE, STOPS, prepare, screen_name

LANGUAGES = ["en", "nl"]
SNAPSHOTS = ["connections", "quit_question", "delete_confirm", "mappings_of_active", "dry_run",
             "log_filter"]
# The command palette is Textual's own search box: Enter and Esc, no key bar of ours.
WITHOUT_KEYS = {"command_palette"}


@pytest.fixture
def tour_ctx(demo_ctx: Any) -> Any:
    return prepare(demo_ctx)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("stop", SNAPSHOTS)
def test_screen_snapshot(snap_compare: Any, tour_ctx: Any, stop: str, language: str) -> None:
    async def run_before(pilot: Any) -> None:
        await STOPS[stop](pilot, tour_ctx)

    assert snap_compare(ErpTuiApp(tour_ctx, language=language), run_before=run_before,
                        terminal_size=SIZE)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _region_text(lines: list[str], widget: Widget) -> str:
    region = widget.region
    return " ".join(line[region.x:region.right] for line in lines[region.y:region.bottom])


def missing_keys(app: App[Any], text: str) -> list[str]:
    """The key bar's items ("key description") not on the screen. A screen without a key bar
    must show each of its keys somewhere (on its buttons: "OK (F2)"), or an F1 hint."""
    if not app.screen.query(KeyBar):
        tokens = set(re.findall(r"[\w^]+", text.lower()))
        if "f1" in tokens:
            return []
        return [f"{key} ({binding.description}) nor an F1 hint"
                for key, binding, _enabled in visible_bindings(app.screen)
                if key.lower() not in tokens] or ([] if visible_bindings(app.screen)
                                                   else ["no key at all, nor an F1 hint"])
    shown = _flat(text)
    return [f"{key} {word}" for bar in app.screen.query(KeyBar) for key, word in bar.words()
            if _flat(f"{key} {word}") not in shown]


def cut_titles(app: App[Any], text: str) -> list[str]:
    lines = text.splitlines()
    cut: list[str] = []
    for widget in app.screen.query("#title"):
        title = _flat(str(widget.render()))
        if title and title not in _flat(_region_text(lines, widget)):
            cut.append(title)
    return cut


def horizontal_scrollbars(app: App[Any]) -> list[str]:
    """The main connections table when it scrolls sideways (or is missing on its screen)."""
    if type(app.screen).__name__ != "ConnectionsScreen":
        return []
    tables = app.screen.query("#connections").results(DataTable)
    return [f"#{table.id}" for table in tables if table.max_scroll_x > 0] or (
        [] if app.screen.query("#connections") else ["(no #connections table found)"])


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("stop", list(STOPS))
async def test_screen_is_whole_at_80x24(tour_ctx: Any, stop: str, language: str) -> None:
    app = ErpTuiApp(tour_ctx, language=language)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await STOPS[stop](pilot, tour_ctx)
        text = screen_text(app)
        problems = [*(f"key not shown: {item!r}" for item in
                      ([] if stop in WITHOUT_KEYS else missing_keys(app, text))),
                    *(f"title cut: {title!r}" for title in cut_titles(app, text)),
                    *(f"horizontal scrollbar on {name}" for name in horizontal_scrollbars(app))]
        where = f"{stop} ({screen_name(app)}, {language})"
    assert not problems, "\n".join(f"{where}: {p}" for p in problems) + f"\n{text}"
