"""Sample candidate pairs for the hand-labelled real-data dedupe sets, and assemble the labelled files.

Two steps, both deterministic (random.Random(20261126)):

    .venv/bin/python bench/dedupe/make_realdata_candidates.py candidates [OUT.json]
        samples ~220 candidate pairs from three real data sets in /work/shared/realdata/ and writes
        them (with both records) to OUT.json (default /tmp/realdata_candidates.json). rapidfuzz is used
        only to *choose* pairs (similarity strata); it never decides a label.

    .venv/bin/python bench/dedupe/make_realdata_candidates.py build LABELS.json
        LABELS.json = {"<dataset>|<a>|<b>": {"label": "same"|"different"|"unsure", "note": "..."}},
        written by a person after reading both records of every pair. Splits the labelled pairs into
        labelled_realdata_dev.json / labelled_realdata_test.json (the latter renamed labelled_realdata_dev2.json
        once it had been tuned on; grouped so that a company -- 1dagong
        companyname, miduoduo company_name, meituan brand+city -- falls wholly in one file).

Ids: 1dagong and miduoduo use their `id` column; meituan has none, so "m<row index>" (0-based, as read
by pandas.read_csv).

Sampling:
- 1dagong (/work/shared/realdata/1dagong_staffing_postings_2015.csv), ids of labelled_1dagong.json and
  labelled_1dagong_heldout.json excluded, rows without a companyname and test rows (测试企业) dropped.
  Pairs of one company (companies with >= 2 postings), stratified by fuzz.ratio of the first 300 chars
  of `contents`: 65 with ratio >= 90, 30 with 60-90, 15 below 60 whose titles have fuzz.ratio >= 60;
  then 30 extra pairs with content ratio >= 90 and title ratio >= 60 (likely reposts, added so the sets
  hold enough "same" pairs); then 20 pairs of two different companies in one district_cn whose titles
  have fuzz.ratio >= 90. At most 2 pairs per company over all strata.
- meituan (/work/shared/realdata/meituan_station_staffing_postings_2025.csv): every pair of rows with the
  same (招聘单位, 岗位类型); 25 pairs of one 招聘单位 with different 岗位类型 (at most 1 per unit);
  20 pairs of one 岗位类型 at two different 招聘单位 of one brand in one city -- 12 of them from pairs
  sharing the same 位置 (e.g. "集约配送-X站" vs "X站"), 8 from the rest. Brand = 小象超市 for the grocery
  stations (岗位属性.csv and hive_sync rows), else the delivery contractor before 【 (prefixes such as
  集约配送- dropped; 上海易即达 = 易即达).
- miduoduo (/work/shared/realdata/miduoduo_parttime_beijing_2015.csv): every pair of one company_name
  (stripped); plus up to 5 pairs of two companies whose titles have fuzz.ratio >= 70 (one per company).
"""
from __future__ import annotations

import itertools
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd
from rapidfuzz import fuzz

SEED = 20261126
REAL = Path("/work/shared/realdata")
HERE = Path(__file__).resolve().parent
F_1DAGONG = REAL / "1dagong_staffing_postings_2015.csv"
F_MEITUAN = REAL / "meituan_station_staffing_postings_2025.csv"
F_MIDUODUO = REAL / "miduoduo_parttime_beijing_2015.csv"


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def meituan_brand(unit: str, src: str) -> str:
    if src == "岗位属性.csv" or "小象" in unit:
        return "小象超市"
    b = unit.split("【")[0].split("-")[-1]
    return "易即达" if b.endswith("易即达") else b


def group_key(dataset: str, rec: dict) -> str:
    if dataset == "1dagong":
        return "1dagong|" + rec["companyname"].strip()
    if dataset == "miduoduo":
        return "miduoduo|" + rec["company_name"].strip()
    return "meituan|" + meituan_brand(rec["招聘单位"], rec["source_file"]) + "|" + rec["城市"]


def take(pairs, n, cap, counter, keys_of, chosen, stratum):
    """Take up to n pairs in the given (already shuffled) order, respecting the per-company cap."""
    got = 0
    for p in pairs:
        if got >= n:
            break
        key = (p["a"], p["b"])
        if key in chosen:
            continue
        ks = keys_of(p)
        if any(counter[k] >= cap for k in ks):
            continue
        for k in ks:
            counter[k] += 1
        p = dict(p, stratum=stratum)
        chosen[key] = p
        got += 1
    return got


def sample_1dagong(rng: random.Random):
    d = read(F_1DAGONG)
    excl = set()
    for f in ("labelled_1dagong.json", "labelled_1dagong_heldout.json"):
        excl |= {str(r["id"]) for r in json.loads((HERE / f).read_text())["records"]}
    d = d[~d["id"].isin(excl)]
    d = d[(d["companyname"].str.strip() != "") & (~d["companyname"].str.contains("测试"))]
    recs = {r["id"]: r for r in d.to_dict("records")}
    within = []
    for _comp, g in sorted(d.groupby(d["companyname"].str.strip()), key=lambda t: t[0]):
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
        ("1d_text_ge90", lambda p: p["text_ratio"] >= 90, 65),
        ("1d_text_60_90", lambda p: 60 <= p["text_ratio"] < 90, 30),
        ("1d_text_lt60_title_ge60", lambda p: p["text_ratio"] < 60 and p["title_ratio"] >= 60, 15),
        ("1d_extra_text_ge90_title_ge60",
         lambda p: p["text_ratio"] >= 90 and p["title_ratio"] >= 60, 30),
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
    return list(chosen.values()), recs


