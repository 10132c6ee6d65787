"""The parsed workbook: its actor sheets (fields and rows) and list sheets, read with
openpyxl."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from erp_tui.connectors.base import Refusal
from erp_tui.connectors.workbook.inference import infer
from erp_tui.connectors.workbook.layout import (
    ACTOR_SHEETS,
    DELETED_COLUMN,
    ID_COLUMN,
    LABELS_SHEET,
    LABELS_SHEET_COLUMNS,
    PARENT_ID_COLUMN,
    PARENT_TYPE_COLUMN,
    SPECIAL_COLUMNS,
    STAMP_COLUMN,
    TEXT_COLUMN,
)
from erp_tui.connectors.workbook.settings import WorkbookSettings
from erp_tui.connectors.workbook.stamps import cell_stamp, stamp_from_us, stamp_us
from erp_tui.connectors.workbook.values import as_bool, blank, key_text, to_type
from erp_tui.contract import FieldInfo, FieldType, Value
from erp_tui.i18n import msg


@dataclass
class Row:
    """One actor: a row of its sheet (row number 0 for a deleted one no longer there)."""

    erp_key: str
    stamp: str
    row_number: int
    values: tuple[Value, ...]
    parent_type: str
    parent_key: str
    deleted: bool


@dataclass
class Sheet:
    """An actor sheet: its fields, special columns and rows."""

    actor_type: str
    fields: list[FieldInfo]
    field_index: dict[str, int]
    columns: dict[str, int]  # special column (canonical name) -> 1-based column number
    field_columns: list[int]  # 1-based column number of each field
    order: list[tuple[str, str]] = field(default_factory=list)  # (stamp, key), sorted
    rows: dict[str, Row] = field(default_factory=dict)
    int_ids: bool = False
    cell_kinds: list[type | None] = field(default_factory=list)  # per field, for writing

    def fields_by_key(self) -> dict[str, FieldInfo]:
        """The fields by key."""
        return {f.key: f for f in self.fields}

    def sort(self) -> None:
        """Put `order` in (stamp, key) order of the rows."""
        self.order = sorted((r.stamp, r.erp_key) for r in self.rows.values())


@dataclass
class Book:
    """A parsed workbook as of the file's `signature`."""

    signature: tuple[int, int]
    sheets: dict[str, Sheet]
    lists: dict[str, dict[str, str]]
    max_stamp_us: int  # the newest stamp in any sheet
    # The texts of list items per language (list -> language -> ID -> text).
    list_labels: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    # The labels of the Labels sheet: (actor type, column or "") -> language -> label.
    labels: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)


def signature(path: Path) -> tuple[int, int]:
    """What tells whether the file changed: modification time and size."""
    st = path.stat()
    return (st.st_mtime_ns, st.st_size)


def cell_name(col: int, row: int) -> str:
    """A cell's name such as B7."""
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col)}{row}"


def load_workbook(path: Path, *, read_only: bool) -> Any:
    """The openpyxl workbook at `path` (macros kept for .xlsm); raises Refusal."""
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=read_only,
                                      keep_vba=path.suffix.lower() == ".xlsm",
                                      data_only=False)
    except FileNotFoundError:
        raise Refusal(msg("Workbook {path} does not exist; check the path.",
                          path=path), "not_found") from None
    except PermissionError as exc:
        raise Refusal(msg("Workbook {path} cannot be opened; check its permissions.", path=path),
                      "cannot_open", str(exc)) from None
    except Exception as exc:
        raise Refusal(msg("{path} is not a readable .xlsx/.xlsm workbook.",
                          path=path), "bad_workbook",
                      f"{type(exc).__name__}: {exc}") from None


def read_book(settings: WorkbookSettings) -> Book:
    """Open and parse the workbook of `settings`; raises Refusal."""
    try:
        current = signature(settings.path)
    except FileNotFoundError:
        raise Refusal(msg("Workbook {path} does not exist; check the path.", path=settings.path),
                      "not_found") from None
    wb = load_workbook(settings.path, read_only=True)
    try:
        return parse_workbook(wb, settings, current)
    finally:
        wb.close()


