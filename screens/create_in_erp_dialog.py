"""Create in ERP (Aanmaken in ERP): make a CRM record an actor of an ERP and link them.

Choose the connection and actor type (those syncing with the record's entity and not linking
the record yet); the defaults marked "ask the user" are asked here, each as an input of its
type (a list as a choice of the ERP list), mandatory ones marked `*`. OK creates the actor in a
worker through `linking.create_in_erp`, which applies the mapped values and fixed defaults and
checks everything first: each refused value is shown at its field, nothing is created then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from erp_tui.contract import FieldType
from erp_tui.crm_catalog import actor_label
from erp_tui.errors import ErpTuiError, ValidationFailed
from erp_tui.screens.css import load_css
from erp_tui.screens.engine_text import engine_text
from erp_tui.screens.i18n import N_, label_language, localize, msgn, tr
from erp_tui.screens.log_text import actor_text, error_text
from erp_tui.screens.widgets.busy import BusyLine
from erp_tui.screens.widgets.dialog_kit import EditDialog, MarkedCheckbox, kit_text, value_hint
from erp_tui.screens.widgets.keys import KeyBar

if TYPE_CHECKING:
    from erp_tui.context import AppContext
    from erp_tui.rules import ErpFieldView

TEXT = {
    "title": N_("Create in ERP — {name}"),
    "target": N_("Create as"),
    "no_targets": N_(
        "No ERP connection syncs this kind of record, or every one links it already. "
        "Enable an actor type for it in Mappings first."),
    "asked": N_("Values to give (* mandatory):"),
    "nothing_asked": N_("No values are asked: mapped values and fixed defaults are sent."),
    "none": N_("(none)"),
    "creating": N_("Creating the record in '{connection}' as {actor}…"),
    "error": N_("✗ {message}"),
    "unexpected": N_("✗ Unexpected error: {kind}: {message}"),
    "create.ok": N_("Create"),
    "create.ok_ctrl": N_("Create"),
    "create.cancel": N_("Cancel"),
    "discard": N_("Discard the values you gave and close without creating?"),
}


@dataclass(frozen=True)
class Created:
    """The record was created in the ERP as `actor_type` `erp_key` and linked."""

    connection: str
    actor_type: str
    erp_key: str


class CreateInErpDialog(EditDialog[Created | None]):
    """Aanmaken in ERP: answers what was created, or None when cancelled."""

    BUTTON_ACTIONS: ClassVar[dict[str, str]] = {"ok": "ok", "cancel": "cancel"}

    CSS = load_css("create_in_erp_dialog.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f10", "ok", "OK", id="create.ok"),
        Binding("ctrl+s", "ok", "OK", show=False, id="create.ok_ctrl"),
        Binding("escape", "cancel", "Cancel", id="create.cancel"),
    ]

    class Finished(Message):
        """The create ended: `created`, or `error` with the `problems` by field key."""

        def __init__(self, created: Created | None, error: str,
                     problems: list[tuple[str, str]]) -> None:
            super().__init__()
            self.created = created
            self.error = error
            self.problems = problems

    def __init__(self, ctx: AppContext, entity: str, record_id: int, record_title: str,
                 linked: set[str] | None = None) -> None:
        super().__init__(TEXT)
        self.ctx = ctx
        self.entity = entity
        self.record_id = record_id
        self.record_title = record_title
        self.error = ""
        self.targets: list[tuple[str, str, str]] = []
        try:
            from erp_tui.services.erp_search import actor_types_for

            self.targets = [t for t in actor_types_for(ctx, entity)
                            if t[0] not in (linked or set())]
        except ErpTuiError as exc:
            self.error = error_text(exc)
        self.target = 0
        self.asked: list[tuple[ErpFieldView, bool]] = []
        self.list_items: dict[str, dict[str, str]] = {}
        self.busy = False

    # ---- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(tr(TEXT, "title", name=self.record_title), id="title", markup=False)
            with Horizontal(id="target-row"):
                yield Label(tr(TEXT, "target"), classes="caption")
                yield Select([(Content(f"{name} › {actor_label(actor, label_language(), label)}"),
                               str(index))
                              for index, (name, actor, label) in enumerate(self.targets)],
                             allow_blank=not self.targets,
                             value="0" if self.targets else Select.NULL,
                             compact=True, id="target")
            yield Static("", id="asked-head", markup=False)
            yield VerticalScroll(id="asked")
            yield BusyLine(id="busy")
            yield Static(self.error or ("" if self.targets else tr(TEXT, "no_targets")),
                         id="status", markup=False)
            with Horizontal(id="buttons"):
                yield Button(kit_text("ok"), id="ok", variant="primary", compact=True,
                             disabled=not self.targets)
                yield Button(kit_text("cancel"), id="cancel", compact=True)
        yield KeyBar()

    async def on_mount(self) -> None:
        if self.targets:
            await self._show_target(0)
            self.query_one("#target", Select).focus()
        else:
            self.query_one("#cancel", Button).focus()

    @property
    def connection(self) -> str:
        return self.targets[self.target][0] if self.targets else ""

    @property
    def actor_type(self) -> str:
        return self.targets[self.target][1] if self.targets else ""

    @on(Select.Changed, "#target")
    async def _target_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and int(event.value) != self.target:
            await self._show_target(int(event.value))

    async def _show_target(self, index: int) -> None:
        """Ask the "ask the user" defaults of target `index` (read from the store)."""
        from erp_tui.runner.linking import values_to_ask
        from erp_tui.services.defaults import load_defaults

        self.target = index
        self.asked = []
        self.list_items = {}
        box = self.query_one("#asked", VerticalScroll)
        await box.remove_children()
        try:
            self.asked = values_to_ask(self.ctx, self.connection, self.actor_type)
            if any(view.type is FieldType.LIST for view, _mandatory in self.asked):
                self.list_items = load_defaults(self.ctx, self.connection).tab(
                    self.actor_type).list_items
        except ErpTuiError as exc:
            self._status(tr(TEXT, "error", message=error_text(exc)))
        self.query_one("#asked-head", Static).update(
            tr(TEXT, "asked") if self.asked else tr(TEXT, "nothing_asked"))
        rows: list[Widget] = []
        for number, (view, mandatory) in enumerate(self.asked):
            caption = f"{view.label}{' *' if mandatory else ''}"
            rows.append(Horizontal(Label(Content(caption), classes="caption"),
                                   self._editor(number, view), classes="asked-row"))
            rows.append(Static("", id=f"problem-{number}", classes="problem", markup=False))
        if rows:
            await box.mount_all(rows)
        self._status("")

    def _editor(self, number: int, view: ErpFieldView) -> Widget:
        ident = f"ask-{number}"
        if view.type is FieldType.LIST:
            items = self.list_items.get(view.list_name, {})
            return Select([(Content(f"{text} ({key})"), key) for key, text in items.items()],
                          prompt=tr(TEXT, "none"), allow_blank=True, compact=True, id=ident)
        if view.type is FieldType.CHECKBOX:
            return MarkedCheckbox("", False, compact=True, id=ident)
        return Input(placeholder=value_hint(view.type), compact=True, id=ident)

    # ---- answers -------------------------------------------------------------------------

    def answers(self) -> dict[str, str]:
        """What the user gave, by ERP field key ("" for nothing)."""
        out = {}
        for number, (view, _mandatory) in enumerate(self.asked):
            found = self.query(f"#ask-{number}")
            if not found:
                continue
            widget = found.first()
            if isinstance(widget, Select):
                value = widget.value
                out[view.key] = value if isinstance(value, str) else ""
            elif isinstance(widget, Checkbox):
                out[view.key] = "1" if widget.value else "0"
            elif isinstance(widget, Input):
                out[view.key] = widget.value
        return out

    @property
    def dirty(self) -> bool:
        """Has the user given a value that closing would throw away?"""
        return not self.busy and any(value not in ("", "0") for value in self.answers().values())

    def problem_text(self, key: str) -> str:
        """The problem shown at asked field `key` ("" when none; for tests)."""
        for number, (view, _mandatory) in enumerate(self.asked):
            if view.key == key:
                return str(self.query_one(f"#problem-{number}", Static).render()).strip()
        return ""

    def _show_problems(self, problems: list[tuple[str, str]]) -> list[str]:
        """Put each problem at its field; returns those that belong to no asked field."""
        places = {view.key: number for number, (view, _m) in enumerate(self.asked)}
        for number in places.values():
            line = self.query_one(f"#problem-{number}", Static)
            line.update("")
            line.remove_class("-shown")
        rest: list[str] = []
        for key, message in problems:
            place = places.get(key)
            if place is None:
                rest.append(message)
                continue
            line = self.query_one(f"#problem-{place}", Static)
            line.update(f"✗ {message}")
            line.add_class("-shown")
        return rest

    # ---- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not super().check_action(action, parameters):
            return False
        if action == "ok":
            return (bool(self.targets) and not self.busy) or None
        return True

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_ok()

    def action_ok(self) -> None:
        if not self.targets or self.busy:
            return
        self.busy = True
        self.query_one("#ok", Button).disabled = True
        self.query_one(BusyLine).start(tr(TEXT, "creating", connection=self.connection,
                                          actor=actor_text(self.actor_type)))
        self._status("")
        self.refresh_bindings()
        self._create_worker(self.connection, self.actor_type, self.answers())

    @work(thread=True, exclusive=True, group="create-in-erp", exit_on_error=False)
    def _create_worker(self, connection: str, actor_type: str, answers: dict[str, str]) -> None:
        from erp_tui.runner.linking import create_in_erp

        created, error, problems = None, "", []
        try:
            key = create_in_erp(self.ctx, connection, actor_type, self.record_id, answers)
            created = Created(connection, actor_type, key)
        except ValidationFailed as exc:
            error = localize(msgn("✗ Not created: {count} problem.",
                                  "✗ Not created: {count} problems.", len(exc.problems)))
            problems = [(p.field_key, engine_text(p.message)) for p in exc.problems]
        except ErpTuiError as exc:
            error = tr(TEXT, "error", message=error_text(exc))
        except Exception as exc:  # never a traceback in the UI
            error = tr(TEXT, "unexpected", kind=type(exc).__name__, message=error_text(exc))
        self.post_message(self.Finished(created, error, problems))

    @on(Finished)
    def _finished(self, event: Finished) -> None:
        self.busy = False
        self.query_one(BusyLine).stop()
        self.query_one("#ok", Button).disabled = not self.targets
        self.refresh_bindings()
        if event.created is not None:
            self.dismiss(event.created)
            return
        rest = self._show_problems(event.problems)
        self._status("\n".join([event.error, *(f"  ✗ {m}" for m in rest)]))

    def _status(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    def status_text(self) -> str:
        """The status line as shown (for tests)."""
        return str(self.query_one("#status", Static).render())
