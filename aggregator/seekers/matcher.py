"""Which stored queries (seekers, subscriptions) a posting suits, without scanning them all.

Every profile is filed under the Cartesian product of three small key sets (an inverted
index of stored queries, the embedded counterpart of Elasticsearch's percolator):

- **place**: ``r<code>`` for a region (any level), else ``g<cell>`` for every 0.5° grid
  cell the circle ``near``/``radius_km`` touches, else ``*``;
- **what**: ``c<category>`` and ``o<occupation code prefix>`` per wanted one, else ``*``;
- **pay**: ``b<bucket>`` of the daily floor (geometric buckets, ``b0`` = no floor), or
  ``u<unit>`` for a piece/session floor.

A posting looks up the product of its own keys: ``*`` plus its region code and ancestors
plus its grid cell; ``*`` plus its category and every prefix of its occupation code; ``b0``
up to the bucket of its daily pay, plus ``u<unit>``. That is at most a few hundred dict
look-ups whatever the number of stored queries. The candidates are then checked exactly by
:func:`suits` (the same predicate a brute-force scan uses: the conformance tests prove the
index returns exactly what a scan would) and ranked by :func:`fit`.

The keys live in the catalog (``seeker_keys``); :class:`EmbeddedMatcher` loads each key's
list lazily on first use and drops its caches when the catalog's seeker version changes.
"""

from __future__ import annotations

import math
from array import array
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from itertools import product
from typing import TYPE_CHECKING, Any, Protocol

from aggregator.schema import JobPosting
from aggregator.seekers.model import UNIT_NAMES, Profile, parse_window

if TYPE_CHECKING:
    from aggregator.catalog import Catalog

CELL_DEG = 0.5
_BUCKET_BASE = 10.0
_BUCKET_RATIO = math.log(1.15)
MAX_BUCKET = 60
_KM_PER_DEG = 111.32


def pay_bucket(daily: float | None) -> int:
    """0 for no floor; else 1.. (15% wide, geometric): a floor in bucket k suits pay in buckets ≥ k."""
    if daily is None or daily <= 0:
        return 0
    if daily < _BUCKET_BASE:
        return 1
    return min(MAX_BUCKET, 1 + int(math.log(daily / _BUCKET_BASE) / _BUCKET_RATIO))


def _cell(lat: float, lon: float) -> str:
    return f"{math.floor(lat / CELL_DEG)}:{math.floor(lon / CELL_DEG)}"


def _cells_around(lat: float, lon: float, radius_km: float) -> list[str]:
    dlat = radius_km / _KM_PER_DEG
    dlon = radius_km / (_KM_PER_DEG * max(0.05, math.cos(math.radians(lat))))
    rows = range(math.floor((lat - dlat) / CELL_DEG), math.floor((lat + dlat) / CELL_DEG) + 1)
    cols = range(math.floor((lon - dlon) / CELL_DEG), math.floor((lon + dlon) / CELL_DEG) + 1)
    return [f"{r}:{c}" for r in rows for c in cols]


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def profile_keys(p: Profile) -> list[str]:
    """The index keys a profile is filed under."""
    if p.region:
        places = [f"r{p.region}"]
    elif p.near is not None:
        places = [f"g{c}" for c in _cells_around(p.near[0], p.near[1], p.radius_km or 30.0)]
    else:
        places = ["*"]
    whats = [f"c{c}" for c in p.categories] + [f"o{o}" for o in p.occupations] or ["*"]
    unit = p.floor_unit()
    pays = [f"u{unit}"] if unit else [f"b{pay_bucket(p.floor_daily())}"]
    return [f"{a}|{b}|{c}" for a, b, c in product(places, dict.fromkeys(whats), pays)]


def posting_occupation(posting: JobPosting) -> str | None:
    """The posting's 职业分类大典 code, wherever occupation coding put it (attribute or ``extras``)."""
    value: Any = getattr(posting, "occupation", None) or posting.extras.get("occupation")
    if isinstance(value, dict):
        value = value.get("code")
    return value if isinstance(value, str) and value else None


