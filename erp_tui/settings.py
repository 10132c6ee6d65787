"""Application settings: one pydantic-settings model fed by `ERP_TUI_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path("erp-tui", appauthor=False)


class Settings(BaseSettings):
    """Where data lives and how the app talks.

    `ERP_TUI_DATA_DIR`, `ERP_TUI_DATABASE_URL`, `ERP_TUI_LANGUAGE`, `ERP_TUI_SECRET_KEY`.
    """

    model_config = SettingsConfigDict(env_prefix="ERP_TUI_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str = ""
    language: str = ""
    # A Fernet key (urlsafe base64, 32 bytes); when empty a key file in data_dir is used.
    secret_key: str = ""

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'erp-tui.sqlite'}"

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
