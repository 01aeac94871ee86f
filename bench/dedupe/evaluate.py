"""Pairwise precision and recall of dedupe strategies on every labelled set (see README.md).

    .venv/bin/python bench/dedupe/evaluate.py [-v] [--no-demo]   # every set, every strategy

* the cluster samples (``labelled_realdata_clusters*.json``): representative real-data samples whose every
  posting a person put in a cluster; every pair of a sample counts (pairs of two groups are different,
  pairs the labeller marked unsure are left out), and :func:`results_view` says what a searcher sees.
* the pair sets (``labelled_1dagong*.json``, ``labelled_realdata_dev*.json``, ``…final.json``): pairs drawn
  near the decision boundary, labelled same / different / unsure; unsure pairs are left out.
* the sandbox province's truth: the 7 sandbox sources harvested for real, every pair of postings.
* the demo's ``truth.json``: the sample feeds harvested for real (sandbox on 127.0.0.1); every pair of
  postings counts, the true pairs are the cross-posts.

Strategies: ``exact`` (the skeleton's key employer|title|place), ``lsh_only`` (MinHash LSH candidates in
one city, estimated Jaccard ≥ 0.6, no confirmation), ``block_fuzz`` (blocking on employer / code / phone
in one city + rapidfuzz confirmation, no LSH), ``lsh_fuzz`` (the shipped one: both candidate sources +
confirmation). ``-v`` lists the shipped strategy's wrong pairs.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from aggregator import dedupe  # noqa: E402
from aggregator.errors import RecordError  # noqa: E402
from aggregator.normalizing import to_posting  # noqa: E402
from aggregator.schema import JobPosting, RawPosting, SourceDefinition  # noqa: E402
from normalize import parse_location  # noqa: E402

LABELLED = HERE / "labelled_1dagong.json"
HELDOUT = HERE / "labelled_1dagong_heldout.json"  # labelled after the matcher was tuned; never tuned on
CLUSTERS = HERE / "labelled_realdata_clusters.json"  # a representative sample, every posting hand-clustered
CLUSTERS2 = HERE / "labelled_realdata_clusters2.json"  # a second one, drawn and labelled after the first was read
CLUSTERS3 = HERE / "labelled_realdata_clusters3.json"  # a third, after the second was read
CLUSTERS4 = HERE / "labelled_realdata_clusters4.json"  # a fourth, after the third was read and the rules frozen
SANDBOX_SOURCES = ["county_baiyun", "county_nanhai", "county_xiangzhou", "feed_fs_hr", "feed_zh_service",
                   "jsonld_dongguan", "portal_yuegong"]

# 1dagong's district_cn values name a district without its city; the city is a region hint for parse_location.
_HINTS = (("合肥", "340100"), ("芜湖", "340200"), ("安徽", "340000"), ("苏州", "320500"), ("南京", "320100"),
          ("江苏", "320000"), ("武汉", "420100"), ("湖北", "420000"), ("郑州", "410100"), ("河南", "410000"),
          ("成都", "510100"), ("四川", "510000"), ("湖南", "430000"), ("上海", "310000"),
          ("九龙坡", "500000"), ("荣昌", "500000"), ("南岸", "500000"), ("江北区", "500000"), ("渝中", "500000"))


def _hint(district: str) -> str:
    return next((code for word, code in _HINTS if word in district), "310000")


_SOURCE_ID = {"1dagong": "dagong", "meituan": "meituan", "miduoduo": "miduoduo"}
_NOW = {"1dagong": datetime(2015, 9, 30, tzinfo=UTC), "miduoduo": datetime(2015, 12, 31, tzinfo=UTC),
        "meituan": datetime(2025, 12, 31, tzinfo=UTC)}


def _fields(r: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(dataset, region code, the fields a connector would map) of one labelled record."""
    dataset = r.get("dataset", "1dagong")
    if dataset == "1dagong":
        return dataset, _hint(r["district_cn"]), {
            "title": r["jobs_name"], "employer": r["companyname"], "salary": r["wage_cn"],
            "address": r["district_cn"].replace("/", "") + (r.get("street_cn") or ""),
            "description": r["contents"], "posted_at": r["addtime"],
            # the newer sets carry the whole row: map what a 1dagong connector would
            "headcount": r.get("amount") or None, "employment_type": r.get("nature_cn") or None}
    if dataset == "meituan":
        loc = parse_location(r["城市"])
        text = "\n".join(f"{k}：{r[k]}" for k in ("工作内容", "工作时间", "性别", "年龄要求", "特殊要求", "相关经验",
                                                  "保险情况", "吃住情况") if r.get(k))
        return dataset, (loc.code if loc and loc.code else "110000"), {
            "title": r["岗位类型"], "employer": r["招聘单位"], "salary": r["薪资"],
            "address": r["城市"] + r["位置"], "lat": r.get("纬度"), "lon": r.get("经度"), "description": text,
            "employment_type": "全职" if r.get("是否全职") == "是" else "兼职" if r.get("是否全职") == "否" else None}
    if dataset == "miduoduo":
        unit = {"小时": "时", "天": "天", "月": "月", "次": "次", "单": "单"}.get(r.get("salary_unit") or "", "")
        pay = f"{r['salary']}元/{unit}" if r.get("salary") and unit else (r.get("salary") or "")
        return dataset, "110000", {
            "title": r["title"], "employer": r["company_name"], "salary": pay,
            "address": (r.get("city") or "") + (r.get("district") or "") + (r.get("address") or ""),
            "description": "\n".join(x for x in (r.get("detail"), r.get("requirement")) if x),
            "posted_at": r["created_time"]}
    raise ValueError(f"unknown dataset {dataset!r}")