def sample_meituan(rng: random.Random):
    m = read(F_MEITUAN)
    m.insert(0, "id", [f"m{i}" for i in range(len(m))])
    recs = {r["id"]: r for r in m.to_dict("records")}
    m["brand"] = [meituan_brand(u, s) for u, s in zip(m["招聘单位"], m["source_file"], strict=False)]
    rows = m.to_dict("records")
    same_unit_role, unit_other_role, role_other_unit = [], [], []
    for a, b in itertools.combinations(rows, 2):
        p = {"a": a["id"], "b": b["id"], "dataset": "meituan"}
        if a["招聘单位"] == b["招聘单位"]:
            (same_unit_role if a["岗位类型"] == b["岗位类型"] else unit_other_role).append(p)
        elif a["岗位类型"] == b["岗位类型"] and a["brand"] == b["brand"] and a["城市"] == b["城市"]:
            p["same_place"] = a["位置"] == b["位置"]
            role_other_unit.append(p)
    chosen: dict = {}
    counter: Counter = Counter()
    for p in same_unit_role:
        chosen[(p["a"], p["b"])] = dict(p, stratum="mt_same_unit_same_role")
    rng.shuffle(unit_other_role)
    take(unit_other_role, 25, 1, counter, lambda p: {"u:" + recs[p["a"]]["招聘单位"]}, chosen,
         "mt_same_unit_other_role")
    sp = [p for p in role_other_unit if p["same_place"]]
    op = [p for p in role_other_unit if not p["same_place"]]
    rng.shuffle(sp)
    rng.shuffle(op)
    counter2: Counter = Counter()
    units = lambda p: {recs[p["a"]]["招聘单位"], recs[p["b"]]["招聘单位"]}  # noqa: E731
    take(sp, 12, 2, counter2, units, chosen, "mt_same_role_other_unit_same_place")
    take(op, 8, 2, counter2, units, chosen, "mt_same_role_other_unit")
    for p in chosen.values():
        p.pop("same_place", None)
    return list(chosen.values()), recs


def sample_miduoduo(rng: random.Random):
    x = read(F_MIDUODUO)
    recs = {r["id"]: r for r in x.to_dict("records")}
    x["cn"] = x["company_name"].str.strip()
    chosen: dict = {}
    counter: Counter = Counter()
    within = []
    for _comp, g in sorted(x.groupby("cn"), key=lambda t: t[0]):
        rows = sorted(g.to_dict("records"), key=lambda r: int(r["id"]))
        for a, b in itertools.combinations(rows, 2):
            within.append({"a": a["id"], "b": b["id"], "dataset": "miduoduo",
                           "title_ratio": round(fuzz.ratio(a["title"], b["title"]), 1)})
    rng.shuffle(within)
    take(within, 10**6, 10**6, counter, lambda p: {recs[p["a"]]["company_name"].strip()}, chosen,
         "md_same_company")
    rows = sorted(x.to_dict("records"), key=lambda r: int(r["id"]))
    cross = []
    for a, b in itertools.combinations(rows, 2):
        if a["cn"] == b["cn"]:
            continue
        tr = fuzz.ratio(a["title"].strip(), b["title"].strip())
        if tr >= 70:
            cross.append({"a": a["id"], "b": b["id"], "dataset": "miduoduo", "title_ratio": round(tr, 1)})
    rng.shuffle(cross)
    counter2: Counter = Counter()
    take(cross, 5, 1, counter2,
         lambda p: {recs[p["a"]]["company_name"].strip(), recs[p["b"]]["company_name"].strip()}, chosen,
         "md_cross_company_title_ge70")
    return list(chosen.values()), recs


def candidates(out: Path) -> None:
    rng = random.Random(SEED)
    allpairs, allrecs = [], {}
    for name, fn in (("1dagong", sample_1dagong), ("meituan", sample_meituan), ("miduoduo", sample_miduoduo)):
        pairs, recs = fn(rng)
        allpairs += pairs
        for p in pairs:
            for i in (p["a"], p["b"]):
                allrecs[f"{name}|{i}"] = dict({"dataset": name}, **{k: str(v) for k, v in recs[i].items()})
        print(name, len(pairs), Counter(p["stratum"] for p in pairs), file=sys.stderr)
    out.write_text(json.dumps({"pairs": allpairs, "records": allrecs}, ensure_ascii=False, indent=1))
    print(f"{len(allpairs)} pairs -> {out}", file=sys.stderr)


