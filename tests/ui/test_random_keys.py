"""Random keys on every screen, in English and in Dutch, must never crash the app.

Seeded random keys (arrows, tab, enter, escape, space, the letters screens bind, F-keys,
shift+arrows, `<` `>` `=` `[` `]` `-`, digits, ...), typed ahead (see `press`), drive the demo
in both languages. Each seed's keys come in three parts; before each part the app goes back to
the connections screen and opens a screen of `tests.screen_tour.STOPS` (the seeds take the
stops in turn, so the ten seeds start on every screen and dialog in each language); from there
the keys open and drive the others: 4,200 keys in all. The app must either still be running
or have exited cleanly through quit (return code 0); an exception anywhere fails `run_test`.
After a quit the remaining keys go to a new app on the same store. When keys earlier in the
seed removed what a stop needs (a deleted connection), that part starts where its opening step
got to.

CI runs ten seeds per language. A wider sweep, run by hand after UI changes:
`ERP_TUI_TEST_KEY_SEEDS=11-200 pytest tests/ui/test_random_keys.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from typing import Any

import pytest
from textual import events
from textual.app import App

from erp_tui.errors import ErpTuiError
from erp_tui.screens.app import ErpTuiApp
from tests.screen_tour import STOPS

KEYS = [
    "up", "down", "left", "right", "tab", "shift+tab", "enter", "escape", "space",
    "home", "end", "pageup", "pagedown", "delete", "backspace",
    # letters the screens bind (connections, dialogs, confirmations, help)
    "a", "e", "m", "l", "d", "r", "p", "t", "y", "n", "j", "x", "s", "f", "q", "k",
    "f1", "f2", "f5", "f10",
    # the CRM screens: records (c), search results (l, o, i), record view and dialogs
    "c", "i", "o", "slash", "f3", "f4", "f6", "f7", "f8",
    "shift+up", "shift+down",
    "less_than_sign", "greater_than_sign", "equals_sign", "left_square_bracket",
    "right_square_bracket", "minus", "question_mark", "ctrl+p",
    *"0123456789",
]
# Movement and the keys that open or close dialogs come up more often, so the walk goes deep.
WEIGHTS = {"up": 3, "down": 4, "left": 2, "right": 3, "enter": 4, "escape": 3, "space": 3,
           "tab": 2, "f10": 1}


def seeds_to_run() -> list[int]:
    """Seeds 1-10, or the range in ERP_TUI_TEST_KEY_SEEDS ("11-200", or one seed "42")."""
    first, _, last = os.environ.get("ERP_TUI_TEST_KEY_SEEDS", "1-10").partition("-")
    return list(range(int(first), int(last or first) + 1))


SEEDS = seeds_to_run()
LANGUAGES = ["en", "nl"]
PARTS = 3
KEYS_PER_PART = 70
BATCH = 25


CHARACTERS = {"space": " ", "less_than_sign": "<", "greater_than_sign": ">", "equals_sign": "=",
              "left_square_bracket": "[", "right_square_bracket": "]", "minus": "-",
              "question_mark": "?", "tab": "\t", "enter": "\r", "escape": "\x1b"}


async def press(app: App[Any], key: str) -> None:
    """Send one key as the terminal driver would and let the app run a few rounds.

    `pilot.press` waits for the process to be idle after every key (at least 20 ms); here keys
    may arrive while the app still works on the previous one, as when a user types ahead (or a
    slow link delivers several keys at once) — which is how the double-dismiss crashes were
    found.
    """
    char = CHARACTERS.get(key, key if len(key) == 1 else None)
    event = events.Key(key, char)
    event.set_sender(app)
    assert app._driver is not None
    app._driver.send_message(event)
    for _ in range(8):
        await asyncio.sleep(0)


def random_keys(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    weights = [WEIGHTS.get(key, 1.5) for key in KEYS]
    return rng.choices(KEYS, weights=weights, k=count)


def starting_stops(seed: int) -> list[str]:
    """The stops where the parts of `seed` start: seed 1 takes the first three, and so on."""
    names = list(STOPS)
    return [names[((seed - 1) * PARTS + part) % len(names)] for part in range(PARTS)]


async def open_stop(pilot: Any, ctx: Any, stop: str, base: int) -> None:
    """Back to the connections screen (`base` screens deep), then open `stop` from there."""
    app = pilot.app
    await app.workers.wait_for_complete()
    while len(app.screen_stack) > base:
        app.pop_screen()
        await pilot.pause()
    with contextlib.suppress(ErpTuiError):  # earlier keys removed what the stop needs
        await STOPS[stop](pilot, ctx)


async def send_batch(app: App[Any], keys: list[str]) -> int:
    """Send the next batch of `keys`; a quit key ends it. Returns how many were sent."""
    batch = keys[:BATCH]
    for index, key in enumerate(batch):
        if key in ("f10", "ctrl+q"):
            batch = batch[:index + 1]
            break
    for key in batch:
        await press(app, key)
    return len(batch)


async def drive(ctx: Any, language: str, parts: list[tuple[str, list[str]]]) -> None:
    """Send each part's keys to the app opened at its stop; after a quit, the keys left go to
    a new app (on the connections screen)."""
    pending = [(stop, list(keys)) for stop, keys in parts]
    total = sum(len(keys) for _stop, keys in parts)
    starts = 0
    while pending:
        app = ErpTuiApp(ctx, language=language)
        starts += 1
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            base = len(app.screen_stack)
            while pending and app.is_running and app.return_code is None:
                stop, keys = pending[0]
                if stop:
                    await open_stop(pilot, ctx, stop, base)
                    pending[0] = ("", keys)
                del keys[:await send_batch(app, keys)]
                if not keys:
                    pending.pop(0)
                await pilot.pause()  # settle after each batch
            await app.workers.wait_for_complete()
            await pilot.pause()
        # Still running (run_test ended it) or quit cleanly: never an error exit.
        assert app.return_code in (None, 0), (language, parts[0][0], app.return_code)
        assert starts <= total, "the app keeps quitting without handling keys"


def test_the_seeds_start_on_every_screen() -> None:
    if list(range(1, 11)) == SEEDS:
        assert {stop for seed in SEEDS for stop in starting_stops(seed)} == set(STOPS)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("language", LANGUAGES)
async def test_random_keys_never_crash(demo_ctx: Any, seed: int, language: str) -> None:
    keys = random_keys(seed, PARTS * KEYS_PER_PART)
    await drive(demo_ctx, language, [
        (stop, keys[part * KEYS_PER_PART:(part + 1) * KEYS_PER_PART])
        for part, stop in enumerate(starting_stops(seed))])
