"""Gig category from a posting's title (then description), by keyword lists in ``categories.yaml``."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from importlib.resources import files
from typing import Any, NamedTuple

import yaml

from .script import to_simplified

__all__ = ["category_names", "classify_category"]


class _Matcher(NamedTuple):
    names: tuple[str, ...]
    title: re.Pattern[str]
    title_map: dict[str, int]
    description: re.Pattern[str]
    description_map: dict[str, int]


_matcher: _Matcher | None = None
_lock = threading.Lock()


def _compile(words: dict[str, int]) -> re.Pattern[str]:
    # Longest first, so 外卖配送 is read before 配送.
    alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(alternation or r"(?!x)x")


def _load() -> _Matcher:
    global _matcher
    if _matcher is not None:
        return _matcher
    with _lock:
        if _matcher is None:
            raw: Any = yaml.safe_load(files("normalize").joinpath("categories.yaml").read_text("utf-8"))
            names: list[str] = []
            title_words: dict[str, int] = {}
            description_words: dict[str, int] = {}
            for index, entry in enumerate(raw["categories"]):
                names.append(str(entry["name"]))
                for word in entry.get("keywords") or []:
                    w = str(word).lower()
                    title_words.setdefault(w, index)
                    description_words.setdefault(w, index)
                for word in entry.get("title_only") or []:
                    title_words.setdefault(str(word).lower(), index)
            _matcher = _Matcher(tuple(names), _compile(title_words), title_words,
                                _compile(description_words), description_words)
    assert _matcher is not None
    return _matcher


def _best(text: str, rx: re.Pattern[str], mapping: dict[str, int]) -> int | None:
    best: int | None = None
    for m in rx.finditer(text):
        index = mapping[m.group(0)]
        if best is None or index < best:
            best = index
            if best == 0:
                break
    return best


def classify_category(title: str | None, description: str | None = None) -> str | None:
    """The posting's category name (e.g. ``家政保洁``), or ``None`` when no keyword matches."""
    try:
        m = _load()
        if isinstance(title, str) and title:
            # Titles repeat across postings: the title pass is cached.
            index = _title_index(title) if len(title) <= 200 else _title_index.__wrapped__(title)
            if index is not None:
                return m.names[index]
        if isinstance(description, str) and description:
            index = _best((to_simplified(description) or "").lower(), m.description, m.description_map)
            if index is not None:
                return m.names[index]
    except Exception:
        return None
    return None


@lru_cache(maxsize=16384)
def _title_index(title: str) -> int | None:
    m = _load()
    return _best((to_simplified(title) or "").lower(), m.title, m.title_map)


def category_names() -> tuple[str, ...]:
    """Every category ``classify_category`` can return, in priority order."""
    return _load().names
