"""Postings normalised per second, in one process, through every normaliser a posting meets.

The calls are those of ``aggregator.normalizing.to_posting`` (to_simplified on title,
description and address, clean_employer_name + employer_key, parse_location with the
source region, parse_salary with the description as context, normalize_phone,
parse_employment_type, parse_datetime ×2, classify_category, parse_headcount), without
building the pydantic JobPosting. Inputs: the sandbox feeds (connectors/samples/data) and
realdata rows mapped to the same fields. Caches are cleared before each run, so repeated
strings within a run are the only cache hits (as in one harvest). Median of N runs.

    .venv/bin/python bench/normalize/bench_postings.py [--runs 5]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from datetime import datetime
from pathlib import Path

import normalize as nz
from normalize import location, salary

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "connectors" / "samples" / "data"
REALDATA = ROOT.parent / "shared" / "realdata"
Fields = dict[str, str | None]


def _samples() -> list[tuple[Fields, str]]:
    out: list[tuple[Fields, str]] = []
    gz = {"title": "岗位名称", "employer": "用工单位", "salary": "薪资待遇", "address": "工作地点",
          "phone": "联系电话", "posted_at": "发布日期", "expires_at": "截止日期", "employment_type": "用工形式",
          "headcount": "招聘人数", "description": "岗位描述"}
    with (SAMPLES / "feed_gz_staffing.csv").open(encoding="gb18030", newline="") as f:
        for row in csv.DictReader(f):
            out.append(({k: row.get(v) for k, v in gz.items()}, "440100"))
    sz = {"title": "jobTitle", "employer": "company", "salary": "pay", "address": "workPlace", "phone": "tel",
          "posted_at": "publishTime", "expires_at": "endTime", "employment_type": "jobType", "headcount": "num",
          "description": "detail"}
    with (SAMPLES / "feed_sz_agency.ndjson").open(encoding="utf-8") as f:
        for line in f:
            try:
                rec = json.loads(line, strict=False)
            except ValueError:
                continue  # the feed carries deliberately broken lines
            if isinstance(rec, dict):
                out.append(({k: None if rec.get(v) is None else str(rec.get(v)) for k, v in sz.items()}, "440000"))
    return out


def _realdata() -> list[tuple[Fields, str]]:
    out: list[tuple[Fields, str]] = []
    specs = [
        ("51job_2021_postings.csv", "000000", {"title": "job_name", "employer": "company_name",
                                               "salary": "providesalary_text", "address": "workarea_text",
                                               "posted_at": "updatedate", "description": "jobwelf"}),
        ("1dagong_staffing_postings_2015.csv", "000000", {"title": "jobs_name", "employer": "companyname",
                                                          "salary": "wage_cn", "address": "district_cn",
                                                          "employment_type": "nature_cn", "headcount": "amount",
                                                          "posted_at": "addtime", "description": "contents"}),
        ("meituan_station_staffing_postings_2025.csv", "440000", {"title": "岗位类型", "employer": "招聘单位",
                                                                  "salary": "薪资", "address": "位置",
                                                                  "description": "工作内容"}),
        ("miduoduo_parttime_beijing_2015.csv", "110000", {"title": "title", "employer": "company_name",
                                                          "salary": "salary_note", "address": "address",
                                                          "posted_at": "created_time", "description": "detail",
                                                          "headcount": "need_quantity"}),
        ("qtshe_parttime_api_sample_2021.csv", "000000", {"title": "title", "employer": "companyName",
                                                          "salary": "salary", "address": "addressDetail",
                                                          "description": "jobIntroduction"}),
    ]
    for name, region, mapping in specs:
        path = REALDATA / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                out.append(({k: row.get(v) for k, v in mapping.items()}, region))
    return out


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    return " ".join(text.split()) or None


def normalise(f: Fields, region: str, now: datetime) -> object:
    """The normaliser calls of to_posting for one record (region 000000 = none)."""
    within = None if region == "000000" else region
    title = nz.to_simplified(_clean(f.get("title")))
    description = nz.to_simplified(_clean(f.get("description")))
    employer = nz.clean_employer_name(f.get("employer"))
    key = nz.employer_key(employer)
    address = nz.to_simplified(_clean(f.get("address")))
    loc = nz.parse_location(address, within=within)
    salary_text = _clean(f.get("salary"))
    pay = nz.parse_salary(salary_text, context=description) if salary_text else None
    phone = nz.normalize_phone(f.get("phone"))
    kind = nz.parse_employment_type(f.get("employment_type") or title)
    posted = nz.parse_datetime(f.get("posted_at"), now=now)
    expires = nz.parse_datetime(f.get("expires_at"), now=now)
    category = nz.classify_category(title, description)
    headcount = nz.parse_headcount(f.get("headcount"))
    return (title, key, loc, pay, phone, kind, posted, expires, category, headcount)


def _clear_caches() -> None:
    salary._parse_cached.cache_clear()
    location._resolve.cache_clear()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    records = _samples() + _realdata()
    now = datetime(2026, 11, 1, 12, 0)
    for f, region in records[:50]:  # load cnloc, opencc, cn2an, phonenumbers once
        normalise(f, region, now)
    rates, walls = [], []
    for _ in range(args.runs):
        _clear_caches()
        t0, c0 = time.perf_counter(), time.process_time()
        for f, region in records:
            normalise(f, region, now)
        # CPU time of this process: steadier than wall time on a shared 2-core machine.
        rates.append(len(records) / (time.process_time() - c0))
        walls.append(len(records) / (time.perf_counter() - t0))
    print(f"{len(records)} postings ({len(_samples())} sandbox + realdata), {args.runs} runs: "
          f"median {statistics.median(rates):,.0f} postings/s of CPU (min {min(rates):,.0f}, "
          f"max {max(rates):,.0f}); wall-clock median {statistics.median(walls):,.0f}/s")


if __name__ == "__main__":
    main()
