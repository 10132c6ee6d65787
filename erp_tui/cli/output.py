"""Printing helpers of the CLI: texts in the user's language, aligned tables and JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Collection, Sequence
from typing import IO, Any

from erp_tui.i18n import N_, gettext, localize

# Table headings by column key; a column not named here (an ERP field) is headed by its key.
HEADINGS = {
    "active": N_("ACTIVE"), "actor": N_("ACTOR"), "ask_user": N_("ASK_USER"),
    "city": N_("CITY"), "company": N_("COMPANY"), "conflict": N_("CONFLICT"),
    "connection": N_("CONNECTION"), "connector": N_("CONNECTOR"),
    "crm_entity": N_("CRM_ENTITY"), "crm_field": N_("CRM_FIELD"), "crm_id": N_("CRM_ID"),
    "crm_item": N_("CRM_ITEM"), "crm_list": N_("CRM_LIST"), "default": N_("DEFAULT"),
    "dir": N_("DIR"), "email": N_("EMAIL"), "err": N_("ERR"), "erp_field": N_("ERP_FIELD"),
    "erp_item": N_("ERP_ITEM"), "erp_key": N_("ERP_KEY"), "erp_list": N_("ERP_LIST"),
    "field": N_("FIELD"), "id": N_("ID"), "key": N_("KEY"), "kind": N_("KIND"),
    "label": N_("LABEL"), "last_sync": N_("LAST_SYNC"), "last_test": N_("LAST_TEST"),
    "linked": N_("LINKED"), "links": N_("LINKS"), "list": N_("LIST"),
    "mandatory": N_("MANDATORY"), "mark": N_("MARK"), "max": N_("MAX"),
    "message": N_("MESSAGE"), "name": N_("NAME"), "new": N_("NEW"), "number": N_("NUMBER"),
    "old": N_("OLD"), "origin": N_("ORIGIN"), "priority": N_("PRIORITY"), "push": N_("PUSH"),
    "run": N_("RUN"), "search": N_("SEARCH"), "started": N_("STARTED"),
    "status": N_("STATUS"), "tab": N_("TAB"), "type": N_("TYPE"), "upd": N_("UPD"),
    "used_by": N_("USED_BY"), "value": N_("VALUE"),
}


# Code words the text output shows (field types, run kinds, doctor areas, connector origins,
# CRM entities);
# --json shows the codes themselves.
CODE_WORDS = {
    "checkbox": N_("checkbox"), "text": N_("text"), "password": N_("password"),
    "integer": N_("integer"), "double": N_("double"), "decimal": N_("decimal"),
    "list": N_("list"), "date": N_("date"), "datetime": N_("datetime"), "label": N_("label"),
    "sync": N_("sync"), "retry": N_("retry"), "resync": N_("resync"), "reread": N_("reread"),
    "link": N_("link"), "import": N_("import"), "store": N_("store"),
    "connector": N_("connector"), "connection": N_("connection"), "lock": N_("lock"),
    "runs": N_("runs"), "errors": N_("errors"), "built-in": N_("built-in"),
    "plugin": N_("plugin"), "company": N_("company"), "person": N_("person"),
    "project": N_("project"),
}


def code_word(code: str) -> str:
    """A code word (`double`, `sync`, `built-in` …) in the user's language; others as given."""
    return gettext(CODE_WORDS[code]) if code in CODE_WORDS else code


def say(text: object = "", *, file: IO[str] | None = None, flush: bool = False) -> None:
    """Print `text` (a message, an error or plain text) in the user's language."""
    print(localize(text), file=file, flush=flush)


def yes_no(value: bool) -> str:
    return gettext("yes") if value else gettext("no")


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


def heading(column: str, data_columns: Collection[str] = ()) -> str:
    """The heading of `column`: translated, or the key itself for a column named by data."""
    if column in data_columns or column not in HEADINGS:
        return column.upper()
    return gettext(HEADINGS[column])


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], indent: int = 0,
                data_columns: Collection[str] = ()) -> None:
    """Print rows as an aligned text table with a translated header (`data_columns` are headed
    by their key); stored text is printed inert (control characters escaped), so a hostile
    value cannot drive the terminal or split a row."""
    cells = [[("" if row.get(c) is None else inert(localize(row.get(c)))) for c in columns]
             for row in rows]
    headings = [heading(c, data_columns) for c in columns]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headings)]
    pad = " " * indent

    def line(values: Sequence[str]) -> str:
        return pad + "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    print(line(headings))
    for row in cells:
        print(line(row))
