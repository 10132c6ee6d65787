"""Writing actors: one new row (`insert_actor`) or updates of existing rows
(`update_actors`, all or nothing), every value checked before anything is written."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.engine import Connection

from erp_tui.connectors.base import Refusal, check_actor_values
from erp_tui.connectors.sql.binding import BoundActor, BoundConnection
from erp_tui.connectors.sql.reading import fetch_by_keys
from erp_tui.connectors.sql.values import (
    default_of,
    in_chunks,
    key_text,
    moment_for,
    native,
    to_stored,
)
from erp_tui.contract import Actor, FieldInfo, FieldType
from erp_tui.i18n import msg

_UpdatePlan = tuple[BoundActor, list[Any], list[dict[str, Any]]]
"""An actor type, the keys of its rows to update (column values) and each row's new values."""


def refuse_writes(bound: BoundConnection, connection_id: int) -> None:
    """Raise Refusal when the connection is read-only."""
    if bound.settings.read_only:
        raise Refusal(msg("Connection {connection_id} is read-only (the 'Read only' option is "
                          "on); nothing was written.",
                          connection_id=connection_id), "read_only")


def insert_actor(bound: BoundConnection, actor: Actor) -> tuple[Actor, str]:
    """Insert an actor and read it back (with its ERP key and last_modified); also the key
    the database gave it."""
    spec = bound.actor(actor.actor_type)
    with bound.engine.connect() as conn:
        values = _checked_values(conn, bound, spec, [actor], creating=True)[0]
        values.update(_checked_parent(conn, bound, spec, actor, required=True))
    if spec.key_col.name not in values and actor.erp_key:
        try:
            values[spec.key_col.name] = native(spec.key_col, actor.erp_key)
        except ValueError:
            raise Refusal(msg("{erp_key!r} is not a valid key for {key}.",
                              erp_key=actor.erp_key, key=spec.key),
                          "bad_key") from None
    if spec.key_col.name not in values and not spec.key_col.primary_key:
        raise Refusal(msg("A new {key} needs its ERP key: the key column is not the table's "
                          "primary key, so the database cannot number it.",
                          key=spec.key), "bad_key")
    _touch(spec, values)
    _born_live(spec, values)
    with bound.engine.begin() as conn:
        result = conn.execute(sa.insert(spec.table).values(values))
        if spec.key_col.name in values:
            key = values[spec.key_col.name]
        else:
            pk = result.inserted_primary_key
            names = [c.name for c in spec.table.primary_key.columns]
            key = pk[names.index(spec.key_col.name)] if pk is not None else None
    if key is None:
        raise Refusal(msg("The {key} was inserted but the database did not report its key.",
                          key=spec.key), "no_key")
    page = fetch_by_keys(bound, spec, list(spec.fields.values()), [key_text(key)])
    if not len(page):
        raise Refusal(msg("The new {key} {key2!r} cannot be read back.",
                          key=spec.key, key2=key_text(key)), "no_key")
    return page.actors()[0], key_text(key)


def update_actors(bound: BoundConnection, actors: Sequence[Actor]) -> list[Actor]:
    """Update only the given values of existing actors, all or nothing; the saved actors."""
    by_type: dict[str, list[Actor]] = {}
    for actor in actors:
        if not isinstance(actor, Actor):
            actor = Actor.model_validate(actor)
        if actor.deleted:
            raise Refusal(msg("{actor_type} {erp_key!r} was not saved: the SQL connector cannot "
                              "delete actors.",
                              actor_type=actor.actor_type, erp_key=actor.erp_key), "not_supported")
        by_type.setdefault(actor.actor_type, []).append(actor)
    with bound.engine.connect() as conn:
        plans = [_update_plan(conn, bound, bound.actor(actor_type), group)
                 for actor_type, group in by_type.items()]
    with bound.engine.begin() as conn:
        for spec, keys, rows in plans:
            _update_rows(conn, spec, keys, rows)
    saved: list[Actor] = []
    for spec, keys, _rows in plans:
        page = fetch_by_keys(bound, spec, list(spec.fields.values()),
                             [key_text(n) for n in keys])
        saved += page.actors()
    return saved


def _update_plan(conn: Connection, bound: BoundConnection, spec: BoundActor,
                 group: Sequence[Actor]) -> _UpdatePlan:
    """The checked updates of actors of one type; raises Refusal for a missing or deleted
    actor or a value that does not fit."""
    keys = []
    for actor in group:
        try:
            keys.append(native(spec.key_col, actor.erp_key))
        except ValueError:
            raise Refusal(msg("{key} {erp_key!r} does not exist; nothing was saved.",
                              key=spec.key, erp_key=actor.erp_key), "unknown_actor") from None
    existing: dict[Any, bool] = {}  # key column value -> soft-deleted
    for part in in_chunks(keys):
        existing.update((key, bool(gone)) for key, gone in conn.execute(
            select(spec.key_col, spec.deleted_flag()).where(spec.key_col.in_(part))))
    for actor, key in zip(group, keys, strict=True):
        if key not in existing:
            raise Refusal(msg("{key} {erp_key!r} does not exist; nothing was saved.",
                              key=spec.key, erp_key=actor.erp_key), "unknown_actor")
        if existing[key]:
            raise Refusal(msg("{key} {erp_key!r} is deleted in the ERP; nothing was saved.",
                              key=spec.key, erp_key=actor.erp_key), "unknown_actor")
    rows = _checked_values(conn, bound, spec, group, creating=False)
    for actor, row in zip(group, rows, strict=True):
        row.update(_checked_parent(conn, bound, spec, actor, required=False))
        _touch(spec, row)
    return spec, keys, rows


