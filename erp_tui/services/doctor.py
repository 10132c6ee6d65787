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

from erp_tui.i18n import Msg, msg, msgn

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
    """`text` on one line, secrets masked, bounded; a message stays one where it can."""
    line = _short_line(str(text))
    if not isinstance(text, Msg) or line == text:
        return text if isinstance(text, Msg) else line
    if text.plural:
        return line
    shortened = _with_params(text, {key: _short_line(value) for key, value in text.params.items()
                                if isinstance(value, str) and not isinstance(value, Msg)})
    return shortened if shortened == line else line


def _with_params(message: Msg, params: dict[str, object]) -> Msg:
    """`message` with some of its parameters replaced."""
    return Msg(message.template, {**message.params, **params})


def _short_line(text: str) -> str:
    from erp_tui.logs import redact

    line = redact(" ".join(text.split()))
    return line if len(line) <= MESSAGE_MAX else line[:MESSAGE_MAX - 1] + "…"


def _failure(exc: Exception) -> str:
    """An unexpected exception as "Kind: message"."""
    return f"{type(exc).__name__}: {exc}"


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
        checks.append(Check("store", "", FAIL, _short(msg("The store could not be read: "
                                                          "{reason}", reason=_failure(exc)))))
    finally:
        ctx.engine.dispose()
    return checks


# ---- files ----------------------------------------------------------------------------------

def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _check_data_dir(settings: Settings) -> Check:
    folder = settings.data_dir.expanduser()
    if not folder.exists():
        return Check("data_dir", "", WARN, msg("The data directory {folder} does not exist "
                                               "yet; it is created on first use.",
                                               folder=str(folder)))
    if not folder.is_dir():
        return Check("data_dir", "", FAIL, msg("{folder} is not a folder; fix --data-dir / "
                                               "ERP_TUI_DATA_DIR.", folder=str(folder)))
    if not os.access(folder, os.W_OK | os.X_OK):
        return Check("data_dir", "", FAIL, msg("The data directory {folder} is not writable "
                                               "by this user.", folder=str(folder)))
    loose = [p for p in (folder, *(folder / n for n in ("secret.key", "erp-tui.sqlite")))
             if p.exists() and _mode(p) & 0o022]
    if loose:
        return Check("data_dir", "", FAIL, msg("{path} is writable by others (mode {mode}); "
                                               "run 'chmod go-w {path}'.", path=str(loose[0]),
                                               mode=format(_mode(loose[0]), "o")))
    return Check("data_dir", "", OK, msg("The data directory {folder} is writable.",
                                         folder=str(folder)))


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
        return Check("log_file", "", FAIL, msg("The log file {path} cannot be written; set "
                                               "ERP_TUI_LOG_DIR to a writable folder.",
                                               path=str(path)))
    return Check("log_file", "", OK, msg("Logging to {path} (level {level}).", path=str(path),
                                         level=settings.log_level.upper()))


# ---- connectors -----------------------------------------------------------------------------

def _check_connectors() -> list[Check]:
    from erp_tui.services.connector_choices import connector_choices

    try:
        found = connector_choices()
    except Exception as exc:
        return [Check("connector", "", FAIL, _short(msg("The installed connectors cannot be "
                                                        "listed: {reason}",
                                                        reason=_failure(exc))))]
    checks = []
    for choice in found:
        if choice.broken:  # a broken plugin is named, never fatal
            checks.append(Check("connector", choice.kind, FAIL, _short(msg(
                "Cannot be loaded from {target} ({origin}): {reason}", target=choice.target,
                origin=choice.origin, reason=choice.broken))))
        else:
            checks.append(Check("connector", choice.kind, OK, _short(msg(
                "{label} loads ({origin}).", label=choice.label, origin=choice.origin))))
    return checks


# ---- store and key --------------------------------------------------------------------------

