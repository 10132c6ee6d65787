"""UI text in English (default) and Dutch, using the source page's Dutch terms.

Each screen module keeps its own table `TEXT = {"en": {...}, "nl": {...}}` and looks up with
`tr(TEXT, "key", **values)`; the language is set once at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping

_language = "en"


def set_language(language: str) -> None:
    """Choose `en` or `nl` for every later lookup."""
    global _language
    _language = "nl" if language.lower().startswith("nl") else "en"


def guess_language(explicit: str) -> str:
    """`en` or `nl` without reading the settings (cheap, for the first paint): `explicit`
    (--lang), else ERP_TUI_LANGUAGE, else the locale — the order `Settings.resolved_language`
    uses."""
    import os

    for value in (explicit, os.environ.get("ERP_TUI_LANGUAGE", ""),
                  *(os.environ.get(name, "") for name in ("LC_ALL", "LC_MESSAGES", "LANG"))):
        if value:
            return "nl" if value.lower().startswith("nl") else "en"
    return "en"


def language() -> str:
    return _language


def tr(table: Mapping[str, Mapping[str, str]], key: str, **values: object) -> str:
    """The text `key` in the current language (English when Dutch lacks it), formatted."""
    text = table.get(_language, {}).get(key) or table.get("en", {}).get(key) or key
    return text.format(**values) if values else text
