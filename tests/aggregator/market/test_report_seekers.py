"""求职人数 and 求人倍率 from registered seekers: a small month recomputed by hand, through ``lingong report``."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aggregator.catalog import Catalog
from aggregator.cli import app as cli_app
from aggregator.market.report import build_report
from aggregator.market.seekers import catalog_seekers, seekers_available
from aggregator.plugins import make_plugins
from aggregator.seekers import SeekerRegistration, Seekers, SubscriptionRequest
from tests.aggregator.seekers.conftest import posting

HOOK = {"kind": "sms", "id": "opaque-channel-id"}
OCT = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)

# October 2026: four postings, one per cluster.             demand   city     major  middle
POSTINGS = [
    dict(code="440106", occupation="4-10", headcount=3),  # 3       广州     4      4-10
    dict(code="440106", occupation="4-03", headcount=2),  # 2       广州     4      4-03
    dict(code="440305", occupation="4-10", headcount=None),  # 1 (unknown: 1)  深圳  4   4-10
    dict(code="440305", occupation="6-99", headcount=4),  # 4       深圳     6      6-99
]

# (id, registration, registered at). Only seeker registrations registered before the month's end and
# not deleted count; saved searches are not seekers.
SEEKERS: list[tuple[str, dict[str, Any], str]] = [
    ("s1", {"region": "440106", "occupations": ["4-10-01"]}, "2026-09-15T08:00:00+00:00"),  # Sept and Oct
    ("s2", {"region": "440100", "occupations": ["4-10"]}, "2026-10-03T08:00:00+00:00"),
    ("s3", {"region": "440305", "occupations": ["4-03-02", "6"]}, "2026-10-20T08:00:00+00:00"),
    ("s4", {"region": "440300", "categories": ["物流配送"]}, "2026-10-10T08:00:00+00:00"),  # no occupation
    ("s5", {"near": (23.1, 113.3), "occupations": ["4"]}, "2026-10-05T08:00:00+00:00"),  # a point, no region
    ("s6", {"region": "440106", "occupations": ["4-10"]}, "2026-11-02T08:00:00+00:00"),  # November: not yet
    ("s7", {"region": "440106", "occupations": ["4-10"]}, "2026-10-01T08:00:00+00:00"),  # deleted below
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("LINGONG_HOME", str(home))
    monkeypatch.setenv("LINGONG_SOURCES", str(tmp_path / "sources"))
    monkeypatch.delenv("ELASTICSEARCH_URL", raising=False)
    monkeypatch.delenv("LINGONG_SEARCH_BACKEND", raising=False)
    home.mkdir()
    catalog = Catalog(home / "catalog.sqlite3")
    seekers = Seekers(catalog, make_plugins(entrypoints=False), home)
    with catalog.transaction():
        for n, p in enumerate(POSTINGS):
            catalog.upsert_posting(posting(n, code=str(p["code"]), occupation=p["occupation"], industry="80",
                                           headcount=p["headcount"], posted_at=OCT), None)
    for seeker_id, reg, at in SEEKERS:
        sid = seekers.register(SeekerRegistration.model_validate({**reg, "channel": HOOK}))
        catalog.db.execute("UPDATE seekers SET id = ?, created_at = ? WHERE id = ?", (seeker_id, at, sid))
    sub = seekers.subscribe(SubscriptionRequest.model_validate({"region": "440106", "channel": HOOK}))
    catalog.db.execute("UPDATE seekers SET created_at = ? WHERE id = ?", ("2026-10-01T00:00:00+00:00", sub))
    assert seekers.delete("s7")
    catalog.close()
    return home


def test_count_active_seekers_by_region_and_occupation(home: Path) -> None:
    catalog = Catalog(home / "catalog.sqlite3")
    try:
        assert seekers_available(catalog)
        count = catalog_seekers(catalog)
        oct_, nov = date(2026, 10, 1), date(2026, 11, 1)
        assert count(oct_, nov, "", None) == 5  # s1-s5: s6 registers in November, s7 was deleted, sub is no seeker
        assert count(date(2026, 9, 1), oct_, "", None) == 1  # s1
        assert count(oct_, nov, "4401", None) == 2  # s1 (440106), s2 (440100); s5 has only a point
        assert count(oct_, nov, "4403", None) == 2  # s3, s4
        assert count(oct_, nov, "440305", None) == 1  # s3
        assert count(oct_, nov, "4", None) == 4  # s1 4-10-01, s2 4-10, s3 4-03-02, s5 "4"
        assert count(oct_, nov, "4-10", None) == 0  # an occupation is not a region prefix
        assert count(oct_, nov, "", "4") == 4
        assert count(oct_, nov, "", "4-10") == 2  # s1, s2
        assert count(oct_, nov, "", "4-03") == 1  # s3
        assert count(oct_, nov, "", "4-1") == 0  # a code prefix is a whole group, not text
        assert count(oct_, nov, "", "6") == 1  # s3 wants all of major group 6 ...
        assert count(oct_, nov, "", "6-99") == 0  # ... which says nothing of a middle group inside it
        assert count(oct_, nov, "4401", "4-10") == 2
        assert count(oct_, nov, "4403", "4-10") == 0
    finally:
        catalog.close()


def test_the_report_divides_demand_by_active_seekers(home: Path) -> None:
    catalog = Catalog(home / "catalog.sqlite3")
    try:
        r = build_report(catalog, "2026-10")
    finally:
        catalog.close()
    assert r.seekers_note == ""
    # 需求人数 3 + 2 + 1 + 4 = 10; 求职人数 5; 求人倍率 10 / 5 = 2.0. September: no demand, 1 seeker.
    assert (r.total.demand, r.total.seekers, r.total.ratio) == (10, 5, 2.0)
    assert r.total.prev_demand is None
    # 广州 (4401): demand 3 + 2 = 5, seekers s1, s2 → 2.5; 深圳 (4403): 1 + 4 = 5, seekers s3, s4 → 2.5.
    assert {row.code: (row.demand, row.seekers, row.ratio) for row in r.by_region} == {
        "440100": (5, 2, 2.5), "440300": (5, 2, 2.5)}
    # Major 4: demand 3 + 2 + 1 = 6, seekers s1, s2, s3, s5 → 1.5; major 6: demand 4, seeker s3 → 4.0.
    assert {row.code: (row.demand, row.seekers, row.ratio) for row in r.by_occupation} == {
        "4": (6, 4, 1.5), "6": (4, 1, 4.0)}
    # 4-10: 3 + 1 = 4 over s1, s2 → 2.0; 4-03: 2 over s3 → 2.0; 6-99: nobody wants it precisely → "—".
    assert {row.code: (row.demand, row.seekers, row.ratio) for row in r.by_occupation_middle} == {
        "4-10": (4, 2, 2.0), "4-03": (2, 1, 2.0), "6-99": (4, 0, None)}
    assert [(t.month, t.demand, t.seekers, t.ratio) for t in r.trend[-2:]] == [
        ("2026-09", 0, 1, 0.0), ("2026-10", 10, 5, 2.0)]
    guangzhou = build_report_region(home, "440100")
    # Within 广州: total demand 5 over s1, s2 → 2.5; occupation cells count only seekers wanting 广州.
    assert (guangzhou.total.demand, guangzhou.total.seekers, guangzhou.total.ratio) == (5, 2, 2.5)
    assert {row.code: (row.demand, row.seekers, row.ratio) for row in guangzhou.by_occupation_middle} == {
        "4-10": (3, 2, 1.5), "4-03": (2, 0, None)}


def build_report_region(home: Path, region: str) -> Any:
    catalog = Catalog(home / "catalog.sqlite3")
    try:
        return build_report(catalog, "2026-10", region=region)
    finally:
        catalog.close()


def test_lingong_report_shows_seekers_and_ratios(home: Path) -> None:
    result = CliRunner().invoke(cli_app, ["report", "--month", "2026-10", "--format", "json", "--min-count", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["total"]["demand"], data["total"]["seekers"], data["total"]["ratio"]) == (10, 5, 2.0)
    assert "求职人数 is 0" not in result.output  # no "cannot count seekers" note
    csv = CliRunner().invoke(cli_app, ["report", "--month", "2026-10", "--format", "csv", "--min-count", "1"])
    assert csv.exit_code == 0, csv.output
    assert "求职人数" in csv.stdout and "2.5" in csv.stdout


def test_province_level_postings_are_divided_by_province_wide_seekers_only(tmp_path: Path) -> None:
    """The 省本级 row holds postings placed no finer than the province: its seekers are those who want the
    province as a whole (region 440000), not every seeker in it; a city row holds all of its counties."""
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    try:
        seekers = Seekers(catalog, make_plugins(entrypoints=False), tmp_path)
        with catalog.transaction():
            for n, (code, headcount) in enumerate([("440000", 6), ("440106", 4), ("440111", 2)]):
                catalog.upsert_posting(posting(n, code=code, occupation="4-02", industry="59", headcount=headcount,
                                               posted_at=OCT), None)
        for region in ("440000", "440000", "440000", "440106", "440100", "440111"):
            seekers.register(SeekerRegistration.model_validate({"region": region, "occupations": ["4-02"],
                                                                "channel": HOOK}))
        catalog.db.execute("UPDATE seekers SET created_at = ?", ("2026-10-01T00:00:00+00:00",))
        province = build_report(catalog, "2026-10", region="440000")
        guangzhou = build_report(catalog, "2026-10", region="440100")
    finally:
        catalog.close()
    # 省本级: demand 6 over the 3 province-wide seekers → 2.0 (not over all 6); 广州: 4 + 2 over 3 → 2.0.
    assert {r.code: (r.demand, r.seekers, r.ratio) for r in province.by_region} == {
        "440000": (6, 3, 2.0), "440100": (6, 3, 2.0)}
    assert (province.total.demand, province.total.seekers, province.total.ratio) == (12, 6, 2.0)
    # Within 广州 the counties hold their own seekers only; the seeker wanting all of 广州 counts in the total.
    assert {r.code: (r.demand, r.seekers, r.ratio) for r in guangzhou.by_region} == {
        "440106": (4, 1, 4.0), "440111": (2, 1, 2.0)}
    assert (guangzhou.total.seekers, guangzhou.total.ratio) == (3, 2.0)
