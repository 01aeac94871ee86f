"""Operators' dedupe decisions: merge / split now, kept when the postings are harvested again, conflicts refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aggregator import dedupe, dedupe_decisions
from aggregator.cli import app as cli_app
from aggregator.errors import DedupeDecisionError
from aggregator.schema import JobPosting
from search.base import SearchQuery
from tests.conftest import job, write_ndjson, write_source

J1, J2 = JobPosting.make_id("feed_county", "J0001"), JobPosting.make_id("feed_county", "J0002")
B1 = JobPosting.make_id("feed_agency", "B0001")
FORKLIFT = "驾驶叉车装卸货物，需持证，联系电话13800138000"


def _write(sources_dir: Path, tmp_path: Path, *, forklift: str = FORKLIFT,
           agency_detail: str = "负责快递分拣，日结") -> None:
    county = [job(1), job(2, jobTitle="叉车司机", detail=forklift)]
    agency = [job(1, id="B0001", jobTitle="【急招】仓库分拣员（1号仓）", company="广州市白云区示例物流有限责任公司",
                  creditCode="", pay="日薪200", tel="138-0013-8000", publishTime="2026-11-02", detail=agency_detail)]
    write_source(sources_dir, "feed_county", options={"path": str(write_ndjson(tmp_path / "a.ndjson", county)),
                                                      "format": "ndjson"}, trust=0.9)
    write_source(sources_dir, "feed_agency", options={"path": str(write_ndjson(tmp_path / "b.ndjson", agency)),
                                                      "format": "ndjson"}, trust=0.4)


def _harvest(app: Any) -> dict[str, Any]:
    runs = {r.source_id: r for r in app.harvest(app.select([])[0])}
    app.sync()
    return runs


def _cluster(app: Any, posting_id: str) -> str:
    cluster = app.catalog.posting_cluster(posting_id)
    assert cluster is not None
    return str(cluster)


def _results(app: Any) -> list[set[str]]:
    """The jobs a searcher sees: each result's native ids (canonical + other sources)."""
    items = app.search(SearchQuery(page_size=50)).items
    return sorted(({i["native_id"], *(o["native_id"] for o in i.get("other_sources", []))} for i in items), key=sorted)


def test_a_merge_puts_two_postings_in_one_result_and_holds_when_they_change(
        open_app, sources_dir: Path, tmp_path: Path) -> None:
    _write(sources_dir, tmp_path)
    app = open_app()
    _harvest(app)
    assert _cluster(app, J1) == _cluster(app, B1) != _cluster(app, J2)  # two roles: the matcher keeps them apart
    result = dedupe_decisions.merge(app.catalog, "feed_county/J0001", J2, note="one employer, one opening")
    assert result["moved"] == [J2] and result["retired_cluster"] is not None
    app.sync()
    assert _cluster(app, J2) == _cluster(app, J1)
    assert _results(app) == [{"J0001", "B0001", "J0002"}]
    assert app.catalog.get_posting(J2).cluster_id == _cluster(app, J1)  # the stored document moved too

    # J0002 is edited at its source: the matcher alone would put it back on its own; the decision holds
    app.close()
    _write(sources_dir, tmp_path, forklift=FORKLIFT + "，另需会开夜班")
    app = open_app()
    assert _harvest(app)["feed_county"].updated == 1
    assert _cluster(app, J2) == _cluster(app, J1)
    assert _results(app) == [{"J0001", "B0001", "J0002"}]


def test_a_split_separates_a_cross_post_for_good(open_app, sources_dir: Path, tmp_path: Path) -> None:
    _write(sources_dir, tmp_path)
    app = open_app()
    _harvest(app)
    home = _cluster(app, J1)
    result = dedupe_decisions.split(app.catalog, J1, "feed_agency/B0001", note="two warehouses")
    assert result["moved"] == [B1] and result["new_cluster"] not in (None, home)
    app.sync()
    assert _cluster(app, J1) == home != _cluster(app, B1)
    assert {"J0001"} in _results(app) and {"B0001"} in _results(app)

    app.close()
    _write(sources_dir, tmp_path, agency_detail="负责快递分拣，日结，周末双休")
    app = open_app()
    assert _harvest(app)["feed_agency"].updated == 1
    assert _cluster(app, B1) != _cluster(app, J1)  # edited and matched again: still apart (the move was stored)
    (decision,) = dedupe_decisions.decisions(app.catalog)
    assert decision["same"] is False and decision["holds"] is True and decision["note"] == "two warehouses"


