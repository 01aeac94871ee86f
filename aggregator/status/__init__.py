"""The status page at ``/`` of ``lingong serve``: plain HTML + JS (no build step) over ``/v1/status``.

``register_status_routes(api, app_state)`` adds:

- ``GET /``: the page (``static/index.html``); it polls ``/v1/status`` and searches through ``/v1/search``;
- ``GET /status/static/…``: its script and style sheet;
- ``GET /v1/status``: every source with its health (:func:`aggregator.health.source_health`), failure
  streak, pause, last runs and quarantine count; the latest drift alarms; catalog counts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from aggregator.app import App
from aggregator.health import paused_until, source_health

STATIC = Path(__file__).resolve().parent / "static"

__all__ = ["register_status_routes", "status_document"]


def status_document(app_state: App, runs_per_source: int = 5) -> dict[str, Any]:
    """What the status page shows, as one JSON-able document."""
    catalog = app_state.catalog
    now = datetime.now(UTC)
    states = catalog.source_states()
    success = catalog.last_success()
    quarantined = catalog.quarantine_counts()
    sources = []
    for s in app_state.sources.sources.values():
        runs = catalog.runs(s.id, limit=runs_per_source)
        state = states.get(s.id) or catalog.source_state(s.id)
        paused = paused_until(state, now)
        sources.append({
            "id": s.id, "name": s.name, "connector": s.connector, "region": s.region, "enabled": s.enabled,
            "schedule": s.schedule, "window": s.window,
            "health": source_health(runs[0] if runs else None, state, now),
            "failure_streak": int(state["failures"] or 0),
            "paused_until": paused.isoformat() if paused else None,
            "paused_reason": state["paused_reason"] if paused else None,
            "last_success_at": success.get(s.id), "quarantined": quarantined.get(s.id, 0),
            "runs": [r.model_dump() for r in runs],
        })
    invalid = [{"file": str(e.path), "field": e.field, "reason": e.reason} for e in app_state.source_errors()]
    alarms = [{"source_id": r.source_id, "run_id": r.id, "started_at": r.started_at, "alarms": r.alarms}
              for r in catalog.alarmed_runs(limit=20)]
    return {"generated_at": now.isoformat(timespec="seconds"), "counts": catalog.counts(), "sources": sources,
            "alarms": alarms, "invalid_files": invalid}


def register_status_routes(api: FastAPI, app_state: App) -> None:
    """Add the status page and its JSON to the API application."""
    api.mount("/status/static", StaticFiles(directory=STATIC), name="status-static")

    @api.get("/", include_in_schema=False)
    async def status_page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    @api.get("/v1/status", summary="Operations status: source health, last runs, quarantine, drift alarms")
    async def status() -> dict[str, Any]:
        return status_document(app_state)
