"""Test helper of the pseudo-locale test: what counts as data, and the text left outside ⟦ ⟧.

In the pseudo language every text that goes through the catalogue is wrapped in ⟦…⟧. What a
screen shows outside the marks must be data; data is, precisely:

1. values from outside the program's texts: the text values of the sample ERP databases'
   records and lists, of the CRM's record tables and list items (a standard item as it reads in
   Dutch), the connections' names and connector kinds,
   the keys of fields and lists (ERP and CRM), and what the user typed (the screen's inputs);
2. names from outside the engine, as the pseudo language reads them (`label_language()` is
   Dutch): each connector's name, setting labels and option texts, and its names for actor
   types, fields and list items and its fields' descriptions, for Dutch (its own text when it
   gives none: a connector may know one language only); the CRM catalogue's Dutch names of
   entities, actor types, lists, list items and fields (user fields too);
3. tokens that are not words: numbers, dates, punctuation, glyphs, paths, e-mail addresses and
   URLs (a token with `/`, `@` or `://`), identifiers with `_` (field and list keys), words of
   one letter, and the names of the keys the current screen binds (f1, esc, ^p …) — plus
   `UTC`, the zone the app prints with every time.
A word cut off by the screen ("Nordic Tra…") is data when it begins a data word.

A run of text outside the marks that has a word which is none of these is a leak: a text
shown in the source language without going through the catalogue. So is a marked text that is
a table key instead of a text (`⟦hint.text⟧`).
"""

from __future__ import annotations

import re
import sqlite3
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from textual.app import App

from erp_tui.i18n import PSEUDO_CLOSE, PSEUDO_OPEN

WORD = re.compile(r"[^\W\d_]{2,}")
NOT_A_WORD = re.compile(r"\S*(?:/|@|_)\S*")
ALWAYS = {"UTC"}
# Columns of the sample ERP whose values are actor-type keys (codes, not data).
CODE_COLUMNS = {"parent_type", "actor_type"}


def words(texts: Iterable[object]) -> set[str]:
    found: set[str] = set()
    for text in texts:
        if isinstance(text, str):
            found.update(WORD.findall(NOT_A_WORD.sub(" ", text)))
    return found


def _erp_values(path: Path) -> Iterator[object]:
    with sqlite3.connect(path) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
                  if t not in ("settings", "clock")]
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            for row in cursor:
                yield from (value for name, value in zip(names, row, strict=True)
                            if name not in CODE_COLUMNS)


def _store_values(ctx: Any) -> Iterator[object]:
    from sqlalchemy import MetaData, select

    from erp_tui.crm_catalog import list_item_text

    metadata = MetaData()
    with warnings.catch_warnings():  # expression indexes are not reflected; columns are
        warnings.simplefilter("ignore")
        metadata.reflect(ctx.engine)
    with ctx.engine.connect() as conn:
        for name, table in metadata.tables.items():
            if name == "crm_list_item":  # a standard item reads in Dutch (list_item_text)
                for row in conn.execute(select(table.c.list_name, table.c.key, table.c.text)):
                    yield from (row.key, list_item_text(row.list_name, row.key, row.text, "nl"))
            elif name.startswith("crm_") and name != "crm_user_field":
                for row in conn.execute(select(table)):
                    yield from row
            if name == "connection":
                for row in conn.execute(select(table.c.name, table.c.connector)):
                    yield from row


def _names_from_outside(ctx: Any) -> Iterator[str]:
    from erp_tui import crm_catalog
    from erp_tui.crm_schema import all_entity_fields
    from erp_tui.i18n import language, set_language
    from erp_tui.services.connections import list_connections
    from erp_tui.services.metadata import fetch_metadata

    before = language()
    set_language("pseudo")
    try:
        with ctx.session() as session:
            for connection in list_connections(ctx):
                meta = fetch_metadata(ctx, session, connection.name)
                yield from (actor.label for actor in meta.actor_types)
                for fields in meta.fields.values():
                    yield from (text for f in fields
                                for text in (f.label, f.description, f.key, f.list_name))
                for list_name, items in meta.lists.items():
                    yield from (list_name, *items, *items.values())
            for crm_fields in all_entity_fields(session).values():
                yield from (text for field in crm_fields
                            for text in (field.label_in("nl"), field.key, field.list_name))
        yield from _connectors()
    finally:
        set_language(before)
    for table in (crm_catalog.ENTITY_LABELS, crm_catalog.ACTOR_LABELS, crm_catalog.LIST_LABELS):
        yield from (dutch for _english, dutch in table.values())
    for items in crm_catalog.CRM_LISTS_NL.values():
        yield from items.values()


