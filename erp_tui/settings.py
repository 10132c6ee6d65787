"""Application settings: one pydantic-settings model fed by `ERP_TUI_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from erp_tui.logs import default_log_dir


def _default_data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path("erp-tui", appauthor=False)


class Settings(BaseSettings):
    """Where data lives and how the app talks.

    `ERP_TUI_DATA_DIR`, `ERP_TUI_DATABASE_URL`, `ERP_TUI_LANGUAGE`, `ERP_TUI_SECRET_KEY`,
    `ERP_TUI_LOG_DIR`, `ERP_TUI_LOG_LEVEL`.
    """

    model_config = SettingsConfigDict(env_prefix="ERP_TUI_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str = ""
    language: str = ""
    # A Fernet key (urlsafe base64, 32 bytes); when empty a key file in data_dir is used.
    secret_key: str = ""
    # The rotating log file's folder and level (DEBUG, INFO, WARNING, ERROR).
    log_dir: Path = Field(default_factory=default_log_dir)
    log_level: str = "INFO"

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'erp-tui.sqlite'}"

    def check_paths(self) -> None:
        """Refuse an explicit data directory or SQLite file whose parent folder is missing.

        Only the default data directory is created on first use: a mistyped `--db` or
        `--data-dir` must not leave an empty store somewhere and report "no connections".
        """
        from erp_tui.errors import NotFoundError
        from erp_tui.i18n import msg

        if "data_dir" in self.model_fields_set:
            parent = self.data_dir.expanduser().absolute().parent
            if not parent.is_dir():
                raise NotFoundError(msg("The data directory's parent folder {folder} does not "
                                        "exist; create it first or fix --data-dir / "
                                        "ERP_TUI_DATA_DIR.", folder=str(parent)))
        sqlite_file = self.sqlite_file() if self.database_url else None
        if sqlite_file is not None and not sqlite_file.parent.is_dir():
            raise NotFoundError(msg("The folder {folder} of the database file does not exist; "
                                    "create it first or fix --db / ERP_TUI_DATABASE_URL.",
                                    folder=str(sqlite_file.parent)))

    def sqlite_file(self) -> Path | None:
        """The store's SQLite file, or None when the store is not a SQLite file."""
        url = self.resolved_database_url()
        if not url.startswith("sqlite"):
            return None
        from sqlalchemy.engine import make_url

        database = make_url(url).database or ""
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Path(database).expanduser().absolute()

    def resolved_language(self) -> str:
        """`en` or `nl`: explicit setting first, then the locale, then English."""
        if self.language:
            return "nl" if self.language.lower().startswith("nl") else "en"
        import os

        for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
            value = os.environ.get(name, "")
            if value:
                return "nl" if value.lower().startswith("nl") else "en"
        return "en"
