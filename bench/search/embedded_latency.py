"""p50/p95 latency of a typical filtered + faceted query on the embedded index, and its build time.

    .venv/bin/python -m bench.search.embedded_latency 100000 [runs]
"""

from __future__ import annotations

import itertools
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.search.synth import COUNTIES, postings
from search import SearchQuery
from search.embedded import EmbeddedBackend

WORDS = ["保洁", "外卖", "普工", "日结", "服务员", "电工", "包吃住", "保安", "分拣", "钟点工"]
CITIES = sorted({c[0][:4] + "00" for c in COUNTIES})


def queries() -> list[SearchQuery]:
    """A portal's typical search: words, a city, a minimum daily wage, facets, page 1 (and some page 2)."""
    out = []
    for i, (word, city) in enumerate(itertools.product(WORDS, CITIES)):
        out.append(SearchQuery(q=word, region=city, min_daily_wage=150 if i % 2 else None,
                               verified_only=i % 5 == 0, offset=20 if i % 7 == 0 else 0))
    return out


def main() -> None:
    n = int(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    tmp = Path(tempfile.mkdtemp(prefix="lingong-bench-"))
    try:
        backend = EmbeddedBackend(tmp / "index", heap_size=512_000_000, num_threads=2)
        start = time.perf_counter()
        batch = []
        for doc in postings(n):
            batch.append(doc)
            if len(batch) == 10_000:
                backend.upsert(batch)
                batch = []
        backend.upsert(batch)
        backend.commit()
        build = time.perf_counter() - start
        assert backend.count() == n
        qs = queries()
        for q in qs[:20]:  # warm the page cache
            backend.search(q)
        p50s, p95s = [], []
        for _ in range(runs):
            times = []
            for q in qs:
                t = time.perf_counter()
                backend.search(q)
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            p50s.append(statistics.median(times))
            p95s.append(times[int(len(times) * 0.95) - 1])
        size = sum(f.stat().st_size for f in (tmp / "index").rglob("*") if f.is_file())
        print(f"embedded n={n}: build {build:.1f} s ({n / build:,.0f} docs/s), index {size / 1e6:.0f} MB; "
              f"{len(qs)} queries × {runs} runs: p50 {statistics.median(p50s):.2f} ms, "
              f"p95 {statistics.median(p95s):.2f} ms (medians of runs; p95 per run {[round(x, 1) for x in p95s]})")
        backend.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