def shown(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return msg("(an unreadable URL)")


def _open_store(settings: Settings) -> tuple[AppContext | None, list[Check]]:
    """The store, migrated like every command does; no key file is created here."""
    from erp_tui.context import AppContext, ConnectorHost
    from erp_tui.db import current_revision, head_revision, make_engine, upgrade
    from erp_tui.errors import ErpTuiError
    from erp_tui.secrets import SecretBox, new_key

    try:
        settings.check_paths()
    except ErpTuiError as exc:
        return None, [Check("store", "", FAIL, exc.args[0] if len(exc.args) == 1 else str(exc))]
    url = settings.resolved_database_url()
    try:
        engine = make_engine(url)
        before = current_revision(engine)
        head = head_revision()
        if before != head:
            upgrade(engine)
    except Exception as exc:
        reason = getattr(exc, "orig", None) or exc
        return None, [Check("store", "", FAIL, _short(msg(
            "The store {url} cannot be used: {reason}; check --db / ERP_TUI_DATABASE_URL.",
            url=shown(url), reason=str(reason))))]
    if before == head:
        check = Check("store", "", OK, msg("The store {url} is reachable and at the current "
                                           "migration ({head}).", url=shown(url), head=head))
    elif before is None:
        check = Check("store", "", OK, msg("The store {url} was empty; its tables were created "
                                           "(migration {head}).", url=shown(url), head=head))
    else:
        check = Check("store", "", OK, msg("The store {url} was upgraded from migration "
                                           "{before} to {head}.", url=shown(url),
                                           before=before, head=head))
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
            return Check("secret_key", "", FAIL, msg("ERP_TUI_SECRET_KEY is not a valid key; "
                                                     "generate one with 'erp-tui "
                                                     "secret-key'.")), False
    elif not key_file.exists():
        if stored:
            return Check("secret_key", "", FAIL, msgn(
                "The key file {path} is missing, so the stored secrets of {count} "
                "connection cannot be decrypted; restore it from a backup or set "
                "ERP_TUI_SECRET_KEY (a new key would not open them).",
                "The key file {path} is missing, so the stored secrets of {count} "
                "connections cannot be decrypted; restore it from a backup or set "
                "ERP_TUI_SECRET_KEY (a new key would not open them).",
                len(stored), path=str(key_file))), False
        return Check("secret_key", "", OK, msg("No secrets are stored yet; the key file "
                                               "{path} is created when the first one is "
                                               "saved.", path=str(key_file))), True
    else:
        source = msg("the key file {path}", path=str(key_file))
        mode = _mode(key_file)
        if mode & 0o077:
            return Check("secret_key", "", FAIL, msg(
                "The key file {path} is readable by others (mode {mode}); run 'chmod 600 "
                "{path}'.", path=str(key_file), mode=format(mode, "o"))), False
        try:
            box = SecretBox(key_file.read_bytes().strip())
        except (OSError, ValueError) as exc:
            return Check("secret_key", "", FAIL, _short(msg(
                "The key file {path} is not a usable key ({kind}); restore it from a backup "
                "or set ERP_TUI_SECRET_KEY.", path=str(key_file),
                kind=type(exc).__name__))), False
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
        return Check("secret_key", "", FAIL, _short(msgn(
            "The secret key ({source}) cannot decrypt the stored secrets of {count} "
            "connection ({names}): it is not the key they were saved with (a key from "
            "another machine, or a new one). Restore the original key, or enter those "
            "passwords again.",
            "The secret key ({source}) cannot decrypt the stored secrets of {count} "
            "connections ({names}): it is not the key they were saved with (a key from "
            "another machine, or a new one). Restore the original key, or enter those "
            "passwords again.", len(unreadable), source=source, names=names))), False
    return Check("secret_key", "", OK, msgn(
        "The secret key ({source}) decrypts the stored secrets of {count} connection.",
        "The secret key ({source}) decrypts the stored secrets of {count} connections.",
        len(stored), source=source)), True


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
        return [Check("connection", "", WARN, msg("There are no connections yet; add one (or "
                                                  "try 'erp-tui demo')."))]
    checks: list[Check] = []
    for connection in connections:
        checks.append(_connection_test(ctx, connection, secrets_readable, test))
        checks.append(_lock_check(ctx, connection, running))
        errors = open_errors.get(connection.id or 0, 0)
        checks.append(Check("errors", connection.name, WARN if errors else OK,
                            msgn("{count} open record error; 'erp-tui log --errors' lists "
                                 "it.", "{count} open record errors; 'erp-tui log "
                                 "--errors' lists them.", errors)
                            if errors else msg("No open record errors.")))
        last = last_runs.get(connection.id or 0)
        checks.append(Check("last_run", connection.name, OK if last is None or
                            last.status in ("finished", "running") else WARN,
                            _last_run_text(last)))
    return checks


def _connection_test(ctx: AppContext, connection: Connection, secrets_readable: bool,
                     test: bool) -> Check:
    from erp_tui.services.connections import test_connection

    if not connection.active:
        return Check("connection", connection.name, OK, msg("Inactive: not tested."))
    if connection.secrets and not secrets_readable:
        return Check("connection", connection.name, FAIL, msg(
            "Not tested: its secrets cannot be decrypted with the current key."))
    if not test:
        return Check("connection", connection.name, OK, msg("Active; not tested (--no-test)."))
    try:
        result = test_connection(ctx, connection.name)
    except Exception as exc:
        return Check("connection", connection.name, FAIL, _short(msg(
            "The test could not run: {reason}", reason=_failure(exc))))
    if result.ok:
        return Check("connection", connection.name, OK,
                     msg("Active; the connection test passed."))
    return Check("connection", connection.name, FAIL, _short(msg(
        "Active, but the connection test failed: {reason}",
        reason=result.user_message or msg("no reason given"))))


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
            return Check("lock", connection.name, WARN, msg(
                "Run(s) {ids} were interrupted (still marked running, but no process holds "
                "the lock); the next sync carries on where they stopped.", ids=ids))
        return Check("lock", connection.name, OK, msg("No run is in progress."))
    who = holder.who() or msg("another process")
    started = [_aware(r.started) for r in mine]
    if started and now - min(started) > LONG_RUN:
        minutes = int((now - min(started)).total_seconds() // 60)
        return Check("lock", connection.name, WARN, msg(
            "Being synced ({who}) for {minutes} minutes (long running).", who=who,
            minutes=minutes))
    return Check("lock", connection.name, OK, msg("Being synced now ({who}).", who=who))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _last_run_text(run: Any) -> str:
    from erp_tui.runner.service import status_text

    if run is None:
        return msg("Never synced.")
    when = _aware(run.started).strftime("%Y-%m-%d %H:%M UTC")
    return msg("Run {id} ({kind}) {when}: {status}.", id=run.id, kind=run.kind, when=when,
               status=status_text(run.status, run.errors))
