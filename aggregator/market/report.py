"""The monthly market report: 需求人数, 求职人数, 求人倍率, 工资价位 and 紧缺职业 (definitions: docs/market.md).

:func:`compute_report` is pure: it takes :class:`MarketPosting` values and a seeker counter
and returns a :class:`MarketReport`; :func:`build_report` feeds it from a catalog.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from pydantic import BaseModel, Field

from aggregator.market.classify import classify
from aggregator.market.codes import industry_name, occupation_name, section_of
from aggregator.schema import JobPosting
from normalize.salary import DAILY_FACTORS

__all__ = [
    "DAYS_PER_MONTH", "HOURS_PER_DAY", "MarketPosting", "MarketReport", "ReportSettings", "SeekerCounter",
    "build_report", "compute_report", "month_bounds", "percentile",
]

#: Unit conversion of pay (the same factors as normalize.salary.DAILY_FACTORS).
HOURS_PER_DAY = 8.0
DAYS_PER_MONTH = 21.75
PERCENTILES = (10, 25, 50, 75, 90)
CONVERSION_NOTE = (f"pay offered in postings (not a 指导价): the midpoint of each posting's range, converted to a "
                   f"working day at {HOURS_PER_DAY:g} hours/day, 5 days/week, {DAYS_PER_MONTH:g} days/month, "
                   f"250 days/year; per-piece and per-session pay only where the posting states a daily figure; "
                   f"monthly equivalent = daily × {DAYS_PER_MONTH:g}")


class SeekerCounter(Protocol):
    """``count(start, end, region_prefix, occupation)``: seekers active in [start, end)."""

    def __call__(self, start: date, end: date, region_prefix: str, occupation: str | None) -> int: ...


def no_seekers(start: date, end: date, region_prefix: str, occupation: str | None) -> int:
    return 0


@dataclass(frozen=True)
class MarketPosting:
    """What the report needs of one posting."""

    id: str
    cluster_id: str
    trust: float
    headcount: int | None
    start: date
    end: date | None  # last day it was open (expiry or closing), None while open-ended
    region: str | None  # GB/T 2260 code
    city_name: str | None
    county_name: str | None
    occupation: str  # middle group, e.g. 4-03
    industry: str  # GB/T 4754 division, e.g. 62
    daily_pay: float | None

    @classmethod
    def from_posting(cls, p: JobPosting, first_seen: datetime | None = None,
                     closed_at: datetime | None = None) -> MarketPosting:
        occupation, industry = p.occupation, p.industry
        if not occupation or not industry:
            c = classify(p.title, p.employer.name, p.description)
            occupation, industry = occupation or c.occupation, industry or c.industry
        start = p.posted_at or first_seen or p.provenance.fetched_at
        ends = [d for d in (p.expires_at, closed_at if p.status == "closed" else None) if d is not None]
        return cls(id=p.id, cluster_id=p.cluster_id or p.id, trust=p.provenance.trust, headcount=p.headcount,
                   start=start.date(), end=min(ends).date() if ends else None, region=p.location.code,
                   city_name=p.location.city, county_name=p.location.county, occupation=occupation,
                   industry=industry, daily_pay=daily_pay(p))


def daily_pay(p: JobPosting) -> float | None:
    """CNY per working day: midpoint of the offered range × the unit's daily factor (see CONVERSION_NOTE)."""
    s = p.salary
    if s is None:
        return None
    if s.unit in DAILY_FACTORS and (s.min is not None or s.max is not None):
        lo = s.min if s.min is not None else s.max
        hi = s.max if s.max is not None else s.min
        assert lo is not None and hi is not None
        return round((lo + hi) / 2 * DAILY_FACTORS[s.unit], 2)
    return s.daily_estimate


