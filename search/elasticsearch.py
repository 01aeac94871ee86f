"""The Elasticsearch backend: versioned indices behind an alias, bulk loading, Chinese analysis.

Layout::

    lingong-postings            the alias every search and write goes through
    lingong-postings-v<N>       the index behind it; ``reindex_begin`` builds v<N+1>,
                                ``reindex_commit`` swaps the alias in one request

Each document is the public posting exactly as the indexer built it (returned
as-is by ``search`` and ``get``) plus an ``ix`` object of cleaned values that
the mapping indexes (the root is ``dynamic: false``, so nothing else is
indexed, and odd source values never fail a document)::

    title, description, employer.name   text (``cjk`` bigrams; IK or smartcn by LINGONG_ES_ANALYZER)
    ix.extra                            text: place names, address, category, settlement, benefits
    ix.region                           keyword array: the code and its ancestors, so a
                                        province or city code matches every county inside
    ix.leaf / ix.city                   keyword: the most specific code / its city (xxxx00)
    ix.category, ix.employment_type, ix.pay_unit, ix.verification   keyword
    ix.verified                         boolean
    ix.posted                           date (epoch millis)
    ix.wage                             double: salary.daily_estimate
    ix.geo                              geo_point from location.lat/lon
    ix.title                            keyword: the title for prefix suggestions (exact frequencies)
    ix.suggest                          completion: the same title, for clients that query ES directly
    ix.key                              keyword: cluster_id (deterministic tie-break)

Queries are built as JSON objects from plain user text (``match``-family only,
never ``query_string``). The text is segmented by rjieba exactly as the
embedded engine does and each word becomes a ``multi_match`` of type phrase, so
both engines agree on what a word matches. Relevance multiplies the text score
by the freshness, verified and nearby factors of :mod:`search._common` with
nested ``function_score`` queries (exp decays with the same half-lives).

Writes go through ``_bulk`` in chunks bounded by bytes and documents; items
that fail with 429 or 50x are retried alone with backoff; other item failures
raise :class:`~aggregator.errors.SearchBackendError`. An unreachable engine
raises :class:`~aggregator.errors.BackendUnavailableError` (transient: the
outbox keeps the work).

osmem-server (the in-memory engine the tests run) refuses the client's
``application/vnd.elasticsearch+json; compatible-with=8`` media types, so the
client sends plain ``application/json`` / ``application/x-ndjson`` in both
headers, which Elasticsearch 8 and 9 accept as well.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, Literal

from elastic_transport import ApiResponse, HttpHeaders, TransportError, Urllib3HttpNode
from elastic_transport.client_utils import DEFAULT, DefaultType
from elasticsearch import ApiError, Elasticsearch, NotFoundError

from aggregator.errors import BackendUnavailableError, ConfigError, SearchBackendError
from search import _common as c
from search._tokenize import query_groups
from search.base import FACET_FIELDS, SearchQuery, SearchResult, WageCell

DEFAULT_ALIAS = "lingong-postings"

#: LINGONG_ES_ANALYZER value → (index analyzer, search analyzer). IK and smartcn need the server plugin.
ANALYZERS: dict[str, tuple[str, str]] = {
    "cjk": ("cjk", "cjk"),
    "ik": ("ik_max_word", "ik_smart"),
    "smartcn": ("smartcn", "smartcn"),
}

TEXT_FIELDS: tuple[str, ...] = ("title^3", "employer.name^1.5", "description", "ix.extra^0.5")

_FACET_SOURCE = {"region": "ix.leaf", "category": "ix.category", "pay_unit": "ix.pay_unit",
                 "employment_type": "ix.employment_type"}
_FACET_SIZE = 10_000
_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_VND = re.compile(r"application/vnd\.elasticsearch\+([\w.-]+)\s*;\s*compatible-with=\d+")


class PlainMediaTypeNode(Urllib3HttpNode):
    """Sends plain JSON media types: osmem-server refuses the compatibility ones (ES accepts both)."""

    def perform_request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: DefaultType | float | None = DEFAULT,
    ) -> Any:
        if headers:
            headers = headers.copy()
            for name in ("accept", "content-type"):
                if name in headers:
                    headers[name] = _VND.sub(r"application/\1", headers[name])
        return super().perform_request(method, target, body, headers, request_timeout)


def make_client(url: str, *, request_timeout: float = 30.0) -> Elasticsearch:
    """An 8.x client for ``url`` that talks to Elasticsearch 8/9 and osmem-server alike."""
    return Elasticsearch(url, node_class=PlainMediaTypeNode, request_timeout=request_timeout,
                         max_retries=2, retry_on_timeout=True)


def index_body(analyzer: str = "cjk") -> dict[str, Any]:
    """Settings and mappings of one versioned index (also installed as the index template)."""
    if analyzer not in ANALYZERS:
        raise ConfigError(f"LINGONG_ES_ANALYZER must be one of {', '.join(ANALYZERS)}, got {analyzer!r}")
    index_an, search_an = ANALYZERS[analyzer]
    txt: dict[str, Any] = {"type": "text", "analyzer": index_an, "search_analyzer": search_an}
    kw: dict[str, Any] = {"type": "keyword"}
    return {
        "settings": {"number_of_shards": 1, "max_result_window": 10_100},
        "mappings": {
            "dynamic": False,
            "properties": {
                "title": txt,
                "description": txt,
                "employer": {"properties": {"name": txt}},
                "ix": {"properties": {
                    "key": kw, "extra": txt, "region": kw, "leaf": kw, "city": kw, "category": kw,
                    "employment_type": kw, "pay_unit": kw, "verification": kw,
                    "verified": {"type": "boolean"}, "posted": {"type": "date", "format": "epoch_millis"},
                    "wage": {"type": "double"}, "geo": {"type": "geo_point"},
                    "title": {"type": "keyword", "ignore_above": 256},
                    "suggest": {"type": "completion", "analyzer": "keyword"},
                }},
            },
        },
    }


def _ix(doc: dict[str, Any]) -> dict[str, Any]:
    """The cleaned, indexed values of one document (the ``ix`` object)."""
    get, text = c.get, c.text
    benefits = get(doc, "salary", "benefits")
    extra = [text(get(doc, "location", p)) for p in ("province", "city", "county", "address")]
    extra += [text(doc.get("category")), text(get(doc, "salary", "settlement")), text(get(doc, "salary", "text"))]
    extra += [text(b) for b in benefits] if isinstance(benefits, list) else []
    code = c.region_code(doc)
    verification = text(get(doc, "employer", "verification"))
    ts = c.timestamp(doc.get("posted_at"))
    point = c.coordinates(doc)
    title = c.title_key(doc)
    ix: dict[str, Any] = {
        "key": text(doc.get("cluster_id")),
        "extra": " ".join(x for x in extra if x) or None,
        "region": c.region_codes(code) or None,
        "leaf": code,
        "city": c.city_code(code),
        "category": text(doc.get("category")),
        "employment_type": text(get(doc, "schedule", "employment_type")),
        "pay_unit": text(get(doc, "salary", "unit")),
        "verification": verification,
        "verified": verification == "verified",
        "posted": None if ts is None else ts * 1000,
        "wage": c.number(get(doc, "salary", "daily_estimate")),
        "geo": None if point is None else {"lat": point[0], "lon": point[1]},
        "title": title,
        "suggest": None if title is None else {"input": [title]},
    }
    return {k: v for k, v in ix.items() if v is not None}


@contextmanager
def engine_errors(url: str, what: str, on_unreachable: Callable[[], None] | None = None) -> Iterator[None]:
    """Map the client's errors to lingong's: overload and unreachable are transient (the outbox keeps the work)."""
    try:
        yield
    except ApiError as e:
        if e.status_code in _RETRY_STATUSES:
            raise BackendUnavailableError(f"Elasticsearch at {url} is overloaded ({what}): {e}") from e
        raise SearchBackendError(f"Elasticsearch refused {what}: {e}") from e
    except TransportError as e:  # connection refused or reset, timeout
        if on_unreachable is not None:
            on_unreachable()
        raise BackendUnavailableError(f"Elasticsearch at {url} is unreachable ({what}): {e}") from e


class ElasticsearchBackend:
    """Postings in Elasticsearch (or anything speaking its REST API, such as osmem-server).

    ``alias`` names the alias; its indices are ``<alias>-v<N>``. The alias and
    its first index are created on first use. ``clock`` gives "now" for
    recency filters and boosts.
    """

    name = "elasticsearch"

    def __init__(
        self,
        url: str,
        *,
        alias: str = DEFAULT_ALIAS,
        analyzer: str = "cjk",
        clock: c.Clock = c.system_clock,
        max_chunk_bytes: int = 5 * 1024 * 1024,
        max_chunk_docs: int = 2_000,
        max_retries: int = 4,
        request_timeout: float = 30.0,
    ) -> None:
        self.url = url
        self.alias = alias
        self.analyzer = analyzer
        self.clock = clock
        self.max_chunk_bytes = max_chunk_bytes
        self.max_chunk_docs = max_chunk_docs
        self.max_retries = max_retries
        self._body = index_body(analyzer)  # validates the analyzer name up front
        self._es = make_client(url, request_timeout=request_timeout)
        self._ready = False
        self._building: str | None = None  # the index a rebuild writes to
        self._lock = threading.RLock()

    # --- plumbing --------------------------------------------------------------------------------

    @contextmanager
    def _calls(self, what: str) -> Iterator[None]:
        def forget() -> None:
            self._ready = False  # a restarted engine may have lost the alias

        with engine_errors(self.url, what, on_unreachable=forget):
            yield

    def _index_names(self) -> list[str]:
        pattern = re.compile(re.escape(self.alias) + r"-v(\d+)$")
        resp = self._es.indices.get(index=f"{self.alias}-v*", expand_wildcards="open,closed",
                                    allow_no_indices=True, ignore_unavailable=True)
        return sorted((n for n in resp.body if pattern.match(n)), key=lambda n: int(n.rsplit("-v", 1)[1]))

    def _next_index(self) -> str:
        names = self._index_names()
        return f"{self.alias}-v{int(names[-1].rsplit('-v', 1)[1]) + 1 if names else 1}"

    def _ensure(self) -> None:
        """Create the index template, and the alias with its first index, unless they exist."""
        if self._ready:
            return
        with self._lock, self._calls("creating the index"):
            self._es.indices.put_index_template(
                name=self.alias, index_patterns=[f"{self.alias}-v*"], template=self._body, priority=100)
            if not self._es.indices.exists_alias(name=self.alias):
                try:
                    self._es.indices.create(index=self._next_index(), aliases={self.alias: {}}, **self._body)
                except ApiError as e:
                    if "resource_already_exists" not in str(e):  # another process won the race
                        raise
            self._ready = True

    @property
    def _target(self) -> str:
        return self._building or self.alias

    # --- writing ---------------------------------------------------------------------------------

    def upsert(self, docs: Sequence[dict[str, Any]]) -> None:
        """Insert or replace documents by their ``cluster_id`` (a later duplicate in ``docs`` wins)."""
        lines: list[tuple[str, bytes]] = []
        for doc in docs:
            key = c.text(doc.get("cluster_id"))
            if key is None:
                raise SearchBackendError(f"document {doc.get('id')!r} has no cluster_id; the index is keyed by it")
            body = {**doc, "ix": _ix(doc)}
            lines.append((key, json.dumps({"index": {"_id": key}}).encode() + b"\n"
                          + json.dumps(body, ensure_ascii=False, default=str).encode() + b"\n"))
        self._bulk(lines)

    def delete(self, ids: Sequence[str]) -> None:
        """Remove documents by ``cluster_id``; unknown ids are ignored."""
        self._bulk([(str(k), json.dumps({"delete": {"_id": str(k)}}).encode() + b"\n") for k in ids])

    def _chunks(self, lines: list[tuple[str, bytes]]) -> Iterator[list[tuple[str, bytes]]]:
        chunk: list[tuple[str, bytes]] = []
        size = 0
        for item in lines:
            if chunk and (size + len(item[1]) > self.max_chunk_bytes or len(chunk) >= self.max_chunk_docs):
                yield chunk
                chunk, size = [], 0
            chunk.append(item)
            size += len(item[1])
        if chunk:
            yield chunk

    def _bulk(self, lines: list[tuple[str, bytes]]) -> None:
        if not lines:
            return
        self._ensure()
        failed: list[str] = []
        for chunk in self._chunks(lines):
            pending = chunk
            for attempt in range(self.max_retries + 1):
                with self._calls("a bulk write"):
                    # Pre-serialised NDJSON: the client forwards bytes as they are.
                    resp = self._es.bulk(index=self._target,
                                         operations=b"".join(line for _, line in pending))  # type: ignore[arg-type]
                if not resp.body.get("errors"):
                    break
                retry: list[tuple[str, bytes]] = []
                for item, sent in zip(resp.body["items"], pending, strict=True):
                    (op, result), = item.items()
                    status = int(result.get("status", 500))
                    if status < 300 or (op == "delete" and status == 404):
                        continue
                    if status in _RETRY_STATUSES and attempt < self.max_retries:
                        retry.append(sent)
                    else:
                        failed.append(f"{sent[0]}: {result.get('error')}")
                if not retry:
                    break
                pending = retry
                time.sleep(min(0.2 * 2**attempt, 5.0))
        if failed:
            raise SearchBackendError(f"{len(failed)} document(s) were rejected; first: {failed[0]}")

    def commit(self) -> None:
        """Make writes visible to ``search`` (a refresh; Elasticsearch writes are durable already)."""
        self._ensure()
        with self._calls("a refresh"):
            self._es.indices.refresh(index=self._target)

    def clear(self) -> None:
        """Drop every document of the live index (prefer ``reindex_begin``/``reindex_commit``)."""
        self._ensure()
        with self._calls("clearing the index"):
            self._es.delete_by_query(index=self._target, query={"match_all": {}}, refresh=True, conflicts="proceed")

    # --- rebuilding ------------------------------------------------------------------------------

    def reindex_begin(self) -> str:
        """Create the next versioned index; writes go to it until commit or abort. Returns its name."""
        self._ensure()
        with self._lock, self._calls("creating a new index"):
            if self._building is not None:
                raise SearchBackendError(f"a rebuild into {self._building} is already in progress")
            name = self._next_index()
            self._es.indices.create(index=name, **self._body)
            self._building = name
            return name

    def reindex_commit(self) -> None:
        """Point the alias at the rebuilt index in one atomic request, then drop the old indices."""
        with self._lock, self._calls("swapping the alias"):
            new = self._building
            if new is None:
                raise SearchBackendError("no rebuild in progress (call reindex_begin first)")
            self._es.indices.refresh(index=new)
            old = list(self._es.indices.get_alias(name=self.alias).body) if self._es.indices.exists_alias(
                name=self.alias) else []
            actions: list[dict[str, Any]] = [{"remove": {"index": n, "alias": self.alias}} for n in old if n != new]
            actions.append({"add": {"index": new, "alias": self.alias}})
            self._es.indices.update_aliases(actions=actions)
            self._building = None
            for name in old:
                if name != new:
                    self._es.indices.delete(index=name, ignore_unavailable=True)

    def reindex_abort(self) -> None:
        """Drop the index being built; the alias keeps serving the old one."""
        with self._lock, self._calls("dropping the new index"):
            if self._building is not None:
                self._es.indices.delete(index=self._building, ignore_unavailable=True)
                self._building = None

    def index_names(self) -> list[str]:
        """The versioned indices that exist (oldest first)."""
        with self._calls("listing indices"):
            return self._index_names()

    def alias_target(self) -> list[str]:
        """The indices the alias points at (one, except mid-swap on a foreign tool's watch)."""
        with self._calls("reading the alias"):
            if not self._es.indices.exists_alias(name=self.alias):
                return []
            return sorted(self._es.indices.get_alias(name=self.alias).body)

    def drop(self) -> None:
        """Delete the alias's indices and the template (tests; uninstalling)."""
        with self._calls("dropping indices"):
            for name in self._index_names():
                self._es.indices.delete(index=name, ignore_unavailable=True)
            with suppress(NotFoundError):
                self._es.indices.delete_index_template(name=self.alias)
        self._ready = False

    # --- reading ---------------------------------------------------------------------------------

    def _search(self, what: str, **body: Any) -> ApiResponse[Any]:
        self._ensure()
        with self._calls(what):
            return self._es.search(index=self.alias, **body)

    def count(self) -> int:
        """Number of documents behind the alias (as of the last refresh)."""
        self._ensure()
        with self._calls("a count"):
            return int(self._es.count(index=self.alias).body["count"])

    def get(self, cluster_id: str) -> dict[str, Any] | None:
        """One document by ``cluster_id``, or ``None``."""
        self._ensure()
        with self._calls("a get"):
            try:
                resp = self._es.get(index=self.alias, id=cluster_id)
            except NotFoundError:
                return None
        return _item(resp.body["_source"])

    def suggest(self, prefix: str, size: int = 10) -> list[str]:
        """Distinct titles starting with ``prefix``, most frequent first (ties alphabetical)."""
        prefix = prefix.strip()
        if not prefix or size < 1:
            return []
        resp = self._search("a suggestion", size=0, query={"prefix": {"ix.title": prefix}}, aggs={
            "t": {"terms": {"field": "ix.title", "size": size, "order": [{"_count": "desc"}, {"_key": "asc"}]}}})
        buckets = resp.body.get("aggregations", {}).get("t", {}).get("buckets", [])
        return [str(b["key"]) for b in buckets]

    def _filters(self, query: SearchQuery) -> list[dict[str, Any]]:
        filters: list[dict[str, Any]] = []
        for field, value in (
            ("ix.region", query.region),
            ("ix.category", query.category),
            ("ix.employment_type", query.employment_type),
            ("ix.pay_unit", query.pay_unit),
            ("ix.verification", "verified" if query.verified_only else None),
        ):
            if value is not None:
                filters.append({"term": {field: value}})
        if query.min_daily_wage is not None:
            filters.append({"range": {"ix.wage": {"gte": query.min_daily_wage}}})
        if query.posted_within_days is not None:
            since = int(self.clock().timestamp()) - query.posted_within_days * 86400
            filters.append({"range": {"ix.posted": {"gte": since * 1000}}})
        if query.near is not None:
            lat, lon = query.near
            filters.append({"geo_distance": {"distance": f"{query.radius_km or c.DEFAULT_RADIUS_KM}km",
                                             "distance_type": "arc", "ix.geo": {"lat": lat, "lon": lon}}})
        return filters

    def _query(self, query: SearchQuery, groups: list[list[tuple[str, float]]], *, boosted: bool) -> dict[str, Any]:
        groups = _joined_single_characters(groups)
        must = [{"bool": {"minimum_should_match": 1, "should": [
            {"multi_match": {"query": term, "type": "phrase", "fields": list(TEXT_FIELDS), "boost": weight}}
            for term, weight in group]}} for group in groups]
        q: dict[str, Any] = {"bool": {"must": must or [{"match_all": {}}], "filter": self._filters(query)}}
        if not boosted:
            return q
        now_ms = int(self.clock().timestamp() * 1000)
        q = {"function_score": {"query": q, "score_mode": "sum", "boost_mode": "multiply", "functions": [
            {"weight": 1},
            {"filter": {"exists": {"field": "ix.posted"}},
             "exp": {"ix.posted": {"origin": now_ms, "scale": f"{c.FRESH_HALF_LIFE_DAYS:g}d", "decay": 0.5}}},
        ]}}
        q = {"function_score": {"query": q, "boost_mode": "multiply", "functions": [
            {"filter": {"term": {"ix.verified": True}}, "weight": c.VERIFIED_BOOST}]}}
        if query.near is not None:
            lat, lon = query.near
            q = {"function_score": {"query": q, "score_mode": "sum", "boost_mode": "multiply", "functions": [
                {"weight": 1},
                {"exp": {"ix.geo": {"origin": {"lat": lat, "lon": lon},
                                    "scale": f"{c.NEAR_HALF_DISTANCE_KM:g}km", "decay": 0.5}}},
            ]}}
        return q

    def search(self, query: SearchQuery) -> SearchResult:
        """Answer a query: one page of documents, the total and facets over all hits."""
        if query.sort == "distance" and query.near is None:
            raise ValueError("sort=distance needs near (a latitude,longitude to measure from)")
        groups = query_groups(query.q)
        sort = query.sort
        if sort == "relevance" and not groups:
            sort = "newest"  # nothing to rank by: show the latest postings first
        tie = {"ix.key": {"order": "asc"}}
        sorts: list[Any] = {  # type: ignore[assignment]
            "relevance": [{"_score": {"order": "desc"}}, tie],
            "newest": [{"ix.posted": {"order": "desc", "missing": "_last"}}, tie],
            "wage": [{"ix.wage": {"order": "desc", "missing": "_last"}}, tie],
            "distance": [{"_geo_distance": {"ix.geo": {"lat": query.near[0], "lon": query.near[1]} if query.near
                                            else {}, "order": "asc", "unit": "km", "distance_type": "arc"}}, tie],
        }[sort]
        body: dict[str, Any] = {
            "query": self._query(query, groups, boosted=sort == "relevance"),
            "sort": sorts, "from": query.offset, "size": query.page_size, "track_total_hits": True,
            "aggs": {name: {"terms": {"field": src, "size": _FACET_SIZE}} for name, src in _FACET_SOURCE.items()},
        }
        if query.highlight:
            body["highlight"] = {"encoder": "html", "pre_tags": ["<em>"], "post_tags": ["</em>"], "fields": {
                "title": {"number_of_fragments": 0},
                "description": {"fragment_size": 2 * c.FRAGMENT_CONTEXT, "number_of_fragments": c.MAX_FRAGMENTS},
            }}
        resp = self._search("a search", **body).body
        items = []
        for hit in resp["hits"]["hits"]:
            item = _item(hit["_source"])
            if query.near is not None:
                point = c.coordinates(item)
                if point is not None:
                    item["distance_km"] = round(c.haversine_km(*query.near, *point), 3)
            if query.highlight:
                marks = hit.get("highlight", {})
                item["highlights"] = {"title": list(marks.get("title", [])),
                                      "description": list(marks.get("description", []))}
            items.append(item)
        facets: dict[str, dict[str, int]] = {}
        for name in FACET_FIELDS:
            buckets = resp.get("aggregations", {}).get(name, {}).get("buckets", [])
            facets[name] = dict(sorted(((str(b["key"]), int(b["doc_count"])) for b in buckets),
                                       key=lambda kv: (-kv[1], kv[0])))
        return SearchResult(total=int(resp["hits"]["total"]["value"]), items=items, facets=facets)

    def wage_stats(self, query: SearchQuery, by: Sequence[Literal["region", "category"]]) -> list[WageCell]:
        """Exact daily-wage percentiles grouped by ``by`` (see :func:`search._common.percentiles_from_counts`).

        A composite aggregation pages through (group, wage value) pairs with
        their counts, so the result is exact and the same as the embedded engine's.
        """
        fields = list(dict.fromkeys(by))
        q = self._query(query, query_groups(query.q), boosted=False)
        q["bool"]["filter"].append({"exists": {"field": "ix.wage"}})
        sources: list[dict[str, Any]] = [
            {f: {"terms": {"field": "ix.city" if f == "region" else "ix.category", "missing_bucket": True}}}
            for f in fields]
        sources.append({"w": {"terms": {"field": "ix.wage"}}})
        groups: dict[tuple[str | None, ...], list[tuple[float, int]]] = {}
        after: dict[str, Any] | None = None
        while True:
            composite: dict[str, Any] = {"size": 5000, "sources": sources}
            if after is not None:
                composite["after"] = after
            resp = self._search("wage statistics", size=0, query=q, aggs={"g": {"composite": composite}}).body
            agg = resp.get("aggregations", {}).get("g", {})
            buckets = agg.get("buckets", [])
            for b in buckets:
                key = tuple(b["key"].get(f) for f in fields)
                groups.setdefault(key, []).append((float(b["key"]["w"]), int(b["doc_count"])))
            after = agg.get("after_key")
            if not buckets or after is None:
                break
        cells = []
        for key, counts in groups.items():
            count, p25, median, p75 = c.percentiles_from_counts(counts)
            named = dict(zip(fields, key, strict=True))
            cells.append(WageCell(region=named.get("region"), category=named.get("category"), count=count,
                                  p25=p25, median=median, p75=p75))
        cells.sort(key=lambda cell: (-cell.count, cell.region or "", cell.category or ""))
        return cells

    def close(self) -> None:
        """Close the client's connections."""
        self._es.close()


_CJK = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff]$")


