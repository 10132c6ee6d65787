"""The engine's context: settings, database engine, secrets and connector instances.

UI and CLI build one `AppContext` and pass it to the services; nothing opens a database at import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from erp_tui.contract import Connector, FieldType, Result
from erp_tui.errors import ConnectorError
from erp_tui.i18n import msg
from erp_tui.model import Connection
from erp_tui.secrets import SecretBox
from erp_tui.settings import Settings

R = TypeVar("R", bound=Result)


@dataclass
class ConnectorHost:
    """Keeps one connector instance per kind and binds connections to their config values."""

    secrets: SecretBox
    _instances: dict[str, Connector] = field(default_factory=dict)
    _bound: dict[int, tuple[int, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def connector(self, kind: str) -> Connector:
        """The (shared) instance of connector `kind`."""
        from erp_tui.registry import create_connector

        with self._lock:
            if kind not in self._instances:
                self._instances[kind] = create_connector(kind)
            return self._instances[kind]

    def values_of(self, connection: Connection) -> dict[str, Any]:
        """The connection's config values with secrets decrypted (never show these)."""
        values = dict(connection.config)
        for key, token in connection.secrets.items():
            values[key] = self.secrets.decrypt(token)
        return values

    def for_connection(self, connection: Connection) -> Connector:
        """The connector of `connection`, bound to its current config values."""
        assert connection.id is not None
        connector = self.connector(connection.connector)
        stamp = (connection.version, connection.connector)
        if self._bound.get(connection.id) != stamp:
            values = self.values_of(connection)  # a key problem is named, not "failed"
            result = call(lambda: connector.create_connection(connection.id or 0, values),
                          Result)
            if not result.ok:
                raise ConnectorError(result.user_message or msg(
                    "The connector refused the connection's configuration."))
            self._bound[connection.id] = stamp
        return connector

    def forget(self, connection_id: int) -> None:
        """Drop the binding of a connection (after it is deleted or changed)."""
        self._bound.pop(connection_id, None)


def call(function: Callable[[], R], result_type: type[R]) -> R:
    """Call a connector method; an exception or a wrong answer becomes a failed result."""
    try:
        result = function()
    except Exception as exc:  # a connector must never take the engine down
        return result_type.failure(
            msg("The connector failed unexpectedly; see the log for details."),
            tech_message=f"{type(exc).__name__}: {exc}", error_code="connector_exception")
    if not isinstance(result, result_type):
        return result_type.failure(
            msg("The connector returned an answer of the wrong kind."),
            tech_message=f"expected {result_type.__name__}, got {type(result).__name__}",
            error_code="connector_bad_answer")
    return result


@dataclass
class AppContext:
    """Everything a service needs."""

    settings: Settings
    engine: Engine
    secrets: SecretBox
    connectors: ConnectorHost

    @classmethod
    def open(cls, settings: Settings | None = None) -> AppContext:
        """Open (and migrate) the store described by `settings`."""
        from erp_tui.db import open_engine

        settings = settings or Settings()
        engine = open_engine(settings.resolved_database_url())
        secrets = SecretBox.from_settings(settings.secret_key, settings.data_dir,
                                          _stored_secret(engine))
        context = cls(settings, engine, secrets, ConnectorHost(secrets))
        from erp_tui.crm_store import ensure_crm_lists

        with context.session() as session:
            ensure_crm_lists(session)
        return context

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work commits together, or not at all."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def language(self) -> str:
        return self.settings.resolved_language()


def _stored_secret(engine: Engine) -> str | None:
    """One encrypted secret of the store, or None when it holds none."""
    from sqlmodel import select

    with Session(engine) as session:
        for secrets in session.exec(select(Connection.secrets)):
            for token in (secrets or {}).values():
                return str(token)
    return None


def secret_keys(fields: list[Any]) -> set[str]:
    """Keys of password-type config fields."""
    return {f.key for f in fields if f.type is FieldType.PASSWORD}
