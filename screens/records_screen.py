"""The CRM records screen: companies, persons and projects, with their link state per ERP
connection.

The table pages from the store (`records.list_records` / `count_records`): only the rows on
screen are painted, and a page of rows is read when one of its rows is first painted, so a
million companies open and scroll as fast as twenty. A filter ("begins with" on name, number,
e-mail, city or an ERP key) is counted and its first page read in a thread worker, so typing
never waits on the store. Enter opens the record view.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from erp_tui.crm_catalog import CRM_ENTITIES
from erp_tui.errors import ErpTuiError
from erp_tui.screens.css import load_css
from erp_tui.screens.i18n import N_, tr
from erp_tui.screens.log_text import actor_text, error_text
from erp_tui.screens.widgets.grid_table import GridColumn, GridTable
from erp_tui.screens.widgets.keys import KeyBar, localize_bindings
from erp_tui.screens.widgets.modal import DismissOnce
from erp_tui.screens.widgets.relabel import relabel
from erp_tui.sync_marks import LinkState

if TYPE_CHECKING:
    from erp_tui.context import AppContext
    from erp_tui.services.records import LinkBadge, RecordRow

TEXT = {
    "title": N_("CRM › Records"),
    "tab_company": N_("1 Companies"),
    "tab_person": N_("2 Persons"),
    "tab_project": N_("3 Projects"),
    "col_title": N_("Name"),
    "col_number": N_("Number"),
    "col_email": N_("E-mail"),
    "col_city": N_("City"),
    "col_company": N_("Company"),
    "filter_placeholder": N_("Type to filter: name, number, e-mail, city or ERP key"),
    "count": N_("{count} records"),
    "count_filtered": N_("{count} records begin with '{text}'"),
    "count_one": N_("1 record"),
    "count_filtered_one": N_("1 record begins with '{text}'"),
    "loading": N_("Reading…"),
    "counting": N_("{count}+ records — counting…"),
    "counting_filtered": N_("{count}+ records begin with '{text}' — counting…"),
    "legend": N_("● linked  ✗ deleted in ERP  ! open error"),
    "empty": N_("No records."),
    "nothing": N_("Nothing begins with '{text}'."),
    "no_links": N_("Not linked to an ERP."),
    "state_linked": N_("linked"),
    "state_deleted_in_erp": N_("deleted in ERP"),
    "state_error": N_("open error"),
    "link": N_("{mark} {connection}: {actor} {erp_key} ({state})"),
    "more_links": N_("  (+{count} more: F4 lists every link)"),
    "error": N_("✗ {message}"),
    "unexpected": N_("✗ Unexpected error: {kind}: {message}"),
    "saved": N_("✓ Saved."),
    "Back": N_("Back"),
    "Companies": N_("Companies"),
    "Persons": N_("Persons"),
    "Projects": N_("Projects"),
    "Filter": N_("Filter"),
    "Refresh": N_("Refresh"),
    "Open": N_("Open"),
    "Table": N_("Table"),
    "Clear filter": N_("Clear filter"),
    "Search in ERP": N_("Search in ERP"),
    "All links": N_("All links"),
}

ENTITIES = CRM_ENTITIES
PAGE = 100
CACHED_PAGES = 32
# A link's state as a glyph (NO_COLOR keeps the meaning) and a grid role (the colour).
LINK_MARKS = {LinkState.LINKED: ("●", "selected"), LinkState.DELETED_IN_ERP: ("✗", "error"),
              "error": ("!", "mark")}
FIXED_COLUMNS = 4


def link_mark(state: str) -> tuple[str, str]:
    """(glyph, role) of a link state; an unknown state shows as `?`."""
    return LINK_MARKS.get(state, ("?", "mark"))


def link_state_text(state: str) -> str:
    """A link state in the UI's language."""
    text = tr(TEXT, f"state_{state}")
    return state if text == f"state_{state}" else text


class RecordPages:
    """The records of one entity matching one filter, read a page at a time on demand (only
    the last `CACHED_PAGES` pages are kept)."""

    def __init__(self, ctx: AppContext, entity: str, text: str, count: int,
                 first: list[RecordRow], counted: bool = True) -> None:
        """`count` rows; `counted` False while it is only the length of the first page
        (the real count follows and is set on `count`)."""
        self.ctx = ctx
        self.entity = entity
        self.text = text
        self.count = count
        self.counted = counted
        self._pages: OrderedDict[int, list[RecordRow]] = OrderedDict()
        if first:
            self._pages[0] = first

    def row(self, index: int) -> RecordRow | None:
        """The record at `index` (0-based), reading its page when needed."""
        if index < 0 or index >= self.count:
            return None
        number, at = divmod(index, PAGE)
        page = self._pages.get(number)
        if page is None:
            from erp_tui.services.records import list_records

            try:
                page = list_records(self.ctx, self.entity, self.text, number * PAGE, PAGE,
                                    total=self.count if self.counted else None)
            except ErpTuiError:
                return None  # painted blank; F5 reads again
            self._pages[number] = page
            while len(self._pages) > CACHED_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        return page[at] if at < len(page) else None


