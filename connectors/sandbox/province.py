"""The sandbox province's postings: a deterministic function of (seed, size, day).

Posting ``i`` is drawn from ``random.Random(f"{seed}/p/{i}")`` and seed-corpus
rows (``seed_corpus.json``, real public postings), so any one posting can be built
without building the others. Postings ``0 .. size-1`` are open on day 0; about 3%
of ``size`` new postings appear every following day, each open posting changes
with probability 4% and closes with probability 3% a day (≈10% churn a day).

Each posting has one *primary* source (chosen by its place) and, for about a fifth
of them, copies on one or two other sources: a cross-posted job whose copies are
written differently (``variation.py``). The ground truth is
``Province.truth(day)``.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from random import Random
from typing import Any

from connectors.sandbox import variation as var
from normalize.uscc import make_uscc

__all__ = ["BASE_DATE", "SOURCES", "Posting", "Province", "Record"]

BASE_DATE = date(2026, 11, 20)  # day 0
_CORPUS = Path(__file__).resolve().parent / "seed_corpus.json"

P_NEW, P_CHANGE, P_CLOSE = 0.03, 0.04, 0.03
P_CROSS = 0.22  # among postings whose place has two or more sources → ≈20% of all postings
P_SCAM, P_MALFORMED = 0.03, 0.02

# source id → (site, region it covers)
SOURCES: dict[str, tuple[str, str]] = {
    "county_baiyun": ("baiyun", "440111"),
    "county_xiangzhou": ("xiangzhou", "440402"),
    "county_nanhai": ("nanhai", "440605"),
    "portal_yuegong": ("portal", "440000"),
    "feed_gz_labour": ("agencies", "440100"),
    "feed_fs_hr": ("agencies", "440600"),
    "feed_zh_service": ("agencies", "440400"),
    "jsonld_dongguan": ("jobsite", "441900"),
}

# county code → (city, county, weight, [(source, weight as primary)])
_PORTAL = "portal_yuegong"
_PLACES: dict[str, tuple[str, str, int, list[tuple[str, float]]]] = {
    "440111": ("广州", "白云区", 14, [("county_baiyun", 0.55), ("feed_gz_labour", 0.2), (_PORTAL, 0.25)]),
    "440106": ("广州", "天河区", 3, [("feed_gz_labour", 0.6), (_PORTAL, 0.4)]),
    "440113": ("广州", "番禺区", 3, [("feed_gz_labour", 0.6), (_PORTAL, 0.4)]),
    "440105": ("广州", "海珠区", 3, [("feed_gz_labour", 0.6), (_PORTAL, 0.4)]),
    "440605": ("佛山", "南海区", 12, [("county_nanhai", 0.55), ("feed_fs_hr", 0.2), (_PORTAL, 0.25)]),
    "440606": ("佛山", "顺德区", 3, [("feed_fs_hr", 0.6), (_PORTAL, 0.4)]),
    "440604": ("佛山", "禅城区", 3, [("feed_fs_hr", 0.6), (_PORTAL, 0.4)]),
    "440402": ("珠海", "香洲区", 12, [("county_xiangzhou", 0.55), ("feed_zh_service", 0.2), (_PORTAL, 0.25)]),
    "440403": ("珠海", "斗门区", 3, [("feed_zh_service", 0.6), (_PORTAL, 0.4)]),
    "440404": ("珠海", "金湾区", 3, [("feed_zh_service", 0.6), (_PORTAL, 0.4)]),
    "441900": ("东莞", "", 12, [("jsonld_dongguan", 0.7), (_PORTAL, 0.3)]),
    "440306": ("深圳", "宝安区", 3, [(_PORTAL, 1.0)]),
    "440307": ("深圳", "龙岗区", 3, [(_PORTAL, 1.0)]),
    "440902": ("茂名", "茂南区", 2, [(_PORTAL, 1.0)]),
    "441302": ("惠州", "惠城区", 2, [(_PORTAL, 1.0)]),
    "440703": ("江门", "蓬江区", 2, [(_PORTAL, 1.0)]),
    "442000": ("中山", "", 2, [(_PORTAL, 1.0)]),
}
_PLACE_CODES = list(_PLACES)
_PLACE_WEIGHTS = [p[2] for p in _PLACES.values()]
_GENERIC_STREETS = ["建设路", "人民路", "工业大道", "新城大道", "迎宾路", "环城路", "站前路", "创业路", "东风路",
                    "兴业路", "朝阳路", "沿江路"]
_FEES = ["入职前需缴纳押金200元，离职时退还。", "上岗前统一培训，培训费380元，培训合格后安排工作。",
         "需自购工作服，服装费150元，首月工资中返还。", "手机刷单，无需经验，一单一结，日赚300+，需先垫付本金。",
         "报名需交资料费、体检费共计120元。", "先交办卡费50元，包分配工作。"]
_FEE_WORDS = ("押金", "培训费", "服装费", "刷单", "体检费", "办卡费", "/其他")


@cache
def corpus() -> dict[str, Any]:
    """The committed seed corpus (see ``connectors/samples/build_seed.py``)."""
    data: dict[str, Any] = json.loads(_CORPUS.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True, slots=True)
class Employer:
    name: str
    uscc: str  # "" when the employer gives none
    uscc_valid: bool
    county: str


@dataclass(frozen=True, slots=True)
class Posting:
    """A job as it exists in the province (before any source writes it down)."""

    index: int
    born: int  # day it appears (postings of day 0 have born <= 0: their posted date)
    close_day: int  # first day it is no longer listed
    change_days: tuple[int, ...]
    employer: int
    county: str
    sources: tuple[str, ...]  # primary first
    scam: bool

    def open_on(self, day: int) -> bool:
        return max(self.born, 0) <= day < self.close_day

    def version(self, day: int) -> int:
        return sum(1 for c in self.change_days if c <= day)

    @property
    def cross_posted(self) -> bool:
        return len(self.sources) > 1


@dataclass(frozen=True, slots=True)
class Record:
    """One posting as one source publishes it on one day (text already in that source's style)."""

    source_id: str
    native_id: str
    index: int
    title: str
    employer: str
    uscc: str
    salary: str
    address: str
    county: str
    phone: str
    contact: str
    posted_at: date
    updated_at: datetime
    expires_at: date | None
    kind: str
    headcount: str
    description: str
    malformed: str | None  # reason, when the source writes this record broken


def _geometric(rng: Random, p: float) -> int:
    """Days until an event of daily probability ``p`` (≥ 1)."""
    return 1 + int(math.log(1.0 - rng.random()) / math.log(1.0 - p))


class Province:
    """All postings of the sandbox province. Thread-safe; caches skeletons and per-day listings."""

    def __init__(self, seed: int = 20261120, size: int = 400) -> None:
        if size < 1:
            raise ValueError("size must be positive")
        self.seed, self.size = seed, size
        self.new_per_day = max(1, round(size * P_NEW))
        self.n_employers = max(40, size // 5)
        self._lock = threading.Lock()
        self._postings: dict[int, Posting] = {}
        self._listing: dict[tuple[str, int], list[Record]] = {}
        self._by_native: dict[tuple[str, str], int] = {}
        self._employers: dict[int, Employer] = {}

    # --- skeletons ------------------------------------------------------------------------------

    def universe(self, day: int) -> int:
        """How many postings exist (open or not) up to ``day``."""
        return self.size + max(day, 0) * self.new_per_day

    def posting(self, i: int) -> Posting:
        p = self._postings.get(i)
        if p is None:  # two threads may both build it: the same value, so no lock needed
            p = self._postings[i] = self._make_posting(i)
        return p

    def _make_posting(self, i: int) -> Posting:
        rng = Random(f"{self.seed}/p/{i}")
        born = -rng.randint(0, 29) if i < self.size else 1 + (i - self.size) // self.new_per_day
        start = max(born, 0)
        close = start + _geometric(rng, P_CLOSE)
        changes: list[int] = []
        d = start + _geometric(rng, P_CHANGE)
        while d < close:
            changes.append(d)
            d += _geometric(rng, P_CHANGE)
        emp = rng.randrange(self.n_employers)
        county = self.employer(emp).county
        candidates = _PLACES[county][3]
        primary = rng.choices([s for s, _ in candidates], [w for _, w in candidates])[0]
        sources = [primary]
        # low-discrepancy: any stretch of postings gets close to P_CROSS of copies
        frac = (i * 0.6180339887498949 + (self.seed % 1000) / 1000) % 1.0
        others = [s for s, _ in candidates if s != primary]
        if others and frac < P_CROSS:
            rng.shuffle(others)
            sources += others[: 2 if len(others) > 1 and frac < P_CROSS * 0.15 else 1]
        return Posting(i, born, close, tuple(changes), emp, county, tuple(sources), rng.random() < P_SCAM)

    def employer(self, j: int) -> Employer:
        emp = self._employers.get(j)
        if emp is None:
            emp = self._employers[j] = self._make_employer(j)
        return emp

    def _make_employer(self, j: int) -> Employer:
        rng = Random(f"{self.seed}/e/{j}")
        names = corpus()["employers"]
        county = rng.choices(_PLACE_CODES, _PLACE_WEIGHTS)[0]
        city, county_name, _, _ = _PLACES[county]
        name = str(names[(j * 7919) % len(names)][0])
        name = name.replace("{city}", city if rng.random() < 0.7 else city + "市")
        if j >= len(names):
            name += f"（{county_name or city}分公司）"
        body = "91" + county + "".join(rng.choice(var.USCC_CHARS) for _ in range(9))
        code, valid = make_uscc(body), True
        u = rng.random()
        if u < 0.05:
            code, valid = code[:-1] + rng.choice([c for c in var.USCC_CHARS if c != code[-1]]), False
        elif u < 0.08:
            code = ""
        return Employer(name, code, valid, county)

    # --- records ------------------------------------------------------------------------------

    def malformed(self, i: int) -> bool:
        """Whether posting ``i``'s (only) source writes it broken; cross-posted jobs are never broken."""
        return not self.posting(i).cross_posted and (i * 0.7548776662466927 + self.seed * 0.1234) % 1.0 < P_MALFORMED

    def native_id(self, source_id: str, i: int) -> str:
        salt = sum(map(ord, source_id)) * 7717
        n = (i * 48271 + salt) % 9_000_000 + 1_000_000
        return {"portal_yuegong": f"GDLG{n}", "feed_gz_labour": f"GZL-{n}", "feed_zh_service": f"ZH{n}"}.get(
            source_id, str(n))

    def record(self, source_id: str, i: int, day: int) -> Record:
        p = self.posting(i)
        return self._record(source_id, i, p.version(day))

    @lru_cache(maxsize=65536)  # noqa: B019 (one Province per sandbox; the cache dies with it)
    def _record(self, source_id: str, i: int, version: int) -> Record:
        p = self.posting(i)
        rng = Random(f"{self.seed}/c/{i}")
        emp = self.employer(p.employer)
        jobs = corpus()["jobs"]
        title, salary, kind, headcount, desc, _origin = jobs[rng.randrange(len(jobs))]
        if p.scam:
            scams = corpus()["fee_scams"]
            if rng.random() < 0.4:
                title, salary, desc, _ = scams[rng.randrange(len(scams))]
                kind = "兼职"
            desc = (desc + "\n" if desc else "") + rng.choice(_FEES)
        city, county_name, _, _ = _PLACES[p.county]
        streets = corpus()["streets"].get(p.county) or _GENERIC_STREETS
        street = f"{rng.choice(streets)}{rng.randint(1, 388)}号"
        phone = var.mobile(rng) if rng.random() < 0.85 else var.landline(rng, city)
        desc = str(desc).replace("<PHONE>", phone)
        contact = var.contact_name(rng)
        posted = BASE_DATE + timedelta(days=p.born)
        expires: date | None = posted + timedelta(days=rng.choice([15, 30, 30, 45, 60, 90]))
        hour, minute = rng.randint(8, 19), rng.choice([0, 5, 10, 20, 30, 45])
        # what changes from version to version
        updated_day = p.born if version == 0 else p.change_days[version - 1]
        if version:
            vr = Random(f"{self.seed}/c/{i}/v{version}")
            headcount = str(vr.choice([1, 2, 3, 5, 8, 10, 15, 20, 30]))
            salary = var.vary_salary(vr, str(salary))
            assert expires is not None
            expires += timedelta(days=15 * version)
            hour, minute = vr.randint(8, 19), vr.choice([0, 15, 30, 45])
        updated = datetime.combine(BASE_DATE + timedelta(days=updated_day), datetime.min.time()).replace(
            hour=hour, minute=minute, second=(i * 7) % 60)
        rec = Record(
            source_id=source_id, native_id=self.native_id(source_id, i), index=i, title=str(title),
            employer=emp.name, uscc=emp.uscc, salary=str(salary),
            address=f"广东省{city}市{county_name}{street}", county=p.county, phone=phone, contact=contact,
            posted_at=posted, updated_at=updated, expires_at=expires, kind=str(kind), headcount=str(headcount),
            description=desc, malformed=None,
        )
        if source_id != p.sources[0]:
            rec = var.cross_copy(Random(f"{self.seed}/c/{i}/s/{source_id}"), rec, city)
        elif self.malformed(i):
            rec = var.break_record(rec)
        return rec

    def listing(self, source_id: str, day: int) -> list[Record]:
        """Records ``source_id`` lists on ``day``, newest update first (cached per day)."""
        key = (source_id, day)
        with self._lock:
            cached = self._listing.get(key)
        if cached is not None:
            return cached
        recs = [self.record(source_id, i, day) for i in range(self.universe(day))
                if source_id in self.posting(i).sources and self.posting(i).open_on(day)]
        recs.sort(key=lambda r: (r.updated_at, r.native_id), reverse=True)
        with self._lock:
            if len(self._listing) > 64:
                self._listing.clear()
            self._listing[key] = recs
            for r in recs:
                self._by_native[(source_id, r.native_id)] = r.index
        return recs

    def find(self, source_id: str, native_id: str, day: int) -> Record | None:
        """The record ``native_id`` of ``source_id`` if it is open on ``day``."""
        self.listing(source_id, day)
        with self._lock:
            i = self._by_native.get((source_id, native_id))
        if i is None or not self.posting(i).open_on(day):
            return None
        return self.record(source_id, i, day)

    # --- ground truth ---------------------------------------------------------------------------

    def truth(self, day: int) -> dict[str, Any]:
        """What a perfect harvest of every source on ``day`` would find.

        ``clusters``: the cross-posted jobs, each a list of ``[source_id, native_id]`` (primary
        first); ``postings``: distinct open jobs; ``records``: per source, how many it lists;
        ``malformed``: ``[source_id, native_id, reason]``; ``fee_scams``: ``[source_id, native_id]``
        of postings that charge the worker (押金, 培训费 …); ``invalid_uscc``: codes with a wrong
        check character that appear in the records.
        """
        open_ = [self.posting(i) for i in range(self.universe(day)) if self.posting(i).open_on(day)]
        clusters = [[[s, self.native_id(s, p.index)] for s in p.sources] for p in open_ if p.cross_posted]
        malformed, scams, invalid = [], [], set()
        counts = {s: 0 for s in SOURCES}
        for p in open_:
            emp = self.employer(p.employer)
            if not emp.uscc_valid:
                invalid.add(emp.uscc)
            for s in p.sources:
                counts[s] += 1
                if self.malformed(p.index):
                    malformed.append([s, self.native_id(s, p.index), var.MALFORMED_REASON[s]])
                if p.scam:
                    scams.append([s, self.native_id(s, p.index)])
        return {
            "seed": self.seed, "size": self.size, "day": day, "date": (BASE_DATE + timedelta(days=day)).isoformat(),
            "postings": len(open_), "records": counts,
            "cross_post_ratio": round(len(clusters) / max(len(open_), 1), 4),
            "clusters": clusters, "malformed": malformed, "fee_scams": scams, "invalid_uscc": sorted(invalid),
        }

    def changed_between(self, source_id: str, day_from: int, day_to: int) -> list[str]:
        """Native ids of ``source_id`` that are new or changed after ``day_from`` up to ``day_to``."""
        out = []
        for i in range(self.universe(day_to)):
            p = self.posting(i)
            if source_id in p.sources and p.open_on(day_to) and (
                not p.open_on(day_from) or p.version(day_to) != p.version(day_from)
            ):
                out.append(self.native_id(source_id, i))
        return out

    def fee_words(self) -> tuple[str, ...]:
        return _FEE_WORDS
