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


TEMPLATE = ("岗位职责负责公司产品的网络推广与客户维护完成销售任务"
            "任职要求高中以上学历沟通能力强有无经验均可公司提供培训底薪加提成")


@pytest.mark.parametrize(("a", "b", "same"), [
    # one employer's template text under two roles is two openings (real 1dagong pairs)
    ({"title": "销售助理"}, {"title": "网络销售"}, False),
    ({"title": "室内设计师"}, {"title": "园林景观设计师"}, False),
    ({"title": "销售主管"}, {"title": "销售"}, False),
    ({"title": "融资专员"}, {"title": "销售代表"}, False),
    # a clickbait title names no role: identical text and pay carry it
    ({"title": "月入三万不是梦想"}, {"title": "武汉最好的夜场"}, True),
    ({"title": "看这里没有学历要求月入8k"}, {"title": "月薪5000以上"}, True),
    ({"title": "月入三万不是梦想"}, {"title": "武汉最好的夜场", "pay_min": 300.0, "pay_max": 300.0}, False),
    # one role retitled
    ({"title": "渠道销售"}, {"title": "月4000双休五险聘渠道销售专员"}, True),
    # 全职 and 兼职 are two jobs
    ({"title": "分拣员", "employment": "full_time"}, {"title": "分拣员", "employment": "part_time"}, False),
    ({"title": "分拣员", "employment": "full_time"}, {"title": "分拣员", "employment": None}, True),
])
def test_roles_decide_over_one_template_text(a: dict[str, Any], b: dict[str, Any], same: bool) -> None:
    fa = _f(text=TEMPLATE, **{"title_text": a["title"], **a})
    fb = _f(posting_id="p_2", text=TEMPLATE, **{"title_text": b["title"], **b})
    assert (dedupe.same_job(fa, fb) > 0) is same


def test_a_relisting_with_rewritten_text_is_one_job_when_role_pay_and_contact_agree() -> None:
    a = _f(title="电子装配员工", title_text="电子装配员工", text="招聘电子装配员工要求初中以上学历")
    b = _f(posting_id="p_2", title="电子装配员工", title_text="电子装配员工",
           text="公司福利好提供住宿工作环境舒适欢迎应聘长期稳定")
    assert dedupe.same_job(a, b) > 0
    assert dedupe.same_job(a, _f(**{**b.to_row(), "phone": "13900139000", "source": "b"})) == 0.0  # another contact
    assert dedupe.same_job(a, _f(**{**b.to_row(), "pay_min": 250.0, "pay_max": 250.0})) == 0.0  # another pay


def _ad(title: str, hours: float, **kw: Any) -> dedupe.Features:
    """One finance company's sales ad (real 1dagong shape: no contact, pay and headcount stated)."""
    base: dict[str, Any] = {"posting_id": f"p_{title}_{hours}", "ekey": "招财银商务咨询", "phone": None,
                            "title": dedupe.fold_title(title), "title_text": title, "headcount": 10,
                            "pay_min": 3000.0, "pay_max": 5000.0, "pay_unit": "month",
                            "posted": 1439199555.0 + hours * 3600}
    base.update(kw)
    return _f(**base)


def test_a_role_relisted_hours_later_under_a_looser_title_with_the_same_terms_is_one_job() -> None:
    first = _ad("销售精英", 0, text="公司直招网络销售底薪两千加提成双休")
    later = _ad("因业务扩张直招网络销售专员", 6, text="因业务扩张现招聘网络销售专员若干名要求会电脑打字")
    assert dedupe.same_job(first, later) > 0
    # the same ads posted minutes apart are two openings (销售代表 / 电话销售 over one template)
    assert dedupe.same_job(first, _ad("因业务扩张直招网络销售专员", 0.1, text=later.text)) == 0.0
    # every term must be stated on both sides and equal
    assert dedupe.same_job(first, _ad("因业务扩张直招网络销售专员", 6, text=later.text, headcount=20)) == 0.0
    assert dedupe.same_job(first, _ad("因业务扩张直招网络销售专员", 6, text=later.text, headcount=None)) == 0.0
    assert dedupe.same_job(first, _ad("因业务扩张直招网络销售专员", 6, text=later.text, posted=None)) == 0.0
    assert dedupe.same_job(first, _ad("网络销售", 6, text=later.text, pay_min=5000.0, pay_max=10000.0)) == 0.0
    # two roles stay two jobs whatever the terms
    assert dedupe.same_job(first, _ad("销售助理", 6, text=later.text)) == 0.0