def parse_workbook(wb: Any, settings: WorkbookSettings, file_signature: tuple[int, int]
                   ) -> Book:
    """The actor sheets and list sheets of an openpyxl workbook; raises Refusal."""
    names = {name.casefold(): name for name in wb.sheetnames}
    lists: dict[str, dict[str, str]] = {}
    list_labels: dict[str, dict[str, dict[str, str]]] = {}
    for list_name in sorted(set(settings.lists.values())):
        sheet_name = names.get(list_name.casefold())
        if sheet_name is None:
            raise Refusal(msg("The workbook has no list sheet {list_name!r} (named in Lists).",
                              list_name=list_name),
                          "unknown_list")
        lists[list_name], list_labels[list_name] = _parse_list_sheet(wb[sheet_name],
                                                                     sheet_name)
    labels_name = names.get(LABELS_SHEET.casefold())
    labels = _parse_labels_sheet(wb[labels_name]) if labels_name else {}
    sheets: dict[str, Sheet] = {}
    max_us = 0
    for actor_type in ACTOR_SHEETS:
        sheet_name = names.get(actor_type.casefold())
        if sheet_name is None:
            continue
        sheet, sheet_max = _parse_sheet(wb[sheet_name], actor_type, settings, labels)
        sheets[actor_type] = sheet
        max_us = max(max_us, sheet_max)
    if not sheets:
        raise Refusal(msg("The workbook has none of the sheets {names}; add at least one.",
                          names=', '.join(ACTOR_SHEETS)), "bad_workbook")
    for actor_type, key in settings.lists:
        linked = sheets.get(actor_type)
        if linked is None or key not in linked.field_index:
            raise Refusal(msg("Lists: the workbook has no column {key!r} on sheet {actor_type!r}.",
                              key=key, actor_type=actor_type), "config")
    return Book(signature=file_signature, sheets=sheets, lists=lists, max_stamp_us=max_us,
                list_labels=list_labels, labels=labels)


def _parse_labels_sheet(ws: Any) -> dict[tuple[str, str], dict[str, str]]:
    """(actor type, column) -> language -> label from the Labels sheet; raises Refusal
    without a Sheet and a Column column."""
    rows = ws.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    folded = [h.casefold() for h in header]
    if any(name.casefold() not in folded for name in LABELS_SHEET_COLUMNS):
        raise Refusal(msg("Sheet {title!r} needs a 'Sheet' and a 'Column' column.",
                          title=ws.title), "bad_sheet")
    sheet_at, column_at = (folded.index(name.casefold()) for name in LABELS_SHEET_COLUMNS)
    language_at = {title: at for at, title in enumerate(header)
                   if title and at not in (sheet_at, column_at)}
    canonical = {actor.casefold(): actor for actor in ACTOR_SHEETS}
    labels: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows:
        actor = canonical.get(str(_cell(row, sheet_at + 1) or "").strip().casefold())
        if actor is None:
            continue
        column = str(_cell(row, column_at + 1) or "").strip()
        texts = {language: str(row[at]).strip() for language, at in language_at.items()
                 if at < len(row) and not blank(row[at])}
        if texts:
            labels[(actor, column)] = texts
    return labels


def _parse_list_sheet(ws: Any, sheet_name: str
                      ) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """ID -> Text of a list sheet, and ID -> text per language from its `Text.<language>`
    columns; raises Refusal without an ID and a Text column."""
    rows = ws.iter_rows(values_only=True)
    header = [str(h).strip().casefold() if h is not None else "" for h in next(rows, ())]
    if ID_COLUMN.casefold() not in header or TEXT_COLUMN.casefold() not in header:
        raise Refusal(msg("List sheet {sheet_name!r} needs an 'ID' and a 'Text' column.",
                          sheet_name=sheet_name),
                      "bad_sheet")
    id_at, text_at = header.index(ID_COLUMN.casefold()), header.index(TEXT_COLUMN.casefold())
    prefix = TEXT_COLUMN.casefold() + "."
    language_at = {title.removeprefix(prefix): at for at, title in enumerate(header)
                   if title.startswith(prefix) and len(title) > len(prefix)}
    items: dict[str, str] = {}
    labels: dict[str, dict[str, str]] = {language: {} for language in language_at}
    for row in rows:
        if id_at < len(row) and not blank(row[id_at]):
            key = key_text(row[id_at])
            text = row[text_at] if text_at < len(row) else None
            items[key] = "" if text is None else str(text)
            for language, at in language_at.items():
                if at < len(row) and not blank(row[at]):
                    labels[language][key] = str(row[at])
    return items, labels


def _cell(row: tuple[Any, ...], col: int) -> Any:
    return row[col - 1] if col - 1 < len(row) else None


