#!/usr/bin/env python3
"""Build the demo sample feeds of two Guangdong partner agencies.

Run (from the repository root):

    python connectors/samples/build.py /work/shared/realdata

It writes, next to this script:

    data/feed_gz_staffing.csv     agency A, GB18030 CSV, Chinese headers
    data/feed_sz_agency.ndjson    agency B, UTF-8 NDJSON, English/pinyin keys
    data/truth.json               cross-post pairs (A id, B id) and malformed records

The output is deterministic (one ``random.Random(SEED)``; input rows are read in
file order).  The generated files are committed because CI has no realdata;
this script is their provenance and the way to regenerate them.  It uses the
standard library only, except ``opencc`` (in the project venv) for the few
cross-posts written in traditional script.

Where every column comes from
=============================

Real public postings (see /work/shared/realdata/SOURCES.md) -- phone numbers in
them were already pseudo-randomised before they reached this project:

* ``1dagong_staffing_postings_2015.csv`` (3,000 staffing postings of 2015).
  NOTE: despite its description, only 4 of its rows are in Guangdong; the rest
  are 合肥 / 上海 / 苏州 / 武汉 / 郑州 / 重庆.  We use its blue-collar and
  gig-like rows as agency A's *job content* and move them to Guangzhou:
  - 岗位名称 <- ``jobs_name`` (verbatim)
  - 用工单位 <- ``companyname`` with the place prefix (合肥/上海/苏州/安徽…)
    replaced by 广州 -- so the employer names are fictional look-alikes
  - 薪资待遇 <- a piece rate found in ``contents`` (``21元/小时``, ``150元/天``)
    for gig rows, else ``wage_cn`` verbatim (``3000~5000``, ``面议``, ``8000以上``)
  - 用工形式 <- ``nature_cn`` (全职/兼职), refined to 日结/小时工/计件 when the
    text says so
  - 招聘人数 <- ``amount`` (0 -> 若干)
  - 岗位描述 <- ``contents`` trimmed to ~300 characters
  - 联系电话 <- the first mobile number in ``contents`` if any, else generated
  - rows whose text names a non-Guangdong place are skipped; rows are picked by
    a blue-collar / gig score
  The 4 genuinely Guangdong rows go to agency B with their own city.
* ``meituan_station_staffing_postings_2025.csv`` (Meituan delivery / 小象超市
  station postings, 广州 深圳 佛山 中山 珠海):
  - title <- ``岗位类型`` (``美团外卖`` -> 美团外卖骑手)
  - employer <- ``招聘单位`` (station; bare station names get a 小象超市 prefix)
  - address <- ``位置`` (verbatim; city prefixed when it is missing)
  - salary <- the concise part of ``薪资`` (``6500-8500元/月``, ``21-31元/小时``)
  - description <- ``工作内容`` + ``工作时间`` + ``年龄要求`` + ``特殊要求`` + ``吃住情况``
  - type <- ``是否全职`` (是 -> 全职, 否 -> 兼职, 外卖 -> 零工)
  Guangzhou rows feed agency A (about 40) and the others feed agency B; no
  (station, job type) is used twice.
* ``51job_2021_postings.csv``: Guangdong rows (``workarea_text`` 广州/深圳/佛山/
  东莞/珠海/惠州…) with blue-collar-ish titles, for agency B:
  ``job_name``, ``company_name``, ``providesalary_text`` (``4.5-6千/月``),
  ``workarea_text`` (``深圳-龙岗区`` -> 深圳市龙岗区 + generated street),
  headcount from ``attribute_text`` (``招10人``), benefits ``jobwelf`` as detail.
* ``qtshe_parttime_api_sample_2021.csv``: the 茂名 (Guangdong) part-time rows
  for agency B: ``title``, ``salary`` (``15元/小时``), ``addressDetail``,
  ``companyName``, ``jobIntroduction``.  Their titles keep the source's Kangxi
  radical ``⼯`` (U+2F2F) in 厨⼯ -- a real-world normalisation case.

Generated here (not from realdata):

* 统一社会信用代码: 18 characters, GB 32100-2015 check digit (and a GB 11714
  check digit inside the 9-character organisation code), region = the
  employer's county code; one code per employer (the same in both agencies);
  ~5% of employers get an invalid code (last character altered); some rows
  leave it empty.  The codes are synthetic: they do not belong to the named
  companies.
* contact names (王先生 / 李女士 / 张经理, a few full names such as 陈小明),
  mobile numbers ``1[3-9]xxxxxxxxx`` where realdata has none, landlines
  ``020-8xxxxxxx`` / ``0755-8xxxxxxx``, some phone numbers appended to
  descriptions (``联系电话：138…``).
* dates: posted 2026-10-01..2026-11-20 (A ``2026-11-03``; B ``2026/11/03 09:30``
  or ISO 8601 with +08:00), expiry 10-60 days later.
* street parts of addresses for relocated rows: street names taken from the
  Guangzhou ``位置`` values of the Meituan file, house numbers generated.
* cross-posts: ~22% of B's records copy a row of A with variations (title
  decoration, 有限公司 vs 有限责任公司, salary written differently, address
  with or without 广东省 / 广州市, some in traditional script, phone formatted
  differently).  Same city and county in both copies.
* malformed records, 3 per file: missing title, missing id, and a ragged CSV
  row (A) / a truncated JSON line (B).
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

SEED = 20261103
HERE = Path(__file__).resolve().parent
OUT = HERE / "data"

N_A_DAGONG = 182  # relocated 1dagong rows in A
N_A_MEITUAN = 38  # Guangzhou Meituan rows in A
N_CROSS = 36  # B records that are cross-posts of A rows
N_B_MEITUAN = 82
N_B_51JOB = 26
DESC_MAX = 300

A_HEADERS = [
    "编号",
    "岗位名称",
    "用工单位",
    "信用代码",
    "薪资待遇",
    "工作地点",
    "联系电话",
    "联系人",
    "发布日期",
    "截止日期",
    "用工形式",
    "招聘人数",
    "岗位描述",
]

# ---------------------------------------------------------------------------
# 统一社会信用代码 (GB 32100-2015) and organisation code (GB 11714-1997)

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    check = 31 - total % 31
    return USCC_CHARSET[0 if check == 31 else check]


def org_check_char(first8: str) -> str:
    def val(c: str) -> int:
        return int(c) if c.isdigit() else ord(c) - 55

    check = 11 - sum(val(c) * w for c, w in zip(first8, ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def is_valid_uscc(code: str) -> bool:
    return len(code) == 18 and all(c in USCC_CHARSET for c in code) and uscc_check_char(code[:17]) == code[17]


def make_uscc(rng: random.Random, county: str) -> str:
    letters = "ABCDEFGHJKLMNPQRTUWXY"
    if rng.random() < 0.7:  # post-2015 registrations: 91440111MA5C…
        body = "MA" + "".join(rng.choice("0123456789" + letters) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    org = body + org_check_char(body)
    head = "91" + county + org
    return head + uscc_check_char(head)


def spoil_uscc(rng: random.Random, code: str) -> str:
    wrong = rng.choice([c for c in USCC_CHARSET if c != code[-1]])
    return code[:-1] + wrong


# ---------------------------------------------------------------------------
# places

GZ_COUNTIES = {
    "荔湾区": "440103",
    "越秀区": "440104",
    "海珠区": "440105",
    "天河区": "440106",
    "白云区": "440111",
    "黄埔区": "440112",
    "番禺区": "440113",
    "花都区": "440114",
    "南沙区": "440115",
    "从化区": "440117",
    "增城区": "440118",
}
GD_COUNTIES = {
    "深圳": {
        "罗湖区": "440303",
        "福田区": "440304",
        "南山区": "440305",
        "宝安区": "440306",
        "龙岗区": "440307",
        "盐田区": "440308",
        "龙华区": "440309",
        "坪山区": "440310",
        "光明区": "440311",
    },
    "佛山": {
        "禅城区": "440604",
        "南海区": "440605",
        "顺德区": "440606",
        "三水区": "440607",
        "高明区": "440608",
    },
    "珠海": {"香洲区": "440402", "斗门区": "440403", "金湾区": "440404"},
    "东莞": {},
    "中山": {},
    "惠州": {"惠城区": "441302", "惠阳区": "441303"},
    "茂名": {"茂南区": "440902", "电白区": "440904"},
    "江门": {"蓬江区": "440703"},
}
GD_COUNTIES["广州"] = GZ_COUNTIES
CITY_CODES = {
    "广州": "440100",
    "深圳": "440300",
    "珠海": "440400",
    "佛山": "440600",
    "江门": "440700",
    "茂名": "440900",
    "惠州": "441300",
    "东莞": "441900",
    "中山": "442000",
}
AREA_CODES = {
    "广州": "020",
    "深圳": "0755",
    "珠海": "0756",
    "佛山": "0757",
    "江门": "0750",
    "茂名": "0668",
    "惠州": "0752",
    "东莞": "0769",
    "中山": "0760",
}

NON_GD = re.split(
    r"\s+",
    "合肥 上海 苏州 武汉 郑州 重庆 南京 芜湖 吴江 安徽 江苏 河南 湖北 常熟 六安 无锡 常州 "
    "蚌埠 昆山 松江 杭州 北京 成都 天津 浦东 闵行 嘉定 徐汇 宝山 杨浦 普陀 虹口 青浦 黄浦 静安 "
    "长宁 奉贤 金山 渝中 九龙坡 江北 南岸 沙坪坝 渝北 汉口 武昌 汉阳 洪山 江岸 硚口 姑苏 园区 "
    "相城 吴中 蜀山 包河 庐阳 瑶海 滨湖 肥西 肥东 长丰 巢湖 庐江 政务区 经开区 高新区 开发区 "
    "新区 地铁 公交 乘车 站下 阿尔及利亚 新加坡 澳门 淮北 阜阳 宣城 滁州 淮南 马鞍山 安庆 "
    "洛阳 安阳 宜昌 荆州 仙桃 扬州 南通 嘉兴 宁波 济南 沈阳 石家庄 西安 长沙 厦门 福建 四川 "
    "山东 湖南 浙江 河北 江西 广西 东莞 深圳 佛山",
)
PLACE_IN_NAME = re.compile(
    r"(安徽省?|江苏省?|河南省?|湖北省?|上海市?|合肥市?|苏州市?|武汉市?|郑州市?|重庆市?|南京市?"
    r"|芜湖市?|吴江市|吴江区|常熟市?|六安市?|无锡市?|常州市?|蚌埠市?|昆山市?|杭州市?|北京市?"
    r"|成都市?|天津市?)"
)

# place names missed by the list above, and well-known brands we do not relocate
SKIP_NAMES = (
    "吴江",
    "松陵",
    "盛泽",
    "平望",
    "震泽",
    "同里",
    "黎里",
    "七都",
    "桃源",
    "厦门",
    "陕西",
    "青岛",
    "三星",
    "思念",
    "美芝",
    "娱乐",
    "会所",
    "福州",
    "温州",
    "徐州",
    "镇江",
    "泰州",
    "盐城",
    "宿州",
    "亳州",
    "池州",
    "黄山",
    "铜陵",
    "长江",
    "黄河",
    "中原",
    "江淮",
    "徽",
    "皖",
    "沪",
    "苏",
    "鄂",
    "豫",
    "渝",
    "汉",
)

BLUE = re.compile(
    "普工|操作工|工人|搬运|装卸|仓管|仓库|理货|分拣|包装|叉车|司机|配送|快递|保安|安保|保洁|清洁|"
    "服务员|传菜|洗碗|帮厨|厨师|厨工|收银|促销|导购|焊工|电工|车工|钳工|装配|机修|维修|油漆|木工|"
    "学徒|技工|杂工|小时工|临时工|派单|传单|话务|客服|质检|检验|缝纫|车缝|注塑|冲压|印刷|家政|保姆|"
    "送餐|骑手|装修|水电|绿化|门卫|店员|营业员|服务生|迎宾|洗车|领班|跟单|文员|前台|理发|美容|厨"
)
GIG = re.compile("日结|小时|兼职|计件|时薪|临时|零工|钟点|周结")
RATE = re.compile(r"(\d+(?:\.\d+)?)\s*元?\s*/\s*(小时|天|日|件)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁宋郑谢韩唐冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁"
TITLES = ["先生", "先生", "女士", "女士", "小姐", "经理", "主管", "经理", "师傅", "老师"]
GIVEN = [
    "小明",
    "志强",
    "秀英",
    "建华",
    "丽娟",
    "伟",
    "敏",
    "海燕",
    "国栋",
    "晓东",
    "嘉欣",
    "俊杰",
    "丽华",
    "少芬",
    "伟明",
    "泽楷",
]


def contact_name(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return rng.choice(SURNAMES[:12]) + rng.choice(GIVEN)
    return rng.choice(SURNAMES) + rng.choice(TITLES)


def mobile(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def landline(rng: random.Random, area: str) -> str:
    return f"{area}-8" + "".join(rng.choice("0123456789") for _ in range(7))


def trim(text: str, limit: int = DESC_MAX) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"\n{2,}", "\n", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    for stop in ("。", "；", "\n"):
        i = cut.rfind(stop)
        if i > limit * 0.6:
            return cut[: i + 1].strip()
    return cut.rstrip() + "…"


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# ---------------------------------------------------------------------------
# realdata -> candidate postings (dicts with canonical-ish keys)


def gz_streets(meituan: list[dict]) -> dict[str, list[str]]:
    """Guangzhou street parts (without house number) per county, from 位置."""
    streets: dict[str, list[str]] = {}
    for r in meituan:
        loc = r["位置"].replace(" ", "")
        m = re.match(r"(?:广东省)?(?:广州市)?(" + "|".join(GZ_COUNTIES) + r")(.+)", loc)
        if not m:
            continue
        rest = re.split(r"\d", m.group(2), maxsplit=1)[0]
        rest = re.sub(r"(与|交叉口|号|之|第|[A-Za-z（(]).*$", "", rest)
        if 2 <= len(rest) <= 14 and rest not in streets.get(m.group(1), []):
            streets.setdefault(m.group(1), []).append(rest)
    return streets


def dagong_candidates(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(relocatable non-Guangdong rows, genuinely Guangdong rows)."""
    seen, out, gd = set(), [], []
    for r in rows:
        title, company = r["jobs_name"].strip(), r["companyname"].strip()
        if not title or not company or "测试" in title or not r["contents"].strip():
            continue
        where = r["district_cn"] + r["street_cn"]
        if any(c in where for c in ("广州", "深圳", "广东")):
            gd.append(r)
            continue
        text = title + r["contents"]
        if any(p in text for p in NON_GD) or "区" in PLACE_IN_NAME.sub("", company):
            continue
        new_company = PLACE_IN_NAME.sub("广州", company, count=1)
        if new_company == company and rng_free_prefix(company):
            new_company = "广州" + company
        rest = new_company.replace("广州", "", 1)
        if (
            PLACE_IN_NAME.search(rest)
            or any(p in rest for p in (*NON_GD, *SKIP_NAMES))
            or len(new_company) < 6
            or new_company.startswith("（")
            or (not new_company.startswith(("广州", "广东")) and "（广州）" not in new_company)
        ):
            continue
        key = (title, new_company)
        if key in seen:
            continue
        seen.add(key)
        score = 3 * bool(BLUE.search(title)) + 2 * bool(GIG.search(text + r["nature_cn"]))
        score += bool(RATE.search(r["contents"])) - 2 * ("销售" in title or "经理" in title)
        out.append({"src": r, "title": title, "employer": new_company, "score": score})
    return out, gd


