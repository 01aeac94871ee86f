"""Source health: drift alarms against a source's own history, and the circuit breaker.

**Drift.** A site that changes its layout rarely fails outright: it returns fewer records, or records
whose fields no longer map. After every harvest, :func:`check_drift` compares the run with the
source's own recent good runs (``ok``, no alarms, after its ``baseline_run_id``) and raises alarms:

- ``zero_postings``: a full run read nothing where it usually reads some;
- ``count_drop``: a full run read less than ``count_drop`` of the usual (median) count;
- ``quarantine_jump``: the share of records quarantined rose by ``rate_jump`` or more;
- ``missing_fields_jump``: the share of mapped fields that came back empty rose by ``rate_jump`` or more.

An alarming run stores what it read but closes nothing and keeps the old cursor (the pipeline sees to
that), and its alarms go to the log, to ``lingong_harvest_finished`` (``run.alarms``) and to the
webhook (:mod:`aggregator.webhooks`). Alarming runs never join the baseline, so a broken layout keeps
alarming; ``lingong sources resume ID`` accepts the source's present state as its new normal.

**Circuit breaker.** :func:`record_outcome` counts a source's consecutive failed slots (a scheduled
run with its retries); at ``failures_to_pause`` it pauses the source for ``cooldown_s``. After the
cool-down one trial run is let through: success closes the breaker, failure pauses it again.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from aggregator.catalog import Catalog
from aggregator.errors import Transient
from aggregator.runs import HarvestRun
from aggregator.schema import RawPosting

ALARM_CODES = ("zero_postings", "count_drop", "quarantine_jump", "missing_fields_jump")


@dataclass(frozen=True)
class DriftPolicy:
    """Thresholds of the drift alarms (rates are absolute shares, 0.2 = twenty points)."""

    history: int = 5          # good runs the baseline is the median of
    count_drop: float = 0.5   # alarm below this share of the usual count
    rate_jump: float = 0.2    # alarm when a rate rises this much above its usual value
    min_usual: int = 5        # count alarms need a usual count of at least this many records


@dataclass(frozen=True)
class BreakerPolicy:
    """When a failing source is paused, and for how long."""

    failures_to_pause: int = 3
    cooldown_s: float = 3600.0


def is_transient(exc: BaseException) -> bool:
    """Worth retrying? Decided from the type: our ``Transient`` marker, or a network-level httpx error."""
    return isinstance(exc, Transient | httpx.TransportError)


class FieldCoverage:
    """Counts mapped fields that came back empty, over the records of one run."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.fields = [f for f in mapping if f != "native_id"]
        self.expected = 0
        self.missing = 0

    def add(self, items: Iterable[object]) -> None:
        for item in items:
            if isinstance(item, RawPosting):
                self.expected += len(self.fields)
                self.missing += sum(1 for f in self.fields if not item.fields.get(f))

    @property
    def rate(self) -> float | None:
        return round(self.missing / self.expected, 4) if self.expected else None


def _quarantine_rate(run: HarvestRun) -> float | None:
    return run.quarantined / run.fetched if run.fetched else None


def drift_alarms(run: HarvestRun, baseline: list[HarvestRun], policy: DriftPolicy = DriftPolicy()) -> list[str]:
    """Alarms of ``run`` against ``baseline`` (the source's recent good runs); empty without a baseline."""
    alarms: list[str] = []
    full = [r for r in baseline if r.mode == "full"]
    if run.mode == "full" and full:
        usual = statistics.median(r.fetched for r in full)
        if usual >= policy.min_usual:
            if run.fetched == 0:
                alarms.append(f"zero_postings: read 0 records, usually {usual:g}")
            elif run.fetched < policy.count_drop * usual:
                alarms.append(f"count_drop: read {run.fetched} records, usually {usual:g} "
                              f"({run.fetched / usual - 1:+.0%})")
    q_now = _quarantine_rate(run)
    q_hist = [q for q in map(_quarantine_rate, baseline) if q is not None]
    if q_now is not None and q_hist:
        usual_q = statistics.median(q_hist)
        if q_now - usual_q >= policy.rate_jump:
            alarms.append(f"quarantine_jump: {q_now:.0%} of records quarantined, usually {usual_q:.0%}")
    m_hist = [r.missing_rate for r in baseline if r.missing_rate is not None]
    if run.missing_rate is not None and m_hist:
        usual_m = statistics.median(m_hist)
        if run.missing_rate - usual_m >= policy.rate_jump:
            alarms.append(f"missing_fields_jump: {run.missing_rate:.0%} of mapped fields empty, "
                          f"usually {usual_m:.0%}")
    return alarms


def check_drift(catalog: Catalog, run: HarvestRun, policy: DriftPolicy = DriftPolicy()) -> list[str]:
    """:func:`drift_alarms` of ``run`` against the source's baseline in the catalog."""
    state = catalog.source_state(run.source_id)
    baseline = catalog.baseline_runs(run.source_id, before_id=run.id, after_id=int(state["baseline_run_id"] or 0),
                                     limit=policy.history)
    return drift_alarms(run, baseline, policy)


# --- circuit breaker -----------------------------------------------------------------------------


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds")


def paused_until(state: Mapping[str, Any], now: datetime) -> datetime | None:
    """When the source's pause ends, or ``None`` if it is not paused at ``now``."""
    until = state.get("paused_until")
    if not until:
        return None
    end = datetime.fromisoformat(until)
    return end if end > now else None


def record_outcome(catalog: Catalog, source_id: str, ok: bool, policy: BreakerPolicy, now: datetime,
                   reason: str | None = None) -> dict[str, Any]:
    """Count a finished slot into the source's failure streak; pause it at the threshold. Returns the state."""
    state = catalog.source_state(source_id)
    if ok:
        failures, until, why = 0, None, None
    else:
        failures = int(state["failures"]) + 1
        until, why = None, None
        if failures >= policy.failures_to_pause:
            until = _iso(now + timedelta(seconds=policy.cooldown_s))
            why = f"{failures} consecutive failures; last: {reason or 'unknown'}"
    with catalog.transaction():
        catalog.set_source_state(source_id, failures=failures, paused_until=until, paused_reason=why)
    return catalog.source_state(source_id)


def resume(catalog: Catalog, source_id: str) -> dict[str, Any]:
    """Close the breaker and accept the source's present state as its drift baseline."""
    last = catalog.runs(source_id, limit=1)
    with catalog.transaction():
        catalog.set_source_state(source_id, failures=0, paused_until=None, paused_reason=None,
                                 baseline_run_id=last[0].id if last else 0)
    return catalog.source_state(source_id)


def source_health(last: HarvestRun | None, state: Mapping[str, Any], now: datetime) -> str:
    """One word for the status page and ``lingong sources``: never_run, ok, alarm, failing, paused, running."""
    if paused_until(state, now):
        return "paused"
    if last is None:
        return "never_run"
    if last.status == "running":
        return "running"
    if last.status in ("failed",) or int(state.get("failures") or 0) > 0:
        return "failing"
    if last.alarms:
        return "alarm"
    return "ok"
