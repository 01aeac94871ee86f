"""Sample candidate pairs for the hand-labelled final real-data dedupe set (labelled_realdata_final.json).

Deterministic (random.Random(20261127)):

    .venv/bin/python bench/dedupe/make_realdata_final_candidates.py [OUT.json]

writes the candidate pairs (with both records) to OUT.json (default /tmp/realdata_final_candidates.json).
rapidfuzz is used only to *choose* pairs (similarity strata); it never decides a label. Labels are given
afterwards by a person reading both records in full.

Excluded: every record id (per dataset) in the "records" of labelled_1dagong.json,
labelled_1dagong_heldout.json (all 1dagong), labelled_realdata_dev.json and
labelled_realdata_dev2.json (then named labelled_realdata_test.json).

Ids: 1dagong and miduoduo use their `id` column; meituan has none, so "m<row index>" (0-based, as read by
pandas.read_csv).

Sampling:
- 1dagong (/work/shared/realdata/1dagong_staffing_postings_2015.csv), rows without a companyname and test
  companies (测试) dropped. Pairs of one company (companies with >= 2 remaining postings), stratified by
  fuzz.ratio of the first 300 chars of `contents`: 60 with ratio >= 90, 30 with 60-90, 20 below 60 whose
  titles have fuzz.ratio >= 60; then 20 pairs of two different companies in one district_cn whose titles
  have fuzz.ratio >= 90; then up to 15 extra same-company pairs with content ratio >= 85 and title ratio
  >= 50 (likely reposts, added so the set holds enough "same" pairs). At most 2 pairs per company over
  all strata (the extra stratum may use a third). Then, added after a first labelling pass found too
  few "same" pairs, without cap or rng: every remaining same-company pair with content ratio >= 90
  (1d_extra_rest_text_ge90), every remaining same-company pair with title ratio >= 70
  (1d_extra_rest_title_ge70), and every pair of two near-same company names (fuzz.ratio >= 80, e.g.
  "合肥祥云…" / "祥云…") with content ratio >= 90 (1d_extra_near_company_name_text_ge90); and, as still
  too few, every remaining same-company pair with the same `amount` and `wage_cn` and title ratio >= 50
  (1d_extra_rest_same_terms_title_ge50).
- miduoduo (/work/shared/realdata/miduoduo_parttime_beijing_2015.csv): every pair of one company_name
  (stripped; none remain after exclusion); then pairs of two companies whose first 300 chars of `detail`
  have fuzz.ratio >= 60 or whose titles have fuzz.ratio >= 55, at most 1 pair per company.
- meituan (/work/shared/realdata/meituan_station_staffing_postings_2025.csv): every remaining pair with
  the same (招聘单位, 岗位类型) (none remain); every pair of one station listed in both source files
  (hive_sync "小象超市-<站>-<code>" vs 岗位属性.csv "<站>") in the same role family (分拣/理货/水产);
  every pair of one 岗位类型 at two 招聘单位 with the same 位置; 8 pairs of one 招聘单位 with different
  岗位类型 (at most 1 per unit); 6 pairs of one 岗位类型 at two different 招聘单位 of one brand in one
  city (at most 1 per unit). Brand = 小象超市 for the grocery stations (岗位属性.csv and hive_sync
  rows), else the delivery contractor before 【 (prefixes such as 集约配送- dropped; 上海易即达 = 易即达).
"""
from __future__ import annotations

import itertools
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
from rapidfuzz import fuzz

SEED = 20261127
REAL = Path("/work/shared/realdata")
HERE = Path(__file__).resolve().parent
F_1DAGONG = REAL / "1dagong_staffing_postings_2015.csv"
F_MEITUAN = REAL / "meituan_station_staffing_postings_2025.csv"
F_MIDUODUO = REAL / "miduoduo_parttime_beijing_2015.csv"
EXCLUDE_FILES = ("labelled_1dagong.json", "labelled_1dagong_heldout.json",
                 "labelled_realdata_dev.json", "labelled_realdata_dev2.json")


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def excluded() -> dict:
    ex: dict = {"1dagong": set(), "miduoduo": set(), "meituan": set()}
    for f in EXCLUDE_FILES:
        for r in json.loads((HERE / f).read_text())["records"]:
            ex[r.get("dataset", "1dagong")].add(str(r["id"]))
    return ex


