"""The CLI's command handlers: parse arguments, call services, print results."""

from __future__ import annotations

import argparse
import os
import re
import sys
import textwrap
from typing import TYPE_CHECKING, Any

from erp_tui.cli.output import code_word, emit_json, inert, print_table, say, yes_no
from erp_tui.errors import ErpTuiError, RefusedError
from erp_tui.i18n import N_, gettext, label_language, language, localize, msg, msgn

if TYPE_CHECKING:
    from erp_tui.context import AppContext


# The labels of `connections show NAME` in a translation (English shows the keys of --json).
SHOW_LABELS = {
    "name": N_("Name"), "connector": N_("Connector"), "active": N_("Active"),
    "priority": N_("Priority"), "scope": N_("Scope"), "scope_members": N_("Scope members"),
    "conflict_policy": N_("Conflict policy"), "allow_import": N_("Allow import"),
    "config": N_("Configuration"), "last_test": N_("Last test"), "version": N_("Version"),
}
SCOPES = {"everyone": N_("everyone"), "chosen": N_("chosen users/groups")}

# Global options of the current invocation (--db, --data-dir, --lang), set by `main`.
SETTINGS_OVERRIDES: dict[str, Any] = {}


def _ctx() -> AppContext:
    from erp_tui.context import AppContext
    from erp_tui.settings import Settings

    settings = Settings(**SETTINGS_OVERRIDES)
    settings.check_paths()
    return AppContext.open(settings)


ActorNames = dict[tuple[int, str], str]
"""Actor-type names by (connection id, actor type key)."""


def actor_names(ctx: AppContext) -> ActorNames:
    """The name of every cached ERP actor type in the user's language, by (connection id,
    key): the CRM's name for a type the CRM knows, else the ERP's."""
    from erp_tui.services.metadata import actor_type_names

    return actor_type_names(ctx)


def actor_name(names: ActorNames, connection_id: int, actor_type: str) -> str:
    """An actor type (a code) as the text output names it: in English its key, which is what
    the commands take (`resync NAME Person`); in another language its name (see
    `actor_names`), for one not cached the CRM's name, else the key."""
    if language() == "en":
        return actor_type
    return names.get((connection_id, actor_type)) or crm_actor_name(actor_type)


def crm_actor_name(actor_type: str) -> str:
    """An actor type as the text output names it without the ERP's names at hand: in English
    its key, in another language the CRM's name for it (else the key)."""
    from erp_tui.crm_catalog import actor_label

    if language() == "en":
        return actor_type
    return actor_label(actor_type, label_language())