@dataclass(slots=True)
class PostingView:
    """What matching reads of a posting, computed once per posting."""

    posting: JobPosting
    regions: list[str]
    point: tuple[float, float] | None
    category: str | None
    occupation: str | None
    daily: float | None
    unit: str | None
    text: str
    keys: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, posting: JobPosting) -> PostingView:
        loc, s = posting.location, posting.salary
        point = (loc.lat, loc.lon) if loc.lat is not None and loc.lon is not None else None
        occ = posting_occupation(posting)
        text = " ".join(x for x in (posting.title, posting.description, posting.employer.name) if x).lower()
        view = cls(posting, loc.region_codes(), point, posting.category, occ,
                   s.daily_estimate if s else None, s.unit if s else None, text)
        places = ["*", *(f"r{c}" for c in view.regions)] + ([f"g{_cell(*point)}"] if point else [])
        whats = ["*"] + ([f"c{view.category}"] if view.category else [])
        if occ:
            parts = occ.split("-")
            whats += [f"o{'-'.join(parts[:i])}" for i in range(1, len(parts) + 1)]
        pays = [f"b{b}" for b in range(pay_bucket(view.daily) + 1)] + ([f"u{view.unit}"] if view.unit else [])
        view.keys = [f"{a}|{b}|{c}" for a, b, c in product(places, whats, pays)]
        return view


def _top_pay(view: PostingView) -> float | None:
    s = view.posting.salary
    if s is None:
        return None
    return s.max if s.max is not None else s.min


def suits(p: Profile, view: PostingView, now: datetime | None = None) -> bool:
    """The exact predicate: does this posting suit this stored query?"""
    posting = view.posting
    if posting.status != "open" or posting.employer.verification == "blacklisted":
        return False
    if p.region and p.region not in view.regions:
        return False
    if p.near is not None and (view.point is None or distance_km(p.near, view.point) > (p.radius_km or 30.0)):
        return False
    if p.categories or p.occupations:
        occ = view.occupation or ""
        if view.category not in p.categories and not any(occ == o or occ.startswith(o + "-")
                                                         for o in p.occupations):
            return False
    unit = p.floor_unit()
    if unit is not None:
        top = _top_pay(view)
        if view.unit != unit or top is None or p.min_pay is None or top < p.min_pay.amount:
            return False
    else:
        floor = p.floor_daily()
        if floor is not None and (view.daily is None or view.daily < floor):
            return False
    if p.terms and not all(t.lower() in view.text for t in p.terms):
        return False
    if p.employment_type and posting.schedule.employment_type != p.employment_type:
        return False
    if p.pay_unit and view.unit != p.pay_unit:
        return False
    if p.verified_only and posting.employer.verification != "verified":
        return False
    if p.posted_within_days is not None:
        now = now or datetime.now(UTC)
        posted = posting.posted_at
        if posted is None:
            return False
        if posted.tzinfo is None:
            posted = posted.replace(tzinfo=UTC)
        if posted < now - timedelta(days=p.posted_within_days):
            return False
    return True


# --- ranking ---------------------------------------------------------------------------------------


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _span(window: str) -> tuple[int, int]:
    a, b = (_minutes(t) for t in parse_window(window))
    return (a, b) if b > a else (a, b + 24 * 60)


def _hours_overlap(want: str, offered: str) -> float | None:
    try:
        a, b = _span(want)
        c, d = _span(offered)
    except ValueError:
        return None
    return max(0, min(b, d) - max(a, c)) / max(1, d - c)


def fit(p: Profile, view: PostingView) -> tuple[float, list[str]]:
    """Rank in [0, 1] with the reasons: occupation, distance, time window, pay (after unit conversion)."""
    posting, reasons, score = view.posting, [], 0.0
    # occupation (0.35): what was asked for, then skills named in the posting
    if view.occupation and any(view.occupation == o or view.occupation.startswith(o + "-") for o in p.occupations):
        score += 0.3
        reasons.append(f"occupation {view.occupation} is one you want")
    elif view.category and view.category in p.categories:
        score += 0.3
        reasons.append(f"category {view.category} is one you want")
    elif not (p.occupations or p.categories):
        score += 0.15
    skills = [s for s in p.skills if s.lower() in view.text]
    if skills:
        score += min(0.05, 0.025 * len(skills))
        reasons.append("mentions your skills: " + "、".join(skills))
    # distance (0.25)
    if p.near is not None and view.point is not None:
        d = distance_km(p.near, view.point)
        radius = p.radius_km or 30.0
        score += 0.25 * max(0.0, 1 - d / radius)
        reasons.append(f"{d:.1f} km from you (within {radius:g} km)")
    elif p.region and p.region in view.regions:
        score += 0.15
        reasons.append(f"in your region {p.region}")
    else:
        score += 0.1
    # time window (0.15)
    sched = posting.schedule
    day_ok: bool | None = None
    if sched.start_date is not None:
        day_ok = sched.start_date.isoweekday() in p.days
        reasons.append(f"starts {sched.start_date.isoformat()}, " + ("a day you are free" if day_ok
                                                                      else "not one of your days"))
    overlap = _hours_overlap(p.hours, sched.hours) if p.hours and sched.hours else None
    if overlap is not None:
        reasons.append(f"hours {sched.hours}: {overlap:.0%} inside your {p.hours}")
    time_score = (overlap if overlap is not None else 0.5) * (0.5 if day_ok is False else 1.0)
    score += 0.15 * time_score
    # pay (0.25), compared after unit conversion
    floor = p.floor_daily()
    s = posting.salary
    if s is not None and view.daily is not None:
        offered = f"{_pay_text(s.min, s.max, s.unit)}"
        if floor:
            ratio = view.daily / floor
            score += 0.25 * min(1.0, 0.5 + (ratio - 1.0))
            want = p.min_pay.text() if p.min_pay else f"{floor:g}元/天"
            hours = (f" (×{8 if p.min_pay and p.min_pay.unit == 'hour' else 1:g}h = {floor:g}元/天)"
                     if p.min_pay and p.min_pay.unit == "hour" else "")
            reasons.append(f"pay {offered} ≈ {view.daily:g}元/天 ≥ your {want}{hours}")
        else:
            score += 0.125
            reasons.append(f"pay {offered} ≈ {view.daily:g}元/天")
    elif p.floor_unit() and s is not None:
        score += 0.2
        reasons.append(f"pay {_pay_text(s.min, s.max, s.unit)} ≥ your {p.min_pay.text() if p.min_pay else ''}")
    return round(min(1.0, score), 4), reasons


