"""Train the market classifier's naive Bayes models from real postings (run by hand, offline).

    python -m aggregator.market.train [REALDATA_DIR]

REALDATA_DIR defaults to ``$LINGONG_REALDATA`` or ``/work/shared/realdata``. Writes
``aggregator/market/data/{occupation,industry}_nb.json``. Rows of the hand-labelled
evaluation samples (``tests/aggregator/market/data/labelled_sample.csv``, ``labelled_blind.csv``) are left out.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from aggregator.market.classify import NaiveBayes, features, rule_industry, rule_occupation

#: (file, title column, employer column, description column, id column)
FILES: tuple[tuple[str, str, str, str, str], ...] = (
    ("1dagong_staffing_postings_2015.csv", "jobs_name", "companyname", "contents", "id"),
    ("51job_2021_postings.csv", "job_name", "company_name", "jobwelf", ""),
    ("meituan_station_staffing_postings_2025.csv", "岗位类型", "招聘单位", "工作内容", ""),
    ("miduoduo_parttime_beijing_2015.csv", "title", "company_name", "requirement", "id"),
    ("qtshe_parttime_api_sample_2021.csv", "title", "companyName", "jobIntroduction", "partJobId"),
)

#: The 1dagong file's own trade labels, as GB/T 4754-2017 divisions (broad trades → their main division).
TRADE_TO_DIVISION: dict[str, str] = {
    "金融(投资/证券": "67", "互联网/电子商务": "64", "金融(银行/保险)": "66", "机械/设备/重工": "34",
    "计算机软件/硬件": "65", "餐饮/娱乐/休闲": "62", "消费品(食/饮/烟酒)": "14", "教育/培训": "83",
    "房地产开发": "70", "通信(设备/运营/服务)": "63", "贸易/进出口": "51", "批发/零售": "52",
    "家居/室内设计/装潢": "50", "汽车/摩托车/零配件": "36", "物业管理/商业中心": "70", "中介服务/家政服务": "80",
    "医疗/美容/保健/卫生": "84", "家具/家电/工艺品/玩具": "21", "交通/运输/物流": "59", "建筑与工程": "47",
    "电子/半导体/集成电路": "39", "印刷/包装/造纸": "23", "医疗设备/器械": "35", "服装/纺织/皮革": "18",
    "广告/市场推广": "72", "影视/媒体/艺术/出版": "87", "专业服务/财会/法律": "72", "仪器仪表/工业自动化": "40",
    "制药/生物工程": "27", "学术/科研": "73", "农业/渔业/林业/牧业": "01", "会展/博览": "72", "酒店/旅游": "61",
    "检测/认证": "74", "网络游戏": "64", "计算机系统/维修": "81",
}

_DATA = Path(__file__).resolve().parents[2] / "tests" / "aggregator" / "market" / "data"
SAMPLE = _DATA / "labelled_sample.csv"
SAMPLES = (SAMPLE, _DATA / "labelled_blind.csv")  # evaluation samples: never trained on


def read_postings(realdata: Path) -> Iterator[dict[str, str]]:
    """Every posting of the real-data files as {file, key, title, employer, description, trade}."""
    for name, t, e, d, idcol in FILES:
        path = realdata / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            for i, row in enumerate(csv.DictReader(fh)):
                yield {"file": name, "key": row.get(idcol) or str(i) if idcol else str(i),
                       "title": (row.get(t) or "").strip(), "employer": (row.get(e) or "").strip(),
                       "description": (row.get(d) or "").strip(), "trade": row.get("trade_cn") or ""}


def held_out() -> set[tuple[str, str]]:
    """(file, key) of every posting in the evaluation samples."""
    keys: set[tuple[str, str]] = set()
    for sample in SAMPLES:
        if sample.exists():
            with sample.open(encoding="utf-8", newline="") as fh:
                keys |= {(r["file"], r["key"]) for r in csv.DictReader(fh)}
    return keys


def main(argv: list[str]) -> int:
    realdata = Path(argv[0] if argv else os.environ.get("LINGONG_REALDATA", "/work/shared/realdata"))
    skip = held_out()
    occ: list[tuple[list[str], str]] = []
    ind: list[tuple[list[str], str]] = []
    for p in read_postings(realdata):
        if (p["file"], p["key"]) in skip or not p["title"]:
            continue
        toks = features(p["title"], p["employer"], p["description"])
        label = rule_occupation(p["title"])
        if label:
            occ.append((toks, label))
        division = TRADE_TO_DIVISION.get(p["trade"]) or rule_industry(p["employer"])
        if division and p["employer"]:
            ind.append((toks, division))
    out = Path(__file__).parent / "data"
    for name, rows in (("occupation", occ), ("industry", ind)):
        model = NaiveBayes.train(rows, min_count=3)
        (out / f"{name}_nb.json").write_text(json.dumps(model.to_json(), ensure_ascii=False, sort_keys=True,
                                                        separators=(",", ":")), "utf-8")
        print(f"{name}: {len(rows)} training postings, {len(model.docs)} classes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
