"""Draw the representative real-data sample whose every posting is hand-clustered (labelled_realdata_clusters.json).

The pair sets beside this script were drawn to be hard: most of their pairs sit near the decision
boundary (same company, similar text), so their pairwise figures describe the close calls, not the
stream a portal receives. This sample is drawn the other way round: whole groups of postings as they
occur, every posting of a group placed in a cluster by a person, and pairwise precision / recall
counted over *every* pair of the sample — the usual definition of pairwise P/R for a clustering.

Deterministic (random.Random(20261128)):

    .venv/bin/python bench/dedupe/make_realdata_cluster_sample.py [OUT.json [SAMPLE]]

writes groups with their records to OUT.json (default /tmp/realdata_cluster_sample.json) and, beside it,
the text files the labellers read (every non-empty field of every record, group by group); then

    .venv/bin/python bench/dedupe/make_realdata_cluster_sample.py --assemble OUT.json \\
        labelled_realdata_clusters.json ABOUT.txt LABELS.json ... [--second LABELS.json ...]

writes the labelled set from the labellers' files (see ``assemble``).

Units (drawn from each whole file; records labelled in the pair sets are *not* excluded, so the sample
stays representative — each group says whether it holds such a record, and `evaluate.py` reports the
figure on the groups that hold none as well):
- 1dagong 2015 staffing postings (rows with a companyname, no 测试 companies): 50 companies drawn
  uniformly from those with >= 2 postings (all their postings), and 30 postings of companies with one.
- miduoduo 2015 Beijing part-time: every company with >= 2 postings, and 10 single postings.
- meituan 2025 station staffing: a station is the 招聘单位, with the hive_sync form
  "小象超市-<站>-<code>" read as "<站>" (one station listed in both source files is one unit); 20 stations
  drawn from those with >= 2 rows, and 10 single rows.

Other postings that could be the same job are pulled in (one hop, within the dataset, at most 6 per
posting, most similar text first): another posting with fuzz.ratio >= 70 on the first 300 characters
of the text, or a title ratio >= 90 with a text ratio >= 40, or the same 11-digit mobile number in the
text; for meituan, whose units share one brand template word for word, another row at the same 位置.
Units sharing a posting become one group. Pairs of two groups are taken as "different" (the pull
is loose enough that a duplicate outside it would share neither text, nor title, nor phone); pairs
inside a group are labelled by a person, who puts every posting of the group in a cluster.

rapidfuzz only chooses which postings are shown together; it never decides a label.
"""
from __future__ import annotations

import json
import random
import re
import sys
from collections import defaultdict
from functools import partial
from pathlib import Path

import pandas as pd
from make_realdata_final_candidates import F_1DAGONG, F_MEITUAN, F_MIDUODUO, HERE, read
from rapidfuzz import fuzz, process

SEED = 20261128
PAIR_SETS = ("labelled_1dagong.json", "labelled_1dagong_heldout.json", "labelled_realdata_dev.json",
             "labelled_realdata_dev2.json", "labelled_realdata_final.json")
MAX_PULL = 6
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def seen_before() -> set[tuple[str, str]]:
    """(dataset, id) of every record in the pair sets."""
    seen = set()
    for f in PAIR_SETS:
        for r in json.loads((HERE / f).read_text(encoding="utf-8"))["records"]:
            seen.add((r.get("dataset", "1dagong"), str(r["id"])))
    return seen


def frames() -> dict[str, tuple[pd.DataFrame, str, str, str, str]]:
    """dataset -> (rows, unit column, title column, text column, place column)."""
    d = read(F_1DAGONG)
    d = d[(d["companyname"].str.strip() != "") & (~d["companyname"].str.contains("测试"))].copy()
    d["unit"] = d["companyname"].str.strip()
    x = read(F_MIDUODUO)
    x["unit"] = x["company_name"].str.strip()
    x["place"] = x["city"] + x["district"]
    m = read(F_MEITUAN)
    m.insert(0, "id", [f"m{i}" for i in range(len(m))])
    m["unit"] = [re.sub(r"^小象超市-(.*)-[A-Z]{2}\d+$", r"\1", u) if s.startswith("hive") else u
                 for u, s in zip(m["招聘单位"], m["source_file"], strict=True)]
    m["text"] = m["工作内容"] + m["薪资"]
    return {"1dagong": (d, "unit", "jobs_name", "contents", "district_cn"),
            "miduoduo": (x, "unit", "title", "detail", "place"),
            "meituan": (m, "unit", "岗位类型", "text", "城市")}


