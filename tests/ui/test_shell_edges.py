"""(exploratory, being written)"""
from __future__ import annotations

from typing import Any

import pytest

from erp_tui.screens.app import ErpTuiApp
from tests.screen_support import screen_text


@pytest.mark.parametrize("language", ["en", "nl"])
async def test_explore(demo_ctx: Any, language: str) -> None:
    from erp_tui.runner import run_sync
    run_sync(demo_ctx)
    app = ErpTuiApp(demo_ctx, language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        print(screen_text(app))
        await pilot.press("m")
        await pilot.pause()
        print(screen_text(app))
