"""How sources write the same job differently, and how they break records.

A cross-posted copy changes what real re-posters change: title decorations
(【急招】, （日结）), the employer's short or full name (有限公司 ↔ 有限责任公司, with or
without the city, half-width brackets), the salary wording (3000-5000 → 3-5千/月,
150元/天 → 日薪150), the address with or without 广东省 / the city, the phone's
spacing, the contact's given name. Traditional script is the style of a whole
site (``county_xiangzhou``), applied when rendering.
"""

from __future__ import annotations

import dataclasses
import re
from functools import cache
from random import Random
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.sandbox.province import Record

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁宋郑谢韩唐冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕"
_HONORIFICS = ["先生", "先生", "女士", "女士", "小姐", "经理", "主管", "师傅", "老师"]
_GIVEN = ["小明", "志强", "秀英", "建华", "丽娟", "伟", "敏", "海燕", "国栋", "晓东", "嘉欣", "俊杰", "少芬", "泽楷"]
_AREA = {"广州": "020", "深圳": "0755", "珠海": "0756", "佛山": "0757", "江门": "0750", "茂名": "0668",
         "惠州": "0752", "东莞": "0769", "中山": "0760"}
_DECORATIONS = ["【急招】{}", "急聘-{}", "{}（长期招聘）", "{}【包吃住】", "{}", "★{}★", "{} 多劳多得"]


def mobile(rng: Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def landline(rng: Random, city: str) -> str:
    return f"{_AREA.get(city, '020')}-8" + "".join(rng.choice("0123456789") for _ in range(7))


def contact_name(rng: Random) -> str:
    if rng.random() < 0.05:
        return rng.choice(_SURNAMES[:12]) + rng.choice(_GIVEN)
    return rng.choice(_SURNAMES) + rng.choice(_HONORIFICS)


def full_name(rng: Random) -> str:
    """A person's made-up full name (surname + given name), as a registration form has it."""
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN)


def _wan_qian(n: int) -> str:
    if n % 10000 == 0:
        return f"{n // 10000}万"
    if n % 1000 == 0:
        return f"{n // 1000}千"
    return str(n)


def vary_salary(rng: Random, s: str) -> str:
    """The same pay written another way (unknown shapes come back unchanged)."""
    m = re.fullmatch(r"(\d{4,5})[-~](\d{4,5})(元/月)?", s)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        short = f"{_wan_qian(lo)}-{_wan_qian(hi)}元/月" if lo % 1000 == 0 == hi % 1000 else f"{lo}-{hi}元/月"
        return rng.choice([short, f"{lo}-{hi}元/月", f"月薪{lo}至{hi}", f"{lo / 1000:g}-{hi / 1000:g}千/月"])
    m = re.fullmatch(r"(\d+(?:\.\d+)?)元/(?:天|日)", s)
    if m:
        return rng.choice([f"日薪{m.group(1)}", f"{m.group(1)}元/日", f"{m.group(1)}元每天"])
    m = re.fullmatch(r"(\d+(?:\.\d+)?)元/小时", s)
    if m:
        return rng.choice([f"时薪{m.group(1)}元", f"{m.group(1)}元每小时", f"{m.group(1)}/h"])
    if s == "面议":
        return rng.choice(["薪资面议", "工资面议", "面议"])
    if s == "8000以上":
        return "8千以上/月"
    if s == "1万以上":
        return "10000元以上"
    return s


def vary_employer(rng: Random, name: str, city: str) -> str:
    u = rng.random()
    if u < 0.3 and name.endswith("有限公司") and not name.endswith("股份有限公司"):
        return name[: -len("有限公司")] + "有限责任公司"
    if u < 0.5 and name.endswith("有限责任公司"):
        return name[: -len("有限责任公司")] + "有限公司"
    if u < 0.75 and name.startswith(city) and len(name) > len(city) + 6:
        # the short name people use: no city, no company form
        short = name.removeprefix(city + "市").removeprefix(city)
        return re.sub(r"(股份)?有限(责任)?公司$", "", short) or name
    if "（" in name:
        return name.replace("（", "(").replace("）", ")")
    return name


def vary_phone(rng: Random, phone: str) -> str:
    if re.fullmatch(r"1\d{10}", phone):
        return rng.choice([phone, f"{phone[:3]} {phone[3:7]} {phone[7:]}", f"{phone[:3]}-{phone[3:7]}-{phone[7:]}",
                           "+86 " + phone])
    area, _, number = phone.partition("-")
    return rng.choice([phone, f"({area}){number}", f"{area} {number}"])


def cross_copy(rng: Random, rec: Record, city: str) -> Record:
    """``rec`` as a second source writes it."""
    address = rec.address
    u = rng.random()
    if u < 0.4:
        address = address.removeprefix("广东省")
    elif u < 0.6:
        address = address.removeprefix("广东省").removeprefix(f"{city}市")
    if address == "":
        address = rec.address
    contact = rec.contact if rng.random() < 0.75 else rec.contact[0] + rng.choice(["先生", "女士", "经理"])
    desc = rec.description
    if rng.random() < 0.3 and len(desc) > 80:
        desc = desc[:80].rstrip() + "…"
    return dataclasses.replace(
        rec, title=rng.choice(_DECORATIONS).format(rec.title), employer=vary_employer(rng, rec.employer, city),
        uscc=rec.uscc if rng.random() < 0.8 else "", salary=vary_salary(rng, rec.salary), address=address,
        phone=vary_phone(rng, rec.phone), contact=contact, description=desc,
        posted_at=rec.posted_at, updated_at=rec.updated_at.replace(minute=(rec.updated_at.minute + 7) % 60),
    )


#: how each source breaks a record (the reason a harvest should quarantine it with)
MALFORMED_REASON = {"county_baiyun": "missing_title", "county_xiangzhou": "missing_title",
                    "county_nanhai": "missing_title", "portal_yuegong": "missing_title",
                    "feed_gz_labour": "bad_column_count", "feed_fs_hr": "missing_title",
                    "feed_zh_service": "missing_id", "jsonld_dongguan": "invalid_json"}


def break_record(rec: Record) -> Record:
    """The primary copy of a non-cross-posted job, written broken in the way its source breaks things."""
    how = MALFORMED_REASON[rec.source_id]
    changes: dict[str, Any] = {"malformed": how}
    if how == "missing_title":
        changes["title"] = ""
    return dataclasses.replace(rec, **changes)


@cache
def _s2t() -> Any:
    import opencc

    return opencc.OpenCC("s2t")


def to_traditional(text: str) -> str:
    return str(_s2t().convert(text))
