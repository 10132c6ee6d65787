"""Connections: list, add/edit with the test gate, delete, activate and deactivate."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from erp_tui.context import AppContext, call
from erp_tui.contract import (
    ConfigFieldsResult,
    Connector,
    FieldInfo,
    FieldType,
    Result,
    field_in,
)
from erp_tui.errors import ConnectorError, ErpTuiError, Problem, RefusedError, ValidationFailed
from erp_tui.i18n import label_language, msg
from erp_tui.model import Connection, utc_now
from erp_tui.rules import ErpFieldView, parse_value
from erp_tui.runner.stored import from_stored, to_stored
from erp_tui.secrets import MASK
from erp_tui.services.common import (
    ConnectionRef,
    bump_version,
    get_connection,
    message_of,
    require_inactive,
)

SCOPE_EVERYONE = "everyone"
SCOPE_CHOSEN = "chosen"
CONFLICT_POLICIES = ("erp_wins", "crm_wins", "newest_wins")
_MEMBER = re.compile(r"^(user|group):[\w.@-]+$")
NAME_MAX_LENGTH = 100  # the store's limit of Connection.name
# C0 and C1 controls (ESC, NUL, newline, DEL...), line and paragraph separators and the bidi
# controls that reorder what a terminal shows (U+202E...). Emoji joiners stay allowed.
_NOT_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e"
                              "\u2066-\u2069]")
# Config values may span lines (e.g. the workbook's Lists): tabs and line ends allowed there.
_NOT_PLAIN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f"
                        "\u202a-\u202e\u2066-\u2069]")


def single_line_problem(what: str, text: str, max_length: int | None = None, *,
                        multi_line: bool = False) -> str | None:
    """Why `text` is not an acceptable single-line text (None when it is).

    `what` names the text in the message, e.g. msg("The connection name"). With `multi_line`,
    tabs and line ends are allowed (other control characters are not).
    """
    found = (_NOT_PLAIN if multi_line else _NOT_SINGLE_LINE).search(text)
    if found is not None:
        code = f"{ord(found.group()):04X}"
        if multi_line:
            return msg("{what} contains the control character U+{code}; use plain text.",
                       what=what, code=code)
        return msg("{what} contains the control character U+{code}; use plain text on one "
                   "line.", what=what, code=code)
    if max_length is not None and len(text) > max_length:
        return msg("{what} is {length} characters long; use at most {max}.", what=what,
                   length=len(text), max=max_length)
    return None


def check_name(name: str) -> str:
    """The connection name stripped; RefusedError when empty, too long or not plain text."""
    stripped = name.strip()
    if not stripped:
        raise RefusedError(msg("Enter a name for the connection."))
    problem = single_line_problem(msg("The connection name"), stripped, NAME_MAX_LENGTH)
    if problem:
        raise RefusedError(problem)
    return stripped


def _set_hint(info: FieldInfo) -> str:
    """How the field is given on the command line, e.g. "(--set path=...)"."""
    return f"(--set {info.key}=...)"


@dataclass(frozen=True)
class ConnectionSummary:
    """One row of the connections list."""

    id: int
    name: str
    connector: str
    active: bool
    priority: int
    last_test_ok: bool | None
    last_test_at: datetime | None
    last_test_message: str
    last_sync_at: datetime | None
    status: str
    scope: str
    version: int


def summarize(connection: Connection) -> ConnectionSummary:
    """The list row of a connection (no secrets)."""
    assert connection.id is not None
    return ConnectionSummary(
        id=connection.id, name=connection.name, connector=connection.connector,
        active=connection.active, priority=connection.priority,
        last_test_ok=connection.last_test_ok, last_test_at=connection.last_test_at,
        last_test_message=from_stored(connection.last_test_message),
        last_sync_at=connection.last_sync_at,
        status=connection.status, scope=connection.scope, version=connection.version)


def list_connections(ctx: AppContext) -> list[ConnectionSummary]:
    """All connections: active ones in priority order first, then the rest by name."""
    with ctx.session() as session:
        rows = session.exec(select(Connection)).all()
        ordered = sorted(rows, key=lambda c: (not c.active, c.priority if c.active else 0,
                                              c.name.lower()))
        return [summarize(c) for c in ordered]


@dataclass(frozen=True)
class ConnectionDetails(ConnectionSummary):
    """Everything about one connection a person may see (`connections show`): its list row,
    its settings, and its config with every secret replaced by a mask."""

    scope_members: list[str]
    conflict_policy: str
    allow_import: bool
    config: dict[str, Any]


def connection_details(ctx: AppContext, ref: ConnectionRef) -> ConnectionDetails:
    """One connection's details, secrets masked (never decrypted); NotFoundError if missing."""
    with ctx.session() as session:
        c = get_connection(session, ref)
        return ConnectionDetails(
            **vars(summarize(c)), scope_members=list(c.scope_members),
            conflict_policy=c.conflict_policy, allow_import=c.allow_import,
            config={**c.config, **{key: MASK for key in c.secrets}})


