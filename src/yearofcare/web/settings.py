"""Settings of the web app (`yoc serve`, `yoc users`, `yoc datapack`)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from yearofcare.config import ConfigModel

STATE_DIR = "webapp"
STATE_FILE = "app.sqlite"


def default_state_file(data_dir: Path) -> Path:
    """App state (users, sessions, audit) sits beside the store, never inside its tables."""
    data_dir = Path(data_dir).resolve()
    return data_dir.parent / f"{data_dir.name}-{STATE_DIR}" / STATE_FILE


class WebSettings(ConfigModel):
    """How the app runs: where the store and app state are, and its security limits."""

    config_name: ClassVar[str] = "web settings"
    config_hint: ClassVar[str | None] = "see `yoc serve --help`"

    data_dir: Path
    engine: Literal["duckdb", "spark"] = "duckdb"
    state_file: Path
    key_file: Path | None = None  # linkage key, needed only for re-identification
    secure_cookies: bool = True
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_max_hours: int = Field(default=12, ge=1, le=24 * 7)
    api_token_days: int = Field(default=90, ge=1, le=366)
    login_failures_allowed: int = Field(default=5, ge=1, le=100)
    login_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    upload_max_bytes: int = Field(default=5_000_000, ge=1_000, le=200_000_000)
    disclosure_threshold: int = Field(default=10, ge=1)
    disclosure_rounding: int = Field(default=5, ge=1)
