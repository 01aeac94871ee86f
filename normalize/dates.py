"""Posting dates → timezone-aware ``datetime`` in Asia/Shanghai.

Absolute (``2015-06-10 10:41:58``, ``2015/6/10``, ``2015年6月10日``), year-less
(``10-14`` = 14 October of the latest year that does not put it in the future),
relative (``3天前``, ``昨天``, ``刚刚``) and Unix timestamps (seconds or milliseconds).
Dates before 1990 are rejected: in the sources they are placeholders
(1dagong's ``1970-01-01 08:33:35`` deadline means "none").
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache

from .script import to_halfwidth

__all__ = ["SHANGHAI", "parse_datetime"]


def _shanghai() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Shanghai")
    except Exception:  # no tz database: China has kept UTC+8 without DST since 1991
        return timezone(timedelta(hours=8), "Asia/Shanghai")


SHANGHAI = _shanghai()
_MIN_YEAR = 1990
_MAX_YEAR = 2100

_TIME = (
    r"(?:\s*(?:T|\s)?\s*(?P<H>\d{1,2})\s*[:时点]\s*(?P<M>\d{1,2})"
    r"(?:\s*[:分]\s*(?P<S>\d{1,2})(?:\.\d+)?)?)?"
)
_FULL = re.compile(
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?" + _TIME
    + r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)
_COMPACT = re.compile(r"(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})")
_MONTH_DAY = re.compile(r"(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?" + _TIME)
_TIMESTAMP = re.compile(r"\d{10}(?:\d{3})?(?:\.\d+)?")
_RELATIVE = re.compile(
    r"(?P<n>\d+|半|[一二两三四五六七八九十]+)\s*(?P<u>秒|分钟|分|小时|个小时|天|日|周|星期|个月|月|年)\s*(?:以?前)"
)
_DAY_WORDS = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2, "大前天": 3}
_DAY_WORD = re.compile(r"(大前天|前天|昨天|昨日|今天|今日)" + _TIME)
_JUST_NOW = re.compile(r"刚刚|刚才|just now", re.IGNORECASE)
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNIT_SECONDS = {
    "秒": 1, "分钟": 60, "分": 60, "小时": 3600, "个小时": 3600, "天": 86400, "日": 86400,
    "周": 7 * 86400, "星期": 7 * 86400, "个月": 30 * 86400, "月": 30 * 86400, "年": 365 * 86400,
}


def _cn_int(s: str) -> float | None:
    if s == "半":
        return 0.5
    if s.isdigit():
        return float(s)
    if s == "十":
        return 10.0
    if "十" in s:
        tens, _, ones = s.partition("十")
        return float(_CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0))
    if len(s) == 1 and s in _CN_DIGITS:
        return float(_CN_DIGITS[s])
    return None


def _hms(m: re.Match[str]) -> tuple[int, int, int]:
    h = int(m.group("H")) if m.group("H") else 0
    mi = int(m.group("M")) if m.group("M") else 0
    se = int(m.group("S")) if m.group("S") else 0
    return h, mi, se


def _build(y: int, mo: int, d: int, h: int = 0, mi: int = 0, se: int = 0) -> datetime | None:
    if not _MIN_YEAR <= y <= _MAX_YEAR:
        return None
    try:
        return datetime(y, mo, d, h, mi, se, tzinfo=SHANGHAI)
    except ValueError:
        return None


def _tz_offset(tz: str) -> tzinfo:
    if tz == "Z":
        return UTC
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def parse_datetime(text: str | None, now: datetime | None = None) -> datetime | None:
    """Read a posting date; ``now`` (default: the current time) anchors relative and year-less dates."""
    if not isinstance(text, str):
        return None
    try:
        # A harvest passes one ``now`` and its dates repeat (2026-11-20): read each once.
        # Without ``now`` the answer may depend on the clock, so it is not cached.
        if now is not None and len(text) <= 64:
            return _parse_cached(text, now)
        return _parse(text, now)
    except Exception:
        return None


@lru_cache(maxsize=16384)
def _parse_cached(text: str, now: datetime) -> datetime | None:
    return _parse(text, now)


def _parse(text: str, now: datetime | None) -> datetime | None:
    s = to_halfwidth(text).strip()
    if not s:
        return None
    if now is None:
        ref = datetime.now(SHANGHAI)
    elif now.tzinfo is None:
        ref = now.replace(tzinfo=SHANGHAI)
    else:
        ref = now.astimezone(SHANGHAI)

    if _TIMESTAMP.fullmatch(s):
        value = float(s)
        if len(s.split(".")[0]) == 13:
            value /= 1000
        try:
            dt = datetime.fromtimestamp(value, SHANGHAI)
        except (OverflowError, OSError, ValueError):
            return None
        return dt if _MIN_YEAR <= dt.year <= _MAX_YEAR else None

    m = _FULL.search(s)
    if m:
        h, mi, se = _hms(m)
        y, mo, d = int(m.group("y")), int(m.group("m")), int(m.group("d"))
        if m.group("tz"):
            if not _MIN_YEAR <= y <= _MAX_YEAR:
                return None
            try:
                return datetime(y, mo, d, h, mi, se, tzinfo=_tz_offset(m.group("tz"))).astimezone(SHANGHAI)
            except ValueError:
                return None
        return _build(y, mo, d, h, mi, se)

    m = _COMPACT.fullmatch(s)
    if m:
        return _build(int(m.group("y")), int(m.group("m")), int(m.group("d")))

    if _JUST_NOW.search(s):
        return ref

    m = _RELATIVE.search(s)
    if m:
        n = _cn_int(m.group("n"))
        if n is None:
            return None
        try:
            return ref - timedelta(seconds=n * _UNIT_SECONDS[m.group("u")])
        except OverflowError:
            return None

    m = _DAY_WORD.search(s)
    if m:
        day = ref - timedelta(days=_DAY_WORDS[m.group(1)])
        h, mi, se = _hms(m)
        return _build(day.year, day.month, day.day, h, mi, se)

    m = _MONTH_DAY.search(s)
    if m:
        h, mi, se = _hms(m)
        mo, d = int(m.group("m")), int(m.group("d"))
        this_year = _build(ref.year, mo, d, h, mi, se)
        # A year-less listing date is in the past: 12-30 read on 2 January is last year's.
        if this_year is None or this_year.date() > ref.date():
            return _build(ref.year - 1, mo, d, h, mi, se)
        return this_year
    return None
