"""CLI commands of the CRM records: `erp-tui records list|show|edit`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from erp_tui.cli.output import code_word, inert, say
from erp_tui.i18n import N_, gettext, label_language, localize, msg
from erp_tui.sync_marks import LinkState

Handler = Callable[[argparse.Namespace], int]
Command = Callable[[str, Handler, str], argparse.ArgumentParser]

ENTITY_HELP = N_("company, person or project")


def register(command: Command) -> None:
    """Add `records` to the parser."""
    p = command("records", cmd_records, gettext(
        "list, show or edit CRM records (companies, persons, projects)"))
    p.set_defaults(group_parser=p)
    sub = p.add_subparsers(dest="records_action", metavar="ACTION")
    q = sub.add_parser("list", help=gettext(
        "list records, filtered by what their name, number, e-mail, city or ERP key begins "
        "with"), description=gettext(
        "List CRM records in name order. The filter matches, case-insensitively, the "
        "beginning of the name (a person's first or last name), number, e-mail, city or an "
        "ERP key of a link."))
    q.add_argument("entity", metavar="ENTITY", help=gettext(ENTITY_HELP))
    q.add_argument("--search", default="", metavar="TEXT",
                   help=gettext("filter (begins with)"))
    q.add_argument("--limit", type=int, default=50, metavar="N",
                   help=gettext("rows (default 50, at most 1000)"))
    q.add_argument("--offset", type=int, default=0, metavar="N", help=gettext("rows to skip"))
    q.add_argument("--json", action="store_true")
    q = sub.add_parser("show", help=gettext(
        "one record: its fields, links and ERP-tab values"), description=gettext(
        "Show one CRM record. The ERP section lists, per linked connection, the fields "
        "marked 'show on ERP tab' in rank order with their values read live from the ERP "
        "(--no-erp skips the ERP)."))
    q.add_argument("entity", metavar="ENTITY", help=gettext(ENTITY_HELP))
    q.add_argument("id", type=int, metavar="ID")
    q.add_argument("--no-erp", action="store_true", help=gettext("do not read the ERP"))
    q.add_argument("--timeout", type=float, default=5.0, metavar="S",
                   help=gettext("seconds to wait for each ERP (default 5)"))
    q.add_argument("--json", action="store_true")
    q = sub.add_parser("edit", help=gettext(
        "change fields of a record; the next sync pushes them"), description=gettext(
        "Change fields of a CRM record. Values are checked by the field's type (lists take "
        "an item key or text, dates YYYY-MM-DD, checkboxes yes/no); an empty value clears a "
        "field. Nothing is saved when one value is wrong."))
    q.add_argument("entity", metavar="ENTITY", help=gettext(ENTITY_HELP))
    q.add_argument("id", type=int, metavar="ID")
    q.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", required=True,
                   help=gettext("a field and its new value (repeat)"))
    q.add_argument("--json", action="store_true")


def cmd_records(args: argparse.Namespace) -> int:
    """`erp-tui records ACTION ...`."""
    action = getattr(args, "records_action", None)
    if action is None:
        args.group_parser.print_help(sys.stderr)
        return 2
    handlers: dict[str, Handler] = {"list": _list, "show": _show, "edit": _edit}
    return handlers[action](args)


def _states(links: Any) -> str:
    return ", ".join(f"{inert(b.connection)}: {inert(b.erp_key)}"
                     + ("" if b.state == LinkState.LINKED else f" ({b.state})") for b in links)


def _list(args: argparse.Namespace) -> int:
    from erp_tui.cli.commands import _ctx
    from erp_tui.cli.output import emit_json, print_table
    from erp_tui.errors import RefusedError
    from erp_tui.services import records

    if args.limit < 1 or args.offset < 0:
        raise RefusedError(msg("--limit must be at least 1 and --offset at least 0."))
    entity = records.check_entity(args.entity)
    ctx = _ctx()
    rows = records.list_records(ctx, entity, args.search, args.offset, args.limit)
    total = records.count_records(ctx, entity, args.search)
    if args.json:
        emit_json({"entity": entity, "total": total, "offset": args.offset, "records": [
            {"id": r.id, "title": r.title, "number": r.number, "email": r.email,
             "city": r.city, "company": r.company,
             "links": [{"connection": b.connection, "actor_type": b.actor_type,
                        "erp_key": b.erp_key, "state": b.state} for b in r.links]}
            for r in rows]})
        return 0
    if not rows:
        say(msg("No records match.") if args.search else
            msg("No {entity} records yet.", entity=code_word(entity)))
        return 0
    columns = {"company": ["id", "name", "number", "city", "links"],
               "person": ["id", "name", "company", "email", "links"],
               "project": ["id", "name", "number", "links"]}[entity]
    print_table([{"id": r.id, "name": inert(r.title), "number": inert(r.number),
                  "city": inert(r.city), "company": inert(r.company), "email": inert(r.email),
                  "links": _states(r.links)} for r in rows], columns)
    shown_to = args.offset + len(rows)
    if shown_to < total:
        say(msg("{first}-{last} of {total}; --offset {last} shows the next rows.",
                first=args.offset + 1, last=shown_to, total=total))
    return 0


def _erp_entries(ctx: Any, entity: str, record_id: int, timeout: float, live: bool
                 ) -> list[dict[str, Any]]:
    from erp_tui.services import erp_tab

    entries = []
    for link in erp_tab.erp_tab_links(ctx, entity, record_id):
        entry: dict[str, Any] = {
            "connection": link.connection, "actor_type": link.actor_type,
            "erp_key": link.erp_key, "state": link.state,
            "last_sync": link.last_sync.isoformat() if link.last_sync else None,
            "open_errors": [{"id": e.id, "message": e.message} for e in link.errors],
            "fields": [{"key": k, "label": label, "value": None} for k, label in
                       link.field_keys],
            "message": "",
        }
        if live and link.state == LinkState.LINKED:
            values = erp_tab.erp_tab_values(ctx, entity, record_id, link.connection,
                                            link.actor_type, link.erp_key, timeout)
            entry["message"] = values.message
            if not values.message:
                entry["fields"] = [{"key": f.key, "label": f.label, "value": f.erp_value,
                                    "crm_value": f.crm_value, "differs": f.differs}
                                   for f in values.fields]
        entries.append(entry)
    return entries


def _show(args: argparse.Namespace) -> int:
    from erp_tui.cli.commands import _ctx, crm_actor_name
    from erp_tui.cli.output import emit_json
    from erp_tui.services import records

    entity = records.check_entity(args.entity)
    ctx = _ctx()
    detail = records.get_record(ctx, entity, args.id)
    erp = _erp_entries(ctx, entity, args.id, args.timeout, not args.no_erp)
    if args.json:
        emit_json({**records.record_as_dict(detail), "erp": erp})
        return 0
    _print_detail(detail)
    for entry in erp:
        print()
        state = "" if entry["state"] == LinkState.LINKED else f" ({entry['state']})"
        print(f"ERP: {inert(entry['connection'])} · {inert(crm_actor_name(entry['actor_type']))} "
              f"{inert(entry['erp_key'])}{state}")
        if entry["message"]:
            print(f"  {inert(localize(entry['message']))}")
        width = max([len(f["label"]) for f in entry["fields"]] or [0])
        for f in entry["fields"]:
            value = "…" if f["value"] is None else inert(f["value"])
            mark = ""
            if f.get("differs"):
                mark = f"   ≠ CRM: {inert(f.get('crm_value'))}"
            print(f"  {inert(f['label']).ljust(width)}  {value}{mark}")
        for error in entry["open_errors"]:
            print("  " + localize(msg("! error {id}: {message}", id=error["id"],
                                      message=inert(localize(error["message"])))))
    return 0


def _print_detail(detail: Any) -> None:
    parent = f" · {inert(detail.parent[2])} ({detail.parent[1]})" if detail.parent else ""
    print(f"{code_word(detail.entity)} {detail.id}: {inert(detail.title)}{parent}")
    labels = [inert(f.label_in(label_language())) for f in detail.fields]
    width = max(len(label) for label in labels)
    for f, label in zip(detail.fields, labels, strict=True):
        lock = " " + gettext("(read-only)") if f.read_only else ""
        print(f"  {label.ljust(width)}  {inert(f.display)}{lock}")


def _edit(args: argparse.Namespace) -> int:
    from erp_tui.cli.commands import _ctx, _parse_pairs
    from erp_tui.cli.output import emit_json
    from erp_tui.services import records

    entity = records.check_entity(args.entity)
    values = _parse_pairs(args.set, "FIELD=VALUE")
    ctx = _ctx()
    before = records.get_record(ctx, entity, args.id)
    after = records.edit_record(ctx, entity, args.id, values, before.stamp)
    if args.json:
        emit_json(records.record_as_dict(after))
        return 0
    changed = [f for f, g in zip(after.fields, before.fields, strict=True)
               if f.value != g.value and not f.read_only]
    if not changed:
        say(msg("Nothing changed (the values were already so)."))
        return 0
    for f in changed:
        old = next(g.display for g in before.fields if g.key == f.key)
        print(f"{inert(f.label_in(label_language()))}: {inert(old)} → {inert(f.display)}")
    linked = [b for b in after.links if b.state != LinkState.DELETED_IN_ERP]
    if linked:
        say(msg("The next sync sends this to {connections} where these fields flow CRM → ERP.",
                connections=", ".join(inert(b.connection) for b in linked)))
    return 0
