"""Command line: `erp-tui COMMAND ...` (headless, same services and rules as the UI).

Importing this module stays cheap (argparse only) so `erp-tui --help` and cron runs start fast;
each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence

from erp_tui.i18n import N_, gettext

EXIT_CODES = N_("""exit codes:
  0  success
  1  refused by a configuration rule (the messages say why)
  2  wrong usage (unknown command or option)
  3  not found (connection, actor, field, list)
  4  the connector or the connection test failed
  5  changed by someone else meanwhile (reopen and apply your change again)
  6  unexpected internal error (one line on stderr; details in the log file)
  7  the connection is already being synced by another run
""")

LOG_HELP = N_("""log file:
  {path}
  (rotated at 1 MB; folder: env ERP_TUI_LOG_DIR; more detail: --debug or
  ERP_TUI_LOG_LEVEL=DEBUG; 'erp-tui doctor' checks the whole set-up)
""")

UI_NEEDS_TERMINAL = N_("usage: erp-tui COMMAND [ARGS] -- without a command the terminal UI "
                       "opens, which needs a terminal on stdin and stdout; see 'erp-tui "
                       "--help'.")

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command, its texts in the current language."""
    from erp_tui.cli import commands as c
    from erp_tui.cli.config_values import ConnectorSettingsHelp, add_value_options
    from erp_tui.logs import log_file_hint

    parser = argparse.ArgumentParser(
        prog="erp-tui", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=gettext("Configure and run CRM <-> ERP synchronisation. Without a "
                            "command the terminal UI opens."),
        epilog=gettext(EXIT_CODES) + "\n" + gettext(LOG_HELP).format(path=log_file_hint()))
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}",
                        help=gettext("show program's version number and exit"))
    parser.add_argument("--db", metavar="URL", help=gettext(
        "database URL (default: a SQLite file in the data directory; env "
        "ERP_TUI_DATABASE_URL)"))
    parser.add_argument("--data-dir", metavar="DIR",
                        help=gettext("data directory (env ERP_TUI_DATA_DIR)"))
    parser.add_argument("--lang", choices=("en", "nl"),
                        help=gettext("UI language (env ERP_TUI_LANGUAGE)"))
    parser.add_argument("--debug", action="store_true", help=gettext(
        "write details to the log file (env ERP_TUI_LOG_LEVEL=DEBUG)"))
    parser.set_defaults(handler=c.cmd_ui)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    p = command("ui", c.cmd_ui, gettext("open the terminal UI"))
    p = command("demo", c.cmd_demo,
                gettext("create the demo: a CRM and two sample ERP connections"))
    p.add_argument("--no-ui", action="store_true",
                   help=gettext("only create the data, do not open the UI"))
    p.add_argument("--size", type=int, default=200,
                   help=gettext("customers in the main sample ERP"))
    p.add_argument("--extra-fields", type=int, default=0,
                   help=gettext("extra fields on the Customer actor (screen benchmarks)"))
    p.add_argument("--reset", action="store_true",
                   help=gettext("throw the old demo away first"))

    command("connectors", c.cmd_connectors,
            gettext("list the installed connectors")).add_argument("--json", action="store_true")

    p = command("connections", c.cmd_connections,
                gettext("list, show, add, edit or delete connections"))
    csub = p.add_subparsers(dest="action", metavar="ACTION")
    q = csub.add_parser("list", help=gettext("list connections"))
    q.add_argument("--json", action="store_true")
    q = csub.add_parser("show", help=gettext("show one connection (secrets masked)"))
    q.add_argument("name")
    q.add_argument("--json", action="store_true")
    save_helps = {
        "add": (gettext("add a connection (its test must pass)"),
                gettext("show this help and the connector's settings (after --connector "
                        "KIND)")),
        "edit": (gettext("edit a connection (its test must pass)"),
                 gettext("show this help and the connector's settings (after --connector "
                         "KIND or NAME)"))}
    for action, (action_help, settings_help) in save_helps.items():
        q = csub.add_parser(action, help=action_help, add_help=False)
        q.add_argument("-h", "--help", action=ConnectorSettingsHelp, saved=action == "edit",
                       help=settings_help)
        q.add_argument("name")
        q.add_argument("--connector", required=action == "add",
                       help=gettext("connector kind"))
        add_value_options(q, gettext(
            "a config value (repeat); visible to other local users (ps, shell history): give "
            "secrets with --set-from-env or --set-from-file; secrets not given are asked for "
            "on a terminal"))
        q.add_argument("--scope", choices=("everyone", "chosen"))
        q.add_argument("--member", action="append", default=[], metavar="user:NAME|group:NAME")
        q.add_argument("--conflict-policy", choices=("erp_wins", "crm_wins", "newest_wins"))
        q.add_argument("--allow-import", choices=("yes", "no"))
        if action == "edit":
            q.add_argument("--rename", metavar="NEW_NAME")
    q = csub.add_parser("delete", help=gettext("delete an inactive connection's configuration"))
    q.add_argument("name")
    q.add_argument("--yes", action="store_true", help=gettext("do not ask for confirmation"))
    q = csub.add_parser("refresh", help=gettext("refresh ERP metadata (auto-maps new fields)"))
    q.add_argument("name")

    for name, handler, text in (
            ("test", c.cmd_test, N_("test a saved connection")),
            ("activate", c.cmd_activate, N_("activate a connection (validated first)")),
            ("deactivate", c.cmd_deactivate, N_("deactivate a connection so it can be edited")),
            ("validate", c.cmd_validate, N_("list every problem that blocks activation"))):
        p = command(name, handler, gettext(text))
        p.add_argument("name")
        p.add_argument("--json", action="store_true")

    p = command("mappings", c.cmd_mappings, gettext("show the field mapping of a connection"))
    p.add_argument("name")
    p.add_argument("actor", nargs="?")
    p.add_argument("--json", action="store_true")

    p = command("actor", c.cmd_actor, gettext("enable or disable syncing an actor type"))
    p.add_argument("name")
    p.add_argument("actor")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--enable", action="store_true")
    group.add_argument("--disable", action="store_true")

    p = command("map", c.cmd_map, gettext("set the mapping of one ERP field"))
    p.add_argument("name")
    p.add_argument("actor")
    p.add_argument("erp_field")
    p.add_argument("--crm", metavar="FIELD", help=gettext("CRM field ('none' to unmap)"))
    p.add_argument("--direction", metavar="DIR", help=gettext(
        "'>' ERP→CRM, '<' CRM→ERP, '<>' both, 'none'"))
    p.add_argument("--search", choices=("yes", "no"), help=gettext("show in search"))
    p.add_argument("--tab", choices=("yes", "no"), help=gettext("show on the ERP tab"))

    p = command("list-map", c.cmd_list_map, gettext("show or set the item mapping of a list"))
    p.add_argument("name")
    p.add_argument("erp_list", nargs="?")
    p.add_argument("--set", action="append", default=[], metavar="ERP_ITEM=CRM_ITEM",
                   help=gettext("map an item ('ERP_ITEM=' for no selection); repeat"))
    p.add_argument("--json", action="store_true")

    p = command("defaults", c.cmd_defaults, gettext("show, set or remove sync defaults"))
    p.add_argument("name")
    p.add_argument("actor", nargs="?")
    p.add_argument("--set", metavar="ERP_FIELD",
                   help=gettext("add or change the default of a field"))
    p.add_argument("--value", help=gettext("the default value (implies 'set default value')"))
    p.add_argument("--ask", action="store_true", help=gettext("ask the user for a value"))
    p.add_argument("--mandatory", action="store_true",
                   help=gettext("the user must fill in a value"))
    p.add_argument("--remove", metavar="ERP_FIELD",
                   help=gettext("remove the default of a field"))
    p.add_argument("--json", action="store_true")

    p = command("rank", c.cmd_rank,
                gettext("show or change the order of fields on the ERP tab"))
    p.add_argument("name")
    p.add_argument("actor")
    p.add_argument("--move", metavar="ERP_FIELD")
    p.add_argument("--by", type=int, default=-1,
                   help=gettext("places to move (negative = up)"))
    p.add_argument("--order", metavar="F1,F2,...", help=gettext("the whole order"))
    p.add_argument("--json", action="store_true")

    p = command("priority", c.cmd_priority,
                gettext("show or set the sync priority of active connections"))
    p.add_argument("names", nargs="*",
                   help=gettext("every active connection, highest priority first"))
    p.add_argument("--json", action="store_true")

    p = command("export", c.cmd_export,
                gettext("write a connection's whole configuration as YAML"))
    p.add_argument("name")
    p.add_argument("-o", "--output", metavar="FILE", help=gettext(
        "file to write, readable by its owner only (mode 0600; default: stdout)"))
    p.add_argument("--include-secrets", action="store_true", help=gettext(
        "include secrets, encrypted with a passphrase of at least 12 characters "
        "(ERP_TUI_EXPORT_PASSPHRASE or asked)"))

    p = command("import", c.cmd_import, gettext("create a connection from an export file"))
    p.add_argument("file")
    p.add_argument("--replace", action="store_true", help=gettext(
        "overwrite an inactive connection of the same name"))
    p.add_argument("--name", help=gettext("import under another name"))
    p.add_argument("--without-secrets", action="store_true",
                   help=gettext("ignore encrypted secrets in the file"))
    add_value_options(p, gettext(
        "add or override a config value (e.g. a secret left out of the file; repeat); "
        "missing mandatory secrets are asked for on a terminal; visible to other local users "
        "(ps): give secrets with --set-from-env or --set-from-file"))

    from erp_tui.cli import connector_commands as cc

    p = command("connector", cc.cmd_connector_usage,
                gettext("connector tools (scaffold a SQL descriptor, ...)"))
    p.set_defaults(group_parser=p)
    connector_sub = p.add_subparsers(dest="connector_action", metavar="ACTION")
    q = connector_sub.add_parser("scaffold-sql", help=gettext(
        "write a starting SQL-connector descriptor reflected from a database (password: env "
        "ERP_TUI_SQL_PASSWORD)"))
    q.add_argument("url", metavar="URL", help=gettext("SQLAlchemy database URL"))
    q.add_argument("-o", "--output", metavar="FILE",
                   help=gettext("file to write (default: stdout)"))
    q.add_argument("--schema", help=gettext(
        "database schema to reflect (default: the default schema)"))
    q.set_defaults(handler=cc.cmd_scaffold_sql)
    q = connector_sub.add_parser("serve", help=gettext(
        "host a connector behind the JSON-over-HTTP connector protocol (token: --token-file "
        "or env ERP_TUI_CONNECTOR_TOKEN)"))
    q.add_argument("--connector", required=True, metavar="KIND",
                   help=gettext("connector kind to host"))
    q.add_argument("--config", required=True, metavar="FILE",
                   help=gettext("YAML or JSON file with the hosted connector's config values"))
    q.add_argument("--port", required=True, type=int, metavar="N", help=gettext(
        "TCP port (0 = any free port; the address is printed on stderr)"))
    q.add_argument("--host", default="127.0.0.1",
                   help=gettext("address to bind (default 127.0.0.1)"))
    q.add_argument("--token-file", metavar="F", help=gettext("file holding the bearer token"))
    q.set_defaults(handler=cc.cmd_connector_serve)
    from erp_tui.cli import run_commands as rc

    p = command("sync", rc.cmd_sync,
                gettext("run the sync of active connections (priority order)"))
    p.add_argument("names", nargs="*", metavar="NAME", help=gettext("only these connections"))
    p.add_argument("--dry-run", action="store_true",
                   help=gettext("compute and show every change, write nothing"))
    p.add_argument("--json", action="store_true", help=gettext(
        "print the reports as JSON (with --every: one JSON object per line and run)"))
    p.add_argument("--every", metavar="INTERVAL", help=gettext(
        "keep running: sync every INTERVAL (e.g. 30s, 5m, 1h), one log line per run"))
    p.add_argument("--limit", type=int, default=20, metavar="N", help=gettext(
        "changes listed per connection and actor (default 20; --json has all)"))
    p.add_argument("--timeout", type=float, default=120.0, help=gettext(
        "seconds to wait for one connector call (default 120)"))

    p = command("log", rc.cmd_log,
                gettext("show recent runs, a run's field changes, or open errors"))
    p.add_argument("name", nargs="?", metavar="NAME")
    p.add_argument("--errors", action="store_true",
                   help=gettext("open (unresolved) record errors"))
    p.add_argument("--run", type=int, metavar="ID", help=gettext(
        "one run: its field changes and the records it created"))
    p.add_argument("--limit", type=int, default=20, help=gettext("rows to show (default 20)"))
    p.add_argument("--offset", type=int, default=0,
                   help=gettext("rows to skip (--run: the next page)"))
    p.add_argument("--json", action="store_true")

    p = command("retry", rc.cmd_retry,
                gettext("retry failed records (all open ones, or chosen ones)"))
    p.add_argument("name", nargs="?", metavar="NAME")
    p.add_argument("--error", type=int, action="append", default=[], metavar="ID",
                   help=gettext("an error id from 'erp-tui log --errors' (repeat)"))

    p = command("resync", rc.cmd_resync, gettext(
        "push CRM values to the ERP (--from erp: read the ERP again), ignoring timestamps"))
    p.add_argument("name")
    p.add_argument("--from", dest="source", choices=("crm", "erp"), default="crm",
                   help=gettext("crm: push CRM values to the ERP (default); erp: read ERP "
                                "values again, also edits the incremental sync skipped"))
    p.add_argument("--actor", help=gettext("only this actor type"))
    p.add_argument("--key", action="append", default=[], metavar="ERP_KEY",
                   help=gettext("only these links (repeat); default: all"))

    p = command("link", rc.cmd_link, gettext("link a CRM record to an existing ERP actor"))
    p.add_argument("name")
    p.add_argument("actor")
    p.add_argument("erp_key")
    p.add_argument("crm_id", type=int)

    p = command("disconnect", rc.cmd_disconnect,
                gettext("remove a link (data on both sides stays)"))
    p.add_argument("name")
    p.add_argument("actor")
    p.add_argument("erp_key")

    p = command("create-in-erp", rc.cmd_create_in_erp, gettext(
        "create a CRM record in the ERP (defaults applied, asked values from --answer)"))
    p.add_argument("name")
    p.add_argument("actor")
    p.add_argument("crm_id", type=int)
    p.add_argument("--answer", action="append", default=[], metavar="FIELD=VALUE")

    command("secret-key", c.cmd_secret_key, gettext("print a new key for ERP_TUI_SECRET_KEY"))

    from erp_tui.cli import ops_commands as oc

    p = command("doctor", oc.cmd_doctor, gettext(
        "check the set-up: store, secret key, data directory, connectors, connections, "
        "locks, runs, errors, log file"))
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-test", action="store_true",
                   help=gettext("do not test the active connections (no connector calls)"))
    p = command("completion", oc.cmd_completion, gettext(
        "print a shell completion script (e.g. 'source <(erp-tui completion bash)')"))
    p.add_argument("shell", choices=("bash", "zsh", "fish"))
    p.set_defaults(no_log=True)

    from erp_tui.cli import crm_field_commands, erp_commands, record_commands, worker_commands

    record_commands.register(command)
    erp_commands.register(command)
    crm_field_commands.register(command)
    worker_commands.register(command)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("erp-tui")
    except PackageNotFoundError:
        return "(not installed)"


