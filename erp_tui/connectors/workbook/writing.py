"""Writing actors into the workbook: each actor checked and planned first, then the cells
set and the workbook saved atomically, all or nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from erp_tui.connectors.base import Refusal, check_actor_values
from erp_tui.connectors.workbook.book import (
    Book,
    Row,
    Sheet,
    load_workbook,
    parse_workbook,
    signature,
)
from erp_tui.connectors.workbook.deletions import track_deletions
from erp_tui.connectors.workbook.layout import (
    ID_COLUMN,
    PARENT_ID_COLUMN,
    PARENT_TYPE_COLUMN,
    STAMP_COLUMN,
    parent_types,
)
from erp_tui.connectors.workbook.saving import atomic_save
from erp_tui.connectors.workbook.settings import WorkbookSettings
from erp_tui.connectors.workbook.stamps import local_cell_time, now_us, stamp_from_us
from erp_tui.connectors.workbook.values import cell_value, check_value, describe
from erp_tui.contract import Actor
from erp_tui.i18n import msg


@dataclass
class _Plan:
    """One actor's checked change: its sheet, its row (None for a new one), the checked
    values by field key and its parent (actor type, ID cell value) when one was sent."""

    sheet: Sheet
    row: Row | None
    values: dict[str, Any]
    parent: tuple[str, Any] | None


def sheet_of(book: Book, actor_type: str) -> Sheet:
    """The sheet of an actor type; raises Refusal when the workbook has none."""
    sheet = book.sheets.get(actor_type)
    if sheet is None:
        raise Refusal(msg("The workbook has no sheet for actor type {actor_type!r}; use one of "
                          "{names}.",
                          actor_type=actor_type,
                          names=', '.join(book.sheets)), "unknown_actor_type")
    return sheet


def write_actors(book: Book, settings: WorkbookSettings, actors: list[Actor], *,
                 creating: bool) -> tuple[Book, list[tuple[str, str]]]:
    """Write the actors into the workbook and save it; the workbook parsed anew and the
    (actor type, ERP key) of each actor written. Raises Refusal before anything is written
    when one actor does not fit."""
    plans = [_plan(book, actor, creating) for actor in actors]
    wb = load_workbook(settings.path, read_only=False)
    if signature(settings.path) != book.signature:
        # Changed between our parse and the load: parse what we loaded and re-check.
        book = parse_workbook(wb, settings, signature(settings.path))
        plans = [_plan(book, actor, creating) for actor in actors]
    # Whole milliseconds (what a date-time cell keeps), one apart, newer than every stamp.
    first_ms = max(now_us() // 1000, book.max_stamp_us // 1000 + 1)
    keys: list[tuple[str, str]] = []
    new_numbers: dict[str, int] = {}
    for offset, plan in enumerate(plans):
        sheet, row = plan.sheet, plan.row
        ws = wb[_sheet_title(wb, sheet.actor_type)]
        stamp_us = (first_ms + offset) * 1000
        if row is None:
            number = new_numbers.get(sheet.actor_type, _last_row(sheet) + 1)
            new_numbers[sheet.actor_type] = number + 1
            erp_key = _new_key(sheet, offset)
            _put(ws, number, sheet.columns[ID_COLUMN],
                 int(erp_key) if sheet.int_ids or (not sheet.rows and erp_key.isdigit())
                 else erp_key)
        else:
            number, erp_key = row.row_number, row.erp_key
        _put_values(ws, sheet, number, plan, new=row is None)
        col = sheet.columns.get(STAMP_COLUMN) or _add_column(ws, sheet, STAMP_COLUMN)
        _put(ws, number, col, local_cell_time(stamp_us, settings.zone), new=row is None)
        keys.append((sheet.actor_type, erp_key))
        if row is None:
            # Keep later new keys of this call unique.
            sheet.rows[erp_key] = Row(erp_key, stamp_from_us(stamp_us), number, (), "", "",
                                      False)
    atomic_save(wb, settings.path)
    new_book = parse_workbook(wb, settings, signature(settings.path))
    track_deletions(new_book, settings)
    return new_book, keys


def _put_values(ws: Any, sheet: Sheet, number: int, plan: _Plan, *, new: bool) -> None:
    """Set the cells of a plan's values and parent in row `number`."""
    for key, value in plan.values.items():
        index = sheet.field_index[key]
        _put(ws, number, sheet.field_columns[index],
             cell_value(value, sheet.cell_kinds[index] if sheet.cell_kinds else None),
             new=new)
    if plan.parent is not None:
        for name, value in ((PARENT_TYPE_COLUMN, plan.parent[0]),
                            (PARENT_ID_COLUMN, plan.parent[1])):
            col = sheet.columns.get(name) or _add_column(ws, sheet, name)
            _put(ws, number, col, value, new=new)