def config_fields(ctx: AppContext, connector_kind: str) -> list[FieldInfo]:
    """The config fields connector `connector_kind` needs, in its order."""
    return fields_of(ctx.connectors.connector(connector_kind))


def fields_of(connector: Connector) -> list[FieldInfo]:
    """The config fields `connector` needs, in its order (no store needed: `--help` uses it)."""
    result = call(connector.config_fields, ConfigFieldsResult)
    if not result.ok:
        raise ConnectorError(result.user_message)
    language = label_language()
    return [field_in(f, language) for f in result.fields]


# ---- the connection dialog's draft and its test gate -----------------------------------------

@dataclass
class ConnectionDraft:
    """What the connection dialog (or `connections add/edit`) holds before it is saved.

    For an existing connection a secret left as None keeps the stored one.
    """

    name: str
    connector: str
    values: dict[str, Any] = field(default_factory=dict)
    scope: str = ""
    scope_members: list[str] = field(default_factory=list)
    conflict_policy: str = "erp_wins"
    allow_import: bool = True
    connection_id: int | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class TestOutcome:
    """The result of testing a draft's config values."""

    ok: bool
    message: str
    fingerprint: str


def draft_for(ctx: AppContext, ref: ConnectionRef) -> ConnectionDraft:
    """A draft holding a saved connection's settings (secrets left as None: kept)."""
    with ctx.session() as session:
        connection = get_connection(session, ref)
        values: dict[str, Any] = dict(connection.config)
        for key in connection.secrets:
            values[key] = None
        return ConnectionDraft(
            name=connection.name, connector=connection.connector, values=values,
            scope=connection.scope, scope_members=list(connection.scope_members),
            conflict_policy=connection.conflict_policy, allow_import=connection.allow_import,
            connection_id=connection.id, expected_version=connection.version)


def _resolved_values(ctx: AppContext, draft: ConnectionDraft) -> dict[str, Any]:
    """The draft's values with kept secrets filled in from the store."""
    values = dict(draft.values)
    if draft.connection_id is not None and any(v is None for v in values.values()):
        with ctx.session() as session:
            stored = session.get(Connection, draft.connection_id)
            if stored is not None:
                clear = ctx.connectors.values_of(stored)
                for key, value in values.items():
                    if value is None:
                        values[key] = clear.get(key)
    return {k: v for k, v in values.items() if v is not None}


def fingerprint(ctx: AppContext, connector_kind: str, values: dict[str, Any]) -> str:
    """A keyed digest of exactly these config values (secrets included, never stored clear)."""
    canonical = json.dumps({"connector": connector_kind, "values": values}, sort_keys=True,
                           default=str)
    return ctx.secrets.digest(canonical)


def _parse_config(fields: list[FieldInfo], values: dict[str, Any]) -> tuple[dict[str, Any],
                                                                            list[str]]:
    """Typed config values and the problems with them (mandatory missing, wrong type)."""
    typed: dict[str, Any] = {}
    problems: list[str] = []
    for info in fields:
        raw = values.get(info.key)
        if raw is None or raw == "":
            if info.mandatory:
                problems.append(msg("Fill in the mandatory field '{label}' {hint}.",
                                    label=info.label, hint=_set_hint(info)))
            continue
        if isinstance(raw, str) and info.type is not FieldType.PASSWORD:
            problem = single_line_problem(
                msg("'{label}' {hint}", label=info.label, hint=_set_hint(info)), raw,
                info.max_length or None, multi_line=True)
            if problem:
                problems.append(problem)
                continue
        if info.type is FieldType.LIST and info.options and str(raw) not in info.options:
            problems.append(msg("'{value}' is not a choice of '{label}' {hint}; choose one of "
                                "{choices}.", value=raw, label=info.label, hint=_set_hint(info),
                                choices=", ".join(info.options)))
            continue
        if isinstance(raw, str) and info.type not in (FieldType.TEXT, FieldType.PASSWORD,
                                                      FieldType.LIST, FieldType.LABEL):
            view = ErpFieldView(info.key, info.label, info.type, max_length=info.max_length)
            try:
                raw = parse_value(view, raw, hint=f" {_set_hint(info)}")
            except ValueError as exc:
                problems.append(exc.args[0])
                continue
        if isinstance(raw, date):
            raw = raw.isoformat()
        typed[info.key] = raw
    return typed, problems


