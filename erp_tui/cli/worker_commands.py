"""`erp-tui worker`: a sync worker on a PostgreSQL store (erp_tui.workers)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from erp_tui.cli import commands
from erp_tui.cli.commands import _ctx
from erp_tui.cli.run_commands import _fit, _interval, _line
from erp_tui.i18n import N_, gettext, localize, msg

if TYPE_CHECKING:
    from erp_tui.workers.app import JobOutcome

HELP = N_("run a sync worker on a PostgreSQL store: workers on any hosts share the syncs of "
           "the active connections in priority order (SIGTERM or SIGHUP: finish the batch, "
           "stop)")


def register(command: Callable[[str, Callable[[argparse.Namespace], int], str],
                               argparse.ArgumentParser]) -> None:
    """Add `worker` to the parser (`command` as in erp_tui.cli.build_parser)."""
    p = command("worker", cmd_worker, gettext(HELP))
    p.add_argument("--every", default="5m", metavar="INTERVAL", help=gettext(
        "queue a sync of every active connection every INTERVAL, on the clock (30s, 5m, 1h, "
        "1d: it must divide a minute, an hour or a day; default 5m); workers with the same "
        "INTERVAL queue each sync once"))
    p.add_argument("--concurrency", type=int, default=1, metavar="N", help=gettext(
        "syncs this worker runs at once, each of another connection (default 1)"))


def cmd_worker(args: argparse.Namespace) -> int:
    from erp_tui.settings import Settings
    from erp_tui.workers.runtime import WorkerPlan, check_store, prepare, run_worker

    # A SQLite store is refused before it is opened (or created).
    check_store(Settings(**commands.SETTINGS_OVERRIDES).resolved_database_url())
    plan = WorkerPlan(every=_interval(args.every), concurrency=args.concurrency)
    ctx = _ctx()
    conninfo = prepare(ctx, plan)
    print(_fit(localize(msg("erp-tui worker {name}: started (queues syncs every {every}, runs "
                            "{count} at a time).", name=plan.name, every=args.every,
                            count=plan.concurrency))), flush=True)
    run_worker(ctx, plan, conninfo, _print_outcome)
    print(localize(msg("erp-tui worker {name} stopped.", name=plan.name)), flush=True)
    return 0


def _print_outcome(outcome: JobOutcome) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    if outcome.report is not None:
        print(_line(outcome.report, stamp), flush=True)
    if outcome.note:  # whole: it may name the host and process holding the connection
        print(f"{stamp} {outcome.connection}: {localize(outcome.note)}", flush=True)
