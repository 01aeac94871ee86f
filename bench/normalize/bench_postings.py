"""Postings normalised per second, in one process, through every normaliser a posting meets.

Two record sets:

* ``sandbox`` — the sandbox province's postings (``connectors.sandbox.Province(size=N)``,
  day 0, every source's listing, cross-posted copies included; 香洲's records in 繁體字 as
  its site serves them), i.e. the records a harvest of the sandbox normalises;
* ``samples+realdata`` — the sample feeds (connectors/samples/data) and realdata rows
  (../shared/realdata) mapped to the same fields.

Two measures: ``calls`` — the normaliser calls of ``aggregator.normalizing.to_posting``
(to_simplified on title, description and address, clean_employer_name + employer_key,
parse_location with the source region, parse_salary with the description as context,
normalize_phone, parse_employment_type, parse_datetime ×2, classify_category,
parse_headcount) without building the pydantic JobPosting; ``to_posting`` — the whole
normalise stage (RawPostings built beforehand; sandbox set only). Every ``normalize``
cache is cleared before each run, so repeated strings within a run are the only cache
hits (as in one harvest). Medians of N runs, CPU time of this process and wall time.

    .venv/bin/python bench/normalize/bench_postings.py [--runs 7] [--size 5000]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import normalize as nz
from aggregator.normalizing import to_posting
from aggregator.schema import RawPosting, SourceDefinition
from connectors.sandbox import SOURCES, Province
from connectors.sandbox.variation import to_traditional
from normalize import categories, dates, employment, location, names, phone, salary, script

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


def _sandbox(size: int) -> list[tuple[Fields, str, str]]:
    """(fields, region, source id) of every record the sandbox sources list on day 0."""
    province = Province(size=size)
    out: list[tuple[Fields, str, str]] = []
    for source_id, (_site, region) in SOURCES.items():
        script = to_traditional if source_id == "county_xiangzhou" else str
        for r in province.listing(source_id, 0):
            fields: Fields = {
                "native_id": r.native_id, "title": script(r.title), "employer": script(r.employer),
                "uscc": r.uscc or None, "salary": script(r.salary), "address": script(r.address),
                "phone": r.phone, "contact": script(r.contact), "posted_at": r.posted_at.isoformat(),
                "expires_at": r.expires_at.isoformat() if r.expires_at else None,
                "employment_type": script(r.kind), "headcount": r.headcount,
                "description": script(r.description),
            }
            out.append((fields, region, source_id))
    return out


def _clear_caches() -> None:
    """Clear every lru_cache in the normalize package."""
    for module in (script, salary, location, names, dates, categories, employment, phone):
        for value in vars(module).values():
            if callable(value) and hasattr(value, "cache_info") and hasattr(value, "cache_clear"):
                value.cache_clear()


def _measure(n: int, runs: int, fn: Callable[[], object]) -> tuple[list[float], list[float]]:
    rates, walls = [], []
    for _ in range(runs):
        _clear_caches()
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        # CPU time of this process: steadier than wall time on a shared 2-core machine.
        rates.append(n / (time.process_time() - c0))
        walls.append(n / (time.perf_counter() - t0))
    return rates, walls


def _report(label: str, n: int, rates: list[float], walls: list[float]) -> None:
    print(f"{label}: {n} postings, {len(rates)} runs: median {statistics.median(rates):,.0f} postings/s of CPU "
          f"(min {min(rates):,.0f}, max {max(rates):,.0f}); wall median {statistics.median(walls):,.0f}/s "
          f"(min {min(walls):,.0f}, max {max(walls):,.0f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--size", type=int, default=5000, help="sandbox province size (postings open on day 0)")
    args = ap.parse_args()
    now = datetime(2026, 11, 20, 12, 0)
    sandbox = _sandbox(args.size)
    legacy = _samples() + _realdata()
    for f, region in legacy[:50]:  # load cnloc, opencc, cn2an, phonenumbers once
        normalise(f, region, now)
    for f, region, _ in sandbox[:50]:
        normalise(f, region, now)

    def calls(records: list[tuple[Fields, str]]) -> Callable[[], object]:
        return lambda: [normalise(f, region, now) for f, region in records]

    sb = [(f, region) for f, region, _ in sandbox]
    _report(f"sandbox (size {args.size}) calls", len(sb), *_measure(len(sb), args.runs, calls(sb)))
    _report("samples+realdata calls", len(legacy), *_measure(len(legacy), args.runs, calls(legacy)))

    definitions = {sid: SourceDefinition(id=sid, name=sid, connector="bench", region=region)
                   for sid, (_site, region) in SOURCES.items()}
    fetched = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
    raws = [(RawPosting(source_id=sid, native_id=f["native_id"] or "x", payload=dict(f), fields=f,
                        fetched_at=fetched), definitions[sid]) for f, _region, sid in sandbox]

    def stage() -> object:
        out: list[object] = []
        for raw, source in raws:
            try:
                out.append(to_posting(raw, source, "bench", now=now))
            except Exception as e:  # malformed sandbox records: quarantined by the pipeline
                out.append(e)
        return out

    _report(f"sandbox (size {args.size}) to_posting", len(raws), *_measure(len(raws), args.runs, stage))


if __name__ == "__main__":
    main()