def _to_postings(records: Iterable[dict[str, Any]], native_id: Callable[[dict[str, Any]], str]) -> list[JobPosting]:
    """Records as postings in posting order, mapped the way a connector would (the source's fields, then the
    shipped normaliser); a record the pipeline would quarantine (e.g. an empty title) is left out."""
    postings = []
    for r in sorted(records, key=lambda r: (str(r.get("addtime") or r.get("created_time") or ""), r["id"])):
        dataset, region, fields = _fields(r)
        now = _NOW[dataset]
        src = SourceDefinition(id=_SOURCE_ID[dataset], name=dataset, connector="feed", region=region,
                               mapping={"native_id": "id", "title": "title"})
        raw = RawPosting(source_id=_SOURCE_ID[dataset], native_id=native_id(r), payload=r, fetched_at=now,
                         fields={k: v for k, v in fields.items() if v not in (None, "")})
        try:
            postings.append(to_posting(raw, src, "feed", now=now))
        except RecordError:
            continue
    return postings


def cluster_labels(path: Path = CLUSTERS, labels: str = "clusters") -> dict[str, str]:
    """``dataset|id`` → ``group/cluster`` as one labeller placed every posting of a cluster sample."""
    return _labels(json.loads(path.read_text(encoding="utf-8")), labels)


def _labels(doc: dict[str, Any], labels: str) -> dict[str, str]:
    return {f"{g['dataset']}|{i}": f"{g['group']}/{c}" for g in doc["groups"] if labels in g
            for i, c in g[labels].items()}