def build(labels_path: Path, cand_path: Path = Path("/tmp/realdata_candidates.json")) -> None:
    cand = json.loads(cand_path.read_text())
    labels = json.loads(labels_path.read_text())
    recs = cand["records"]
    pairs = []
    for p in cand["pairs"]:
        k = f"{p['dataset']}|{p['a']}|{p['b']}"
        lab = labels[k]  # every candidate must have been labelled by hand
        pairs.append({"a": p["a"], "b": p["b"], "dataset": p["dataset"], "label": lab["label"],
                      "note": lab.get("note", ""), "stratum": p["stratum"]})
    # union-find over company groups (a cross-company pair ties its two companies together)
    parent: dict = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        ga = group_key(p["dataset"], recs[f"{p['dataset']}|{p['a']}"])
        gb = group_key(p["dataset"], recs[f"{p['dataset']}|{p['b']}"])
        parent[find(ga)] = find(gb)
    comp = defaultdict(list)
    for p in pairs:
        comp[find(group_key(p["dataset"], recs[f"{p['dataset']}|{p['a']}"]))].append(p)
    rng = random.Random(SEED)
    keys = sorted(comp)
    rng.shuffle(keys)
    side = {}
    stat = {s: Counter() for s in ("dev", "test")}
    # groups holding "same" pairs first, largest first (balance the total "same" count), then the
    # rest (balance the pair counts per dataset); ties broken by a coin from the same rng
    nsame_of = {k: sum(p["label"] == "same" for p in comp[k]) for k in keys}
    for phase in ("same", "rest"):
        order = sorted(keys, key=lambda k: -nsame_of[k]) if phase == "same" else keys
        for k in order:
            ps = comp[k]
            nsame = nsame_of[k]
            if (phase == "same") != (nsame > 0):
                continue
            ds = ps[0]["dataset"]
            def metric(s: str, ds: str = ds, phase: str = phase) -> tuple[int, ...]:
                return (stat[s]["same"], stat[s][ds]) if phase == "same" else (stat[s][ds],)

            md, mt = metric("dev"), metric("test")
            s = "dev" if md < mt else "test" if mt < md else rng.choice(["dev", "test"])
            side[k] = s
            stat[s][ds] += len(ps)
            stat[s]["same"] += nsame
    for s in ("dev", "test"):
        sp = [p for k in keys if side[k] == s for p in comp[k]]
        sp.sort(key=lambda p: (p["dataset"], p["stratum"], p["a"], p["b"]))
        ids = []
        for p in sp:
            for i in (p["a"], p["b"]):
                if f"{p['dataset']}|{i}" not in ids:
                    ids.append(f"{p['dataset']}|{i}")
        counts = Counter((p["dataset"], p["label"]) for p in sp)
        count_txt = "; ".join(
            f"{ds}: " + ", ".join(f"{counts[(ds, lab)]} {lab}" for lab in ("same", "different", "unsure"))
            for ds in ("1dagong", "meituan", "miduoduo"))
        about = (
            f"Real-data dedupe pairs, {s} half. {len(sp)} pairs over {len(ids)} records ({count_txt}). "
            "Sampled by bench/dedupe/make_realdata_candidates.py (seed 20261126; strata in each pair's "
            "`stratum`; see the script's docstring): 1dagong 2015 staffing postings (ids of the two older "
            "labelled_1dagong sets excluded) -- same-company pairs stratified by fuzz.ratio of the first 300 "
            "chars of contents (>=90 / 60-90 / <60 with similar titles, plus extra >=90 pairs with similar "
            "titles), and same-district near-same titles of two companies, at most 2 pairs per company; "
            "meituan 2025 station staffing -- same station+role, same station other role, same role at "
            "another station of one brand in one city; miduoduo 2015 Beijing part-time -- same-company "
            "pairs and a few near-same titles of two companies. Labels were given by a person reading "
            "both records in full (title, employer, pay, place, dates, headcount, sex, education, hours, "
            "text), blind to any matcher's output. same = one job a worker would apply to once (repost, "
            "re-listing, clickbait/reworded title over the same text and terms, pay typo/edit, trimmed or "
            "extended text). different = another role (incl. two role titles over one company template; "
            "full-time vs part-time), another workplace (station/store/branch/city/district), another "
            "employer, or the same role posted as separate openings with clearly different terms. "
            "unsure = cannot tell; exclude unsure pairs when scoring. Split dev/test at random (seed "
            "20261126) grouped so one company (1dagong companyname / miduoduo company_name / meituan "
            "brand+city; cross-company pairs join their companies) falls wholly in one file, balancing "
            "the 'same' counts. meituan ids are 'm<0-based row index>'."
        )
        out = {"about": about, "records": [recs[i] for i in ids], "pairs": sp}
        (HERE / f"labelled_realdata_{s}.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
        print(s, len(sp), dict(counts), file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "candidates":
        candidates(Path(sys.argv[2]) if len(sys.argv) > 2 else Path("/tmp/realdata_candidates.json"))
    elif len(sys.argv) >= 3 and sys.argv[1] == "build":
        build(Path(sys.argv[2]))
    else:
        print(__doc__)
        sys.exit(2)
