"""Elasticsearch-only behaviour: index layout, alias swap, and the engine dying mid-sync."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aggregator.catalog import Catalog
from aggregator.errors import BackendUnavailableError, ConfigError, SearchBackendError
from aggregator.indexing import sync_index
from aggregator.schema import JobPosting, Location, Provenance
from search import SearchQuery
from search.elasticsearch import ElasticsearchBackend, index_body
from tests.search.conformance.corpus import CORPUS, NOW, clock
from tests.search.osmem import OsmemProcess


@pytest.fixture
def es(es_url: str) -> Iterator[ElasticsearchBackend]:
    b = ElasticsearchBackend(es_url, alias="unit-postings", clock=clock)
    yield b
    b.drop()
    b.close()


def test_versioned_indices_behind_an_alias(es: ElasticsearchBackend) -> None:
    es.upsert(CORPUS)
    es.commit()
    assert es.index_names() == ["unit-postings-v1"]
    assert es.alias_target() == ["unit-postings-v1"]
    assert es.reindex_begin() == "unit-postings-v2"
    with pytest.raises(SearchBackendError, match="already"):
        es.reindex_begin()
    es.upsert(CORPUS[:2])
    es.reindex_commit()
    assert es.alias_target() == ["unit-postings-v2"]
    assert es.index_names() == ["unit-postings-v2"]  # the old index is dropped
    assert es.count() == 2
    with pytest.raises(SearchBackendError, match="reindex_begin"):
        es.reindex_commit()


def test_mapping() -> None:
    body = index_body()
    props = body["mappings"]["properties"]
    assert props["title"]["analyzer"] == "cjk"
    assert props["ix"]["properties"]["geo"] == {"type": "geo_point"}
    assert props["ix"]["properties"]["suggest"]["type"] == "completion"
    assert index_body("ik")["mappings"]["properties"]["title"]["analyzer"] == "ik_max_word"
    assert index_body("smartcn")["mappings"]["properties"]["description"]["search_analyzer"] == "smartcn"
    with pytest.raises(ConfigError, match="LINGONG_ES_ANALYZER"):
        index_body("jieba")


def test_rejected_document_is_reported(es: ElasticsearchBackend) -> None:
    doc = dict(CORPUS[0], cluster_id=None)
    with pytest.raises(SearchBackendError, match="cluster_id"):
        es.upsert([doc])


def test_small_chunks_load_everything(es_url: str) -> None:
    b = ElasticsearchBackend(es_url, alias="chunks-postings", clock=clock, max_chunk_bytes=2_000, max_chunk_docs=2)
    try:
        b.upsert(CORPUS)
        b.commit()
        assert b.count() == len(CORPUS)
    finally:
        b.drop()
        b.close()


def test_unreachable_engine_is_transient() -> None:
    b = ElasticsearchBackend("http://127.0.0.1:9", alias="gone", request_timeout=2)
    with pytest.raises(BackendUnavailableError, match="unreachable"):
        b.upsert(CORPUS[:1])
    with pytest.raises(BackendUnavailableError):
        b.search(SearchQuery())
    b.close()


def _posting(i: int) -> JobPosting:
    return JobPosting(
        id=f"p{i:03d}", cluster_id=f"k{i:03d}", source_id="feed_test", native_id=str(i), title=f"保洁员{i}号",
        location=Location(code="320505"),
        provenance=Provenance(source_id="feed_test", native_id=str(i), connector="feed", fetched_at=NOW,
                              content_hash=str(i)),
    )


@pytest.mark.slow
def test_engine_killed_mid_sync_then_resumes(tmp_path: Path) -> None:
    pytest.importorskip("osmem_server")
    server = OsmemProcess()  # its own process: this test kills it
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    backend = ElasticsearchBackend(server.url, alias="kill-postings", clock=clock, request_timeout=3)
    try:
        with catalog.transaction():
            for i in range(50):
                catalog.upsert_posting(_posting(i), None)
            catalog.enqueue(f"k{i:03d}" for i in range(50))
        batches: list[int] = []

        def kill_after_first(n: int) -> None:
            batches.append(n)
            if len(batches) == 1:
                server.kill()

        with pytest.raises(BackendUnavailableError):
            sync_index(catalog, backend, batch=10, progress=kill_after_first)
        assert batches == [10]
        assert catalog.outbox_batch(100)[1] == [f"k{i:03d}" for i in range(10, 50)]  # the outbox kept the rest

        restarted = OsmemProcess(server.addr)  # same address; osmem is in-memory, so it starts empty
        try:
            assert sync_index(catalog, backend, batch=10) == 40
            assert catalog.outbox_batch(100)[1] == []
            assert backend.count() == 40  # the alias was re-created on the restarted engine
            assert backend.get("k049") is not None
            assert backend.search(SearchQuery(q="保洁员", region="320500")).total == 40
        finally:
            restarted.kill()
    finally:
        backend.close()
        catalog.close()
        server.kill()
