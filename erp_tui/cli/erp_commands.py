"""CLI commands of the ERP search: `erp-search` and `erp-import` (registered by
erp_tui.cli.build_parser). Same services as the ERP search dialog."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from erp_tui.i18n import N_, gettext, localize, msg

Handler = Callable[[argparse.Namespace], int]
Command = Callable[[str, Handler, str], argparse.ArgumentParser]

SEARCH_EPILOG = N_("""criteria (--where "FIELD OPERATOR VALUE", repeat; all must hold):
  operators by symbol or name:  =  !=  >  >=  <  <=  begins  contains  ends  notbegins
    notcontains  notends  isnot  between  oneof  notoneof  before  after  beforeOrEqual
    afterOrEqual  (also "begins with", "does not contain", "on or after", ...)
  text fields: = != begins contains ends notbegins notcontains notends isnot between
  numbers: = != > < >= <= between      dates: = before after beforeOrEqual afterOrEqual between
  checkboxes: = (yes/no)               lists: oneof notoneof = (item key or text)
  between takes two values:  "credit_limit between 1000 and 5000"  (or "1000 5000", "1000..5000")
  oneof takes a comma-separated list:  "country oneof SE,NO,DK"
  examples:  --where "name begins Fjord" --where "blocked = no" --where "created after 2020-01-01"

The columns are the fields marked "show in search" (erp-tui map ... --search yes), in rank
order, after the ERP key; LINKED names the CRM record an actor is linked to.

exit codes:
  0  success (also when nothing matches)
  1  a criterion cannot be used: unreadable, operator not allowed for the field's type,
     value of the wrong type, wrong number of values
  2  wrong usage (unknown option, --limit not a whole number of at least 1)
  3  not found: connection, actor type (not enabled in Mappings) or searchable field
  4  the connector failed or did not answer
""")

IMPORT_EPILOG = N_(
    """The new CRM record gets the actor's values of the fields mapped ERP→CRM ('>' or
'<>') and is linked to it; a parent not in the CRM yet (a person's company) is imported first.

exit codes:
  0  imported
  1  refused: already linked, or a value does not fit the CRM (the messages say why)
  3  not found: connection, actor type, or no such actor in the ERP
  4  the connector failed or did not answer
  7  the connection is being synced right now; try again when the run is done
""")


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(localize(msg("'{text}' is not a whole number",
                                                      text=text))) from None
    if value < 1:
        raise argparse.ArgumentTypeError(gettext("give at least 1"))
    return value


def register(command: Command) -> None:
    """Add this module's commands to the parser."""
    p = command("erp-search", cmd_erp_search, gettext("search an ERP's actors by criteria"))
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = gettext(SEARCH_EPILOG)
    p.add_argument("name", metavar="CONNECTION")
    p.add_argument("actor", metavar="ACTOR", help=gettext("actor type, e.g. Customer"))
    p.add_argument("--where", action="append", default=[], metavar='"FIELD OPERATOR VALUE"',
                   help=gettext("a criterion (repeat); without any, every actor (up to "
                                "--limit)"))
    p.add_argument("--limit", type=_limit, default=100, metavar="N",
                   help=gettext("at most N actors (default 100, at most 1000)"))
    p.add_argument("--json", action="store_true")

    p = command("erp-import", cmd_erp_import,
                gettext("import an ERP actor as a new CRM record"))
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = gettext(IMPORT_EPILOG)
    p.add_argument("name", metavar="CONNECTION")
    p.add_argument("actor", metavar="ACTOR")
    p.add_argument("erp_key", metavar="ERP_KEY")
    p.add_argument("--json", action="store_true")


def _fail(message: str, code: int) -> int:
    print(f"erp-tui: {localize(message)}", file=sys.stderr)
    return code


def cmd_erp_search(args: argparse.Namespace) -> int:
    from erp_tui.cli.commands import _ctx
    from erp_tui.cli.output import code_word, emit_json, print_table
    from erp_tui.errors import ValidationFailed
    from erp_tui.services import erp_search
    from erp_tui.services.erp_values import inert

    ctx = _ctx()
    name, actor = erp_search.check_target(ctx, args.name, args.actor)
    criteria = []
    for text in args.where:
        try:
            criteria.append(erp_search.parse_where(text))
        except ValueError as exc:
            return _fail(exc.args[0] if len(exc.args) == 1 else str(exc), 1)
    try:
        results = erp_search.search(ctx, name, actor, criteria, limit=args.limit)
    except ValidationFailed as exc:
        for problem in exc.problems:
            print(f"erp-tui: {localize(problem.message)}", file=sys.stderr)
        unknown = any(p.code == "unknown_field" for p in exc.problems)
        return 3 if unknown else exc.exit_code
    keys = [key for key, _label in results.columns]
    if args.json:
        emit_json({
            "connection": name, "actor_type": actor,
            "columns": [{"key": k, "label": label} for k, label in results.columns],
            "hits": [{"erp_key": hit.erp_key, "values": dict(zip(keys, hit.values, strict=True)),
                      "linked": None if hit.linked is None else
                      {"entity": hit.linked[0], "id": hit.linked[1]}} for hit in results.hits],
            "more": results.more})
        return 0
    if not results.hits:
        print(localize(msg("No ERP {actor} matches.", actor=actor)))
        return 0
    rows = [{"erp_key": inert(hit.erp_key, 100), **dict(zip(keys, hit.values, strict=True)),
             "linked": "" if hit.linked is None else
             f"{code_word(hit.linked[0])} {hit.linked[1]}"}
            for hit in results.hits]
    print_table(rows, ["erp_key", *keys, "linked"], data_columns=keys)
    if results.more:
        print(localize(msg("More actors match; these are the first {count} (raise --limit or "
                           "add criteria).", count=len(results.hits))))
    return 0


def cmd_erp_import(args: argparse.Namespace) -> int:
    from erp_tui.cli.commands import _ctx
    from erp_tui.cli.output import code_word, emit_json
    from erp_tui.services import erp_search
    from erp_tui.services.erp_values import inert

    ctx = _ctx()
    name, actor = erp_search.check_target(ctx, args.name, args.actor)
    entity, crm_id = erp_search.import_actor(ctx, name, actor, args.erp_key)
    if args.json:
        emit_json({"connection": name, "actor_type": actor, "erp_key": args.erp_key,
                   "entity": entity, "id": crm_id})
    else:
        print(localize(msg("Imported ERP {actor} {key} as CRM {entity} {id} and linked them.",
                           actor=actor, key=inert(args.erp_key, 100), entity=code_word(entity),
                           id=crm_id)))
    return 0