def _plan(book: Book, actor: Actor, creating: bool) -> _Plan:
    """An actor's change, checked; raises Refusal naming every problem."""
    sheet = sheet_of(book, actor.actor_type)
    row = None
    if actor.deleted:
        if creating:
            raise Refusal(msg("{actor} was not created: the workbook connector cannot delete "
                              "actors.", actor=actor.actor_type), "not_supported")
        raise Refusal(msg("{actor} {key!r} was not saved: the workbook connector cannot delete "
                          "actors.", actor=actor.actor_type, key=actor.erp_key), "not_supported")
    if not creating:
        row = sheet.rows.get(actor.erp_key)
        if row is None:
            raise Refusal(msg("{actor} {key!r} does not exist; nothing was saved.",
                              actor=actor.actor_type, key=actor.erp_key), "unknown_actor")
        if row.deleted:
            raise Refusal(msg("{actor} {key!r} is deleted in the ERP; nothing was saved.",
                              actor=actor.actor_type, key=actor.erp_key), "unknown_actor")
    parent_problems: list[str] = []
    parent = _checked_parent(book, sheet, actor, parent_problems)
    values = check_actor_values(sheet.fields_by_key(), actor,
                                lambda info, value: check_value(info, value, book.lists),
                                creating=creating, name=describe, more_problems=parent_problems)
    return _Plan(sheet, row, values, parent)


def _checked_parent(book: Book, sheet: Sheet, actor: Actor, problems: list[str]
                    ) -> tuple[str, Any] | None:
    """The parent to write (actor type, ID cell value), None when none was sent; what is
    wrong with it goes to `problems`."""
    if not actor.parent_actor_type and not actor.parent_erp_key:
        return None
    if actor.parent_actor_type not in parent_types(sheet.actor_type):
        problems.append(f"a {sheet.actor_type} cannot sit under a "
                        f"{actor.parent_actor_type or 'nothing'}")
        return None
    parent_sheet = book.sheets.get(actor.parent_actor_type)
    if parent_sheet is None or actor.parent_erp_key not in parent_sheet.rows:
        problems.append(f"parent {actor.parent_actor_type} "
                        f"{actor.parent_erp_key!r} does not exist")
        return None
    if parent_sheet.int_ids and actor.parent_erp_key.isdigit():
        return (actor.parent_actor_type, int(actor.parent_erp_key))
    return (actor.parent_actor_type, actor.parent_erp_key)


def _put(ws: Any, row: int, col: int, value: Any, *, new: bool = False) -> Any:
    """Set a cell; a new row's cell takes the number format of the cell above it."""
    target = ws.cell(row=row, column=col)
    target.value = value
    if new and row > 2:
        above = ws.cell(row=row - 1, column=col)
        if above.number_format != "General" and (
                isinstance(value, datetime | date) == bool(above.is_date)):
            target.number_format = above.number_format
    return target


def _sheet_title(wb: Any, actor_type: str) -> str:
    for name in wb.sheetnames:
        if name.casefold() == actor_type.casefold():
            return str(name)
    raise Refusal(msg("The workbook lost its sheet {actor_type!r}.",
                      actor_type=actor_type), "bad_workbook")


def _last_row(sheet: Sheet) -> int:
    return max((r.row_number for r in sheet.rows.values()), default=1)


def _add_column(ws: Any, sheet: Sheet, name: str) -> int:
    """Add a special column after the last one used; its number."""
    used = [*sheet.columns.values(), *sheet.field_columns]
    col = max(used, default=0) + 1
    ws.cell(row=1, column=col, value=name)
    sheet.columns[name] = col
    return col


def _new_key(sheet: Sheet, salt: int) -> str:
    """An ID for a new row: the highest numbered ID plus one, in the same form."""
    best: tuple[int, str, int] | None = None
    for key in sheet.rows:
        match = re.match(r"^(.*?)(\d+)$", key)
        if match and (best is None or int(match.group(2)) > best[0]):
            best = (int(match.group(2)), match.group(1), len(match.group(2)))
    if best is None:
        return str(len(sheet.rows) + 1 + salt) if not sheet.rows else \
            f"{sheet.actor_type[:1]}{len(sheet.rows) + 1 + salt}"
    number, prefix, width = best
    candidate = f"{prefix}{str(number + 1).zfill(width if prefix else 0)}"
    while candidate in sheet.rows:
        number += 1
        candidate = f"{prefix}{str(number + 1).zfill(width if prefix else 0)}"
    return candidate
