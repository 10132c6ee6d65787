"""The settings of a SQL connection: the fields the user fills in and their checked form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from erp_tui.connectors.base import (
    Refusal,
    as_bool,
    as_settings,
    as_whole,
    page_size_setting,
    read_only_setting,
    setting,
)
from erp_tui.contract import ActorPage, FieldAccess, FieldInfo, FieldType
from erp_tui.i18n import N_, msg

DEFAULT_PAGE_SIZE = 5000
"""Most actors read from the database in one call unless the connection says otherwise."""


@dataclass(frozen=True)
class SqlSettings:
    """The checked settings of one connection."""

    url: URL
    password: str
    descriptor: Path
    page_size: int
    read_only: bool
    state_url: str

    @property
    def safe_url(self) -> str:
        """The URL with its password hidden, for messages."""
        return self.url.render_as_string(hide_password=True)


def settings_fields() -> list[FieldInfo]:
    """The fields needed to define a SQL connection."""
    T = FieldType
    return [
        setting("url", "Database URL",
                "SQLAlchemy URL, e.g. postgresql+psycopg://erp@db.example/erp, "
                "mysql+pymysql://erp@db/erp or sqlite:////path/erp.sqlite. "
                "Leave the password out: use the Password field.",
                ("Database-URL",
                 "SQLAlchemy-URL, bijv. postgresql+psycopg://erp@db.example/erp, "
                 "mysql+pymysql://erp@db/erp of sqlite:////pad/erp.sqlite. "
                 "Laat het wachtwoord weg: gebruik het veld Wachtwoord."),
                type=T.TEXT, access=FieldAccess.MANDATORY),
        setting("password", "Password",
                "Database password, put into the URL when connecting.",
                ("Wachtwoord", "Wachtwoord van de database; bij het verbinden in de URL gezet."),
                type=T.PASSWORD),
        setting("descriptor", "Descriptor file",
                "Path of the YAML file mapping actor types to tables "
                "(erp-tui connector scaffold-sql writes a first one).",
                ("Descriptorbestand",
                 "Pad van het YAML-bestand dat actortypen aan tabellen koppelt "
                 "(erp-tui connector scaffold-sql schrijft een eerste versie)."),
                type=T.TEXT, access=FieldAccess.MANDATORY),
        page_size_setting("the database", DEFAULT_PAGE_SIZE),
        read_only_setting("the database"),
        setting("state_url", "State database URL",
                "Where fingerprints of tables without a last-modified column "
                "are kept (default: a SQLite file next to the descriptor).",
                ("URL van de statusdatabase",
                 "Waar vingerafdrukken van tabellen zonder kolom 'laatst gewijzigd' worden "
                 "bewaard (standaard: een SQLite-bestand naast de descriptor)."),
                type=T.TEXT),
    ]


def parse_settings(values: Mapping[str, Any]) -> SqlSettings:
    """Check and normalise config values; raises Refusal with one clear sentence."""
    values = as_settings(values)
    raw_url = str(values.get("url") or "").strip()
    if not raw_url:
        raise Refusal(msg("Fill in the database URL (for example "
                          "postgresql+psycopg://user@host/database)."), "config")
    password = values.get("password") or ""
    if not isinstance(password, str):
        raise Refusal(msg("The password must be text."), "config")
    try:
        url = make_url(raw_url)
    except (ArgumentError, ValueError):
        raise Refusal(msg("The database URL is not a valid SQLAlchemy URL "
                          "(dialect+driver://user@host/database)."), "config") from None
    if password:
        url = url.set(password=password)
    descriptor = str(values.get("descriptor") or "").strip()
    if not descriptor:
        raise Refusal(msg("Fill in the path of the descriptor file."), "config")
    descriptor_path = Path(descriptor).expanduser().resolve()
    page_size = as_whole(values.get("page_size"), N_("Page size"), DEFAULT_PAGE_SIZE, 1,
                         ActorPage.MAX_ROWS)
    read_only = as_bool(values.get("read_only"), N_("Read only"))
    state_url = str(values.get("state_url") or "").strip()
    if not state_url:
        state_path = descriptor_path.with_name(descriptor_path.stem + ".state.sqlite")
        state_url = f"sqlite:///{state_path}"
    return SqlSettings(url=url, password=password, descriptor=descriptor_path,
                       page_size=page_size, read_only=read_only, state_url=state_url)

