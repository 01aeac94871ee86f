"""What role a job title names: 月4000+双休聘渠道销售专员 → role words {销售}, modifier ``渠道``.

Used by dedupe to tell one job retitled (``渠道销售`` / ``渠道销售专员``, or a clickbait title such as
``月入三万不是梦想`` that names no role at all) from one employer's template text posted under two roles
(``销售助理`` / ``网络销售``, ``室内设计师`` / ``园林景观设计师``). The word lists live in
``data/roles.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

import yaml

from .names import title_key

__all__ = ["Role", "role_of", "same_role"]


@dataclass(frozen=True, slots=True)
class Role:
    """The role a title names: its role words (canonical forms) and the modifier text around them."""

    words: frozenset[str]
    modifier: str


@dataclass(frozen=True)
class _Lexicon:
    synonyms: tuple[tuple[str, str], ...]
    roles: frozenset[str]
    generic: tuple[str, ...]
    levels: tuple[str, ...]
    role_suffixes: tuple[str, ...]
    shifts: re.Pattern[str]
    longest: int
    decorations: re.Pattern[str]
    aspects: tuple[tuple[str, str], ...]  # (modifier word, what it says of the job), longest words first


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    raw: Any = yaml.safe_load(files("normalize").joinpath("data").joinpath("roles.yaml").read_text("utf-8"))
    synonyms = tuple(sorted(((str(k), str(v)) for k, v in raw["synonyms"].items()), key=lambda kv: -len(kv[0])))
    roles = frozenset(str(w) for w in raw["roles"])
    generic = tuple(sorted((str(w) for w in raw["generic"]), key=len, reverse=True))
    decorations = re.compile("|".join(f"(?:{p})" for p in raw["decorations"]))
    levels = tuple(str(w) for w in raw["levels"])
    suffixes = tuple(str(w) for w in raw["role_suffixes"])
    shifts = re.compile("(" + "|".join(sorted(map(str, raw["shifts"]), key=len, reverse=True)) + ")")
    aspects = tuple(sorted(((str(w), str(kind)) for kind, ws in raw["modifier_aspects"].items() for w in ws),
                           key=lambda wk: -len(wk[0])))
    return _Lexicon(synonyms, roles, generic, levels, suffixes, shifts, max(len(w) for w in roles), decorations,
                    aspects)


def role_of(title: str | None, employer: str | None = None) -> Role | None:
    """The role ``title`` names, or None when it names none (``月入三万不是梦想``, ``汉口高薪招聘``).

    ``employer`` (an employer key, :func:`normalize.employer_key`) is left out of the title first:
    ``鑫丰房产急聘销售代表`` names 销售 for 鑫丰房产, and a title that is only the company's name names no role.
    """
    if not isinstance(title, str):
        return None
    key = title_key(title)
    return _role_of(key, employer or "") if key else None


@lru_cache(maxsize=65536)
def _role_of(key: str, employer: str) -> Role | None:
    lex = _lexicon()
    s = key
    if employer:
        from .names import employer_core

        for name in (employer, employer_core(employer)):
            if name and len(name) >= 2 and name in s:
                s = s.replace(name, "")
                break
    for variant, canonical in lex.synonyms:
        if variant in s and canonical not in s:
            s = s.replace(variant, canonical)
    words: set[str] = set()
    rest: list[str] = []
    i, n = 0, len(s)
    while i < n:
        for size in range(min(lex.longest, n - i), 0, -1):
            word = s[i:i + size]
            if word in lex.roles:
                words.add(word)
                i += size
                suffix = next((g for g in lex.generic if s.startswith(g, i)), "")
                i += len(suffix)
                rest.append("|")
                break
        else:
            rest.append(s[i])
            i += 1
    if not words:
        whole = _plain(s)
        if len(whole) >= 2 and whole.endswith(lex.role_suffixes):
            return Role(frozenset({_strip(whole) or whole}), "")  # a role the list lacks: 融资专员, 品质部
        return None  # hype (月入三万不是梦想, 点开就有意想不到的惊喜) or a place
    modifier = "".join(_strip(part) for part in "".join(rest).split("|"))
    return Role(frozenset(words), modifier)


def _strip(part: str) -> str:
    """A piece of title outside the role words without decorations and place names."""
    if not part:
        return ""
    lex = _lexicon()
    part = _plain(part)
    for word in lex.generic:  # 品牌代表 → 品牌, 二手房租赁专员 → 二手房租赁
        if len(word) > 1 and part.endswith(word):
            return part[:-len(word)]
    return part


def _plain(part: str) -> str:
    """``part`` without decorations and place names; shifts (白班, 两班倒) stay."""
    lex = _lexicon()
    pieces = lex.shifts.split(part)  # the shifts are the captured, odd-numbered pieces
    return "".join(p if i % 2 else _strip_places(lex.decorations.sub("", p)) for i, p in enumerate(pieces))


def _strip_places(s: str) -> str:
    from .location import _load

    try:
        names = _load().place_names
    except Exception:
        return s
    out: list[str] = []
    i = 0
    while i < len(s):
        for size in range(min(len(s) - i, 8), 1, -1):
            if s[i:i + size] in names:
                i += size
                if i < len(s) and s[i] in "省市区县镇":
                    i += 1
                break
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def same_role(a: str | None, b: str | None, employer_a: str | None = None,
              employer_b: str | None = None, exact: bool = False) -> bool | None:
    """Whether two titles name one role: True, False, or None when either names no role.

    One role: the same role words, and modifiers that are equal, empty on one side or one inside
    the other (``网络主播`` / ``网络秀场主播``). Two roles: other role words (``销售助理`` /
    ``网络销售``), other modifiers (``电话销售`` / ``网络销售``, ``全职分拣员`` / ``兼职分拣员``) or
    other levels (``初级理财经理`` / ``理财经理``). Modifiers that each say another aspect of the job
    (``金融营销`` / ``网络营销``: what is sold, and through which channel; ``modifier_aspects`` in
    ``roles.yaml``) are one role. A title listing roles (``投资顾问/网络销售员``)
    names one role with another when any of its roles does. ``employer_a`` / ``employer_b``: as for
    :func:`role_of`. ``exact``: one role only when role words and modifiers are equal.
    """
    roles_a = _alternatives(a, employer_a or "") if isinstance(a, str) else ()
    roles_b = _alternatives(b, employer_b or "") if isinstance(b, str) else ()
    if not roles_a or not roles_b:
        return None
    if exact:
        return any(ra == rb for ra in roles_a for rb in roles_b)
    return any(_one_role(ra, rb) for ra in roles_a for rb in roles_b)


_SEPARATORS = re.compile(r"[/／、|｜+＋;；]")


@lru_cache(maxsize=65536)
def _alternatives(title: str, employer: str) -> tuple[Role, ...]:
    """The roles a title offers: ``投资顾问/网络销售员`` offers two; parts naming none (``双休``) drop out."""
    parts = [title, *_SEPARATORS.split(title)] if _SEPARATORS.search(title) else [title]
    found = [role_of(part, employer) for part in parts]
    if len(found) > 1 and any(r is not None for r in found[1:]):
        found = found[1:]  # the parts, when any of them names a role, else the whole title
    return tuple(r for r in found if r is not None)


def _one_role(ra: Role, rb: Role) -> bool:
    if ra.words != rb.words:
        return False
    ma, mb = ra.modifier, rb.modifier
    levels = _lexicon().levels
    if {w for w in levels if w in ma} != {w for w in levels if w in mb}:
        return False  # 初级理财客户经理 / 理财经理
    if not ma or not mb or ma in mb or mb in ma:
        return True
    # 金融营销 / 网络营销: one says what is sold, the other through which channel: one role unless they say
    # two things of one aspect (网络 / 电话); modifiers the aspects do not cover stay two roles (室内 / 园林景观)
    aspects_a, aspects_b = _aspects(ma), _aspects(mb)
    if aspects_a is None or aspects_b is None:
        return False
    return all(aspects_a[k] == aspects_b[k] for k in aspects_a.keys() & aspects_b.keys())


@lru_cache(maxsize=8192)
def _aspects(modifier: str) -> dict[str, str] | None:
    """What a modifier says of the job, by aspect (``网络`` → channel 网络), or None when it holds other words."""
    out: dict[str, str] = {}
    i = 0
    while i < len(modifier):
        for word, kind in _lexicon().aspects:
            if modifier.startswith(word, i):
                if out.get(kind, word) != word:
                    return None  # two things of one aspect in one title: leave it to the other rules
                out[kind] = word
                i += len(word)
                break
        else:
            return None
    return out
