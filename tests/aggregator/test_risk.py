"""Scam and risk signals: each rule, negations, the score, held postings kept out of the index, `lingong review`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aggregator.cli import app as cli_app
from aggregator.errors import ConfigError
from aggregator.risk import PayMedians, RiskAssessor, load_rules
from aggregator.schema import Contact, Employer, JobPosting, Location, Provenance, Salary
from search.base import SearchQuery
from tests.conftest import job, write_ndjson, write_source


def _p(title: str = "仓库分拣员", description: str | None = "负责快递分拣", *,
       employer: str | None = "广州示例物流有限公司", phone: str | None = "13800138000",
       daily: float | None = 200.0, category: str | None = "物流仓储") -> JobPosting:
    return JobPosting(
        id="p_1", source_id="s", native_id="1", title=title, description=description,
        employer=Employer(name=employer), contact=Contact(phone=phone), category=category,
        location=Location(code="440111"), salary=Salary(min=daily, unit="day", daily_estimate=daily) if daily else None,
        provenance=Provenance(source_id="s", native_id="1", connector="feed", fetched_at=datetime.now(UTC),
                              content_hash="x"))


def _rules(**kw: Any) -> RiskAssessor:
    return RiskAssessor(load_rules(), **kw)


def _fired(p: JobPosting, assessor: RiskAssessor | None = None) -> set[str]:
    return {s["rule"] for s in (assessor or _rules()).assess(p).signals}


@pytest.mark.parametrize(("text", "fired"), [
    ("入职需交押金200元，工作服另收服装费", {"upfront_fee"}),
    ("上岗前统一体检，体检费自理", {"upfront_fee"}),
    ("不收押金，不收任何费用", set()),
    ("无需押金，体检费公司报销", set()),
    ("免费培训，包吃住", set()),
    ("招聘手机打字员，在家兼职日结", {"task_scam"}),
    ("淘宝刷单，佣金日结", {"task_scam"}),
    ("谨防刷单诈骗，本公司正规招聘", set()),
    ("负责快递分拣，日结", set()),
])
def test_keyword_rules_and_their_negations(text: str, fired: set[str]) -> None:
    assert _fired(_p(description=text)) == fired


def test_fee_signal_gives_a_readable_reason_and_holds_the_posting() -> None:
    a = _rules().assess(_p(description="需交培训费300元"))
    assert a.held and a.score >= 0.6
    assert a.signals[0]["reason"] == "asks the worker to pay: 培训费"


def test_no_employer_alone_is_a_weak_signal() -> None:
    a = _rules().assess(_p(employer=None))
    assert [s["rule"] for s in a.signals] == ["no_employer"] and not a.held


def test_contact_only_by_messaging_id_with_no_employer_is_held() -> None:
    a = _rules().assess(_p(description="有意者加微信：abc_12345 详聊", employer=None, phone=None))
    assert {s["rule"] for s in a.signals} == {"messaging_only", "no_employer"}
    assert a.held and a.score == pytest.approx(1 - 0.55 * 0.7)
    # a phone number, or a named employer, means the messaging id is not the only way in
    assert "messaging_only" not in _fired(_p(description="加微信abc_12345或电话13800138000", employer=None, phone=None))
    assert "messaging_only" not in _fired(_p(description="加QQ 12345678", phone=None))


def test_pay_far_above_the_median_of_its_category_in_its_city() -> None:
    samples = [("物流仓储", "440106", 180.0 + i) for i in range(10)] + [("餐饮服务", "440106", 500.0)] * 10
    assessor = _rules(medians=PayMedians(samples))
    assert "pay_far_above_median" in _fired(_p(daily=800.0), assessor)
    assert "pay_far_above_median" not in _fired(_p(daily=300.0), assessor)
    assert "pay_far_above_median" not in _fired(_p(daily=800.0, category="餐饮服务"), assessor)
    few = _rules(medians=PayMedians(samples[:3]))  # too few postings to trust a median
    assert "pay_far_above_median" not in _fired(_p(daily=800.0), few)
    (s,) = [s for s in assessor.assess(_p(daily=800.0)).signals if s["rule"] == "pay_far_above_median"]
    assert "中位" not in s["reason"] and "median 184" in s["reason"] and "(10 postings)" in s["reason"]


def test_rules_file_can_be_overridden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "rules.yaml"
    f.write_text("threshold: 0.9\nrules:\n  - {id: no_employer, weight: 0}\n"
                 "  - {id: gig_words, kind: keywords, weight: 0.2, reason: 'says {match}', words: [日结]}\n",
                 encoding="utf-8")
    monkeypatch.setenv("LINGONG_RISK_RULES", str(f))
    rules = load_rules()
    assert rules.threshold == 0.9
    ids = [r.id for r in rules.rules]
    assert "no_employer" not in ids and "gig_words" in ids and "upfront_fee" in ids
    f.write_text("rules:\n  - {id: x, kind: astrology, weight: 0.5, reason: r}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown kind 'astrology'"):
        load_rules()


def test_held_postings_stay_in_the_catalog_out_of_the_index_and_are_listed_for_review(
        open_app, sources_dir: Path, tmp_path: Path) -> None:
    feed = write_ndjson(tmp_path / "a.ndjson", [
        job(1), job(2, jobTitle="手机打字员", detail="在家手机打字，日赚千元，先交押金100元", company="",
               creditCode="")])
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"})
    app = open_app()
    app.harvest(app.select([])[0])
    app.sync()
    scam = app.catalog.get_posting(JobPosting.make_id("feed_a", "J0002"))
    assert scam is not None and scam.extras["risk"]["held"]
    assert [i["native_id"] for i in app.search(SearchQuery()).items] == ["J0001"]
    runner = CliRunner()
    res = runner.invoke(cli_app, ["review", "--sources", str(sources_dir), "--json"])
    assert res.exit_code == 0, res.output
    (row,) = json.loads(res.stdout)
    assert row["native_id"] == "J0002" and row["score"] >= 0.9
    assert {r["rule"] for r in row["reasons"]} == {"task_scam", "upfront_fee", "no_employer"}
    assert "13800138000" not in res.stdout  # contacts masked in the reviewer's list too
    table = runner.invoke(cli_app, ["review", "--sources", str(sources_dir)])
    assert "task_scam" in table.stdout and "J0002" in table.stdout


def test_a_failing_risk_plugin_quarantines_the_record(open_app, sources_dir: Path, tmp_path: Path) -> None:
    from aggregator.hookspecs import hookimpl

    class Bad:
        @hookimpl
        def lingong_risk_signals(self, posting: JobPosting) -> list[dict[str, Any]] | None:
            return [{"rule": "bad", "weight": 7, "reason": "too heavy"}]

    feed = write_ndjson(tmp_path / "a.ndjson", [job(1)])
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"})
    app = open_app(extra_plugins=[("bad", Bad())])
    (run,) = app.harvest(app.select([])[0])
    assert run.quarantined == 1
    assert app.catalog.quarantined()[0]["reason_code"] == "risk_failed"