def _connectors() -> Iterator[str]:
    """Each connector's kind, and its name, setting labels and options in Dutch."""
    from erp_tui.contract import field_in, label_for
    from erp_tui.registry import available_connectors, create_connector

    for kind in available_connectors():
        yield kind
        connector = create_connector(kind)
        yield label_for(connector, "nl")
        result = connector.config_fields()
        for field in getattr(result, "fields", []):
            dutch = field_in(field, "nl")
            yield from (dutch.label, dutch.key, *dutch.options, *dutch.options.values())


def data_words(ctx: Any) -> set[str]:
    """Every word that is data in the store `ctx` (see the module's docstring)."""
    demo = ctx.settings.data_dir / "demo"
    values: list[object] = [*_store_values(ctx), *_names_from_outside(ctx)]
    for path in sorted(demo.glob("*.sqlite")):
        values.extend(_erp_values(path))
    return words(values) | ALWAYS


def key_names(app: App[Any]) -> set[str]:
    """The names of the keys of the screens on the stack, as the app shows them."""
    names: set[str] = set()
    for screen in app.screen_stack:
        for bindings in (screen._bindings, app._bindings):
            for key, key_bindings in bindings.key_to_bindings.items():
                for binding in key_bindings:
                    names.add(app.get_key_display(binding))
                    names.update(part for part in key.split("+"))
    return {part for name in names for part in re.split(r"[\s+]", name) if part}


def outside_marks(text: str) -> str:
    """`text` with every ⟦…⟧ blanked, nested too. A ⟦ left open at a line's end goes on over
    the next lines only when a ⟧ later closes it (a text wrapped over lines); else it was cut
    off there (at an ellipsis or a box's edge) and ends with its line."""
    lines = text.splitlines()
    out: list[str] = []
    depth = 0
    for number, line in enumerate(lines):
        kept: list[str] = []
        for char in line:
            if char == PSEUDO_OPEN:
                depth += 1
            elif char == PSEUDO_CLOSE:
                depth = max(0, depth - 1)
                kept.append(" ")
                continue
            kept.append(" " if depth else char)
        if depth and not _closed_later("\n".join(lines[number + 1:])):
            depth = 0
        out.append("".join(kept))
    return "\n".join(out)


def _closed_later(rest: str) -> bool:
    """Whether `rest` closes a ⟦ opened before it."""
    balance = 0
    for char in rest:
        balance += (char == PSEUDO_OPEN) - (char == PSEUDO_CLOSE)
        if balance < 0:
            return True
    return False


TABLE_KEY = re.compile(r"⟦([a-z][a-z0-9]*(?:[._][a-z0-9]+)+)⟧")
CUT_WORD = re.compile(r"([^\W\d_]{2,})(?:…|$)")


def _data_word(word: str, data: set[str], cut: set[str]) -> bool:
    """Data, a cut-off start of data, or a data key in capitals (a CLI column: NAME)."""
    return (word in data or (word.isupper() and word.lower() in data)
            or (word in cut and any(known.startswith(word) for known in data)))


def leaks(text: str, data: set[str], keys: set[str]) -> list[str]:
    """The runs of text outside the marks that hold a word that is not data, and the table
    keys shown marked instead of a text."""
    found = [f"(a key, not a text) {key}" for key in TABLE_KEY.findall(text)]
    lowered_keys = {key.lower() for key in keys}
    for line in outside_marks(text).splitlines():
        for run in re.split(r"\s{2,}|[│┃║|▏▕]", line):
            run = run.strip(" ─━═▔▁▎▊▌█▐▀▄…·•:;,.()[]{}<>!?'\"-–▼▲")
            words = NOT_A_WORD.sub(" ", run)
            cut = set(CUT_WORD.findall(words))
            leaked = [w for w in WORD.findall(words)
                      if not _data_word(w, data, cut) and w.lower() not in lowered_keys]
            if leaked:
                found.append(run)
    return _unique(found)


def _unique(found: list[str]) -> list[str]:
    """`found` once each, runs that differ in numbers only once ("company 21", "company 22")."""
    seen: set[str] = set()
    unique: list[str] = []
    for leak in found:
        shape = re.sub(r"\d+", "#", leak)
        if shape not in seen:
            seen.add(shape)
            unique.append(leak)
    return unique


def typed(app: App[Any]) -> set[str]:
    """The words the user typed into the inputs of the screens on the stack."""
    from textual.widgets import Input

    return words(field.value for screen in app.screen_stack for field in screen.query(Input))