def test_draft(ctx: AppContext, draft: ConnectionDraft) -> TestOutcome:
    """Run the connector's test on the draft's values; the outcome is tied to exactly them."""
    fields = config_fields(ctx, draft.connector)
    values, problems = _parse_config(fields, _resolved_values(ctx, draft))
    print_ = fingerprint(ctx, draft.connector, values)
    if problems:
        return TestOutcome(False, problems[0], print_)
    connector = ctx.connectors.connector(draft.connector)
    result = call(lambda: connector.test_config(values), Result)
    message = result.user_message or _test_verdict(result.ok)
    return TestOutcome(result.ok, message, print_)


def _test_verdict(ok: bool) -> str:
    return msg("Connection test passed.") if ok else msg("Connection test failed.")


def draft_problems(ctx: AppContext, draft: ConnectionDraft,
                   tested: TestOutcome | None) -> list[str]:
    """Why the draft cannot be saved yet (rule 2); empty when OK may be pressed."""
    problems: list[str] = []
    try:
        check_name(draft.name)
    except RefusedError as exc:
        problems.append(message_of(exc))
    fields = config_fields(ctx, draft.connector)
    values, value_problems = _parse_config(fields, _resolved_values(ctx, draft))
    problems.extend(value_problems)
    if draft.scope not in (SCOPE_EVERYONE, SCOPE_CHOSEN):
        problems.append(msg("Choose who may use the connection (scope): everyone or chosen "
                            "users/groups."))
    elif draft.scope == SCOPE_CHOSEN:
        if not draft.scope_members:
            problems.append(msg("The scope is 'chosen users/groups': add at least one user or "
                                "group."))
        bad = [m for m in draft.scope_members if not _MEMBER.match(m)]
        if bad:
            problems.append(single_line_problem(msg("A user or group of the scope"), bad[0]) or
                            msg("'{member}' is not a user or group; write user:NAME or "
                                "group:NAME.", member=bad[0]))
    if draft.conflict_policy not in CONFLICT_POLICIES:
        problems.append(msg("Conflict policy must be one of {choices}.",
                            choices=", ".join(CONFLICT_POLICIES)))
    current = fingerprint(ctx, draft.connector, values)
    if tested is None or tested.fingerprint != current:
        problems.append(msg("Test the connection with the values now in the form."))
    elif not tested.ok:
        problems.append(msg("The connection test failed: {reason}", reason=tested.message))
    return problems


def save_draft(ctx: AppContext, draft: ConnectionDraft, tested: TestOutcome | None) -> int:
    """Create or update a connection from a tested draft; returns its id.

    Refused (with every reason) unless `draft_problems` is empty; a new connection gets its
    metadata fetched and fields mapped automatically (rule 4).
    """
    problems = draft_problems(ctx, draft, tested)
    if problems:
        raise ValidationFailed(msg("The connection cannot be saved yet:"),
                               [Problem(p) for p in problems])
    fields = config_fields(ctx, draft.connector)
    values, _ = _parse_config(fields, _resolved_values(ctx, draft))
    secret_keys = {f.key for f in fields if f.type is FieldType.PASSWORD}
    config = {k: v for k, v in values.items() if k not in secret_keys}
    secrets = {k: ctx.secrets.encrypt(str(v)) for k, v in values.items() if k in secret_keys}
    is_new = draft.connection_id is None
    with ctx.session() as session:
        clash = session.exec(select(Connection).where(Connection.name == draft.name.strip())
                             ).first()
        if clash is not None and clash.id != draft.connection_id:
            raise RefusedError(msg("A connection named '{name}' already exists; choose another "
                                   "name.", name=draft.name.strip()))
        settings_changed = False
        if is_new:
            connection = Connection(name=draft.name.strip(), connector=draft.connector)
            session.add(connection)
        else:
            connection = get_connection(session, draft.connection_id or 0)
            require_inactive(connection)
            bump_version(session, connection, draft.expected_version)
            if connection.connector != draft.connector:
                raise RefusedError(msg("The connector of a saved connection cannot be changed; "
                                       "add a new connection instead."))
            settings_changed = (tested is None or
                                connection.tested_fingerprint != tested.fingerprint)
        connection.name = draft.name.strip()
        connection.config = config
        connection.secrets = secrets
        connection.scope = draft.scope
        connection.scope_members = list(draft.scope_members)
        connection.conflict_policy = draft.conflict_policy
        connection.allow_import = draft.allow_import
        connection.last_test_ok = True
        connection.last_test_at = utc_now()
        connection.last_test_message = to_stored(tested.message) if tested else ""
        connection.tested_fingerprint = tested.fingerprint if tested else ""
        connection.updated = utc_now()
        session.flush()
        connection_id = connection.id
        assert connection_id is not None
        if settings_changed:
            _refresh_in(ctx, session, connection_id)
    ctx.connectors.forget(connection_id)
    if is_new:
        from erp_tui.services.metadata import refresh_metadata

        try:
            refresh_metadata(ctx, connection_id)
        except Exception:
            with ctx.session() as session:
                stored = session.get(Connection, connection_id)
                if stored is not None:
                    session.delete(stored)
            raise
    return connection_id


