"""Cluster N synthetic-but-realistic postings with the shipped dedupe; time it and score it.

    .venv/bin/python bench/dedupe/bench.py 100000 300000 1000000

Postings are generated deterministically (``random.Random(SEED)``) from gig-work text pools (titles,
duties, requirements, pay strings and street names in the style of the realdata files), spread over
40 cities; ~18% are reposts or cross-posts of an earlier posting with the variations seen in real
cross-posts (decorated title — 急招, 【急招】, not 白班/兼职, which name another job — trimmed text, other
phone formatting, 有限公司 vs 有限责任公司, another source). Their ground truth is known, so pairwise
precision/recall are reported too. Features (folded titles, cleaned texts, vectorised MinHashes) are
computed on 2 worker processes; clustering is the bulk first-load path
:func:`aggregator.dedupe.cluster_bulk` (the same ids as matching one by one against a
:class:`aggregator.dedupe.MemoryStore`; ``--incremental`` runs that too and checks it), with
rapidfuzz ``cpdist`` on both cores. ``dedupe_total_s`` = features + clustering (not generation, not
normalisation).

    .venv/bin/python bench/dedupe/bench.py 100000 300000 1000000 [--incremental]
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter
from multiprocessing import Pool
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from aggregator import dedupe

SEED = 20261126
CITIES = [f"{p}{c:02d}" for p in ("32", "33", "34", "35", "36", "37", "41", "42", "43", "44") for c in (1, 2, 5, 6)]
ROLES = ["分拣员", "普工", "保洁员", "搬运工", "外卖骑手", "快递员", "服务员", "传菜员", "洗碗工", "厨师",
         "保安", "仓管员", "装卸工", "理货员", "促销员", "收银员", "话务员", "网络销售", "电话销售", "操作工",
         "质检员", "叉车司机",
         "货车司机", "电工", "焊工", "木工", "油漆工", "家政保姆", "月嫂", "育婴师", "护工", "钟点工", "发单员", "礼仪",
         "客服专员", "店员", "配送员", "包装工", "缝纫工", "CNC操机"]
PREFIX = ["", "", "", "急招", "诚聘", "长期招聘", "高薪招聘", "日结", "包吃住", "白班", "夜班", "临时", "兼职"]
# What a repost or cross-post adds to the title: decorations only. 白班 / 夜班 / 兼职 name another job
# (the labelled real data says so), so a copy keeps the original's.
DECORATION = ["", "急招", "诚聘", "长期招聘", "高薪招聘", "包吃住", "【急招】", "★"]
DUTY = ["负责仓库货物的分拣、打包、装车", "按照主管安排完成当日工作任务", "负责门店日常清洁和顾客接待",
        "通过手机APP接单，按时将物品送达顾客", "负责生产线上的操作和产品检验", "负责客户来电的接听与回访",
        "协助完成物料的收发和盘点", "负责餐厅前厅的点餐和传菜", "负责小区和写字楼的保洁工作", "按图纸完成零件加工"]
REQ = ["年龄18-45岁，男女不限", "身体健康，吃苦耐劳，服从安排", "有相关工作经验者优先", "能适应倒班",
       "会骑电动车，会使用导航", "不要求学历，无经验可培训", "需要持有健康证", "要求普通话标准，沟通能力好"]
PERK = ["包吃包住", "提供住宿", "工作餐", "缴纳社保", "月休4天", "满勤奖300元", "节假日三倍工资", "工资日结", "周结",
        "年底双薪"]
STREET = ["人民路", "建设路", "解放路", "中山路", "新华路", "工业园区", "科技园", "开发区大道", "滨江路", "长江路"]
COMPANY = ["物流", "食品", "电子", "人力资源", "家政服务", "餐饮管理", "保洁服务", "机械制造", "服装", "超市"]


def _pay(rng: random.Random) -> tuple[float | None, float | None, str | None]:
    kind = rng.random()
    if kind < 0.5:
        lo = rng.choice(range(3000, 9000, 500))
        return float(lo), float(lo + rng.choice((1000, 2000, 3000))), "month"
    if kind < 0.8:
        d = float(rng.choice(range(120, 400, 10)))
        return d, d, "day"
    if kind < 0.95:
        h = float(rng.choice(range(16, 40, 1)))
        return h, h, "hour"
    return None, None, None


def generate(n: int) -> tuple[list[dict[str, Any]], list[int]]:
    """``n`` raw postings and, for each, the index of the job it is a copy of (its own index if original)."""
    rng = random.Random(SEED)
    employers = [f"{rng.choice('华鑫恒盛达信源通宏泰瑞丰佳安')}{rng.choice('华鑫恒盛达信源通宏泰瑞丰佳安')}"
                 f"{rng.choice(COMPANY)}有限公司#{i}" for i in range(max(200, n // 12))]
    recs: list[dict[str, Any]] = []
    origin: list[int] = []
    for i in range(n):
        if i > 20 and rng.random() < 0.18:
            j = rng.randrange(max(0, i - 50000), i)
            src = recs[j]
            if origin[j] != j:
                j = origin[j]
                src = recs[j]
            title = (rng.choice(DECORATION) + src["title"]) if rng.random() < 0.5 else src["title"]
            text = src["text"] if rng.random() < 0.6 else src["text"][: int(len(src["text"]) * 0.7)]
            emp = src["employer"].replace("有限公司", "有限责任公司") if rng.random() < 0.2 else src["employer"]
            recs.append({**src, "id": f"p_{i:016x}", "title": title, "text": text, "employer": emp,
                         "source": rng.choice(("s1", "s2", "s3", src["source"])), "phone": src["phone"]})
            origin.append(j)
            continue
        emp_i = rng.randrange(len(employers))
        role = rng.choice(ROLES)
        lo, hi, unit = _pay(rng)
        text = "；".join([rng.choice(DUTY), *rng.sample(REQ, 2), *rng.sample(PERK, 2),
                         f"工作地点{rng.choice(STREET)}{rng.randint(1, 999)}号"])
        recs.append({"id": f"p_{i:016x}", "source": rng.choice(("s1", "s2", "s3")),
                     "city": CITIES[emp_i % len(CITIES)], "employer": employers[emp_i],
                     "ekey": employers[emp_i].split("有限")[0] + employers[emp_i].split("#")[1],
                     "phone": f"1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}" if rng.random() < 0.8 else None,
                     "base_title": role, "title": rng.choice(PREFIX) + role, "text": text,
                     "pay": (lo, hi, unit)})
        origin.append(i)
    return recs, origin


def prepare(recs: list[dict[str, Any]]) -> list[tuple[str, str, bytes]]:
    """Folded title, cleaned text and MinHash of each record (the costly part; run on worker processes,
    whose results are plain tuples: cheap to send back, unlike dataclass instances)."""
    texts = [(dedupe.fold_title(r["title"]), dedupe.clean_text(r["text"])) for r in recs]
    return [(t, x, sig) for (t, x), sig in zip(texts, dedupe.signatures(texts), strict=True)]


def to_features(recs: list[dict[str, Any]], prepared: list[tuple[str, str, bytes]] | None = None
                ) -> list[dedupe.Features]:
    out = []
    for rec, (title, text, sig) in zip(recs, prepared if prepared is not None else prepare(recs), strict=True):
        lo, hi, unit = rec["pay"]
        out.append(dedupe.Features(posting_id=rec["id"], source=rec["source"], province=rec["city"][:2],
                                   city=rec["city"], ekey=rec["ekey"], branch=None, phone=rec["phone"], title=title,
                                   title_text=rec["title"], text=text, pay_min=lo, pay_max=hi, pay_unit=unit,
                                   signature=sig))
    return out


def pairwise(clusters: list[str], origin: list[int]) -> dict[str, float]:
    """Pairwise precision / recall from cluster sizes (no pair enumeration)."""
    def pairs(counter: Counter[Any]) -> int:
        return sum(c * (c - 1) // 2 for c in counter.values())

    predicted = pairs(Counter(clusters))
    truth = pairs(Counter(origin))
    both = pairs(Counter(zip(clusters, origin, strict=True)))
    return {"precision": round(both / predicted, 4) if predicted else 1.0,
            "recall": round(both / truth, 4) if truth else 1.0}


def run(n: int, incremental: bool = False) -> dict[str, Any]:
    t0 = time.perf_counter()
    recs, origin = generate(n)
    t1 = time.perf_counter()
    step = 20000
    with Pool(2) as pool:
        prepared = [t for part in pool.map(prepare, [recs[i:i + step] for i in range(0, n, step)]) for t in part]
    feats = to_features(recs, prepared)
    del recs, prepared
    t2 = time.perf_counter()
    stats: dict[str, float] = {}
    clusters = dedupe.cluster_bulk(feats, stats=stats)
    t3 = time.perf_counter()
    out: dict[str, Any] = {"n": n, "generate_s": round(t1 - t0, 1), "features_s": round(t2 - t1, 1),
                           **{k: round(v, 1) if k.endswith("_s") else int(v) for k, v in stats.items()},
                           "cluster_s": round(t3 - t2, 1), "dedupe_total_s": round(t3 - t1, 1),
                           "clusters": len(set(clusters)), **pairwise(clusters, origin)}
    if incremental:  # the one-by-one path (what a harvest runs), for comparison: same ids
        store = dedupe.MemoryStore()
        one_by_one = [dedupe.choose_cluster(store, f) for f in feats]
        out["incremental_match_s"] = round(time.perf_counter() - t3, 1)
        out["incremental_equal"] = one_by_one == clusters
    return out


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    for arg in args or ["100000"]:
        print(json.dumps(run(int(arg), incremental="--incremental" in sys.argv)), flush=True)