def _joined_single_characters(groups: list[list[tuple[str, float]]]) -> list[list[tuple[str, float]]]:
    """A one-character Chinese word joined to its neighbour (拉扎 + 斯 → 拉扎斯, 新 + 索引 → 新索引).

    Bigram analysis (``cjk``) indexes 拉扎斯 as 拉扎 / 扎斯, never 斯 alone, so a
    lone character would match nothing; as part of a phrase with the word next
    to it in the query it matches where the embedded engine's search-mode
    tokens would.
    """
    out: list[list[tuple[str, float]]] = []
    carry = ""
    for group in groups:
        word = group[0][0]
        if _CJK.match(word):
            if out and not carry:
                out[-1] = [(out[-1][0][0] + word, 1.0)]
            else:
                carry += word
            continue
        if carry:
            group, carry = [(carry + word, 1.0)], ""
        out.append(group)
    if carry:
        out.append([(carry, 1.0)])
    return out


def _item(source: dict[str, Any]) -> dict[str, Any]:
    item = dict(source)
    item.pop("ix", None)
    return item


def from_environment(clock: c.Clock = c.system_clock) -> ElasticsearchBackend:
    """The backend ``ELASTICSEARCH_URL``, ``LINGONG_ES_INDEX`` and ``LINGONG_ES_ANALYZER`` describe."""
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        raise ConfigError("the elasticsearch search backend needs ELASTICSEARCH_URL (e.g. http://localhost:9200)")
    return ElasticsearchBackend(url, alias=os.environ.get("LINGONG_ES_INDEX") or DEFAULT_ALIAS,
                                analyzer=os.environ.get("LINGONG_ES_ANALYZER") or "cjk", clock=clock)


__all__ = ["ANALYZERS", "DEFAULT_ALIAS", "ElasticsearchBackend", "from_environment", "index_body", "make_client"]
