"""Employment arrangement and headcount."""

from __future__ import annotations

import re
from functools import lru_cache

from aggregator.schema import EmploymentType

from .script import to_halfwidth, to_simplified

__all__ = ["parse_employment_type", "parse_headcount"]

# Most specific arrangement first: 兼职小时工 is hourly work, 短期兼职 is temporary.
_TYPES: tuple[tuple[EmploymentType, re.Pattern[str]], ...] = (
    ("gig", re.compile(r"零工|灵活用工|灵活就业|众包|\bgig\b", re.IGNORECASE)),
    ("hourly", re.compile(r"小时工|钟点工|按小时|计时工|hourly", re.IGNORECASE)),
    ("temporary", re.compile(r"临时工|临时|短期|短工|日结工|temporary|temp\b", re.IGNORECASE)),
    ("part_time", re.compile(r"兼职|part[\s-]?time", re.IGNORECASE)),
    ("full_time", re.compile(r"全职|正式工|正式员工|长期工|full[\s-]?time", re.IGNORECASE)),
)

_NUMBER = re.compile(r"(\d+)(?:\s*(?:-|~|至|到)\s*(\d+))?")
_CN_NUMBER = re.compile(r"[零一二两三四五六七八九十百千万]+")
_UNSPECIFIED = re.compile(r"若干|不限|多名|大量|数名")
_HEADCOUNT_MAX = 100_000


def parse_employment_type(text: str | None) -> EmploymentType | None:
    """零工/灵活用工 → gig, 小时工 → hourly, 临时工/短期 → temporary, 兼职 → part_time, 全职 → full_time."""
    if not isinstance(text, str) or not text:
        return None
    return _employment_type(text) if len(text) <= 64 else _employment_type.__wrapped__(text)


@lru_cache(maxsize=16384)
def _employment_type(text: str) -> EmploymentType | None:
    # Read from a type column or the title: both repeat across postings.
    s = to_simplified(text) or text
    for kind, rx in _TYPES:
        if rx.search(s):
            return kind
    return None


def parse_headcount(text: str | int | None) -> int | None:
    """招20人 → 20, 5-10人 → 10; 若干/不限/0 → ``None``."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if 0 < text <= _HEADCOUNT_MAX else None
    if not isinstance(text, str):
        return None
    s = to_halfwidth(text)
    if _UNSPECIFIED.search(s):
        return None
    m = _NUMBER.search(s)
    value: int | None = None
    if m:
        value = int(m.group(2) or m.group(1)) if len(m.group(2) or m.group(1)) < 9 else None
    else:
        cn = _CN_NUMBER.search(s)
        if cn:
            try:
                import cn2an

                value = int(cn2an.cn2an(cn.group(0), "smart"))
            except Exception:
                value = None
    if value is None or not 0 < value <= _HEADCOUNT_MAX:
        return None
    return value
