"""UI text in the user's language, from the gettext catalogues (see `erp_tui.i18n`).

Each screen module keeps a table of English texts, `TEXT = {"key": N_("English")}`, and shows
them with `tr(TEXT, "key", **values)`; the Dutch lives in the catalogue. Engine messages are
shown with `localize`; a text with a number in it is a `msgn` (singular and plural).
"""

from __future__ import annotations

from erp_tui.i18n import (
    N_,
    gettext,
    guess_language,
    label_language,
    language,
    localize,
    msgn,
    ngettext,
    set_language,
    tr,
)

__all__ = ["N_", "gettext", "guess_language", "label_language", "language", "localize",
           "msgn", "ngettext", "set_language", "tr"]
