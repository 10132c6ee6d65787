"""CLI commands of the runner: sync, log, retry, resync, link, disconnect, create-in-erp."""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from erp_tui.cli.commands import _ctx, _parse_pairs, actor_name, actor_names
from erp_tui.cli.output import code_word, emit_json, emit_json_line, print_table, say
from erp_tui.errors import RefusedError
from erp_tui.i18n import gettext, localize, msg, msgn
from erp_tui.sync_marks import ChangeKind

if TYPE_CHECKING:
    from erp_tui.context import AppContext
    from erp_tui.runner import Change, Counts, LoggedRun, ProgressEvent, RunReport


def _interval(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match:
        raise RefusedError(msg("'{text}' is not an interval; write e.g. 30s, 5m, 1h.",
                               text=text))
    factor = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    seconds = float(match.group(1)) * factor
    if seconds < 1:
        raise RefusedError(msg("The interval must be at least one second."))
    return seconds


class _Progress:
    """Progress on a terminal (one rewritten line on stderr); nothing when piped."""

    def __init__(self, ctx: AppContext) -> None:
        self.live = sys.stderr.isatty()
        self.last = 0.0
        self.ctx = ctx
        self.name: Callable[[str, str], str] | None = None

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
        counts = localize(msg("{created} created {updated} updated {pushed} pushed {errors} "
                              "errors", created=c.created, updated=c.updated,
                              pushed=c.pushed, errors=c.errors))
        if self.name is None:
            self.name = _namer(self.ctx)
        actor = self.name(event.connection, event.actor_type)
        sys.stderr.write(f"\r{event.connection} · {actor} · "
                         f"{localize(event.phase)} {bar}{counts}\x1b[K")
        sys.stderr.flush()

    def done(self) -> None:
        if self.live:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


WIDTH = 80


def _counts_text(c: Counts) -> str:
    parts = [localize(text) for n, text in (
        (c.created, msg("{count:,} created", count=c.created)),
        (c.updated, msg("{count:,} updated", count=c.updated)),
        (c.pushed, msg("{count:,} pushed to ERP", count=c.pushed)),
        (c.deleted, msg("{count:,} deleted in ERP", count=c.deleted)),
        (c.conflicts, msg("{count:,} conflicts", count=c.conflicts))) if n]
    return ", ".join(parts) or gettext("no changes")


def _fit(text: str, width: int = WIDTH) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _line(report: RunReport, stamp: str = "") -> str:
    """One line per connection and run (at most 80 columns; a long name is shortened)."""
    from erp_tui.runner.service import status_text

    c = report.counts
    status = status_text(report.status, c.errors)
    tail = ": " + localize(
        msg("dry run {status} in {seconds:.1f} s — {counts}", status=status,
            seconds=report.seconds, counts=_counts_text(c)) if report.dry_run else
        msg("run {id} {status} in {seconds:.1f} s — {counts}", id=report.run_id,
            status=status, seconds=report.seconds, counts=_counts_text(c)))
    head = f"{stamp} " if stamp else ""
    room = WIDTH - len(head) - len(tail)
    name = report.connection
    if len(name) > max(room, 12):
        name = name[:max(room, 12) - 1] + "…"
    return _fit(head + name + tail)


def _actor_line(actor: str, counts: Counts) -> str:
    """An actor type's counts; `actor` is its name as shown (`_namer`)."""
    errors = ", " + localize(msgn("{count:,} error", "{count:,} errors", counts.errors)) \
        if counts.errors else ""
    return _fit(f"  {actor}: {_counts_text(counts)}{errors}")


def _namer(ctx: AppContext) -> Callable[[str, str], str]:
    """(connection name, actor type key) -> the actor type's name in the user's language."""
    from erp_tui.runner.run_log import connection_names

    names = actor_names(ctx)
    ids = {name: cid for cid, name in connection_names(ctx).items()}
    return lambda connection, actor: actor_name(names, ids.get(connection, 0), actor)


def cmd_sync(args: argparse.Namespace) -> int:
    import signal
    import threading

    from erp_tui.runner import RunOptions, run_sync

    if args.limit < 0:
        raise RefusedError(msg("--limit cannot be negative."))
    ctx = _ctx()
    cancel = threading.Event()

    def stop(_signum: int, _frame: Any) -> None:
        cancel.set()

    signal.signal(signal.SIGTERM, stop)
    every = _interval(args.every) if args.every else None
    worst = 0
    while True:
        progress = _Progress(ctx)
        options = RunOptions(dry_run=args.dry_run, timeout=args.timeout, cancel=cancel,
                             progress=progress)
        try:
            reports = run_sync(ctx, args.names or None, options)
        except KeyboardInterrupt:
            cancel.set()
            progress.done()
            say(msg("erp-tui: interrupted; every finished batch is kept, the rest runs next "
                    "time."), file=sys.stderr)
            return 130
        progress.done()
        if args.json and every:
            for report in reports:  # JSON Lines: one object per connection and run
                emit_json_line(report.as_dict())
        elif args.json:
            emit_json([r.as_dict() for r in reports])
        else:
            name = _namer(ctx)
            for report in reports:
                stamp = time.strftime("%Y-%m-%d %H:%M:%S") if every else ""
                print(_line(report, stamp), flush=True)
                if every:
                    continue
                for actor, counts in report.actors.items():
                    print(_actor_line(name(report.connection, actor), counts))
                    if args.dry_run:
                        _print_changes(report, actor, args.limit)
                if report.message:
                    print(_fit("  " + localize(msg("Note: {message}",
                                                   message=report.message))))
            ids = [str(r.run_id) for r in reports if r.run_id]
            if not every and ids:
                also = " " + localize(msg("(runs {ids})", ids=", ".join(ids))) \
                    if len(ids) > 1 else ""
                print(_fit(localize(msg("Field changes and created records: erp-tui log --run "
                                        "{id}", id=ids[0])) + also))
        if any(r.counts.errors for r in reports):
            worst = 1
        if every is None or cancel.is_set():
            return worst
        try:
            if cancel.wait(every):
                return worst
        except KeyboardInterrupt:
            say(msg("erp-tui: stopped between runs; no run was interrupted."), file=sys.stderr)
            return 130


def _change_text(change: Change) -> str:
    target = f"CRM {change.crm_id}" if change.crm_id else gettext("new CRM record")
    if change.field == ChangeKind.ERROR:
        text = f"    ! {change.erp_key or gettext('(batch)')}: {localize(change.new)}"
    elif change.field == ChangeKind.RECORD:
        text = f"    + {change.erp_key} → {target}"
    else:
        arrow = "→ CRM" if change.direction == ">" else "→ ERP"
        mark = " " + gettext("(conflict)") if change.conflict else ""
        text = (f"    ~ {change.erp_key} {change.field} {arrow}{mark}: {change.old!r} → "
                f"{change.new!r}")
    return _fit(text)


def _print_changes(report: RunReport, actor: str, limit: int) -> None:
    """At most `limit` of an actor type's intended changes, and how many more there are."""
    mine = [c for c in report.changes if c.actor_type == actor]
    for change in mine[:limit]:
        print(_change_text(change))
    counts = report.actors.get(actor)
    total = len(mine)
    if counts is not None:  # every change is counted, the first ones are kept
        total = max(total, counts.created + counts.updated + counts.pushed + counts.deleted
                    + counts.errors)
    if total > limit:
        say(msg("    … and {count:,} more (--limit N shows more; --json lists them all)",
                count=total - min(limit, len(mine))))


def _run_row(run: LoggedRun, names: dict[int, str]) -> dict[str, Any]:
    from erp_tui.runner.service import status_text

    return {"id": run.id, "connection": names.get(run.connection_id, "?"), "kind": run.kind,
            "started": run.started.isoformat(timespec="seconds"),
            "ended": run.ended.isoformat(timespec="seconds") if run.ended else None,
            "status": run.status, "status_text": status_text(run.status, run.errors),
            "created": run.created, "updated": run.updated, "pushed": run.pushed,
            "unchanged": run.unchanged, "deleted": run.deleted, "conflicts": run.conflicts,
            "errors": run.errors, "message": run.message, "host": run.host, "pid": run.pid,
            "last_seen": run.last_seen.isoformat(timespec="seconds") if run.last_seen else None}


def cmd_log(args: argparse.Namespace) -> int:
    from erp_tui.runner.run_log import connection_names, open_errors, recent_runs

    if args.limit < 1 or args.offset < 0:
        raise RefusedError(msg("--limit must be at least 1 and --offset at least 0."))
    ctx = _ctx()
    names = connection_names(ctx)
    if args.errors:
        errors = open_errors(ctx, args.name, limit=args.limit)
        rows = [{"id": e.id, "run": e.run_id, "connection": names.get(e.connection_id, "?"),
                 "actor": e.actor_type, "erp_key": e.erp_key, "crm_id": e.crm_id,
                 "dir": e.direction, "message": e.message} for e in errors]
        if args.json:
            emit_json(rows)
        elif not rows:
            say(msg("No open errors."))
        else:
            actors = actor_names(ctx)
            print_table([{**row, "actor": actor_name(actors, e.connection_id, e.actor_type)}
                         for row, e in zip(rows, errors, strict=True)],
                        ["id", "run", "connection", "actor", "erp_key", "crm_id", "dir",
                         "message"])
        return 0
    if args.run is not None:
        return _log_run(ctx, args, names)
    runs = recent_runs(ctx, args.name, limit=args.limit)
    rows = [_run_row(r, names) for r in runs]
    if args.json:
        emit_json(rows)
    elif not rows:
        say(msg("No runs yet. Start one with 'erp-tui sync'."))
    else:
        print_table([{"id": row["id"], "connection": row["connection"],
                      "kind": code_word(run.kind),
                      "started": run.started.strftime("%Y-%m-%d %H:%M"),
                      "status": row["status_text"], "new": row["created"],
                      "upd": row["updated"], "push": row["pushed"], "err": row["errors"]}
                     for run, row in zip(runs, rows, strict=True)],
                    ["id", "connection", "kind", "started", "status", "new", "upd", "push",
                     "err"])
        for run in runs:  # when and where the process of an interrupted run was last seen
            if run.status == "interrupted" and run.message:
                print(textwrap.fill(localize(msg("Run {id}: {message}", id=run.id,
                                                 message=run.message)), WIDTH,
                                    subsequent_indent="  "))
    return 0


def _log_run(ctx: AppContext, args: argparse.Namespace, names: dict[int, str]) -> int:
    """One run: its summary, a page of its field changes and of the records it created."""
    from erp_tui.runner.run_log import count_changes, created_links, get_run, run_changes

    run = get_run(ctx, args.run)
    total = count_changes(ctx, run.id)
    changes = run_changes(ctx, run.id, offset=args.offset, limit=args.limit)
    created = created_links(ctx, run.id, offset=args.offset, limit=args.limit)
    change_rows = [{"at": ch.at.isoformat(timespec="seconds"), "actor": ch.actor_type,
                    "erp_key": ch.erp_key, "crm_id": ch.crm_id, "field": ch.field,
                    "dir": ch.direction, "old": ch.old_value, "new": ch.new_value,
                    "conflict": ch.conflict} for ch in changes]
    created_rows = [{"actor": link.actor_type, "erp_key": link.erp_key,
                     "crm_entity": link.crm_entity, "crm_id": link.crm_id} for link in created]
    if args.json:
        emit_json({"run": _run_row(run, names), "offset": args.offset,
                   "changes_total": total, "changes": change_rows,
                   "created_total": run.created, "created": created_rows})
        return 0
    row = _run_row(run, names)
    started = run.started.strftime("%Y-%m-%d %H:%M")
    say(msg("Run {id} · {connection} · {kind} · {status} · started {started} UTC", id=run.id,
            connection=row["connection"], kind=code_word(run.kind), status=row["status_text"],
            started=started))
    say(msg("  {created:,} created, {updated:,} updated, {pushed:,} pushed to ERP, "
            "{unchanged:,} unchanged,", created=run.created, updated=run.updated,
            pushed=run.pushed, unchanged=run.unchanged))
    say(msg("  {deleted:,} deleted in ERP, {conflicts:,} conflicts, {errors:,} errors",
            deleted=run.deleted, conflicts=run.conflicts, errors=run.errors))
    if run.message and not run.message.startswith(str(row["status_text"])):
        print("  " + localize(msg("Note: {message}", message=run.message)))
    actors = actor_names(ctx)

    def named(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**r, "actor": actor_name(actors, run.connection_id, r["actor"]),
                 **({"crm_entity": code_word(r["crm_entity"])} if "crm_entity" in r else {})}
                for r in rows]

    _page(msg("Field changes"), named(change_rows), total, args,
          ["actor", "erp_key", "crm_id", "field", "dir", "old", "new", "conflict"])
    _page(msg("Created records"), named(created_rows), run.created, args,
          ["actor", "erp_key", "crm_entity", "crm_id"])
    if run.errors:
        say(msg("Errors of this run that are still open: erp-tui log --errors '{connection}'",
                connection=row["connection"]))
    return 0


