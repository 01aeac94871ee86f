"""Script and width normalisation: traditional → simplified, full-width → half-width."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

__all__ = ["to_halfwidth", "to_simplified"]

# Full-width ASCII variants (U+FF01–U+FF5E) sit at a fixed offset from ASCII; the
# ideographic space is the one outlier. Corner brackets and CJK punctuation are kept.
_HALFWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_HALFWIDTH[0x3000] = 0x20
_FULLWIDTH = re.compile("[\uff01-\uff5e\u3000]")

_converter: Any = None
_lock = threading.Lock()


def _t2s() -> Any:
    # Built on first use: importing normalize must stay cheap for code that never
    # meets traditional script, and one instance is reused (construction parses the
    # dictionaries).
    global _converter
    if _converter is None:
        with _lock:
            if _converter is None:
                import opencc

                _converter = opencc.OpenCC("t2s")
    return _converter


def to_simplified(text: str | None) -> str | None:
    """Traditional → simplified Chinese with OpenCC ``t2s``; ``None`` stays ``None``."""
    if text is None:
        return None
    if not isinstance(text, str):
        return None
    if text.isascii():
        return text
    # Titles, employer names and places repeat across postings. Long free text does not,
    # but one posting's description is met again within the posting (the category is
    # read from it): a short cache of recent long texts catches that.
    if len(text) <= 64:
        return _convert_cached(text)
    return _convert_recent(text)


def _convert(text: str) -> str:
    try:
        return str(_t2s().convert(text))
    except Exception:  # opencc is C++; a bad surrogate must not take the pipeline down
        return text


@lru_cache(maxsize=65536)
def _convert_cached(text: str) -> str:
    return _convert(text)


@lru_cache(maxsize=256)
def _convert_recent(text: str) -> str:
    return _convert(text)


def to_halfwidth(text: str) -> str:
    """Full-width digits, letters and ASCII punctuation → their half-width forms."""
    # str.translate looks every character of non-ASCII text up in the table (slow on a
    # description); most text has nothing to translate, which a regex scan finds in C.
    return text.translate(_HALFWIDTH) if _FULLWIDTH.search(text) else text
