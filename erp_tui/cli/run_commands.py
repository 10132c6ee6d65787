"""CLI commands of the runner: sync, log, retry, resync, link, disconnect, create-in-erp."""

from __future__ import annotations

import argparse
import re
import sys
import time
from typing import TYPE_CHECKING, Any

from erp_tui.cli.commands import _ctx, _parse_pairs
from erp_tui.cli.output import emit_json, print_table
from erp_tui.errors import RefusedError

if TYPE_CHECKING:
    from erp_tui.runner import ProgressEvent, RunReport


def _interval(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match:
        raise RefusedError(f"'{text}' is not an interval; write e.g. 30s, 5m, 1h.")
    factor = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    seconds = float(match.group(1)) * factor
    if seconds < 1:
        raise RefusedError("The interval must be at least one second.")
    return seconds


class _Progress:
    """Progress on a terminal (one rewritten line on stderr); nothing when piped."""

    def __init__(self) -> None:
        self.live = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, event: ProgressEvent) -> None:
        if not self.live:
            return
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        c = event.counts
        bar = ""
        if event.fraction is not None:
            filled = int(event.fraction * 20)
            bar = f"[{'#' * filled}{'.' * (20 - filled)}] "
        sys.stderr.write(f"\r{event.connection} · {event.actor_type} · {event.phase} {bar}"
                         f"{c.created} created {c.updated} updated {c.pushed} pushed "
                         f"{c.errors} errors\x1b[K")
        sys.stderr.flush()

    def done(self) -> None:
        if self.live:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _line(report: RunReport) -> str:
    c = report.counts
    what = "dry run" if report.dry_run else f"run {report.run_id}"
    return (f"{report.connection}: {what} {report.status} in {report.seconds:.2f} s — "
            f"{c.created} created, {c.updated} updated, {c.pushed} pushed to ERP, "
            f"{c.unchanged} unchanged, {c.deleted} deleted in ERP, {c.conflicts} conflicts, "
            f"{c.errors} errors")


def cmd_sync(args: argparse.Namespace) -> int:
    import signal
    import threading

    from erp_tui.runner import RunOptions, run_sync

    ctx = _ctx()
    cancel = threading.Event()

    def stop(_signum: int, _frame: Any) -> None:
        cancel.set()

    signal.signal(signal.SIGTERM, stop)
    every = _interval(args.every) if args.every else None
    worst = 0
    while True:
        progress = _Progress()
        options = RunOptions(dry_run=args.dry_run, timeout=args.timeout, cancel=cancel,
                             progress=progress)
        try:
            reports = run_sync(ctx, args.names or None, options)
        except KeyboardInterrupt:
            cancel.set()
            progress.done()
            print("erp-tui: interrupted; every finished batch is kept, the rest runs next "
                  "time.", file=sys.stderr)
            return 130
        progress.done()
        if args.json:
            emit_json([r.as_dict() for r in reports])
        else:
            for report in reports:
                stamp = time.strftime("%Y-%m-%d %H:%M:%S")
                print(f"{stamp} {_line(report)}" if every else _line(report), flush=True)
                if args.dry_run:
                    _print_changes(report)
        if any(r.counts.errors for r in reports):
            worst = 1
        if every is None or cancel.is_set():
            return worst
        if cancel.wait(every):
            return worst


def _print_changes(report: RunReport) -> None:
    for change in report.changes[:200]:
        target = f"CRM {change.crm_id}" if change.crm_id else "new CRM record"
        if change.field == "!":
            print(f"  ! {change.actor_type} {change.erp_key}: {change.new}")
        elif change.field == "*":
            print(f"  + {change.actor_type} {change.erp_key} → {target}")
        else:
            arrow = "→ CRM" if change.direction == ">" else "→ ERP"
            mark = " (conflict)" if change.conflict else ""
            print(f"  ~ {change.actor_type} {change.erp_key} {change.field} {arrow}: "
                  f"{change.old!r} → {change.new!r}{mark}")
    if len(report.changes) > 200:
        print(f"  ... and {len(report.changes) - 200} more (use --json for all kept changes)")


def cmd_log(args: argparse.Namespace) -> int:
    from erp_tui.runner import open_errors, recent_runs, run_changes

    ctx = _ctx()
    if args.errors:
        errors = open_errors(ctx, args.name, limit=args.limit)
        rows = [{"id": e.id, "run": e.run_id, "actor": e.actor_type, "erp_key": e.erp_key,
                 "crm_id": e.crm_id, "dir": e.direction, "message": e.message} for e in errors]
        if args.json:
            emit_json(rows)
        elif not rows:
            print("No open errors.")
        else:
            print_table(rows, ["id", "run", "actor", "erp_key", "crm_id", "dir", "message"])
        return 0
    if args.run is not None:
        changes = run_changes(ctx, args.run, limit=args.limit)
        rows = [{"at": ch.at.isoformat(timespec="seconds"), "actor": ch.actor_type,
                 "erp_key": ch.erp_key, "crm_id": ch.crm_id, "field": ch.field,
                 "dir": ch.direction, "old": ch.old_value, "new": ch.new_value,
                 "conflict": ch.conflict} for ch in changes]
        if args.json:
            emit_json(rows)
        else:
            print_table(rows, ["at", "actor", "erp_key", "crm_id", "field", "dir", "old", "new",
                               "conflict"])
        return 0
    runs = recent_runs(ctx, args.name, limit=args.limit)
    rows = [{"id": r.id, "kind": r.kind, "started": r.started.isoformat(timespec="seconds"),
             "status": r.status, "created": r.created, "updated": r.updated,
             "pushed": r.pushed, "unchanged": r.unchanged, "deleted": r.deleted,
             "conflicts": r.conflicts, "errors": r.errors, "message": r.message} for r in runs]
    if args.json:
        emit_json(rows)
    elif not rows:
        print("No runs yet. Start one with 'erp-tui sync'.")
    else:
        print_table(rows, ["id", "kind", "started", "status", "created", "updated", "pushed",
                           "deleted", "conflicts", "errors"])
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    from erp_tui.runner import retry_errors

    resolved, failing = retry_errors(_ctx(), args.name, args.error or None)
    print(f"Retried: {resolved} resolved, {failing} still failing.")
    return 0 if failing == 0 else 1


def cmd_resync(args: argparse.Namespace) -> int:
    from erp_tui.runner import resync_from_crm

    report = resync_from_crm(_ctx(), args.name, args.actor, args.key or None)
    print(_line(report))
    return 0 if report.counts.errors == 0 else 1


def cmd_link(args: argparse.Namespace) -> int:
    from erp_tui.runner.linking import link_record

    link_record(_ctx(), args.name, args.actor, args.erp_key, args.crm_id)
    print(f"Linked ERP {args.actor} {args.erp_key} with CRM record {args.crm_id} and synced "
          "them.")
    return 0


def cmd_disconnect(args: argparse.Namespace) -> int:
    from erp_tui.runner.linking import disconnect

    disconnect(_ctx(), args.name, args.actor, args.erp_key)
    print(f"Disconnected ERP {args.actor} {args.erp_key}; no data was changed on either side.")
    return 0


def cmd_create_in_erp(args: argparse.Namespace) -> int:
    from erp_tui.runner.linking import create_in_erp

    key = create_in_erp(_ctx(), args.name, args.actor, args.crm_id,
                        _parse_pairs(args.answer, "an answer"))
    print(f"Created ERP {args.actor} {key} from CRM record {args.crm_id} and linked them.")
    return 0
