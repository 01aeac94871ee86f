#!/usr/bin/env python3
"""Extract the sandbox province's seed corpus from real public postings.

Run (from the repository root, with the project venv):

    .venv/bin/python connectors/samples/build_seed.py /work/shared/realdata

It writes ``connectors/sandbox/seed_corpus.json``: real job rows (title, salary
string, employment type, headcount, description), real employer names, real
Guangdong street addresses, and real fee-charging "training" postings.  The
sandbox (``connectors/sandbox/province.py``) combines them, with a seeded RNG,
into as many postings as asked for.  CI has no realdata, so the extract is
committed; this script is its provenance.  Deterministic: rows are read in file
order and capped, no randomness.

Where every part comes from (files described in /work/shared/realdata/SOURCES.md)
================================================================================

* ``jobs`` -- ``[title, salary, kind, headcount, description, origin]``:
  - ``1dagong_staffing_postings_2015.csv``: blue-collar / gig rows (``jobs_name``,
    ``wage_cn`` or a piece rate found in ``contents``, ``nature_cn``, ``amount``,
    ``contents`` trimmed), rows naming a place outside Guangdong skipped;
  - ``meituan_station_staffing_postings_2025.csv``: ``岗位类型``, the concise part
    of ``薪资``, ``工作内容`` + ``工作时间`` + ``年龄要求`` + ``特殊要求`` + ``吃住情况``;
  - ``miduoduo_parttime_beijing_2015.csv``: part-time gigs (``title``,
    ``salary``/``salary_unit`` → ``120元/天``, ``detail``), Beijing places removed;
  - ``51job_2021_postings.csv``: blue-collar titles with ``providesalary_text``
    (``4.5-6千/月``) and ``jobwelf`` as the description;
  - ``qtshe_parttime_api_sample_2021.csv``: ``title``, ``salary``, ``jobIntroduction``.
  Mobile numbers and landlines inside descriptions become ``<PHONE>``; the sandbox
  writes the posting's own (generated) phone there.
* ``employers`` -- ``[name, origin]``: ``companyname`` (1dagong), ``company_name``
  (51job), ``招聘单位`` (Meituan stations), ``company_name`` (miduoduo),
  ``companyName`` (qtshe).  A leading place (合肥 / 上海 / 北京 / 广州 …, with or
  without 市) becomes ``{city}`` so the sandbox can move the employer to its
  Guangdong city -- those names are fictional look-alikes.
* ``streets`` -- GB/T 2260 county code → street parts without house numbers, from
  the Guangdong ``位置`` values of the Meituan file.
* ``fee_scams`` -- ``[title, salary, description, origin]``: qtshe rows that sell a
  course or a "starter kit" as a job (``699元/其他``, 免费学剪辑 …).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _load_demo_builder() -> Any:
    """build.py next to this file (the demo feed builder: shared regexes and row readers).

    Loaded by path: ``import build`` would find PyPA's ``build`` package first.
    """
    spec = importlib.util.spec_from_file_location("lingong_samples_build", HERE / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo = _load_demo_builder()

OUT = HERE.parent / "sandbox" / "seed_corpus.json"
DESC_MAX = 150
CAP = {"1dagong": 900, "meituan": 260, "miduoduo": 160, "51job": 160, "qtshe": 20}

PHONE = re.compile(r"(?<!\d)(?:1[3-9]\d[ -]?\d{4}[ -]?\d{4}|0\d{2,3}-?\d{7,8})(?!\d)")
LEAD_PLACE = re.compile(
    r"^(?:安徽省?|江苏省?|河南省?|湖北省?|上海市?|合肥市?|苏州市?|武汉市?|郑州市?|重庆市?|南京市?|芜湖市?|"
    r"常熟市?|无锡市?|常州市?|杭州市?|北京市?|成都市?|天津市?|广东省?|广州市?|深圳市?|佛山市?|东莞市?|珠海市?|"
    r"中山市?|济南市?|青岛市?|西安市?|长沙市?)"
)
BEIJING = re.compile(r"北京|朝阳|海淀|东城|西城|丰台|昌平|通州|大兴|顺义|王府井|中关村|五道口|西单|国贸|望京")
GD_COUNTY = {name: code for city in demo.GD_COUNTIES.values() for name, code in city.items()}


def clean_desc(text: str) -> str:
    text = PHONE.sub("<PHONE>", text or "")
    return str(demo.trim(text, DESC_MAX))


def employer_template(name: str) -> str | None:
    name = name.strip()
    if not name or len(name) < 4 or "姓名已删除" in name or "个人" in name:
        return None
    name = re.sub(r"【(广州|深圳|北京|中山|珠海)】", "【{city}】", name)
    m = LEAD_PLACE.match(name)
    if m:
        rest = name[m.end():]
        if len(rest) < 4 or any(p in rest for p in demo.NON_GD if len(p) > 1):
            return None
        return "{city}" + rest
    if "{city}" not in name and any(p in name for p in demo.NON_GD if len(p) > 1):
        return None
    return name


def main(realdata: Path) -> None:
    dagong = demo.read_csv(realdata / "1dagong_staffing_postings_2015.csv")
    meituan = demo.read_csv(realdata / "meituan_station_staffing_postings_2025.csv")
    miduoduo = demo.read_csv(realdata / "miduoduo_parttime_beijing_2015.csv")
    job51 = demo.read_csv(realdata / "51job_2021_postings.csv")
    qtshe = demo.read_csv(realdata / "qtshe_parttime_api_sample_2021.csv")

    jobs: list[list[object]] = []
    seen: set[tuple[str, str]] = set()

    def add(title: str, salary: str, kind: str, headcount: str, desc: str, origin: str, src: str) -> None:
        title = title.strip()
        key = (title, desc[:40])
        if not title or key in seen or sum(1 for j in jobs if str(j[5]).startswith(src)) >= CAP[src]:
            return
        seen.add(key)
        jobs.append([title, salary.strip() or "面议", kind, headcount, desc, origin])

    for r in dagong:
        text = r["jobs_name"] + r["contents"]
        if not r["jobs_name"].strip() or not r["contents"].strip() or "测试" in text:
            continue
        if any(p in text for p in demo.NON_GD) or not (demo.BLUE.search(r["jobs_name"]) or demo.GIG.search(text)):
            continue
        salary, kind = demo.dagong_salary(r)
        amount = r["amount"] if r["amount"].isdigit() and r["amount"] != "0" else "若干"
        add(r["jobs_name"], salary, kind, amount, clean_desc(r["contents"]), f"1dagong#{r['id']}", "1dagong")
    for r in meituan:
        if r["城市"] not in demo.GD_COUNTIES:
            continue
        p = demo.meituan_posting(r)
        m = re.search(r"需求人数: (\d+)人", r["特殊要求"])
        add(p["title"], p["salary"], p["employment_type"], m.group(1) if m else "若干",
            clean_desc(p["description"]), f"meituan#{r['招聘单位']}/{r['岗位类型']}", "meituan")
    for r in miduoduo:
        if "Alter table" in r["detail"] or BEIJING.search(r["title"]):
            continue
        try:
            amount = float(r["salary"])
        except ValueError:
            continue
        salary = f"{amount:g}元/{r['salary_unit']}" if r["salary_unit"] else f"{amount:g}元"
        kind = {"月结": "兼职", "日结": "日结", "周结": "兼职"}.get(r["clearance_period"], "兼职")
        desc = BEIJING.sub("", r["detail"] + ("\n" + r["requirement"] if r["requirement"] else ""))
        add(r["title"], salary, kind, r["need_quantity"] or "若干", clean_desc(desc), f"miduoduo#{r['id']}",
            "miduoduo")
    for r in job51:
        if not demo.BLUE.search(r["job_name"]) or not r["providesalary_text"]:
            continue
        m = re.search(r"招(\d+)人", r["attribute_text"])
        add(r["job_name"], r["providesalary_text"], "全职", m.group(1) if m else "若干",
            clean_desc("福利：" + r["jobwelf"]) if r["jobwelf"] else "", f"51job#{r['job_name']}", "51job")
    fee_scams: list[list[str]] = []
    for r in qtshe:
        desc = clean_desc(r["jobIntroduction"] or r["newJobIntroduction"] or r["welfare"])
        if r["salary"].endswith("/其他") or "学" in r["title"]:
            fee_scams.append([r["title"], r["salary"], desc, f"qtshe#{r['partJobId']}"])
        elif r["addressDetail"] != "不限工作地点" or r["salary"].endswith(("/天", "/小时")):
            add(r["title"], r["salary"], "兼职", "若干", desc, f"qtshe#{r['partJobId']}", "qtshe")

    employers: list[list[str]] = []
    seen_emp: set[str] = set()
    for rows, col, src in (
        (dagong, "companyname", "1dagong"),
        (job51, "company_name", "51job"),
        (meituan, "招聘单位", "meituan"),
        (miduoduo, "company_name", "miduoduo"),
        (qtshe, "companyName", "qtshe"),
    ):
        n = 0
        for r in rows:
            t = employer_template(r[col])
            if t is None or t in seen_emp or n >= {"1dagong": 700, "51job": 350}.get(src, 200):
                continue
            seen_emp.add(t)
            employers.append([t, f"{src}#{r[col].strip()}"])
            n += 1

    streets = {code: sorted(set(v)) for code, v in _streets(meituan).items()}
    corpus = {
        "about": "Seed corpus of the lingong sandbox province, extracted by connectors/samples/build_seed.py "
        "from real public postings (/work/shared/realdata). Phones in descriptions are <PHONE>; "
        "{city} marks where an employer's own place was removed. Do not republish as a dataset.",
        "jobs": jobs,
        "employers": employers,
        "streets": streets,
        "fee_scams": fee_scams,
    }
    OUT.write_text(json.dumps(corpus, ensure_ascii=False, separators=(",", ":")).replace('],["', '],\n["') + "\n",
                   encoding="utf-8")
    counts = {src: sum(1 for j in jobs if str(j[5]).startswith(src)) for src in CAP}
    print(f"jobs {len(jobs)} {counts}, employers {len(employers)}, street counties {len(streets)}, "
          f"fee scams {len(fee_scams)} -> {OUT} ({OUT.stat().st_size // 1024} KiB)")


def _streets(meituan: list[dict[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in meituan:
        loc = r["位置"].replace(" ", "")
        m = re.match(r"(?:广东省)?(?:广州市|深圳市|珠海市|中山市|佛山市)?(" + "|".join(GD_COUNTY) + r")(.+)", loc)
        if not m:
            continue
        rest = re.split(r"\d", m.group(2), maxsplit=1)[0]
        rest = re.sub(r"(与|交叉口|号|之|第|[A-Za-z（(]).*$", "", rest)
        if 2 <= len(rest) <= 14:
            out.setdefault(GD_COUNTY[m.group(1)], []).append(rest)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python connectors/samples/build_seed.py REALDATA_DIR")
    csv.field_size_limit(10**7)
    main(Path(sys.argv[1]))