def test_another_headcount_and_another_pay_is_a_separate_opening_even_over_one_text() -> None:
    text = "理财经理负责客户开发与维护要求大专以上学历有金融销售经验优先"
    a = _ad("理财经理", 0, text=text, headcount=5)
    assert dedupe.same_job(a, _ad("理财经理", 800, text=text, headcount=5)) > 0
    assert dedupe.same_job(a, _ad("理财经理", 800, text=text, headcount=50, pay_min=5000.0, pay_max=10000.0)) == 0.0
    assert dedupe.same_job(a, _ad("理财经理", 800, text=text, headcount=50)) > 0  # one term edited: a repost


def test_kitchen_titles_are_roles_so_one_restaurant_template_under_them_is_several_jobs() -> None:
    template = "本店招聘厨房及前厅人员待遇面议包吃住工作地点徐汇区"
    chef, cold = (_f(posting_id=t, title=dedupe.fold_title(t), title_text=t, text=template, pay_unit=None,
                     pay_min=None, pay_max=None) for t in ("大厨", "凉菜"))
    assert dedupe.same_job(chef, cold) == 0.0


def test_numbered_sites_of_one_employer_are_two_workplaces() -> None:
    a = _f(ekey="宁波万古南越宫站", title="美团外卖", title_text="美团外卖")
    assert dedupe.same_job(a, _f(posting_id="p_2", ekey="宁波万古南越宫二站", title="美团外卖",
                                 title_text="美团外卖")) == 0.0
    same_site = _f(posting_id="p_2", ekey="宁波万古南越宫站", title="美团外卖", title_text="美团外卖")
    assert dedupe.same_job(a, same_site) > 0


def test_vetoes_on_branches_codes_and_variant_titles() -> None:
    assert dedupe.same_job(_f(branch="第五分公司"), _f(posting_id="p_2", branch="第九分公司")) == 0.0
    assert dedupe.same_job(_f(uscc="91440101MA59XXXXX1"), _f(posting_id="p_2", uscc="91440101MA59XXXXX2")) == 0.0
    assert dedupe.same_job(_f(title="销售代表昆山"), _f(posting_id="p_2", title="销售代表太仓")) == 0.0
    assert dedupe.same_job(_f(title="分拣员1号仓"), _f(posting_id="p_2", title="分拣员2号仓")) == 0.0
    assert dedupe.fold_title("【急招】网销专员") == dedupe.fold_title("网络销售专员")


def test_a_posting_joins_a_cluster_only_when_it_matches_half_of_it() -> None:
    store = dedupe.MemoryStore()
    # one cluster of two copies of a posting: 网络销售 (the title as one source has it, and a repost)
    a1 = _f(posting_id="p_a1", title="网络销售", title_text="网络销售", text="")
    a2 = _f(posting_id="p_a2", source="b", phone=None, title="网络销售", title_text="网络销售", text="")
    ca = dedupe.choose_cluster(store, a1)
    assert dedupe.choose_cluster(store, a2) == ca
    # b lists two roles and matches a1 (网络销售) and a2: it joins
    b = _f(posting_id="p_b", source="c", phone=None, title="网络销售电话销售", title_text="网络销售/电话销售",
           text="")
    assert dedupe.same_job(b, a1) > 0 and dedupe.choose_cluster(store, b) == ca
    # c (电话销售) matches b through its second role, but neither a1 nor a2: one of three is not half
    c = _f(posting_id="p_c", source="d", phone=None, title="电话销售", title_text="电话销售", text="")
    assert dedupe.same_job(c, b) > 0 and dedupe.same_job(c, a1) == 0.0 and dedupe.same_job(c, a2) == 0.0
    assert dedupe.choose_cluster(store, c) != ca


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


