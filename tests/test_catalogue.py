"""Every message of the source has a Dutch text, and the Dutch catalogues hold nothing else.

The messages are those Babel extracts from `erp_tui/` and `screens/` with the keywords msg,
msgn:1,2, N_, gettext, ngettext:1,2 (see `babel.cfg`), plus the key bindings' descriptions
(`localize_bindings` translates them through the catalogue). The catalogue is the union of
`erp_tui/locale/nl/LC_MESSAGES/*.po`, loaded together (the first file that knows a text wins).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from babel.messages.catalog import Message

from erp_tui.i18n import compile_po
from tests.catalogue_support import (
    MessageId,
    Place,
    argparse_messages,
    binding_descriptions,
    catalogue,
    entries,
    extracted,
    non_literal_messages,
    placeholders,
    po_files,
)


def _source_messages() -> dict[MessageId, Place]:
    found: dict[MessageId, Place] = {}
    found.update(binding_descriptions())
    found.update(extracted())
    return found


def _key(entry: Message) -> MessageId:
    return tuple(entry.id) if isinstance(entry.id, (tuple, list)) else str(entry.id)


def _forms(value: object) -> tuple[str, ...]:
    """The text forms of a msgid or msgstr (one, or singular and plural)."""
    if isinstance(value, (tuple, list)):
        return tuple(str(form or "") for form in value)
    return (str(value or ""),)


def _dutch() -> dict[MessageId, list[tuple[Path, Message]]]:
    found: dict[MessageId, list[tuple[Path, Message]]] = defaultdict(list)
    for path, entry in entries():
        found[_key(entry)].append((path, entry))
    return found


def _translated(entry: Message) -> bool:
    return not entry.fuzzy and all(form.strip() for form in _forms(entry.string))


def _report(title: str, lines: list[str]) -> str:
    return f"{title} ({len(lines)}):\n" + "\n".join(sorted(lines))


def test_the_source_has_messages_and_catalogues() -> None:
    """A guard for the tests below: extraction and catalogues are found at all."""
    assert len(extracted()) > 100
    assert po_files()


def test_every_message_has_dutch() -> None:
    dutch = _dutch()
    missing = [f"{place}: {message_id!r}" for message_id, place in _source_messages().items()
               if not any(_translated(entry) for _path, entry in dutch.get(message_id, []))]
    assert not missing, _report("Messages without a Dutch text", missing)


def test_placeholders_of_dutch_match_english() -> None:
    wrong: list[str] = []
    for path, entry in entries():
        english, dutch = _forms(entry.id), _forms(entry.string)
        if len(english) > 1:
            allowed = set().union(*map(placeholders, english))
            good = all(placeholders(form) <= allowed for form in dutch if form) and (
                not dutch[-1] or placeholders(dutch[-1]) == placeholders(english[-1]))
        else:
            good = not dutch[0] or placeholders(dutch[0]) == placeholders(english[0])
        if not good:
            wrong.append(f"{path.name}: {entry.id!r} -> {entry.string!r}")
    assert not wrong, _report("Dutch texts whose {placeholders} differ from the English", wrong)


def test_brace_format_flag_where_there_are_placeholders() -> None:
    unflagged = [f"{path.name}: {entry.id!r}" for path, entry in entries()
                 if placeholders(_forms(entry.id)[0])
                 and "python-brace-format" not in entry.flags]
    assert not unflagged, _report("Entries with {placeholders} but no python-brace-format",
                                  unflagged)


def test_a_text_in_two_catalogues_has_the_same_dutch() -> None:
    differing = [f"{message_id!r}: " + "; ".join(f"{path.name}={entry.string!r}"
                                                for path, entry in places)
                 for message_id, places in _dutch().items()
                 if len({_forms(entry.string) for _path, entry in places}) > 1]
    assert not differing, _report("Texts with different Dutch in two catalogues", differing)


def test_no_obsolete_entries() -> None:
    """Every entry is a message of the source, or a text of argparse (the CLI's parser)."""
    source = {*_source_messages(), *argparse_messages()}
    obsolete = [f"{path.name}: {entry.id!r}" for path, entry in entries()
                if _key(entry) not in source]
    assert not obsolete, _report("Catalogue entries that no source uses", obsolete)


@pytest.mark.parametrize("path", po_files(), ids=lambda path: path.name)
def test_catalogue_compiles(path: Path) -> None:
    assert compile_po(path.read_bytes())
    assert not list(catalogue(path).check()), list(catalogue(path).check())


def test_messages_are_literals() -> None:
    """Babel extracts nothing from msg(f"..."): a message's text is a literal template."""
    bad = non_literal_messages()
    assert not bad, _report("Messages built at run time (use msg('... {name}', name=...))", bad)
