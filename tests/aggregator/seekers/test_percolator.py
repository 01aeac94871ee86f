"""The Elasticsearch percolator matcher: its stored queries, and keeping its index in step with the catalog.

The conformance of its matches with a full scan is in test_matcher (it needs an engine that can
percolate). Here:

- the stored queries and match documents, evaluated by a small interpreter of the query DSL they
  use (Elasticsearch's documented semantics for bool/term/terms/range/geo_distance/wildcard),
  select what :func:`suits` selects: a check of the query *building*, not of an engine;
- against osmem-server (or ELASTICSEARCH_URL), which stores percolator documents though it cannot
  percolate: the index is created with a ``percolator`` field, synced from the catalog (new,
  changed, removed), and a deleted seeker leaves it at once.
"""

from __future__ import annotations

import math
import os
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aggregator.app import App
from aggregator.catalog import Catalog
from aggregator.seekers import (
    EmbeddedMatcher,
    PercolatorMatcher,
    PostingView,
    Profile,
    Seekers,
    SubscriptionRequest,
    brute_force,
    match_document,
    profile_keys,
    stored_query,
)
from aggregator.seekers.percolator import MAX_TEXT
from aggregator.seekers.service import matcher_for
from search.elasticsearch import ElasticsearchBackend
from tests.aggregator.seekers.conftest import posting
from tests.aggregator.seekers.test_matcher import HOOK, NOW, _random_posting, _random_profile, seeker

# --- a minimal interpreter of the query DSL the stored queries use ----------------------------------

EARTH_MEAN_RADIUS_M = 6371008.7714  # Elasticsearch's GeoUtils.EARTH_MEAN_RADIUS (arc distances)


def _values(doc: dict[str, Any], field: str) -> list[Any]:
    node: Any = doc
    for part in field.split("."):
        if not isinstance(node, dict) or part not in node:
            return []
        node = node[part]
    return node if isinstance(node, list) else [node]


