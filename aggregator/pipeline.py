"""The harvest pipeline: harvest → normalise → employer check → enrich → dedupe → catalog (+ outbox).

One source at a time, in batches; each batch is one catalog transaction, so a
crash loses at most the batch in flight and the next run redoes it. A source
that fails (bad options, unreachable, broken feed) ends its own run as
``failed`` and the caller goes on with the next source. A source runs only under
its run lease (:mod:`aggregator.leases`), so no two processes harvest it at once.
Index sync is separate (:func:`aggregator.indexing.sync_index`): the catalog never
waits for the index.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from aggregator.catalog import Catalog
from aggregator.checks import combine
from aggregator.dedupe import assign_cluster, refresh_features
from aggregator.employers import checking_with
from aggregator.errors import LeaseHeldError, LingongError, RecordError
from aggregator.health import DriftPolicy, FieldCoverage, check_drift, is_transient
from aggregator.leases import LEASE_TTL_S, RunLease, new_owner
from aggregator.logs import bind as bind_log
from aggregator.logs import event as log_event
from aggregator.normalizing import to_posting
from aggregator.plugins import Plugins
from aggregator.risk import PayMedians, RiskAssessor, load_rules
from aggregator.runs import HarvestRun
from aggregator.schema import JobPosting, RawPosting, RejectedRecord, SourceDefinition
from aggregator.settings import Settings
from aggregator.sources import validate_options
from connectors.base import Connector, HarvestItem

log = logging.getLogger(__name__)

Progress = Callable[[HarvestRun], None]


class _StopRequested(Exception):
    """Raised inside :meth:`Pipeline.harvest` when its ``stop`` event is set (caught there)."""


def _batches(items: Iterable[HarvestItem], size: int) -> Iterator[list[HarvestItem]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


class Pipeline:
    """Runs harvests of sources into the catalog."""

    def __init__(self, settings: Settings, plugins: Plugins, catalog: Catalog) -> None:
        self.settings = settings
        self.plugins = plugins
        self.catalog = catalog
        self._assessor: RiskAssessor | None = None

    # --- one source ---------------------------------------------------------------------------

    def connector_for(self, source: SourceDefinition) -> Connector:
        """Instantiate the source's connector with validated options (raises LingongError)."""
        cls = self.plugins.connector(source.connector)
        options = validate_options(source, cls.Options)
        return cls(source, options, user_agent=self.settings.user_agent)

    def harvest(self, source: SourceDefinition, *, full: bool = True, progress: Progress | None = None,
                stop: threading.Event | None = None, drift: DriftPolicy | None = None) -> HarvestRun:
        """Harvest one source completely; never raises for the source's own failures.

        Takes no run lease: the caller holds the source's (:meth:`harvest_many`, the scheduler), and renews
        it from ``progress``, which runs after every committed batch; an exception there fails the run.

        ``stop`` is checked after every committed batch: once set, the run ends ``interrupted`` at that
        safe point, closes nothing and keeps the old cursor, so a later run redoes the rest and nothing
        is lost or stored twice. Before closing unseen postings the run is checked for drift
        (:mod:`aggregator.health`); a run with alarms closes nothing and keeps the old cursor too.
        """
        refreshed = refresh_features(self.catalog)  # a catalog from an older lingong: its stored dedupe features
        if refreshed:
            log_event(log, "dedupe_features_refreshed", postings=refreshed)
        run = self.catalog.start_run(source.id, "full" if full else "incremental")
        connector: Connector | None = None
        started = time.monotonic()
        coverage = FieldCoverage(source.mapping)

        def measure() -> None:
            run.requests = int(getattr(connector, "requests", 0) or 0)
            run.duration_s = round(time.monotonic() - started, 3)
            run.missing_rate = coverage.rate

        with bind_log(run_id=run.id, source_id=source.id):
            try:
                connector = self.connector_for(source)
                cursor = None if full or not connector.incremental else self.catalog.get_cursor(source.id)
                for batch in _batches(connector.harvest(cursor), self.settings.batch_size):
                    coverage.add(batch)
                    with self.catalog.transaction():
                        (self._ingest_seekers if source.kind == "seekers" else self._process)(batch, source, run)
                        measure()
                        self.catalog.save_run(run)
                    if progress:
                        progress(run)
                    if stop is not None and stop.is_set():
                        raise _StopRequested
                measure()
                run.alarms = check_drift(self.catalog, run, drift or DriftPolicy())
                if run.alarms:
                    log_event(log, "drift_alarm", logging.WARNING, alarms=run.alarms, fetched=run.fetched)
                with self.catalog.transaction():
                    if full and not run.alarms:
                        closed = self.catalog.close_unseen(source.id, run.id)
                        run.closed = len(closed)
                        self.catalog.enqueue(closed)
                    if connector.next_cursor is not None and not run.alarms:
                        self.catalog.set_cursor(source.id, connector.next_cursor)
                    run.status = "ok"
                    run.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
                    self.catalog.save_run(run)
            except _StopRequested:
                # Everything read so far is committed batch by batch; closing or moving the cursor now
                # would treat an incomplete read as complete.
                run.status = "interrupted"
                run.error = "stopped at a safe point (shutdown requested)"
                run.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
                measure()
                self.catalog.save_run(run)
            except Exception as exc:
                # A failed run keeps its counters (what was stored is stored), closes nothing, keeps the old cursor.
                run.status = "failed"
                run.transient = is_transient(exc)
                run.error = str(exc) if isinstance(exc, LingongError) else f"{type(exc).__name__}: {exc}"
                run.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
                measure()
                self.catalog.save_run(run)
                if not isinstance(exc, LingongError):
                    log.exception("source %s failed", source.id)
            finally:
                if connector is not None:
                    connector.close()
                    run.requests = int(getattr(connector, "requests", 0) or 0)
                log_event(log, "harvest_finished", logging.INFO if run.status == "ok" else logging.WARNING,
                          status=run.status, fetched=run.fetched, new=run.new, updated=run.updated,
                          unchanged=run.unchanged, closed=run.closed, quarantined=run.quarantined,
                          requests=run.requests, duration_s=run.duration_s, alarms=run.alarms, error=run.error)
                self._tell_finished(run, source)
        return run

    def harvest_many(self, sources: Iterable[SourceDefinition], *, full: bool = True,
                     progress: Callable[[SourceDefinition, HarvestRun], None] | None = None,
                     stop: threading.Event | None = None,
                     on_skip: Callable[[SourceDefinition, str], None] | None = None,
                     lease_ttl_s: float = LEASE_TTL_S) -> list[HarvestRun]:
        """Harvest sources one after another, each under its run lease; one failing source does not stop the others.

        Each source's lease (:mod:`aggregator.leases`) is taken before its run, renewed after every batch and
        released when the run ends, however it ends. A source whose lease another live process holds (the
        scheduler daemon, another ``lingong harvest``) is not run: ``on_skip(source, owner)`` is called and
        the next source goes on. Skipped sources have no run, so they are absent from the result.
        Once ``stop`` is set, the running source stops at its next safe point and no further source starts.
        """
        owner = new_owner()
        runs = []
        for source in sources:
            if stop is not None and stop.is_set():
                break
            lease = RunLease(self.catalog, source.id, owner, lease_ttl_s)
            try:
                lease.acquire()
            except LeaseHeldError as exc:
                log_event(log, "harvest_skipped", source_id=source.id, reason="running_elsewhere", owner=exc.owner)
                if on_skip:
                    on_skip(source, exc.owner)
                continue
            try:
                runs.append(self.harvest(source, full=full, progress=_renewing(lease, source, progress), stop=stop))
            finally:
                lease.release()
        return runs

    # --- quarantine replay ----------------------------------------------------------------------

    def replay_quarantine(self, source: SourceDefinition) -> HarvestRun:
        """Re-normalise the source's quarantined records from their stored payloads, without harvesting.

        Run after fixing a mapping or a normaliser. Records that were unreadable at the source
        (no id, broken JSON) have nothing to replay and stay until the next harvest. The replay is
        recorded as a run with mode ``replay``: ``new`` counts records that became postings.
        """
        run = self.catalog.start_run(source.id, "replay")
        try:
            cls = self.plugins.connector(source.connector)
            # Mapping only: options are not needed (nor their ${ENV}), so they are not validated here.
            connector = cls(source, cls.Options.model_construct(), user_agent=self.settings.user_agent)
            entries = [e for e in self.catalog.quarantined(source.id, limit=1_000_000) if e["native_id"]]
            for i in range(0, len(entries), self.settings.batch_size):
                with self.catalog.transaction():
                    for entry in entries[i:i + self.settings.batch_size]:
                        payload = json.loads(entry["payload"])
                        fields = connector.map_fields(payload)
                        raw = RawPosting(source_id=source.id, native_id=entry["native_id"], payload=payload,
                                         fields=fields, url=fields.get("url") or entry["locator"],
                                         fetched_at=datetime.now(UTC))
                        run.fetched += 1
                        self._store(raw, raw.content_hash, source, run, had_posting=False)
                    self.catalog.save_run(run)
            run.status = "ok"
        except Exception as exc:
            run.status = "failed"
            run.error = str(exc) if isinstance(exc, LingongError) else f"{type(exc).__name__}: {exc}"
        run.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.catalog.save_run(run)
        return run

    # --- one batch ----------------------------------------------------------------------------

    def _ingest_seekers(self, batch: list[HarvestItem], source: SourceDefinition, run: HarvestRun) -> None:
        """A ``kind: seekers`` source: its records are seeker registrations, stored by ``aggregator.seekers``."""
        from aggregator.seekers.ingest import ingest_seekers

        ingest_seekers(self.catalog, self.plugins, self.settings.home, batch, source, run)

    def _process(self, batch: list[HarvestItem], source: SourceDefinition, run: HarvestRun) -> None:
        raws = [i for i in batch if isinstance(i, RawPosting)]
        run.fetched += len(batch)
        for item in batch:
            if isinstance(item, RejectedRecord):
                self._quarantine_rejected(item, run)
        states = self.catalog.raw_states(source.id, [r.native_id for r in raws])
        seen: list[str] = []
        for raw in raws:
            content_hash = raw.content_hash
            prev = states.get(raw.native_id)
            if prev and prev[0] == content_hash:
                if prev[1] == "posting" and prev[2] == "open" and raw.url and raw.url != prev[3]:
                    # the same record at a new address (the site moved host, port or scheme: the hash
                    # leaves its own links out): store it again so links follow, but it is not "updated"
                    self._store(raw, content_hash, source, run, had_posting=True, relocated=True)
                    continue
                seen.append(raw.native_id)
                if prev[1] == "quarantined":
                    run.quarantined += 1
                elif prev[2] == "closed":
                    cluster = self.catalog.reopen(JobPosting.make_id(source.id, raw.native_id))
                    if cluster:
                        self.catalog.enqueue([cluster])
                    run.updated += 1
                else:
                    run.unchanged += 1
                continue
            state = self._store(raw, content_hash, source, run, had_posting=bool(prev and prev[2]))
            states[raw.native_id] = (content_hash, state, "open" if state == "posting" else None, raw.url)
        self.catalog.touch_raw(source.id, seen, run.id)

    def _store(self, raw: RawPosting, content_hash: str, source: SourceDefinition, run: HarvestRun,
               *, had_posting: bool, relocated: bool = False) -> str:
        """Normalise and store one record (or quarantine it); counts it new, updated, or — ``relocated``,
        the same content at a new URL — unchanged."""
        try:
            posting = self._normalise(raw, source)
        except RecordError as exc:
            payload = json.dumps(raw.payload, ensure_ascii=False, default=str)
            self.catalog.quarantine(source_id=source.id, native_id=raw.native_id, locator=raw.url,
                                    content_hash=content_hash, reason_code=exc.code, reason=str(exc),
                                    payload=payload, run_id=run.id)
            self.catalog.upsert_raw(source.id, raw.native_id, content_hash, raw.payload, raw.url,
                                    "quarantined", run.id)
            run.quarantined += 1
            return "quarantined"
        old_cluster = self.catalog.posting_cluster(posting.id)
        cluster, key = assign_cluster(self.catalog, posting)
        posting.cluster_id = cluster
        self.catalog.upsert_posting(posting, key)
        risk = posting.extras.get("risk") or {}
        self.catalog.set_risk(posting.id, float(risk.get("score", 0.0)), bool(risk.get("held")),
                              list(risk.get("signals", [])))
        if posting.employer.uscc and posting.employer.name_key:
            self.catalog.note_employer_code(posting.employer.uscc, posting.employer.name_key, posting.employer.name)
        self.catalog.upsert_raw(source.id, raw.native_id, content_hash, raw.payload, raw.url, "posting", run.id)
        self.catalog.resolve_quarantine(source.id, raw.native_id)
        self.catalog.enqueue({cluster, old_cluster} - {None})  # type: ignore[arg-type]
        if relocated:
            run.unchanged += 1
            log_event(log, "posting_relocated", native_id=raw.native_id, url=raw.url)
        elif had_posting:
            run.updated += 1
        else:
            run.new += 1
        return "posting"

    def _normalise(self, raw: RawPosting, source: SourceDefinition) -> JobPosting:
        """Normalise, check the employer, enrich (hooks); RecordError means quarantine."""
        posting = to_posting(raw, source, source.connector)
        with checking_with(self.catalog):  # the built-in registry/blacklist check reads this pipeline's catalog
            verdicts = self.plugins.hook.lingong_verify_employer(employer=posting.employer, posting=posting)
        try:
            status, reasons = combine(verdicts)
        except ValueError as exc:
            raise RecordError("verify_failed", str(exc)) from exc
        posting.employer = posting.employer.model_copy(update={"verification": status, "reasons": reasons})
        for impl in self.plugins.hook.lingong_enrich_posting.get_hookimpls():
            try:
                update = impl.function(posting=posting, source=source)
            except Exception as exc:
                raise RecordError("enrich_failed",
                                  f"plugin {impl.plugin_name!r} failed: {type(exc).__name__}: {exc}") from exc
            if update:
                posting = _apply(posting, update)
        try:
            assessment = self._risk().assess(posting)
        except Exception as exc:
            raise RecordError("risk_failed", f"risk signals failed: {type(exc).__name__}: {exc}") from exc
        posting.extras = {**posting.extras, "risk": assessment.as_extra()}
        return posting

    def _risk(self) -> RiskAssessor:
        """Rules and pay medians, read once per pipeline (medians from the catalog as it was at the start)."""
        if self._assessor is None:
            self._assessor = RiskAssessor(load_rules(self.settings.home), PayMedians(self.catalog.pay_samples()),
                                          self.plugins.hook)
        return self._assessor

    def _quarantine_rejected(self, item: RejectedRecord, run: HarvestRun) -> None:
        import hashlib

        digest = hashlib.sha256(item.raw.encode()).hexdigest()
        self.catalog.quarantine(source_id=item.source_id, native_id=None, locator=item.locator,
                                content_hash=digest, reason_code=item.reason_code, reason=item.reason,
                                payload=item.raw, run_id=run.id)
        run.quarantined += 1

    def _tell_finished(self, run: HarvestRun, source: SourceDefinition) -> None:
        for impl in self.plugins.hook.lingong_harvest_finished.get_hookimpls():
            try:
                impl.function(run=run, source=source)
            except Exception:  # a notifier never breaks a harvest
                log.exception("harvest_finished hook of plugin %r failed", impl.plugin_name)


def _renewing(lease: RunLease, source: SourceDefinition,
              progress: Callable[[SourceDefinition, HarvestRun], None] | None) -> Progress:
    """A batch callback that renews the lease (a lost lease stops the run), then reports progress."""
    def after_batch(run: HarvestRun) -> None:
        lease.renew()
        if progress:
            progress(source, run)

    return after_batch


def _apply(posting: JobPosting, update: dict[str, Any]) -> JobPosting:
    fields = set(JobPosting.model_fields)
    known = {k: v for k, v in update.items() if k in fields and k not in ("id", "source_id", "native_id")}
    extras = {k: v for k, v in update.items() if k not in fields}
    data = posting.model_dump()
    data.update(known)
    data["extras"] = {**posting.extras, **extras}
    return JobPosting.model_validate(data)
