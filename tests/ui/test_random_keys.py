"""Random keys on every screen must never crash the app.

Starting on the connections screen of the demo, seeded random keys (arrows, tab, enter, escape,
space, the letters screens bind, F-keys, shift+arrows, `<` `>` `=` `[` `]` `-`, digits, ...) open
and drive every dialog: 5,000 keys in total over ten seeds, typed ahead (see `press`). The app
must either still be running or have exited cleanly through quit (return code 0); an exception
anywhere fails `run_test`.
After a quit the remaining keys go to a new app on the same store.

CI runs ten seeds. A wider sweep, run by hand after UI changes:
`ERP_TUI_TEST_KEY_SEEDS=11-200 pytest tests/ui/test_random_keys.py`.
"""

from __future__ import annotations

import asyncio
import os
import random
from typing import Any

import pytest
from textual import events
from textual.app import App

from erp_tui.screens.app import ErpTuiApp

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
KEYS_PER_SEED = 500
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


@pytest.mark.parametrize("seed", SEEDS)
async def test_random_keys_never_crash(demo_ctx: Any, seed: int) -> None:
    keys = random_keys(seed, KEYS_PER_SEED)
    language = "nl" if seed % 2 == 0 else "en"
    sent = 0
    starts = 0
    while sent < len(keys):
        app = ErpTuiApp(demo_ctx, language=language)
        starts += 1
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            while sent < len(keys) and app.is_running and app.return_code is None:
                batch = keys[sent:sent + BATCH]
                # A quit key ends the batch there: what follows goes to the next app.
                for index, key in enumerate(batch):
                    if key in ("f10", "ctrl+q"):
                        batch = batch[:index + 1]
                        break
                for key in batch:
                    await press(app, key)
                sent += len(batch)
                await pilot.pause()  # settle after each batch
            await app.workers.wait_for_complete()
            await pilot.pause()
        # Still running (run_test ended it) or quit cleanly: never an error exit.
        assert app.return_code in (None, 0), (seed, sent, app.return_code)
        assert starts <= len(keys), "the app keeps quitting without handling keys"
