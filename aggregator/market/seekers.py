"""求职人数 for the market report: read from the seeker table another part of lingong owns.

Until that table exists (``aggregator/seekers/``), :func:`catalog_seekers` counts 0 seekers
everywhere, so every 求人倍率 is "—" (nothing to divide by) and no occupation is 紧缺. Once it
exists, the catalog is expected to offer ``count_active_seekers(start, end, region_prefix,
occupation)`` (seekers registered and active in [start, end), whose region code starts with
``region_prefix`` and who want an occupation in ``occupation``: a major group ``4`` or a middle
group ``4-03``, None for any); that method is used as soon as it appears.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aggregator.market.report import SeekerCounter

SEEKERS_NOTE = ("求职人数 is 0: this catalog cannot count active seekers yet (no seeker table, or no "
                "count_active_seekers), so 求人倍率 is not computed (—) "
                "and no occupation can be 紧缺")


def seekers_available(catalog: Any) -> bool:
    """Whether the catalog can count active seekers (the table and its counting method both exist)."""
    return catalog.has_table("seekers") and callable(getattr(catalog, "count_active_seekers", None))


def catalog_seekers(catalog: Any) -> SeekerCounter:
    """A seeker counter over ``catalog``: 0 when the seekers table is absent."""

    def count(start: date, end: date, region_prefix: str, occupation: str | None) -> int:
        if not seekers_available(catalog):
            return 0
        return int(catalog.count_active_seekers(start, end, region_prefix, occupation))

    return count
