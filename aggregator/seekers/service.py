"""Seekers and subscriptions end to end: register, delete, match changed postings, dispatch.

**Trigger.** :func:`after_sync` runs after every index sync (``App.sync``: ``lingong harvest``,
``demo``, the scheduler): it takes the postings whose ``updated_at`` is past the matching
watermark (kept in the catalog's ``meta``: the last timestamp done and the ids done at it,
since timestamps have one-second resolution), files a notification for every stored query
each one suits, and makes one delivery pass. Retries that fall due later are made by the
next pass (``lingong seekers dispatch [--loop]``, or the next sync).

**Once per person and job.** A notification is unique per (person, cluster) and is not
filed when the person was already told about any posting of that cluster, so a duplicate of
a job arriving from another source, or a posting changing, is never pushed twice.
"""

from __future__ import annotations

import json
import logging
import secrets
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aggregator.indexing import choose_canonical, publishable
from aggregator.privacy import public_posting
from aggregator.schema import JobPosting
from aggregator.seekers.crypto import ContactBox
from aggregator.seekers.matcher import EmbeddedMatcher, Matcher, PostingView, fit, profile_keys, suits
from aggregator.seekers.model import Channel, Profile, SeekerRegistration, SubscriptionRequest, parse_window
from aggregator.seekers.percolator import SUFFIX, PercolatorMatcher
from normalize import SHANGHAI
from search.base import SearchQuery

if TYPE_CHECKING:
    from aggregator.app import App
    from aggregator.catalog import Catalog
    from aggregator.plugins import Plugins
    from search.base import SearchBackend

log = logging.getLogger(__name__)

WATERMARK_KEY = "seekers.match_watermark"
MAX_ATTEMPTS = 5
BACKOFF_S = 30.0  # first retry after 30 s, then 60, 120, 240; then a dead letter
DELIVERY_WORKERS = 16

_matchers: weakref.WeakKeyDictionary[Catalog, EmbeddedMatcher] = weakref.WeakKeyDictionary()
_percolators: weakref.WeakKeyDictionary[Catalog, PercolatorMatcher] = weakref.WeakKeyDictionary()


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="milliseconds")


def matcher_for(catalog: Catalog, backend: SearchBackend | None = None) -> Matcher:
    """One matcher per open catalog, so its caches are reused across syncs.

    The Elasticsearch percolator (:mod:`.percolator`, beside the postings alias) when ``backend`` is
    the Elasticsearch search backend; else the embedded inverted index over the catalog.
    """
    from search.elasticsearch import ElasticsearchBackend

    if isinstance(backend, ElasticsearchBackend):
        p = _percolators.get(catalog)
        if p is None or (p.url, p.index) != (backend.url, backend.alias + SUFFIX):
            p = _percolators[catalog] = PercolatorMatcher(catalog, backend.url, alias=backend.alias)
        return p
    m = _matchers.get(catalog)
    if m is None:
        m = _matchers[catalog] = EmbeddedMatcher(catalog)
    return m


def quiet_until(window: str | None, now: datetime) -> datetime | None:
    """The end of the quiet window (Asia/Shanghai) ``now`` falls in, or ``None`` when it is not quiet."""
    if not window:
        return None
    start, end = parse_window(window)
    local = now.astimezone(SHANGHAI)
    t = local.time()
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    until = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if until <= local:
        until += timedelta(days=1)
    return until.astimezone(UTC)


@dataclass
class DispatchReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0  # quiet hours or rate limit
    errors: list[str] = field(default_factory=list)


