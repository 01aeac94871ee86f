"""The shortcuts taken for speed give exactly what the plain way gives.

Each test compares a fast path with the straightforward computation it replaces: the
one-pass scan of pay text and context (benefits, settlement, same-day hint) with a
regex per benefit on half-widthed text; the mobile shortcut with phonenumbers; the
house-number folding of ``parse_location``'s cache key with resolving the text as it is;
``to_halfwidth``'s pre-check with a plain ``str.translate``; the per-``now`` date cache
and the pay-text cache with uncached calls.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from normalize import location, parse_datetime, parse_location, parse_salary, phone, salary, to_halfwidth
from normalize.script import _HALFWIDTH

# --- reference: benefits and settlement the plain way (one regex per benefit, on half-width text) ---

_REF_SETTLEMENT = re.compile(
    r"(日结|当天结|当日结|日清|现结|当场结)|(周结)|(月结)|(完工结|完工后结|完工结算|项目结束结)"
)
_REF_DAY = re.compile(r"日结|当天结|当日结|日清|现结")
_REF_BENEFITS = [(name, re.compile(f"(?={pattern})")) for name, pattern in salary._BENEFIT_PATTERNS]


def _ref_scan(text: str) -> tuple[str | None, list[str], bool]:
    t = to_halfwidth(text)
    m = _REF_SETTLEMENT.search(t)
    settlement = ("日结", "周结", "月结", "完工结")[(m.lastindex or 1) - 1] if m else None
    hits: dict[int, tuple[int, str]] = {}
    for i, (name, rx) in enumerate(_REF_BENEFITS):
        for hit in rx.finditer(t):
            start = hit.start()
            if start > 0 and t[start - 1] in "不无没":
                continue
            if i == len(_REF_BENEFITS) - 1:  # 13薪: the count as written
                word = re.match(r"\d+|十.", t[start:])
                assert word is not None
                name = salary._CN_MONTHS.get(word.group(0), word.group(0)) + "薪"
            if start not in hits or hits[start][0] > i:
                hits[start] = (i, name)
    names: list[str] = []
    for _, (_, name) in sorted(hits.items()):
        if name not in names:
            names.append(name)
    return settlement, names, bool(_REF_DAY.search(t))


def _implied(names: list[str]) -> list[str]:
    found = list(names)
    if "包吃" in found and "包住" in found and "包吃住" not in found:
        found[found.index("包吃")] = "包吃住"
    return [b for b in found if salary._IMPLIED.get(b) not in found]


_WORDS = [lit for lit in salary._LITERALS] + ["13薪", "１４薪", "十三薪", "113薪", "不", "无", "没", "，", " ", "3000",
                                              "元", "天", "吃", "住", "包", "结", "日"]
pieces = st.lists(st.sampled_from(_WORDS), max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(pieces)
def test_scan_matches_a_regex_per_benefit(text: str) -> None:
    scan = salary._scan(text)
    settlement, names, day = _ref_scan(text)
    assert scan.settlement == settlement
    assert scan.day_hint == day
    assert salary._benefit_names(scan) == _implied(names)


def test_scan_sees_overlapping_mentions() -> None:
    # 吃住全包 starts inside a negated 管吃住; 日结 inside 当日结; 五险 inside 五险一金.
    tricky = ("不管吃住全包", "当日结算", "无五险一金五险", "不包吃住包住", "没有年底双薪13薪", "不１３薪",
              "买社保购买社保")
    for text in tricky:
        scan = salary._scan(text)
        settlement, names, day = _ref_scan(text)
        assert (scan.settlement, salary._benefit_names(scan), scan.day_hint) == (settlement, _implied(names), day)
    assert salary._benefit_names(salary._scan("不管吃住全包")) == ["包吃住"]


def test_scan_on_real_sentences() -> None:
    text = "包吃住，不包路费，缴纳社保，日结，年底双薪，１３薪，无五险一金，五险"
    assert salary._scan(text).settlement == "日结"
    assert salary._benefit_names(salary._scan(text)) == ["包吃住", "社保", "年终奖", "13薪", "五险"]
    assert salary._scan("当日结算").day_hint and not salary._scan("当场结").day_hint


def test_pay_text_cache_keeps_context_apart() -> None:
    salary._core.cache_clear()
    daily = parse_salary("80", "日结，包住")
    hourly = parse_salary("80", "月结")
    again = parse_salary("80", "日结，包住")
    assert daily is not None and hourly is not None and again is not None
    assert (daily.unit, daily.settlement, daily.benefits) == ("day", "日结", ["包住"])
    assert (hourly.unit, hourly.settlement, hourly.benefits) == ("hour", "月结", [])
    assert again == daily and again is not daily
    again.benefits.append("x")  # callers may mutate what they get
    assert parse_salary("80", "日结，包住") == daily


# --- phone: the mobile shortcut gives what phonenumbers gives ---

mobiles = st.builds(
    lambda prefix, body, sep: prefix + sep.join([body[:3], body[3:7], body[7:]]),
    st.sampled_from(["", "86", "+86 ", "0086 ", "86-"]),
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.sampled_from(["", " ", "-"]),
)


@settings(max_examples=300, deadline=None)
@given(mobiles)
def test_mobile_shortcut_equals_phonenumbers(text: str) -> None:
    digits = re.sub(r"\D", "", text)
    expected = phone._parse(text) or digits[-11:]  # the long way: phonenumbers, else the 11 digits
    assert phone.normalize_phone(text) == expected


# --- location: house numbers are folded only in the cache key ---

streets = st.builds(
    lambda place, road, n, tail: f"{place}{road}{n}{tail}",
    st.sampled_from(["广东省广州市白云区", "珠海香洲", "北京市北京海淀", "鼓楼区", "工作地点在广信区", "南京路", "昆山",
                     "上海市闸北区", "", "合肥北京路"]),
    st.sampled_from(["", "建设路", "人民路", "北京路", "中山大道", "街道"]),
    st.integers(0, 99999).map(str),
    st.sampled_from(["号", "号3楼", "弄12室", "", "栋"]),
)


@settings(max_examples=300, deadline=None)
@given(streets, st.sampled_from([None, "440111", "320100", "350100", "440000"]))
def test_digit_folding_resolves_as_the_text_itself(text: str, within: str | None) -> None:
    got = parse_location(text, within=within)
    assert got is not None or (not text and within is None)
    if got is not None:
        assert got.code == location._resolve.__wrapped__(location._clean(text), within)
        assert got.address == (location._clean(text) or None)  # the digits stay in the address


# --- to_halfwidth, dates ---


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_halfwidth_equals_translate(text: str) -> None:
    assert to_halfwidth(text) == text.translate(_HALFWIDTH)


def test_translate_guards_cover_exactly_their_tables() -> None:
    # Each guard regex must match a character iff its translation table maps it.
    from normalize import names, script

    for guard, table in ((script._FULLWIDTH, script._HALFWIDTH), (names._HAS_ALNUM_FULL, names._ALNUM_HALF),
                         (names._HAS_BRACKET, names._TO_ROUND)):
        matched = {cp for cp in range(0x110000) if guard.fullmatch(chr(cp))}
        assert matched == set(table)


def test_date_cache_is_per_now() -> None:
    naive = datetime(2026, 11, 20, 12, 0)
    aware = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
    a, b = parse_datetime("刚刚", now=naive), parse_datetime("刚刚", now=aware)
    assert a is not None and b is not None
    assert (a.hour, b.hour) == (12, 20)
    assert parse_datetime("刚刚", now=naive) == a
    assert parse_datetime("2026-11-19", now=naive) == parse_datetime("2026-11-19", now=aware)
