"""Index backends behind one protocol (embedded default; Elasticsearch later) and the query model."""

from search.base import FACET_FIELDS, SearchBackend, SearchQuery, SearchResult, WageCell

__all__ = ["FACET_FIELDS", "SearchBackend", "SearchQuery", "SearchResult", "WageCell"]
