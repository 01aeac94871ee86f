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
    """What a caller asks. ``q`` is plain user text, never query syntax."""

    model_config = ConfigDict(extra="forbid")

    q: str = ""
    region: str | None = Field(default=None, pattern=r"^\d{6}$")  # any level: province, city or county
    category: str | None = None
    employment_type: str | None = None
    pay_unit: str | None = None
    verified_only: bool = False
    sort: Literal["relevance", "newest", "wage"] = "relevance"
    page_size: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=10_000)


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

    def clear(self) -> None:
        """Drop every document (used by ``lingong reindex``)."""

    def close(self) -> None:
        """Release files and connections."""
