"""``HarvestRun``: what one harvest of one source did."""

from __future__ import annotations

from pydantic import BaseModel, Field


class HarvestRun(BaseModel):
    """Counters and outcome of one run.

    ``status``: running, ok, failed or interrupted (stopped at a safe point by SIGTERM, or its process died).
    ``alarms`` are drift alarms against the source's own history (:mod:`aggregator.health`); a run with
    alarms is ``ok`` but closes nothing. ``missing_rate`` is the share of mapped fields that came back empty.
    ``transient`` says the failure was a :class:`~aggregator.errors.Transient` one (worth retrying).
    """

    id: int
    source_id: str
    mode: str  # full | incremental | replay
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
    duplicates: int = 0
    requests: int = 0
    duration_s: float | None = None
    missing_rate: float | None = None
    alarms: list[str] = Field(default_factory=list)
    transient: bool = False
    error: str | None = None
