"""The log file: one rotating file in the platform's log directory, never a secret in it.

Commands and the UI write to the `erp_tui` logger; `setup` sends it to
`<log dir>/erp-tui.log` (rotated at 1 MB, five old files kept). The page-reader process
appends to the same file (`setup_child`). Importing this module stays cheap (logging,
platformdirs): `erp-tui --help` shows the path.
"""

from __future__ import annotations

import logging
import os
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_FILE_NAME = "erp-tui.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"
# Set for the page-reader process, which appends to the parent's file.
CHILD_FILE_ENV = "ERP_TUI_LOG_FILE"
LEVEL_ENV = "ERP_TUI_LOG_LEVEL"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

logger = logging.getLogger("erp_tui")
_current: Path | None = None

# user:password@ in URLs, and key=value / key: value pairs whose key names a secret.
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+(?=@)", re.I)
_SECRET_PAIR = re.compile(
    r"(?P<head>\b[\w.-]*(?:password|passwd|secret|token|api[_-]?key|apikey)[\w.-]*"
    r"['\"]?\s*[=:]\s*['\"]?)[^\s'\",;&}]+", re.I)
MASK = "******"


def default_log_dir() -> Path:
    """The platform's log directory for erp-tui (e.g. ~/.local/state/erp-tui/log)."""
    from platformdirs import user_log_path

    return user_log_path("erp-tui", appauthor=False)


def log_file_hint() -> Path:
    """Where the log file is written by default (`ERP_TUI_LOG_DIR` or the platform's)."""
    folder = os.environ.get("ERP_TUI_LOG_DIR")
    return (Path(folder).expanduser() if folder else default_log_dir()) / LOG_FILE_NAME


def redact(text: str) -> str:
    """`text` with passwords in URLs and values of secret-named keys masked."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    return _SECRET_PAIR.sub(lambda m: m.group("head") + MASK, text)


class _Redact(logging.Filter):
    """Masks secrets in every record before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = redact(message), None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def level_of(text: str | None, debug: bool = False) -> int:
    """The logging level named by `text` (DEBUG, INFO, WARNING, ERROR); INFO when unknown."""
    if debug:
        return logging.DEBUG
    name = (text or "INFO").strip().upper()
    return getattr(logging, name) if name in LEVELS else logging.INFO


def _attach(handler: logging.Handler, level: int) -> None:
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(_Redact())
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


def setup(log_dir: Path, level: int = logging.INFO) -> Path | None:
    """Log to `log_dir`/erp-tui.log from now on; returns the file, or None when the folder
    cannot be written (a command never fails for its log; `doctor` reports it)."""
    global _current
    path = log_dir.expanduser() / LOG_FILE_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                      encoding="utf-8")
    except OSError:
        _current = None
        return None
    _attach(handler, level)
    _current = path
    return path


def current_file() -> Path | None:
    """The file this process logs to (None when logging is not set up)."""
    return _current


def child_environment() -> dict[str, str]:
    """Environment entries that make a child process log to this process's file."""
    if _current is None:
        return {}
    return {CHILD_FILE_ENV: str(_current), LEVEL_ENV: logging.getLevelName(logger.level)}


def setup_child() -> None:
    """In the page-reader process: append to the parent's log file, if it has one."""
    global _current
    name = os.environ.get(CHILD_FILE_ENV)
    if not name:
        return
    try:
        handler = logging.FileHandler(name, encoding="utf-8")
    except OSError:
        return
    _attach(handler, level_of(os.environ.get(LEVEL_ENV)))
    _current = Path(name)
