"""Printing helpers of the CLI: aligned tables and JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def emit_json(data: Any) -> None:
    """Print `data` as JSON (dates as ISO text)."""
    json.dump(data, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")


def emit_json_line(data: Any) -> None:
    """Print `data` as one line of JSON (JSON Lines: streams), flushed at once."""
    sys.stdout.write(json.dumps(data, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()


_JOINER = "\u200d"  # joins emoji (👩‍👩‍👧): shown, it moves nothing


def inert(value: Any) -> str:
    """`value` as text that may be printed: every character that is not printable (ESC and the
    other controls, newline, NUL, bidi overrides such as U+202E) shown as its escape (`\\x1b`);
    None prints as nothing."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == _JOINER else
                   ch.encode("unicode_escape").decode("ascii") for ch in text)


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], indent: int = 0) -> None:
    """Print rows as an aligned text table with a header; stored text is printed inert (control
    characters escaped), so a hostile value cannot drive the terminal or split a row."""
    cells = [[("" if row.get(c) is None else inert(str(row.get(c)))) for c in columns]
             for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    pad = " " * indent

    def line(values: Sequence[str]) -> str:
        return pad + "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    print(line([c.upper() for c in columns]))
    for row in cells:
        print(line(row))