class RecordsScreen(DismissOnce, Screen[None]):
    """CRM records by entity, filtered as typed, with a link-state column per connection."""

    CSS = load_css("records_screen.tcss")

    BINDINGS = [
        Binding("escape", "back", "Back", id="records.back"),
        Binding("1", "entity('company')", "Companies", id="records.companies"),
        Binding("2", "entity('person')", "Persons", id="records.persons"),
        Binding("3", "entity('project')", "Projects", id="records.projects"),
        Binding("slash", "filter", "Filter", id="records.filter"),
        Binding("down", "to_table", "Table", show=False, id="records.to_table"),
        Binding("f7", "search_erp", "Search in ERP", id="records.search"),
        Binding("f4", "all_links", "All links", show=False, id="records.links"),
        Binding("f5", "refresh", "Refresh", show=False, id="records.refresh"),
    ]

    class FirstPage(Message):
        """The first page for (`entity`, `text`) was read (or `error` says why not)."""

        def __init__(self, entity: str, text: str, first: list[Any], error: str) -> None:
            super().__init__()
            self.entity = entity
            self.text = text
            self.first = first
            self.error = error

    class Counted(Message):
        """The records matching (`entity`, `text`) were counted (`count` -1: failed)."""

        def __init__(self, entity: str, text: str, count: int) -> None:
            super().__init__()
            self.entity = entity
            self.text = text
            self.count = count

    def __init__(self, ctx: AppContext, entity: str = "company") -> None:
        super().__init__()
        localize_bindings(self, TEXT)
        self.ctx = ctx
        self.entity = entity if entity in ENTITIES else "company"
        self.text = ""
        self.pages: RecordPages | None = None
        self.loading = False
        self.connections: list[str] = []
        self._keep_row = 0
        # Counting a broad filter on a million rows takes a while: one count at a time, the
        # newest filter's after it (`_count_again`); counts kept by (entity, text).
        self._counting = False
        self._count_again = False
        self._counts: dict[tuple[str, str], int] = {}

    # ---- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        from erp_tui.services.records import connection_names

        try:
            self.connections = connection_names(self.ctx)
        except ErpTuiError:
            self.connections = []
        yield Static(tr(TEXT, "title"), id="title")
        yield Static("", id="tabs")
        yield Input(placeholder=tr(TEXT, "filter_placeholder"), id="filter", compact=True,
                    select_on_focus=False)
        yield Static("", id="head", markup=False)
        yield GridTable(self._columns(), self._cell, cursor_type="row", id="records")
        yield Static("", id="detail", markup=False)
        yield Static("", id="message", markup=False)
        yield KeyBar()

    def _columns(self) -> list[GridColumn]:
        columns = [GridColumn("title", tr(TEXT, "col_title"), 24, flex=True),
                   GridColumn("number", tr(TEXT, "col_number"), 9),
                   GridColumn("email", tr(TEXT, "col_email"), 16, flex=True),
                   GridColumn("city", self._fourth_label(), 11)]
        width = 5 if len(self.connections) <= 4 else 3
        for index, name in enumerate(self.connections):
            columns.append(GridColumn(f"link{index}", name, width, align="center"))
        return columns

    def _fourth_label(self) -> str:
        """Companies show their city there, persons their company."""
        return tr(TEXT, "col_company" if self.entity == "person" else "col_city")

    def on_mount(self) -> None:
        grid = self.query_one("#records", GridTable)
        relabel(grid, "activate", tr(TEXT, "Open"))
        grid.focus()
        self._paint_tabs()
        self.load()

    # ---- data ----------------------------------------------------------------------------

    def load(self, keep_row: int = 0) -> None:
        """Read the first page of the current entity and filter, then count, in workers (the
        rows show as soon as they are read; the count follows)."""
        self.loading = True
        self._keep_row = keep_row
        self._counts.clear()
        self._paint_head()
        self._page_worker(self.entity, self.text)
        self._start_count()

    @property
    def counting(self) -> bool:
        """Is the count of what is shown still being made?"""
        return self.pages is None or not self.pages.counted

    @work(thread=True, exclusive=True, group="records-page", exit_on_error=False)
    def _page_worker(self, entity: str, text: str) -> None:
        from erp_tui.services.records import list_records

        first: list[RecordRow] = []
        error = ""
        try:
            first = list_records(self.ctx, entity, text, 0, PAGE)
        except ErpTuiError as exc:
            error = tr(TEXT, "error", message=error_text(exc))
        except Exception as exc:  # never a traceback in the UI
            error = tr(TEXT, "unexpected", kind=type(exc).__name__, message=error_text(exc))
        if not get_current_worker().is_cancelled:
            self.post_message(self.FirstPage(entity, text, first, error))

    def _start_count(self) -> None:
        if self._counting:
            self._count_again = True  # after the running count, for the newest filter
            return
        self._counting = True
        self._count_worker(self.entity, self.text)

    @work(thread=True, group="records-count", exit_on_error=False)
    def _count_worker(self, entity: str, text: str) -> None:
        from erp_tui.services.records import count_records

        try:
            count = count_records(self.ctx, entity, text)
        except Exception:  # the rows say enough; the count stays open
            count = -1
        self.post_message(self.Counted(entity, text, count))

    def _gone(self) -> bool:
        """Is the screen closing (its widgets may be gone already)?"""
        return self.closing or not self.query("#records")

    @on(FirstPage)
    def _first_page(self, event: FirstPage) -> None:
        if (event.entity, event.text) != (self.entity, self.text) or self._gone():
            return  # an older filter: a newer read is on its way
        self.loading = False
        known = self._counts.get((event.entity, event.text))
        if known is None and len(event.first) < PAGE:
            known = len(event.first)  # the whole result is on the first page
        self.pages = RecordPages(self.ctx, event.entity, event.text,
                                 known if known is not None else len(event.first),
                                 event.first, counted=known is not None)
        self.query_one("#records", GridTable).set_data(self.pages.count,
                                                       cursor_row=self._keep_row)
        self._say(event.error)
        self._paint_head()
        self._paint_detail()
        self.refresh_bindings()

    @on(Counted)
    def _counted(self, event: Counted) -> None:
        self._counting = False
        if self._count_again:
            self._count_again = False
            if (event.entity, event.text) != (self.entity, self.text) or event.count < 0:
                self._start_count()
        if (event.entity, event.text) != (self.entity, self.text) or event.count < 0 \
                or self._gone():
            return
        self._counts[(event.entity, event.text)] = event.count
        pages = self.pages
        if pages is None or (pages.entity, pages.text) != (event.entity, event.text) \
                or self.loading:
            return  # its first page is still on its way and takes the count from there
        pages.counted = True
        if pages.count != event.count:
            pages.count = event.count
            grid = self.query_one("#records", GridTable)
            grid.set_data(event.count, cursor_row=grid.cursor_row)
        self._paint_head()

    def selected(self) -> RecordRow | None:
        """The record under the cursor."""
        if self.pages is None:
            return None
        return self.pages.row(self.query_one("#records", GridTable).cursor_row)

    # ---- painting ------------------------------------------------------------------------

    def _paint_tabs(self) -> None:
        tabs = Text()
        for entity in ENTITIES:
            label = tr(TEXT, f"tab_{entity}")
            if entity == self.entity:
                tabs.append(f"▸{label} ", style="bold reverse")
            else:
                tabs.append(f" {label} ")
            tabs.append(" ")
        self.query_one("#tabs", Static).update(tabs)

    def _paint_head(self) -> None:
        if self.loading:
            text = tr(TEXT, "loading")
        elif self.pages is None:
            text = ""
        elif self.pages.count == 0:
            text = tr(TEXT, "nothing", text=self.text) if self.text else tr(TEXT, "empty")
        elif self.pages.counted:
            one = "_one" if self.pages.count == 1 else ""
            text = (tr(TEXT, f"count_filtered{one}", count=f"{self.pages.count:,}",
                       text=self.text)
                    if self.text else tr(TEXT, f"count{one}", count=f"{self.pages.count:,}"))
        else:
            text = (tr(TEXT, "counting_filtered", count=f"{self.pages.count:,}",
                       text=self.text) if self.text
                    else tr(TEXT, "counting", count=f"{self.pages.count:,}"))
        if self.connections:
            text = f"{text}   {tr(TEXT, 'legend')}"
        self.query_one("#head", Static).update(text)

    def _paint_detail(self) -> None:
        from erp_tui.services.erp_values import inert

        record = self.selected()
        if record is None:
            self.query_one("#detail", Static).update("")
            return
        links = record.links
        if links:
            badge = links[0]
            line = tr(TEXT, "link", mark=link_mark(badge.state)[0], connection=badge.connection,
                      actor=actor_text(badge.actor_type), erp_key=badge.erp_key,
                      state=link_state_text(badge.state))
            if len(links) > 1:
                line += tr(TEXT, "more_links", count=len(links) - 1)
        else:
            line = tr(TEXT, "no_links")
        self.query_one("#detail", Static).update(f"{inert(record.title)}\n{line}")

    def _cell(self, row: int, column: int) -> tuple[str, str]:
        record = self.pages.row(row) if self.pages is not None else None
        if record is None:
            return "", ""
        if column == 0:
            return record.title, ""
        if column == 1:
            return record.number, ""
        if column == 2:
            return record.email, ""
        if column == 3:
            return (record.company if record.entity == "person" else record.city), ""
        badge = self._badge(record, column - FIXED_COLUMNS)
        return link_mark(badge.state) if badge is not None else ("", "")

    def _badge(self, record: RecordRow, index: int) -> LinkBadge | None:
        if index >= len(self.connections):
            return None
        name = self.connections[index]
        for badge in record.links:
            if badge.connection == name:
                return badge
        return None

    def _say(self, text: str) -> None:
        self.query_one("#message", Static).update(text)

    @on(GridTable.CursorMoved, "#records")
    def _moved(self) -> None:
        self._paint_detail()

    # ---- filter --------------------------------------------------------------------------

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        if text != self.text:
            self.text = text
            self.load()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.query_one("#records", GridTable).focus()

    def on_key(self, event: events.Key) -> None:
        """Type to filter: a character typed on the table (not a key of this screen) goes to
        the filter."""
        grid = self.query_one("#records", GridTable)
        if self.focused is not grid or not event.is_printable or event.character is None:
            return
        if event.key in self.active_bindings or event.character == " ":
            return
        event.stop()
        event.prevent_default()
        self._type_into_filter(event.character)

    def _type_into_filter(self, character: str) -> None:
        filter_input = self.query_one("#filter", Input)
        filter_input.focus()
        filter_input.insert_text_at_cursor(character)

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    # ---- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted or self.closing:
            return False
        if action == "to_table":  # down in the filter goes to the table
            return isinstance(self.focused, Input)
        if action == "all_links":
            record = self.selected()
            return record is not None and len(record.links) > 1
        return True

    def action_to_table(self) -> None:
        self.query_one("#records", GridTable).focus()

    def action_back(self) -> None:
        filter_input = self.query_one("#filter", Input)
        if self.focused is filter_input:
            if filter_input.value:
                filter_input.value = ""
            else:
                self.query_one("#records", GridTable).focus()
            return
        self.dismiss(None)

    def action_entity(self, entity: str) -> None:
        if entity in ENTITIES and entity != self.entity:
            self.entity = entity
            self.pages = None
            self._paint_tabs()
            grid = self.query_one("#records", GridTable)
            grid.columns[3] = dataclasses.replace(grid.columns[3], label=self._fourth_label())
            grid.set_data(0)
            self.load()

    def action_refresh(self) -> None:
        self.load(self.query_one("#records", GridTable).cursor_row)

    @on(GridTable.Activated, "#records")
    def _open(self, event: GridTable.Activated) -> None:
        record = self.pages.row(event.row) if self.pages is not None else None
        if record is not None:
            self.open_record(record.entity, record.id)

    def open_record(self, entity: str, record_id: int) -> None:
        """Show a record in the record view; the list is read again when it closes."""
        from erp_tui.screens.record_view import RecordView

        self.app.push_screen(RecordView(self.ctx, entity, record_id),
                             callback=self._record_closed)

    def action_all_links(self) -> None:
        """Open the record under the cursor on its ERP tab, which shows every link."""
        record = self.selected()
        if record is not None:
            from erp_tui.screens.record_view import RecordView

            self.app.push_screen(RecordView(self.ctx, record.entity, record.id, tab="erp"),
                                 callback=self._record_closed)

    def action_search_erp(self) -> None:
        """Search an ERP: a result can be opened (when linked) or imported as a record."""
        from erp_tui.screens.erp_search_dialog import ErpSearchDialog, SearchOutcome

        def done(outcome: SearchOutcome | None) -> None:
            if outcome is not None:
                self.open_record(outcome.entity, outcome.record_id)

        self.app.push_screen(ErpSearchDialog(self.ctx), callback=done)

    def _record_closed(self, saved: object) -> None:
        self.load(self.query_one("#records", GridTable).cursor_row)
        if saved is True:
            self._say(tr(TEXT, "saved"))

    # ---- for tests -----------------------------------------------------------------------

    def cell_text(self, row: int, column: int) -> str:
        """The text a cell shows."""
        return self._cell(row, column)[0]

    def head_text(self) -> str:
        return str(self.query_one("#head", Static).render())

    def detail_text(self) -> str:
        return str(self.query_one("#detail", Static).render())