def rng_free_prefix(company: str) -> bool:
    """A plain company name without a place: it gets a 广州 prefix."""
    return (
        company.endswith("公司")
        and not re.match(r"^.{2,3}(市|省|县)", company)
        and "（" not in company
        and "(" not in company
    )


def dagong_salary(r: dict) -> tuple[str, str]:
    """(薪资待遇, 用工形式) of a 1dagong row."""
    text = r["jobs_name"] + r["contents"]
    nature = r["nature_cn"] or "全职"
    m = RATE.search(r["contents"])
    if m and GIG.search(text + nature):
        unit = {"日": "天"}.get(m.group(2), m.group(2))
        salary = f"{m.group(1)}元/{unit}"
        kind = {"小时": "小时工", "天": "日结", "件": "计件"}[unit]
        if "日结" in text:
            kind = "日结"
        return salary, kind
    if "日结" in text:
        nature = "日结"
    elif "计件" in text and nature == "全职":
        nature = "计件"
    return (r["wage_cn"] or "面议"), nature


def meituan_salary(text: str) -> str:
    """The concise pay of a Meituan row (the source field is a long formula)."""
    rules = [
        (r"综合薪资[：:]?(?:到手)?(\d{4,5}[-~]\d{4,5})", "{}元/月"),
        (r"综合(\d{4,5}[-~]\d{4,5})", "{}元/月"),
        (r"=(\d{4,5}[-~]\d{4,5})", "{}元/月"),
        (r"=(\d{4,5})元", "{}元/月"),
        (r"(\d{2}[-~]\d{2})元/小时", "{}元/小时"),
        (r"基础单价\((\d+(?:\.\d+)?-\d+(?:\.\d+)?)元?/单\)", "{}元/单"),
        (r"基础单价(\d+(?:\.\d+)?)元/单", "{}元/单"),
        (r"单量阶梯1：0-500单(\d+(?:\.\d+)?)元/单", "{}元/单"),
        (r"责任底薪(\d{4})元", "底薪{}元+单量提成"),
        (r"总计(\d{4})元", "底薪{}元+单量提成"),
        (r"500单内,(\d+(?:\.\d+)?)/单", "{}元/单"),
    ]
    for pat, fmt in rules:
        m = re.search(pat, text)
        if m:
            return fmt.format(m.group(1).replace("~", "-"))
    first = re.split(r"[。；;\n]", text.strip(), maxsplit=1)[0]
    return first[:40]


