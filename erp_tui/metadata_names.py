"""Names of the cached ERP metadata in every language.

The cache (`erp_actor_type`, `erp_field`, `erp_list_item`) keeps the connector's own text in
its text columns (`label`, `description`, `text`) and the texts per language in a JSON column
`labels`: language -> column -> text, e.g. `{"nl": {"label": "Klant"}}`. Whoever reads the
cache sees the text of the current `erp_tui.i18n.label_language()`, falling back to the stored
one; the models do this on load (`erp_tui.model`), column selects call `shown_text`.
Machine output (`--json`) reads them in English whatever the language (`names_in`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from erp_tui.i18n import label_language

NamesByLanguage = dict[str, dict[str, str]]
"""Language -> column -> text, as the `labels` column holds it."""

_fixed_language: str | None = None


def names_language() -> str:
    """The language the cached names are read in: the label language, unless `names_in`
    fixes one."""
    return _fixed_language or label_language()


@contextmanager
def names_in(language: str) -> Iterator[None]:
    """Read the cached names in `language` meanwhile (the CLI's `--json`: English)."""
    global _fixed_language
    before, _fixed_language = _fixed_language, language
    try:
        yield
    finally:
        _fixed_language = before


def by_language(**texts: Mapping[str, str]) -> NamesByLanguage:
    """`{language: {column: text}}` from `column={language: text}`; empty texts left out."""
    out: NamesByLanguage = {}
    for column, per_language in texts.items():
        for language, text in per_language.items():
            if text:
                out.setdefault(language, {})[column] = text
    return out


def shown_text(labels: object, column: str, stored: str, language: str) -> str:
    """The text of `column` in `language` from a `labels` value, else `stored`."""
    if not isinstance(labels, Mapping):
        return stored
    texts = labels.get(language)
    text = texts.get(column) if isinstance(texts, Mapping) else None
    return text if isinstance(text, str) and text else stored
