"""Engines under test (tests/search and its conformance suite).

Embedded always; Elasticsearch on ELASTICSEARCH_URL, else on an osmem-server process.

The osmem-server process is started once per session on a free loopback port
(``--addr 127.0.0.1:0``; it prints one JSON line with its URL when ready) and
stopped at the end. Each test gets its own alias (``t<n>-postings``), dropped after.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from search.base import SearchBackend
from search.elasticsearch import ElasticsearchBackend
from search.embedded import EmbeddedBackend
from tests.search.conformance.corpus import CORPUS, clock
from tests.search.osmem import OsmemProcess

Factory = Callable[[], Any]


@pytest.fixture(scope="session")
def osmem() -> Iterator[OsmemProcess]:
    pytest.importorskip("osmem_server", reason="osmem-server is in the test extra: pip install -e '.[test]'")
    server = OsmemProcess()
    yield server
    server.kill()


@pytest.fixture(scope="session")
def es_url(request: pytest.FixtureRequest) -> str:
    url = os.environ.get("ELASTICSEARCH_URL")
    if url:
        return url
    server: OsmemProcess = request.getfixturevalue("osmem")
    return server.url


_aliases = itertools.count(1)


@pytest.fixture(params=["embedded", "elasticsearch"])
def make_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Factory]:
    """A factory of empty backends of one engine; every backend made is closed (and dropped) after the test."""
    made: list[Any] = []

    def make() -> Any:
        b: SearchBackend
        if request.param == "embedded":
            b = EmbeddedBackend(tmp_path / f"index{len(made)}", clock=clock)
        else:
            url = request.getfixturevalue("es_url")
            b = ElasticsearchBackend(url, alias=f"t{os.getpid()}-{next(_aliases)}-postings", clock=clock)
        made.append(b)
        return b

    yield make
    for b in made:
        if isinstance(b, ElasticsearchBackend):
            b.drop()
        b.close()


@pytest.fixture
def backend(make_backend: Factory) -> Any:
    b = make_backend()
    b.upsert(CORPUS)
    b.commit()
    return b
