"""The Elasticsearch engine of the matcher: stored queries in a percolator index beside the postings alias.

Selected instead of :class:`~aggregator.seekers.matcher.EmbeddedMatcher` when the search backend is
``elasticsearch`` (:func:`aggregator.seekers.service.matcher_for`). Layout::

    lingong-postings            the postings alias (search.elasticsearch)
    lingong-postings-seekers    this index: one document per stored query (seeker or saved search),
                                ``_id`` = its catalog ``seq``; ``query`` is a ``percolator`` field

A stored query (:func:`stored_query`) is a ``bool`` filter over the fields of a *match document*
(:func:`match_document`), which is built from the posting for matching only (never stored)::

    m.region        keyword array: the posting's region code and its ancestors
    m.category      keyword
    m.occupation    keyword array: every prefix of its 职业分类大典 code (4, 4-02, 4-02-01 ...)
    m.wage          double: salary.daily_estimate (the floor is compared after unit conversion)
    m.unit, m.top   keyword, double: pay unit and top of the offered range (piece/session floors)
    m.geo           geo_point
    m.text          keyword: title, description and employer, lower-cased (saved-search words as
                    ``*word*`` wildcards, i.e. substrings, as the embedded matcher); ``m.long_text``
                    marks a text too long for a keyword, which every word then passes (checked below)
    m.employment_type, m.verification   keyword
    m.age_s         double: seconds since the posting was posted, as of the matcher's ``now``

The same semantics as the embedded matcher: place (region ancestors, or distance), categories OR
occupations (by code prefix), pay floor after unit conversion, and the saved-search filters, all
AND-ed. The percolator's hits are then checked exactly by :func:`~aggregator.seekers.matcher.suits`
(distance radii are padded by 0.1 % + 10 m so that Elasticsearch's slightly different earth radius
and point encoding never drop a match on the boundary) and ranked by
:func:`~aggregator.seekers.matcher.fit`. Closed postings and blacklisted employers match nothing,
before any query is run.

**Keeping the index in step with the catalog.** The catalog is the record. Before each match,
if the catalog's seeker version differs from the one the index was last synced to (kept in the
index mapping's ``_meta``), the matcher compares ``(seq, digest of the profile)`` of every stored
query on both sides and writes the difference (new and changed queries indexed, removed ones deleted). A
deletion (``DELETE /v1/seekers/{id}``) is also applied at once by :meth:`PercolatorMatcher.forget`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from elasticsearch import ApiError, NotFoundError

from aggregator.errors import BackendUnavailableError, SearchBackendError
from aggregator.schema import JobPosting
from aggregator.seekers.matcher import Match, PostingView, fit, load_profiles, suits
from aggregator.seekers.model import Profile
from search.elasticsearch import engine_errors

if TYPE_CHECKING:
    from aggregator.catalog import Catalog

log = logging.getLogger(__name__)

SUFFIX = "-seekers"
#: Texts longer than this (characters) are not indexed as a keyword (Lucene's term limit is 32766 bytes).
MAX_TEXT = 8000
PAGE = 5000

_KW: dict[str, Any] = {"type": "keyword"}
INDEX_BODY: dict[str, Any] = {
    "settings": {"number_of_shards": 1},
    "mappings": {
        "dynamic": False,
        "properties": {
            "query": {"type": "percolator"},
            "seq": {"type": "long"},
            "kind": _KW,
            "stamp": _KW,
            "m": {"properties": {
                "region": _KW, "category": _KW, "occupation": _KW, "wage": {"type": "double"}, "unit": _KW,
                "top": {"type": "double"}, "geo": {"type": "geo_point"},
                "text": {"type": "keyword", "ignore_above": MAX_TEXT}, "long_text": {"type": "boolean"},
                "employment_type": _KW, "verification": _KW, "age_s": {"type": "double"},
            }},
        },
    },
}


def _term(field: str, value: Any) -> dict[str, Any]:
    return {"term": {f"m.{field}": value}}


def _wildcard_escape(word: str) -> str:
    return "".join("\\" + ch if ch in "\\*?" else ch for ch in word)


def stored_query(p: Profile) -> dict[str, Any]:
    """The percolator query of one stored query: the filters :func:`suits` applies, as a ``bool`` filter."""
    f: list[dict[str, Any]] = []
    if p.region:
        f.append(_term("region", p.region))
    if p.near is not None:
        radius = p.radius_km or 30.0
        f.append({"geo_distance": {"distance": f"{radius * 1.001 + 0.01:.6f}km", "distance_type": "arc",
                                   "m.geo": {"lat": p.near[0], "lon": p.near[1]}}})
    if p.categories or p.occupations:
        should: list[dict[str, Any]] = []
        if p.categories:
            should.append({"terms": {"m.category": list(p.categories)}})
        if p.occupations:
            should.append({"terms": {"m.occupation": list(p.occupations)}})
        f.append({"bool": {"should": should, "minimum_should_match": 1}})
    unit = p.floor_unit()
    if unit is not None:
        amount = p.min_pay.amount if p.min_pay is not None else 0.0
        f += [_term("unit", unit), {"range": {"m.top": {"gte": amount}}}]
    else:
        floor = p.floor_daily()
        if floor is not None:
            f.append({"range": {"m.wage": {"gte": floor}}})
    for word in p.terms:
        f.append({"bool": {"should": [{"wildcard": {"m.text": {"value": f"*{_wildcard_escape(word.lower())}*"}}},
                                      _term("long_text", True)], "minimum_should_match": 1}})
    if p.employment_type:
        f.append(_term("employment_type", p.employment_type))
    if p.pay_unit:
        f.append(_term("unit", p.pay_unit))
    if p.verified_only:
        f.append(_term("verification", "verified"))
    if p.posted_within_days is not None:
        f.append({"range": {"m.age_s": {"lte": p.posted_within_days * 86400}}})
    return {"bool": {"filter": f}}


def match_document(view: PostingView, now: datetime) -> dict[str, Any]:
    """The document percolated for one posting (the ``m`` fields :func:`stored_query` reads)."""
    posting = view.posting
    s = posting.salary
    top = (s.max if s.max is not None else s.min) if s is not None else None
    occupation = []
    if view.occupation:
        parts = view.occupation.split("-")
        occupation = ["-".join(parts[:i]) for i in range(1, len(parts) + 1)]
    age: float | None = None
    if posting.posted_at is not None:
        posted = posting.posted_at if posting.posted_at.tzinfo else posting.posted_at.replace(tzinfo=UTC)
        age = (now - posted).total_seconds()
    long_text = len(view.text) > MAX_TEXT
    m: dict[str, Any] = {
        "region": view.regions or None, "category": view.category, "occupation": occupation or None,
        "wage": view.daily, "unit": view.unit, "top": top,
        "geo": {"lat": view.point[0], "lon": view.point[1]} if view.point else None,
        "text": None if long_text else view.text, "long_text": long_text,
        "employment_type": posting.schedule.employment_type, "verification": posting.employer.verification,
        "age_s": age,
    }
    return {"m": {k: v for k, v in m.items() if v is not None}}


class PercolatorMatcher:
    """Stored queries in an Elasticsearch percolator index, kept in step with the catalog."""

    name = "elasticsearch"

    def __init__(self, catalog: Catalog, url: str, *, alias: str, request_timeout: float = 30.0,
                 profile_cache: int = 200_000) -> None:
        from search.elasticsearch import make_client

        self.catalog = catalog
        self.url = url
        self.index = alias + SUFFIX
        self._es = make_client(url, request_timeout=request_timeout)
        self._synced: str | None = None
        self._ready = False
        self._profiles: OrderedDict[int, Profile] = OrderedDict()
        self._profile_cache = profile_cache
        self._lock = threading.RLock()

    @contextmanager
    def _calls(self, what: str) -> Iterator[None]:
        def forget() -> None:
            self._ready = False
            self._synced = None

        with engine_errors(self.url, f"{what} on {self.index}", on_unreachable=forget):
            yield

    def _ensure(self) -> None:
        if self._ready:
            return
        with self._calls("creating the percolator index"):
            if not self._es.indices.exists(index=self.index):
                try:
                    self._es.indices.create(index=self.index, **INDEX_BODY)
                except ApiError as e:
                    if "resource_already_exists" not in str(e):
                        raise
        self._ready = True

    # --- keeping in step with the catalog --------------------------------------------------------

    def _index_version(self) -> str | None:
        with self._calls("reading the percolator index version"):
            body = self._es.indices.get_mapping(index=self.index).body
        meta = body.get(self.index, {}).get("mappings", {}).get("_meta", {})
        version = meta.get("seekers_version")
        return str(version) if version is not None else None

    def indexed_stamps(self) -> dict[int, str]:
        """``seq`` → the stamp (digest of the profile, :meth:`Catalog.seeker_stamps`) of every stored query indexed."""
        self._ensure()
        out: dict[int, str] = {}
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"query": {"match_all": {}}, "size": PAGE, "sort": [{"seq": "asc"}],
                                    "_source": ["seq", "stamp"]}
            if after is not None:
                body["search_after"] = after
            with self._calls("listing stored queries"):
                hits = self._es.search(index=self.index, **body).body["hits"]["hits"]
            for hit in hits:
                out[int(hit["_source"]["seq"])] = str(hit["_source"].get("stamp", ""))
            if len(hits) < PAGE:
                return out
            after = hits[-1]["sort"]

    def sync(self) -> tuple[int, int]:
        """Bring the index in step with the catalog; return (stored queries written, removed)."""
        with self._lock:
            version = self.catalog.seekers_version()
            if version == self._synced:
                return 0, 0
            self._ensure()
            if self._index_version() == version:
                self._synced = version
                return 0, 0
            stamps = self.catalog.seeker_stamps()
            indexed = self.indexed_stamps()
            changed = sorted(s for s, at in stamps.items() if indexed.get(s) != at)
            gone = sorted(s for s in indexed if s not in stamps)
            for i in range(0, len(changed), 1000):
                chunk = changed[i:i + 1000]
                lines: list[str] = []
                for seq, doc in self.catalog.seeker_profiles(chunk):
                    prof = Profile.model_validate_json(doc)
                    self._profiles.pop(seq, None)
                    lines += [json.dumps({"index": {"_id": str(seq)}}),
                              json.dumps({"seq": seq, "kind": prof.kind, "stamp": stamps[seq],
                                          "query": stored_query(prof)}, ensure_ascii=False)]
                self._bulk(lines)
            for i in range(0, len(gone), 1000):
                self._bulk([json.dumps({"delete": {"_id": str(s)}}) for s in gone[i:i + 1000]])
                for s in gone[i:i + 1000]:
                    self._profiles.pop(s, None)
            with self._calls("recording the synced version"):
                self._es.indices.refresh(index=self.index)
                self._es.indices.put_mapping(index=self.index, meta={"seekers_version": version})
            self._synced = version
            return len(changed), len(gone)

    def _bulk(self, lines: Sequence[str]) -> None:
        if not lines:
            return
        with self._calls("writing stored queries"):
            resp = self._es.bulk(index=self.index, operations=("\n".join(lines) + "\n").encode())  # type: ignore[arg-type]
        if resp.body.get("errors"):
            bad = [r for item in resp.body["items"] for op, r in item.items()
                   if int(r.get("status", 500)) >= 300 and not (op == "delete" and r.get("status") == 404)]
            if bad:
                raise SearchBackendError(f"{len(bad)} stored queries were rejected; first: {bad[0].get('error')}")

    def forget(self, seq: int) -> None:
        """Remove one stored query from the index at once (a deleted seeker); a failure is left to :meth:`sync`."""
        self._profiles.pop(seq, None)
        try:
            self._ensure()
            with self._calls("deleting a stored query"), suppress(NotFoundError):
                self._es.delete(index=self.index, id=str(seq), refresh=True)
        except (SearchBackendError, BackendUnavailableError) as exc:
            log.warning("stored query %s stays in %s until the next sync: %s", seq, self.index, exc)
        self._synced = None

    def drop(self) -> None:
        """Delete the percolator index (tests; uninstalling)."""
        with self._calls("dropping the percolator index"):
            self._es.indices.delete(index=self.index, ignore_unavailable=True)
        self._ready = False
        self._synced = None

    def close(self) -> None:
        self._es.close()

    # --- matching --------------------------------------------------------------------------------

    def percolate(self, view: PostingView, now: datetime) -> list[int]:
        """The ``seq`` of every stored query whose percolator query the posting's match document passes."""
        self.sync()
        doc = match_document(view, now)
        out: list[int] = []
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"query": {"percolate": {"field": "query", "document": doc}}, "size": PAGE,
                                    "sort": [{"seq": "asc"}], "_source": False}
            if after is not None:
                body["search_after"] = after
            with self._calls("percolating a posting"):
                hits = self._es.search(index=self.index, **body).body["hits"]["hits"]
            out += [int(h["_id"]) for h in hits]
            if len(hits) < PAGE:
                return out
            after = hits[-1]["sort"]

    def _load(self, seqs: Sequence[int]) -> dict[int, Profile]:
        return load_profiles(self.catalog, self._profiles, self._profile_cache, seqs)

    def match(self, posting: JobPosting, now: datetime | None = None) -> list[Match]:
        """The stored queries this posting suits, best fit first (the embedded matcher's contract)."""
        if posting.status != "open" or posting.employer.verification == "blacklisted":
            return []
        now = now or datetime.now(UTC)
        view = PostingView.of(posting)
        out = []
        for seq, prof in self._load(self.percolate(view, now)).items():
            if suits(prof, view, now):
                score, reasons = fit(prof, view)
                out.append(Match(seq, prof, score, reasons))
        out.sort(key=lambda m: (-m.score, m.seq))
        return out