def has_terminal() -> bool:
    """True when stdin and stdout are both a terminal (the UI needs both)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def cmd_ui(args: argparse.Namespace) -> int:
    """Open the terminal UI (lazily: the UI is imported only here); without a terminal (cron,
    a pipe, `ssh host erp-tui`) say how to use the commands instead and exit 2."""
    if not has_terminal():
        from erp_tui.cli import UI_NEEDS_TERMINAL

        print(gettext(UI_NEEDS_TERMINAL), file=sys.stderr)
        return 2
    try:
        from erp_tui.screens.app import run_app
    except ImportError as exc:
        raise ErpTuiError(msg("The terminal UI is not available in this installation "
                              "({reason}); every action is available as a command, see "
                              "'erp-tui --help'.", reason=str(exc))) from None
    # The first screen paints before the store is opened: `_ctx` (SQLAlchemy, SQLModel,
    # pydantic, the migrations check) runs in a worker thread behind it.
    return run_app(opener=_ctx, language=SETTINGS_OVERRIDES.get("language") or None)


def cmd_demo(args: argparse.Namespace) -> int:
    from erp_tui.demo import build_demo

    ctx = _ctx()
    summary = build_demo(ctx, size=args.size, extra_fields=args.extra_fields, reset=args.reset,
                         progress=lambda line: say(line, file=sys.stderr))
    say(summary.describe())
    if args.no_ui:
        return 0
    if not has_terminal():
        say(msg("No terminal here, so the UI was not opened; run 'erp-tui' in a terminal."),
            file=sys.stderr)
        return 0
    return cmd_ui(args)


def cmd_connectors(args: argparse.Namespace) -> int:
    from erp_tui.services.connector_choices import connector_choices

    choices = connector_choices()
    if args.json:
        emit_json([{"kind": choice.kind, "origin": choice.origin,
                    "label": f"(cannot be loaded: {choice.broken_type})" if choice.broken
                    else choice.label} for choice in choices])
    else:
        print_table([{"kind": choice.kind, "origin": code_word(choice.origin),
                      "label": msg("(cannot be loaded: {type})", type=choice.broken_type)
                      if choice.broken else choice.label} for choice in choices],
                    ["kind", "label", "origin"])
    return 0


# ---- connections -----------------------------------------------------------------------------

def cmd_connections(args: argparse.Namespace) -> int:
    action = args.action or "list"
    if action == "list":
        return _connections_list(args)
    if action == "show":
        return _connections_show(args)
    if action in ("add", "edit"):
        return _connections_save(args)
    if action == "delete":
        return _connections_delete(args)
    if action == "refresh":
        from erp_tui.services.metadata import refresh_metadata

        report = refresh_metadata(_ctx(), args.name)
        say(msg("Refreshed: {actor_types} actor types, {fields} fields, {new} new ({mapped} "
                "mapped automatically).", actor_types=report.actor_types, fields=report.fields,
                new=report.new_fields, mapped=report.auto_mapped))
        for key in report.missing_fields:
            say(msg("No longer available in the ERP (kept): {key}", key=key))
        return 0
    raise RefusedError(msg("Unknown action '{action}'.", action=action))


def _connections_list(args: argparse.Namespace) -> int:
    from erp_tui.services.connections import list_connections

    rows = [{
        "name": c.name, "connector": c.connector, "active": c.active,
        "priority": c.priority if c.active else None,
        "last_test": None if c.last_test_ok is None else ("ok" if c.last_test_ok else "failed"),
        "last_sync": c.last_sync_at.isoformat(timespec="seconds") if c.last_sync_at else None,
        "status": c.status} for c in list_connections(_ctx())]
    if getattr(args, "json", False):
        emit_json(rows)
    elif not rows:
        say(msg("No connections yet. Add one with 'erp-tui connections add' or try "
                "'erp-tui demo'."))
    else:
        print_table([{**r, "active": yes_no(bool(r["active"])),
                      "last_test": _test_word(r["last_test"]),
                      "status": sync_summary(str(r["status"] or ""))} for r in rows],
                    ["name", "connector", "active", "priority", "last_test", "last_sync",
                     "status"])
    return 0


def _connections_show(args: argparse.Namespace) -> int:
    from erp_tui.services.connections import connection_details

    c = connection_details(_ctx(), args.name)
    data: dict[str, Any] = {
        "name": c.name, "connector": c.connector, "active": c.active,
        "priority": c.priority, "scope": c.scope or "(not set)",
        "scope_members": c.scope_members, "conflict_policy": c.conflict_policy,
        "allow_import": c.allow_import, "config": c.config,
        "last_test": None if c.last_test_ok is None else
        {"ok": c.last_test_ok, "message": c.last_test_message,
         "at": c.last_test_at.isoformat(timespec="seconds") if c.last_test_at else None},
        "version": c.version}
    if args.json:
        emit_json(data)
    elif language() == "en":
        _print_show(data)
    else:
        _print_show_translated(data)
    return 0


def _print_show(data: dict[str, Any]) -> None:
    for key, value in data.items():
        if key == "config":
            print("config:")
            for name, item in value.items():
                print(f"  {name}: {item}")
        else:
            print(f"{key}: {value}")


def _print_show_translated(data: dict[str, Any]) -> None:
    """`connections show` with labels, yes/no and the last test as one line."""
    for key, value in data.items():
        label = gettext(SHOW_LABELS[key])
        if key == "config":
            print(f"{label}:")
            for name, item in value.items():
                print(f"  {name}: {item}")
            continue
        if isinstance(value, bool):
            value = yes_no(value)
        elif key == "scope":
            value = gettext(SCOPES.get(value, "(not set)"))
        elif key == "scope_members":
            value = ", ".join(value)
        elif key == "last_test" and value:
            value = " – ".join(localize(part) for part in (
                _test_word("ok" if value["ok"] else "failed"), value["message"], value["at"])
                if part)
        print(f"{label}: {'' if value is None else value}")


# A connection's status as the runner stores it (English: `runner.service._summary`).
_SUMMARY = re.compile(r"(?P<status>[a-z ]+?(?: with (?P<count>\d+) errors?)?): "
                      r"(?P<created>\d+) created, (?P<updated>\d+) updated, "
                      r"(?P<pushed>\d+) pushed, (?P<conflicts>\d+) conflicts, "
                      r"(?P<errors>\d+) errors")


def sync_summary(stored: str) -> str:
    """A connection's stored last-sync summary ("finished: 3 created, …", kept in English) as
    a message in the user's language; any other text as it is."""
    from erp_tui.runner.service import status_text

    found = _SUMMARY.fullmatch(stored or "")
    if found is None:
        return stored
    status, count = found["status"], int(found["count"] or 0)
    word = "finished" if found["count"] else status
    if str(status_text(word, count)) != status:
        return stored
    numbers = {key: int(found[key]) for key in ("created", "updated", "pushed", "conflicts",
                                                 "errors")}
    return msg("{status}: {created} created, {updated} updated, {pushed} pushed, "
               "{conflicts} conflicts, {errors} errors", status=status_text(word, count),
               **numbers)


