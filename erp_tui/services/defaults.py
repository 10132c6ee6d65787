"""Sync defaults (Standaardwaarden voor synchronisatie), per actor."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from erp_tui.context import AppContext
from erp_tui.contract import FieldType
from erp_tui.errors import NotFoundError, Problem, ValidationFailed
from erp_tui.i18n import msg
from erp_tui.model import ActorMapping, SyncDefault
from erp_tui.rules import (
    DefaultSpec,
    ErpFieldView,
    default_problems,
    effective_mandatory,
    parse_value,
)
from erp_tui.services.common import (
    ConnectionRef,
    bump_version,
    erp_fields,
    erp_list_items,
    field_view,
    get_connection,
    require_inactive,
)
from erp_tui.services.mapping_problems import default_problem


@dataclass
class DefaultRow:
    """A saved default, as the Defaults dialog lists it."""

    actor_type: str
    erp_field: str
    label: str
    set_value: bool
    value: str
    ask_user: bool
    mandatory: bool
    forced_mandatory: bool


@dataclass
class DefaultsTab:
    """One actor type: its defaults and the fields a default can be added for."""

    actor_type: str
    rows: list[DefaultRow] = field(default_factory=list)
    fields: list[ErpFieldView] = field(default_factory=list)
    list_items: dict[str, dict[str, str]] = field(default_factory=dict)

    def field(self, key: str) -> ErpFieldView | None:
        for view in self.fields:
            if view.key == key:
                return view
        return None


@dataclass
class DefaultsState:
    """All defaults of a connection, with its version."""

    connection_id: int
    version: int
    tabs: list[DefaultsTab]

    def tab(self, actor_type: str) -> DefaultsTab:
        for tab in self.tabs:
            if tab.actor_type.lower() == actor_type.lower():
                return tab
        raise NotFoundError(msg("There is no actor '{actor}' on this connection.",
                                actor=actor_type))


def load_defaults(ctx: AppContext, ref: ConnectionRef) -> DefaultsState:
    """Every actor's defaults and the writable fields a default may be set for."""
    with ctx.session() as session:
        connection = get_connection(session, ref)
        cid = connection.id or 0
        tabs = []
        for actor in session.exec(select(ActorMapping).where(ActorMapping.connection_id == cid)):
            tabs.append(_tab(session, cid, actor.actor_type))
        return DefaultsState(cid, connection.version, tabs)


def _tab(session: Session, connection_id: int, actor_type: str) -> DefaultsTab:
    views = [field_view(f) for f in erp_fields(session, connection_id, actor_type)]
    tab = DefaultsTab(actor_type, fields=[v for v in views if not v.read_only])
    labels = {v.key: v for v in views}
    for list_name in {v.list_name for v in tab.fields if v.list_name}:
        tab.list_items[list_name] = erp_list_items(session, connection_id, list_name)
    for row in session.exec(select(SyncDefault).where(SyncDefault.connection_id == connection_id,
                                                      SyncDefault.actor_type == actor_type)):
        view = labels.get(row.erp_field)
        tab.rows.append(DefaultRow(
            actor_type, row.erp_field, view.label if view else row.erp_field, row.set_value,
            row.value, row.ask_user, effective_mandatory(row.mandatory, view),
            bool(view and view.mandatory)))
    tab.rows.sort(key=lambda r: r.label.lower())
    return tab


def check_default(tab: DefaultsTab, spec: DefaultSpec) -> list[str]:
    """Every reason `spec` cannot be saved on this tab (empty when it can)."""
    view = tab.field(spec.erp_field)
    items = tab.list_items.get(view.list_name, {}) if view else {}
    return default_problems(spec, view, items)


def save_default(ctx: AppContext, ref: ConnectionRef, actor_type: str, spec: DefaultSpec,
                 expected_version: int | None = None) -> int:
    """Add or change the default of one ERP field; returns the new version."""
    with ctx.session() as session:
        connection = get_connection(session, ref)
        require_inactive(connection)
        cid = connection.id or 0
        tab = _tab(session, cid, _actor(session, cid, actor_type))
        problems = check_default(tab, spec)
        if problems:
            raise ValidationFailed(msg("The default cannot be saved:"),
                                   [Problem(p, tab.actor_type, spec.erp_field, code="default")
                                    for p in problems])
        view = tab.field(spec.erp_field)
        bump_version(session, connection, expected_version)
        row = session.get(SyncDefault, (cid, tab.actor_type, spec.erp_field))
        if row is None:
            row = SyncDefault(connection_id=cid, actor_type=tab.actor_type,
                              erp_field=spec.erp_field)
        row.set_value = spec.set_value
        row.value = _stored_value(tab, view, spec) if spec.set_value else ""
        row.ask_user = spec.ask_user
        row.mandatory = effective_mandatory(spec.mandatory, view)
        session.add(row)
        return connection.version


def _stored_value(tab: DefaultsTab, view: ErpFieldView | None, spec: DefaultSpec) -> str:
    """The value as stored: a list item by its key, whichever language its text was typed in
    (`check_default` has accepted it)."""
    if view is None or view.type is not FieldType.LIST:
        return spec.value
    return str(parse_value(view, spec.value, tab.list_items.get(view.list_name, {})))


def remove_default(ctx: AppContext, ref: ConnectionRef, actor_type: str, erp_field: str,
                   expected_version: int | None = None) -> int:
    """Delete the default of one ERP field; returns the new version."""
    with ctx.session() as session:
        connection = get_connection(session, ref)
        require_inactive(connection)
        cid = connection.id or 0
        actor = _actor(session, cid, actor_type)
        row = session.get(SyncDefault, (cid, actor, erp_field))
        if row is None:
            raise NotFoundError(msg("{actor} has no default for '{field}'.", actor=actor,
                                    field=erp_field))
        bump_version(session, connection, expected_version)
        session.delete(row)
        return connection.version


def _actor(session: Session, connection_id: int, actor_type: str) -> str:
    for actor in session.exec(select(ActorMapping).where(
            ActorMapping.connection_id == connection_id)):
        if actor.actor_type.lower() == actor_type.lower():
            return actor.actor_type
    raise NotFoundError(msg("There is no actor '{actor}' on this connection.",
                            actor=actor_type))


def stored_default_problems(session: Session, connection_id: int) -> list[Problem]:
    """Problems of the saved defaults (for activation): mandatory without value or prompt,
    values that do not fit their field."""
    problems: list[Problem] = []
    actors = [a.actor_type for a in session.exec(
        select(ActorMapping).where(ActorMapping.connection_id == connection_id))]
    for actor_type in actors:
        tab = _tab(session, connection_id, actor_type)
        for row in tab.rows:
            spec = DefaultSpec(row.erp_field, row.set_value, row.value, row.ask_user,
                               row.mandatory)
            for message in check_default(tab, spec):
                problems.append(default_problem(actor_type, row.erp_field, row.label, message))
    return problems
