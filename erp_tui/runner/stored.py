"""Texts the runner stores (a run's message, a record error's message), kept so that they are
shown later in the reader's language.

A message by code (`erp_tui.i18n.Msg`) is stored as MARK and the JSON of its template and
parameters; `from_stored` makes it a message again, whose text is the English sentence and
which `localize` shows in the current language. Any other text (the ERP's own words, a row
written before messages were stored this way) is stored and read back as it is.
"""

from __future__ import annotations

import json
from typing import Any

from erp_tui.i18n import Msg

# ASCII record separator: no sentence starts with it.
MARK = "\x1e"


def to_stored(text: str) -> str:
    """`text` as stored: a message by code as MARK and JSON, any other text as it is."""
    if not isinstance(text, Msg):
        return text
    return MARK + json.dumps(_plain(text), ensure_ascii=False, separators=(",", ":"))


def from_stored(stored: str | None) -> str:
    """A stored text read back: a `Msg` when a message was stored, else the text itself."""
    if not stored or not stored.startswith(MARK):
        return stored or ""
    try:
        return _message(json.loads(stored[len(MARK):]))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return stored


def message_of(error: BaseException) -> str:
    """An error's message as a run keeps it: the message by code it was raised with, else its
    text."""
    text = str(error)
    message = error.args[0] if len(error.args) == 1 else None
    return message if isinstance(message, Msg) and message == text else text


def _plain(message: Msg) -> list[Any]:
    """[template, parameters] (and the plural when there is one); a nested message is a list."""
    params = {key: _plain(value) if isinstance(value, Msg) else _data(value)
              for key, value in message.params.items()}
    if message.plural:
        return [message.template, params, message.plural]
    return [message.template, params]


def _data(value: object) -> object:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


def _message(data: list[Any]) -> Msg:
    template, params, *rest = data
    values = {key: _message(value) if isinstance(value, list) else value
              for key, value in dict(params).items()}
    plural = str(rest[0]) if rest else ""
    count = values.get("count") if plural else None
    return Msg(str(template), values, plural=plural,
               count=count if isinstance(count, int) else None)
