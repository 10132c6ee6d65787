"""Connection config values on the command line: where they come from (`--set`,
`--set-from-env`, `--set-from-file`) and which keys a connector takes (`--help`).

Importing this module stays cheap (argparse only); the connector is loaded when help is asked.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from erp_tui.errors import ErpTuiError, RefusedError
from erp_tui.i18n import N_, gettext, label_language, localize, msg

if TYPE_CHECKING:
    from erp_tui.contract import FieldInfo

MAX_VALUE_FILE_BYTES = 64 * 1024  # a key, a token or a certificate fits; a stray log does not

FROM_ENV_HELP = N_("take a config value from environment variable VAR (repeat); not set or "
                   "empty: exit 1, the value is never printed")
FROM_FILE_HELP = N_("take a config value from the file PATH, trailing line ends removed "
                    "(repeat; at most {kib} KiB; /dev/stdin reads a pipe); unreadable or "
                    "empty: exit 1, the value is never printed")


def add_value_options(parser: argparse.ArgumentParser, set_help: str) -> None:
    """Add `--set` (its help `set_help`), `--set-from-env` and `--set-from-file` to `parser`."""
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help=set_help)
    parser.add_argument("--set-from-env", action="append", default=[], metavar="KEY=VAR",
                        help=gettext(FROM_ENV_HELP))
    parser.add_argument("--set-from-file", action="append", default=[], metavar="KEY=PATH",
                        help=gettext(FROM_FILE_HELP).format(kib=MAX_VALUE_FILE_BYTES // 1024))


def gather_values(args: argparse.Namespace) -> dict[str, str]:
    """The config values of `--set`, `--set-from-env` and `--set-from-file`.

    A key given twice, a variable not set, a file that cannot be read: RefusedError naming the
    key and the variable or file, never the value.
    """
    values: dict[str, str] = {}

    def put(key: str, value: str) -> None:
        if key in values:
            raise RefusedError(msg("Config value '{key}' is given more than once; give each "
                                   "key once (--set, --set-from-env or --set-from-file).",
                                   key=key))
        values[key] = value

    for key, value in _pairs(args.set, "--set", "KEY=VALUE"):
        put(key, value)
    for key, name in _pairs(args.set_from_env, "--set-from-env", "KEY=VAR"):
        put(key, value_from_env(key, name))
    for key, path in _pairs(args.set_from_file, "--set-from-file", "KEY=PATH"):
        put(key, value_from_file(key, path))
    return values


def _pairs(pairs: Sequence[str], option: str, form: str) -> list[tuple[str, str]]:
    out = []
    for pair in pairs:
        key, sep, rest = pair.partition("=")
        key = key.strip()
        if not sep or not key or (option != "--set" and not rest):
            raise RefusedError(msg("'{pair}' is not a {option} value; write {form}.",
                                   pair=_inert(pair), option=option, form=form))
        out.append((key, rest))
    return out


def value_from_env(key: str, name: str) -> str:
    """The value of environment variable `name` for config key `key` (never empty)."""
    value = os.environ.get(name)
    where = f"(--set-from-env {_inert(key)}={_inert(name)})"
    if value is None:
        raise RefusedError(msg("The environment variable {name} is not set {where}.",
                               name=_inert(name), where=where))
    if not value:
        raise RefusedError(msg("The environment variable {name} is empty {where}.",
                               name=_inert(name), where=where))
    return value


def value_from_file(key: str, path: str) -> str:
    """The text of file `path` for config key `key`: UTF-8, at most `MAX_VALUE_FILE_BYTES`,
    trailing line ends removed (never empty)."""
    target = Path(path).expanduser()
    where = f"(--set-from-file {_inert(key)}=...)"
    try:
        with target.open("rb") as handle:
            data = handle.read(MAX_VALUE_FILE_BYTES + 1)
    except OSError as exc:
        raise RefusedError(msg("Cannot read {path} {where}: {reason}.", path=_inert(path),
                               where=where, reason=exc.strerror or type(exc).__name__)
                           ) from None
    if len(data) > MAX_VALUE_FILE_BYTES:
        raise RefusedError(msg("{path} is larger than {limit:,} bytes, the limit of a value "
                               "file {where}.", path=_inert(path), limit=MAX_VALUE_FILE_BYTES,
                               where=where))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise RefusedError(msg("{path} is not UTF-8 text {where}.", path=_inert(path),
                               where=where)) from None
    text = text.rstrip("\r\n")
    if not text:
        raise RefusedError(msg("{path} is empty {where}.", path=_inert(path), where=where))
    return text


def _inert(text: str) -> str:
    from erp_tui.cli.output import inert

    return inert(text[:200])


# ---- the connector's settings in `connections add/edit --help` --------------------------------

class ConnectorSettingsHelp(argparse.Action):
    """`-h/--help` of `connections add/edit`: the usual help, then the settings of the connector
    named by `--connector` (or, for `edit NAME`, the connection's connector)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: Any = argparse.SUPPRESS, help: str | None = None,
                 saved: bool = False) -> None:
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0,
                         help=help)
        self.saved = saved  # NAME is a saved connection (edit): its connector is looked up

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> NoReturn:
        parser.print_help()
        kind = getattr(namespace, "connector", None)
        name = getattr(namespace, "name", None)
        try:
            if not kind and name and self.saved:
                kind = _connector_of(name)
            if not kind:
                what = "NAME" if self.saved else "--connector KIND"
                print("\n" + localize(msg("Give {what} before --help to list the connector's "
                                          "settings.", what=what)))
                parser.exit(0)
            print()
            print_settings(kind)
        except ErpTuiError as exc:
            sys.stdout.flush()
            parser.exit(exc.exit_code, f"erp-tui: {exc.localized()}\n")
        parser.exit(0)


def _connector_of(name: str) -> str:
    from erp_tui.cli.commands import _ctx
    from erp_tui.services.connections import require_connection

    return require_connection(_ctx(), name).connector


def print_settings(kind: str) -> None:
    """Print the settings (config fields) of connector `kind`: key, label, type, mandatory,
    default, then each one's description and choices."""
    from erp_tui.cli.output import code_word, inert, print_table, say, yes_no
    from erp_tui.contract import field_in
    from erp_tui.registry import create_connector
    from erp_tui.services.connections import fields_of

    fields = [field_in(f, label_language()) for f in fields_of(create_connector(kind))]
    say(msg("settings of connector '{kind}':", kind=inert(kind)))
    print_table([{"key": f.key, "label": localize(f.label), "type": code_word(f.type.value),
                  "mandatory": yes_no(f.mandatory), "default": f.default} for f in fields],
                 ["key", "label", "type", "mandatory", "default"], indent=2)
    notes = [(f.key, _note(f)) for f in fields if _note(f)]
    if notes:
        print()
    for key, note in notes:
        print(textwrap.fill(inert(note), width=78, initial_indent=f"  {inert(key)}: ",
                            subsequent_indent="      "))
    print("\n" + gettext("Give each with --set KEY=VALUE, --set-from-env KEY=VAR or "
                         "--set-from-file KEY=PATH."))
    if any(f.type.value == "password" for f in fields):
        say(msg("Secrets (type password) are stored encrypted and never printed; a secret not "
                "given\nis asked for on a terminal."))


def _note(info: FieldInfo) -> str:
    choices = (localize(msg("Choices: {choices}.", choices=", ".join(info.options)))
               if info.options else "")
    return " ".join(part for part in (localize(info.description), choices) if part)