def _quiet_stdout() -> None:
    """After a closed pipe (`erp-tui log | head -1`): drop what is still buffered."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


def _start_logging(args: argparse.Namespace) -> None:
    from erp_tui import logs
    from erp_tui.cli import commands

    if getattr(args, "no_log", False):
        return
    try:
        from erp_tui.settings import Settings

        settings = Settings(**commands.SETTINGS_OVERRIDES)
        log_dir, level = settings.log_dir, settings.log_level
    except Exception:  # bad settings are reported by the command itself
        log_dir, level = logs.log_file_hint().parent, "INFO"
    logs.setup(log_dir, logs.level_of(level, debug=args.debug))
    logs.logger.debug("erp-tui %s: %s", _version(), args.command or "ui")


_GLOBAL_VALUES = {"--db": "database_url", "--data-dir": "data_dir", "--lang": "language"}


def _leading_overrides(argv: Sequence[str]) -> dict[str, str]:
    """The --db, --data-dir and --lang given before the command (parsing sets them again)."""
    found: dict[str, str] = {}
    words = iter(argv)
    for word in words:
        option, sep, value = word.partition("=")
        if option in _GLOBAL_VALUES:
            value = value if sep else next(words, "")
            if value:
                found[_GLOBAL_VALUES[option]] = value
        elif not word.startswith("-"):
            break
    return found


def _inert_lines(message: str) -> str:
    """A message for the terminal: each of its lines with control characters escaped."""
    from erp_tui.cli.output import inert

    return "\n".join(inert(line) for line in message.split("\n"))


def _choose_language(overrides: dict[str, str]) -> None:
    """Set the language of every text from --lang, ERP_TUI_LANGUAGE or the locale, and let
    argparse's own words (usage, errors) come from the same catalogue."""
    from erp_tui import i18n

    i18n.set_language(i18n.guess_language(overrides.get("language", "")))
    argparse._ = i18n.gettext  # type: ignore[attr-defined]
    argparse.ngettext = i18n.ngettext  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `erp-tui` command; returns the exit code."""
    import os

    from erp_tui.cli import commands

    # `connections edit NAME --help` opens the store while the arguments are parsed.
    commands.SETTINGS_OVERRIDES = _leading_overrides(sys.argv[1:] if argv is None else argv)
    _choose_language(commands.SETTINGS_OVERRIDES)
    parser = build_parser()
    args = parser.parse_args(argv)
    overrides = {"database_url": args.db, "data_dir": args.data_dir, "language": args.lang}
    commands.SETTINGS_OVERRIDES = {k: v for k, v in overrides.items() if v}
    from erp_tui.errors import ErpTuiError, ValidationFailed
    from erp_tui.i18n import gettext, localize, msg
    from erp_tui.logs import current_file, logger
    from erp_tui.metadata_names import names_in

    _start_logging(args)
    try:
        # Machine output does not change with the language: ERP names read in English.
        with names_in("en") if getattr(args, "json", False) else contextlib.nullcontext():
            code: int = args.handler(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except ValidationFailed as exc:  # messages may quote what was typed: printed inert
        print(_inert_lines(localize(exc.summary)), file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {_inert_lines(localize(problem.message))}", file=sys.stderr)
        return exc.exit_code
    except ErpTuiError as exc:
        logger.warning("%s: %s", args.command or "ui", exc)
        print(f"erp-tui: {_inert_lines(exc.localized())}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("erp-tui: " + gettext("interrupted; nothing half-written was kept."),
              file=sys.stderr)
        return 130
    except Exception as exc:
        logger.exception("%s: unexpected error", args.command or "ui")
        if os.environ.get("ERP_TUI_DEBUG"):
            raise
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):
            reason = " ".join(str(exc.orig).split())
            print("erp-tui: " + localize(msg(
                "the database cannot be used ({reason}); check --db / ERP_TUI_DATABASE_URL.",
                reason=reason)), file=sys.stderr)
        else:
            reason = " ".join(str(exc).split())
            where = current_file()
            text = (msg("unexpected error: {type}: {reason} (details: {where})",
                        type=type(exc).__name__, reason=reason, where=where) if where else
                    msg("unexpected error: {type}: {reason}", type=type(exc).__name__,
                        reason=reason))
            print(f"erp-tui: {localize(text)}", file=sys.stderr)
        return 6


if __name__ == "__main__":
    sys.exit(main())