def _pay_text(lo: float | None, hi: float | None, unit: str | None) -> str:
    span = f"{lo:g}" if hi in (None, lo) and lo is not None else (
        f"{hi:g}" if lo is None and hi is not None else f"{lo:g}-{hi:g}")
    return f"{span}元/{UNIT_NAMES.get(unit or '', '?')}"


# --- the index ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class Match:
    """One stored query a posting suits, ranked."""

    seq: int
    profile: Profile
    score: float
    reasons: list[str]


class Matcher(Protocol):
    """A matcher engine: the stored queries a posting suits, best fit first (embedded or percolator)."""

    name: str

    def match(self, posting: JobPosting, now: datetime | None = None) -> list[Match]: ...


class EmbeddedMatcher:
    """The in-process matcher over the catalog's ``seeker_keys`` (lazily cached per key)."""

    name = "embedded"

    def __init__(self, catalog: Catalog, profile_cache: int = 200_000) -> None:
        self.catalog = catalog
        self._keys: dict[str, array[int]] = {}
        self._profiles: OrderedDict[int, Profile] = OrderedDict()
        self._profile_cache = profile_cache
        self._version: str | None = None

    def _fresh(self) -> None:
        version = self.catalog.seekers_version()
        if version != self._version:
            self._keys.clear()
            self._profiles.clear()
            self._version = version

    def _ids(self, key: str) -> array[int]:
        ids = self._keys.get(key)
        if ids is None:
            ids = self._keys[key] = array("q", self.catalog.seekers_under_key(key))
        return ids

    def _load(self, seqs: Iterable[int]) -> dict[int, Profile]:
        return load_profiles(self.catalog, self._profiles, self._profile_cache, seqs)

    def candidates(self, view: PostingView) -> set[int]:
        """Stored queries filed under any of the posting's keys: a superset of the matches."""
        self._fresh()
        found: set[int] = set()
        for key in view.keys:
            found.update(self._ids(key))
        return found

    def match(self, posting: JobPosting, now: datetime | None = None) -> list[Match]:
        """The stored queries this posting suits, best fit first."""
        view = PostingView.of(posting)
        profiles = self._load(sorted(self.candidates(view)))
        out = []
        for seq, prof in profiles.items():
            if suits(prof, view, now):
                score, reasons = fit(prof, view)
                out.append(Match(seq, prof, score, reasons))
        out.sort(key=lambda m: (-m.score, m.seq))
        return out


def brute_force(profiles: dict[int, Profile], posting: JobPosting, now: datetime | None = None) -> list[int]:
    """The reference: scan every stored query (tests and the benchmark's check only)."""
    view = PostingView.of(posting)
    return sorted(s for s, p in profiles.items() if suits(p, view, now))


def load_profiles(catalog: Catalog, cache: OrderedDict[int, Profile], limit: int,
                  seqs: Iterable[int]) -> dict[int, Profile]:
    """The profiles of stored queries ``seqs``: from ``cache`` (LRU, at most ``limit``), the rest from the catalog."""
    out: dict[int, Profile] = {}
    missing = []
    for s in seqs:
        prof = cache.get(s)
        if prof is None:
            missing.append(s)
        else:
            out[s] = prof
    for s, doc in catalog.seeker_profiles(missing):
        prof = out[s] = cache[s] = Profile.model_validate_json(doc)
        if len(cache) > limit:
            cache.popitem(last=False)
    return out