def draw_units(rng: random.Random, rows: pd.DataFrame, n_multi: int | None, n_single: int) -> list[list[str]]:
    """Units as lists of record ids: n_multi units with >= 2 rows (None: all) and n_single single rows."""
    by_unit = {u: sorted(g["id"].tolist()) for u, g in rows.groupby("unit")}
    multi = sorted(u for u, ids in by_unit.items() if len(ids) >= 2)
    single = sorted(u for u, ids in by_unit.items() if len(ids) == 1)
    picked = multi if n_multi is None else rng.sample(multi, min(n_multi, len(multi)))
    return [by_unit[u] for u in picked] + [by_unit[u] for u in rng.sample(single, min(n_single, len(single)))]


def pulls(rows: pd.DataFrame, title: str, text: str, ids: list[str]) -> dict[str, list[str]]:
    """For each id, the other rows that could be the same job (see the module docstring)."""
    all_ids = rows["id"].tolist()
    if "位置" in rows:  # meituan: one brand template everywhere, so the place decides
        at: dict[str, list[str]] = defaultdict(list)
        for i, place in zip(all_ids, rows["位置"], strict=True):
            if place.strip():
                at[place.strip()].append(i)
        where = dict(zip(all_ids, rows["位置"].str.strip(), strict=True))
        return {i: [o for o in at.get(where[i], []) if o != i][:MAX_PULL] for i in ids}
    pos = {i: k for k, i in enumerate(all_ids)}
    texts = [t[:300] for t in rows[text].tolist()]
    titles = [t.strip() for t in rows[title].tolist()]
    phones = [set(_MOBILE.findall(t)) for t in rows[text].tolist()]
    q = [pos[i] for i in ids]
    tx = process.cdist([texts[k] for k in q], texts, scorer=fuzz.ratio, workers=2)
    ti = process.cdist([titles[k] for k in q], titles, scorer=fuzz.ratio, workers=2)
    out: dict[str, list[str]] = {}
    for row, k in enumerate(q):
        hits = []
        for j in range(len(all_ids)):
            if j == k:
                continue
            if tx[row, j] >= 70 or (ti[row, j] >= 90 and tx[row, j] >= 40) or (phones[k] & phones[j]):
                hits.append((-float(tx[row, j]), all_ids[j]))
        out[all_ids[k]] = [i for _, i in sorted(hits)[:MAX_PULL]]
    return out


def _root(parent: dict[str, str], i: str) -> str:
    """Union-find root of i (path halving)."""
    while parent.setdefault(i, i) != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


# sample -> (seed, units drawn per dataset (multi-posting units, single postings), earlier samples whose units
# are not drawn again). Sample 2 was drawn after sample 1 had been scored and read, to score the matcher again;
# sample 3 after sample 2 had been scored and read; sample 4 after sample 3 had been scored and read.
SAMPLES: dict[int, tuple[int, dict[str, tuple[int | None, int]], tuple[str, ...]]] = {
    1: (SEED, {"1dagong": (50, 30), "miduoduo": (None, 10), "meituan": (20, 10)}, ()),
    2: (20261129, {"1dagong": (80, 20), "meituan": (20, 0)}, ("labelled_realdata_clusters.json",)),
    3: (20261130, {"1dagong": (80, 20), "meituan": (20, 0)},
        ("labelled_realdata_clusters.json", "labelled_realdata_clusters2.json")),
    4: (20261201, {"1dagong": (80, 20), "meituan": (20, 0)},
        ("labelled_realdata_clusters.json", "labelled_realdata_clusters2.json", "labelled_realdata_clusters3.json")),
}


def sample(number: int = 1) -> dict:
    seed, plan, earlier = SAMPLES[number]
    rng = random.Random(seed)
    seen = seen_before()
    drawn = {(r["dataset"], str(r["id"])) for f in earlier
             for r in json.loads((HERE / f).read_text(encoding="utf-8"))["records"]}
    groups, records = [], {}
    for dataset, (rows, _unit, title, text, _place) in frames().items():
        if dataset not in plan:
            continue
        taken = {u for u, i in zip(rows["unit"], rows["id"], strict=True) if (dataset, i) in drawn}
        units = draw_units(rng, rows[~rows["unit"].isin(taken)], *plan[dataset])
        members = sorted({i for u in units for i in u})
        pulled = pulls(rows, title, text, members)
        parent: dict[str, str] = {}
        find = partial(_root, parent)
        for u in units:
            for i in u[1:]:
                parent[find(i)] = find(u[0])
        for i, others in pulled.items():
            for o in others:
                parent[find(o)] = find(i)
        by_root: dict[str, list[str]] = defaultdict(list)
        for i in {*members, *(o for others in pulled.values() for o in others)}:
            by_root[find(i)].append(i)
        recs = {r["id"]: r for r in rows.to_dict("records")}
        for ids in sorted(by_root.values(), key=lambda ids: min(ids)):
            ids.sort(key=lambda i: (recs[i].get("addtime") or recs[i].get("created_time") or "", i))
            gid = (f"s{number}-" if number > 1 else "") + \
                f"{dataset}-{len([g for g in groups if g['dataset'] == dataset]) + 1:03d}"
            groups.append({"group": gid, "dataset": dataset, "ids": ids,
                           "seen_before": sorted(i for i in ids if (dataset, i) in seen)})
            for i in ids:
                records[f"{dataset}|{i}"] = dict(
                    {"dataset": dataset},
                    **{k: str(v) for k, v in recs[i].items() if k not in ("unit", "place", "text")})
        sizes = [len(g["ids"]) for g in groups if g["dataset"] == dataset]
        print(f"{dataset}: {len(units)} units -> {len(sizes)} groups, {sum(sizes)} records, "
              f"largest {max(sizes)}, pairs inside groups {sum(n * (n - 1) // 2 for n in sizes)}", file=sys.stderr)
    return {"groups": groups, "records": records}


