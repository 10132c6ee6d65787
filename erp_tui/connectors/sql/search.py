"""Search conditions: the text search over an actor type's search fields and the advanced
search's restrictions, as SQLAlchemy conditions with every value bound."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Column, or_
from sqlalchemy.sql.elements import ColumnElement

from erp_tui.connectors.base import (
    PATTERN_OPERATORS,
    TEXT_TYPES,
    check_restriction,
    like_escape,
    restriction_fields,
    search_value,
)
from erp_tui.connectors.sql.binding import BoundActor
from erp_tui.connectors.sql.values import native, stored_moment
from erp_tui.contract import FieldInfo, FieldType, Restriction, SearchOperator

LIKE_ESCAPE = "!"
"""The escape character of LIKE patterns."""

_Op = SearchOperator
_COMPARISONS = {_Op.GREATER: "__gt__", _Op.AFTER: "__gt__", _Op.LESS: "__lt__",
                _Op.BEFORE: "__lt__", _Op.GREATER_EQUAL: "__ge__", _Op.AFTER_OR_EQUAL: "__ge__",
                _Op.LESS_EQUAL: "__le__", _Op.BEFORE_OR_EQUAL: "__le__"}


def text_search_clause(actor: BoundActor, text: str) -> ColumnElement[bool]:
    """Rows whose search fields (default: every text field) contain `text`, any case."""
    search_keys = actor.spec.search or [
        k for k, f in actor.fields.items() if f.type in TEXT_TYPES]
    needle = text.strip().lower()
    if "\x00" in needle or not search_keys:
        return sa.false()
    pattern = f"%{like_escape(needle, LIKE_ESCAPE)}%"
    return or_(*[sa.func.lower(actor.columns[k]).like(pattern, escape=LIKE_ESCAPE)
                 for k in search_keys])


def restriction_clauses(actor: BoundActor, restrictions: Sequence[Restriction]
                        ) -> list[ColumnElement[bool]]:
    """One condition per restriction of an advanced search; raises Refusal."""
    return [restriction_clause(info, actor.columns[info.key], restriction)
            for info, restriction in restriction_fields(restrictions, actor.fields, actor.key)]


def stored_search_value(column: Column[Any], info: FieldInfo, value: Any) -> Any:
    """A restriction value (`search_value`) in the form `column` stores; ValueError when it
    does not fit the field type."""
    checked = search_value(info, value)
    if info.type is FieldType.DATETIME:
        return stored_moment(column, checked)
    if info.type is FieldType.LIST:
        return native(column, str(checked))
    return checked


def restriction_clause(info: FieldInfo, column: Column[Any], restriction: Restriction
                       ) -> ColumnElement[bool]:
    """SQLAlchemy condition for one restriction (values always bound)."""
    op = restriction.operator
    values = check_restriction(info, restriction, partial(stored_search_value, column))
    if info.type in TEXT_TYPES:
        return _text_clause(column, op, [v.lower() for v in values])
    if info.type is FieldType.CHECKBOX:
        expr = sa.func.coalesce(column, False)
        if op is _Op.EQUALS:
            return expr == values[0]
        return expr != values[0]
    if op is _Op.EQUALS:
        return column == values[0]
    if op in (_Op.IS_NOT, _Op.NOT_EQUAL):
        return or_(column.is_(None), column != values[0])
    if op is _Op.BETWEEN:
        return column.between(values[0], values[1])
    if op is _Op.ONE_OF:
        return column.in_(values)
    if op is _Op.NOT_ONE_OF:
        return or_(column.is_(None), column.not_in(values))
    return getattr(column, _COMPARISONS[op])(values[0])


def _text_clause(column: Column[Any], op: SearchOperator, values: list[str]
                 ) -> ColumnElement[bool]:
    """A condition on a text column, any case (NULL counts as empty text)."""
    expr = sa.func.lower(sa.func.coalesce(column, ""))
    if op in PATTERN_OPERATORS:
        text = like_escape(values[0], LIKE_ESCAPE)
        pattern = {_Op.BEGINS: f"{text}%", _Op.NOT_BEGINS: f"{text}%",
                   _Op.ENDS: f"%{text}", _Op.NOT_ENDS: f"%{text}"}.get(op, f"%{text}%")
        like = expr.like(pattern, escape=LIKE_ESCAPE)
        return like if op in (_Op.BEGINS, _Op.CONTAINS, _Op.ENDS) else sa.not_(like)
    if op is _Op.EQUALS:
        return expr == values[0]
    if op in (_Op.IS_NOT, _Op.NOT_EQUAL):
        return expr != values[0]
    return expr.between(values[0], values[1])
