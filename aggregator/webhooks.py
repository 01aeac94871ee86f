"""Alerts to a webhook: a built-in ``lingong_harvest_finished`` plugin, plus :func:`post_alert`.

Set ``LINGONG_ALERT_WEBHOOK`` to a URL and lingong POSTs a JSON object to it when a run raises drift
alarms (``{"kind": "drift_alarm", "source_id", "run_id", "alarms", "run"}``) and, from the scheduler,
when a source is paused by the circuit breaker (``{"kind": "source_paused", …}``). A webhook that
fails is logged; it never breaks a harvest.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import httpx

from aggregator.hookspecs import hookimpl
from aggregator.logs import event
from aggregator.runs import HarvestRun
from aggregator.schema import SourceDefinition

log = logging.getLogger(__name__)

ENV = "LINGONG_ALERT_WEBHOOK"


def post_alert(payload: dict[str, Any], url: str | None = None, timeout: float = 5.0) -> bool:
    """POST ``payload`` as JSON to ``url`` (default ``$LINGONG_ALERT_WEBHOOK``); True when it was accepted."""
    url = url or os.environ.get(ENV)
    if not url:
        return False
    try:
        response = httpx.post(url, json=payload, timeout=timeout,
                              headers={"User-Agent": "lingong-alerts/0.1"})
        response.raise_for_status()
    except httpx.HTTPError as exc:
        event(log, "webhook_failed", logging.WARNING, url=url, kind=payload.get("kind"), error=str(exc))
        return False
    return True


@hookimpl
def lingong_harvest_finished(run: HarvestRun, source: SourceDefinition) -> None:
    if run.alarms:
        post_alert({"kind": "drift_alarm", "source_id": source.id, "source_name": source.name, "run_id": run.id,
                    "alarms": run.alarms, "run": run.model_dump()})
