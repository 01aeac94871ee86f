"""Pay text → :class:`Salary`.

Own grammar: no library extracts the pay period (hour/day/piece/session/month), 面议,
K/千/万 notation and 13薪 together; cn2an is used only to read Chinese numerals
(三千五, 一万二, 两百). Postings often quote several amounts (base pay, bonuses,
per-order rates); the one reported is, in order: a total after ``=``, a figure after
综合 (overall), the base pay after 底薪 (open-ended when commission follows), else the
first amount that is clearly money.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

from aggregator.schema import PayUnit, Salary

from .script import to_halfwidth

__all__ = ["DAILY_FACTORS", "parse_salary"]

#: CNY per working day for one unit of pay: 8-hour day, 5-day week, 21.75 paid days a
#: month (the statutory monthly average), 250 working days a year.
DAILY_FACTORS: dict[str, float] = {
    "hour": 8.0, "day": 1.0, "week": 1 / 5, "month": 1 / 21.75, "year": 1 / 250,
}

_MULTIPLIER = {"k": 1000.0, "K": 1000.0, "千": 1000.0, "w": 10000.0, "W": 10000.0, "万": 10000.0}
_UNIT_WORDS: dict[str, PayUnit | None] = {
    "课时": "session", "节": "session", "次": "session", "场": "session", "课": "session",
    "小时": "hour", "个小时": "hour", "钟头": "hour", "时": "hour", "h": "hour", "H": "hour", "hr": "hour",
    "天": "day", "日": "day", "工作日": "day",
    "周": "week", "星期": "week",
    "月": "month", "年": "year",
    "单": "piece", "件": "piece", "个": "piece", "份": "piece", "张": "piece", "票": "piece", "箱": "piece",
    "其他": None,
}
_PREFIX_UNITS: dict[str, PayUnit] = {
    "月薪": "month", "月工资": "month", "月收入": "month", "每月": "month",
    "日薪": "day", "日工资": "day", "每天": "day", "一天": "day", "每日": "day",
    "时薪": "hour", "每小时": "hour", "小时工资": "hour",
    "年薪": "year", "周薪": "week", "每周": "week",
}

# Every dash a posting might use for a range, plus the wave dash after half-widthing.
_DASHES = re.compile(r"[~〜‐‑‒–—―−﹣]")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_CN_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万]{2,}|[一二两三四五六七八九十](?=[元块])")
_CN_DIGIT = re.compile(r"[零〇一二两三四五六七八九十]")
_CN_ADJACENT = re.compile(r"[一二两三四五六七八九]{2}")
_AMOUNT = re.compile(
    r"(?<![\d.A-Za-z])(?P<a>\d+(?:\.\d+)?)\s*(?P<am>[kKwW千万](?![米克]))?"
    r"(?:\s*(?:元|块)?(?:\s*/\s*(?:月|天|日|小时|时|周|年))?\s*(?:-+|至|到)\s*"
    r"(?P<b>\d+(?:\.\d+)?)\s*(?P<bm>[kKwW千万](?![米克]))?)?"
)
_SUFFIX = re.compile(
    r"\s*(?P<yuan>元|块|rmb|RMB)?\s*(?P<open>起|以上)?\s*(?P<sep>/\s*每?|每|一|per)?\s*\(?\s*"
    r"(?P<unit>课时|个小时|小时|钟头|工作日|星期|其他|hr|[时hH天日周月年单件个份张票箱节次场课])?"
)
_OPEN_AFTER = re.compile(r"\s*(?:及以上|以上|起|上不封顶)")
_APPROX_AFTER = re.compile(r"\s*(?:左右|上下)")
# What may follow a bare number for it to count as money (else 8小时, 30单, 18岁 …).
_MONEY_FOLLOW = re.compile(r"$|[\s,，。;；、+)）(（=]|以上|起|左右|上下|[日周月]结|包|底薪|提成")
_PREFIX = re.compile(
    r"(?P<kw>月薪|月工资|月收入|每月|日薪|日工资|每天|一天|每日|时薪|每小时|小时工资|年薪|周薪|每周|底薪|"
    r"综合(?:薪资|收入|工资)?|工资|薪资|薪水|薪酬|待遇|收入|报酬|(?<![<>!])=|¥|￥)"
    r"\s*[:：]?\s*(?:到手|约|大概|大约|在|为)?\s*$"
)
# Period words that also introduce hours or days of work (每天6-8小时), not pay.
_WEAK_KEYWORDS = frozenset({"每月", "每天", "一天", "每日", "每小时", "每周"})
_BASE = re.compile(r"(?<!没有)(?<![没无不])底薪|基本工资")
# What makes base pay open-ended: commission, piece work, a per-order ladder (单量阶梯).
_COMMISSION = re.compile(r"提成|计件|绩效|奖金|多劳多得|阶梯|单量")
# A single amount joined straight to commission (60元加提成, 130一天+提成) is open-ended.
_PLUS_COMMISSION = re.compile(r"\s*(?:\+|加)\s*(?:提成|计件|绩效)")
_LIST_NUMBER = re.compile(r"[.、][^\d\s]")
# Per-minute rates (每分钟1元) are reported per hour.
_PER_MINUTE = re.compile(r"每分钟\s*$")
_PER_MINUTE_AFTER = re.compile(r"\s*(?:元|块)\s*(?:/|每)\s*分钟")
_DAILY = re.compile(
    r"(?:一天|每天|日均收入|日入|日赚|每日|一日)(?:大概|约|大约|能|可|收入|赚|可达|能拿|可以)*\s*"
    r"(?P<a>\d+(?:\.\d+)?)\s*(?P<ay>元|块)?(?:\s*(?:/|或|-|至|到)\s*(?P<b>\d+(?:\.\d+)?)\s*(?P<by>元|块)?)?"
)
_NEGOTIABLE = re.compile(r"面议|可议|面谈|议薪|薪资议定")
_SETTLEMENT_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("日结", ("日结", "当天结", "当日结", "日清", "现结", "当场结")),
    ("周结", ("周结",)),
    ("月结", ("月结",)),
    ("完工结", ("完工结", "完工后结", "完工结算", "项目结束结")),
)
# Same-day settlement: a bare small amount beside one of these is daily pay.
_DAY_WORDS = frozenset({"日结", "当天结", "当日结", "日清", "现结"})
_BENEFIT_PATTERNS: tuple[tuple[str, str], ...] = (
    ("包吃住", r"包吃住|管吃住|吃住全包|包食宿|提供食宿|免费食宿"),
    ("包吃", r"包吃|管吃|包[一二三两]餐|包工作餐|提供工作餐|管饭|免费工作餐"),
    ("包住", r"包住|管住|提供住宿|免费住宿|提供宿舍|免费宿舍"),
    ("六险一金", r"六险一金"),
    ("五险一金", r"五险一金"),
    ("五险", r"五险"),
    ("社保", r"缴纳社保|购买社保|买社保|交社保|社会保险"),
    ("商业保险", r"商业保险|意外险"),
    ("年终奖", r"年终奖|年底双薪"),
    ("餐补", r"餐补|餐饮补贴|饭补|餐费补贴"),
    ("交通补贴", r"交通补贴|交通补助|车补"),
    ("住房补贴", r"住房补贴|房补"),
    ("全勤奖", r"全勤奖"),
    ("加班费", r"加班费|加班补贴"),
    ("双休", r"双休"),
    ("带薪年假", r"带薪年假"),
    ("节日福利", r"节日福利|节假日福利"),
    ("定期体检", r"体检"),
    ("13薪", r"(?<!\d)1[3-9]薪|十[三四五六]薪"),
)
# Negation (不包吃住) is checked on the character before a hit.
_NEGATORS = frozenset("不无没")
# Benefits a broader one already implies when both are found.
_IMPLIED = {"包吃": "包吃住", "包住": "包吃住", "五险": "五险一金"}
_CN_MONTHS = {"十三": "13", "十四": "14", "十五": "15", "十六": "16"}
_cn2an: Any = None


class _Cand(NamedTuple):
    start: int
    end: int  # after the amount and its unit
    lo: float
    hi: float | None
    unit: PayUnit | None
    unit_stated: bool  # a period was written, even if it is 其他 (unknown)
    money: bool
    keyword: str | None


def _cn_numerals(s: str) -> str:
    global _cn2an
    if not _CN_DIGIT.search(s):
        return s
    if _cn2an is None:
        import cn2an

        _cn2an = cn2an

    def repl(m: re.Match[str]) -> str:
        run = m.group(0)
        # 两三千 is a range, not 23千; leave runs of adjacent digits alone.
        if not _CN_DIGIT.search(run) or _CN_ADJACENT.search(run):
            return run
        try:
            v = _cn2an.cn2an(run, "smart")
        except Exception:
            return run
        return str(int(v)) if float(v).is_integer() else str(v)

    return _CN_RUN.sub(repl, s)


def _prep(text: str) -> str:
    s = _DASHES.sub("-", to_halfwidth(text))
    s = _THOUSANDS.sub("", s)
    return _cn_numerals(s)


def _mul(tag: str | None) -> float:
    return _MULTIPLIER.get(tag, 1.0) if tag else 1.0


def _candidates(s: str) -> list[_Cand]:
    out: list[_Cand] = []
    for m in _AMOUNT.finditer(s):
        a_mul, b_mul = m.group("am"), m.group("bm")
        try:
            lo = float(m.group("a"))
            hi = float(m.group("b")) if m.group("b") else None
        except ValueError:
            continue
        if hi is not None and b_mul and not a_mul:
            a_mul = b_mul  # 0.8-1万 means 0.8万-1万
        lo *= _mul(a_mul)
        if hi is not None:
            hi *= _mul(b_mul)
            if hi < lo:
                # Truncated upper bounds in source data: 5000~1000 means 5000~10000.
                for _ in range(3):
                    if hi >= lo or hi <= 0:
                        break
                    hi *= 10
                if hi < lo:
                    lo, hi = hi, lo
        if lo > 5e6 or (hi is not None and hi > 5e6):
            continue
        end = m.end()
        if not (a_mul or b_mul) and m.group("b") is None and _LIST_NUMBER.match(s, end):
            continue  # 1.咨询顾问…: a list number, not an amount
        suf = _SUFFIX.match(s, end)
        unit: PayUnit | None = None
        unit_stated = False
        yuan = False
        open_end = False
        follow = end
        if suf:
            yuan = bool(suf.group("yuan"))
            word = suf.group("unit")
            sep = suf.group("sep")
            if word and (yuan or sep):
                unit = _UNIT_WORDS.get(word)
                unit_stated = True
                follow = suf.end()
            elif yuan:
                follow = suf.start("yuan") + len(suf.group("yuan"))
            if suf.group("open") and (yuan or unit_stated):
                open_end = True
        if _OPEN_AFTER.match(s, follow):
            open_end = True
        pm = _PREFIX.search(s, max(0, m.start() - 12), m.start())
        keyword = pm.group("kw") if pm else None
        if unit is None and not unit_stated and keyword in _PREFIX_UNITS:
            unit = _PREFIX_UNITS[keyword]
            unit_stated = True
        money = yuan or bool(a_mul or b_mul) or (unit_stated and keyword not in _WEAK_KEYWORDS)
        if keyword is not None and keyword not in _WEAK_KEYWORDS:
            money = True
        if not money:
            money = bool(_MONEY_FOLLOW.match(s, follow))
        if hi is None:
            hi = None if open_end else lo
        elif open_end:
            pass  # 3000-5000以上 still states a range
        if _PER_MINUTE.search(s, max(0, m.start() - 4), m.start()) or _PER_MINUTE_AFTER.match(s, end):
            lo, hi, unit, unit_stated, money = lo * 60, hi * 60 if hi is not None else None, "hour", True, True
        out.append(_Cand(m.start(), max(follow, end), lo, hi, unit, unit_stated, money, keyword))
    return out


def _pick(s: str, cands: list[_Cand]) -> tuple[_Cand | None, bool]:
    """The amount that stands for the posting's pay, and whether it is base pay plus extras."""
    money = [c for c in cands if c.money]
    if not money:
        return None, False
    for c in money:
        if c.keyword == "=":
            return c, False
    for c in money:
        if c.keyword and c.keyword.startswith("综合"):
            return c, False
    base = _BASE.search(s)
    # An earlier time-based rate (90-150元/天 … 无责任底薪90元/天) is the headline; an
    # earlier per-order rate (0.3元/单 … 责任底薪3050元) is a detail of the base scheme.
    if base and not any(c.start < base.start() and c.unit in DAILY_FACTORS for c in money):
        for c in money:
            if base.end() <= c.start <= base.end() + 40:
                return c, bool(_COMMISSION.search(s, base.start()))
    first = money[0]
    return first, first.hi == first.lo and bool(_PLUS_COMMISSION.match(s, first.end))