def test_decisions_that_contradict_earlier_ones_are_refused_with_the_one_to_forget(
        open_app, sources_dir: Path, tmp_path: Path) -> None:
    _write(sources_dir, tmp_path)
    app = open_app()
    _harvest(app)
    dedupe_decisions.merge(app.catalog, J1, J2)  # one cluster: J0001, B0001, J0002
    with pytest.raises(DedupeDecisionError, match=f"{J2} was decided one job with {J1}, which is in {B1}'s cluster"):
        dedupe_decisions.split(app.catalog, B1, J2)
    dedupe_decisions.split(app.catalog, J1, B1)
    with pytest.raises(DedupeDecisionError, match=f"{B1} and {J1} were decided two jobs.*forget {B1} {J1}"):
        dedupe_decisions.merge(app.catalog, J2, B1)  # would put B0001 back with J0001
    with pytest.raises(DedupeDecisionError, match="no posting 'feed_county/NOPE'"):
        dedupe_decisions.merge(app.catalog, J1, "feed_county/NOPE")
    with pytest.raises(DedupeDecisionError, match="are one posting"):
        dedupe_decisions.split(app.catalog, J1, "feed_county/J0001")
    dedupe_decisions.forget(app.catalog, B1, J1)
    with pytest.raises(DedupeDecisionError, match="no decision"):
        dedupe_decisions.forget(app.catalog, B1, J1)
    assert [(d["a"], d["b"]) for d in dedupe_decisions.decisions(app.catalog)] == [tuple(sorted((J1, J2)))]


def test_choose_cluster_keeps_to_decisions_in_memory_too() -> None:
    def f(pid: str, title: str) -> dedupe.Features:
        return dedupe.Features(posting_id=pid, city="4401", ekey="示例物流", title=title, title_text=title,
                               text="负责快递分拣日结工作地点白云区太和镇", pay_min=200.0, pay_max=200.0,
                               pay_unit="day")

    store = dedupe.MemoryStore()
    assert dedupe.choose_cluster(store, f("p_1", "仓库分拣员")) == "c_1"
    store.decide("p_1", "p_2", False)
    assert dedupe.choose_cluster(store, f("p_2", "仓库分拣员")) == "c_2"  # a copy, decided apart
    store.decide("p_1", "p_3", True)
    assert dedupe.choose_cluster(store, f("p_3", "叉车司机")) == "c_1"  # another role, decided one job


def test_the_cli_merges_splits_lists_and_forgets(open_app, sources_dir: Path, tmp_path: Path) -> None:
    _write(sources_dir, tmp_path)
    app = open_app()
    _harvest(app)
    app.close()
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(cli_app, ["dedupe", *args, "--sources", str(sources_dir)])

    merged = run("merge", "feed_county/J0001", "feed_county/J0002", "--note", "same opening", "--json")
    assert merged.exit_code == 0, merged.output
    body = json.loads(merged.stdout)
    assert body["moved"] == [J2] and body["indexed"] >= 1
    split = run("split", "feed_county/J0001", "feed_agency/B0001")
    assert split.exit_code == 0 and "two jobs" in split.stdout and "will not be matched again" in split.stdout
    explained = json.loads(run("explain", "feed_county/J0001", "feed_agency/B0001", "--json").stdout)
    assert explained["same_job"] is True and explained["same_cluster"] is False  # the rule says one job …
    assert explained["operator_decision"]["same"] is False and "outranks" in explained["note"]  # … the operator two
    listed = json.loads(run("decisions", "--json").stdout)
    assert [(d["same"], d["holds"]) for d in listed] == [(True, True), (False, True)]
    assert "same opening" in run("decisions").stdout
    refused = run("merge", "feed_county/J0002", "feed_agency/B0001")
    assert refused.exit_code == 2 and "lingong dedupe forget" in " ".join(refused.output.split())
    assert run("forget", "feed_county/J0001", "feed_agency/B0001").exit_code == 0
    assert len(json.loads(run("decisions", "--json").stdout)) == 1


def test_merging_a_cluster_moves_every_member_for_good(open_app, sources_dir: Path, tmp_path: Path) -> None:
    _write(sources_dir, tmp_path)
    app = open_app()
    _harvest(app)
    result = dedupe_decisions.merge(app.catalog, J2, J1)  # J0001's cluster (J0001 + its cross-post B0001) joins
    assert sorted(result["moved"]) == sorted([J1, B1])
    decided = {(d["a"], d["b"]): d["note"] for d in dedupe_decisions.decisions(app.catalog)}
    assert decided == {tuple(sorted((J2, J1))): "", tuple(sorted((J2, B1))): f"moved with {J1}"}
    app.close()
    _write(sources_dir, tmp_path, agency_detail="负责快递分拣，日结，周末双休")  # B0001 edited at its source
    app = open_app()
    assert _harvest(app)["feed_agency"].updated == 1
    assert _cluster(app, B1) == _cluster(app, J1) == _cluster(app, J2)
    assert _results(app) == [{"J0001", "B0001", "J0002"}]
