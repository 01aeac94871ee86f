"""The harvest scheduler behind ``lingong schedule run`` (APScheduler 3.x, one process).

Each enabled source with a ``schedule`` gets one job:

- ``schedule: "interval:6h"`` (``90s``, ``30m``, ``1h30m``, ``2d``) or ``schedule: "cron: */30 * * * *"``
  (five crontab fields), with jitter (``jitter`` × the interval, at most ``max_jitter_s``; 60 s for cron);
- ``window: "22:00-06:00"``: fire times outside the window move to its next opening (local time,
  ``timezone``); a job that fires late and finds itself outside the window skips its slot;
- an interval job is anchored on the source's last run: overdue, never run, or last run not ``ok``
  (failed, interrupted) means due now.

One *slot* is a scheduled fire: the harvest, its retries, and an index sync. Guarantees:

- **single-flight**: ``max_instances=1`` inside a daemon, plus the source's run lease in the catalog
  (:mod:`aggregator.leases`: held for the whole slot, renewed after every batch, a dead local holder's
  lease reaped) so two daemons, or a daemon and a ``lingong harvest``, never run one source at once;
  a slot that finds the lease held elsewhere is skipped (``running_elsewhere``);
- **limits**: at most ``max_running`` harvests at once (the thread pool), ``per_host`` per site host;
- **missed runs coalesce**: a daemon that was down runs each overdue source once, not once per miss;
- **retries**: a failure of a :class:`~aggregator.errors.Transient` type is retried ``retries`` times
  with exponential backoff; other failures are not;
- **circuit breaker**: ``breaker.failures_to_pause`` failed slots in a row pause the source for
  ``breaker.cooldown_s`` (then one trial run); ``lingong sources resume ID`` ends a pause at once;
- **clean stop**: :meth:`Scheduler.stop` (SIGTERM/SIGINT in :meth:`Scheduler.run_forever`) stops
  running harvests after their current batch: the run ends ``interrupted``, closes nothing and keeps
  its cursor, so the next run redoes the rest; nothing is lost or duplicated.

Metrics are Prometheus collectors in :attr:`Scheduler.registry` (``--metrics-port`` serves them).
"""

from __future__ import annotations

import dataclasses
import logging
import random
import re
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from aggregator import health
from aggregator.app import App
from aggregator.catalog import Catalog
from aggregator.errors import ConfigError, LeaseHeldError, LeaseLostError, LingongError
from aggregator.health import BreakerPolicy, DriftPolicy
from aggregator.indexing import sync_index
from aggregator.leases import LEASE_TTL_S, RunLease, new_owner
from aggregator.logs import bind, event
from aggregator.pipeline import Pipeline
from aggregator.runs import HarvestRun
from aggregator.schema import SourceDefinition
from aggregator.seekers import after_sync
from aggregator.sources import expand_env
from aggregator.webhooks import post_alert

log = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")


def parse_duration(text: str) -> float:
    """``90s``, ``30m``, ``6h``, ``1h30m``, ``2d`` → seconds (raises ConfigError)."""
    compact = text.replace(" ", "")
    parts = _DURATION.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ConfigError(f"not a duration: {text!r} (use e.g. 90s, 30m, 6h, 1h30m, 2d)")
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ConfigError(f"duration must be positive: {text!r}")
    return seconds


@dataclass(frozen=True)
class ScheduleSpec:
    """A parsed ``schedule`` value: ``interval`` seconds, or a ``cron`` expression."""

    kind: str  # interval | cron
    seconds: float = 0.0
    cron: str = ""

    @classmethod
    def parse(cls, text: str) -> ScheduleSpec:
        kind, sep, rest = text.partition(":")
        kind, rest = kind.strip().lower(), rest.strip()
        if not sep or kind not in ("interval", "cron"):
            raise ConfigError(f"schedule {text!r}: use 'interval:6h' or 'cron: */30 * * * *'")
        if kind == "interval":
            return cls("interval", seconds=parse_duration(rest))
        try:
            CronTrigger.from_crontab(rest, timezone=UTC)
        except ValueError as exc:
            raise ConfigError(f"schedule {text!r}: bad cron expression: {exc}") from None
        return cls("cron", cron=rest)