def month_bounds(month: str) -> tuple[date, date]:
    """``2026-10`` → (2026-10-01, 2026-11-01): the month as a half-open range."""
    year, mon = (int(x) for x in month.split("-"))
    start = date(year, mon, 1)
    return start, date(year + mon // 12, mon % 12 + 1, 1)


def _shift(month: str, delta: int) -> str:
    year, mon = (int(x) for x in month.split("-"))
    idx = year * 12 + mon - 1 + delta
    return f"{idx // 12:04d}-{idx % 12 + 1:02d}"


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (Excel PERCENTILE.INC, numpy's default)."""
    pos = (len(sorted_values) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


class ReportSettings(BaseModel):
    min_count: int = Field(default=5, ge=1, description="cells with fewer postings than this are suppressed")
    shortage_threshold: float = Field(default=1.5, gt=0, description="求人倍率 above this, every month, is 紧缺")
    shortage_months: int = Field(default=3, ge=1, le=24, description="consecutive months ending with the report's")
    trend_months: int = Field(default=6, ge=1, le=36)


class DemandRow(BaseModel):
    """需求人数 / 求职人数 / 求人倍率 for one group; ``None`` where there is nothing to divide by."""

    code: str
    name: str
    demand: int
    postings: int
    seekers: int | None = None
    ratio: float | None = None
    prev_demand: int | None = None
    prev_ratio: float | None = None
    ratio_change: float | None = None
    suppressed: bool = False


class WageRow(BaseModel):
    """工资价位 of one group: percentiles of daily and monthly equivalents, and the postings behind them."""

    code: str
    name: str
    postings: int
    suppressed: bool
    daily: dict[str, float] | None = None
    monthly: dict[str, float] | None = None


class TrendPoint(BaseModel):
    month: str
    demand: int
    seekers: int
    ratio: float | None


class ShortageRow(BaseModel):
    code: str
    name: str
    ratios: dict[str, float]


class MarketReport(BaseModel):
    month: str
    region: str | None
    generated_at: str
    settings: ReportSettings
    pay_note: str = CONVERSION_NOTE
    seekers_note: str
    total: DemandRow
    by_region: list[DemandRow]
    by_industry: list[DemandRow]
    by_occupation: list[DemandRow]
    by_occupation_middle: list[DemandRow]
    wages: list[WageRow]
    wages_total: WageRow
    shortage: list[ShortageRow]
    trend: list[TrendPoint]


def _active(postings: Iterable[MarketPosting], month: str, region: str | None) -> list[MarketPosting]:
    """One posting per duplicate cluster (the most trusted) among those open at some time in the month."""
    start, end = month_bounds(month)
    prefix = _prefix(region)
    best: dict[str, MarketPosting] = {}
    for p in postings:
        if p.start >= end or (p.end is not None and p.end < start):
            continue
        if prefix and not (p.region or "").startswith(prefix):
            continue
        cur = best.get(p.cluster_id)
        if cur is None or (p.trust, cur.id) > (cur.trust, p.id):
            best[p.cluster_id] = p
    return sorted(best.values(), key=lambda p: p.id)


def _prefix(region: str | None) -> str:
    if not region:
        return ""
    return region[:2] if region.endswith("0000") else region[:4] if region.endswith("00") else region


def _region_key(p: MarketPosting, region: str | None) -> tuple[str, str]:
    code = p.region or ""
    if region and region.endswith("00") and not region.endswith("0000"):
        return (code if len(code) == 6 else "", p.county_name or code or "未知")
    if len(code) != 6:
        return ("", "未知地区")
    if code.endswith("0000"):
        return (code, "省本级（未到地市）")
    return (code[:4] + "00", p.city_name or code[:4] + "00")


def _ratio(demand: int, seekers: int | None) -> float | None:
    return round(demand / seekers, 2) if seekers else None


Grouper = Callable[[MarketPosting], tuple[str, str]]


def _demand_rows(active: list[MarketPosting], key: Grouper, seekers: Callable[[str], int | None],
                 prev: list[MarketPosting], prev_seekers: Callable[[str], int | None],
                 min_count: int) -> list[DemandRow]:
    groups: dict[str, list[MarketPosting]] = defaultdict(list)
    names: dict[str, str] = {}
    for p in active:
        code, name = key(p)
        groups[code].append(p)
        names.setdefault(code, name)
    prev_demand: dict[str, int] = defaultdict(int)
    for p in prev:
        prev_demand[key(p)[0]] += p.headcount or 1
    rows = []
    for code, members in groups.items():
        demand = sum(p.headcount or 1 for p in members)
        s = seekers(code)
        ratio = _ratio(demand, s)
        pd = prev_demand.get(code)
        pr = _ratio(pd, prev_seekers(code)) if pd else None
        rows.append(DemandRow(code=code, name=names[code], demand=demand, postings=len(members), seekers=s,
                              ratio=ratio, prev_demand=pd, prev_ratio=pr,
                              ratio_change=round(ratio - pr, 2) if ratio is not None and pr is not None else None,
                              suppressed=len(members) < min_count))
    return sorted(rows, key=lambda r: (-r.demand, r.code))


def _wage_row(code: str, name: str, members: list[MarketPosting], min_count: int) -> WageRow:
    values = sorted(p.daily_pay for p in members if p.daily_pay is not None)
    if len(values) < min_count:
        return WageRow(code=code, name=name, postings=len(values), suppressed=True)
    daily = {f"p{q}": round(percentile(values, q), 2) for q in PERCENTILES}
    monthly = {k: round(v * DAYS_PER_MONTH, 2) for k, v in daily.items()}
    return WageRow(code=code, name=name, postings=len(values), suppressed=False, daily=daily, monthly=monthly)


def compute_report(postings: Sequence[MarketPosting], month: str, *, region: str | None = None,
                   seekers: SeekerCounter = no_seekers, settings: ReportSettings | None = None,
                   seekers_note: str = "", now: datetime | None = None) -> MarketReport:
    """The report for ``month`` (``YYYY-MM``) over ``postings``, optionally within ``region`` (GB/T 2260)."""
    cfg = settings or ReportSettings()
    prefix = _prefix(region)
    prev_month = _shift(month, -1)
    active = _active(postings, month, region)
    prev = _active(postings, prev_month, region)

    def counter(m: str, occupation: str | None = None, sub: str | None = None) -> int:
        start, end = month_bounds(m)
        return seekers(start, end, sub if sub is not None else prefix, occupation)

    def by_region(p: MarketPosting) -> tuple[str, str]:
        return _region_key(p, region)

    def region_seekers(m: str) -> Callable[[str], int | None]:
        # A city row holds its counties; the row of postings placed no finer than the province (省本级)
        # or than the report's own city holds that code alone, so do its seekers.
        def count(code: str) -> int | None:
            if not code:
                return None
            return counter(m, sub=code if code.endswith("0000") or code == region else _prefix(code))

        return count

    def occ_seekers(m: str) -> Callable[[str], int | None]:
        return lambda code: counter(m, occupation=code)

    def no_split(code: str) -> int | None:
        return None  # seekers state occupations and places, not industries

    rows = {
        "by_region": _demand_rows(active, by_region, region_seekers(month), prev, region_seekers(prev_month),
                                  cfg.min_count),
        "by_industry": _demand_rows(active, lambda p: (section_of(p.industry), industry_name(section_of(p.industry))),
                                    no_split, prev, no_split, cfg.min_count),
        "by_occupation": _demand_rows(active, lambda p: (p.occupation.split("-")[0],
                                                         occupation_name(p.occupation.split("-")[0])),
                                      occ_seekers(month), prev, occ_seekers(prev_month), cfg.min_count),
        "by_occupation_middle": _demand_rows(active, lambda p: (p.occupation, occupation_name(p.occupation)),
                                             occ_seekers(month), prev, occ_seekers(prev_month), cfg.min_count),
    }
    total = _demand_rows(active, lambda p: ("total", "合计"), lambda c: counter(month), prev,
                         lambda c: counter(prev_month), 1)
    total_row = total[0] if total else DemandRow(code="total", name="合计", demand=0, postings=0,
                                                 seekers=counter(month))
    groups: dict[str, list[MarketPosting]] = defaultdict(list)
    for p in active:
        groups[p.occupation].append(p)
    wages = sorted((_wage_row(c, occupation_name(c), m, cfg.min_count) for c, m in groups.items()),
                   key=lambda w: (w.suppressed, -w.postings, w.code))
    trend = []
    for back in range(cfg.trend_months - 1, -1, -1):
        m = _shift(month, -back)
        act = _active(postings, m, region)
        demand = sum(p.headcount or 1 for p in act)
        s = counter(m)
        trend.append(TrendPoint(month=m, demand=demand, seekers=s, ratio=_ratio(demand, s)))
    return MarketReport(
        month=month, region=region, generated_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
        settings=cfg, seekers_note=seekers_note, total=total_row, wages_total=_wage_row("total", "合计", active,
                                                                                        cfg.min_count),
        wages=wages, shortage=_shortage(postings, month, region, counter, cfg), trend=trend, **rows)


def _shortage(postings: Sequence[MarketPosting], month: str, region: str | None,
              counter: Callable[..., int], cfg: ReportSettings) -> list[ShortageRow]:
    """Middle groups whose 求人倍率 exceeded the threshold in each of the last ``shortage_months`` months."""
    ratios: dict[str, dict[str, float]] = defaultdict(dict)
    months = [_shift(month, -k) for k in range(cfg.shortage_months - 1, -1, -1)]
    for m in months:
        demand: dict[str, int] = defaultdict(int)
        count: dict[str, int] = defaultdict(int)
        for p in _active(postings, m, region):
            demand[p.occupation] += p.headcount or 1
            count[p.occupation] += 1
        for code, d in demand.items():
            r = _ratio(d, counter(m, occupation=code))
            if r is not None and count[code] >= cfg.min_count:
                ratios[code][m] = r
    out = [ShortageRow(code=c, name=occupation_name(c), ratios=r) for c, r in ratios.items()
           if len(r) == len(months) and all(v > cfg.shortage_threshold for v in r.values())]
    return sorted(out, key=lambda s: -s.ratios[month])


def build_report(catalog: Any, month: str, *, region: str | None = None,
                 settings: ReportSettings | None = None) -> MarketReport:
    """The report from a :class:`aggregator.catalog.Catalog` (postings and, when present, seekers)."""
    from aggregator.market.seekers import SEEKERS_NOTE, catalog_seekers, seekers_available

    rows = [MarketPosting.from_posting(p, first_seen, closed_at)
            for p, first_seen, closed_at in catalog.market_postings()]
    return compute_report(rows, month, region=region, seekers=catalog_seekers(catalog), settings=settings,
                          seekers_note="" if seekers_available(catalog) else SEEKERS_NOTE)