def meituan_posting(r: dict) -> dict:
    kind = r["岗位类型"]
    title = "美团外卖骑手" if kind == "美团外卖" else kind
    employer = r["招聘单位"].strip()
    if re.fullmatch(r"[\u4e00-\u9fff]+站", employer):
        employer = "小象超市" + employer
    parts = [
        r["工作内容"],
        "工作时间：" + r["工作时间"] if r["工作时间"] else "",
        "年龄：" + r["年龄要求"] if r["年龄要求"] else "",
        "要求：" + r["特殊要求"] if r["特殊要求"] else "",
        r["吃住情况"],
        "性别：" + r["性别"] if r["性别"] not in ("", "不限") else "",
    ]
    desc = "\n".join(p for p in parts if p)
    full = "零工" if kind == "美团外卖" else {"是": "全职", "否": "兼职"}.get(r["是否全职"], "全职")
    return {
        "title": title,
        "employer": employer,
        "salary": meituan_salary(r["薪资"]),
        "description": trim(desc),
        "employment_type": full,
        "raw": r,
    }


def meituan_place(r: dict) -> tuple[str, str, str] | None:
    """(address, city, county) of a Meituan row, city from the address."""
    loc = r["位置"].strip().replace(" ", "")
    for city, counties in GD_COUNTIES.items():
        m = re.match(rf"(?:广东省)?{city}市?({'|'.join(counties) or 'X^'})?", loc)
        if m and (loc.startswith(("广东省", city))):
            return loc, city, m.group(1) or ""
    for city, counties in GD_COUNTIES.items():
        for county in counties:
            if loc.startswith(county):
                return loc, city, county
    if r["城市"] in GD_COUNTIES:
        return f"{r['城市']}市{loc}", r["城市"], ""
    return None


