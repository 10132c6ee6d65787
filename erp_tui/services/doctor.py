"""`erp-tui doctor`: the checks an operator runs first, as plain results.

Store reachable and migrated; secret key present and able to decrypt the stored secrets (never
replaced: a missing key file is not created here); data directory and file permissions; the log
file; every installed connector loads; each active connection's test; who holds a run lock;
runs interrupted or long running; open record errors and the last run per connection.
`run_checks` never raises: whatever goes wrong is a failed check.
"""

from __future__ import annotations

import os
import stat
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from erp_tui.context import AppContext
    from erp_tui.model import Connection
    from erp_tui.settings import Settings

OK, WARN, FAIL = "ok", "warn", "fail"
# A run still "running" after this long is reported as long running.
LONG_RUN = timedelta(hours=1)
MESSAGE_MAX = 300


@dataclass(frozen=True)
class Check:
    """One check: `area` (store, secret_key, data_dir, log_file, connector, connection, lock,
    runs, errors, last_run), what it is about (`subject`: a connector kind, a connection's
    name, or empty), `status` ok / warn / fail and one sentence."""

    area: str
    subject: str
    status: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def passed(checks: list[Check]) -> bool:
    """True when no check failed (warnings pass)."""
    return all(c.status != FAIL for c in checks)


def _short(text: object) -> str:
    from erp_tui.logs import redact

    line = " ".join(str(text).split())
    line = redact(line)
    return line if len(line) <= MESSAGE_MAX else line[:MESSAGE_MAX - 1] + "…"


def run_checks(settings: Settings, *, test_connections: bool = True,
               log_file: Path | None = None) -> list[Check]:
    """Every check, in the order an operator reads them."""
    checks: list[Check] = []
    checks.append(_check_data_dir(settings))
    checks.append(_check_log_file(settings, log_file))
    checks.extend(_check_connectors())
    ctx, store_checks = _open_store(settings)
    checks.extend(store_checks)
    if ctx is None:
        return checks
    try:
        key_check, readable = _check_secret_key(ctx, settings)
        checks.append(key_check)
        checks.extend(_check_connections(ctx, readable, test_connections))
    except Exception as exc:  # a broken store must not hide the checks already made
        checks.append(Check("store", "", FAIL, _short(f"The store could not be read: "
                                                      f"{type(exc).__name__}: {exc}")))
    finally:
        ctx.engine.dispose()
    return checks


# ---- files ----------------------------------------------------------------------------------

def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _check_data_dir(settings: Settings) -> Check:
    folder = settings.data_dir.expanduser()
    if not folder.exists():
        return Check("data_dir", "", WARN, f"The data directory {folder} does not exist yet; "
                     "it is created on first use.")
    if not folder.is_dir():
        return Check("data_dir", "", FAIL, f"{folder} is not a folder; fix --data-dir / "
                     "ERP_TUI_DATA_DIR.")
    if not os.access(folder, os.W_OK | os.X_OK):
        return Check("data_dir", "", FAIL, f"The data directory {folder} is not writable by "
                     "this user.")
    loose = [p for p in (folder, *(folder / n for n in ("secret.key", "erp-tui.sqlite")))
             if p.exists() and _mode(p) & 0o022]
    if loose:
        return Check("data_dir", "", FAIL, f"{loose[0]} is writable by others (mode "
                     f"{_mode(loose[0]):o}); run 'chmod go-w {loose[0]}'.")
    return Check("data_dir", "", OK, f"The data directory {folder} is writable.")


def _check_log_file(settings: Settings, log_file: Path | None) -> Check:
    from erp_tui.logs import LOG_FILE_NAME

    path = log_file or settings.log_dir.expanduser() / LOG_FILE_NAME
    folder = path.parent
    writable = (os.access(path, os.W_OK) if path.exists()
                else folder.is_dir() and os.access(folder, os.W_OK | os.X_OK))
    if not writable and not path.exists() and not folder.exists():
        parent = next((p for p in folder.parents if p.exists()), None)
        writable = parent is not None and os.access(parent, os.W_OK | os.X_OK)
    if not writable:
        return Check("log_file", "", FAIL, f"The log file {path} cannot be written; set "
                     "ERP_TUI_LOG_DIR to a writable folder.")
    return Check("log_file", "", OK, f"Logging to {path} (level {settings.log_level.upper()}).")


# ---- connectors -----------------------------------------------------------------------------

