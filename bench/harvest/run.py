"""Harvest throughput of the whole sandbox province, full and incremental.

    .venv/bin/python bench/harvest/run.py [SIZE ...] [--runs N]      (default: 10000 100000, 3 runs)

For each size: a fresh sandbox province (seed 20261120) and an empty catalog; a full harvest of the
eight sandbox sources (their own source files: politeness as configured, delay 0.02 s, 2 per host)
through the real pipeline; then the province moves on one day (``advance_day``: ~10 % of postings
appear, change or close) and every source runs again *incrementally* (the portal sends
``updatedSince``; html and jsonld skip unchanged detail pages by their list-row marker; feeds send
conditional GETs and are re-read whole when they changed). Reported per size, medians
over the runs: postings/second of the full harvest (records fetched / wall seconds), and the
incremental run's HTTP requests (counted by the sandbox) and wall time as ratios of the full run's,
overall and per source. Results go to stdout as JSON and to ``bench/harvest/results-<size>.json``.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from aggregator.catalog import Catalog  # noqa: E402
from aggregator.pipeline import Pipeline  # noqa: E402
from aggregator.plugins import make_plugins  # noqa: E402
from aggregator.settings import Settings  # noqa: E402
from aggregator.sources import load_sources  # noqa: E402
from connectors.sandbox import SOURCES, Sandbox  # noqa: E402
from connectors.testkit.kit import patched_env  # noqa: E402

SAMPLES = ROOT / "connectors" / "samples" / "sources"


def one_run(size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lingong-bench-") as tmp:
        src = Path(tmp) / "sources"
        src.mkdir()
        for sid in SOURCES:
            shutil.copy(SAMPLES / f"{sid}.yaml", src / f"{sid}.yaml")
        sources = list(load_sources(src).sources.values())
        settings = Settings(home=Path(tmp) / "home", sources_dir=src)
        settings.home.mkdir()
        catalog = Catalog(settings.catalog_path)
        pipeline = Pipeline(settings, make_plugins(entrypoints=False), catalog)
        with Sandbox(size=size) as sb, patched_env(sb.env()):
            result: dict[str, Any] = {}
            for mode in ("full", "incremental"):
                if mode == "incremental":
                    sb.advance_day()
                sb.reset_counters()
                per: dict[str, Any] = {}
                started = time.monotonic()
                for source in sources:
                    t = time.monotonic()
                    run = pipeline.harvest(source, full=mode == "full")
                    per[source.id] = {"status": run.status, "fetched": run.fetched, "new": run.new,
                                      "updated": run.updated, "closed": run.closed, "requests": run.requests,
                                      "seconds": round(time.monotonic() - t, 2)}
                seconds = time.monotonic() - started
                fetched = sum(p["fetched"] for p in per.values())
                requests = sum(sum(site.requests.values()) for site in sb.sites.values())
                result[mode] = {"seconds": round(seconds, 2), "fetched": fetched, "requests": requests,
                                "postings_per_s": round(fetched / seconds, 1), "sources": per}
        catalog.close()
    full, inc = result["full"], result["incremental"]
    result["ratio"] = {"requests": round(inc["requests"] / full["requests"], 3),
                       "seconds": round(inc["seconds"] / full["seconds"], 3),
                       "per_source_requests": {s: round(inc["sources"][s]["requests"] / max(1, v["requests"]), 3)
                                               for s, v in full["sources"].items()}}
    return result


def main(argv: list[str]) -> None:
    runs = 3
    if "--runs" in argv:
        i = argv.index("--runs")
        runs = int(argv[i + 1])
        del argv[i:i + 2]
    sizes = [int(a) for a in argv] or [10_000, 100_000]
    for size in sizes:
        results = [one_run(size) for _ in range(runs)]

        def med(path: tuple[str, ...], rs: list[dict[str, Any]] = results) -> float:
            vals = []
            for r in rs:
                v: Any = r
                for k in path:
                    v = v[k]
                vals.append(float(v))
            return statistics.median(vals)

        summary = {"size": size, "runs": runs,
                   "full_postings_per_s": med(("full", "postings_per_s")),
                   "full_seconds": med(("full", "seconds")), "full_fetched": med(("full", "fetched")),
                   "full_requests": med(("full", "requests")),
                   "incremental_seconds": med(("incremental", "seconds")),
                   "incremental_requests": med(("incremental", "requests")),
                   "incremental_fetched": med(("incremental", "fetched")),
                   "ratio_requests": med(("ratio", "requests")), "ratio_seconds": med(("ratio", "seconds")),
                   "portal_ratio_requests": med(("ratio", "per_source_requests", "portal_yuegong"))}
        out = {"summary": summary, "runs": results}
        (Path(__file__).parent / f"results-{size}.json").write_text(json.dumps(out, indent=1, ensure_ascii=False))
        print(json.dumps(summary, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
