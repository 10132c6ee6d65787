"""Operations commands: `doctor` (check the set-up) and `completion` (shell completion)."""

from __future__ import annotations

import argparse

from erp_tui.cli.output import code_word, emit_json, say
from erp_tui.i18n import N_, gettext, localize, msg, msgn

# Marks of a check's status; each language's marks have one width.
MARKS = {"ok": N_("ok  "), "warn": N_("warn"), "fail": N_("FAIL")}


def cmd_doctor(args: argparse.Namespace) -> int:
    """Run every check; exit 0 when none failed, 1 otherwise."""
    from erp_tui.cli import commands
    from erp_tui.logs import current_file
    from erp_tui.services.doctor import passed, run_checks
    from erp_tui.settings import Settings

    settings = Settings(**commands.SETTINGS_OVERRIDES)
    checks = run_checks(settings, test_connections=not args.no_test, log_file=current_file())
    ok = passed(checks)
    if args.json:
        emit_json({"ok": ok, "checks": [c.as_dict() for c in checks]})
        return 0 if ok else 1
    import textwrap

    for check in checks:  # wrapped to 80 columns; --json has each message on one line
        subject = f" {localize(check.subject)}:" if check.subject else ":"
        mark = gettext(MARKS[check.status]) if check.status in MARKS else "?"
        print(textwrap.fill(f"[{mark}] {code_word(check.area)}{subject} "
                            f"{localize(check.message)}", width=80,
                            subsequent_indent=" " * (len(mark) + 3),
                            break_on_hyphens=False, break_long_words=False))
    failed = sum(c.status == "fail" for c in checks)
    say(msg("All checks passed.") if ok else
        msgn("{count} check(s) failed.", "{count} check(s) failed.", failed))
    return 0 if ok else 1


def cmd_completion(args: argparse.Namespace) -> int:
    """Print the completion script of `args.shell`, generated from the argument parser."""
    from erp_tui.cli import build_parser
    from erp_tui.cli.completion import script

    print(script(build_parser(), args.shell), end="")
    return 0
