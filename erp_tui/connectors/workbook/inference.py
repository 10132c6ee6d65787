"""Field types inferred from all cells of a column and its header, saying when a type is a
guess."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from erp_tui.connectors.base import FALSE_TEXTS
from erp_tui.connectors.workbook.values import TRUE_TEXTS, blank
from erp_tui.contract import FieldType

SURE_SAMPLE = 20  # fewer filled cells than this: an inferred type is called a guess

# Header words that make a column of numbers a code (kept as text: leading zeros, no sums) or
# a column of 0 and 1 a yes/no field.
_CODE_WORDS = frozenset({"zip", "postal", "postcode", "plz", "phone", "telephone", "tel", "fax",
                         "mobile", "gsm", "iban", "bic", "vat", "ean", "gtin", "sku", "code"})
_YES_NO_WORDS = frozenset({"active", "inactive", "blocked", "enabled", "disabled", "flag",
                           "approved", "locked", "archived", "checked", "yn"})
_YES_NO_FIRST = frozenset({"is", "has", "can", "allow", "use", "send"})
_YES_NO_TEXTS = TRUE_TEXTS | FALSE_TEXTS  # what a checkbox cell may hold
# Cells that say "yes/no" by themselves (single letters such as F or N need the header).
_YES_NO_WORDS_IN_CELLS = frozenset({"yes", "no", "true", "false", "on", "off"})


def header_words(header: str) -> list[str]:
    """`ZipCode`, `zip_code`, `Zip code` -> ["zip", "code"]."""
    return [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", header)]


@dataclass(frozen=True)
class Inferred:
    """A column's inferred field type."""

    ftype: FieldType
    note: str = ""  # why the type may be wrong (shown as the field's description)
    cell_kind: type | None = None  # the one Python type of the column's cells, if one


def infer(header: str, cells: Iterable[Any]) -> Inferred:
    """The type of a column from all its cells and its header; says when it is a guess."""
    values = [v for v in cells if not blank(v)]
    kinds = {type(v) for v in values}
    kind = next(iter(kinds)) if len(kinds) == 1 else float if kinds == {int, float} else None
    words = header_words(header)
    says_yes_no = bool(words) and (words[0] in _YES_NO_FIRST or
                                   any(w in _YES_NO_WORDS for w in words))
    few = (f"Type guessed from only {len(values)} filled cell(s); set a type override if "
           f"it is wrong.") if len(values) < SURE_SAMPLE else ""
    if not kinds:
        return Inferred(FieldType.TEXT, "No filled cells: read as text; set a type override "
                                        "if it is something else.")
    if kinds == {bool}:
        return Inferred(FieldType.CHECKBOX, cell_kind=bool)
    texts = {v.strip().casefold() for v in values} if kinds == {str} else set()
    rows_say_yes_no = bool(texts & _YES_NO_WORDS_IN_CELLS) or texts == {"x"}
    if texts and texts <= _YES_NO_TEXTS and (says_yes_no or rows_say_yes_no):
        return Inferred(FieldType.CHECKBOX, cell_kind=str)
    if kinds <= {int, float, bool} and kinds != {bool}:
        return _infer_numbers(values, kinds, kind, words, says_yes_no, few)
    if kinds <= {date, datetime}:
        moments = [v for v in values if isinstance(v, datetime)]
        if all(m.time() == datetime.min.time() for m in moments):
            return Inferred(FieldType.DATE, few, datetime)
        return Inferred(FieldType.DATETIME, few, datetime)
    if kinds == {str}:
        return Inferred(FieldType.TEXT, cell_kind=str)
    return Inferred(FieldType.TEXT, "Mixed cell types: read as text.")


def _infer_numbers(values: list[Any], kinds: set[type], kind: type | None, words: list[str],
                   says_yes_no: bool, few: str) -> Inferred:
    """The type of a column of numbers: a code, a yes/no field, whole numbers or numbers."""
    if any(w in _CODE_WORDS for w in words):
        return Inferred(FieldType.TEXT, "Numbers in a code column: read as text (set a "
                                        "type override for numbers).", kind)
    if all(v in (0, 1) for v in values):
        if says_yes_no:
            return Inferred(FieldType.CHECKBOX, cell_kind=kind)
        return Inferred(FieldType.INTEGER if kinds <= {int, bool} else FieldType.DOUBLE,
                        "Only 0 and 1 seen: set a type override 'checkbox' if it is a "
                        "yes/no field.", kind)
    if bool in kinds:
        return Inferred(FieldType.TEXT, "Mixed cell types: read as text.")
    ftype = FieldType.INTEGER if kinds == {int} else FieldType.DOUBLE
    return Inferred(ftype, few, kind)