def _wildcard(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out, i = out + re.escape(pattern[i + 1]), i + 2
            continue
        out += ".*" if ch == "*" else "." if ch == "?" else re.escape(ch)
        i += 1
    return re.compile(out, re.S)


def evaluate(q: dict[str, Any], doc: dict[str, Any]) -> bool:
    ((kind, body),) = q.items()
    if kind == "bool":
        if not all(evaluate(c, doc) for c in body.get("filter", []) + body.get("must", [])):
            return False
        if any(evaluate(c, doc) for c in body.get("must_not", [])):
            return False
        should = body.get("should", [])
        need = body.get("minimum_should_match", 0 if body.get("filter") or body.get("must") else 1 if should else 0)
        return sum(evaluate(c, doc) for c in should) >= need
    ((field, arg),) = body.items() if kind != "geo_distance" else [(k, v) for k, v in body.items()
                                                                     if k not in ("distance", "distance_type")]
    values = _values(doc, field)
    if kind == "term":
        return arg in values
    if kind == "terms":
        return any(v in values for v in arg)
    if kind == "range":
        ops = {"gte": float.__ge__, "gt": float.__gt__, "lte": float.__le__, "lt": float.__lt__}
        return any(all(ops[op](float(v), float(bound)) for op, bound in arg.items()) for v in values)
    if kind == "wildcard":
        rx = _wildcard(arg["value"])
        return any(isinstance(v, str) and rx.fullmatch(v) for v in values)
    if kind == "geo_distance":
        assert body["distance"].endswith("km") and body["distance_type"] == "arc"
        limit = float(body["distance"][:-2]) * 1000
        for v in values:
            lat1, lon1, lat2, lon2 = map(math.radians, (arg["lat"], arg["lon"], v["lat"], v["lon"]))
            h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
            if 2 * EARTH_MEAN_RADIUS_M * math.asin(min(1.0, math.sqrt(h))) <= limit:
                return True
        return False
    raise AssertionError(f"the interpreter does not know {kind}")


def test_stored_queries_select_what_a_full_scan_selects() -> None:
    rng = random.Random(9)
    profiles = {i: _random_profile(rng) for i in range(400)}
    queries = {i: stored_query(p) for i, p in profiles.items()}
    total = extra = 0
    for n in range(300):
        post = _random_posting(rng, n)
        expected = brute_force(profiles, post, NOW)
        if post.status != "open" or post.employer.verification == "blacklisted":
            continue  # the matcher answers these before querying
        doc = match_document(PostingView.of(post), NOW)
        selected = sorted(i for i, q in queries.items() if evaluate(q, doc))
        assert set(expected) <= set(selected), post.model_dump(include={"category", "location", "salary"})
        extra += len(set(selected) - set(expected))  # only padded radii may add any; suits removes them
        total += len(expected)
    assert total > 200
    assert extra <= total * 0.01


def test_saved_search_words_are_substrings_even_in_long_texts() -> None:
    sub = SubscriptionRequest.model_validate({"q": "分拣 a*b?", "channel": HOOK}).profile()
    q = stored_query(sub)
    hit = PostingView.of(posting(1, title="仓库分拣员", description="需要 A*B? 技能"))
    miss = PostingView.of(posting(2, title="仓库分拣员", description="需要 aXbY 技能"))  # * and ? are literal
    assert evaluate(q, match_document(hit, NOW)) and not evaluate(q, match_document(miss, NOW))
    long = PostingView.of(posting(3, title="仓库", description="很长" * MAX_TEXT + "分拣 a*b?"))
    doc = match_document(long, NOW)
    assert "text" not in doc["m"] and doc["m"]["long_text"] is True
    assert evaluate(q, doc)  # every word passes the percolator; suits checks the words exactly after


def test_pay_floors_become_ranges_on_converted_pay() -> None:
    q = stored_query(seeker(min_pay="20元/小时", region="440100", occupations=["4-02"]))
    assert q == {"bool": {"filter": [
        {"term": {"m.region": "440100"}},
        {"bool": {"should": [{"terms": {"m.occupation": ["4-02"]}}], "minimum_should_match": 1}},
        {"range": {"m.wage": {"gte": 160.0}}},  # 20元/小时 × 8 h
    ]}}
    doc = match_document(PostingView.of(posting(1, extras={"occupation": "4-02-01-03"})), NOW)["m"]
    assert doc["region"] == ["440000", "440100", "440111"]
    assert doc["occupation"] == ["4", "4-02", "4-02-01", "4-02-01-03"]
    assert doc["wage"] == 180
    piece = stored_query(seeker(min_pay="3元/件"))
    assert piece["bool"]["filter"] == [{"term": {"m.unit": "piece"}}, {"range": {"m.top": {"gte": 3.0}}}]


# --- the index, on osmem-server (stores percolator documents; cannot percolate) or ELASTICSEARCH_URL ----


@pytest.fixture
def stored(es_url: str, tmp_path: Path) -> Iterator[tuple[Catalog, PercolatorMatcher]]:
    catalog = Catalog(tmp_path / "c.sqlite3")
    matcher = PercolatorMatcher(catalog, es_url, alias=f"t{os.getpid()}-store-postings")
    yield catalog, matcher
    matcher.drop()
    matcher.close()
    catalog.close()


def _put(catalog: Catalog, seeker_id: str, profile: Profile) -> int:
    with catalog.transaction():
        return catalog.put_seeker(seeker_id, profile.kind, profile.model_dump_json(), b"x", profile_keys(profile))


def _index_docs(matcher: PercolatorMatcher) -> dict[int, dict[str, Any]]:
    hits = matcher._es.search(index=matcher.index, query={"match_all": {}}, size=1000).body["hits"]["hits"]
    return {int(h["_id"]): h["_source"] for h in hits}


def test_the_index_follows_the_catalog(stored: tuple[Catalog, PercolatorMatcher]) -> None:
    catalog, matcher = stored
    a = _put(catalog, "s_a", seeker(region="440100", min_pay="20元/小时"))
    b = _put(catalog, "s_b", seeker(categories=["物流配送"]))
    assert matcher.sync() == (2, 0)
    mapping = matcher._es.indices.get_mapping(index=matcher.index).body[matcher.index]["mappings"]
    assert mapping["properties"]["query"] == {"type": "percolator"}
    assert mapping["_meta"] == {"seekers_version": catalog.seekers_version()}
    docs = _index_docs(matcher)
    assert set(docs) == {a, b}
    assert docs[a]["query"] == stored_query(seeker(region="440100", min_pay="20元/小时"))
    assert matcher.sync() == (0, 0)  # in step: nothing written

    _put(catalog, "s_b", seeker(categories=["餐饮服务"]))  # changed (within the same second, likely)
    c = _put(catalog, "s_c", seeker(near=(23.1, 113.3), radius_km=5))
    catalog.delete_seeker("s_a")  # removed behind the matcher's back: the sync notices
    assert matcher.sync() == (2, 1)
    docs = _index_docs(matcher)
    assert set(docs) == {b, c}
    assert docs[b]["query"]["bool"]["filter"] == [
        {"bool": {"should": [{"terms": {"m.category": ["餐饮服务"]}}], "minimum_should_match": 1}}]
    assert docs[c]["query"]["bool"]["filter"][0]["geo_distance"]["distance"] == "5.015000km"  # 5 km, padded

    fresh = PercolatorMatcher(catalog, matcher.url, alias=matcher.index.removesuffix("-seekers"))
    try:
        assert fresh.sync() == (0, 0)  # another process finds the index in step (version in _meta)
        assert fresh.indexed_stamps() == catalog.seeker_stamps()
    finally:
        fresh.close()


def test_a_deleted_seeker_leaves_the_index_at_once(es_url: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELASTICSEARCH_URL", es_url)
    monkeypatch.delenv("LINGONG_SEARCH_BACKEND", raising=False)
    monkeypatch.setenv("LINGONG_ES_INDEX", f"t{os.getpid()}-delete-postings")
    app = App.open(tmp_path / "sources", home=tmp_path / "home", entrypoints=False)
    try:
        seekers = Seekers.of(app)
        matcher = seekers.matcher
        assert isinstance(matcher, PercolatorMatcher) and matcher.index == f"t{os.getpid()}-delete-postings-seekers"
        from aggregator.seekers import SeekerRegistration

        keep = seekers.register(SeekerRegistration.model_validate({"categories": ["物流配送"], "channel": HOOK}))
        gone = seekers.register(SeekerRegistration.model_validate({"region": "440111", "channel": HOOK}))
        assert matcher.sync() == (2, 0)
        gone_seq = app.catalog.seeker(gone)
        assert gone_seq is not None
        assert seekers.delete(gone)
        assert gone_seq[0] not in _index_docs(matcher)  # removed before any sync
        assert set(_index_docs(matcher)) == {app.catalog.seeker(keep)[0]}  # type: ignore[index]
        assert not seekers.delete(gone)
        matcher.drop()
    finally:
        app.close()


def test_the_engine_follows_the_search_backend(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "c.sqlite3")
    try:
        assert isinstance(matcher_for(catalog), EmbeddedMatcher)
        es = ElasticsearchBackend("http://127.0.0.1:9", alias="x-postings")  # nothing is contacted
        m = matcher_for(catalog, es)
        assert isinstance(m, PercolatorMatcher) and m.index == "x-postings-seekers"
        assert matcher_for(catalog, es) is m
        es.close()
    finally:
        catalog.close()