def _check_connectors() -> list[Check]:
    from erp_tui.services.connector_choices import connector_choices

    try:
        found = connector_choices()
    except Exception as exc:
        return [Check("connector", "", FAIL, _short(f"The installed connectors cannot be "
                                                    f"listed: {type(exc).__name__}: {exc}"))]
    checks = []
    for choice in found:
        if choice.broken:  # a broken plugin is named, never fatal
            checks.append(Check("connector", choice.kind, FAIL, _short(
                f"Cannot be loaded from {choice.target} ({choice.origin}): {choice.broken}")))
        else:
            checks.append(Check("connector", choice.kind, OK, _short(
                f"{choice.label} loads ({choice.origin}).")))
    return checks


# ---- store and key --------------------------------------------------------------------------

def shown(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(an unreadable URL)"


def _open_store(settings: Settings) -> tuple[AppContext | None, list[Check]]:
    """The store, migrated like every command does; no key file is created here."""
    from erp_tui.context import AppContext, ConnectorHost
    from erp_tui.db import current_revision, head_revision, make_engine, upgrade
    from erp_tui.errors import ErpTuiError
    from erp_tui.secrets import SecretBox, new_key

    try:
        settings.check_paths()
    except ErpTuiError as exc:
        return None, [Check("store", "", FAIL, str(exc))]
    url = settings.resolved_database_url()
    try:
        engine = make_engine(url)
        before = current_revision(engine)
        head = head_revision()
        if before != head:
            upgrade(engine)
    except Exception as exc:
        reason = getattr(exc, "orig", None) or exc
        return None, [Check("store", "", FAIL, _short(
            f"The store {shown(url)} cannot be used: {reason}; check --db / "
            "ERP_TUI_DATABASE_URL."))]
    if before == head:
        check = Check("store", "", OK, f"The store {shown(url)} is reachable and at the "
                      f"current migration ({head}).")
    elif before is None:
        check = Check("store", "", OK, f"The store {shown(url)} was empty; its tables were "
                      f"created (migration {head}).")
    else:
        check = Check("store", "", OK, f"The store {shown(url)} was upgraded from migration "
                      f"{before} to {head}.")
    # A throw-away key until the real one is checked: nothing here writes a key file.
    box = SecretBox(new_key().encode())
    return AppContext(settings, engine, box, ConnectorHost(box)), [check]


def _check_secret_key(ctx: AppContext, settings: Settings) -> tuple[Check, bool]:
    """Whether the configured key decrypts every stored secret; installs it in `ctx`."""
    from sqlmodel import select

    from erp_tui.errors import ErpTuiError
    from erp_tui.model import Connection
    from erp_tui.secrets import KEY_FILE_NAME, SecretBox

    with ctx.session() as session:
        stored = [(c.name, c.secrets) for c in session.exec(select(Connection)) if c.secrets]
    key_file = settings.data_dir.expanduser() / KEY_FILE_NAME
    if settings.secret_key:
        source = "ERP_TUI_SECRET_KEY"
        try:
            box = SecretBox(settings.secret_key.encode())
        except ValueError:
            return Check("secret_key", "", FAIL, "ERP_TUI_SECRET_KEY is not a valid key; "
                         "generate one with 'erp-tui secret-key'."), False
    elif not key_file.exists():
        if stored:
            return Check("secret_key", "", FAIL, f"The key file {key_file} is missing, so the "
                         f"stored secrets of {len(stored)} connection(s) cannot be decrypted; "
                         "restore it from a backup or set ERP_TUI_SECRET_KEY (a new key would "
                         "not open them)."), False
        return Check("secret_key", "", OK, f"No secrets are stored yet; the key file "
                     f"{key_file} is created when the first one is saved."), True
    else:
        source = f"the key file {key_file}"
        mode = _mode(key_file)
        if mode & 0o077:
            return Check("secret_key", "", FAIL, f"The key file {key_file} is readable by "
                         f"others (mode {mode:o}); run 'chmod 600 {key_file}'."), False
        try:
            box = SecretBox(key_file.read_bytes().strip())
        except (OSError, ValueError) as exc:
            return Check("secret_key", "", FAIL, _short(
                f"The key file {key_file} is not a usable key ({type(exc).__name__}); "
                "restore it from a backup or set ERP_TUI_SECRET_KEY.")), False
    unreadable = []
    for name, secrets in stored:
        try:
            for token in secrets.values():
                box.decrypt(token)
        except ErpTuiError:
            unreadable.append(name)
    ctx.secrets = box
    ctx.connectors.secrets = box
    if unreadable:
        names = ", ".join(unreadable[:3]) + (" …" if len(unreadable) > 3 else "")
        return Check("secret_key", "", FAIL, _short(
            f"The secret key ({source}) cannot decrypt the stored secrets of "
            f"{len(unreadable)} connection(s) ({names}): it is not the key they were saved "
            "with (a key from another machine, or a new one). Restore the original key, or "
            "enter those passwords again.")), False
    return Check("secret_key", "", OK, f"The secret key ({source}) decrypts the stored "
                 f"secrets of {len(stored)} connection(s)."), True


# ---- connections ----------------------------------------------------------------------------

def _check_connections(ctx: AppContext, secrets_readable: bool, test: bool) -> list[Check]:
    from sqlalchemy import func, select
    from sqlmodel import col
    from sqlmodel import select as sm_select

    from erp_tui.model import Connection, SyncError, SyncRun

    errors_table = SyncError.__table__  # type: ignore[attr-defined]
    runs_table = SyncRun.__table__  # type: ignore[attr-defined]
    with ctx.session() as session:
        connections = sorted(session.exec(sm_select(Connection)),
                             key=lambda c: (not c.active, c.priority, c.name))
        open_errors: dict[int, int] = {row[0]: int(row[1]) for row in session.execute(
            select(errors_table.c.connection_id, func.count()).where(
                errors_table.c.resolved.is_(False)).group_by(errors_table.c.connection_id))}
        last_ids = [row[0] for row in session.execute(
            select(func.max(runs_table.c.id)).group_by(runs_table.c.connection_id))]
        last_runs = {r.connection_id: r for r in session.exec(
            sm_select(SyncRun).where(col(SyncRun.id).in_(last_ids or [0])))}
        running = list(session.exec(sm_select(SyncRun).where(SyncRun.status == "running")))
    if not connections:
        return [Check("connection", "", WARN, "There are no connections yet; add one (or "
                      "try 'erp-tui demo').")]
    checks: list[Check] = []
    for connection in connections:
        checks.append(_connection_test(ctx, connection, secrets_readable, test))
        checks.append(_lock_check(ctx, connection, running))
        errors = open_errors.get(connection.id or 0, 0)
        checks.append(Check("errors", connection.name, WARN if errors else OK,
                            f"{errors} open record error(s); 'erp-tui log --errors' lists "
                            "them." if errors else "No open record errors."))
        last = last_runs.get(connection.id or 0)
        checks.append(Check("last_run", connection.name, OK if last is None or
                            last.status in ("finished", "running") else WARN,
                            _last_run_text(last)))
    return checks


def _connection_test(ctx: AppContext, connection: Connection, secrets_readable: bool,
                     test: bool) -> Check:
    from erp_tui.services.connections import test_connection

    if not connection.active:
        return Check("connection", connection.name, OK, "Inactive: not tested.")
    if connection.secrets and not secrets_readable:
        return Check("connection", connection.name, FAIL, "Not tested: its secrets cannot be "
                     "decrypted with the current key.")
    if not test:
        return Check("connection", connection.name, OK, "Active; not tested (--no-test).")
    try:
        result = test_connection(ctx, connection.name)
    except Exception as exc:
        return Check("connection", connection.name, FAIL, _short(
            f"The test could not run: {type(exc).__name__}: {exc}"))
    if result.ok:
        return Check("connection", connection.name, OK, "Active; the connection test passed.")
    return Check("connection", connection.name, FAIL, _short(
        f"Active, but the connection test failed: {result.user_message or 'no reason given'}"))


def _lock_check(ctx: AppContext, connection: Connection, running: list[Any]) -> Check:
    """Who holds the connection's run lock (on any host of a PostgreSQL store); runs still
    recorded as running while nobody holds it were interrupted (`erp-tui log` marks them)."""
    from erp_tui.runner.lock import lock_holder

    holder = lock_holder(ctx.engine, ctx.settings.data_dir, connection.id or 0)
    mine = [r for r in running if r.connection_id == connection.id]
    now = datetime.now(UTC)
    if holder is None:
        if mine:
            ids = ", ".join(str(r.id) for r in mine[:5])
            return Check("lock", connection.name, WARN, f"Run(s) {ids} were interrupted (still "
                         "marked running, but no process holds the lock); the next sync "
                         "carries on where they stopped.")
        return Check("lock", connection.name, OK, "No run is in progress.")
    who = holder.text().strip() or "(another process)"
    started = [_aware(r.started) for r in mine]
    if started and now - min(started) > LONG_RUN:
        minutes = int((now - min(started)).total_seconds() // 60)
        return Check("lock", connection.name, WARN, f"Being synced {who} for {minutes} "
                     "minutes (long running).")
    return Check("lock", connection.name, OK, f"Being synced now {who}.")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _last_run_text(run: Any) -> str:
    from erp_tui.runner.service import status_text

    if run is None:
        return "Never synced."
    when = _aware(run.started).strftime("%Y-%m-%d %H:%M UTC")
    return f"Run {run.id} ({run.kind}) {when}: {status_text(run.status, run.errors)}."