def _page(title: str, rows: list[dict[str, Any]], total: int, args: argparse.Namespace,
          columns: list[str]) -> None:
    print()
    if not total:
        say(msg("{title}: none.", title=title))
        return
    first = args.offset + 1
    last = args.offset + len(rows)
    say(msg("{title}: {first:,}-{last:,} of {total:,}", title=title, first=first, last=last,
            total=total) if rows else
        msg("{title}: {total:,} (none from row {first:,} on)", title=title, total=total,
            first=first))
    if rows:
        print_table(rows, columns, indent=2)
    more = total - last
    if rows and more > 0:
        limit = f" --limit {args.limit}" if args.limit != 20 else ""
        say(msg("  … {count:,} more: erp-tui log --run {run} --offset {last}{limit}",
                count=more, run=args.run, last=last, limit=limit))


def cmd_retry(args: argparse.Namespace) -> int:
    from erp_tui.runner import retry_errors

    resolved, failing = retry_errors(_ctx(), args.name, args.error or None)
    say(msg("Retried: {resolved} resolved, {failing} still failing.", resolved=resolved,
            failing=failing))
    return 0 if failing == 0 else 1


def cmd_resync(args: argparse.Namespace) -> int:
    from erp_tui.runner import RunOptions, resync_from_crm, resync_from_erp

    ctx = _ctx()
    if args.source == "erp":
        progress = _Progress(ctx)
        try:
            report = resync_from_erp(ctx, args.name, args.actor, args.key or None,
                                     RunOptions(progress=progress))
        finally:
            progress.done()
    else:
        report = resync_from_crm(ctx, args.name, args.actor, args.key or None)
    print(_line(report))
    name = _namer(ctx)
    for actor, counts in report.actors.items():
        print(_actor_line(name(report.connection, actor), counts))
    return 0 if report.counts.errors == 0 else 1


def cmd_link(args: argparse.Namespace) -> int:
    from erp_tui.runner.linking import link_record

    link_record(_ctx(), args.name, args.actor, args.erp_key, args.crm_id)
    say(msg("Linked ERP {actor} {key} with CRM record {id} and synced them.",
            actor=args.actor, key=args.erp_key, id=args.crm_id))
    return 0


def cmd_disconnect(args: argparse.Namespace) -> int:
    from erp_tui.runner.linking import disconnect

    disconnect(_ctx(), args.name, args.actor, args.erp_key)
    say(msg("Disconnected ERP {actor} {key}; no data was changed on either side.",
            actor=args.actor, key=args.erp_key))
    return 0


def cmd_create_in_erp(args: argparse.Namespace) -> int:
    from erp_tui.runner.linking import create_in_erp

    key = create_in_erp(_ctx(), args.name, args.actor, args.crm_id,
                        _parse_pairs(args.answer, msg("an answer")))
    say(msg("Created ERP {actor} {key} from CRM record {id} and linked them.",
            actor=args.actor, key=key, id=args.crm_id))
    return 0