def _touch(actor: BoundActor, values: dict[str, Any]) -> None:
    """Set the last-modified column to now when the descriptor says the connector does."""
    if actor.lm_col is not None and actor.spec.set_last_modified:
        now = datetime.now(UTC).replace(tzinfo=None)
        values[actor.lm_col.name] = moment_for(actor.lm_col, now)


def _born_live(actor: BoundActor, values: dict[str, Any]) -> None:
    """Give a new row's soft-delete column its live value (false/0) when the database has
    no default for it (a NOT NULL flag without default would refuse the insert)."""
    column = actor.deleted_col
    if column is not None and actor.live_value is not None and \
            column.server_default is None and column.computed is None:
        values[column.name] = actor.live_value


class _ListKeys:
    """The list item keys the checked values use, per list (checked at the end, at once)."""

    def __init__(self) -> None:
        self.wanted: dict[str, set[Any]] = {}

    def note(self, info: FieldInfo, stored: Any) -> None:
        if info.type is FieldType.LIST and stored is not None:
            self.wanted.setdefault(info.list_name, set()).add(stored)

    def check(self, conn: Connection, bound: BoundConnection, verb: str) -> None:
        """Raise Refusal naming the keys that are no item of their list."""
        for list_name, wanted in self.wanted.items():
            spec = bound.lists[list_name]
            found: set[str] = set()
            for part in in_chunks(list(wanted)):
                try:
                    keys = [native(spec.key_col, key_text(v)) for v in part]
                except ValueError:
                    keys = []
                found.update(key_text(k) for k in conn.execute(select(spec.key_col).where(
                    spec.key_col.in_(keys))).scalars())
            unknown = sorted(key_text(v) for v in wanted if key_text(v) not in found)
            if unknown:
                raise Refusal(msg("{names} is not an item of list {list_name}; nothing was "
                                  "{verb}.",
                                  names=', '.join(map(repr, unknown[:5])), list_name=list_name,
                                  verb=verb), "invalid_values")


def _checked_values(conn: Connection, bound: BoundConnection, target: BoundActor,
                    group: Sequence[Actor], *, creating: bool) -> list[dict[str, Any]]:
    """Column -> stored value per actor (only the fields sent, and defaults on create), or a
    refusal naming the problems of the first five actors that have any."""
    list_keys = _ListKeys()

    def stored(info: FieldInfo, value: Any) -> Any:
        checked = to_stored(info, target.columns[info.key], value)
        list_keys.note(info, checked)
        return checked

    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for actor in group:
        try:
            values = check_actor_values(target.fields, actor, stored, creating=creating,
                                        default_value=default_of)
        except Refusal as refusal:
            problems.append(refusal.user_message.removesuffix("."))
            values = {}
        rows.append({target.columns[key].name: value for key, value in values.items()})
    if problems:
        raise Refusal(". ".join(problems[:5]) + ".", "invalid_values")
    list_keys.check(conn, bound, msg("created") if creating else msg("saved"))
    return rows


def _checked_parent(conn: Connection, bound: BoundConnection, actor: BoundActor, sent: Actor,
                    *, required: bool) -> dict[str, Any]:
    """Column -> stored value of the parent columns for the parent sent; raises Refusal."""
    parent = actor.spec.parent
    if parent is None or actor.parent_col is None:
        if sent.parent_erp_key or sent.parent_actor_type:
            raise Refusal(msg("A {key} cannot sit under another actor.",
                              key=actor.key), "bad_parent")
        return {}
    if not sent.parent_erp_key and not sent.parent_actor_type:
        if required and not actor.parent_col.nullable:
            raise Refusal(msg("A {key} must sit under a {names}; give its parent.",
                              key=actor.key, names=' or '.join(parent.parent_types)),
                          "bad_parent")
        return {}
    if sent.parent_actor_type not in parent.parent_types:
        raise Refusal(msg("A {key} can only sit under a {names}.",
                          key=actor.key, names=' or '.join(parent.parent_types)), "bad_parent")
    parent_actor = bound.actor(sent.parent_actor_type)
    try:
        key = native(parent_actor.key_col, sent.parent_erp_key)
        exists = conn.execute(select(parent_actor.key_col).where(
            parent_actor.key_col == key, *parent_actor.live_where())).first() is not None
    except ValueError:
        exists = False
    if not exists:
        raise Refusal(msg("Parent {parent_actor_type} {parent_erp_key!r} does not exist in the "
                          "ERP.",
                          parent_actor_type=sent.parent_actor_type,
                          parent_erp_key=sent.parent_erp_key), "bad_parent")
    out = {actor.parent_col.name: native(actor.parent_col, sent.parent_erp_key)}
    if actor.parent_type_col is not None:
        out[actor.parent_type_col.name] = parent.types[sent.parent_actor_type]
    return out


def _update_rows(conn: Connection, actor: BoundActor, keys: Sequence[Any],
                 rows: Sequence[dict[str, Any]]) -> None:
    """UPDATE the rows, batched by the set of columns sent (executemany)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for key, row in zip(keys, rows, strict=True):
        if not row:
            continue
        names = tuple(sorted(row))
        params = {f"v{i}": row[name] for i, name in enumerate(names)}
        params["k0"] = key
        groups.setdefault(names, []).append(params)
    for names, batch in groups.items():
        stmt = (sa.update(actor.table)
                .where(actor.key_col == sa.bindparam("k0"), *actor.live_where())
                .values({actor.table.c[name]: sa.bindparam(f"v{i}")
                         for i, name in enumerate(names)}))
        result = conn.execute(stmt, batch)
        if conn.dialect.supports_sane_multi_rowcount and result.rowcount != len(batch):
            raise Refusal(msg("Some {key} actors disappeared while saving; nothing was saved.",
                              key=actor.key), "unknown_actor")
