"""``HarvestRun``: what one harvest of one source did."""

from __future__ import annotations

from pydantic import BaseModel


class HarvestRun(BaseModel):
    """Counters and outcome of one run. ``status``: running, ok, failed or interrupted."""

    id: int
    source_id: str
    mode: str  # full | incremental
    started_at: str
    finished_at: str | None = None
    status: str = "running"
    pid: int | None = None
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0
    quarantined: int = 0
    error: str | None = None
