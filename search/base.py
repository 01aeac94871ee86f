"""The search backend protocol and the query model every engine answers.

Documents are public postings (``aggregator.privacy.public_posting(p).model_dump(mode="json")``)
for the canonical member of a duplicate cluster, keyed by ``cluster_id`` and
carrying ``other_sources``. One document per cluster, so every hit is a
distinct job. Backends never see unmasked contacts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

#: Facets every backend computes, in this order.
FACET_FIELDS: tuple[str, ...] = ("region", "category", "pay_unit", "employment_type")


class SearchQuery(BaseModel):
    """What a caller asks. ``q`` is plain user text, never query syntax.

    Every engine must answer every field the same way (the conformance suite in
    ``tests/search`` proves it on each backend).
    """

    model_config = ConfigDict(extra="forbid")

    q: str = Field(default="", max_length=200)
    region: str | None = Field(default=None, pattern=r"^\d{6}$")  # any level: province, city or county
    category: str | None = None
    employment_type: str | None = None
    pay_unit: str | None = None
    min_daily_wage: float | None = Field(default=None, ge=0)  # on salary.daily_estimate
    near: tuple[float, float] | None = None  # (lat, lon); needs location.lat/lon on documents
    radius_km: float | None = Field(default=None, gt=0, le=2000)  # with ``near``; default 50 km
    verified_only: bool = False
    posted_within_days: int | None = Field(default=None, ge=1, le=3650)
    sort: Literal["relevance", "newest", "distance", "wage"] = "relevance"
    page_size: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=10_000)
    highlight: bool = False  # items get "highlights": {"title": [...], "description": [...]} with <em> marks


class WageCell(BaseModel):
    """Pay offered in postings (not a 指导价) for one group: daily-equivalent CNY percentiles."""

    region: str | None = None
    category: str | None = None
    count: int
    p25: float | None = None
    median: float | None = None
    p75: float | None = None


class SearchResult(BaseModel):
    """``total`` hits, one page of ``items`` (documents), and ``facets`` as {field: {value: count}}.

    ``facets["region"]`` counts by the county-level (most specific) code.
    """

    total: int
    items: list[dict[str, Any]]
    facets: dict[str, dict[str, int]]


@runtime_checkable
class SearchBackend(Protocol):
    """An index engine. Writes are idempotent: upserting a document twice leaves one."""

    name: str

    def upsert(self, docs: Sequence[dict[str, Any]]) -> None:
        """Insert or replace documents by their ``cluster_id``."""

    def delete(self, ids: Sequence[str]) -> None:
        """Remove documents by ``cluster_id``; unknown ids are ignored."""

    def commit(self) -> None:
        """Make writes durable and visible to ``search``."""

    def search(self, query: SearchQuery) -> SearchResult:
        """Answer a query."""

    def count(self) -> int:
        """Number of documents in the index."""

    def get(self, cluster_id: str) -> dict[str, Any] | None:
        """One document by ``cluster_id``, or ``None``."""

    def suggest(self, prefix: str, size: int = 10) -> list[str]:
        """Distinct job titles starting with ``prefix`` (plain text), most frequent first."""

    def wage_stats(self, query: SearchQuery, by: Sequence[Literal["region", "category"]]) -> list[WageCell]:
        """Daily-wage percentiles of the query's hits grouped by ``by`` (region = city-level code)."""

    def clear(self) -> None:
        """Drop every document (used by ``lingong reindex``)."""

    def close(self) -> None:
        """Release files and connections."""


@runtime_checkable
class ReindexableBackend(SearchBackend, Protocol):
    """A backend that can rebuild into a fresh index while searches keep the old one (``lingong reindex``).

    ``reindex_begin()``; then ``upsert``/``delete``/``commit`` as usual (they go to the new index and
    searches do not see them); ``reindex_commit()`` publishes it at once (Elasticsearch: an atomic
    alias swap; embedded: one commit); ``reindex_abort()`` drops it.
    """

    def reindex_begin(self) -> object:
        """Start a rebuild (Elasticsearch returns the new index's name)."""

    def reindex_commit(self) -> None:
        """Publish the rebuilt index atomically."""

    def reindex_abort(self) -> None:
        """Drop the rebuild; the live index stays as it was."""