def take(pairs, n, cap, counter, keys_of, chosen, stratum):
    """Take up to n pairs in the given (already shuffled) order, respecting the per-group cap."""
    got = 0
    for p in pairs:
        if got >= n:
            break
        key = (p["dataset"], p["a"], p["b"])
        if key in chosen:
            continue
        ks = keys_of(p)
        if any(counter[k] >= cap for k in ks):
            continue
        for k in ks:
            counter[k] += 1
        chosen[key] = dict(p, stratum=stratum)
        got += 1
    return got


def sample_1dagong(rng: random.Random, ex: set):
    d = read(F_1DAGONG)
    d = d[~d["id"].isin(ex)]
    d = d[(d["companyname"].str.strip() != "") & (~d["companyname"].str.contains("测试"))]
    recs = {r["id"]: r for r in d.to_dict("records")}
    within = []
    for _, g in sorted(d.groupby(d["companyname"].str.strip()), key=lambda t: t[0]):
        rows = sorted(g.to_dict("records"), key=lambda r: int(r["id"]))
        for a, b in itertools.combinations(rows, 2):
            within.append({
                "a": a["id"], "b": b["id"], "dataset": "1dagong",
                "text_ratio": round(fuzz.ratio(a["contents"][:300], b["contents"][:300]), 1),
                "title_ratio": round(fuzz.ratio(a["jobs_name"], b["jobs_name"]), 1),
            })
    comp_of = lambda i: recs[i]["companyname"].strip()  # noqa: E731
    keys_of = lambda p: {comp_of(p["a"]), comp_of(p["b"])}  # noqa: E731
    counter: Counter = Counter()
    chosen: dict = {}
    strata = [
        ("1d_text_ge90", lambda p: p["text_ratio"] >= 90, 60),
        ("1d_text_60_90", lambda p: 60 <= p["text_ratio"] < 90, 30),
        ("1d_text_lt60_title_ge60", lambda p: p["text_ratio"] < 60 and p["title_ratio"] >= 60, 20),
    ]
    for name, cond, n in strata:
        cands = [p for p in within if cond(p)]
        rng.shuffle(cands)
        take(cands, n, 2, counter, keys_of, chosen, name)
    # two different companies, one district, same or near-same title
    cross = []
    for dist, g in sorted(d.groupby("district_cn"), key=lambda t: t[0]):
        if not dist.strip():
            continue
        rows = sorted(g.to_dict("records"), key=lambda r: int(r["id"]))
        for a, b in itertools.combinations(rows, 2):
            if a["companyname"].strip() == b["companyname"].strip():
                continue
            if not a["jobs_name"].strip() or not b["jobs_name"].strip():
                continue
            tr = fuzz.ratio(a["jobs_name"], b["jobs_name"])
            if tr >= 90:
                cross.append({
                    "a": a["id"], "b": b["id"], "dataset": "1dagong",
                    "text_ratio": round(fuzz.ratio(a["contents"][:300], b["contents"][:300]), 1),
                    "title_ratio": round(tr, 1),
                })
    rng.shuffle(cross)
    take(cross, 20, 2, counter, keys_of, chosen, "1d_cross_company_title_ge90")
    # extra likely reposts (enough "same" pairs): high text and title similarity, third pair allowed
    extra = [p for p in within if p["text_ratio"] >= 85 and p["title_ratio"] >= 50]
    rng.shuffle(extra)
    take(extra, 15, 3, counter, keys_of, chosen, "1d_extra_text_ge85_title_ge50")
    # added after a first labelling pass found too few "same" pairs: every remaining pair that looks
    # most like a repost, in id order, no cap and no rng (so the strata above and the other data sets'
    # samples are unchanged)
    rest_text, rest_title = [], []
    for p in within:
        if ("1dagong", p["a"], p["b"]) in chosen:
            continue
        if p["text_ratio"] >= 90:
            rest_text.append(p)
        elif p["title_ratio"] >= 70:
            rest_title.append(p)
    near = []
    rows = sorted(d.to_dict("records"), key=lambda r: int(r["id"]))
    for a, b in itertools.combinations(rows, 2):
        ca, cb = a["companyname"].strip(), b["companyname"].strip()
        if ca == cb or fuzz.ratio(ca, cb) < 80:
            continue
        tr = fuzz.ratio(a["contents"][:300], b["contents"][:300])
        if tr >= 90:
            near.append({"a": a["id"], "b": b["id"], "dataset": "1dagong", "text_ratio": round(tr, 1),
                         "title_ratio": round(fuzz.ratio(a["jobs_name"], b["jobs_name"]), 1)})
    for name, ps in (("1d_extra_rest_text_ge90", rest_text), ("1d_extra_rest_title_ge70", rest_title),
                     ("1d_extra_near_company_name_text_ge90", near)):
        ps.sort(key=lambda p: (int(p["a"]), int(p["b"])))
        take(ps, 10**6, 10**6, Counter(), keys_of, chosen, name)
    # still too few "same": remaining same-company pairs with the same headcount and pay field and
    # titles sharing a role word (title ratio >= 50), in id order
    same_terms = [p for p in within if ("1dagong", p["a"], p["b"]) not in chosen
                  and p["title_ratio"] >= 50
                  and recs[p["a"]]["amount"] == recs[p["b"]]["amount"]
                  and recs[p["a"]]["wage_cn"] == recs[p["b"]]["wage_cn"]]
    same_terms.sort(key=lambda p: (int(p["a"]), int(p["b"])))
    take(same_terms, 10**6, 10**6, Counter(), keys_of, chosen, "1d_extra_rest_same_terms_title_ge50")
    return list(chosen.values()), recs


