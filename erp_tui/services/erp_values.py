"""ERP values as a person reads them (ERP tab, ERP search): display text, bounded and inert,
and connector calls that always come back within their time-out.

Values from an ERP are outside text: every display text here is cut to a bounded length and
has its control characters replaced, so that no face can be tricked by what an ERP sends.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from erp_tui.context import AppContext
from erp_tui.contract import Connector, FieldType, Result
from erp_tui.crm_catalog import list_item_text
from erp_tui.errors import ErpTuiError
from erp_tui.i18n import label_language, msg
from erp_tui.model import Connection, CrmListItem, ErpListItem
from erp_tui.runner.calls import timed_call
from erp_tui.runner.values import canon
from erp_tui.services.common import message_of

R = TypeVar("R", bound=Result)

MAX_DISPLAY = 500
"""Longest display text of one value (longer ones end in '…')."""


def _breaks(ch: str) -> bool:
    """A control, format or line/paragraph-separator character."""
    category = unicodedata.category(ch)
    return category[0] == "C" or category in ("Zl", "Zp")


def has_control(text: str) -> bool:
    """Does `text` hold a control (or line-breaking) character?"""
    return not text.isprintable() and any(_breaks(ch) for ch in text)


def inert(text: str, limit: int = MAX_DISPLAY) -> str:
    """`text` on one line: control characters become spaces, cut to `limit` characters."""
    if not text.isprintable():
        text = "".join(" " if _breaks(ch) else ch for ch in text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def shown(text: Any, limit: int = 60) -> str:
    """Something a user typed, as quoted in a message (one line, bounded)."""
    return inert(canon(text), limit)


def display(field_type: FieldType, value: Any, items: dict[str, str] | None = None) -> str:
    """The display text of a value (canonical or typed): list items by their text,
    checkboxes as yes/no, date-times to the minute."""
    text = canon(value)
    if field_type is FieldType.LIST and text:
        text = (items or {}).get(text, text)
    elif field_type is FieldType.CHECKBOX:
        text = {"1": "yes", "0": "no"}.get(text, text)
    elif field_type is FieldType.DATETIME and text:
        text = text[:16].replace("T", " ")
    return inert(text)


def erp_lists(session: Session, connection_id: int, names: Iterable[str]
              ) -> dict[str, dict[str, str]]:
    """Cached items (key -> text) of these ERP lists of a connection."""
    wanted = sorted({n for n in names if n})
    out: dict[str, dict[str, str]] = {name: {} for name in wanted}
    if not wanted:
        return out
    for row in session.exec(select(ErpListItem).where(
            ErpListItem.connection_id == connection_id, col(ErpListItem.list_name).in_(wanted))
            .order_by(col(ErpListItem.position))):
        out[row.list_name][row.key] = row.text
    return out


def crm_lists(session: Session, names: Iterable[str]) -> dict[str, dict[str, str]]:
    """Items (key -> text) of these CRM lists."""
    wanted = sorted({n for n in names if n})
    out: dict[str, dict[str, str]] = {name: {} for name in wanted}
    if not wanted:
        return out
    language = label_language()
    for row in session.exec(select(CrmListItem).where(col(CrmListItem.list_name).in_(wanted))
                            .order_by(col(CrmListItem.position))):
        out[row.list_name][row.key] = list_item_text(row.list_name, row.key, row.text, language)
    return out


def ask_erp(ctx: AppContext, connection: Connection, request: Callable[[Connector], R],
            result_type: type[R], timeout: float) -> R:
    """One connector call under a time-out, as a result: a connector that refuses the
    connection, raises, answers wrongly or hangs gives a failed result with one sentence."""

    def run() -> R:
        try:
            connector = ctx.connectors.for_connection(connection)
        except ErpTuiError as exc:
            return result_type.failure(message_of(exc), error_code="connector_refused")
        return request(connector)

    result = timed_call(run, result_type, timeout)
    if result.error_code == "connector_timeout":
        return result_type.failure(
            msg("The ERP did not answer within {seconds} seconds; try again later.",
                seconds=format(timeout, "g")),
            tech_message=result.tech_message, error_code="connector_timeout")
    return result