@dataclass(frozen=True)
class Window:
    """A daily harvest window in local time; ``end`` before ``start`` spans midnight."""

    start: dtime
    end: dtime

    @classmethod
    def parse(cls, text: str) -> Window:
        a, b = text.split("-")
        return cls(dtime.fromisoformat(a), dtime.fromisoformat(b))

    def contains(self, t: datetime) -> bool:
        now = t.timetz().replace(tzinfo=None)
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def next_open(self, t: datetime) -> datetime:
        """The first moment at or after ``t`` inside the window (``t`` is timezone-aware local time)."""
        if self.contains(t):
            return t
        opening = t.replace(hour=self.start.hour, minute=self.start.minute, second=0, microsecond=0)
        return opening if opening >= t else opening + timedelta(days=1)


class WindowedTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 ships no type hints
    """Wraps a trigger so that fire times outside a daily window move to the window's next opening."""

    def __init__(self, base: BaseTrigger, window: Window, tz: ZoneInfo) -> None:
        self.base = base
        self.window = window
        self.tz = tz

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        t: datetime | None = self.base.get_next_fire_time(previous_fire_time, now)
        if t is None:
            return None
        return self.window.next_open(t.astimezone(self.tz))

    def __str__(self) -> str:
        return f"{self.base} within {self.window.start:%H:%M}-{self.window.end:%H:%M}"


@dataclass(frozen=True)
class SchedulerConfig:
    """How the daemon runs (defaults suit a few hundred sources on one machine)."""

    max_running: int = 4                 # harvests at once, all sources
    per_host: int = 1                    # harvests at once against one site host
    retries: int = 2                     # extra attempts after a transient failure, per slot
    backoff_s: float = 30.0              # first retry delay; doubles, ±20 % jitter
    backoff_max_s: float = 900.0
    jitter: float = 0.1                  # share of the interval added at random to each fire
    max_jitter_s: float = 300.0
    misfire_grace_s: int = 3600          # a fire this late still runs (once: missed fires coalesce)
    lease_ttl_s: float = LEASE_TTL_S     # renewed after every batch
    full: bool = True                    # full harvests (close unseen postings) or incremental
    sync_index: bool = True              # drain the index outbox after every slot
    timezone: str = "Asia/Shanghai"      # of cron expressions and windows
    default_schedule: str | None = None  # for sources whose file names none (else they are not scheduled)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    drift: DriftPolicy = field(default_factory=DriftPolicy)


@dataclass
class Planned:
    """One source's place in the schedule (``lingong schedule list``)."""

    source: SourceDefinition
    spec: ScheduleSpec | None
    trigger: BaseTrigger | None
    error: str | None = None
    first_run: datetime | None = None

    @property
    def window(self) -> Window | None:
        return Window.parse(self.source.window) if self.source.window else None


def source_host(source: SourceDefinition) -> str | None:
    """The site host a source talks to (first http(s) URL in its options), for per-host limits."""
    def urls(value: Any) -> Iterator[str]:
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from urls(v)
        elif isinstance(value, list):
            for v in value:
                yield from urls(v)

    try:
        options = expand_env(source.options)
    except KeyError:
        return None
    for url in urls(options):
        return urlsplit(url).netloc.lower() or None
    return None


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds")