# ---------------------------------------------------------------------------
# variations for cross-posts

S2T = None


def to_traditional(text: str) -> str:
    global S2T
    if S2T is None:
        try:
            import opencc  # in the project venv
        except ImportError:
            sys.exit(
                "build.py needs opencc for the traditional-script cross-posts: run it with the project venv"
            )
        S2T = opencc.OpenCC("s2t")
    return S2T.convert(text)


def wan_qian(n: int) -> str:
    if n % 10000 == 0:
        return f"{n // 10000}万"
    if n % 1000 == 0:
        return f"{n // 1000}千"
    return str(n)


def vary_salary(rng: random.Random, s: str) -> str:
    m = re.fullmatch(r"(\d{4,5})[-~](\d{4,5})(元/月)?", s)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        short = f"{wan_qian(lo)}-{wan_qian(hi)}元/月" if lo % 1000 == 0 == hi % 1000 else f"{lo}-{hi}元/月"
        return rng.choice([short, f"{lo}-{hi}元/月", f"月薪{lo}至{hi}", f"{lo / 1000:g}-{hi / 1000:g}千/月"])
    m = re.fullmatch(r"(\d+(?:\.\d+)?)元/天", s)
    if m:
        return rng.choice([f"日薪{m.group(1)}", f"{m.group(1)}元/日", f"{m.group(1)}元每天"])
    m = re.fullmatch(r"(\d+(?:\.\d+)?)元/小时", s)
    if m:
        return rng.choice([f"时薪{m.group(1)}元", f"{m.group(1)}元每小时", f"{m.group(1)}/h"])
    m = re.fullmatch(r"(\d+)-(\d+)元/小时", s)
    if m:
        return f"时薪{m.group(1)}~{m.group(2)}元"
    if s == "面议":
        return rng.choice(["薪资面议", "工资面议"])
    if s == "8000以上":
        return "8千以上/月"
    if s == "1万以上":
        return "10000元以上"
    return s