def cluster_set_postings(path: Path = CLUSTERS, *, labels: str = "clusters",
                         ) -> tuple[list[JobPosting], list[tuple[str, str, bool]]]:
    """The hand-clustered sample (``make_realdata_cluster_sample.py``): every pair of its postings, true when
    one labeller put both in one cluster of one group; pairs of two groups are different; pairs the labeller
    marked unsure are left out. Ids are ``dataset|id``. ``labels`` picks the labeller (``clusters`` or
    ``clusters_second``, the second labeller, 1dagong groups only)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    cluster_of = _labels(doc, labels)
    unsure = {frozenset(f"{g['dataset']}|{i}" for i in pair)
              for g in doc["groups"] if labels in g for pair in g.get(labels + "_unsure", [])}
    by_key = {f"{r['dataset']}|{r['id']}": r for r in doc["records"]}
    records = [by_key[key] for key in cluster_of]
    postings = _to_postings(records, lambda r: f"{r['dataset']}|{r['id']}")
    ids = [p.native_id for p in postings]
    pairs = [(a, b, cluster_of[a] == cluster_of[b]) for a, b in itertools.combinations(ids, 2)
             if frozenset((a, b)) not in unsure]
    return postings, pairs


def labelled_postings(path: Path = LABELLED) -> tuple[list[JobPosting], list[tuple[str, str, bool]]]:
    """The labelled records as postings (in posting order) and the (id, id, same) pairs that count.

    Records are turned into postings the way a connector would (the source's fields mapped, then the
    shipped normaliser); 1dagong records have no ``dataset`` key (the first two files)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    postings = _to_postings(doc["records"], lambda r: r["id"])
    kept = {p.native_id for p in postings}
    pairs = [(p["a"], p["b"], p["label"] == "same") for p in doc["pairs"]
             if p["label"] != "unsure" and p["a"] in kept and p["b"] in kept]
    return postings, pairs


def demo_postings() -> tuple[list[JobPosting], list[tuple[str, str, bool]]]:
    """The demo feeds harvested into a throwaway catalog; every pair of postings, true when a cross-post."""
    from aggregator.app import App
    from aggregator.settings import DEMO_SOURCES_DIR
    from connectors.sandbox import SAMPLES_DATA, Sandbox

    truth = {tuple(sorted(p)) for p in json.loads((SAMPLES_DATA / "truth.json").read_text())["cross_posts"]}
    with Sandbox() as sandbox, tempfile.TemporaryDirectory() as home:
        os.environ["LINGONG_SANDBOX_URL"] = sandbox.url
        os.environ["LINGONG_LOAD_PLUGINS"] = ""
        app = App.open(DEMO_SOURCES_DIR, home=Path(home), entrypoints=False)
        app.harvest(app.select([])[0])
        postings = list(app.catalog.iter_postings())
        app.close()
    order = {p.id: i for i, p in enumerate(sorted(postings, key=lambda p: (p.source_id, p.native_id)))}
    postings.sort(key=lambda p: order[p.id])
    ids = sorted(p.native_id for p in postings)
    pairs = [(a, b, (a, b) in truth) for a, b in itertools.combinations(ids, 2)]
    return postings, pairs


def heldout_postings() -> tuple[list[JobPosting], list[tuple[str, str, bool]]]:
    return labelled_postings(HELDOUT)


# Every labelled set: (title, file). The first two hold the first labeller's labels; "relabelled" the same
# pairs labelled again, blind, by a second labeller; "realdata dev", "dev-2" and "final": pairs sampled from
# three datasets (1dagong, meituan, miduoduo) and labelled blind by two more labellers; dev and dev-2 were
# tuned on, "final" was labelled after the matcher was frozen and scored once.
LABELLED_SETS = {
    "1dagong tuned-on": LABELLED,
    "1dagong held-out": HELDOUT,
    "1dagong tuned-on, relabelled": HERE / "labelled_1dagong_relabelled.json",
    "1dagong held-out, relabelled": HERE / "labelled_1dagong_heldout_relabelled.json",
    "realdata dev": HERE / "labelled_realdata_dev.json",
    "realdata dev-2": HERE / "labelled_realdata_dev2.json",
    "realdata final": HERE / "labelled_realdata_final.json",
}


