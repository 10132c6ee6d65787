"""What every connector shares: refusals raised inside a connector and the guard that turns
them (and any other exception) into failure results at the contract boundary."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import ParamSpec, TypeVar

from erp_tui.contract import FieldInfo, Result

P = ParamSpec("P")
R = TypeVar("R", bound=Result)


class Refusal(Exception):
    """Raised inside a connector; becomes a failure result at the method boundary."""

    def __init__(self, user_message: str, error_code: str = "error", tech_message: str = ""):
        super().__init__(user_message)
        self.user_message = user_message
        self.error_code = error_code
        self.tech_message = tech_message


def guarded(result_cls: type[R], *, who: str,
            storage_errors: tuple[type[BaseException], ...] = (),
            storage_message: str = "", storage_code: str = "database",
            secrets: Callable[[object], Sequence[str]] | None = None,
            ) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a connector method so nothing escapes it: refusals keep their message, storage
    errors (`storage_errors`) get `storage_message`, anything else "`who` failed
    unexpectedly". `secrets(connector)` lists values to blank out of every message."""

    def wrap(method: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(method)
        def guarded_method(*args: P.args, **kwargs: P.kwargs) -> R:
            hidden = secrets(args[0]) if secrets is not None and args else ()

            def clean(text: str) -> str:
                for secret in hidden:
                    if secret:
                        text = text.replace(secret, "***")
                return " ".join(text.split())[:2000] if hidden else text

            try:
                return method(*args, **kwargs)
            except Refusal as refusal:
                return result_cls.failure(
                    clean(refusal.user_message), error_code=refusal.error_code,
                    tech_message=clean(refusal.tech_message or refusal.user_message))
            except Exception as exc:  # the contract: nothing escapes
                reason = getattr(exc, "orig", None) or exc
                tech = clean(f"{type(reason).__name__}: {reason}")
                if storage_errors and isinstance(exc, storage_errors):
                    return result_cls.failure(
                        storage_message, tech_message=tech, error_code=storage_code)
                return result_cls.failure(
                    f"{who} failed unexpectedly; see the technical message.",
                    tech_message=tech, error_code="internal")

        return guarded_method

    return wrap


TRUE_TEXTS = frozenset({"1", "true", "yes", "on", "y", "t"})
FALSE_TEXTS = frozenset({"", "0", "false", "no", "off", "n", "f"})


def as_bool(value: object, label: str, true_texts: frozenset[str] = TRUE_TEXTS) -> bool:
    """A checkbox config value as a bool; a Refusal naming `label` when it is neither."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in true_texts | FALSE_TEXTS:
        return value.strip().lower() in true_texts
    raise Refusal(f"{label} must be on or off.", "config")


def as_date(value: object) -> date:
    """A date from a date, a datetime or an ISO 'YYYY-MM-DD' text; ValueError otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value.strip())
    raise ValueError(f"not a date: {value!r}")


def describe(field: FieldInfo) -> str:
    """How a field is named in messages: label and key."""
    return f"{field.label} ({field.key})"