def meituan_brand(unit: str, src: str) -> str:
    if src == "岗位属性.csv" or "小象" in unit:
        return "小象超市"
    b = unit.split("【")[0].split("-")[-1]
    return "易即达" if b.endswith("易即达") else b


def role_family(role: str) -> str:
    for k in ("分拣", "理货", "水产", "果切", "外卖"):
        if k in role:
            return k
    return role


def sample_meituan(rng: random.Random, ex: set):
    m = read(F_MEITUAN)
    m.insert(0, "id", [f"m{i}" for i in range(len(m))])
    recs = {r["id"]: r for r in m.to_dict("records")}
    m = m[~m["id"].isin(ex)].copy()
    m["brand"] = [meituan_brand(u, s) for u, s in zip(m["招聘单位"], m["source_file"], strict=False)]
    m["station"] = [re.sub(r"^小象超市-(.*)-[A-Z]{2}\d+$", r"\1", u) if s.startswith("hive") else u
                    for u, s in zip(m["招聘单位"], m["source_file"], strict=False)]
    rows = m.to_dict("records")
    same_unit_role, cross_source, same_place, unit_other_role, role_other_unit = [], [], [], [], []
    for a, b in itertools.combinations(rows, 2):
        p = {"a": a["id"], "b": b["id"], "dataset": "meituan"}
        if a["招聘单位"] == b["招聘单位"]:
            (same_unit_role if a["岗位类型"] == b["岗位类型"] else unit_other_role).append(p)
        elif (a["source_file"] != b["source_file"] and a["station"] == b["station"]
              and role_family(a["岗位类型"]) == role_family(b["岗位类型"])):
            cross_source.append(p)
        elif a["岗位类型"] == b["岗位类型"] and a["位置"] == b["位置"]:
            same_place.append(p)
        elif a["岗位类型"] == b["岗位类型"] and a["brand"] == b["brand"] and a["城市"] == b["城市"]:
            role_other_unit.append(p)
    chosen: dict = {}
    for p in same_unit_role:
        chosen[("meituan", p["a"], p["b"])] = dict(p, stratum="mt_same_unit_same_role")
    for p in cross_source:
        chosen[("meituan", p["a"], p["b"])] = dict(p, stratum="mt_same_station_two_sources")
    for p in same_place:
        chosen[("meituan", p["a"], p["b"])] = dict(p, stratum="mt_same_role_same_place_other_unit")
    counter: Counter = Counter()
    rng.shuffle(unit_other_role)
    take(unit_other_role, 8, 1, counter, lambda p: {"u:" + recs[p["a"]]["招聘单位"]}, chosen,
         "mt_same_unit_other_role")
    rng.shuffle(role_other_unit)
    counter2: Counter = Counter()
    units = lambda p: {recs[p["a"]]["招聘单位"], recs[p["b"]]["招聘单位"]}  # noqa: E731
    take(role_other_unit, 6, 1, counter2, units, chosen, "mt_same_role_other_unit")
    return list(chosen.values()), recs


