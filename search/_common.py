"""What every engine computes the same way: field extraction, relevance boosts, geometry, percentiles, highlights.

Relevance (both engines)::

    score = text score × freshness × verified × nearby
    freshness = 1 + 0.5 ** (|age in days| / FRESH_HALF_LIFE_DAYS)   (1 when posted_at is unknown)
    verified  = VERIFIED_BOOST when employer.verification == "verified", else 1
    nearby    = 1 + 0.5 ** (distance km / NEAR_HALF_DISTANCE_KM)     (only with ``near``; 1 without coordinates)

A posting posted today by a verified employer next door scores up to 6× the
same text from an unknown employer a year ago and far away. The clock is the
backend's (``clock`` argument, default: now), so tests are deterministic.

Wage percentiles are exact: linear interpolation between order statistics
(Hyndman–Fan type 7, as numpy's default and Excel's PERCENTILE.INC), rounded to
cents. Both engines collect the exact wage values of a group (Elasticsearch as
value counts) so the numbers are the same whichever engine answers.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from aggregator.schema import Location

#: Half-life of the freshness boost.
FRESH_HALF_LIFE_DAYS = 14.0
#: Multiplier for postings whose employer is verified.
VERIFIED_BOOST = 1.5
#: Distance at which the proximity boost has halved.
NEAR_HALF_DISTANCE_KM = 10.0
#: ``radius_km`` when ``near`` is given without one.
DEFAULT_RADIUS_KM = 50.0
EARTH_RADIUS_KM = 6371.0088

#: Postings with a naive timestamp are taken to be in China Standard Time.
CST = timezone(timedelta(hours=8))
_REGION_CODE = re.compile(r"^\d{6}$")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def get(doc: Any, *path: str) -> Any:
    """``doc[a][b]...`` or ``None`` when any level is missing, ``None`` or not a dict."""
    cur: Any = doc
    for key in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    return cur


def text(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def timestamp(value: Any) -> int | None:
    """Epoch seconds of an ISO date/datetime (naive → CST), or ``None``."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, datetime):
        return int((value if value.tzinfo else value.replace(tzinfo=CST)).timestamp())
    if isinstance(value, date):
        return int(datetime(value.year, value.month, value.day, tzinfo=CST).timestamp())
    return None


def number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def region_code(doc: dict[str, Any]) -> str | None:
    code = text(get(doc, "location", "code"))
    return code if code is not None and _REGION_CODE.match(code) else None


def region_codes(code: str | None) -> list[str]:
    """The code and its ancestors, so a province or city code matches every county inside."""
    return Location(code=code).region_codes() if code else []


def city_code(code: str | None) -> str | None:
    """The city-level code (xxxx00) a code belongs to: the wage-statistics region."""
    return None if code is None else code[:4] + "00"