def sandbox_postings(size: int = 400, seed: int = 20261120) -> tuple[list[JobPosting], list[tuple[str, str, bool]]]:
    """Every sandbox source harvested for real; every pair of postings, true when the province's truth
    (``Sandbox.truth()["clusters"]``) says they are one cross-posted job. Ids are ``source/native``."""
    import shutil

    from aggregator.app import App
    from connectors.sandbox import Sandbox

    samples = HERE.parent.parent / "connectors" / "samples" / "sources"
    with Sandbox(size=size, seed=seed) as sb, tempfile.TemporaryDirectory() as home:
        sources = Path(home) / "sources"
        sources.mkdir()
        for sid in SANDBOX_SOURCES:
            shutil.copy(samples / f"{sid}.yaml", sources / f"{sid}.yaml")
        os.environ.update(sb.env())
        os.environ["LINGONG_LOAD_PLUGINS"] = ""
        app = App.open(sources, home=Path(home) / "home", entrypoints=False)
        for sid in SANDBOX_SOURCES:
            app.harvest(app.select([sid])[0], full=True)
        postings = list(app.catalog.iter_postings())
        app.close()
        truth = sb.truth()
    cluster_of = {f"{s}/{n}": k for k, members in enumerate(truth["clusters"]) for s, n in members}
    postings.sort(key=lambda p: (p.source_id, p.native_id))
    renamed = [p.model_copy(update={"native_id": f"{p.source_id}/{p.native_id}"}) for p in postings]
    ids = [p.native_id for p in renamed]
    pairs = [(a, b, a in cluster_of and cluster_of.get(a) == cluster_of.get(b))
             for a, b in itertools.combinations(ids, 2)]
    return renamed, pairs


# --- strategies: each maps postings (in arrival order) to {native_id: cluster} -----------------------------


def exact(postings: list[JobPosting]) -> dict[str, str]:
    return {p.native_id: dedupe.exact_key(p) or p.id for p in postings}


class _NoBands(dedupe.MemoryStore):
    def candidates(self, f: dedupe.Features) -> list[tuple[dedupe.Features, str]]:
        ids: set[str] = set()
        for block in dedupe._blocks(f):
            ids.update(self.blocks.get(block, ())[-dedupe.BLOCK_LIMIT:])
        ids.discard(f.posting_id)
        return [self.feats[i] for i in ids]


def _jaccard(a: bytes, b: bytes) -> float:
    return float(np.mean(np.frombuffer(a, np.uint32) == np.frombuffer(b, np.uint32))) if a and b else 0.0


def lsh_only(postings: list[JobPosting]) -> dict[str, str]:
    store = dedupe.MemoryStore()
    out = {}
    for p in postings:
        f = dedupe.features(p)
        best = [(c, _jaccard(f.signature, o.signature)) for o, c in store.candidates(f)
                if (o.city == f.city or not (o.city and f.city))]
        best = [(c, j) for c, j in best if j >= 0.6]
        cluster = max(best, key=lambda x: x[1])[0] if best else p.id
        store.put(f, cluster)
        out[p.native_id] = cluster
    return out


def _with_store(store_cls: Callable[[], dedupe.MemoryStore]) -> Callable[[list[JobPosting]], dict[str, str]]:
    def run(postings: list[JobPosting]) -> dict[str, str]:
        store = store_cls()
        return {p.native_id: dedupe.choose_cluster(store, dedupe.features(p)) for p in postings}
    return run


STRATEGIES: dict[str, Callable[[list[JobPosting]], dict[str, str]]] = {
    "exact": exact, "lsh_only": lsh_only, "block_fuzz": _with_store(_NoBands),
    "lsh_fuzz": _with_store(dedupe.MemoryStore),
}