def vary_employer(rng: random.Random, name: str) -> str:
    if name.endswith("有限责任公司"):
        return name[: -len("有限责任公司")] + "有限公司"
    if name.endswith("有限公司") and not name.endswith("股份有限公司") and rng.random() < 0.75:
        return name[: -len("有限公司")] + "有限责任公司"
    if "（" in name:
        return name.replace("（", "(").replace("）", ")")
    return name


def vary_title(rng: random.Random, title: str, kind: str) -> str:
    choices = ["【急招】{}", "急聘-{}", "{}", "{}（长期招聘）", "{}【包吃住】"]
    if kind in ("日结", "零工"):
        choices += ["{}（日结）", "{}（日结）"]
    if kind == "小时工":
        choices += ["{}（小时工）"]
    return rng.choice(choices).format(title)


def vary_phone(rng: random.Random, phone: str) -> str:
    if re.fullmatch(r"1\d{10}", phone):
        return rng.choice(
            [
                phone,
                f"{phone[:3]} {phone[3:7]} {phone[7:]}",
                f"{phone[:3]}-{phone[3:7]}-{phone[7:]}",
                "+86 " + phone,
                phone,
            ]
        )
    if phone.startswith("020-"):
        return rng.choice([phone, "(020)" + phone[4:], "020 " + phone[4:]])
    return phone


# ---------------------------------------------------------------------------


