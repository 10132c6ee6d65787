"""The read-only view of an active connection's configuration.

A configuration dialog opened with `read_only=True` shows the configuration of an ACTIVE
connection without letting it change (rule 1: a connection is edited only while inactive).
It keeps one `ReadOnlyGate` and lets every change go through it:

    self._gate = ReadOnlyGate(self, ctx, connection_id, name, read_only=read_only,
                              on_editable=self._became_editable)
    ...
    def action_toggle(self) -> None:
        if not self._gate.allow():
            return
        ...change...

`allow()` is True while the dialog is editable. In read-only mode it is False and asks
"Connection '{name}' is active. Deactivate it to change its configuration?" (the one yes/no
question of the UI, `ConfirmScreen`, "keep active" by default); on yes it deactivates the
connection through the connections service (screens never touch SQL), the gate becomes editable
and `on_editable()` runs, so the dialog can drop its read-only mark and offer Save/OK. The user
then repeats the change. `ask_to_deactivate` is the same question for a caller without a gate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.widgets import Button, Label

from erp_tui.errors import ErpTuiError
from erp_tui.screens.i18n import N_, localize, tr

if TYPE_CHECKING:
    from textual.screen import Screen

    from erp_tui.context import AppContext
    from erp_tui.services.common import ConnectionRef

TEXT = {
    "question": N_("Connection '{name}' is active. Deactivate it to change its configuration?"),
    "deactivate": N_("Deactivate"),
    "keep": N_("Keep active"),
    "deactivated": N_("'{name}' is inactive now: you can change its configuration."),
    "mark": N_("read-only (active)"),
}


def read_only_mark() -> str:
    """The mark a read-only dialog shows in its title: "read-only (active)"."""
    return tr(TEXT, "mark")


def titled(title: str, read_only: bool) -> str:
    """`title`, followed by the read-only mark when `read_only`."""
    return f"{title} — {read_only_mark()}" if read_only else title


def ask_to_deactivate(screen: Screen[Any], ctx: AppContext, connection: ConnectionRef,
                      name: str, done: Callable[[bool], None]) -> None:
    """Ask whether to deactivate the active connection `name`; on yes deactivate it through
    the service. `done(True)` once it is inactive; `done(False)` when the user keeps it active
    or deactivating fails (the failure is shown as a notification)."""
    from erp_tui.screens.widgets.confirm import ConfirmScreen

    def answered(yes: bool | None) -> None:
        done(bool(yes) and _deactivate(screen, ctx, connection, name))

    screen.app.push_screen(
        ConfirmScreen("", tr(TEXT, "question", name=name), tr(TEXT, "deactivate"),
                      tr(TEXT, "keep"), default=False),
        callback=answered)


def _deactivate(screen: Screen[Any], ctx: AppContext, connection: ConnectionRef,
                name: str) -> bool:
    from erp_tui.services.connections import deactivate

    try:
        deactivate(ctx, connection)
    except ErpTuiError as exc:
        screen.notify(localize(exc), severity="error")
        return False
    screen.notify(tr(TEXT, "deactivated", name=name))
    return True


class ReadOnlyGate:
    """Whether a configuration dialog may change anything now; in read-only mode every try
    offers to deactivate the connection (see the module docstring)."""

    def __init__(self, screen: Screen[Any], ctx: AppContext, connection: ConnectionRef,
                 name: str, *, read_only: bool = False,
                 on_editable: Callable[[], None] | None = None) -> None:
        self._screen = screen
        self._ctx = ctx
        self._connection = connection
        self._name = name
        self._on_editable = on_editable
        self._asking = False
        self.read_only = read_only

    def allow(self) -> bool:
        """True when a change may go ahead; otherwise ask to deactivate (once at a time)."""
        if not self.read_only:
            return True
        if not self._asking:
            self._asking = True
            ask_to_deactivate(self._screen, self._ctx, self._connection, self._name,
                              self._answered)
        return False

    def title(self, title: str) -> str:
        """`title` with the read-only mark while read-only."""
        return titled(title, self.read_only)

    def show(self, title: str, save_button: str | None = None) -> None:
        """Show the gate's state on its dialog: `title` (from `title()`) in its `#title`, its
        saving button (a selector) only while changes are allowed, and the keys that apply."""
        screen = self._screen
        screen.query_one("#title", Label).update(title)
        if save_button is not None:
            screen.query_one(save_button, Button).display = not self.read_only
        screen.refresh_bindings()

    def _answered(self, editable: bool) -> None:
        self._asking = False
        if editable:
            self.read_only = False
            if self._on_editable is not None:
                self._on_editable()