class Seekers:
    """The seekers feature over one catalog and plugin manager."""

    def __init__(self, catalog: Catalog, plugins: Plugins, home: Path, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), backoff_s: float = BACKOFF_S,
                 backend: SearchBackend | None = None) -> None:
        self.catalog = catalog
        self.backend = backend  # selects the matcher engine (see matcher_for)
        self.plugins = plugins
        self.home = home
        self.clock = clock
        self.backoff_s = backoff_s
        self._box: ContactBox | None = None

    @classmethod
    def of(cls, app: App, **kw: Any) -> Seekers:
        if app.settings.search_backend == "elasticsearch":
            kw.setdefault("backend", app.backend)
        return cls(app.catalog, app.plugins, app.settings.home, **kw)

    @property
    def box(self) -> ContactBox:
        if self._box is None:
            self._box = ContactBox.for_home(self.home)
        return self._box

    @property
    def matcher(self) -> Matcher:
        return matcher_for(self.catalog, self.backend)

    # --- registration ------------------------------------------------------------------------------

    def _put(self, seeker_id: str, profile: Profile, channel: Channel | None,
             registered_at: datetime | None = None, **where: str | None) -> str:
        """Store a query. Without a channel it is a registration that only counts (求人倍率): no contact is
        kept and it gets no match keys, so no notification is ever filed for it."""
        contact = self.box.seal(channel.private_dict()) if channel is not None else b""
        keys = profile_keys(profile) if channel is not None else []
        with self.catalog.transaction():
            self.catalog.put_seeker(seeker_id, profile.kind, profile.model_dump_json(exclude_defaults=True),
                                    contact, keys, registered_at=_iso(registered_at) if registered_at else None,
                                    **where)
        return seeker_id

    def register(self, reg: SeekerRegistration, *, source_id: str | None = None,
                 native_id: str | None = None) -> str:
        """Store a seeker; a record from a source keeps its id across re-harvests."""
        seeker_id = None
        if source_id and native_id:
            seeker_id = self.catalog.seeker_id_for(source_id, native_id)
        seeker_id = seeker_id or "s_" + secrets.token_hex(8)
        return self._put(seeker_id, reg.profile(), reg.channel, reg.registered_at, source_id=source_id,
                         native_id=native_id)

    def holds(self, seeker_id: str, reg: SeekerRegistration) -> bool:
        """Whether ``seeker_id`` already stores exactly ``reg``: the same profile and the same contact."""
        row = self.catalog.seeker(seeker_id)
        if row is None or row[2] != reg.profile().model_dump_json(exclude_defaults=True):
            return False
        stored = self.box.open(row[3]) if row[3] else None
        return stored == (reg.channel.private_dict() if reg.channel is not None else None)

    def subscribe(self, req: SubscriptionRequest) -> str:
        return self._put("sub_" + secrets.token_hex(8), req.profile(), req.channel)

    def delete(self, seeker_id: str) -> bool:
        """Remove a seeker or saved search from the catalog and, on Elasticsearch, the percolator index."""
        row = self.catalog.seeker(seeker_id)
        if row is None or not self.catalog.delete_seeker(seeker_id):
            return False
        matcher = self.matcher
        if isinstance(matcher, PercolatorMatcher):
            matcher.forget(row[0])
        return True

    def profile(self, seeker_id: str) -> Profile | None:
        row = self.catalog.seeker(seeker_id)
        return Profile.model_validate_json(row[2]) if row else None

    # --- pull: ranked matches for one person ---------------------------------------------------------

    def matches(self, seeker_id: str, backend: SearchBackend, limit: int = 20) -> list[dict[str, Any]] | None:
        """Open jobs this stored query suits, best first, with reasons (``None``: no such seeker)."""
        profile = self.profile(seeker_id)
        if profile is None:
            return None
        unit = profile.floor_unit()
        base = {"region": profile.region, "near": profile.near,
                "radius_km": profile.radius_km if profile.near else None,
                "min_daily_wage": None if unit else profile.floor_daily(), "pay_unit": unit or profile.pay_unit,
                "employment_type": profile.employment_type, "verified_only": profile.verified_only,
                "q": " ".join(profile.terms), "sort": "newest", "page_size": 100}
        cats: list[str | None] = list(profile.categories)
        if profile.occupations or not cats:
            cats.append(None)
        seen: dict[str, dict[str, Any]] = {}
        now = self.clock()
        for cat in cats:
            for item in backend.search(SearchQuery(**base, category=cat)).items:
                cid = item.get("cluster_id")
                if not cid or cid in seen:
                    continue
                members = [m for m in self.catalog.cluster_members(cid) if m.status == "open" and publishable(m)]
                if not members:
                    continue
                view = PostingView.of(choose_canonical(members))
                if suits(profile, view, now):
                    score, reasons = fit(profile, view)
                    seen[cid] = {"score": score, "reasons": reasons, "posting": _summary(view.posting)}
        ranked = sorted(seen.values(), key=lambda m: (-m["score"], m["posting"]["cluster_id"]))
        return ranked[:limit]

    # --- push: match what changed, then deliver --------------------------------------------------------

    def process_changes(self, batch: int = 500) -> int:
        """File notifications for postings changed since the watermark; return how many were filed."""
        raw = self.catalog.get_meta(WATERMARK_KEY)
        wm: dict[str, Any] = json.loads(raw) if raw else {"ts": "", "ids": []}
        if not self.catalog.has_seekers():
            latest = self.catalog.latest_posting_update()
            if latest and latest != wm["ts"]:
                ids = [r[0] for r in self.catalog.postings_changed_since(latest, 1_000_000)]
                with self.catalog.transaction():
                    self.catalog.set_meta(WATERMARK_KEY, json.dumps({"ts": latest, "ids": ids}))
            return 0
        filed = 0
        now = self.clock()
        while True:
            done = set(wm["ids"])
            rows = self.catalog.postings_changed_since(wm["ts"], batch + len(done))
            fresh = [r for r in rows if not (r[1] == wm["ts"] and r[0] in done)]
            if not fresh:
                return filed
            with self.catalog.transaction():
                for posting_id, updated_at, doc in fresh:
                    filed += self._file(JobPosting.model_validate_json(doc), now)
                    if updated_at != wm["ts"]:
                        wm = {"ts": updated_at, "ids": []}
                    wm["ids"].append(posting_id)
                self.catalog.set_meta(WATERMARK_KEY, json.dumps(wm))

    def _file(self, posting: JobPosting, now: datetime) -> int:
        if posting.status != "open" or not publishable(posting) or not posting.cluster_id:
            return 0
        matches = self.matcher.match(posting, now)
        if not matches:
            return 0
        members = self.catalog.cluster_posting_ids(posting.cluster_id)
        reachable = self.catalog.reachable_seekers([m.seq for m in matches])  # counted-only ones are not
        filed = 0
        for m in matches:
            if m.seq not in reachable:
                continue
            if self.catalog.already_notified(m.seq, posting.cluster_id, members):
                continue
            filed += self.catalog.add_notification(m.seq, posting.cluster_id, posting.id, m.score, m.reasons,
                                                   _iso(now))
        return filed

    def dispatch(self, limit: int = 5000) -> DispatchReport:
        """One delivery pass over due notifications: quiet hours, rate limits, retries, dead letters."""
        report = DispatchReport()
        now = self.clock()
        due = self.catalog.due_notifications(_iso(now), limit)
        if not due:
            return report
        people = self.catalog.seeker_contacts(sorted({n["seq"] for n in due}))
        profiles: dict[int, Profile] = {}
        sent_now: dict[int, list[str]] = {}
        outgoing: list[tuple[dict[str, Any], Channel | None, dict[str, Any]]] = []
        summaries: dict[str, dict[str, Any]] = {}
        with self.catalog.transaction():
            for note in due:
                person = people.get(note["seq"])
                if person is None:
                    continue
                seeker_id, profile_json, sealed = person
                profile = profiles.get(note["seq"]) or Profile.model_validate_json(profile_json)
                profiles[note["seq"]] = profile
                later = quiet_until(profile.quiet_hours, now)
                if later is None:
                    hour_ago = _iso(now - timedelta(hours=1))
                    recent = self.catalog.sent_since(note["seq"], hour_ago) + sent_now.get(note["seq"], [])
                    if len(recent) >= profile.max_per_hour:
                        later = datetime.fromisoformat(min(recent)) + timedelta(hours=1)
                if later is not None:
                    self.catalog.notification_later(note["id"], note["attempts"], _iso(later), None)
                    report.deferred += 1
                    continue
                sent_now.setdefault(note["seq"], []).append(_iso(now))
                contact = self.box.open(sealed)
                channel = Channel.model_validate(contact) if contact else None
                outgoing.append((note, channel, self._message(seeker_id, note, now, summaries)))
        with ThreadPoolExecutor(max_workers=min(DELIVERY_WORKERS, max(1, len(outgoing)))) as pool:
            results = list(pool.map(self._deliver, outgoing))
        with self.catalog.transaction():
            for (note, _channel, _msg), error in zip(outgoing, results, strict=True):
                attempts = note["attempts"] + 1
                if error is None:
                    self.catalog.notification_sent(note["id"], attempts, _iso(self.clock()))
                    report.sent += 1
                elif attempts >= MAX_ATTEMPTS or error.startswith("permanent:"):
                    self.catalog.notification_dead(note, attempts, error, _iso(now))
                    report.dead += 1
                else:
                    retry_at = now + timedelta(seconds=self.backoff_s * 2 ** (attempts - 1))
                    self.catalog.notification_later(note["id"], attempts, _iso(retry_at), error)
                    report.retried += 1
                if error:
                    report.errors.append(error)
        return report

    def _deliver(self, item: tuple[dict[str, Any], Channel | None, dict[str, Any]]) -> str | None:
        """One attempt: ``None`` when delivered, else the error (never the contact details)."""
        _note, channel, message = item
        if channel is None:
            return "permanent: contact details cannot be decrypted with the current key"
        try:
            result = self.plugins.hook.lingong_notify(channel=channel, message=message)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        if result is None:
            return f"permanent: no plugin delivers to channel kind {channel.kind!r}"
        return None

    def _message(self, seeker_id: str, note: dict[str, Any], now: datetime,
                 summaries: dict[str, dict[str, Any]]) -> dict[str, Any]:
        pid = note["posting_id"]
        if pid not in summaries:
            posting = self.catalog.get_posting(pid)
            summaries[pid] = _summary(posting) if posting else {"id": pid}
        return {"delivery_id": note["id"], "seeker_id": seeker_id, "cluster_id": note["cluster_id"],
                "score": note["score"], "reasons": json.loads(note["reasons"]), "sent_at": _iso(now),
                "posting": summaries[pid]}


def _summary(posting: JobPosting) -> dict[str, Any]:
    pub = public_posting(posting).model_dump(mode="json")
    keep = ("id", "cluster_id", "source_id", "url", "title", "employer", "location", "salary", "schedule",
            "category", "posted_at", "contact")
    return {k: pub[k] for k in keep if k in pub}


def after_sync(app: App) -> None:
    """Match postings changed since the last pass and deliver what is due (called by ``App.sync``).

    Never raises: a matching or delivery failure is logged and the next pass takes it up again.
    """
    try:
        seekers = Seekers.of(app)
        seekers.process_changes()
        if app.catalog.has_seekers():
            seekers.dispatch()
    except Exception:
        log.exception("matching seekers after index sync failed; the next sync retries")
