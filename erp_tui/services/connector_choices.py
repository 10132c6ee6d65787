"""The installed connectors as a list to choose from: one answer for the UI, the CLI and doctor.

A plugin whose class cannot be loaded is still listed, with why (`broken`): it is named to the
user, never fatal. Labels are in the current label language when the connector gives one
(`labels`), else its own `label`.
"""

from __future__ import annotations

from dataclasses import dataclass

from erp_tui.contract import label_for
from erp_tui.i18n import label_language
from erp_tui.registry import available_connectors, load_connector_class


@dataclass(frozen=True, slots=True)
class ConnectorChoice:
    """One installed connector: its `kind`, its `label` (the kind itself when the class cannot
    be loaded), and `broken`, "ExceptionType: message" when it cannot be loaded ("" when it
    loads). `origin` is "built-in" or the distribution that provides it; `target` is where its
    class lives ("module:Class")."""

    kind: str
    label: str
    broken: str = ""
    origin: str = "built-in"
    target: str = ""

    @property
    def broken_type(self) -> str:
        """The name of the exception that stopped the class from loading ("" when it loads)."""
        return self.broken.partition(":")[0]


def connector_choices() -> list[ConnectorChoice]:
    """Every installed connector, built-ins first, each loaded once to read its label."""
    choices = []
    language = label_language()
    for info in available_connectors().values():
        try:
            label = str(label_for(load_connector_class(info.kind), language))
        except Exception as exc:  # a broken plugin is listed, not fatal
            choices.append(ConnectorChoice(info.kind, info.kind, f"{type(exc).__name__}: {exc}",
                                           info.origin, info.target))
            continue
        choices.append(ConnectorChoice(info.kind, label, "", info.origin, info.target))
    return choices
