"""Bulk throughput of ElasticsearchBackend.upsert as a ratio of a bare helpers.bulk of the same documents.

Both load into a fresh index with the same mapping on the same osmem-server
(started here) or on ELASTICSEARCH_URL. Two baselines: the public documents
as they are (the engine then indexes only the text fields: less work), and the
exact bodies the backend sends (with its ``ix`` object, built outside the
timing): the second isolates the backend's own overhead (building ``ix``,
serialising, chunking by bytes, checking every item).

    .venv/bin/python -m bench.search.es_bulk [docs] [runs]
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from elasticsearch import helpers

from bench.search.synth import postings
from search.elasticsearch import ElasticsearchBackend, _ix, index_body, make_client
from tests.search.osmem import OsmemProcess


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    docs = list(postings(n))
    prepared = [{**d, "ix": _ix(d)} for d in docs]  # what the backend sends, built outside the timing
    server = None if os.environ.get("ELASTICSEARCH_URL") else OsmemProcess()
    url = os.environ.get("ELASTICSEARCH_URL") or (server.url if server else "")
    client = make_client(url, request_timeout=120)
    bare_rates, same_rates, backend_rates = [], [], []
    try:
        for run in range(runs):
            name = f"bench-bare-{run}"
            client.indices.create(index=name, **index_body())
            t = time.perf_counter()
            ok, errors = helpers.bulk(client, ({"_index": name, "_id": d["cluster_id"], "_source": d} for d in docs),
                                      chunk_size=2000, max_chunk_bytes=5 * 1024 * 1024, stats_only=True)
            bare_rates.append(n / (time.perf_counter() - t))
            assert ok == n and not errors
            client.indices.delete(index=name)

            name = f"bench-same-{run}"
            client.indices.create(index=name, **index_body())
            t = time.perf_counter()
            ok, errors = helpers.bulk(client, ({"_index": name, "_id": d["cluster_id"], "_source": d}
                                               for d in prepared),
                                      chunk_size=2000, max_chunk_bytes=5 * 1024 * 1024, stats_only=True)
            same_rates.append(n / (time.perf_counter() - t))
            assert ok == n and not errors
            client.indices.delete(index=name)

            backend = ElasticsearchBackend(url, alias=f"bench-backend-{run}", request_timeout=120)
            backend.commit()  # creates the index and alias outside the timing
            t = time.perf_counter()
            backend.upsert(docs)
            backend_rates.append(n / (time.perf_counter() - t))
            backend.commit()
            assert backend.count() == n
            backend.drop()
            backend.close()
    finally:
        client.close()
        if server:
            server.kill()
    bare, same, ours = (statistics.median(r) for r in (bare_rates, same_rates, backend_rates))
    per_run = [round(b / a, 2) for a, b in zip(bare_rates, backend_rates, strict=True)]
    per_run_same = [round(b / a, 2) for a, b in zip(same_rates, backend_rates, strict=True)]
    print(f"es bulk n={n} × {runs} runs: backend {ours:,.0f} docs/s; bare helpers.bulk of the public documents "
          f"{bare:,.0f} docs/s (ratio {ours / bare:.2f}, per run {per_run}); bare helpers.bulk of the same bodies "
          f"the backend sends (with ix) {same:,.0f} docs/s (ratio {ours / same:.2f}, per run {per_run_same})")


if __name__ == "__main__":
    main()