def sample_miduoduo(rng: random.Random, ex: set):
    x = read(F_MIDUODUO)
    recs = {r["id"]: r for r in x.to_dict("records")}
    x = x[~x["id"].isin(ex)].copy()
    x["cn"] = x["company_name"].str.strip()
    chosen: dict = {}
    within = []
    for _, g in sorted(x.groupby("cn"), key=lambda t: t[0]):
        rows = sorted(g.to_dict("records"), key=lambda r: int(r["id"]))
        for a, b in itertools.combinations(rows, 2):
            within.append({"a": a["id"], "b": b["id"], "dataset": "miduoduo"})
    rng.shuffle(within)
    for p in within:
        chosen[("miduoduo", p["a"], p["b"])] = dict(p, stratum="md_same_company")
    rows = sorted(x.to_dict("records"), key=lambda r: int(r["id"]))
    text_c, title_c = [], []
    for a, b in itertools.combinations(rows, 2):
        if a["cn"] == b["cn"]:
            continue
        dr = fuzz.ratio(a["detail"][:300], b["detail"][:300])
        tr = fuzz.ratio(a["title"].strip(), b["title"].strip())
        p = {"a": a["id"], "b": b["id"], "dataset": "miduoduo",
             "text_ratio": round(dr, 1), "title_ratio": round(tr, 1)}
        if dr >= 60:
            text_c.append(p)
        elif tr >= 55:
            title_c.append(p)
    comps = lambda p: {recs[p["a"]]["company_name"].strip(), recs[p["b"]]["company_name"].strip()}  # noqa: E731
    counter: Counter = Counter()
    rng.shuffle(text_c)
    take(text_c, 10**6, 1, counter, comps, chosen, "md_cross_company_text_ge60")
    rng.shuffle(title_c)
    take(title_c, 20, 1, counter, comps, chosen, "md_cross_company_title_ge55")
    return list(chosen.values()), recs


def candidates(out: Path) -> None:
    rng = random.Random(SEED)
    ex = excluded()
    allpairs, allrecs = [], {}
    for name, fn in (("1dagong", sample_1dagong), ("miduoduo", sample_miduoduo), ("meituan", sample_meituan)):
        pairs, recs = fn(rng, ex[name])
        allpairs += pairs
        for p in pairs:
            for i in (p["a"], p["b"]):
                assert i not in ex[name]
                allrecs[f"{name}|{i}"] = dict({"dataset": name}, **{k: str(v) for k, v in recs[i].items()})
        print(name, len(pairs), dict(Counter(p["stratum"] for p in pairs)), file=sys.stderr)
    out.write_text(json.dumps({"pairs": allpairs, "records": allrecs}, ensure_ascii=False, indent=1))
    print(f"{len(allpairs)} pairs, {len(allrecs)} records -> {out}", file=sys.stderr)


if __name__ == "__main__":
    candidates(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/realdata_final_candidates.json"))