def score(clusters: dict[str, str], pairs: Iterable[tuple[str, str, bool]]) -> dict[str, Any]:
    tp = fp = fn = 0
    for a, b, same in pairs:
        predicted = clusters[a] == clusters[b]
        tp += predicted and same
        fp += predicted and not same
        fn += same and not predicted
    return {"precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
            "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0, "tp": tp, "fp": fp, "fn": fn}


def results_view(clusters: dict[str, str], jobs: dict[str, str]) -> dict[str, int]:
    """What a searcher sees of a cluster sample (``jobs``: posting → the labeller's cluster, unsure merges as
    the labeller placed them): ``jobs``, ``results`` (predicted clusters), ``extra_results`` (a job shown
    more than once: each extra time counts) and ``merged_jobs`` (a job hidden inside another job's result)."""
    shown: dict[str, set[str]] = defaultdict(set)
    holds: dict[str, set[str]] = defaultdict(set)
    for i, job in jobs.items():
        if i in clusters:  # quarantined postings are never shown
            shown[job].add(clusters[i])
            holds[clusters[i]].add(job)
    return {"postings": len([i for i in jobs if i in clusters]), "jobs": len(shown), "results": len(holds),
            "extra_results": sum(len(r) - 1 for r in shown.values()),
            "merged_jobs": sum(len(j) - 1 for j in holds.values())}


def pooled_clusters(paths: Iterable[Path] = (CLUSTERS, CLUSTERS2, CLUSTERS3, CLUSTERS4)) -> dict[str, Any]:
    """The shipped strategy over every cluster sample, each clustered on its own; a pair two samples share
    (a look-alike pulled into both) counts once, with the first sample's label."""
    judged: dict[frozenset[str], tuple[bool, bool]] = {}
    for path in paths:
        postings, pairs = cluster_set_postings(path)
        clusters = STRATEGIES["lsh_fuzz"](postings)
        for a, b, same in pairs:
            judged.setdefault(frozenset((a, b)), (same, clusters[a] == clusters[b]))
    tp = sum(same and merged for same, merged in judged.values())
    fp = sum(merged and not same for same, merged in judged.values())
    fn = sum(same and not merged for same, merged in judged.values())
    return {"precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
            "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0, "tp": tp, "fp": fp, "fn": fn}


def wrong_pairs(clusters: dict[str, str], pairs: Iterable[tuple[str, str, bool]]) -> list[tuple[str, str, bool]]:
    return [(a, b, same) for a, b, same in pairs if (clusters[a] == clusters[b]) != same]


CLUSTER_VIEWS = {"realdata clusters (every pair of the sample)": (CLUSTERS, "clusters"),
                 "realdata clusters, 1dagong second labeller": (CLUSTERS, "clusters_second"),
                 "realdata clusters 2 (every pair of the sample)": (CLUSTERS2, "clusters"),
                 "realdata clusters 3 (every pair of the sample)": (CLUSTERS3, "clusters"),
                 "realdata clusters 4 (every pair of the sample)": (CLUSTERS4, "clusters")}


def main() -> None:
    sets: dict[str, Callable[[], tuple[list[JobPosting], list[tuple[str, str, bool]]]]] = {
        name: (lambda path=path: labelled_postings(path)) for name, path in LABELLED_SETS.items() if path.exists()}
    if CLUSTERS.exists():
        sets["realdata clusters (every pair of the sample)"] = cluster_set_postings
        sets["realdata clusters, 1dagong second labeller"] = lambda: cluster_set_postings(labels="clusters_second")
    if CLUSTERS2.exists():
        sets["realdata clusters 2 (every pair of the sample)"] = lambda: cluster_set_postings(CLUSTERS2)
    if CLUSTERS3.exists():
        sets["realdata clusters 3 (every pair of the sample)"] = lambda: cluster_set_postings(CLUSTERS3)
    if CLUSTERS4.exists():
        sets["realdata clusters 4 (every pair of the sample)"] = lambda: cluster_set_postings(CLUSTERS4)
    if "--no-demo" not in sys.argv:
        sets["demo truth.json"] = demo_postings
        sets["sandbox truth (400, all sources)"] = sandbox_postings
    report: dict[str, Any] = defaultdict(dict)
    for name, load in sets.items():
        postings, pairs = load()
        for strategy, run in STRATEGIES.items():
            clusters = run(postings)
            report[name][strategy] = score(clusters, pairs)
            if strategy == "lsh_fuzz" and name in CLUSTER_VIEWS:
                report[name]["lsh_fuzz_results"] = results_view(clusters, cluster_labels(*CLUSTER_VIEWS[name]))
            if strategy == "lsh_fuzz" and "-v" in sys.argv:
                report[name]["lsh_fuzz_wrong"] = wrong_pairs(clusters, pairs)
    report["realdata clusters, all four (pairs counted once)"]["lsh_fuzz"] = pooled_clusters()
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
