"""The field changes of one run for the Sync log's Changes view, read a page at a time.

A run can log a million changes: the view paints only the rows in sight and asks this cache for
them; pages are read by key from a neighbouring page, or from the nearer end, never by a long
OFFSET.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from erp_tui.context import AppContext
    from erp_tui.runner import LoggedChange

PAGE = 200
CACHED_PAGES = 64


class ChangePages:
    """The field changes of one run, read a page at a time on demand.

    Page n is read by key from a cached neighbour (id > last id of page n-1, or id < first id
    of page n+1), else from the nearer end of the run (ascending OFFSET from the start, or
    descending from the end), so paging through or jumping to the end of a million changes
    stays fast. Only the last `CACHED_PAGES` pages are kept.
    """

    def __init__(self, ctx: AppContext, run_id: int, text: str = "") -> None:
        from erp_tui.runner import count_changes

        self.ctx = ctx
        self.run_id = run_id
        self.text = text
        self._pages: OrderedDict[int, list[LoggedChange]] = OrderedDict()
        self.total = count_changes(ctx, run_id)
        self.count = count_changes(ctx, run_id, text) if text else self.total

    def row(self, index: int) -> LoggedChange | None:
        """The change at `index` (0-based), reading its page when needed."""
        if index < 0 or index >= self.count:
            return None
        number, at = divmod(index, PAGE)
        page = self._pages.get(number)
        if page is None:
            page = self._load(number)
        else:
            self._pages.move_to_end(number)
        return page[at] if at < len(page) else None

    def _load(self, number: int) -> list[LoggedChange]:
        from erp_tui.runner import run_changes

        size = min(PAGE, self.count - number * PAGE)
        before, after = self._pages.get(number - 1), self._pages.get(number + 1)
        if before:
            rows = run_changes(self.ctx, self.run_id, limit=size, text=self.text,
                               after_id=before[-1].id)
        elif after:
            rows = run_changes(self.ctx, self.run_id, limit=size, text=self.text,
                               before_id=after[0].id, newest_first=True)[::-1]
        elif number * PAGE <= self.count // 2:
            rows = run_changes(self.ctx, self.run_id, number * PAGE, size, text=self.text)
        else:
            rows = run_changes(self.ctx, self.run_id, self.count - number * PAGE - size,
                               size, text=self.text, newest_first=True)[::-1]
        self._pages[number] = rows
        while len(self._pages) > CACHED_PAGES:
            self._pages.popitem(last=False)
        return rows
