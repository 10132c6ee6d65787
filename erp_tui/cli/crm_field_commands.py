"""CLI command of the CRM's fields: `erp-tui crm-fields ENTITY [--add KEY ... | --remove KEY]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from erp_tui.cli.output import code_word, inert, say
from erp_tui.i18n import gettext, label_language, msg

Handler = Callable[[argparse.Namespace], int]
Command = Callable[[str, Handler, str], argparse.ArgumentParser]

TYPES = ("text", "integer", "decimal", "date", "checkbox", "list")


def register(command: Command) -> None:
    """Add `crm-fields` to the parser."""
    p = command("crm-fields", cmd_crm_fields, gettext(
        "list a CRM entity's fields (the names 'map --crm' accepts), add or remove "
        "user-defined fields"))
    p.description = gettext(
        "Without --add or --remove: list the fields of a CRM entity (company, person, "
        "project) with their keys, labels and types; the keys are what 'erp-tui map --crm' "
        "accepts. --add creates a user-defined field (up to 20 per entity) of type text, "
        "integer, decimal, date, checkbox or list; a list field uses an existing CRM list "
        "(--list NAME) or creates a new one with its items (--list NAME --item KEY=TEXT ...). "
        "--remove deletes a user-defined field that no connection maps, and its values.")
    p.add_argument("entity", metavar="ENTITY", help=gettext("company, person or project"))
    action = p.add_mutually_exclusive_group()
    action.add_argument("--add", metavar="KEY", help=gettext(
        "add a user-defined field with this key (lowercase letters, digits, '_')"))
    action.add_argument("--remove", metavar="KEY", help=gettext("remove a user-defined field"))
    p.add_argument("--type", choices=TYPES, help=gettext("type of the new field"))
    p.add_argument("--label", metavar="TEXT", help=gettext("label of the new field"))
    p.add_argument("--label-nl", metavar="TEXT", default="", help=gettext("Dutch label"))
    p.add_argument("--list", metavar="NAME", default="",
                   help=gettext("CRM list of a list field"))
    p.add_argument("--item", action="append", default=[], metavar="KEY=TEXT",
                   help=gettext("an item of a new list (repeat)"))
    p.add_argument("--max-length", type=int, default=0, metavar="N",
                   help=gettext("most characters of a text field (default: no limit)"))
    p.add_argument("--json", action="store_true")


def _usage(message: str) -> int:
    say(msg("erp-tui crm-fields: {message}", message=message), file=sys.stderr)
    return 2


def cmd_crm_fields(args: argparse.Namespace) -> int:
    """`erp-tui crm-fields ENTITY [--add KEY --type T --label L ... | --remove KEY]`."""
    adding = ("--type", args.type), ("--label", args.label), ("--label-nl", args.label_nl), \
        ("--list", args.list), ("--item", args.item), ("--max-length", args.max_length)
    if args.add is None:
        stray = [name for name, value in adding if value]
        if stray:
            return _usage(msg("{option} goes with --add.", option=stray[0]))
        return _remove(args) if args.remove is not None else _list(args)
    if not args.type or args.label is None:
        return _usage(msg("--add needs --type and --label."))
    items = []
    for item in args.item:
        key, sep, text = item.partition("=")
        if not sep:
            return _usage(msg("--item takes KEY=TEXT, not '{item}'.", item=inert(item)))
        items.append((key, text))
    return _add(args, tuple(items))


def _type_name(field: Any) -> str:
    from erp_tui.contract import FieldType

    return "decimal" if field.type is FieldType.DOUBLE else str(field.type.value)


def _as_json(field: Any) -> dict[str, Any]:
    return {"key": field.key, "label": field.label, "label_nl": field.label_nl or field.label,
            "type": _type_name(field), "list": field.list_name or None,
            "max_length": field.max_length or None, "read_only": field.read_only,
            "user_defined": field.user_defined, "column": field.column}


def _list(args: argparse.Namespace) -> int:
    from erp_tui.cli.commands import _ctx
    from erp_tui.cli.output import emit_json, print_table
    from erp_tui.services import crm_fields

    fields = crm_fields.list_fields(_ctx(), args.entity)
    if args.json:
        emit_json({"entity": args.entity, "fields": [_as_json(f) for f in fields]})
        return 0
    dutch = label_language() == "nl"
    print_table([{"key": f.key, "label": inert(f.label_nl if dutch and f.label_nl else f.label),
                  "type": code_word(_type_name(f)),
                  "list": inert(f.list_name), "max": f.max_length or "",
                  "kind": _kind(f)} for f in fields],
                ["key", "label", "type", "list", "max", "kind"])
    return 0


def _kind(field: Any) -> str:
    kind = gettext("user-defined") if field.user_defined else gettext("standard")
    return kind + (", " + gettext("read-only") if field.read_only else "")


def _add(args: argparse.Namespace, items: tuple[tuple[str, str], ...]) -> int:
    from erp_tui.cli.commands import _ctx
    from erp_tui.cli.output import emit_json
    from erp_tui.services import crm_fields

    field = crm_fields.add_field(_ctx(), crm_fields.NewField(
        entity=args.entity, key=args.add, label=args.label, type=args.type,
        label_nl=args.label_nl, list_name=args.list, items=items,
        max_length=args.max_length))
    if args.json:
        emit_json({"entity": args.entity, "added": _as_json(field)})
    else:
        say(msg("Added {type} field '{key}' to {entity}; 'erp-tui map CONNECTION ACTOR FIELD "
                "--crm {key}' maps an ERP field to it.", type=_type_name(field), key=field.key,
                entity=args.entity))
    return 0


def _remove(args: argparse.Namespace) -> int:
    from erp_tui.cli.commands import _ctx
    from erp_tui.cli.output import emit_json
    from erp_tui.services import crm_fields

    crm_fields.remove_field(_ctx(), args.entity, args.remove)
    if args.json:
        emit_json({"entity": args.entity, "removed": args.remove})
    else:
        say(msg("Removed field '{key}' of {entity} and its values.", key=inert(args.remove),
                entity=args.entity))
    return 0