def _bare_unit(value: float, day_hint: bool) -> PayUnit:
    if value <= 500 and day_hint:
        return "day"
    if value <= 100:
        return "hour"
    if value <= 500:
        return "day"
    return "year" if value >= 50000 else "month"


def _daily_figure(s: str) -> float | None:
    for m in _DAILY.finditer(s):
        if not (m.group("ay") or m.group("by")):
            continue
        a = float(m.group("a"))
        b = float(m.group("b")) if m.group("b") else None
        if b is not None and m.group("by") is None and m.group("ay") is None:
            continue
        return round((a + b) / 2, 2) if b is not None else a
    return None


def _expand(pattern: str) -> list[str]:
    """Literal alternatives of a benefit pattern (one ``[..]`` class at most)."""
    out: list[str] = []
    for alt in pattern.split("|"):
        m = re.search(r"\[([^\]]+)\]", alt)
        out.extend(alt[: m.start()] + c + alt[m.end():] for c in m.group(1)) if m else out.append(alt)
    return out


# One pass over a text finds settlement words and benefits: a single alternation of
# literals (re skips to the next possible first character in C), searched again from
# the character after each hit so overlapping mentions are all seen. Alternatives are
# ordered by benefit priority, so at any position the first alternative that matches is
# the benefit with the lowest pattern index (包吃住 before 包吃, 五险一金 before 五险).
# Benefit and settlement words start with different characters. 13薪 keeps its regex
# (checked only when 薪 occurs).
_LITERALS: dict[str, tuple[int, int]] = {}  # literal → (benefit pattern index or -1, settlement group or -1)
for _i, (_name, _pattern) in enumerate(_BENEFIT_PATTERNS[:-1]):
    for _lit in sorted(_expand(_pattern), key=len, reverse=True):
        _LITERALS.setdefault(_lit, (_i, -1))
