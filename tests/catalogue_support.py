"""Test helper of the catalogue tests: the messages of the source and the Dutch catalogues.

The source's messages are what Babel extracts with the project's keywords (see `babel.cfg`)
plus the descriptions of the key bindings, which `localize_bindings` translates through the
catalogue too. The catalogue is the union of `erp_tui/locale/nl/LC_MESSAGES/*.po`.
"""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("erp_tui", "screens")
PO_DIR = ROOT / "erp_tui" / "locale" / "nl" / "LC_MESSAGES"
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "msg": None, "msgn": (1, 2), "N_": None, "gettext": None, "ngettext": (1, 2)}
# How many leading positional arguments of each keyword are message texts.
TEXT_ARGUMENTS = {"msg": 1, "msgn": 2, "N_": 1, "gettext": 1, "ngettext": 2}

MessageId = str | tuple[str, ...]


@dataclass(frozen=True)
class Place:
    """Where a message is in the source."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


def source_files() -> Iterator[Path]:
    for folder in SOURCE_DIRS:
        yield from sorted((ROOT / folder).rglob("*.py"))


@cache
def extracted() -> dict[MessageId, Place]:
    """Every message id Babel extracts from the source (a plural as (singular, plural))."""
    found: dict[MessageId, Place] = {}
    for folder in SOURCE_DIRS:
        for filename, line, message, _comments, _context in extract_from_dir(
                str(ROOT / folder), method_map=[("**.py", "python")], keywords=KEYWORDS,
                comment_tags=()):
            found.setdefault(message, Place(f"{folder}/{filename}", line))
    return found


@cache
def argparse_messages() -> frozenset[MessageId]:
    """The texts of the standard library's argparse, which the CLI's catalogue translates."""
    import argparse

    path = Path(argparse.__file__)
    with path.open("rb") as handle:
        return frozenset(message for _line, message, _comments, _context in extract(
            "python", handle, keywords={"_": None, "ngettext": (1, 2)}, comment_tags=()))


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


@cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def binding_descriptions() -> dict[str, Place]:
    """The literal description of every `Binding(...)` in the source."""
    found: dict[str, Place] = {}
    for path in source_files():
        for node in ast.walk(parsed(path)):
            if not isinstance(node, ast.Call) or _call_name(node) != "Binding":
                continue
            argument = next((k.value for k in node.keywords if k.arg == "description"),
                            node.args[2] if len(node.args) > 2 else None)
            if argument is not None and _is_text(argument) and argument.value:  # type: ignore[attr-defined]
                found.setdefault(argument.value,  # type: ignore[attr-defined]
                                 Place(str(path.relative_to(ROOT)), node.lineno))
    return found


def _built(node: ast.expr) -> bool:
    """Whether `node` builds a text at run time (an f-string, `+`, `%` or `.format`)."""
    if isinstance(node, (ast.JoinedStr, ast.BinOp)):
        return True
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format")


def non_literal_messages() -> list[str]:
    """`file:line: call` of every msg/msgn/N_ whose text is not a literal, and of every
    gettext/ngettext given a text built at run time: Babel cannot extract them. (gettext of a
    variable is how a text marked elsewhere with N_ is translated, so that is allowed.)"""
    bad: list[str] = []
    for path in source_files():
        for node in ast.walk(parsed(path)):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            count = TEXT_ARGUMENTS.get(name)
            if count is None:
                continue
            texts = node.args[:count]
            strict = name in ("msg", "msgn", "N_")
            if (strict and (len(texts) < count or not all(_is_text(t) for t in texts))) or \
                    any(_built(text) for text in texts):
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                bad.append(f"{where}: {ast.unparse(node)[:100]}")
    return bad


def po_files() -> list[Path]:
    return sorted(PO_DIR.glob("*.po"))


@cache
def catalogue(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale="nl")


def entries() -> Iterator[tuple[Path, Message]]:
    """(file, entry) of every non-header entry of every Dutch catalogue."""
    for path in po_files():
        for entry in catalogue(path):
            if entry.id:
                yield path, entry


def placeholders(text: str) -> set[str]:
    """The `{name}` fields of a brace-format text (a broken text gives {"<unparsable>"})."""
    try:
        return {field for _literal, field, _spec, _conversion in string.Formatter().parse(text)
                if field is not None}
    except ValueError:
        return {"<unparsable>"}