def _refresh_in(ctx: AppContext, session: Any, connection_id: int) -> None:
    """Refresh the cached ERP metadata (actor types, field types, lists) in the caller's
    transaction: changed settings (e.g. the workbook's Lists) can change them."""
    from erp_tui.services.metadata import fetch_metadata, store_metadata

    try:
        store_metadata(session, connection_id, fetch_metadata(ctx, session, connection_id))
    finally:
        ctx.connectors.forget(connection_id)  # bound to values that may be rolled back


def delete_connection(ctx: AppContext, ref: ConnectionRef) -> None:
    """Delete an inactive connection and its whole configuration (never CRM or ERP data)."""
    with ctx.session() as session:
        connection = get_connection(session, ref)
        require_inactive(connection)
        session.delete(connection)
        connection_id = connection.id
    if connection_id is not None:
        ctx.connectors.forget(connection_id)


# ---- testing a saved connection --------------------------------------------------------------

def test_connection(ctx: AppContext, ref: ConnectionRef) -> Result:
    """Test a saved connection and record the outcome."""
    with ctx.session() as session:
        connection = get_connection(session, ref)
        try:
            connector = ctx.connectors.for_connection(connection)
            assert connection.id is not None
            connection_id = connection.id
            result = call(lambda: connector.test_connection(connection_id), Result)
        except ErpTuiError as exc:
            result = Result.failure(message_of(exc))
        connection.last_test_ok = result.ok
        connection.last_test_at = utc_now()
        connection.last_test_message = to_stored(result.user_message or _test_verdict(result.ok))
        session.add(connection)
    return result


# ---- activation and priority -----------------------------------------------------------------

def deactivate(ctx: AppContext, ref: ConnectionRef) -> None:
    """Make a connection inactive so it can be edited."""
    with ctx.session() as session:
        connection = get_connection(session, ref)
        if not connection.active:
            return
        bump_version(session, connection)
        connection.active = False
        session.add(connection)
    _renumber_priorities(ctx)


def activate(ctx: AppContext, ref: ConnectionRef, expected_version: int | None = None) -> None:
    """Activate a connection; refused with one message per problem (rule 9)."""
    from erp_tui.services.activation import validate_connection

    problems = validate_connection(ctx, ref)
    with ctx.session() as session:
        connection = get_connection(session, ref)
        if problems:
            raise ValidationFailed(msg("Connection '{name}' cannot be activated:",
                                       name=connection.name), problems)
        if connection.active:
            return
        bump_version(session, connection, expected_version)
        top = session.exec(select(func.max(Connection.priority))
                           .where(col(Connection.active).is_(True))).one()
        connection.active = True
        connection.priority = (top or 0) + 1
        session.add(connection)


def priority_order(ctx: AppContext) -> list[ConnectionSummary]:
    """The active connections in sync priority order (rule 8)."""
    return [c for c in list_connections(ctx) if c.active]


def set_priority_order(ctx: AppContext, connection_ids: list[int]) -> None:
    """Save a new order of the active connections (first = highest priority)."""
    with ctx.session() as session:
        active = {c.id: c for c in session.exec(select(Connection)
                                                .where(col(Connection.active).is_(True)))}
        if set(connection_ids) != set(active) or len(connection_ids) != len(active):
            raise RefusedError(msg("The priority order must list every active connection once; "
                                   "reopen the dialog (the active connections changed)."))
        for position, connection_id in enumerate(connection_ids, start=1):
            active[connection_id].priority = position
            session.add(active[connection_id])


def move_in_order(order: list[Any], index: int, delta: int) -> tuple[list[Any], int]:
    """Move `order[index]` by `delta` places (clamped); returns the new order and index."""
    if not order:
        return order, index
    target = max(0, min(len(order) - 1, index + delta))
    moved = list(order)
    item = moved.pop(index)
    moved.insert(target, item)
    return moved, target


def _renumber_priorities(ctx: AppContext) -> None:
    with ctx.session() as session:
        active = sorted(session.exec(select(Connection).where(col(Connection.active).is_(True))),
                        key=lambda c: c.priority)
        for position, connection in enumerate(active, start=1):
            connection.priority = position
            session.add(connection)
        inactive = session.exec(select(Connection).where(col(Connection.active).is_(False)))
        for connection in inactive:
            connection.priority = 0
            session.add(connection)


def require_connection(ctx: AppContext, ref: ConnectionRef) -> ConnectionSummary:
    """The list row of one connection; NotFoundError if missing."""
    with ctx.session() as session:
        return summarize(get_connection(session, ref))
