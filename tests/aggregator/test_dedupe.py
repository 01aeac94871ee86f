"""Dedupe: matching rules, stable cluster ids across runs, incremental matching, provenance, measured P/R."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from aggregator import dedupe
from aggregator.indexing import cluster_document
from aggregator.schema import JobPosting
from tests.conftest import job, write_ndjson, write_source

BENCH = Path(__file__).resolve().parents[2] / "bench" / "dedupe"


def _f(**kw: Any) -> dedupe.Features:
    base: dict[str, Any] = {"posting_id": "p_1", "source": "a", "province": "44", "city": "4401", "county": "440111",
                            "ekey": "示例物流", "phone": "13800138000", "title": "仓库分拣员",
                            "text": "负责快递分拣日结工作地点白云区太和镇", "pay_min": 200.0, "pay_max": 200.0,
                            "pay_unit": "day"}
    base.update(kw)
    return dedupe.Features(**base)


@pytest.mark.parametrize(("change", "same"), [
    ({}, True),
    ({"source": "b", "phone": "13900139000"}, True),  # another source may list another contact
    ({"phone": "13900139000"}, False),  # one source, two contacts: two openings
    ({"city": "4403", "county": "440305"}, False),
    ({"county": "440106"}, False),
    ({"ekey": "另一家公司"}, False),
    ({"uscc": "91440101MA59XXXXX1"}, True),
    ({"title": "仓库分拣员昆山"}, True),
    ({"pay_min": 300.0, "pay_max": 320.0, "text": "完全不同的一段描述文字用于测试"}, False),
    ({"title": "叉车司机"}, False),
])
def test_same_job_rules(change: dict[str, Any], same: bool) -> None:
    a = _f()
    b = _f(posting_id="p_2", **change)
    assert (dedupe.same_job(a, b) > 0) is same


def test_vetoes_on_branches_codes_and_variant_titles() -> None:
    assert dedupe.same_job(_f(branch="第五分公司"), _f(posting_id="p_2", branch="第九分公司")) == 0.0
    assert dedupe.same_job(_f(uscc="91440101MA59XXXXX1"), _f(posting_id="p_2", uscc="91440101MA59XXXXX2")) == 0.0
    assert dedupe.same_job(_f(title="销售代表昆山"), _f(posting_id="p_2", title="销售代表太仓")) == 0.0
    assert dedupe.same_job(_f(title="分拣员1号仓"), _f(posting_id="p_2", title="分拣员2号仓")) == 0.0
    assert dedupe.fold_title("【急招】网销专员") == dedupe.fold_title("网络销售专员")


def test_a_posting_joins_a_cluster_only_when_it_matches_half_of_it() -> None:
    store = dedupe.MemoryStore()
    a = _f(posting_id="p_a", title="二手房租赁专员", text="")
    b = _f(posting_id="p_b", title="二手房租赁销售代表", text="")
    c = _f(posting_id="p_c", title="销售代表", text="")
    ca = dedupe.choose_cluster(store, a)
    assert dedupe.choose_cluster(store, b) != ca or dedupe.same_job(a, b) > 0
    # c matches b (销售代表 inside 二手房租赁销售代表) but not a: no chain through b
    assert dedupe.same_job(c, a) == 0.0
    clusters = {dedupe.choose_cluster(store, c), ca}
    assert len(clusters) == 2


# --- through the pipeline -------------------------------------------------------------------------


def _copy_of_1(**over: Any) -> dict[str, Any]:
    rec = job(1, id="B0001", jobTitle="【急招】仓库分拣员（1号仓）", company="广州市白云区示例物流有限责任公司",
              creditCode="", pay="日薪200", tel="138-0013-8000", publishTime="2026-11-02",
              detail="负责快递分拣，日结")
    rec.update(over)
    return rec


def _setup(sources_dir: Path, tmp_path: Path, a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    write_source(sources_dir, "feed_county", options={"path": str(write_ndjson(tmp_path / "a.ndjson", a)),
                                                      "format": "ndjson"}, trust=0.9)
    write_source(sources_dir, "feed_agency", options={"path": str(write_ndjson(tmp_path / "b.ndjson", b)),
                                                      "format": "ndjson"}, trust=0.4)


def _clusters(app: Any) -> dict[str, str]:
    return {p.id: str(p.cluster_id) for p in app.catalog.iter_postings()}


def _pid(source: str, native: str) -> str:
    return JobPosting.make_id(source, native)


def test_cluster_ids_are_stable_across_reharvests_arrivals_and_closures(open_app, sources_dir: Path,
                                                                        tmp_path: Path) -> None:
    a_recs = [job(1), job(2), job(3, jobTitle="保洁员", detail="写字楼保洁，月休四天")]
    _setup(sources_dir, tmp_path, a_recs, [])
    app = open_app()
    app.harvest(app.select([])[0])
    first = _clusters(app)
    assert len(set(first.values())) == 3  # 1号仓 and 2号仓 are two openings

    # re-harvest: nothing changed, nothing moves
    app.harvest(app.select([])[0])
    assert _clusters(app) == first

    # a cross-post arrives at the agency: it joins the existing cluster, whose id does not change
    _setup(sources_dir, tmp_path, a_recs, [_copy_of_1()])
    app2 = open_app()
    app2.harvest(app2.select([])[0])
    now = _clusters(app2)
    assert now[_pid("feed_agency", "B0001")] == first[_pid("feed_county", "J0001")]
    assert {k: v for k, v in now.items() if k in first} == first

    # the county copy closes (gone from a full harvest): the cluster keeps its id, the agency copy is canonical
    _setup(sources_dir, tmp_path, a_recs[1:], [_copy_of_1()])
    app3 = open_app()
    app3.harvest(app3.select([])[0])
    closed = app3.catalog.get_posting(_pid("feed_county", "J0001"))
    assert closed is not None and closed.status == "closed"
    assert _clusters(app3) == now
    doc = cluster_document(app3.catalog, now[_pid("feed_agency", "B0001")])
    assert doc is not None and doc["source_id"] == "feed_agency"

    # an edited posting that still matches stays put
    _setup(sources_dir, tmp_path, a_recs, [_copy_of_1(detail="负责快递分拣，日结，包午餐")])
    app4 = open_app()
    app4.harvest(app4.select([])[0])
    assert _clusters(app4) == now


def test_new_posting_is_matched_incrementally_without_touching_the_others(open_app, sources_dir: Path,
                                                                          tmp_path: Path) -> None:
    a_recs = [job(i) for i in range(1, 6)]
    _setup(sources_dir, tmp_path, a_recs, [])
    app = open_app()
    app.harvest(app.select([])[0])
    before = {p.id: app.catalog.dedupe_features(p.id) for p in app.catalog.iter_postings()}
    _setup(sources_dir, tmp_path, a_recs, [_copy_of_1()])
    app2 = open_app()
    runs = {r.source_id: r for r in app2.harvest(app2.select([])[0])}
    assert (runs["feed_county"].unchanged, runs["feed_agency"].new) == (5, 1)  # no matching work for the county
    after = {pid: app2.catalog.dedupe_features(pid) for pid in before}
    assert after == before
    assert app2.catalog.posting_cluster(_pid("feed_agency", "B0001")) == before[_pid("feed_county", "J0001")][
        "cluster_id"]  # type: ignore[index]


def test_canonical_is_the_most_trusted_source_and_fields_say_where_they_came_from(open_app, sources_dir: Path,
                                                                                  tmp_path: Path) -> None:
    county = job(1, detail="", pay="", creditCode="")  # trusted, but without pay or description
    _setup(sources_dir, tmp_path, [county], [_copy_of_1(detail="负责快递分拣，日结，包午餐")])
    app = open_app()
    app.harvest(app.select([])[0])
    cluster = app.catalog.posting_cluster(_pid("feed_county", "J0001"))
    assert cluster == app.catalog.posting_cluster(_pid("feed_agency", "B0001"))
    doc = cluster_document(app.catalog, str(cluster))
    assert doc is not None
    assert doc["source_id"] == "feed_county"
    assert [s["source_id"] for s in doc["sources"]] == ["feed_county", "feed_agency"]
    assert [s["canonical"] for s in doc["sources"]] == [True, False]
    assert doc["field_sources"]["title"] == "feed_county"
    assert doc["field_sources"]["salary"] == "feed_agency"
    assert doc["field_sources"]["description"] == "feed_agency"
    assert set(doc["filled_fields"]) >= {"salary", "description"}
    assert doc["salary"]["min"] == 200
    assert [o["source_id"] for o in doc["other_sources"]] == ["feed_agency"]


# --- measured -------------------------------------------------------------------------------------


def _evaluate() -> Any:
    spec = importlib.util.spec_from_file_location("dedupe_evaluate", BENCH / "evaluate.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["dedupe_evaluate"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_precision_and_recall_on_the_hand_labelled_1dagong_pairs() -> None:
    ev = _evaluate()
    postings, pairs = ev.labelled_postings()
    assert len(pairs) == 94  # 24 same, 70 different (10 unsure pairs left out)
    figures = {name: ev.score(run(postings), pairs) for name, run in ev.STRATEGIES.items()}
    shipped = figures["lsh_fuzz"]
    # Measured, not the 0.95 target: the misses are retitled reposts over one template (see bench/dedupe/README.md).
    assert shipped["precision"] >= 0.85 and shipped["recall"] >= 0.75, figures
    assert shipped["precision"] > figures["lsh_only"]["precision"]
    assert shipped["recall"] > figures["exact"]["recall"]
