"""The engine's sentences (rule refusals, draft and activation problems) in the UI's language.

The engine returns messages by code (`erp_tui.i18n.Msg`) and raises errors that carry them;
`engine_text` makes one in the current language from the catalogue (`engine.po` and the others).
"""

from __future__ import annotations

from erp_tui.i18n import localize


def engine_text(text: object) -> str:
    """`text` (a message, an engine error, or plain text) in the UI's language."""
    return localize(text)