def coordinates(doc: dict[str, Any]) -> tuple[float, float] | None:
    lat, lon = number(get(doc, "location", "lat")), number(get(doc, "location", "lon"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def title_key(doc: dict[str, Any]) -> str | None:
    """The title as suggestions complete it: stripped, at most 100 characters."""
    t = text(doc.get("title"))
    return None if t is None else t[:100]


# --- relevance -------------------------------------------------------------------------------------


def freshness(posted_ts: int | None, now_ts: float) -> float:
    if posted_ts is None:
        return 1.0
    return 1.0 + math.pow(0.5, abs(now_ts - posted_ts) / 86400.0 / FRESH_HALF_LIFE_DAYS)


def nearby(distance_km: float | None) -> float:
    return 1.0 if distance_km is None else 1.0 + math.pow(0.5, distance_km / NEAR_HALF_DISTANCE_KM)


# --- geometry --------------------------------------------------------------------------------------


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _half_width_deg(lat0: float, radius_km: float, lat: float) -> float:
    """Half the longitude span of the circle at latitude ``lat`` (degrees; 180 = all; -1 = none)."""
    d = radius_km / EARTH_RADIUS_KM
    p0, p = math.radians(lat0), math.radians(lat)
    den = math.cos(p0) * math.cos(p)
    if den <= 1e-12:
        return 180.0
    c = (math.cos(d) - math.sin(p0) * math.sin(p)) / den
    if c <= -1:
        return 180.0
    if c > 1:
        return -1.0
    return math.degrees(math.acos(c))


Box = tuple[float, float, float, float]  # lat_min, lat_max, lon_min, lon_max


def _lon_boxes(lat_a: float, lat_b: float, lon0: float, half: float) -> list[Box]:
    if half < 0:
        return []
    if half >= 180:
        return [(lat_a, lat_b, -180.0, 180.0)]
    lo, hi = lon0 - half, lon0 + half
    boxes = [(lat_a, lat_b, max(lo, -180.0), min(hi, 180.0))]
    if lo < -180:
        boxes.append((lat_a, lat_b, lo + 360, 180.0))
    if hi > 180:
        boxes.append((lat_a, lat_b, -180.0, hi - 360))
    return boxes


def circle_strips(lat0: float, lon0: float, radius_km: float, strips: int = 32) -> tuple[list[Box], list[Box]]:
    """Boxes whose union covers the circle (outer) and boxes inside it (inner).

    The circle is cut into latitude strips; each strip's longitude span is the
    circle's widest (outer) or narrowest (inner) span within the strip. A point
    in an inner box is within ``radius_km``; a point outside every outer box is
    not; only the thin ring between needs an exact distance.
    """
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    south, north = max(-90.0, lat0 - dlat), min(90.0, lat0 + dlat)
    # Latitude where the circle is widest (sin φ = sin φ0 / cos d).
    s = math.sin(math.radians(lat0)) / max(1e-12, math.cos(radius_km / EARTH_RADIUS_KM))
    peak = math.degrees(math.asin(max(-1.0, min(1.0, s))))
    eps = 1e-9
    outer: list[Box] = []
    inner: list[Box] = []
    step = (north - south) / strips
    for i in range(strips):
        a, b = south + i * step, south + (i + 1) * step if i < strips - 1 else north
        widest = _half_width_deg(lat0, radius_km, min(max(peak, a), b))
        outer += _lon_boxes(a - eps, b + eps, lon0, widest + eps if widest >= 0 else widest)
        narrowest = min(_half_width_deg(lat0, radius_km, a), _half_width_deg(lat0, radius_km, b))
        if narrowest > eps:
            inner += _lon_boxes(a + eps, b - eps, lon0, narrowest - eps)
    return outer, inner


# --- wage percentiles ------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Linear interpolation between order statistics (type 7) of a non-empty sorted sequence."""
    pos = (len(sorted_values) - 1) * p
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return float(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo))


def percentiles_from_counts(counts: Iterable[tuple[float, int]]) -> tuple[int, float, float, float]:
    """(count, p25, median, p75) of a distribution given as (value, how many) pairs."""
    ordered = sorted((v, n) for v, n in counts if n > 0)
    total = sum(n for _, n in ordered)
    cum: list[int] = []
    running = 0
    for _, n in ordered:
        running += n
        cum.append(running)

    def nth(i: int) -> float:  # the i-th smallest value, 0-based
        lo, hi = 0, len(cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] > i:
                hi = mid
            else:
                lo = mid + 1
        return ordered[lo][0]

    def pct(p: float) -> float:
        pos = (total - 1) * p
        lo = math.floor(pos)
        a, b = nth(lo), nth(min(lo + 1, total - 1))
        return round(a + (b - a) * (pos - lo), 2)

    return total, pct(0.25), pct(0.5), pct(0.75)


# --- highlights ------------------------------------------------------------------------------------

#: Characters of context on each side of a description fragment's first mark.
FRAGMENT_CONTEXT = 40
MAX_FRAGMENTS = 3


def escape(value: str) -> str:
    """HTML-escaped as Elasticsearch's ``html`` highlight encoder does (``/`` too)."""
    return html.escape(value).replace("/", "&#x2F;")


def highlight(value: str | None, terms: Iterable[str], *, whole: bool) -> list[str]:
    """``value`` HTML-escaped, with each occurrence of a term wrapped in ``<em>``.

    ``whole``: one fragment, the whole text (titles); otherwise up to
    ``MAX_FRAGMENTS`` snippets around the marks (descriptions). Empty when
    nothing matches. Marks go in after escaping, so source text can never
    inject markup, and nothing but ``<em>``/``</em>`` is added.
    """
    if not value:
        return []
    words = sorted({t for t in terms if t}, key=len, reverse=True)
    if not words:
        return []
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    spans: list[tuple[int, int]] = []
    for m in pattern.finditer(value):
        if spans and m.start() <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], m.end()))
        else:
            spans.append((m.start(), m.end()))
    if not spans:
        return []

    def mark(start: int, end: int) -> str:
        out, pos = [], start
        for a, b in spans:
            if b <= start or a >= end:
                continue
            a, b = max(a, start), min(b, end)
            out += [escape(value[pos:a]), "<em>", escape(value[a:b]), "</em>"]
            pos = b
        out.append(escape(value[pos:end]))
        return "".join(out)

    if whole:
        return [mark(0, len(value))]
    fragments: list[str] = []
    covered = -1
    for a, b in spans:
        if a < covered:
            continue
        start, end = max(0, a - FRAGMENT_CONTEXT), min(len(value), b + FRAGMENT_CONTEXT)
        fragments.append(mark(start, end))
        covered = end
        if len(fragments) == MAX_FRAGMENTS:
            break
    return fragments