def _test_word(result: object) -> object:
    """`ok`/`failed` of a connection test in the user's language."""
    return {"ok": gettext("ok"), "failed": gettext("failed")}.get(str(result), result)


def _parse_pairs(pairs: list[str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise RefusedError(msg("'{pair}' is not {what}; write KEY=VALUE.", pair=pair,
                                   what=what))
        out[key.strip()] = value
    return out


def _connections_save(args: argparse.Namespace) -> int:
    from erp_tui.cli.config_values import gather_values
    from erp_tui.cli.output import inert
    from erp_tui.contract import FieldType, label_for
    from erp_tui.services.connections import (
        ConnectionDraft,
        check_name,
        config_fields,
        draft_for,
        save_draft,
        test_draft,
    )

    values = gather_values(args)
    ctx = _ctx()
    if args.action == "add":
        draft = ConnectionDraft(name=args.name, connector=args.connector)
    else:
        draft = draft_for(ctx, args.name)
        if args.connector and args.connector != draft.connector:
            raise RefusedError(msg("The connector of a saved connection cannot be changed; "
                                   "add a new connection instead."))
        if args.rename:
            draft.name = args.rename
    draft.name = check_name(draft.name)  # before the test: a bad name is refused at once
    fields = config_fields(ctx, draft.connector)
    known = {f.key for f in fields}
    unknown = [k for k in values if k not in known]
    if unknown:
        raise RefusedError(msg("'{key}' is not a config field of connector '{connector}'; "
                               "fields: {fields}.", key=inert(unknown[0]),
                               connector=draft.connector, fields=", ".join(sorted(known))))
    draft.values.update(values)
    for info in fields:
        missing_secret = (info.type is FieldType.PASSWORD and info.mandatory
                          and info.key not in draft.values)
        if missing_secret and sys.stdin.isatty():
            import getpass

            draft.values[info.key] = getpass.getpass(f"{label_for(info, label_language())}: ")
        if args.action == "add" and info.key not in draft.values and info.default:
            draft.values[info.key] = info.default
    if args.scope:
        draft.scope = args.scope
    if args.member:
        draft.scope_members = list(args.member)
        draft.scope = draft.scope or "chosen"
    if args.conflict_policy:
        draft.conflict_policy = args.conflict_policy
    if args.allow_import:
        draft.allow_import = args.allow_import == "yes"
    outcome = test_draft(ctx, draft)
    test_text = (msg("Connection test: passed - {message}", message=outcome.message)
                 if outcome.ok else
                 msg("Connection test: FAILED - {message}", message=outcome.message))
    say(test_text, file=sys.stderr)
    connection_id = save_draft(ctx, draft, outcome)
    saved = (msg("Added connection '{name}' (id {id}).", name=draft.name, id=connection_id)
             if args.action == "add" else
             msg("Saved connection '{name}' (id {id}).", name=draft.name, id=connection_id))
    say(saved)
    return 0


def _connections_delete(args: argparse.Namespace) -> int:
    from erp_tui.services.connections import delete_connection

    if not args.yes:
        if not sys.stdin.isatty():
            raise RefusedError(msg("Deleting needs confirmation; add --yes."))
        answer = input(localize(msg("Delete connection '{name}' and its configuration? [y/N] ",
                                    name=args.name)))
        if answer.strip().lower() not in ("y", "yes", "j", "ja"):
            say(msg("Nothing deleted."))
            return 0
    delete_connection(_ctx(), args.name)
    say(msg("Deleted connection '{name}' (CRM and ERP data untouched).", name=args.name))
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from erp_tui.services.connections import test_connection

    result = test_connection(_ctx(), args.name)
    if args.json:
        emit_json({"ok": result.ok, "state": result.state.value,
                   "message": result.user_message})
    else:
        message = result.user_message or msg("no message")
        say(msg("passed: {message}", message=message) if result.ok else
            msg("FAILED: {message}", message=message))
    return 0 if result.ok else 4


def cmd_activate(args: argparse.Namespace) -> int:
    from erp_tui.services.connections import activate

    activate(_ctx(), args.name)
    say(msg("Connection '{name}' is active.", name=args.name))
    return 0


def cmd_deactivate(args: argparse.Namespace) -> int:
    from erp_tui.services.connections import deactivate

    deactivate(_ctx(), args.name)
    say(msg("Connection '{name}' is inactive; it can be edited now.", name=args.name))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from erp_tui.services.activation import validate_connection

    problems = validate_connection(_ctx(), args.name)
    if args.json:
        emit_json([{"message": p.message, "actor": p.actor_type, "field": p.field_key,
                    "list": p.list_name, "code": p.code} for p in problems])
    elif problems:
        say(msgn("{count} problem blocks activation:", "{count} problems block activation:",
                 len(problems)))
        for problem in problems:
            print(f"  - {localize(problem.message)}")
    else:
        say(msg("No problems: the connection can be activated."))
    return 1 if problems else 0


# ---- mappings --------------------------------------------------------------------------------

def cmd_mappings(args: argparse.Namespace) -> int:
    from erp_tui.crm_catalog import entity_label
    from erp_tui.services.mappings import load_mappings

    state = load_mappings(_ctx(), args.name)
    tabs = [state.tab(args.actor)] if args.actor else state.tabs
    if args.json:
        emit_json([{"actor": t.actor_type, "crm_entity": t.crm_entity, "enabled": t.enabled,
                    "fields": [{"erp_field": r.erp.key, "label": r.erp.label,
                                "type": r.erp.type.value, "access": r.erp.access.value,
                                "crm_field": r.crm_field,
                                "direction": r.direction.value if r.direction else None,
                                "show_in_search": r.show_in_search,
                                "show_on_tab": r.show_on_tab, "missing_in_erp": r.missing,
                                "description": r.description,
                                "type_guessed": bool(_type_note(r.description))}
                               for r in t.rows]} for t in tabs])
        return 0
    guessed = False
    for tab in tabs:
        say(msg("[{mark}] Synchronise ERP {actor} with CRM {entity}",
                mark="x" if tab.enabled else " ", actor=tab.label,
                entity=entity_label(tab.crm_entity, label_language())))
        notes = {r.erp.key: _type_note(r.description) for r in tab.rows}
        print_table([{
            "erp_field": r.erp.key + (" *" if r.erp.mandatory else "") +
            (" " + gettext("(missing)") if r.missing else ""),
            "type": code_word(r.erp.type.value) + (" ?" if notes[r.erp.key] else ""),
            "crm_field": r.crm_field or "", "dir": r.direction.value if r.direction else "",
            "search": yes_no(r.show_in_search), "tab": yes_no(r.show_on_tab)}
            for r in tab.rows], ["erp_field", "type", "crm_field", "dir", "search", "tab"],
            indent=2)
        for key, note in notes.items():
            if note:
                guessed = True
                print(textwrap.fill(inert(localize(note)), width=78,
                                    initial_indent=f"  ? {inert(key)}: ",
                                    subsequent_indent="      "))
        print()
    say(msg("* = mandatory in the ERP; ? = type guessed (see the note under the table)")
        if guessed else msg("* = mandatory in the ERP"))
    return 0


# What a connector writes in a field's description when it inferred the type and may be wrong
# (the workbook: "Type guessed from only 3 filled cell(s); set a type override ...").
_TYPE_NOTE = re.compile(r"\btype guessed\b|\btype override\b|\bread as text\b", re.IGNORECASE)


def _type_note(description: str) -> str:
    """The field's description when it says the type was guessed, else ""."""
    return description if _TYPE_NOTE.search(description) else ""


def cmd_actor(args: argparse.Namespace) -> int:
    from erp_tui.crm_catalog import actor_param
    from erp_tui.services.mappings import load_mappings, save_mappings

    ctx = _ctx()
    state = load_mappings(ctx, args.name)
    tab = state.tab(args.actor)
    tab.enabled = bool(args.enable)
    save_mappings(ctx, state)
    say(msg("{actor}: sync enabled.", actor=actor_param(tab.actor_type)) if tab.enabled else
        msg("{actor}: sync disabled.", actor=actor_param(tab.actor_type)))
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    from erp_tui.crm_catalog import actor_param
    from erp_tui.rules import Direction
    from erp_tui.services.mappings import (
        load_mappings,
        save_mappings,
        set_crm_field,
        set_direction,
    )

    ctx = _ctx()
    state = load_mappings(ctx, args.name)
    tab = state.tab(args.actor)
    row = tab.row(args.erp_field)
    if args.crm is not None:
        crm = None if args.crm.lower() in ("", "none") else args.crm
        refusal = set_crm_field(tab, row, crm)
        if refusal:
            raise RefusedError(refusal)
    if args.direction is not None:
        try:
            direction = Direction.parse(args.direction)
        except ValueError as exc:
            raise RefusedError(exc.args[0] if exc.args else str(exc)) from None
        refusal = set_direction(tab, row, direction)
        if refusal:
            raise RefusedError(msg("Direction '{direction}' is not possible: {reason}",
                                   direction=args.direction, reason=refusal))
    if args.search is not None:
        row.show_in_search = args.search == "yes"
    if args.tab is not None:
        row.show_on_tab = args.tab == "yes"
    save_mappings(ctx, state)
    direction_text = row.direction.value if row.direction else gettext("none")
    say(msg("{actor}.{field} -> {crm}, direction {direction}, search {search}, tab {tab}.",
            actor=actor_param(tab.actor_type), field=row.erp.key,
            crm=row.crm_field or gettext("(not mapped)"), direction=direction_text,
            search=yes_no(row.show_in_search), tab=yes_no(row.show_on_tab)))
    from erp_tui.rules import show_on_tab_warning

    warning = show_on_tab_warning(row.direction, row.show_on_tab)
    if warning and args.tab is not None:
        say(msg("Note: {message}", message=warning), file=sys.stderr)
    return 0


def cmd_list_map(args: argparse.Namespace) -> int:
    from erp_tui.services.lists import load_list_mapping, mapped_lists, save_list_mapping

    ctx = _ctx()
    if not args.erp_list:
        lists = mapped_lists(ctx, args.name)
        if args.json:
            emit_json([{"erp_list": m.erp_list, "crm_list": m.crm_list,
                        "fields": list(m.fields)} for m in lists])
        elif not lists:
            say(msg("No list fields are mapped; map a list field first (erp-tui map ...)."))
        else:
            print_table([{"erp_list": m.erp_list, "crm_list": m.crm_list,
                          "used_by": ", ".join(m.fields)} for m in lists],
                        ["erp_list", "crm_list", "used_by"])
        return 0
    state = load_list_mapping(ctx, args.name, args.erp_list)
    changes = _parse_pairs(args.set, msg("an item mapping"))
    rows = {row.erp_key: row for row in state.rows}
    for erp_key, crm_key in changes.items():
        if erp_key not in rows:
            raise RefusedError(msg("'{item}' is not an item of ERP list '{list}'.",
                                   item=erp_key, list=state.erp_list))
        rows[erp_key].crm_key = crm_key or None
    if changes:
        save_list_mapping(ctx, state)
        say(msg("Saved the mapping of list '{list}'.", list=state.erp_list))
        return 0
    duplicates = state.duplicate_rows()
    if args.json:
        emit_json([{"erp_item": r.erp_key, "erp_text": r.erp_text, "crm_item": r.crm_key,
                    "duplicate": r.erp_key in duplicates, "suggested": r.suggested}
                   for r in state.rows])
        return 0
    print_table([{"mark": "!" if r.erp_key in duplicates else "",
                  "erp_item": f"{r.erp_key} {r.erp_text}",
                  "crm_item": (f"{r.crm_key} {state.crm_items.get(r.crm_key, '')}"
                               if r.crm_key else gettext("(No selection)")) +
                  (" " + gettext("(suggested)") if r.suggested else "")} for r in state.rows],
                ["mark", "erp_item", "crm_item"])
    if duplicates:
        say(msg("! {count} rows map to a CRM item chosen more than once.",
                count=len(duplicates)))
    return 0


def cmd_defaults(args: argparse.Namespace) -> int:
    from erp_tui.rules import DefaultSpec
    from erp_tui.services.defaults import load_defaults, remove_default, save_default

    ctx = _ctx()
    if args.set or args.remove:
        if not args.actor:
            raise RefusedError(msg("Name the actor, e.g. 'erp-tui defaults NAME Customer --set "
                                   "...'."))
        if args.remove:
            remove_default(ctx, args.name, args.actor, args.remove)
            say(msg("Removed the default of {actor}.{field}.", actor=args.actor,
                    field=args.remove))
            return 0
        spec = DefaultSpec(args.set, args.value is not None, args.value or "", args.ask,
                           args.mandatory)
        save_default(ctx, args.name, args.actor, spec)
        say(msg("Saved the default of {actor}.{field}.", actor=args.actor, field=args.set))
        return 0
    state = load_defaults(ctx, args.name)
    tabs = [state.tab(args.actor)] if args.actor else state.tabs
    rows = [{"actor": t.actor_type, "erp_field": r.erp_field, "label": r.label,
             "value": r.value if r.set_value else None, "ask_user": r.ask_user,
             "mandatory": r.mandatory} for t in tabs for r in t.rows]
    if args.json:
        emit_json(rows)
    elif not rows:
        say(msg("No sync defaults."))
    else:
        names = actor_names(ctx)
        print_table([{**r, "actor": actor_name(names, state.connection_id, str(r["actor"])),
                      "value": r["value"] if r["value"] is not None else "",
                      "ask_user": yes_no(bool(r["ask_user"])),
                      "mandatory": yes_no(bool(r["mandatory"]))}
                     for r in rows], ["actor", "erp_field", "value", "ask_user", "mandatory"])
    return 0


def cmd_rank(args: argparse.Namespace) -> int:
    from erp_tui.services.ranking import load_ranking, move_field, save_ranking

    ctx = _ctx()
    state = load_ranking(ctx, args.name)
    actor = next((a for a in state.tabs if a.lower() == args.actor.lower()), None)
    if actor is None:
        raise RefusedError(msg("There is no actor '{actor}' on this connection.",
                               actor=args.actor))
    order = [row.erp_field for row in state.tabs[actor]]
    if args.order:
        wanted = [f.strip() for f in args.order.split(",") if f.strip()]
        order = wanted + [f for f in order if f not in wanted]
        save_ranking(ctx, args.name, actor, order, state.version)
    elif args.move:
        order = move_field(order, args.move, args.by)
        save_ranking(ctx, args.name, actor, order, state.version)
    shown = {row.erp_field: row.shown for row in state.tabs[actor]}
    if args.json:
        emit_json([{"position": position, "erp_field": key, "on_tab": bool(shown.get(key))}
                   for position, key in enumerate(order, start=1)])
        return 0
    for position, key in enumerate(order, start=1):
        note = "" if shown.get(key) else "  " + gettext("(not on ERP tab)")
        print(f"{position:4}  {key}{note}")
    return 0


def cmd_priority(args: argparse.Namespace) -> int:
    from erp_tui.services.connections import priority_order, set_priority_order

    ctx = _ctx()
    current = priority_order(ctx)
    if args.names:
        by_name = {c.name: c.id for c in current}
        missing = [n for n in args.names if n not in by_name]
        if missing:
            raise RefusedError(msg("'{name}' is not an active connection.", name=missing[0]))
        set_priority_order(ctx, [by_name[n] for n in args.names])
        current = priority_order(ctx)
    if args.json:
        emit_json([{"priority": c.priority, "name": c.name} for c in current])
    elif not current:
        say(msg("No active connections."))
    else:
        for c in current:
            print(f"{c.priority:3}  {c.name}")
    return 0


# ---- export / import -------------------------------------------------------------------------

def _passphrase(new: bool) -> str:
    """The export passphrase: ERP_TUI_EXPORT_PASSPHRASE or asked on a terminal. A `new` one
    (export) is asked twice and must be `MIN_PASSPHRASE` long; an import takes the file's."""
    from erp_tui.services.transfer import MIN_PASSPHRASE

    value = os.environ.get("ERP_TUI_EXPORT_PASSPHRASE")
    if not value:
        if not sys.stdin.isatty():
            raise RefusedError(
                msg("A passphrase is needed for secrets; set ERP_TUI_EXPORT_PASSPHRASE (at "
                    "least {count} characters).", count=MIN_PASSPHRASE) if new else
                msg("A passphrase is needed for secrets; set ERP_TUI_EXPORT_PASSPHRASE."))
        import getpass

        value = getpass.getpass(localize(
            msg("Passphrase for secrets (at least {count} characters): ", count=MIN_PASSPHRASE)
            if new else msg("Passphrase for secrets: ")))
        short = new and len(value) < MIN_PASSPHRASE
        if new and not short and getpass.getpass(gettext("Repeat the passphrase: ")) != value:
            raise RefusedError(msg("The passphrases differ; nothing was written."))
    if new and len(value) < MIN_PASSPHRASE:
        raise RefusedError(
            msg("ERP_TUI_EXPORT_PASSPHRASE is too short: use a passphrase of at least {count} "
                "characters. Nothing was written.", count=MIN_PASSPHRASE)
            if os.environ.get("ERP_TUI_EXPORT_PASSPHRASE") else
            msg("The passphrase is too short: use a passphrase of at least {count} "
                "characters. Nothing was written.", count=MIN_PASSPHRASE))
    return value


def cmd_export(args: argparse.Namespace) -> int:
    from erp_tui.services.transfer import export_connection, write_export

    passphrase = _passphrase(new=True) if args.include_secrets else None
    text = export_connection(_ctx(), args.name, secrets_passphrase=passphrase)
    if args.output:
        from pathlib import Path

        target = Path(args.output)
        try:
            write_export(target, text)
        except OSError as exc:
            raise RefusedError(msg("Cannot write {path}: {reason}; nothing was written.",
                                   path=str(target),
                                   reason=exc.strerror or type(exc).__name__)) from None
        say(msg("Wrote {path} (readable by its owner only).", path=str(target)),
            file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from erp_tui.cli.config_values import gather_values
    from erp_tui.services.transfer import import_connection, parse_export, read_export

    values = gather_values(args)
    text = read_export(Path(args.file))
    passphrase = None
    if not args.without_secrets and parse_export(text).connection.secrets is not None:
        passphrase = _passphrase(new=False)
    if args.without_secrets:
        data = parse_export(text)
        data.connection.secrets = None
        import yaml

        text = yaml.safe_dump(data.model_dump(mode="json"), sort_keys=False)
    ctx = _ctx()
    if passphrase is None:
        from erp_tui.contract import FieldType, label_for
        from erp_tui.services.connections import config_fields

        for info in config_fields(ctx, parse_export(text).connection.connector):
            if info.type is FieldType.PASSWORD and info.mandatory and info.key not in values:
                if not sys.stdin.isatty():
                    raise RefusedError(msg(
                        "The file holds no {label} (a secret); give it with --set-from-env "
                        "{key}=VAR, --set-from-file {key}=PATH or --set {key}=VALUE.",
                        label=label_for(info, label_language()), key=info.key))
                import getpass

                values[info.key] = getpass.getpass(f"{label_for(info, label_language())}: ")
    connection_id = import_connection(ctx, text, replace=args.replace, new_name=args.name,
                                      secrets_passphrase=passphrase, values=values)
    say(msg("Imported connection (id {id}); it is inactive: test and activate it when ready.",
            id=connection_id))
    return 0


def cmd_secret_key(args: argparse.Namespace) -> int:
    from erp_tui.secrets import new_key

    print(new_key())
    return 0


