"""Employer names and job titles: display forms and matching keys."""

from __future__ import annotations

import re
from functools import lru_cache

from .script import to_halfwidth, to_simplified

__all__ = ["clean_employer_name", "employer_core", "employer_key", "title_key"]

_SPACES = re.compile(r"\s+")
# Display names keep Chinese punctuation (，、); only letters, digits and spaces narrow.
_ALNUM_HALF = {
    cp: cp - 0xFEE0 for cp in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
}
_ALNUM_HALF[0x3000] = 0x20
# str.translate looks up every character of non-ASCII text (slow); these find in C
# whether there is anything to translate at all.
_HAS_ALNUM_FULL = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000]")
_OPEN = "(（【[〔〖{"
_CLOSE = ")）】]〕〗}"
_TO_ROUND = str.maketrans({**{c: "(" for c in _OPEN}, **{c: ")" for c in _CLOSE}})
_HAS_BRACKET = re.compile("[" + re.escape(_OPEN + _CLOSE) + "]")
_INNER_BRACKET = re.compile(r"\(([^()]*)\)")
_BRANCH = re.compile(
    r"(?:第[一二三四五六七八九十\d]+)?(?:分公司|分店|营业部|分部|办事处|分行|支行|分厂|分中心|分所|门店)$"
)
_FORM = re.compile(r"(?:有限责任公司|股份有限公司|集团有限公司|有限公司|集团公司|公司|集团)$")
_PLACE_SUFFIX = "省市区县州盟旗镇"
_NOT_KEY_CHARS = re.compile(r"[^0-9a-z\u3400-\u9fff]+")
_EXTRA_PLACES = frozenset({"中国", "国际", "亚洲", "香港", "澳门", "台湾"})
_RECRUITING = re.compile(r"(?:校园招聘|社会招聘|招聘中心|招聘部|招聘处|人力资源部|人事部|招聘)$")

# Title decorations: urgency, perks and pay terms that vary between copies of one job.
_TITLE_BRACKETS = re.compile(r"【[^】]*】|\[[^\]]*\]|〖[^〗]*〗|「[^」]*」")
_DECORATION = (
    r"急招|急聘|急需|诚聘|高薪|长期|直招|热招|火热招聘|招聘|聘请|包吃住|包吃|包住|日结|周结|月结|"
    r"五险一金|双休|名额有限|大量|可兼职|无需经验|无经验|薪资高|工资高"
)
_TITLE_PAREN = re.compile(r"[(（][^()（）]*(?:" + _DECORATION + r")[^()（）]*[)）]")
_TITLE_WORDS = re.compile(_DECORATION)


def _is_place(text: str) -> bool:
    from .location import _load

    try:
        names = _load().place_names
    except Exception:
        return False
    s = text.strip()
    if not s:
        return False
    while s:
        for size in range(min(len(s), 10), 1, -1):
            head = s[:size]
            if head in names or head in _EXTRA_PLACES:
                s = s[size:]
                if s[:1] and s[0] in _PLACE_SUFFIX:
                    s = s[1:]
                break
        else:
            return False
    return True


def _strip_trailing_places(s: str) -> str:
    from .location import _load

    names = _load().place_names
    changed = True
    while changed and s:
        changed = False
        for size in range(min(len(s) - 1, 10), 1, -1):
            tail = s[-size:]
            core = tail[:-1] if tail[-1] in _PLACE_SUFFIX else tail
            if tail in names or core in names:
                s = s[:-size]
                changed = True
                break
    return s


def employer_core(key: str | None) -> str | None:
    """An employer key without the place names it starts with: ``佛山旭腾地产营销策划`` → ``旭腾地产营销策划``.

    Copies of one posting name the employer with and without its registration place
    (珠海市海峰机械设备制造 / 海峰机械设备制造) or a recruiting suffix (北京新东方校园招聘); dedupe
    compares this core within one city. The key is kept whole when too little would be left
    (``北京大学``).
    """
    if not isinstance(key, str) or not key:
        return None
    return _employer_core(key)


@lru_cache(maxsize=65536)
def _employer_core(key: str) -> str:
    from .location import _load

    try:
        names = _load().place_names
    except Exception:
        return key
    s = _RECRUITING.sub("", key) if len(key) > 6 else key  # 北京新东方校园招聘 → 北京新东方
    changed = True
    while changed:
        changed = False
        for size in range(min(len(s) - 4, 10), 1, -1):
            head = s[:size]
            if head in names or head in _EXTRA_PLACES:
                rest = s[size:]
                if rest[:1] and rest[0] in _PLACE_SUFFIX and len(rest) > 5:
                    rest = rest[1:]
                s, changed = rest, True
                break
    return s


def clean_employer_name(name: str | None) -> str | None:
    """The employer's real name tidied: trimmed, simplified, brackets as in registered names （）."""
    if not isinstance(name, str):
        return None
    return _clean_employer_name(name)


@lru_cache(maxsize=65536)
def _clean_employer_name(name: str) -> str | None:
    s = to_simplified(name.translate(_ALNUM_HALF) if _HAS_ALNUM_FULL.search(name) else name) or ""
    s = _SPACES.sub(" ", s).strip()
    s = s.replace("(", "（").replace(")", "）")
    return s or None


def employer_key(name: str | None) -> str | None:
    """Matching key: 腾讯科技（北京）有限公司 → ``腾讯科技``; branches fold into the parent."""
    if not isinstance(name, str):
        return None
    return _employer_key(name)


@lru_cache(maxsize=65536)
def _employer_key(name: str) -> str | None:
    try:
        s = to_simplified(to_halfwidth(name)) or ""
        s = _SPACES.sub("", s).lower()
        if _HAS_BRACKET.search(s):
            s = s.translate(_TO_ROUND)
        # Innermost brackets first, so 某某(集团)(北京) loses only the place.
        while True:
            m = _INNER_BRACKET.search(s)
            if m is None:
                break
            inner = m.group(1)
            s = s[: m.start()] + ("" if _is_place(inner) else inner) + s[m.end():]
        m = _BRANCH.search(s)
        if m is not None and m.start() > 0:
            head = s[: m.start()]
            cut = head.rfind("公司")
            head = head[: cut + 2] if cut >= 0 else _strip_trailing_places(head)
            s = head
        for _ in range(3):
            stripped = _FORM.sub("", s)
            if stripped == s or not stripped:
                break
            s = stripped
        s = _NOT_KEY_CHARS.sub("", s)
    except Exception:
        return None
    return s or None


def title_key(title: str | None) -> str | None:
    """Dedupe key for a job title: 【急招】日结传单派发★ → ``传单派发``."""
    if not isinstance(title, str):
        return None
    return _title_key(title)


@lru_cache(maxsize=65536)
def _title_key(title: str) -> str | None:
    s = to_simplified(to_halfwidth(title)) or ""
    s = s.lower()
    s = _TITLE_BRACKETS.sub("", s)
    s = _TITLE_PAREN.sub("", s)
    s = _TITLE_WORDS.sub("", s)
    s = _NOT_KEY_CHARS.sub("", s)
    return s or None