for _g, (_name, _words) in enumerate(_SETTLEMENT_WORDS):
    for _lit in sorted(_words, key=len, reverse=True):
        _LITERALS.setdefault(_lit, (-1, _g))
_SCAN = re.compile("|".join(re.escape(lit) for lit in _LITERALS))
_MONTHS_PAY = re.compile(r"(?<!\d)[1１][3-9３-９]薪|十[三四五六]薪")  # full-width digits too: text is not half-widthed


class _Scan(NamedTuple):
    settlement: str | None  # the first settlement word's name
    benefits: tuple[tuple[int, int, str], ...]  # (position, pattern index, name), non-negated, by position
    day_hint: bool  # a same-day settlement word (日结, 当天结 …) occurs


def _scan(t: str) -> _Scan:
    """Settlement, benefits and the same-day hint of ``t`` in one pass."""
    settlement: str | None = None
    day_hint = False
    hits: dict[int, tuple[int, str]] = {}
    search = _SCAN.search
    m = search(t)
    while m is not None:
        start = m.start()
        word = m.group(0)
        i, g = _LITERALS[word]
        if g >= 0:
            if settlement is None:
                settlement = _SETTLEMENT_WORDS[g][0]
            if word in _DAY_WORDS:
                day_hint = True
        elif not (start > 0 and t[start - 1] in _NEGATORS):
            hits[start] = (i, _BENEFIT_PATTERNS[i][0])
        m = search(t, start + 1)
    if "薪" in t:
        for mm in _MONTHS_PAY.finditer(t):
            if mm.start() > 0 and t[mm.start() - 1] in _NEGATORS:
                continue
            count = to_halfwidth(mm.group(0)[:-1])  # the pay-months count itself: 13薪, 14薪, 十三薪
            hits.setdefault(mm.start(), (len(_BENEFIT_PATTERNS) - 1, _CN_MONTHS.get(count, count) + "薪"))
    return _Scan(settlement, tuple(sorted((pos, i, name) for pos, (i, name) in hits.items())), day_hint)


