"""The report's arithmetic, recomputed by hand for a small month."""

from __future__ import annotations

from datetime import date

import pytest

from aggregator.market.report import MarketPosting, ReportSettings, compute_report, percentile


def mp(pid: str, cluster: str, headcount: int | None, start: date, end: date | None, region: str, occupation: str,
       industry: str, pay: float | None, trust: float = 0.5) -> MarketPosting:
    city = {"4401": "广州市", "4403": "深圳市"}[region[:4]]
    return MarketPosting(id=pid, cluster_id=cluster, trust=trust, headcount=headcount, start=start, end=end,
                         region=region, city_name=city, county_name=None, occupation=occupation, industry=industry,
                         daily_pay=pay)


POSTINGS = [
    mp("a", "c1", 3, date(2026, 9, 20), None, "440106", "4-10", "80", 200, trust=0.9),
    mp("a2", "c1", 5, date(2026, 9, 20), None, "440106", "4-10", "80", 999, trust=0.5),  # duplicate of a: ignored
    mp("b", "c2", None, date(2026, 10, 5), date(2026, 10, 20), "440305", "4-10", "80", 160),  # headcount unknown: 1
    mp("c", "c3", 4, date(2026, 10, 10), None, "440106", "4-03", "62", 240),
    mp("d", "c4", 2, date(2026, 8, 1), date(2026, 9, 30), "440106", "4-03", "62", 300),  # ended in September
    mp("e", "c5", 10, date(2026, 11, 2), None, "440106", "4-03", "62", 300),  # starts in November
    mp("f", "c6", 1, date(2026, 10, 1), None, "440106", "4-10", "80", 180),
    mp("g", "c7", 2, date(2026, 9, 1), date(2026, 10, 1), "440305", "6-99", "41", None),  # open on 1 October
]

SEEKERS = {("2026-10", "", None): 22, ("2026-09", "", None): 10, ("2026-10", "4401", None): 16,
           ("2026-10", "4403", None): 6, ("2026-10", "", "4-10"): 2, ("2026-09", "", "4-10"): 1,
           ("2026-10", "", "4-03"): 4, ("2026-10", "", "4"): 9, ("2026-10", "", "6"): 4}


def seekers(start: date, end: date, region_prefix: str, occupation: str | None) -> int:
    return SEEKERS.get((start.strftime("%Y-%m"), region_prefix, occupation), 0)


def test_a_small_month_by_hand() -> None:
    r = compute_report(POSTINGS, "2026-10", seekers=seekers, settings=ReportSettings(min_count=3))
    # Active in October, one per cluster: a (3), b (1: unknown headcount), c (4), f (1), g (2) = 11 people.
    assert (r.total.demand, r.total.postings) == (3 + 1 + 4 + 1 + 2, 5)
    # 求人倍率 = 11 / 22 = 0.5; September: a 3 + d 2 + g 2 = 7 wanted / 10 seekers = 0.7; change 0.5 - 0.7.
    assert (r.total.seekers, r.total.ratio) == (22, 0.5)
    assert (r.total.prev_demand, r.total.prev_ratio, r.total.ratio_change) == (7, 0.7, -0.2)
    regions = {row.code: (row.name, row.demand, row.ratio) for row in r.by_region}
    assert regions == {"440100": ("广州市", 3 + 4 + 1, 0.5), "440300": ("深圳市", 1 + 2, 0.5)}  # 8/16, 3/6
    assert {row.code: row.demand for row in r.by_industry} == {"O": 3 + 1 + 1, "H": 4, "C": 2}
    assert all(row.seekers is None and row.ratio is None for row in r.by_industry)
    occ = {row.code: (row.demand, row.ratio) for row in r.by_occupation}
    assert occ == {"4": (9, 1.0), "6": (2, 0.5)}  # 9/9, 2/4
    # 工资价位 of 4-10: daily pay 160, 180, 200 (a2's 999 is a duplicate). Linear interpolation, rank (n-1)·p:
    # p10 at 0.2 → 160 + 0.2·20 = 164; p25 at 0.5 → 170; p50 → 180; p75 at 1.5 → 190; p90 at 1.8 → 196.
    w = {row.code: row for row in r.wages}
    assert w["4-10"].daily == {"p10": 164, "p25": 170, "p50": 180, "p75": 190, "p90": 196}
    # monthly = daily × 21.75: 164 × 21.75 = 3567, 170 × 21.75 = 3697.5 …
    assert w["4-10"].monthly == {"p10": 3567, "p25": 3697.5, "p50": 3915, "p75": 4132.5, "p90": 4263}
    assert w["4-10"].postings == 3 and not w["4-10"].suppressed
    # One posting with pay (c) and none (g): under min_count 3, suppressed, no figures shown.
    assert w["4-03"].suppressed and w["4-03"].daily is None and w["4-03"].postings == 1
    assert w["6-99"].suppressed and w["6-99"].postings == 0
    # All: 160, 180, 200, 240 → p10 at 0.3 → 166; p25 at 0.75 → 175; p50 at 1.5 → 190; p75 at 2.25 → 210;
    # p90 at 2.7 → 200 + 0.7·40 = 228.
    assert r.wages_total.daily == {"p10": 166, "p25": 175, "p50": 190, "p75": 210, "p90": 228}
    assert [(t.month, t.demand) for t in r.trend][-3:] == [("2026-08", 2), ("2026-09", 7), ("2026-10", 11)]


def test_shortage_needs_the_ratio_above_threshold_in_every_month() -> None:
    cfg = ReportSettings(min_count=1, shortage_threshold=1.5, shortage_months=2)
    r = compute_report(POSTINGS, "2026-10", seekers=seekers, settings=cfg)
    # 4-10: October 5 wanted / 2 seekers = 2.5; September 3 / 1 = 3.0: both above 1.5.
    # 4-03: October 4 / 4 = 1.0: not. 6-99: no seekers, no ratio.
    assert [(s.code, s.ratios) for s in r.shortage] == [("4-10", {"2026-09": 3.0, "2026-10": 2.5})]
    strict = compute_report(POSTINGS, "2026-10", seekers=seekers, settings=cfg.model_copy(
        update={"shortage_threshold": 2.6}))
    assert strict.shortage == []


def test_without_seekers_ratios_are_absent_not_infinite() -> None:
    r = compute_report(POSTINGS, "2026-10")
    assert r.total.seekers == 0 and r.total.ratio is None and r.shortage == []


def test_region_filter_and_county_breakdown() -> None:
    r = compute_report(POSTINGS, "2026-10", region="440100", seekers=seekers)
    assert r.total.demand == 8
    assert {row.code for row in r.by_region} == {"440106"}


@pytest.mark.parametrize(("values", "p", "expected"), [([1.0], 50, 1.0), ([1.0, 2.0], 50, 1.5),
                                                       ([10.0, 20.0, 30.0, 40.0, 50.0], 90, 46.0)])
def test_percentile_is_linear_between_ranks(values: list[float], p: float, expected: float) -> None:
    assert percentile(values, p) == pytest.approx(expected)