def main(realdata: Path) -> None:
    rng = random.Random(SEED)
    dagong = read_csv(realdata / "1dagong_staffing_postings_2015.csv")
    meituan = read_csv(realdata / "meituan_station_staffing_postings_2025.csv")
    job51 = read_csv(realdata / "51job_2021_postings.csv")
    qtshe = read_csv(realdata / "qtshe_parttime_api_sample_2021.csv")

    streets = gz_streets(meituan)
    counties_weighted = [
        c
        for c, w in (
            ("白云区", 6),
            ("番禺区", 5),
            ("天河区", 5),
            ("海珠区", 4),
            ("黄埔区", 3),
            ("花都区", 3),
            ("增城区", 3),
            ("荔湾区", 2),
            ("越秀区", 2),
            ("南沙区", 2),
            ("从化区", 1),
        )
        for _ in range(w)
        if c in streets
    ]

    registry: dict[str, str] = {}  # employer core -> USCC ('' = none)

    def core(name: str) -> str:
        return re.sub(r"(有限责任公司|有限公司)$", "", name.replace("(", "（").replace(")", "）"))

    def uscc_for(name: str, county_code: str, p_none: float = 0.0) -> str:
        key = core(name)
        if key not in registry:
            if rng.random() < p_none:
                registry[key] = ""
            else:
                code = make_uscc(rng, county_code)
                registry[key] = spoil_uscc(rng, code) if rng.random() < 0.055 else code
        return registry[key]

    def posted_day() -> date:
        return date(2026, 10, 1) + timedelta(days=rng.randint(0, 50))

    # ---------------- agency A ----------------
    cands, dagong_gd = dagong_candidates(dagong)
    rng.shuffle(cands)
    cands.sort(key=lambda c: -c["score"])  # stable: shuffled order within a score
    picked = cands[:N_A_DAGONG]

    a_rows: list[dict] = []
    for c in picked:
        r = c["src"]
        county = rng.choice(counties_weighted)
        street = rng.choice(streets[county])
        addr_tail = f"{county}{street}{rng.randint(1, 388)}号"
        salary, kind = dagong_salary(r)
        phones = MOBILE.findall(r["contents"])
        phone = (
            phones[0]
            if phones and rng.random() < 0.8
            else (landline(rng, "020") if rng.random() < 0.15 else mobile(rng))
        )
        desc = trim(r["contents"])
        amount = r["amount"].strip()
        a_rows.append(
            {
                "title": c["title"],
                "employer": c["employer"],
                "salary": salary,
                "kind": kind,
                "county": county,
                "addr_tail": addr_tail,
                "phone": phone,
                "description": desc,
                "headcount": amount if amount not in ("", "0") else "若干",
                "origin": f"1dagong#{r['id']}",
            }
        )

    used_meituan: set[tuple[str, str]] = set()
    mt_gz = []
    for r in meituan:
        place = meituan_place(r)
        if not place or place[1] != "广州" or not place[2]:
            continue
        key = (r["招聘单位"], r["岗位类型"])
        if key in used_meituan:
            continue
        used_meituan.add(key)
        mt_gz.append((r, place))
    rng.shuffle(mt_gz)
    for r, (addr, _city, county) in mt_gz[:N_A_MEITUAN]:
        p = meituan_posting(r)
        tail = re.sub(r"^(广东省)?(广州市)?", "", addr)
        a_rows.append(
            {
                "title": p["title"],
                "employer": p["employer"],
                "salary": p["salary"],
                "kind": p["employment_type"],
                "county": county,
                "addr_tail": tail,
                "phone": mobile(rng) if rng.random() < 0.85 else landline(rng, "020"),
                "description": p["description"],
                "headcount": str(rng.choice([2, 3, 5, 5, 8, 10, 20])),
                "origin": f"meituan#{r['招聘单位']}/{r['岗位类型']}",
            }
        )
    # Meituan rows not used by A (A never used them: A took only the first N)
    for r, _ in mt_gz[N_A_MEITUAN:]:
        used_meituan.discard((r["招聘单位"], r["岗位类型"]))

    for row in a_rows:
        row["posted"] = posted_day()
        row["expires"] = row["posted"] + timedelta(days=rng.choice([10, 15, 20, 30, 30, 45, 60]))
        row["contact"] = contact_name(rng)
        row["uscc"] = uscc_for(
            row["employer"],
            GZ_COUNTIES[row["county"]],
            p_none=0.3 if row["origin"].startswith("meituan") else 0.0,
        )
        if row["uscc"] and rng.random() < 0.08:  # the agency left this one blank
            row["uscc_out"] = ""
        else:
            row["uscc_out"] = row["uscc"]
        style = rng.random()
        row["address"] = ("广东省广州市" if style < 0.3 else "广州市" if style < 0.75 else "") + row[
            "addr_tail"
        ]
        if rng.random() < 0.18 and not MOBILE.search(row["description"]):
            tel = row["phone"] if rng.random() < 0.6 else mobile(rng)
            row["description"] += rng.choice(["\n联系电话：", " 电话/微信同号：", "\n报名请致电："]) + tel

    a_rows.sort(key=lambda r: (r["posted"], r["origin"]))
    next_id = 261000
    for row in a_rows:
        next_id += rng.randint(1, 4)
        row["id"] = f"GZ{next_id}"

    # rows of A that will be written malformed (never cross-posted)
    bad_a = sorted(rng.sample(range(20, len(a_rows) - 20), 3))
    for i in bad_a:
        a_rows[i]["malformed"] = True

    # ---------------- agency B ----------------
    b_recs: list[dict] = []

    def b_time(d: date) -> str:
        t = datetime(d.year, d.month, d.day, rng.randint(8, 20), rng.choice([0, 10, 15, 30, 45]))
        if rng.random() < 0.7:
            return t.strftime("%Y/%m/%d %H:%M")
        return t.strftime("%Y-%m-%dT%H:%M:00+08:00")

    def b_end(d: date) -> str:
        if rng.random() < 0.1:
            return ""
        return d.strftime("%Y/%m/%d") if rng.random() < 0.7 else d.isoformat()

    # cross-posts of A rows
    ok_a = [r for r in a_rows if not r.get("malformed")]
    cross = rng.sample([r for r in ok_a if r["origin"].startswith("1dagong")], N_CROSS - 6)
    cross += rng.sample([r for r in ok_a if r["origin"].startswith("meituan")], 6)
    trad = set(id(r) for r in rng.sample(cross, 6))
    for a in cross:
        posted = a["posted"] + timedelta(days=rng.choice([0, 0, 1, 2, 3]))
        desc = a["description"]
        if rng.random() < 0.4:
            desc = trim(desc, 160)
        rec = {
            "title": vary_title(rng, a["title"], a["kind"]),
            "employer": vary_employer(rng, a["employer"]),
            "uscc": a["uscc"] if rng.random() < 0.8 else "",
            "salary": vary_salary(rng, a["salary"]),
            "address": ("广东省广州市" if rng.random() < 0.6 else "广州市") + a["addr_tail"],
            "phone": vary_phone(rng, a["phone"]),
            "contact": a["contact"]
            if rng.random() < 0.75
            else a["contact"][0] + rng.choice(["先生", "女士", "经理"]),
            "posted": b_time(posted),
            "expires": b_end(a["expires"] + timedelta(days=rng.choice([0, 0, 5, 10]))),
            "kind": {"日结": rng.choice(["日结", "零工"]), "小时工": "兼职"}.get(a["kind"], a["kind"]),
            "num": int(a["headcount"]) if a["headcount"].isdigit() else "若干",
            "description": desc,
            "cross_of": a["id"],
            "origin": a["origin"],
        }
        if id(a) in trad:
            rec["trad"] = True
            for k in ("title", "employer", "address", "description", "salary"):
                rec[k] = to_traditional(rec[k])
        b_recs.append(rec)

    # Meituan rows not in A (广州 佛山 深圳 中山 珠海)
    mt_b = []
    for r in meituan:
        place = meituan_place(r)
        key = (r["招聘单位"], r["岗位类型"])
        if not place or key in used_meituan:
            continue
        used_meituan.add(key)
        mt_b.append((r, place))
    rng.shuffle(mt_b)
    for r, (addr, city, county) in mt_b[:N_B_MEITUAN]:
        p = meituan_posting(r)
        area = AREA_CODES[city]
        m = re.search(r"需求人数: (\d+)人", r["特殊要求"])
        b_recs.append(
            {
                "title": p["title"],
                "employer": p["employer"],
                "uscc": uscc_for(p["employer"], GD_COUNTIES[city].get(county, CITY_CODES[city]), 0.35),
                "salary": p["salary"],
                "address": addr,
                "phone": mobile(rng) if rng.random() < 0.85 else landline(rng, area),
                "contact": contact_name(rng),
                "posted": None,
                "kind": p["employment_type"],
                "num": int(m.group(1)) if m else rng.choice([2, 3, 5, 6, 10, 15]),
                "description": p["description"],
                "origin": f"meituan#{r['招聘单位']}/{r['岗位类型']}",
            }
        )

    # 1dagong rows that really are in Guangdong
    for r in dagong_gd:
        if not r["companyname"].strip():
            continue
        city = (
            "深圳"
            if "深圳" in r["companyname"] or "深圳" in r["district_cn"]
            else ("东莞" if "东莞" in r["companyname"] else "广州")
        )
        salary, kind = dagong_salary(r)
        b_recs.append(
            {
                "title": r["jobs_name"],
                "employer": r["companyname"],
                "uscc": uscc_for(
                    r["companyname"], CITY_CODES[city][:4] + "00" if city != "东莞" else "441900"
                ),
                "salary": salary,
                "address": f"广东省{city}市",
                "phone": mobile(rng),
                "contact": contact_name(rng),
                "posted": None,
                "kind": kind,
                "num": int(r["amount"]) if r["amount"].isdigit() and r["amount"] != "0" else "若干",
                "description": trim(r["contents"]),
                "origin": f"1dagong#{r['id']}",
            }
        )

    # qtshe: the 茂名 rows
    for r in qtshe:
        if r["addressDetail"] == "不限工作地点":
            continue
        addr = r["addressDetail"]
        if not addr.startswith("茂名"):
            addr = "茂名市茂南区" + addr
        b_recs.append(
            {
                "title": r["title"],
                "employer": r["companyName"],
                "uscc": uscc_for(r["companyName"], "440902", 0.5),
                "salary": r["salary"],
                "address": addr,
                "phone": mobile(rng),
                "contact": contact_name(rng),
                "posted": None,
                "kind": "兼职" if "小时" in r["salary"] or "天" in r["salary"] else "全职",
                "num": rng.choice([1, 2, 3]),
                "description": trim(r["jobIntroduction"] or r["newJobIntroduction"] or r["welfare"]),
                "origin": f"qtshe#{r['partJobId']}",
            }
        )

    # 51job Guangdong rows with blue-collar-ish titles
    j51 = []
    seen51 = set()
    for r in job51:
        city = r["workarea_text"].split("-")[0]
        if city not in GD_COUNTIES or not BLUE.search(r["job_name"]) or not r["providesalary_text"]:
            continue
        key = (r["job_name"], r["company_name"])
        if key in seen51:
            continue
        seen51.add(key)
        j51.append(r)
    rng.shuffle(j51)
    for r in j51[:N_B_51JOB]:
        city, _, county = r["workarea_text"].partition("-")
        m = re.search(r"招(\d+)人", r["attribute_text"])
        addr = f"{city}市{county}" if county else f"{city}市"
        if rng.random() < 0.5:
            addr = "广东省" + addr
        county_code = GD_COUNTIES[city].get(county, CITY_CODES[city])
        b_recs.append(
            {
                "title": r["job_name"],
                "employer": r["company_name"],
                "uscc": uscc_for(r["company_name"], county_code, 0.1),
                "salary": r["providesalary_text"],
                "address": addr,
                "phone": mobile(rng) if rng.random() < 0.8 else landline(rng, AREA_CODES[city]),
                "contact": contact_name(rng),
                "posted": None,
                "kind": "全职",
                "num": int(m.group(1)) if m else "若干",
                "description": trim("福利：" + r["jobwelf"]) if r["jobwelf"] else "",
                "origin": f"51job#{r['job_name']}",
            }
        )

    for rec in b_recs:
        if rec.get("posted") is None:
            d = posted_day()
            rec["posted"] = b_time(d)
            rec["expires"] = b_end(d + timedelta(days=rng.choice([10, 15, 30, 30, 45, 60])))
        if "cross_of" not in rec and rng.random() < 0.15 and not MOBILE.search(rec["description"]):
            rec["description"] += "\n联系电话：" + (rec["phone"] if rng.random() < 0.5 else mobile(rng))

    def b_key(rec: dict) -> str:
        p = rec["posted"]
        return p.replace("/", "-").replace("T", " ")[:16]

    b_recs.sort(key=lambda r: (b_key(r), r["origin"]))
    next_b = 1000
    for rec in b_recs:
        next_b += rng.randint(1, 3)
        rec["id"] = f"B{next_b}"

    # ---------------- malformed records ----------------
    # A: (1) empty title (2) empty id (3) a ragged row (4 of 13 columns)
    a_lines: list[list[str] | tuple] = []
    malformed_a_rows: dict[int, tuple[str, str]] = {}
    for i, row in enumerate(a_rows):
        out = [
            row["id"],
            row["title"],
            row["employer"],
            row["uscc_out"],
            row["salary"],
            row["address"],
            row["phone"],
            row["contact"],
            row["posted"].isoformat(),
            row["expires"].isoformat(),
            row["kind"],
            row["headcount"],
            row["description"],
        ]
        if i == bad_a[0]:
            out[1] = ""
            malformed_a_rows[len(a_lines)] = (row["id"], "missing_title")
        elif i == bad_a[1]:
            malformed_a_rows[len(a_lines)] = ("", "missing_id")
            out[0] = ""
        elif i == bad_a[2]:
            out = out[:4]
            malformed_a_rows[len(a_lines)] = (row["id"], "bad_column_count")
        a_lines.append(out)

    # B: (1) empty jobTitle (2) no id (3) a truncated line
    valid_b = [i for i, r in enumerate(b_recs) if "cross_of" not in r]
    bad_b = sorted(rng.sample(valid_b[10:-10], 3))
    b_lines: list[str] = []
    malformed_b: list[dict] = []
    for i, rec in enumerate(b_recs):
        obj = {
            "id": rec["id"],
            "jobTitle": rec["title"],
            "company": rec["employer"],
            "creditCode": rec["uscc"],
            "pay": rec["salary"],
            "workPlace": rec["address"],
            "tel": rec["phone"],
            "contactName": rec["contact"],
            "publishTime": rec["posted"],
            "endTime": rec["expires"],
            "jobType": rec["kind"],
            "num": rec["num"],
            "detail": rec["description"],
            "link": f"http://agency-b.example/jobs/{rec['id']}",
        }
        if i == bad_b[0]:
            obj["jobTitle"] = ""
            malformed_b.append(
                {"line": len(b_lines) + 1, "id": rec["id"], "title": None, "reason": "missing_title"}
            )
        elif i == bad_b[1]:
            del obj["id"]
            obj["link"] = "http://agency-b.example/jobs/"
            malformed_b.append(
                {"line": len(b_lines) + 1, "id": None, "title": rec["title"], "reason": "missing_id"}
            )
        elif i == bad_b[2]:
            line = json.dumps(obj, ensure_ascii=False)
            cut = line.index('"jobTitle": "') + len('"jobTitle": "') + 3
            b_lines.append(line[:cut])
            malformed_b.append(
                {"line": len(b_lines), "id": rec["id"], "title": None, "reason": "invalid_json"}
            )
            continue
        b_lines.append(json.dumps(obj, ensure_ascii=False))

    # ---------------- write ----------------
    OUT.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(A_HEADERS)
    malformed_a: list[dict] = []
    for n, out in enumerate(a_lines):
        if n in malformed_a_rows:
            nid, reason = malformed_a_rows[n]
            line_no = buf.getvalue().count("\n") + 1  # physical line (descriptions span lines)
            malformed_a.append(
                {
                    "record": n + 1,
                    "line": line_no,
                    "id": nid or None,
                    "title": out[1] or None,
                    "reason": reason,
                }
            )
        w.writerow(out)
    (OUT / "feed_gz_staffing.csv").write_bytes(buf.getvalue().encode("gb18030"))
    (OUT / "feed_sz_agency.ndjson").write_text("\n".join(b_lines) + "\n", encoding="utf-8")

    a_by_id = {r["id"]: r for r in a_rows}
    pairs = [[rec["cross_of"], rec["id"]] for rec in b_recs if "cross_of" in rec]
    for a_id, _ in pairs:
        assert not a_by_id[a_id].get("malformed"), a_id  # cross-posts only of valid rows
    bad_b_ids = {b_recs[i]["id"] for i in bad_b}
    assert not any(b in bad_b_ids for _, b in pairs)
    codes = {r["uscc_out"] for r in a_rows if r["uscc_out"]} | {r["uscc"] for r in b_recs if r["uscc"]}
    truth = {
        "about": "Ground truth of the demo feeds built by connectors/samples/build.py",
        "files": {
            "feed_gz_staffing.csv": {"source_id": "feed_gz_staffing", "records": len(a_rows)},
            "feed_sz_agency.ndjson": {"source_id": "feed_sz_agency", "records": len(b_recs)},
        },
        "cross_posts": pairs,
        "traditional_script": [rec["id"] for rec in b_recs if rec.get("trad")],
        "malformed": {"feed_gz_staffing.csv": malformed_a, "feed_sz_agency.ndjson": malformed_b},
        "invalid_uscc": sorted(c for c in codes if not is_valid_uscc(c)),
        "distinct_uscc_in_files": len(codes),
        # realdata row behind each record (1dagong#<id>, meituan#<招聘单位>/<岗位类型>,
        # 51job#<job_name>, qtshe#<partJobId>); keyed by id, the id-less rows by "line <n>"
        "origin": {
            "feed_gz_staffing.csv": {
                r["id"] if i != bad_a[1] else f"line {malformed_a[1]['line']}": r["origin"]
                for i, r in enumerate(a_rows)
            },
            "feed_sz_agency.ndjson": {
                r["id"] if i != bad_b[1] else f"line {malformed_b[1]['line']}": r["origin"]
                for i, r in enumerate(b_recs)
            },
        },
    }
    (OUT / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(
        f"A: {len(a_rows)} rows, B: {len(b_recs)} records, cross-posts: {len(pairs)}, "
        f"invalid USCC: {len(truth['invalid_uscc'])}/{len(codes)}"
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python connectors/samples/build.py REALDATA_DIR")
    main(Path(sys.argv[1]))
