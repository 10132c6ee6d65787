"""Texts in the user's language: messages by code, translations from gettext catalogues.

The engine never builds a finished sentence for the user. It makes a `Msg`: the English
template (the gettext message id, which is the message's code) plus its parameters. A `Msg` is
a `str` whose value is the English sentence, so logs, tests and `in` checks read it as before;
where a text is shown, `localize` makes it in the current language from the catalogue.

Catalogues are gettext `.po` files under `erp_tui/locale/<language>/LC_MESSAGES/`, one per area
of the code; a build compiles them to `.mo` (see `setup.py`). A source checkout without the
compiled files reads the `.po` files through Babel instead.

The language is process-wide and set once at start-up (`set_language`): `en`, `nl`, or
`pseudo`, a test language that marks every translated text so a test can find any text that
did not go through the catalogue.
"""

from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from io import BytesIO
from typing import Any

LANGUAGES = ("en", "nl")
PSEUDO = "pseudo"
# The pseudo language wraps each translated text in these marks.
PSEUDO_OPEN, PSEUDO_CLOSE = "⟦", "⟧"

_language = "en"


def normalise_language(value: str) -> str:
    """`nl` for any Dutch locale name (nl, nl_NL.UTF-8, Dutch…), `pseudo`, else `en`."""
    lowered = value.strip().lower()
    if lowered == PSEUDO:
        return PSEUDO
    return "nl" if lowered.startswith(("nl", "dutch")) else "en"


def guess_language(explicit: str = "") -> str:
    """The language from `explicit` (--lang), else ERP_TUI_LANGUAGE, else the locale."""
    for value in (explicit, os.environ.get("ERP_TUI_LANGUAGE", ""),
                  *(os.environ.get(name, "") for name in ("LC_ALL", "LC_MESSAGES", "LANG"))):
        if value:
            return normalise_language(value)
    return "en"


def set_language(value: str) -> None:
    """Choose the language of every later `localize`, `gettext` and `tr`."""
    global _language
    _language = normalise_language(value)


def language() -> str:
    """The current language: `en`, `nl` or `pseudo`."""
    return _language


def label_language() -> str:
    """The language for labels that come in English and Dutch only (`pseudo` reads Dutch)."""
    return "en" if _language == "en" else "nl"


# -- catalogues -------------------------------------------------------------------------------

def _locale_dir(lang: str) -> Any:
    return resources.files("erp_tui").joinpath("locale", lang, "LC_MESSAGES")


def _catalogue_files(lang: str) -> Iterator[tuple[str, bytes, str]]:
    """(name, bytes, kind) of each catalogue of `lang`; kind is `mo` or `po`."""
    folder = _locale_dir(lang)
    if not folder.is_dir():
        return
    entries = sorted(folder.iterdir(), key=lambda entry: entry.name)
    compiled = {entry.name[:-3] for entry in entries if entry.name.endswith(".mo")}
    for entry in entries:
        if entry.name.endswith(".mo"):
            yield entry.name, entry.read_bytes(), "mo"
        elif entry.name.endswith(".po") and entry.name[:-3] not in compiled:
            yield entry.name, entry.read_bytes(), "po"


def compile_po(data: bytes) -> bytes:
    """The `.mo` bytes of a `.po` file's bytes (Babel; used by the build and by checkouts)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalogue = read_po(BytesIO(data), abort_invalid=True)
    out = BytesIO()
    write_mo(out, catalogue, use_fuzzy=False)
    return out.getvalue()


@cache
def _translations(lang: str) -> _gettext.NullTranslations:
    """Every catalogue of `lang` chained into one (the first that knows a text wins)."""
    first: _gettext.NullTranslations | None = None
    for _name, data, kind in _catalogue_files(lang):
        translation = _gettext.GNUTranslations(BytesIO(data if kind == "mo" else compile_po(data)))
        if first is None:
            first = translation
        else:
            first.add_fallback(translation)
    return first or _gettext.NullTranslations()


def _pseudo(text: str) -> str:
    return f"{PSEUDO_OPEN}{text}{PSEUDO_CLOSE}"


def gettext(text: str, context: str = "") -> str:
    """`text` (an English message id) in the current language; English when not translated."""
    if not text or _language == "en":
        return text
    if _language == PSEUDO:
        return _pseudo(text)
    catalogue = _translations(_language)
    return catalogue.pgettext(context, text) if context else catalogue.gettext(text)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for `count` in the current language."""
    if _language == "en":
        return singular if count == 1 else plural
    if _language == PSEUDO:
        return _pseudo(singular if count == 1 else plural)
    return _translations(_language).ngettext(singular, plural, count)


def N_(text: str) -> str:
    """Mark `text` for the catalogue without translating it now (it is translated when shown)."""
    return text


# -- messages ---------------------------------------------------------------------------------

class Msg(str):
    """A message by code: its English template and parameters; as a `str`, the English text.

    Parameters may be messages themselves; they are localized with the outer one.
    """

    template: str
    params: Mapping[str, object]
    plural: str
    plural_count: int | None
    context: str

    def __new__(cls, template: str, params: Mapping[str, object] | None = None, *,
                plural: str = "", count: int | None = None, context: str = "") -> Msg:
        values = dict(params or {})
        chosen = plural if plural and count is not None and count != 1 else template
        self = super().__new__(cls, _fill(chosen, values))
        self.template = template
        self.params = values
        self.plural = plural
        self.plural_count = count
        self.context = context
        return self

    def localized(self) -> str:
        """The text in the current language."""
        if _language == "en":
            return str.__str__(self)
        if self.plural and self.plural_count is not None:
            template = ngettext(self.template, self.plural, self.plural_count)
        else:
            template = gettext(self.template, self.context)
        return _fill(template, {key: localize(value) if isinstance(value, Msg) else value
                                for key, value in self.params.items()})

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.template, self.params, self.plural, self.plural_count,
                          self.context))


def _rebuild(template: str, params: Mapping[str, object], plural: str, count: int | None,
             context: str) -> Msg:
    return Msg(template, params, plural=plural, count=count, context=context)


def _fill(template: str, values: Mapping[str, object]) -> str:
    if not values:
        return template
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        # A translation with a broken placeholder must not hide the message: show the English.
        return template


def msg(template: str, /, **params: object) -> Msg:
    """A message: `template` is the English text with `{name}` placeholders (its code)."""
    return Msg(template, params)


def msgn(singular: str, plural: str, count: int, /, **params: object) -> Msg:
    """A message with a singular and a plural form; `count` chooses and is `{count}` too."""
    return Msg(singular, {"count": count, **params}, plural=plural, count=count)


def localize(value: object) -> str:
    """`value` as text in the current language: a `Msg` is translated, an engine error's
    message too (a `ValidationFailed` with its problems), anything else is `str(value)`."""
    if isinstance(value, Msg):
        return value.localized()
    if isinstance(value, BaseException):
        localized = getattr(value, "localized", None)
        if callable(localized):
            return str(localized())
        if value.args and isinstance(value.args[0], Msg) and len(value.args) == 1:
            return value.args[0].localized()
    return str(value)


def tr(table: Mapping[str, str], key: str, **values: object) -> str:
    """The text `key` of a screen's table of English texts, translated and formatted.

    A table maps keys to English message ids marked with `N_`.
    """
    text = table.get(key, key)
    translated = gettext(text)
    return _fill(translated, {name: localize(value) if isinstance(value, Msg) else value
                              for name, value in values.items()}) if values else translated
