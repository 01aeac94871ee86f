"""Where things are: the data directory, the sources directory, the search engine.

Resolution order (DESIGN.md): ``--sources DIR`` on the command line, else
``LINGONG_SOURCES``, else ``./sources``; the data directory is ``LINGONG_HOME``
(default ``~/.lingong``).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from aggregator.errors import ConfigError

#: The sample sources ``lingong demo`` harvests.
DEMO_SOURCES_DIR = Path(__file__).resolve().parent.parent / "connectors" / "samples" / "sources"


class Settings(BaseModel):
    """Resolved settings for one process."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home: Path
    sources_dir: Path
    search_backend: str = "embedded"
    batch_size: int = Field(default=200, ge=1)
    user_agent: str = "lingong/0.1 (federated gig-work search; +https://github.com/lingong/lingong)"

    @property
    def catalog_path(self) -> Path:
        return self.home / "catalog.sqlite3"

    @property
    def index_path(self) -> Path:
        return self.home / "index" / "embedded"

    @classmethod
    def load(cls, sources_dir: Path | None = None, home: Path | None = None) -> Settings:
        """Resolve from arguments, then the environment, then defaults; create the data directory."""
        home = home or Path(os.environ.get("LINGONG_HOME") or Path.home() / ".lingong")
        home = home.expanduser()
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create data directory {home} (LINGONG_HOME): {exc}") from exc
        src = sources_dir or Path(os.environ.get("LINGONG_SOURCES") or "sources")
        return cls(
            home=home,
            sources_dir=src.expanduser(),
            search_backend=os.environ.get("LINGONG_SEARCH_BACKEND")
            or ("elasticsearch" if os.environ.get("ELASTICSEARCH_URL") else "embedded"),
            batch_size=_int_env("LINGONG_BATCH_SIZE", 200),
        )


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value
