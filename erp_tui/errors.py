"""Errors the engine raises: each carries one clear sentence for the user and an exit code."""

from __future__ import annotations

from dataclasses import dataclass, field

from erp_tui.i18n import localize


class ErpTuiError(Exception):
    """Base of every user-facing engine error.

    Raise it with a message (`erp_tui.i18n.msg`); `str(error)` is the English sentence and
    `localized()` the sentence in the user's language.
    """

    exit_code = 1

    def localized(self) -> str:
        """The sentence in the current language (English when it is not a message by code)."""
        if len(self.args) == 1:
            return localize(self.args[0])
        return str(self)


class NotFoundError(ErpTuiError):
    """Something named by the user does not exist."""

    exit_code = 3


class RefusedError(ErpTuiError):
    """A configuration rule refuses the change."""

    exit_code = 1


class ConnectionActiveError(RefusedError):
    """The connection must be deactivated before it can be changed."""


class StaleEditError(ErpTuiError):
    """Someone else changed the connection since it was read."""

    exit_code = 5


class ConnectorError(ErpTuiError):
    """The connector reported a failure (or failed to answer)."""

    exit_code = 4


@dataclass(frozen=True)
class Problem:
    """One thing that is wrong with a configuration, located as precisely as possible.

    `message` is a message by code (`erp_tui.i18n.Msg`): show it with `localize`.
    """

    message: str
    actor_type: str = ""
    field_key: str = ""
    list_name: str = ""
    code: str = ""


@dataclass
class ValidationFailed(RefusedError):
    """A change or an activation was refused; `problems` lists every reason."""

    summary: str
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.summary)

    def __str__(self) -> str:
        lines = [self.summary, *(f"- {problem.message}" for problem in self.problems)]
        return "\n".join(lines)

    def localized(self) -> str:
        """The summary and every problem in the current language."""
        lines = [localize(self.summary),
                 *(f"- {localize(problem.message)}" for problem in self.problems)]
        return "\n".join(lines)