def _header(ws: Any, header: list[Any]) -> tuple[dict[str, int], list[str], list[int]]:
    """Special column -> number, and the field keys with their column numbers."""
    columns: dict[str, int] = {}
    field_keys: list[str] = []
    field_cols: list[int] = []
    canonical = {c.casefold(): c for c in SPECIAL_COLUMNS}
    for number, title in enumerate(header, start=1):
        if blank(title):
            continue
        text = str(title).strip()
        special = canonical.get(text.casefold())
        if special is not None:
            columns.setdefault(special, number)
        elif text not in field_keys:
            field_keys.append(text)
            field_cols.append(number)
    if ID_COLUMN not in columns:
        raise Refusal(msg("Sheet {title!r} has no 'ID' column in its header row.",
                          title=ws.title), "bad_sheet")
    return columns, field_keys, field_cols


def _parse_sheet(ws: Any, actor_type: str, settings: WorkbookSettings,
                 labels: dict[tuple[str, str], dict[str, str]]) -> tuple[Sheet, int]:
    """An actor sheet (its fields labelled from `labels`) and its newest stamp (in
    microseconds); raises Refusal."""
    rows = ws.iter_rows(values_only=True)
    columns, field_keys, field_cols = _header(ws, list(next(rows, ())))
    id_col = columns[ID_COLUMN]
    body = [(number, row) for number, row in enumerate(rows, start=2)
            if not all(blank(v) for v in row) and not blank(_cell(row, id_col))]
    fields: list[FieldInfo] = []
    kinds: list[type | None] = []
    for key, col in zip(field_keys, field_cols, strict=True):
        inferred = infer(key, (_cell(r, col) for _, r in body))
        kinds.append(inferred.cell_kind)
        texts = labels.get((actor_type, key), {})
        list_name = settings.lists.get((actor_type, key))
        if list_name is not None:
            fields.append(FieldInfo(key=key, label=key, type=FieldType.LIST,
                                    list_name=list_name, labels=texts))
            continue
        override = settings.overrides.get((actor_type, key))
        fields.append(FieldInfo(key=key, label=key, type=override or inferred.ftype,
                                description="" if override else inferred.note, labels=texts))
    sheet = Sheet(actor_type=actor_type, fields=fields,
                  field_index={f.key: i for i, f in enumerate(fields)}, columns=columns,
                  field_columns=field_cols, cell_kinds=kinds)
    sheet.int_ids = bool(body) and all(type(_cell(r, id_col)) is int for _, r in body)
    max_us = 0
    stamp_col = columns.get(STAMP_COLUMN)
    for number, row in body:
        key = key_text(_cell(row, id_col))
        if key in sheet.rows:
            raise Refusal(msg("ID {key!r} appears twice on sheet {title!r} (rows {row_number} "
                              "and {number}).",
                              key=key, title=ws.title, row_number=sheet.rows[key].row_number,
                              number=number), "duplicate_id")
        stamp = cell_stamp(_cell(row, stamp_col), settings.zone) if stamp_col else None
        if stamp is None:
            stamp = stamp_from_us(number)  # stable order: the row's position
        else:
            max_us = max(max_us, stamp_us(stamp))
        sheet.rows[key] = _parse_row(ws, sheet, key, stamp, number, row)
    sheet.sort()
    return sheet, max_us


def _parse_row(ws: Any, sheet: Sheet, key: str, stamp: str, number: int,
               row: tuple[Any, ...]) -> Row:
    """One row of an actor sheet; raises Refusal for a cell that does not fit its field."""
    values = []
    for info, col in zip(sheet.fields, sheet.field_columns, strict=True):
        raw = _cell(row, col)
        try:
            values.append(to_type(info.type, raw))
        except (ValueError, TypeError, Refusal):
            raise Refusal(msg("Cell {col} on sheet {title!r} holds {raw!r}, which is not a "
                              "{type} value; fix the cell or the type override.",
                              col=cell_name(col, number), title=ws.title, raw=raw,
                              type=info.type.value), "bad_cell") from None
    columns = sheet.columns
    ptype = _cell(row, columns[PARENT_TYPE_COLUMN]) if PARENT_TYPE_COLUMN in columns else None
    pkey = _cell(row, columns[PARENT_ID_COLUMN]) if PARENT_ID_COLUMN in columns else None
    deleted = _cell(row, columns[DELETED_COLUMN]) if DELETED_COLUMN in columns else None
    try:
        is_deleted = as_bool(deleted.strip() if isinstance(deleted, str) else deleted, "")
    except Refusal:
        is_deleted = False
    return Row(erp_key=key, stamp=stamp, row_number=number, values=tuple(values),
               parent_type="" if blank(ptype) else str(ptype).strip(),
               parent_key="" if blank(pkey) else key_text(pkey), deleted=is_deleted)
