"""Seekers fixtures: a loopback webhook receiver, postings built directly, a fixed clock."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from elasticsearch import ApiError

from aggregator.schema import JobPosting, Location, Provenance, Salary


class Receiver:
    """A real HTTP server on 127.0.0.1 recording every POST; answers ``statuses`` in turn, then 200."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.always: int | None = None
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    status = receiver.always or (receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.calls]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 2, 4, 0, tzinfo=UTC))  # 12:00 in Asia/Shanghai, a Monday


def posting(n: int, *, title: str = "仓库分拣员", category: str | None = "物流配送", code: str = "440111",
            pay: tuple[float | None, float | None, str | None] = (180, None, "day"), lat: float | None = None,
            lon: float | None = None, source: str = "feed_a", cluster: str | None = None, **over: Any) -> JobPosting:
    lo, hi, unit = pay
    factors = {"hour": 8.0, "day": 1.0, "week": 0.2, "month": 1 / 21.75, "year": 1 / 250}
    daily = None
    if unit in factors and lo is not None:
        daily = round(((lo + hi) / 2 if hi is not None else lo) * factors[unit], 2)
    native = f"N{n:05d}"
    pid = JobPosting.make_id(source, native)
    salary = Salary(min=lo, max=hi, unit=unit, daily_estimate=daily) if unit else None
    return JobPosting(
        id=pid, cluster_id=cluster or "c" + pid[1:], source_id=source, native_id=native, title=title,
        category=category, location=Location(code=code, lat=lat, lon=lon), salary=salary,
        provenance=Provenance(source_id=source, native_id=native, connector="feed",
                              fetched_at=datetime(2026, 11, 1, tzinfo=UTC), content_hash=str(n)),
        **over)


# --- Elasticsearch (the percolator matcher): the same approach as tests/search ------------------------
# ELASTICSEARCH_URL when set, else an osmem-server process started once per session.


@pytest.fixture(scope="session")
def es_url() -> Iterator[str]:
    url = os.environ.get("ELASTICSEARCH_URL")
    if url:
        yield url
        return
    pytest.importorskip("osmem_server", reason="osmem-server is in the test extra: pip install -e '.[test]'")
    from tests.search.osmem import OsmemProcess

    server = OsmemProcess()
    yield server.url
    server.kill()


def percolate_error(url: str) -> str | None:
    """Try a real percolation on ``url``: ``None`` when it works, else the engine's exact refusal."""
    from search.elasticsearch import make_client

    es = make_client(url)
    index = f"probe-{os.getpid()}-percolator"
    try:
        es.indices.create(index=index, mappings={"properties": {"query": {"type": "percolator"},
                                                                "k": {"type": "keyword"}}})
        es.index(index=index, id="1", document={"query": {"term": {"k": "x"}}}, refresh=True)
        try:
            hits = es.search(index=index, query={"percolate": {"field": "query", "document": {"k": "x"}}}).body
        except ApiError as exc:
            return f"HTTP {exc.status_code}: {exc.body}"
        assert [h["_id"] for h in hits["hits"]["hits"]] == ["1"], hits
        return None
    finally:
        es.indices.delete(index=index, ignore_unavailable=True)
        es.close()


@pytest.fixture(scope="session")
def percolator_url(es_url: str) -> str:
    """An engine that can percolate. osmem-server cannot (it refuses the percolate query): skip, saying so,
    unless ELASTICSEARCH_URL names the engine, when a refusal is a failure."""
    error = percolate_error(es_url)
    if error is None:
        return es_url
    if os.environ.get("ELASTICSEARCH_URL"):
        pytest.fail(f"ELASTICSEARCH_URL={es_url} cannot percolate: {error}")
    pytest.skip(f"osmem-server cannot percolate ({error}); set ELASTICSEARCH_URL to a real Elasticsearch "
                f"to run the percolator matcher's conformance")
