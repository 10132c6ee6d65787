"""Issue 9's workflow from the connections screen of the demo, driven by keys:

1. `c` opens the CRM records, Enter a company, F7 searches the ERP, `l` links a result: the
   record's ERP tab shows the ranked "show on ERP tab" fields with the ERP's values;
2. Rank fields: a field moved up moves up on the ERP tab;
3. Mappings: a field unticked "show on ERP tab" is gone from the tab; a field ticked "show in
   search" becomes a column of the search results;
4. Create in ERP asks the asked defaults and refuses an empty mandatory one;
5. a CRM edit in the record view is pushed to the ERP by the next sync.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Select

from erp_tui.rules import DefaultSpec
from erp_tui.screens.app import ErpTuiApp
from erp_tui.screens.connections import ConnectionsScreen
from erp_tui.screens.create_in_erp_dialog import CreateInErpDialog
from erp_tui.screens.erp_search_dialog import ErpSearchDialog
from erp_tui.screens.mappings_dialog import MappingsDialog
from erp_tui.screens.rank_dialog import RankFieldsDialog
from erp_tui.screens.record_view import RecordView
from erp_tui.screens.records_screen import RecordsScreen
from erp_tui.screens.widgets.confirm import ConfirmScreen
from erp_tui.services.connections import list_connections
from erp_tui.services.ranking import load_ranking
from erp_tui.services.records import edit_record, get_record
from tests.store_support import NORDIC

from .crm_support import companies, customer_key, erp_customer, settle


def _tab_labels(ctx: Any) -> list[str]:
    """Labels of Nordic's Customer fields shown on the ERP tab, in rank order."""
    return [row.label for row in load_ranking(ctx, NORDIC).tabs["Customer"] if row.shown]


def _order(text: str, labels: list[str]) -> list[str]:
    """`labels` in the order they appear in `text`."""
    found = [(text.index(label[:17]), label) for label in labels if label[:17] in text]
    return [label for _at, label in sorted(found)]


async def _open_company(app: ErpTuiApp, pilot: Any, row: int) -> RecordView:
    """From the connections screen: `c`, the company at `row`, Enter, the ERP tab (F4)."""
    assert isinstance(app.screen, ConnectionsScreen)
    await pilot.press("c")
    await settle(app, pilot)
    assert isinstance(app.screen, RecordsScreen)
    await pilot.press(*["down"] * row, "enter")
    await settle(app, pilot)
    view = app.screen
    assert isinstance(view, RecordView)
    await pilot.press("f4")
    await settle(app, pilot)
    return view


async def _back_to_connections(app: ErpTuiApp, pilot: Any) -> None:
    for _ in range(3):
        if isinstance(app.screen, ConnectionsScreen):
            return
        await pilot.press("escape")
        await settle(app, pilot)
    assert isinstance(app.screen, ConnectionsScreen)