def test_precision_and_recall_on_the_held_out_1dagong_pairs() -> None:
    ev = _evaluate()
    postings, pairs = ev.heldout_postings()
    assert len(pairs) == 77  # 15 same, 62 different (11 unsure pairs left out)
    shipped = ev.score(ev.STRATEGIES["lsh_fuzz"](postings), pairs)
    # Measured, far from the target: one company template under several role titles is matched (see the README).
    assert shipped["precision"] >= 0.45 and shipped["recall"] >= 0.6, shipped


def test_precision_and_recall_on_the_hand_clustered_real_data_samples() -> None:
    ev = _evaluate()
    figures = {}
    for name, path, same_pairs in (("first", ev.CLUSTERS, 33), ("second", ev.CLUSTERS2, 86),
                                   ("third", ev.CLUSTERS3, 88), ("fourth", ev.CLUSTERS4, 88)):
        postings, pairs = ev.cluster_set_postings(path)
        assert sum(same for *_, same in pairs) == same_pairs  # every pair of the sample; unsure ones left out
        figures[name] = ev.score(ev.STRATEGIES["lsh_fuzz"](postings), pairs)
    # Measured, below the 0.95 recall target: the misses are finance/sales companies re-listing one job under
    # several role titles (see bench/dedupe/README.md). Precision holds.
    assert figures["first"]["precision"] == 1.0 and figures["first"]["recall"] >= 0.6, figures
    assert figures["second"]["precision"] >= 0.95 and figures["second"]["recall"] >= 0.75, figures
    assert figures["third"]["precision"] >= 0.95 and figures["third"]["recall"] >= 0.6, figures
    assert figures["fourth"]["precision"] >= 0.95 and figures["fourth"]["recall"] >= 0.75, figures


