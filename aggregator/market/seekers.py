"""求职人数 for the market report: active seeker registrations, counted by the catalog.

The catalog offers ``count_active_seekers(start, end, region_prefix, occupation)`` (see
:meth:`aggregator.catalog.Catalog.count_active_seekers`: seeker registrations made before ``end``
and not deleted, whose region code starts with ``region_prefix`` and who want an occupation within
``occupation``, a major group ``4`` or a middle group ``4-03``, None for any). A catalog without
it (an older one, or another implementation) counts 0 seekers everywhere.

The report carries :data:`SEEKERS_NOTE` when there is nothing to count: no seeker has registered
(``POST /v1/seekers`` or a ``kind: seekers`` source), so every 求人倍率 is "—" (nothing to divide by)
and no occupation can be 紧缺.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aggregator.market.report import SeekerCounter

SEEKERS_NOTE = ("求职人数 is 0: no seeker registrations in this catalog (POST /v1/seekers or a kind: seekers "
                "source), so 求人倍率 is not computed (—) and no occupation can be 紧缺")


def _can_count(catalog: Any) -> bool:
    return bool(catalog.has_table("seekers")) and callable(getattr(catalog, "count_active_seekers", None))


def seekers_available(catalog: Any) -> bool:
    """Whether the catalog can count seekers and holds at least one seeker registration (else the note applies)."""
    return _can_count(catalog) and int(catalog.count_active_seekers(date.min, date.max, "", None)) > 0


def catalog_seekers(catalog: Any) -> SeekerCounter:
    """A seeker counter over ``catalog``: 0 when it cannot count seekers."""
    can_count = _can_count(catalog)

    def count(start: date, end: date, region_prefix: str, occupation: str | None) -> int:
        if not can_count:
            return 0
        return int(catalog.count_active_seekers(start, end, region_prefix, occupation))

    return count
