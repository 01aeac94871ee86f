"""The embedded search backend: a tantivy index in a directory, no server.

Fields (one tantivy document per duplicate cluster)::

    cluster_id       raw text            the key: upsert deletes by it, then adds
    doc_key          i64, fast           a 64-bit hash of cluster_id (exact geo filter, tie-breaks)
    title            whitespace text     rjieba search-mode tokens, boost 3
    employer         whitespace text     employer name tokens, boost 1.5
    description      whitespace text     boost 1
    extra            whitespace text     place names, address, category, settlement,
                                         benefits, salary text; boost 0.5
    title_key        raw text            the whole title (suggestions: term-dictionary prefix walk)
    region           raw text, multi     the location code and its ancestors (filter)
    region_leaf      raw text, fast      the most specific code (region facet)
    region_city      raw text, fast      the city-level code xxxx00 (wage statistics)
    category, employment_type, pay_unit  raw text, fast (filter and facet)
    verification     raw text            employer verification status (filter)
    verified         bool, fast          verification == "verified" (relevance boost)
    posted_ts        i64, fast           posted_at as epoch seconds (newest sort, recency filter, boost)
    wage             f64, fast           salary.daily_estimate (wage sort, minimum wage, statistics)
    lat, lon         f64, fast           location.lat/lon, both or neither (near filter, distance)
    doc              stored bytes        the original document as JSON (the hit)

Segmentation happens in Python (:mod:`search._tokenize`), so the index only
needs tantivy's built-in ``whitespace`` tokenizer and can be opened by any
process without registering an analyzer. User text becomes term queries built
programmatically; nothing the user types is parsed as query syntax.

Facets are tantivy ``terms`` aggregations over the fast fields, computed for
every hit of the query (text and filters), not just the returned page.

Relevance (see :mod:`search._common` for the formula, shared with
Elasticsearch): tantivy's BM25 score ranks the hits; the top
``RERANK_WINDOW`` (or ``offset + page_size`` if more) are re-scored by
freshness × verified × nearby read from fast fields, and sorted by that score,
ties by ``doc_key``. Deterministic; a hit outside the window cannot climb into
it (the boosts are at most 6×, the window is 200 deep).

Near filter: tantivy has no geo type. The circle is cut into latitude strips
(:func:`search._common.circle_strips`): hits inside the inner strips are within
the radius; hits in the thin ring between inner and outer strips get an exact
haversine check (coordinates from fast fields) and join by ``doc_key``. The
final query is exact, so total, facets and paging agree with the filter.

Concurrency: any number of processes may search the index. Tantivy allows one
writer per index, guarded by a lock file. The writer is opened lazily by the
first write and released by :meth:`EmbeddedBackend.commit` (and ``close``), so
the lock is held only while a batch is in flight. A second process that writes
while the lock is held waits up to ``lock_timeout`` seconds, then gets
:class:`~aggregator.errors.BackendUnavailableError` (transient: the outbox keeps
the work and the next sync retries). The lock is an OS file lock, so a crashed
writer does not leave it stale. Readers in other processes see a commit on their
next search (the reader is reloaded before every search and count).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import tantivy
from tantivy import Occur, Query

from aggregator.errors import BackendUnavailableError, SearchBackendError
from search import _common as c
from search._tokenize import index_text, query_groups
from search.base import FACET_FIELDS, SearchQuery, SearchResult, WageCell

#: Text fields searched by ``q`` and their boosts.
TEXT_FIELDS: tuple[tuple[str, float], ...] = (
    ("title", 3.0),
    ("employer", 1.5),
    ("description", 1.0),
    ("extra", 0.5),
)

#: Facet name (``FACET_FIELDS``) → the fast field it is counted on.
_FACET_SOURCE: dict[str, str] = {
    "region": "region_leaf",
    "category": "category",
    "pay_unit": "pay_unit",
    "employment_type": "employment_type",
}

#: More buckets than China has counties (~2,850) and cities, so facets are
#: complete, never top-N; tantivy refuses more than 65,000 buckets per request.
_FACET_SIZE = 10_000

#: How many of the best text matches are re-scored by freshness, verification and distance.
RERANK_WINDOW = 200

_SORT_FIELD = {"newest": "posted_ts", "wage": "wage"}
_LOCK_BUSY = "LockBusy"
_MAX_WAGE = 1e12


def doc_key(cluster_id: str) -> int:
    """A stable signed 64-bit hash of a cluster id."""
    return int.from_bytes(hashlib.blake2b(cluster_id.encode(), digest_size=8).digest(), "big", signed=True)


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("cluster_id", tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("doc_key", indexed=True, fast=True)
    for name, _ in TEXT_FIELDS:
        sb.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
    sb.add_text_field("title_key", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("region", tokenizer_name="raw", index_option="basic")
    for name in ("region_leaf", "region_city", "category", "employment_type", "pay_unit"):
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic", fast=True)
    sb.add_text_field("verification", tokenizer_name="raw", index_option="basic")
    sb.add_boolean_field("verified", fast=True)
    sb.add_integer_field("posted_ts", indexed=True, fast=True)
    for name in ("wage", "lat", "lon"):
        sb.add_float_field(name, indexed=True, fast=True)
    sb.add_bytes_field("doc", stored=True)
    return sb.build()


def _to_document(doc: dict[str, Any]) -> tuple[str, tantivy.Document]:
    """One posting dict → its key and the tantivy document. Tolerates any missing part."""
    key = c.text(doc.get("cluster_id"))
    if key is None:
        raise SearchBackendError(f"document {doc.get('id')!r} has no cluster_id; the index is keyed by it")
    get, text = c.get, c.text
    out = tantivy.Document()
    out.add_text("cluster_id", key)
    out.add_integer("doc_key", doc_key(key))
    out.add_text("title", index_text(text(doc.get("title"))))
    out.add_text("employer", index_text(text(get(doc, "employer", "name"))))
    out.add_text("description", index_text(text(doc.get("description"))))
    benefits = get(doc, "salary", "benefits")
    out.add_text("extra", index_text(
        *(text(get(doc, "location", part)) for part in ("province", "city", "county", "address")),
        text(doc.get("category")),
        text(get(doc, "salary", "settlement")),
        text(get(doc, "salary", "text")),
        *((text(b) for b in benefits) if isinstance(benefits, list) else ()),
    ))
    title = c.title_key(doc)
    if title is not None:
        out.add_text("title_key", title)
    code = c.region_code(doc)
    if code is not None:
        for region in c.region_codes(code):
            out.add_text("region", region)
        out.add_text("region_leaf", code)
        out.add_text("region_city", c.city_code(code) or "")
    verification = text(get(doc, "employer", "verification"))
    for field, value in (
        ("category", doc.get("category")),
        ("employment_type", get(doc, "schedule", "employment_type")),
        ("pay_unit", get(doc, "salary", "unit")),
        ("verification", verification),
    ):
        t = text(value)
        if t is not None:
            out.add_text(field, t)
    out.add_boolean("verified", verification == "verified")
    ts = c.timestamp(doc.get("posted_at"))
    if ts is not None:
        out.add_integer("posted_ts", ts)
    wage = c.number(get(doc, "salary", "daily_estimate"))
    if wage is not None:
        out.add_float("wage", wage)
    point = c.coordinates(doc)
    if point is not None:
        out.add_float("lat", point[0])
        out.add_float("lon", point[1])
    out.add_bytes("doc", json.dumps(doc, ensure_ascii=False, default=str).encode())
    return key, out


class EmbeddedBackend:
    """A tantivy index on disk at ``path`` (created if absent, reopened if present).

    Writes (``upsert``, ``delete``, ``clear``) become visible to ``search`` and
    ``count`` after ``commit``. ``close`` discards uncommitted writes and
    releases the writer lock; the backend cannot be used after it. ``clock``
    gives "now" for recency filters and boosts (tests pin it).
    """

    name = "embedded"

    def __init__(
        self,
        path: Path,
        *,
        lock_timeout: float = 5.0,
        heap_size: int = 64_000_000,
        num_threads: int = 2,
        clock: c.Clock = c.system_clock,
    ) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.clock = clock
        self._heap_size = heap_size
        self._num_threads = num_threads
        self._schema = _schema()
        self._lock = threading.RLock()
        self._writer: tantivy.IndexWriter | None = None
        self._closed = False
        self._rebuilding = False
        self.path.mkdir(parents=True, exist_ok=True)
        p = str(self.path)
        if tantivy.Index.exists(p) and not tantivy.Index.is_compatible(p):
            raise SearchBackendError(
                f"the index at {p} was written by another tantivy version; "
                "delete it and run `lingong reindex`"
            )
        try:
            self._index = tantivy.Index(self._schema, path=p, reuse=True)
        except ValueError as e:
            raise SearchBackendError(
                f"cannot open the index at {p} ({e}); if its schema is from an older lingong, "
                "delete the directory and run `lingong reindex`"
            ) from e

    # --- writing -------------------------------------------------------------------------------

    def _open_writer(self) -> tantivy.IndexWriter:
        if self._closed:
            raise SearchBackendError("the embedded search backend is closed")
        if self._writer is not None:
            return self._writer
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.02
        while True:
            try:
                self._writer = self._index.writer(heap_size=self._heap_size, num_threads=self._num_threads)
                return self._writer
            except ValueError as e:
                if _LOCK_BUSY not in str(e):
                    raise SearchBackendError(f"cannot open a writer on {self.path}: {e}") from e
                if time.monotonic() >= deadline:
                    raise BackendUnavailableError(
                        f"another writer (a process or another handle) holds the index at {self.path}; "
                        "try again later"
                    ) from e
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def _release_writer(self, *, discard: bool) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        if discard:
            writer.rollback()
        # Consumes the writer: waits for background merges, then drops the lock.
        writer.wait_merging_threads()

    def upsert(self, docs: Sequence[dict[str, Any]]) -> None:
        """Insert or replace documents by their ``cluster_id`` (a later duplicate in ``docs`` wins)."""
        if not docs:
            return
        prepared = [_to_document(doc) for doc in docs]  # fail before touching the index
        with self._lock:
            writer = self._open_writer()
            try:
                for key, document in prepared:
                    writer.delete_documents_by_term("cluster_id", key)
                    writer.add_document(document)
            except ValueError as e:
                raise SearchBackendError(f"indexing into {self.path} failed: {e}") from e

    def delete(self, ids: Sequence[str]) -> None:
        """Remove documents by ``cluster_id``; unknown ids are ignored."""
        if not ids:
            return
        with self._lock:
            writer = self._open_writer()
            for key in ids:
                writer.delete_documents_by_term("cluster_id", str(key))

    def clear(self) -> None:
        """Drop every document, including uncommitted ones; takes effect at ``commit``."""
        with self._lock:
            # Not delete_all_documents(): in tantivy-py 0.27 it spares documents
            # added since the last commit. A delete-by-query covers everything
            # added before it and nothing added after.
            self._open_writer().delete_documents_by_query(Query.all_query())

    def commit(self) -> None:
        """Make writes durable and visible, and release the writer lock."""
        with self._lock:
            if self._writer is None or self._rebuilding:
                return
            try:
                self._writer.commit()
            except ValueError as e:
                raise SearchBackendError(f"commit to {self.path} failed: {e}") from e
            self._release_writer(discard=False)
            self._index.reload()

    def close(self) -> None:
        """Discard uncommitted writes and release the writer lock."""
        with self._lock:
            if self._closed:
                return
            self._release_writer(discard=True)
            self._closed = True
            del self._index  # drops the reader, its file handles and its reload watcher

    # --- rebuilding (the same calls as Elasticsearch's alias swap) --------------------------------

    def reindex_begin(self) -> None:
        """Start a rebuild: writes pile up uncommitted (``commit`` defers) until :meth:`reindex_commit`.

        Searches keep seeing the committed index; the writer lock is held for
        the whole rebuild, so other writers wait (and get BackendUnavailableError).
        """
        with self._lock:
            if self._rebuilding:
                raise SearchBackendError("a rebuild is already in progress")
            self.clear()
            self._rebuilding = True

    def reindex_commit(self) -> None:
        """Publish the rebuilt index at once (one tantivy commit)."""
        with self._lock:
            if not self._rebuilding:
                raise SearchBackendError("no rebuild in progress (call reindex_begin first)")
            self._rebuilding = False
            self.commit()

    def reindex_abort(self) -> None:
        """Drop the rebuild; the committed index stays as it was."""
        with self._lock:
            self._rebuilding = False
            self._release_writer(discard=True)

    # --- reading -------------------------------------------------------------------------------

    def _searcher(self) -> tantivy.Searcher:
        if self._closed:
            raise SearchBackendError("the embedded search backend is closed")
        # Cheap (~20 µs) and makes commits by other processes visible at once.
        self._index.reload()
        return self._index.searcher()

    def count(self) -> int:
        """Number of documents in the index (as of the last commit)."""
        return int(self._searcher().num_docs)

    def get(self, cluster_id: str) -> dict[str, Any] | None:
        """One document by ``cluster_id``, or ``None``."""
        searcher = self._searcher()
        result = searcher.search(Query.term_query(self._schema, "cluster_id", cluster_id), 1, count=False)
        return self._load(searcher, result.hits[0][1]) if result.hits else None

    def suggest(self, prefix: str, size: int = 10) -> list[str]:
        """Distinct titles starting with ``prefix``, most frequent first (ties alphabetical)."""
        prefix = prefix.strip()
        if not prefix or size < 1:
            return []
        searcher = self._searcher()
        terms = searcher.terms_with_prefix("title_key", prefix, filter_query=Query.all_query(), limit=size)
        return [t for t, n in terms if n > 0]

    @staticmethod
    def _load(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(bytes(searcher.doc(address)["doc"][0]))
        return loaded

    def _filter(self, field: str, value: str) -> Query:
        # Zero-scored: filters must not change the relevance order.
        return Query.const_score_query(Query.term_query(self._schema, field, value), 0.0)

    def _range(self, field: str, ftype: tantivy.FieldType, lower: Any, upper: Any) -> Query:
        return Query.const_score_query(Query.range_query(self._schema, field, ftype, lower, upper), 0.0)

    def _boxes(self, boxes: list[c.Box]) -> Query:
        f = tantivy.FieldType.Float
        return Query.boolean_query([
            (Occur.Should, Query.boolean_query([
                (Occur.Must, self._range("lat", f, a, b)), (Occur.Must, self._range("lon", f, lo, hi)),
            ]))
            for a, b, lo, hi in boxes
        ]) if boxes else Query.empty_query()

    def _clauses(self, query: SearchQuery, groups: list[list[tuple[str, float]]]) -> list[tuple[Occur, Query]]:
        clauses: list[tuple[Occur, Query]] = []
        for group in groups:
            alternatives = [
                (Occur.Should, Query.boost_query(Query.term_query(self._schema, field, term), boost * weight))
                for term, weight in group
                for field, boost in TEXT_FIELDS
            ]
            clauses.append((Occur.Must, Query.boolean_query(alternatives)))
        for field, value in (
            ("region", query.region),
            ("category", query.category),
            ("employment_type", query.employment_type),
            ("pay_unit", query.pay_unit),
            ("verification", "verified" if query.verified_only else None),
        ):
            if value is not None:
                clauses.append((Occur.Must, self._filter(field, value)))
        if query.min_daily_wage is not None:
            clauses.append((Occur.Must, self._range("wage", tantivy.FieldType.Float, query.min_daily_wage, _MAX_WAGE)))
        if query.posted_within_days is not None:
            since = int(self.clock().timestamp()) - query.posted_within_days * 86400
            clauses.append((Occur.Must, self._range("posted_ts", tantivy.FieldType.Integer, since, 2**62)))
        return clauses

    def _near_clause(self, searcher: tantivy.Searcher, query: SearchQuery, base: list[tuple[Occur, Query]]) -> Query:
        """An exact "within radius_km of near" query (see the module docstring)."""
        assert query.near is not None
        lat0, lon0 = query.near
        radius = query.radius_km or c.DEFAULT_RADIUS_KM
        outer, inner = c.circle_strips(lat0, lon0, radius)
        inner_q = self._boxes(inner)
        ring = Query.boolean_query([*base, (Occur.Must, self._boxes(outer)), (Occur.MustNot, inner_q)])
        n = searcher.search(ring, 1, count=True).count  # type: ignore[attr-defined]
        keys: list[int] = []
        if n:
            addresses = [a for _, a in searcher.search(ring, int(n), count=False).hits]
            lats = searcher.fast_field_values("lat", addresses)
            lons = searcher.fast_field_values("lon", addresses)
            dkeys = searcher.fast_field_values("doc_key", addresses)
            for la, lo, k in zip(lats, lons, dkeys, strict=True):
                if (isinstance(la, float) and isinstance(lo, float) and isinstance(k, int)
                        and c.haversine_km(lat0, lon0, la, lo) <= radius):
                    keys.append(k)
        if not keys:
            return inner_q
        return Query.boolean_query([
            (Occur.Should, inner_q),
            (Occur.Should, Query.const_score_query(Query.term_set_query(self._schema, "doc_key", keys), 0.0)),
        ])

    def _query(self, searcher: tantivy.Searcher, query: SearchQuery,
               groups: list[list[tuple[str, float]]]) -> Query:
        clauses = self._clauses(query, groups)
        if query.near is not None:
            clauses.append((Occur.Must, self._near_clause(searcher, query, clauses)))
        return Query.boolean_query(clauses) if clauses else Query.all_query()

    def _distances(self, searcher: tantivy.Searcher, query: SearchQuery,
                   addresses: list[tantivy.DocAddress]) -> list[float | None]:
        if query.near is None:
            return [None] * len(addresses)
        lat0, lon0 = query.near
        lats = searcher.fast_field_values("lat", addresses)
        lons = searcher.fast_field_values("lon", addresses)
        return [c.haversine_km(lat0, lon0, la, lo) if isinstance(la, float) and isinstance(lo, float) else None
                for la, lo in zip(lats, lons, strict=True)]

    def search(self, query: SearchQuery) -> SearchResult:
        """Answer a query: one page of documents, the total and facets over all hits."""
        if query.sort == "distance" and query.near is None:
            raise ValueError("sort=distance needs near (a latitude,longitude to measure from)")
        searcher = self._searcher()
        groups = query_groups(query.q)
        tq = self._query(searcher, query, groups)
        sort = query.sort
        if sort == "relevance" and not groups:
            sort = "newest"  # nothing to rank by: show the latest postings first
        end = query.offset + query.page_size
        if sort in _SORT_FIELD:
            # Documents without the value come last (tantivy 0.27 puts missing
            # fast-field values after all present ones in either order).
            result = searcher.search(tq, query.page_size, count=True, offset=query.offset,
                                     order_by_field=_SORT_FIELD[sort], order=tantivy.Order.Desc)
            page = [a for _, a in result.hits]
            total = int(result.count or 0)  # type: ignore[attr-defined]  # missing from the 0.27 stub
        elif sort == "distance":
            total = int(searcher.search(tq, 1, count=True).count or 0)  # type: ignore[attr-defined]
            addresses = [a for _, a in searcher.search(tq, max(total, 1), count=False).hits]
            keys = searcher.fast_field_values("doc_key", addresses)
            ranked = sorted(zip(self._distances(searcher, query, addresses), keys, addresses, strict=True),
                            key=lambda t: (t[0] if t[0] is not None else float("inf"), t[1]))
            page = [a for _, _, a in ranked[query.offset:end]]
        else:
            result = searcher.search(tq, max(RERANK_WINDOW, end), count=True)
            total = int(result.count or 0)  # type: ignore[attr-defined]
            page = self._rerank(searcher, query, result.hits)[query.offset:end]
        items = [self._load(searcher, a) for a in page]
        if query.near is not None:
            for item, distance in zip(items, self._distances(searcher, query, page), strict=True):
                if distance is not None:
                    item["distance_km"] = round(distance, 3)
        if query.highlight:
            terms = [t for group in groups for t, _ in group]
            for item in items:
                item["highlights"] = {
                    "title": c.highlight(c.text(item.get("title")), terms, whole=True),
                    "description": c.highlight(c.text(item.get("description")), terms, whole=False),
                }
        return SearchResult(total=total, items=items, facets=self._facets(searcher, tq))

    def _rerank(self, searcher: tantivy.Searcher, query: SearchQuery,
                hits: list[tuple[Any, tantivy.DocAddress]]) -> list[tantivy.DocAddress]:
        addresses = [a for _, a in hits]
        if not addresses:
            return []
        now = self.clock().timestamp()
        posted = searcher.fast_field_values("posted_ts", addresses)
        verified = searcher.fast_field_values("verified", addresses)
        keys = searcher.fast_field_values("doc_key", addresses)
        distances = self._distances(searcher, query, addresses)
        scored = []
        for (score, address), ts, v, k, d in zip(hits, posted, verified, keys, distances, strict=True):
            boost = c.freshness(ts if isinstance(ts, int) else None, now) * c.nearby(d)
            if v is True:
                boost *= c.VERIFIED_BOOST
            scored.append((-float(score) * boost, k if isinstance(k, int) else 0, address))
        scored.sort(key=lambda t: (t[0], t[1]))
        return [a for _, _, a in scored]

    def _facets(self, searcher: tantivy.Searcher, tq: Query) -> dict[str, dict[str, int]]:
        aggs = searcher.aggregate(
            tq, {name: {"terms": {"field": src, "size": _FACET_SIZE}} for name, src in _FACET_SOURCE.items()}
        )
        facets: dict[str, dict[str, int]] = {}
        for name in FACET_FIELDS:
            buckets = aggs.get(name, {}).get("buckets", [])
            pairs = ((str(b["key"]), int(b["doc_count"])) for b in buckets)
            facets[name] = dict(sorted(pairs, key=lambda kv: (-kv[1], kv[0])))
        return facets

    def wage_stats(self, query: SearchQuery, by: Sequence[Literal["region", "category"]]) -> list[WageCell]:
        """Daily-wage percentiles of the query's hits that have a daily wage, grouped by ``by``.

        ``region`` groups by the city-level code; a posting without the grouped
        value forms its own group (``None``). Cells are ordered by count, then key.
        """
        if query.sort == "distance" and query.near is None:
            raise ValueError("sort=distance needs near (a latitude,longitude to measure from)")
        searcher = self._searcher()
        base = self._query(searcher, query, query_groups(query.q))
        with_wage = Query.boolean_query([(Occur.Must, base), (Occur.Must, Query.exists_query("wage"))])
        fields = [("region", "region_city") if b == "region" else ("category", "category") for b in dict.fromkeys(by)]
        groups: list[dict[str, str | None]] = [{}]
        for name, field in fields:
            groups = [{**g, name: value} for g in groups for value in self._values(searcher, with_wage, field, g)]
        cells: list[WageCell] = []
        for g in groups:
            q = self._group_query(with_wage, g)
            n = int(searcher.search(q, 1, count=True).count or 0)  # type: ignore[attr-defined]
            if not n:
                continue
            addresses = [a for _, a in searcher.search(q, n, count=False).hits]
            wages = sorted(w for w in searcher.fast_field_values("wage", addresses) if isinstance(w, float))
            if not wages:
                continue
            count, p25, median, p75 = c.percentiles_from_counts((w, 1) for w in wages)
            cells.append(WageCell(region=g.get("region"), category=g.get("category"), count=count,
                                  p25=p25, median=median, p75=p75))
        cells.sort(key=lambda cell: (-cell.count, cell.region or "", cell.category or ""))
        return cells

    def _group_query(self, base: Query, group: dict[str, str | None]) -> Query:
        clauses: list[tuple[Occur, Query]] = [(Occur.Must, base)]
        for name, value in group.items():
            field = "region_city" if name == "region" else "category"
            if value is None:
                clauses.append((Occur.MustNot, Query.exists_query(field)))
            else:
                clauses.append((Occur.Must, self._filter(field, value)))
        return Query.boolean_query(clauses)

    def _values(self, searcher: tantivy.Searcher, base: Query, field: str,
                group: dict[str, str | None]) -> list[str | None]:
        q = self._group_query(base, group)
        aggs = searcher.aggregate(q, {"v": {"terms": {"field": field, "size": _FACET_SIZE}}})
        values: list[str | None] = [*sorted(str(b["key"]) for b in aggs.get("v", {}).get("buckets", []))]
        missing = Query.boolean_query([(Occur.Must, q), (Occur.MustNot, Query.exists_query(field))])
        if searcher.search(missing, 1, count=True).count:  # type: ignore[attr-defined]
            values.append(None)
        return values