def render(doc: dict, datasets: set[str], part: tuple[int, int] = (1, 1)) -> str:
    """The groups of some datasets as the labellers read them: every non-empty field of every record.
    ``part`` (k, n): the k-th of n runs of consecutive groups holding about as many records each."""
    lines = []
    chosen = [g for g in doc["groups"] if g["dataset"] in datasets]
    total, before = sum(len(g["ids"]) for g in chosen), 0
    for g in chosen:
        before += len(g["ids"])
        if not (part[0] - 1) * total < part[1] * before <= part[0] * total and not (
                part[0] == part[1] and before == total):
            continue
        lines.append(f"\n======== GROUP {g['group']} ({len(g['ids'])} postings) ========")
        for i in g["ids"]:
            r = doc["records"][f"{g['dataset']}|{i}"]
            lines.append(f"\n--- posting {i} ---")
            lines += [f"{k}: {v}" for k, v in r.items() if k not in ("dataset", "id") and v.strip()]
    return "\n".join(lines) + "\n"


def assemble(sample_path: Path, out: Path, primary: list[Path], second: list[Path], about: str) -> None:
    """Write the labelled set: the sample's groups with each labeller's clusters, unsure pairs and notes
    (``clusters`` from the primary labellers, ``clusters_second`` from the second opinion, where given).
    Refuses labels that miss or add a posting of a group."""
    doc = json.loads(sample_path.read_text(encoding="utf-8"))
    for field, paths in (("clusters", primary), ("clusters_second", second)):
        for path in paths:
            labels = json.loads(path.read_text(encoding="utf-8"))
            for g in doc["groups"]:
                got = labels["groups"].get(g["group"])
                if got is None:
                    continue
                if sorted(got["clusters"]) != sorted(g["ids"]):
                    raise SystemExit(f"{path}: group {g['group']} labels {sorted(got['clusters'])}, holds {g['ids']}")
                g[field] = {i: got["clusters"][i] for i in g["ids"]}
                g[field + "_unsure"] = [sorted(pair) for pair in got.get("unsure", [])]
                g[field + "_note"] = got.get("note", "")
                g[field + "_labeller"] = labels.get("labeller", "")
    missing = [g["group"] for g in doc["groups"] if "clusters" not in g]
    if missing:
        raise SystemExit(f"groups without primary labels: {missing}")
    records = list(doc["records"].values())
    out.write_text(json.dumps({"about": about, "groups": doc["groups"], "records": records},
                              ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--assemble"]:
        # --assemble SAMPLE OUT ABOUT.txt PRIMARY.json [PRIMARY.json ...] [--second SECOND.json ...]
        args = sys.argv[2:]
        cut = args.index("--second") if "--second" in args else len(args)
        assemble(Path(args[0]), Path(args[1]), [Path(a) for a in args[3:cut]], [Path(a) for a in args[cut + 1:]],
                 Path(args[2]).read_text(encoding="utf-8").strip())
        sys.exit(0)
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/realdata_cluster_sample.json")
    number = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    doc = sample(number)
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    parts = ((("1dagong", {"1dagong"}, (1, 1)), ("miduoduo_meituan", {"miduoduo", "meituan"}, (1, 1)))
             if number == 1 else (("1dagong_part1", {"1dagong"}, (1, 2)), ("1dagong_part2", {"1dagong"}, (2, 2)),
                                  ("meituan", {"meituan"}, (1, 1))))
    for name, datasets, part in parts:
        out.with_name(f"{out.stem}_{name}.txt").write_text(render(doc, datasets, part), encoding="utf-8")
    print(f"-> {out} and the labellers' text files beside it", file=sys.stderr)