async def test_search_link_tab_rank_mappings_create_and_push(demo_ctx: Any) -> None:
    ctx = demo_ctx
    first, second = companies(ctx)[:2]
    key = customer_key(ctx, "10001")
    app = ErpTuiApp(ctx, language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()

        # ---- 1. search the ERP from the record, link, the ERP tab shows the ERP's values --
        view = await _open_company(app, pilot, 0)
        assert view.record_id == first.id
        assert "not linked" in view.erp_plain()
        await pilot.press("f7")
        await settle(app, pilot)
        assert isinstance(app.screen, ErpSearchDialog)
        await pilot.press("tab", "tab", *"10001", "enter")
        await settle(app, pilot)
        await pilot.press("l")
        await settle(app, pilot)
        assert app.screen is view
        text = view.erp_plain()
        assert f"{NORDIC} · Customer {key} · linked" in text
        labels = _tab_labels(ctx)
        assert _order(text, labels) == labels
        assert erp_customer(ctx, key, "orgno") in text
        assert erp_customer(ctx, key, "customer_no") in text

        # ---- 2. Rank fields: move the last tab field up one place ----------------------
        await _back_to_connections(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RankFieldsDialog)  # Nordic is active: read-only
        ranked = [row.erp_field for row in load_ranking(ctx, NORDIC).tabs["Customer"]]
        await pilot.press(*["down"] * ranked.index("note"), "shift+up")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # a change asks to deactivate first
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, RankFieldsDialog)
        await pilot.press("shift+up")  # the change, now that it is allowed
        await pilot.press("f10")
        await settle(app, pilot)
        moved = _tab_labels(ctx)
        assert moved[-2:] == [labels[-1], labels[-2]]  # saved: Note before Created
        view = await _open_company(app, pilot, 0)
        assert _order(view.erp_plain(), moved) == moved

        # ---- 3. Mappings: untick "show on ERP tab" of orgno, tick "show in search" of phone
        await _back_to_connections(app, pilot)
        await pilot.press("m")
        await pilot.pause()
        mappings = app.screen
        assert isinstance(mappings, MappingsDialog) and mappings.tab is not None
        rows = [row.erp.key for row in mappings.tab.rows]
        await pilot.press(*["down"] * rows.index("orgno"), "t")
        await pilot.press(*["down"] * (rows.index("phone") - rows.index("orgno")), "s")
        await pilot.press("f10")
        await settle(app, pilot)
        assert isinstance(app.screen, ConnectionsScreen)
        orgno_label = next(row.label for row in load_ranking(ctx, NORDIC).tabs["Customer"]
                           if row.erp_field == "orgno")
        assert orgno_label not in _tab_labels(ctx)
        view = await _open_company(app, pilot, 0)
        assert orgno_label not in view.erp_plain()
        await pilot.press("f7")
        await settle(app, pilot)
        search = app.screen
        assert isinstance(search, ErpSearchDialog)
        search.query_one("#connection", Select).value = NORDIC  # inactive now: not first
        await settle(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot)
        assert search.column_labels() == ["Name", "Phone", "Email"]
        await pilot.press("escape")
        await settle(app, pilot)

        # ---- 4. Create in ERP: the asked defaults; an empty mandatory one is refused ------
        from erp_tui.services import defaults

        defaults.save_default(ctx, NORDIC, "Customer",
                              DefaultSpec("note", False, "", True, True))
        edit_record(ctx, "company", second.id, {"category": "retail"},
                    get_record(ctx, "company", second.id).stamp)
        await _back_to_connections(app, pilot)
        view = await _open_company(app, pilot, 1)
        assert view.record_id == second.id
        await pilot.press("f8")
        await pilot.pause()
        create = app.screen
        assert isinstance(create, CreateInErpDialog)
        nordic = next(i for i, t in enumerate(create.targets) if t[0] == NORDIC)
        create.query_one("#target", Select).value = str(nordic)
        await pilot.pause()
        assert sorted(v.key for v, _m in create.asked) == ["currency", "note"]
        await pilot.press("f10")
        await settle(app, pilot)
        assert app.screen is create
        assert "'Note' is mandatory" in create.problem_text("note")
        note = next(i for i, (v, _m) in enumerate(create.asked) if v.key == "note")
        create.query_one(f"#ask-{note}", Input).value = "Made from the CRM"
        await pilot.press("f10")
        await settle(app, pilot)
        assert app.screen is view, create.status_text()
        new_key = get_record(ctx, "company", second.id).links[0].erp_key
        assert erp_customer(ctx, new_key, "note") == "Made from the CRM"

        # ---- 5. a CRM edit in the record view is pushed by the next sync -----------------
        await _back_to_connections(app, pilot)
        view = await _open_company(app, pilot, 0)
        await pilot.press("f3")
        name_index = next(i for i, f in enumerate(view.detail.fields)  # type: ignore[union-attr]
                          if f.key == "name")
        view.query_one(f"#field-{name_index}", Input).value = "Pushed by the sync AB"
        await pilot.press("f2")
        await pilot.pause()
        assert "Saved" in view.message_text()
        assert erp_customer(ctx, key, "name") != "Pushed by the sync AB"  # not yet
        await _back_to_connections(app, pilot)
        await pilot.press("space")  # activate Nordic again
        await settle(app, pilot)
        assert next(c for c in list_connections(ctx) if c.name == NORDIC).active
        await pilot.press("s")  # sync now
        await settle(app, pilot)
        await settle(app, pilot)
        assert erp_customer(ctx, key, "name") == "Pushed by the sync AB"
