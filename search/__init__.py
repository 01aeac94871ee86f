"""Index backends behind one protocol (embedded default, Elasticsearch) and the query model."""

from search.base import FACET_FIELDS, ReindexableBackend, SearchBackend, SearchQuery, SearchResult, WageCell

__all__ = ["FACET_FIELDS", "ReindexableBackend", "SearchBackend", "SearchQuery", "SearchResult", "WageCell"]