def _benefit_names(*scans: _Scan) -> list[str]:
    found: list[str] = []
    for sc in scans:
        for _, _, name in sc.benefits:
            if name not in found:
                found.append(name)
    if "包吃" in found and "包住" in found and "包吃住" not in found:
        found[found.index("包吃")] = "包吃住"
    return [b for b in found if _IMPLIED.get(b) not in found]


def parse_salary(text: str | None, context: str | None = None) -> Salary | None:
    """Read pay text such as ``0.8-1万/月``, ``120—200元/课时``, ``10元/单，大概一天150元/200元``.

    ``context`` is other text of the posting (a settlement column, the description):
    it only contributes hints (日结 → daily pay for a bare small number, settlement,
    benefits). Returns ``None`` when the text says nothing about pay.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    ctx = context if isinstance(context, str) else ""
    # Pay strings repeat heavily across postings (3000-5000, 面议): parse each once. Long
    # texts (a whole description as context) rarely repeat and would bloat the cache.
    fields = _parse_cached(text, ctx) if len(text) + len(ctx) <= 600 else _parse_fields(text, ctx)
    if fields is None:
        return None
    # A fresh model per call: callers may mutate what they get back.
    try:
        return Salary(**{**fields, "benefits": list(fields["benefits"])})
    except Exception:  # a value the model refuses: treat as unreadable
        return None


@lru_cache(maxsize=16384)
def _parse_cached(text: str, ctx: str) -> dict[str, Any] | None:
    return _parse_fields(text, ctx)


def _parse_fields(text: str, ctx: str) -> dict[str, Any] | None:
    try:
        s = _parse(text, ctx)
    except Exception:  # never let one odd posting stop a harvest
        return None
    if s is None:
        return None
    s["benefits"] = tuple(s["benefits"])
    return s


class _Core(NamedTuple):
    """What the pay text alone says; the context only adds hints to it."""

    negotiable: bool
    scan: _Scan
    chosen: _Cand | None
    plus_extras: bool
    daily_figure: float | None  # an explicit per-day figure (一天150元), when the text has one


@lru_cache(maxsize=16384)
def _core(text: str) -> _Core:
    # Cached by the pay text alone: it repeats across postings (3000-5000元/月, 面议)
    # even when the descriptions passed as context never do.
    s = _prep(text)
    chosen, plus_extras = _pick(s, _candidates(s))
    return _Core(bool(_NEGOTIABLE.search(s)), _scan(text), chosen, plus_extras, _daily_figure(s))


def _parse(text: str, ctx: str) -> dict[str, Any] | None:
    core = _core(text)
    # The context (often a whole description) is scanned once and as it is: the words
    # sought have no full-width forms, and _MONTHS_PAY reads full-width digits itself.
    scans = (core.scan, _scan(ctx)) if ctx else (core.scan,)
    negotiable = core.negotiable
    settlement = next((sc.settlement for sc in scans if sc.settlement), None)
    benefits = _benefit_names(*scans)
    chosen = core.chosen
    if chosen is None:
        if not (negotiable or settlement or benefits):
            return None
        return dict(negotiable=negotiable, settlement=settlement, benefits=benefits,
                      daily_estimate=core.daily_figure, text=text)
    lo, hi = chosen.lo, chosen.hi
    if core.plus_extras:
        hi = None
    unit = chosen.unit
    if unit is None and not chosen.unit_stated:
        day_hint = any(sc.day_hint for sc in scans)
        unit = _bare_unit(lo if lo > 0 else (hi or 0.0), day_hint)
    daily: float | None
    if unit in DAILY_FACTORS:
        mid = (lo + hi) / 2 if hi is not None else lo
        daily = round(mid * DAILY_FACTORS[unit], 2)
    else:
        daily = core.daily_figure
    return dict(min=lo, max=hi, unit=unit, negotiable=negotiable, settlement=settlement,
                  benefits=benefits, daily_estimate=daily, text=text)