class Metrics:
    """The scheduler's Prometheus collectors (its own registry)."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.runs = Counter("lingong_harvest_runs", "Harvest runs by outcome", ["source", "status"], registry=r)
        self.records = Counter("lingong_harvest_records", "Records by what happened to them",
                               ["source", "kind"], registry=r)
        self.requests = Counter("lingong_harvest_requests", "HTTP requests sent by harvests", ["source"], registry=r)
        self.duration = Histogram("lingong_harvest_duration_seconds", "Harvest run duration", ["source"],
                                  buckets=(0.5, 1, 5, 15, 60, 300, 900, 3600), registry=r)
        self.alarms = Counter("lingong_harvest_alarms", "Drift alarms raised", ["source", "alarm"], registry=r)
        self.retries = Counter("lingong_harvest_retries", "Retries after transient failures", ["source"], registry=r)
        self.skipped = Counter("lingong_harvest_skipped", "Slots skipped", ["source", "reason"], registry=r)
        self.paused = Gauge("lingong_source_paused", "1 while the circuit breaker pauses the source", ["source"],
                            registry=r)
        self.streak = Gauge("lingong_source_failure_streak", "Consecutive failed slots", ["source"], registry=r)
        self.running = Gauge("lingong_harvests_running", "Harvests running now", registry=r)
        self.outbox = Gauge("lingong_outbox_backlog", "Clusters waiting for index sync", registry=r)
        self.synced = Counter("lingong_index_sync_clusters", "Clusters written to or removed from the index",
                              registry=r)
        self.sync_failures = Counter("lingong_index_sync_failures", "Index syncs that failed", registry=r)
        self.sync_seconds = Histogram("lingong_index_sync_seconds", "Index sync duration", registry=r)

    def observe(self, run: HarvestRun) -> None:
        s = run.source_id
        self.runs.labels(s, run.status).inc()
        for kind in ("fetched", "new", "updated", "unchanged", "closed", "quarantined", "duplicates"):
            self.records.labels(s, kind).inc(getattr(run, kind))
        self.requests.labels(s).inc(run.requests)
        if run.duration_s is not None:
            self.duration.labels(s).observe(run.duration_s)
        for alarm in run.alarms:
            self.alarms.labels(s, alarm.split(":", 1)[0]).inc()


class Scheduler:
    """Runs every scheduled source of an :class:`App` on its schedule until stopped."""

    def __init__(self, app: App, config: SchedulerConfig | None = None,
                 sources: Iterable[SourceDefinition] | None = None) -> None:
        self.app = app
        self.config = config or SchedulerConfig()
        self.tz = ZoneInfo(self.config.timezone)
        self.stopping = threading.Event()
        self.metrics = Metrics()
        self.registry = self.metrics.registry
        self.owner = new_owner()  # one owner for all its threads: max_instances=1 keeps them apart
        chosen = list(sources) if sources is not None else [s for s in app.sources.sources.values() if s.enabled]
        self.sources = {s.id: s for s in chosen}
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._hosts_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._scheduler: BackgroundScheduler | None = None
        self._local = threading.local()
        self._catalogs: list[Catalog] = []
        self._catalogs_lock = threading.Lock()

    # --- planning ------------------------------------------------------------------------------

    def plan(self, now: datetime | None = None) -> list[Planned]:
        """Every source with its parsed schedule and trigger (or why it has none)."""
        now = now or _utcnow()
        last = self.app.catalog.last_runs()
        out = []
        for source in self.sources.values():
            text = source.schedule or self.config.default_schedule
            if not text:
                out.append(Planned(source, None, None, "no schedule"))
                continue
            try:
                spec = ScheduleSpec.parse(text)
            except ConfigError as exc:
                out.append(Planned(source, None, None, str(exc)))
                continue
            trigger, first = self._trigger(source, spec, last.get(source.id), now)
            out.append(Planned(source, spec, trigger, first_run=first))
        return out

    def _trigger(self, source: SourceDefinition, spec: ScheduleSpec, last: HarvestRun | None,
                 now: datetime) -> tuple[BaseTrigger, datetime | None]:
        """The source's trigger and its first fire time from ``now``."""
        trigger: BaseTrigger
        first: datetime | None
        if spec.kind == "interval":
            jitter = min(spec.seconds * self.config.jitter, self.config.max_jitter_s)
            first = now  # never run, or its last run did not finish ok: due now
            if last is not None and last.status == "ok":
                first = max(now, datetime.fromisoformat(last.started_at) + timedelta(seconds=spec.seconds))
            trigger = IntervalTrigger(seconds=spec.seconds, start_date=first, timezone=self.tz,
                                      jitter=int(jitter) or None)
        else:
            trigger = CronTrigger.from_crontab(spec.cron, timezone=self.tz)
            trigger.jitter = int(min(60.0, self.config.max_jitter_s)) if self.config.jitter else None
            first = trigger.get_next_fire_time(None, now)
        if source.window:
            window = Window.parse(source.window)
            trigger = WindowedTrigger(trigger, window, self.tz)
            first = window.next_open(first.astimezone(self.tz)) if first else None
        return trigger, first

    # --- running -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the jobs in background threads (returns at once)."""
        self.app.backend  # noqa: B018 - open the index in this thread before workers share it
        self._sync()
        sched = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(self.config.max_running)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": self.config.misfire_grace_s},
            timezone=self.tz)
        for p in self.plan():
            if p.trigger is None:
                event(log, "source_not_scheduled", logging.INFO if p.error == "no schedule" else logging.ERROR,
                      source_id=p.source.id, reason=p.error)
                continue
            first = {"next_run_time": p.first_run} if p.first_run is not None else {}
            sched.add_job(self.run_slot, p.trigger, args=[p.source.id], id=p.source.id, name=p.source.id, **first)
        sched.start()
        self._scheduler = sched
        event(log, "scheduler_started", jobs=len(sched.get_jobs()), owner=self.owner,
              max_running=self.config.max_running, per_host=self.config.per_host)

    def next_runs(self) -> dict[str, datetime | None]:
        """Next fire time of every job of the running scheduler."""
        assert self._scheduler is not None
        return {job.id: job.next_run_time for job in self._scheduler.get_jobs()}

    def stop(self, wait: bool = True) -> None:
        """Stop firing; running harvests end after their current batch (``interrupted``)."""
        self.stopping.set()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=wait)
            self._scheduler = None
        if wait:
            with self._catalogs_lock:
                for catalog in self._catalogs:
                    catalog.close()
                self._catalogs.clear()
        event(log, "scheduler_stopped", owner=self.owner)

    def run_forever(self, duration: float | None = None) -> None:
        """Start, then wait for SIGTERM/SIGINT (or ``duration`` seconds) and stop cleanly."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            deadline = None if duration is None else time.monotonic() + duration
            while not self.stopping.wait(0.5):
                if deadline is not None and time.monotonic() >= deadline:
                    break
        finally:
            self.stop(wait=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: object) -> None:
        event(log, "shutdown_requested", signal=signal.Signals(signum).name)
        self.stopping.set()

    # --- one slot ------------------------------------------------------------------------------

    def run_slot(self, source_id: str) -> HarvestRun | None:
        """One scheduled fire of a source: checks, harvest with retries, breaker, index sync."""
        source = self.sources[source_id]
        if self.stopping.is_set():
            return None
        with bind(source_id=source_id):
            return self._slot(source, self._thread_catalog())

    def _thread_catalog(self) -> Catalog:
        """The worker thread's own catalog connection (SQLite connections are not shared across threads)."""
        catalog: Catalog | None = getattr(self._local, "catalog", None)
        if catalog is None:
            catalog = self._local.catalog = Catalog(self.app.settings.catalog_path)
            with self._catalogs_lock:
                self._catalogs.append(catalog)
        return catalog

    def _skip(self, source: SourceDefinition, reason: str, **fields: Any) -> None:
        self.metrics.skipped.labels(source.id, reason).inc()
        event(log, "slot_skipped", reason=reason, **fields)

    def _slot(self, source: SourceDefinition, catalog: Catalog) -> HarvestRun | None:
        now = _utcnow()
        state = catalog.source_state(source.id)
        until = health.paused_until(state, now)
        self.metrics.paused.labels(source.id).set(1 if until else 0)
        if until:
            self._skip(source, "paused", until=_iso(until))
            return None
        if source.window and not Window.parse(source.window).contains(now.astimezone(self.tz)):
            self._skip(source, "outside_window", window=source.window)
            return None
        lease = RunLease(catalog, source.id, self.owner, self.config.lease_ttl_s)
        try:
            lease.acquire()
        except LeaseHeldError as exc:
            self._skip(source, "running_elsewhere", owner=exc.owner)
            return None
        try:
            run = self._harvest_with_retries(source, catalog, lease)
        finally:
            lease.release()
        if run is None:
            return None
        if run.status != "interrupted":
            was_paused = health.paused_until(catalog.source_state(source.id), now) is not None
            state = health.record_outcome(catalog, source.id, run.status == "ok", self.config.breaker,
                                          _utcnow(), reason=run.error)
            self.metrics.streak.labels(source.id).set(int(state["failures"]))
            paused = health.paused_until(state, _utcnow())
            self.metrics.paused.labels(source.id).set(1 if paused else 0)
            if paused and not was_paused:
                event(log, "source_paused", logging.ERROR, until=_iso(paused), reason=state["paused_reason"])
                post_alert({"kind": "source_paused", "source_id": source.id, "source_name": source.name,
                            "paused_until": state["paused_until"], "reason": state["paused_reason"],
                            "run": run.model_dump()})
        if not self.stopping.is_set():
            self._sync(catalog)
        return run

    def _harvest_with_retries(self, source: SourceDefinition, catalog: Catalog,
                              lease: RunLease) -> HarvestRun | None:
        """The slot's harvest and retries, all under ``lease`` (the pipeline's own harvest takes none)."""
        pipeline = Pipeline(self.app.settings, self.app.plugins, catalog)

        def renew(run: HarvestRun) -> None:
            lease.renew()  # LeaseLostError: another process took over; the run ends failed, not retried

        attempt = 0
        while True:
            with self._host_slot(source, lease) as got:
                if not got:
                    return None  # stopping (or the lease lost) while waiting for the host
                self.metrics.running.inc()
                try:
                    run = pipeline.harvest(source, full=self.config.full, progress=renew, stop=self.stopping,
                                           drift=self.config.drift)
                finally:
                    self.metrics.running.dec()
            self.metrics.observe(run)
            if run.status != "failed" or not run.transient or attempt >= self.config.retries:
                return run
            delay = min(self.config.backoff_s * 2 ** attempt, self.config.backoff_max_s) * random.uniform(0.8, 1.2)
            attempt += 1
            self.metrics.retries.labels(source.id).inc()
            event(log, "retry_scheduled", logging.WARNING, attempt=attempt, delay_s=round(delay, 2),
                  error=run.error)
            if not self._wait_holding(lease, delay):
                return run

    def _wait_holding(self, lease: RunLease, seconds: float) -> bool:
        """Wait ``seconds`` keeping ``lease`` alive (renewed every third of its time to live); False when
        stopping or when another process took the lease meanwhile."""
        deadline = time.monotonic() + seconds
        step = max(self.config.lease_ttl_s / 3, 0.05)
        while (left := deadline - time.monotonic()) > 0:
            if self.stopping.wait(min(left, step)):
                return False
            try:
                lease.renew()
            except LeaseLostError as exc:
                event(log, "lease_lost", logging.WARNING, owner=exc.owner)
                return False
        return True

    @contextmanager
    def _host_slot(self, source: SourceDefinition, lease: RunLease | None = None) -> Iterator[bool]:
        """A slot of the source's host (per-host limit); the lease, if given, is renewed while waiting."""
        host = source_host(source)
        if host is None:
            yield True
            return
        with self._hosts_lock:
            sem = self._hosts.setdefault(host, threading.BoundedSemaphore(self.config.per_host))
        renew_at = time.monotonic() + self.config.lease_ttl_s / 3
        while not sem.acquire(timeout=0.2):
            if self.stopping.is_set():
                yield False
                return
            if lease is not None and time.monotonic() >= renew_at:
                try:
                    lease.renew()
                except LeaseLostError as exc:
                    event(log, "lease_lost", logging.WARNING, owner=exc.owner)
                    yield False
                    return
                renew_at = time.monotonic() + self.config.lease_ttl_s / 3
        try:
            yield True
        finally:
            sem.release()

    def _sync(self, catalog: Catalog | None = None) -> None:
        if not self.config.sync_index:
            return
        catalog = catalog or self.app.catalog
        with self._sync_lock:
            started = time.perf_counter()
            try:
                n = sync_index(catalog, self.app.backend)
                self.metrics.synced.inc(n)
                # push what changed to the seekers it suits, on this thread's own catalog connection
                after_sync(dataclasses.replace(self.app, catalog=catalog))
            except LingongError as exc:
                self.metrics.sync_failures.inc()
                event(log, "index_sync_failed", logging.WARNING, error=str(exc))
            finally:
                self.metrics.sync_seconds.observe(time.perf_counter() - started)
                self.metrics.outbox.set(catalog.counts()["outbox"])
