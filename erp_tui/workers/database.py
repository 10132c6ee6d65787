"""The store's database as procrastinate sees it: a psycopg conninfo, and the queue's schema
applied once (safe when several workers start at once)."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from erp_tui import lock_spaces
from erp_tui.errors import RefusedError
from erp_tui.i18n import msg
from erp_tui.logs import logger

# The first key of every advisory lock the workers take; the second is 0 for applying the
# schema, else a worker's id (erp_tui.workers.liveness).
WORKER_LOCK_SPACE = lock_spaces.WORKERS
SCHEMA_LOCK_KEY = 0
# A function the installed procrastinate needs: present when its schema is current.
_CURRENT_SCHEMA_MARK = "procrastinate_retry_job_v2(bigint, timestamp with time zone, integer, " \
    "character varying, character varying)"
APPLICATION_NAME = "erp-tui worker"


def is_postgresql(url: str) -> bool:
    """True when the store at `url` is a PostgreSQL database."""
    return make_url(url).get_backend_name() == "postgresql"


def conninfo_of(url: str) -> str:
    """The libpq conninfo of a SQLAlchemy PostgreSQL URL (any driver), its query parameters
    (sslmode, host of a socket folder, ...) kept."""
    from psycopg.conninfo import make_conninfo

    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise RefusedError(msg("erp-tui worker needs a PostgreSQL store; on this store run "
                               "'erp-tui sync --every 5m' instead."))
    params: dict[str, str | int] = {"application_name": APPLICATION_NAME}
    for key, value in parsed.query.items():
        params[key] = value if isinstance(value, str) else ",".join(value)
    given = {"host": parsed.host, "port": parsed.port, "user": parsed.username,
             "password": parsed.password, "dbname": parsed.database}
    params.update({key: value for key, value in given.items() if value not in (None, "")})
    return make_conninfo("", **params)


def ensure_schema(conninfo: str) -> bool:
    """Apply procrastinate's schema unless it is there; returns True when it was applied.

    Workers starting at once queue on an advisory lock: the first applies the schema in one
    transaction, the others then find it. A schema of an older procrastinate is refused."""
    import psycopg
    from procrastinate.schema import SchemaManager

    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s, %s)", (WORKER_LOCK_SPACE, SCHEMA_LOCK_KEY))
        try:
            row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL, "
                               "to_regprocedure(%s) IS NOT NULL",
                               (_CURRENT_SCHEMA_MARK,)).fetchone()
            present, current = bool(row and row[0]), bool(row and row[1])
            if present and not current:
                raise RefusedError(msg("The job queue in this database was made by an older "
                                       "procrastinate; apply its migrations (procrastinate "
                                       "schema --migrations) before starting workers."))
            if present:
                return False
            with conn.transaction():
                conn.execute(SchemaManager.get_schema())
            logger.info("worker: applied the job queue's schema (procrastinate)")
            return True
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s, %s)",
                         (WORKER_LOCK_SPACE, SCHEMA_LOCK_KEY))
