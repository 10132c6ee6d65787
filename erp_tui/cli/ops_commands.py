"""Operations commands: `doctor` (check the set-up) and `completion` (shell completion)."""

from __future__ import annotations

import argparse

from erp_tui.cli.output import emit_json

MARKS = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


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
        subject = f" {check.subject}:" if check.subject else ":"
        print(textwrap.fill(f"[{MARKS.get(check.status, '?')}] {check.area}{subject} "
                            f"{check.message}", width=80, subsequent_indent=" " * 7,
                            break_on_hyphens=False, break_long_words=False))
    failed = sum(c.status == "fail" for c in checks)
    print("All checks passed." if ok else f"{failed} check(s) failed.")
    return 0 if ok else 1


def cmd_completion(args: argparse.Namespace) -> int:
    """Print the completion script of `args.shell`, generated from the argument parser."""
    from erp_tui.cli import build_parser
    from erp_tui.cli.completion import script

    print(script(build_parser(), args.shell), end="")
    return 0
