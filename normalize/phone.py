"""Chinese phone numbers: find, normalise, mask.

Candidates are found with our own pattern (fast, and it catches 138-0013-8000 and
numbers glued to CJK text); ``phonenumbers`` (region CN) validates them and tells a
landline's area code from its subscriber number.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

__all__ = ["find_phones", "mask_phone", "mask_phones_in_text", "normalize_phone"]

_CANDIDATE = re.compile(
    r"(?<![\dA-Za-z])(?:(?:\+|00)?86[\s-]?)?"
    r"(?:1[3-9]\d(?:[\s-]?\d){8}"  # mobile, digits optionally grouped: 138-0013-8000
    r"|\(?0\d{2,3}\)?[\s-]?\d{3,4}[\s-]?\d{4}"  # landline with area code: 0551-67247533, (0793)8888888
    r"|[48]00[\s-]?\d{3}[\s-]?\d{4})"  # 400/800 service numbers
    r"(?![\d])"
)
# A local number without area code is only a phone number when labelled as one.
_LOCAL = re.compile(r"(?:电话|座机|热线|固话|tel|Tel|TEL)\s*[:：]?\s*(\d{3,4}[\s-]?\d{4})(?!\d)")
_NON_DIGIT = re.compile(r"\D")
_AREA_HINT = re.compile(r"0?(\d{2,3})-?")
_REGION_CODE = re.compile(r"\d{6}")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_MOBILE_PREFIXES = frozenset({"", "86", "0086"})

_pn: Any = None
_area_by_region: dict[str, str] | None = None
_lock = threading.Lock()


def _phonenumbers() -> Any:
    global _pn
    if _pn is None:
        import phonenumbers

        _pn = phonenumbers
    return _pn


def _area_codes() -> dict[str, str]:
    """GB/T 2260 city code → telephone area code, from phonenumbers' own geocoding data."""
    global _area_by_region
    if _area_by_region is None:
        with _lock:
            if _area_by_region is None:
                from phonenumbers.geodata import GEOCODE_DATA

                from .location import parse_location

                table: dict[str, str] = {}
                for prefix, names in GEOCODE_DATA.items():
                    # Landline prefixes are 86 + a 2–3 digit area code; longer keys are mobile blocks.
                    if not prefix.startswith("86") or prefix[2] == "1" or not 4 <= len(prefix) <= 5:
                        continue
                    loc = parse_location(names.get("zh") or "")
                    if loc is not None and loc.code:
                        table.setdefault(loc.code[:4] + "00", "0" + prefix[2:])
                        table.setdefault(loc.code[:2] + "0000", "0" + prefix[2:])
                _area_by_region = table
    return _area_by_region


def _area_from_hint(hint: str | None) -> str | None:
    if not isinstance(hint, str):
        return None
    h = hint.strip()
    if _REGION_CODE.fullmatch(h):
        codes = _area_codes()
        return codes.get(h[:4] + "00") or codes.get(h[:2] + "0000")
    m = _AREA_HINT.fullmatch(h)
    return "0" + m.group(1) if m else None


def _format(num: Any) -> str | None:
    pn = _phonenumbers()
    if num.country_code != 86 or not pn.is_valid_number(num):
        return None
    nsn = str(num.national_number)
    if _MOBILE.fullmatch(nsn):
        return nsn
    area_len = pn.length_of_geographical_area_code(num)
    if area_len:
        return "0" + nsn[:area_len] + "-" + nsn[area_len:]
    return nsn


@lru_cache(maxsize=16384)
def _parse(raw: str) -> str | None:
    # An employer's number recurs across its postings; phonenumbers is slow (~100 µs a number).
    try:
        return _format(_phonenumbers().parse(raw, "CN"))
    except Exception:
        return None


def _spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for m in _CANDIDATE.finditer(text):
        raw = m.group(0)
        digits = _NON_DIGIT.sub("", raw)
        if _MOBILE.fullmatch(digits[-11:]) or _parse(raw) is not None:
            spans.append(m.span())
    for m in _LOCAL.finditer(text):
        s, e = m.span(1)
        if not any(a <= s < b for a, b in spans):
            spans.append((s, e))
    spans.sort()
    return spans


def find_phones(text: str | None) -> list[str]:
    """Phone numbers in free text, as written (``138-0013-8000``, ``0551-67247533``)."""
    if not isinstance(text, str) or not text:
        return []
    try:
        return [text[a:b] for a, b in _spans(text)]
    except Exception:
        return []


def normalize_phone(text: str | None, area_hint: str | None = None) -> str | None:
    """First phone number in ``text``: mobile → ``13800138000``, landline → ``0551-67247533``.

    ``area_hint`` (an area code such as ``0551``, or a GB/T 2260 code such as
    ``340100``) completes a local number written without its area code.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        for m in _CANDIDATE.finditer(text):
            raw = m.group(0)
            digits = _NON_DIGIT.sub("", raw)
            if digits.isascii() and _MOBILE.fullmatch(digits[-11:]) and digits[:-11] in _MOBILE_PREFIXES:
                # A mobile (+86/0086 at most before it): phonenumbers would give these 11
                # digits back whether or not it knows the block, so it is not asked (it is
                # most of the cost of a posting with a mobile number).
                return digits[-11:]
            got = _parse(raw)
            if got is None and _MOBILE.fullmatch(digits[-11:]):
                got = digits[-11:]  # unallocated in phonenumbers' metadata, still a mobile
            if got is not None:
                return got
        digits = _NON_DIGIT.sub("", text)
        if 7 <= len(digits) <= 8:
            area = _area_from_hint(area_hint)
            if area:
                return _parse(area + digits)
    except Exception:
        return None
    return None


def mask_phone(phone: str | None) -> str:
    """``13800138000`` → ``138****8000``; ``0551-67247533`` → ``0551-****7533``."""
    if not isinstance(phone, str):
        return "****"
    norm = normalize_phone(phone) or phone.strip()
    if "-" in norm and norm.startswith("0"):
        area, _, local = norm.partition("-")
        local = _NON_DIGIT.sub("", local)
        return f"{area}-****{local[-4:]}" if len(local) >= 4 else f"{area}-****"
    digits = _NON_DIGIT.sub("", norm)
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) >= 4:
        return "****" + digits[-4:]
    return "****"


def mask_phones_in_text(text: str) -> str:
    """``text`` with every phone number in it replaced by its masked form."""
    if not isinstance(text, str) or not text:
        return text
    try:
        spans = _spans(text)
    except Exception:
        return text
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for a, b in spans:
        parts.append(text[last:a])
        parts.append(mask_phone(text[a:b]))
        last = b
    parts.append(text[last:])
    return "".join(parts)