# --- fast paths: vectorised MinHash, bulk first load ------------------------------------------------


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("dedupe_bench", BENCH / "bench.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_vectorised_signatures_equal_datasketch() -> None:
    import random
    import zlib

    import numpy as np
    from datasketch import MinHash  # type: ignore[import-untyped]

    rng = random.Random(5)
    alphabet = "ab19中文招聘日结é𠀀ß|"
    pairs = [("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 5))),
              "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 50)))) for _ in range(400)]
    pairs.append(("仓库分拣员", dedupe.clean_text("负责快递分拣，日结；工作地点白云区太和镇")))
    perms = MinHash(num_perm=dedupe.NUM_PERM, hashfunc=zlib.crc32).permutations

    def reference(title: str, text: str) -> bytes:  # the datasketch path the vectorised one replaced
        blob = title + "|" + text
        if len(blob) < dedupe.SHINGLE + 1:
            return b""
        m = MinHash(num_perm=dedupe.NUM_PERM, hashfunc=zlib.crc32, permutations=perms, scheme="affine32")
        m.update_batch({blob[i:i + 3].encode() for i in range(len(blob) - 2)})
        return np.asarray(m.hashvalues, dtype=np.uint32).tobytes()

    assert dedupe.signatures(pairs, chunk_chars=200) == [reference(t, x) for t, x in pairs]
    assert dedupe.signature(*pairs[-1]) == reference(*pairs[-1])


def _synthetic(n: int) -> tuple[list[dedupe.Features], list[int]]:
    bench = _bench()
    recs, origin = bench.generate(n)
    return bench.to_features(recs), origin


def test_bulk_first_load_gives_the_incremental_ids_and_can_go_on_incrementally() -> None:
    feats, _ = _synthetic(4000)
    ev = _evaluate()
    real, _pairs = ev.labelled_postings()
    feats += [dedupe.features(p) for p in real]
    one_by_one = list(dedupe.cluster_all(feats).values())
    assert len(set(one_by_one)) < len(feats) - 300  # there is matching to get right
    assert dedupe.cluster_bulk(feats) == one_by_one
    # the bulk result loaded into a store goes on matching one posting at a time, with the same ids
    half = len(feats) // 2
    store = dedupe.load_store(feats[:half], dedupe.cluster_bulk(feats[:half]))
    assert [dedupe.choose_cluster(store, f) for f in feats[half:]] == one_by_one[half:]
    # ids that repeat (not a first load) fall back to the incremental path
    again = feats[:50] + feats[:50]
    scratch = dedupe.MemoryStore()
    assert dedupe.cluster_bulk(again) == [dedupe.choose_cluster(scratch, f) for f in again]


def test_the_bulk_screen_never_drops_a_pair_same_job_accepts() -> None:
    feats, _ = _synthetic(3000)
    ii, jj = dedupe.candidate_pairs(feats)
    si, sj = dedupe.screen_pairs(feats, ii, jj)
    kept = set(zip(si.tolist(), sj.tolist(), strict=True))
    accepted = {(i, j) for i, j in zip(ii.tolist(), jj.tolist(), strict=True)
                if dedupe.same_job(feats[i], feats[j]) > 0}
    assert accepted and accepted <= kept
    assert len(kept) < len(ii) / 5  # and it does screen
    # candidates are exactly what the store would fetch
    store = dedupe.MemoryStore()
    index = {f.posting_id: k for k, f in enumerate(feats)}
    expected = set()
    for k, f in enumerate(feats):
        expected |= {(k, index[o.posting_id]) for o, _ in store.candidates(f)}
        store.put(f, f.posting_id)
    assert set(zip(ii.tolist(), jj.tolist(), strict=True)) == expected


def test_a_catalog_with_older_features_is_refreshed_and_keeps_its_cluster_ids(open_app, sources_dir: Path,
                                                                               tmp_path: Path) -> None:
    a_recs = [job(1), job(2)]
    _setup(sources_dir, tmp_path, a_recs, [])
    app = open_app()
    app.harvest(app.select([])[0])
    before = _clusters(app)
    pid = _pid("feed_county", "J0001")
    # what an older lingong stored: the employer key with its place, no raw title, no version mark
    old = app.catalog.dedupe_features(pid)
    assert old is not None and old["features"]["ekey"] == "示例物流"
    with app.catalog.transaction():
        for p in app.catalog.iter_postings():
            row = app.catalog.dedupe_features(p.id)
            assert row is not None
            feats = {k: v for k, v in row["features"].items() if k not in ("title_text", "employment", "headcount")}
            feats["ekey"] = "广州示例物流"
            f = dedupe.features_from_row(feats)
            app.catalog.put_dedupe_features(p.id, row["cluster_id"], feats, f.bands(), dedupe._blocks(f))
        app.catalog.set_meta("dedupe_features_version", "1")
    assert app.catalog.dedupe_features(pid)["features"]["ekey"] == "广州示例物流"  # type: ignore[index]

    # the next harvest brings the stored features up to date first: same cluster ids, current features
    _setup(sources_dir, tmp_path, a_recs, [_copy_of_1(company="示例物流有限公司")])
    app2 = open_app()
    app2.harvest(app2.select([])[0])
    assert app2.catalog.get_meta("dedupe_features_version") == str(dedupe.FEATURES_VERSION)
    row = app2.catalog.dedupe_features(pid)
    assert row is not None and row["features"]["ekey"] == "示例物流" and row["features"]["title_text"]
    now = _clusters(app2)
    assert {k: v for k, v in now.items() if k in before} == before
    # and matching works on the refreshed features: the copy naming the employer without its place joins
    assert now[_pid("feed_agency", "B0001")] == before[pid]
    assert dedupe.refresh_features(app2.catalog) == 0  # current: nothing to do
