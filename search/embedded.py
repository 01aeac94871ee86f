"""The embedded search backend: a tantivy index in a directory, no server.

Fields (one tantivy document per duplicate cluster)::

    cluster_id       raw text            the key: upsert deletes by it, then adds
    title            whitespace text     rjieba search-mode tokens, boost 3
    employer         whitespace text     employer name tokens, boost 1.5
    description      whitespace text     boost 1
    extra            whitespace text     place names, address, category, settlement,
                                         benefits, salary text; boost 0.5
    region           raw text, multi     the location code and its ancestors (filter)
    region_leaf      raw text, fast      the most specific code (region facet)
    category, employment_type, pay_unit  raw text, fast (filter and facet)
    verification     raw text            employer verification status (filter)
    posted_ts        i64, fast           posted_at as epoch seconds (newest sort)
    wage             f64, fast           salary.daily_estimate (wage sort)
    doc              stored bytes        the original document as JSON (the hit)

Segmentation happens in Python (:mod:`search._tokenize`), so the index only
needs tantivy's built-in ``whitespace`` tokenizer and can be opened by any
process without registering an analyzer. User text becomes term queries built
programmatically; nothing the user types is parsed as query syntax.

Facets are tantivy ``terms`` aggregations over the fast fields, computed for
every hit of the query (text and filters), not just the returned page.

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

import json
import re
import threading
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import tantivy
from tantivy import Occur, Query

from aggregator.errors import BackendUnavailableError, SearchBackendError
from aggregator.schema import Location
from search._tokenize import index_text, query_groups
from search.base import FACET_FIELDS, SearchQuery, SearchResult

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

_SORT_FIELD = {"newest": "posted_ts", "wage": "wage"}

#: Postings with a naive timestamp are taken to be in China Standard Time.
_CST = timezone(timedelta(hours=8))
_REGION_CODE = re.compile(r"^\d{6}$")
_LOCK_BUSY = "LockBusy"


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("cluster_id", tokenizer_name="raw", index_option="basic")
    for name, _ in TEXT_FIELDS:
        sb.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
    sb.add_text_field("region", tokenizer_name="raw", index_option="basic")
    for name in ("region_leaf", "category", "employment_type", "pay_unit"):
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic", fast=True)
    sb.add_text_field("verification", tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("posted_ts", fast=True)
    sb.add_float_field("wage", fast=True)
    sb.add_bytes_field("doc", stored=True)
    return sb.build()


def _get(doc: dict[str, Any], *path: str) -> Any:
    """``doc[a][b]...`` or ``None`` when any level is missing, ``None`` or not a dict."""
    cur: Any = doc
    for key in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    return cur


def _text(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def _timestamp(value: Any) -> int | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, datetime):
        return int((value if value.tzinfo else value.replace(tzinfo=_CST)).timestamp())
    if isinstance(value, date):
        return int(datetime(value.year, value.month, value.day, tzinfo=_CST).timestamp())
    return None


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if f == f and f not in (float("inf"), float("-inf")) else None


def _to_document(doc: dict[str, Any]) -> tuple[str, tantivy.Document]:
    """One posting dict → its key and the tantivy document. Tolerates any missing part."""
    key = _text(doc.get("cluster_id"))
    if key is None:
        raise SearchBackendError(f"document {doc.get('id')!r} has no cluster_id; the index is keyed by it")
    out = tantivy.Document()
    out.add_text("cluster_id", key)
    out.add_text("title", index_text(_text(doc.get("title"))))
    out.add_text("employer", index_text(_text(_get(doc, "employer", "name"))))
    out.add_text("description", index_text(_text(doc.get("description"))))
    benefits = _get(doc, "salary", "benefits")
    out.add_text("extra", index_text(
        *(_text(_get(doc, "location", part)) for part in ("province", "city", "county", "address")),
        _text(doc.get("category")),
        _text(_get(doc, "salary", "settlement")),
        _text(_get(doc, "salary", "text")),
        *((_text(b) for b in benefits) if isinstance(benefits, list) else ()),
    ))
    code = _text(_get(doc, "location", "code"))
    if code is not None and _REGION_CODE.match(code):
        for region in Location(code=code).region_codes():
            out.add_text("region", region)
        out.add_text("region_leaf", code)
    for field, value in (
        ("category", doc.get("category")),
        ("employment_type", _get(doc, "schedule", "employment_type")),
        ("pay_unit", _get(doc, "salary", "unit")),
        ("verification", _get(doc, "employer", "verification")),
    ):
        text = _text(value)
        if text is not None:
            out.add_text(field, text)
    ts = _timestamp(doc.get("posted_at"))
    if ts is not None:
        out.add_integer("posted_ts", ts)
    wage = _number(_get(doc, "salary", "daily_estimate"))
    if wage is not None:
        out.add_float("wage", wage)
    out.add_bytes("doc", json.dumps(doc, ensure_ascii=False, default=str).encode())
    return key, out


class EmbeddedBackend:
    """A tantivy index on disk at ``path`` (created if absent, reopened if present).

    Writes (``upsert``, ``delete``, ``clear``) become visible to ``search`` and
    ``count`` after ``commit``. ``close`` discards uncommitted writes and
    releases the writer lock; the backend cannot be used after it.
    """

    name = "embedded"

    def __init__(
        self,
        path: Path,
        *,
        lock_timeout: float = 5.0,
        heap_size: int = 64_000_000,
        num_threads: int = 2,
    ) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self._heap_size = heap_size
        self._num_threads = num_threads
        self._schema = _schema()
        self._lock = threading.RLock()
        self._writer: tantivy.IndexWriter | None = None
        self._closed = False
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
            if self._writer is None:
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

    def _filter(self, field: str, value: str) -> Query:
        # Zero-scored: filters must not change the relevance order.
        return Query.const_score_query(Query.term_query(self._schema, field, value), 0.0)

    def _build_query(self, query: SearchQuery, groups: list[list[tuple[str, float]]]) -> Query:
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
        return Query.boolean_query(clauses) if clauses else Query.all_query()

    def search(self, query: SearchQuery) -> SearchResult:
        """Answer a query: one page of documents, the total and facets over all hits."""
        searcher = self._searcher()
        groups = query_groups(query.q)
        tq = self._build_query(query, groups)
        sort = query.sort
        if sort == "relevance" and not groups:
            sort = "newest"  # nothing to rank by: show the latest postings first
        kwargs: dict[str, Any] = {}
        if sort in _SORT_FIELD:
            # Documents without the value come last (tantivy 0.27 puts missing
            # fast-field values after all present ones in either order).
            kwargs = {"order_by_field": _SORT_FIELD[sort], "order": tantivy.Order.Desc}
        result = searcher.search(tq, query.page_size, count=True, offset=query.offset, **kwargs)
        items = [json.loads(bytes(searcher.doc(addr)["doc"][0])) for _, addr in result.hits]
        aggs = searcher.aggregate(
            tq, {name: {"terms": {"field": src, "size": _FACET_SIZE}} for name, src in _FACET_SOURCE.items()}
        )
        facets: dict[str, dict[str, int]] = {}
        for name in FACET_FIELDS:
            buckets = aggs.get(name, {}).get("buckets", [])
            pairs = ((str(b["key"]), int(b["doc_count"])) for b in buckets)
            facets[name] = dict(sorted(pairs, key=lambda kv: (-kv[1], kv[0])))
        total = result.count  # type: ignore[attr-defined]  # real attribute, missing from the 0.27 stub
        return SearchResult(total=int(total or 0), items=items, facets=facets)
