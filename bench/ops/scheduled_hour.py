"""One scheduled hour of the sandbox province, compressed: the real scheduler, the sources' own schedules.

Starts the sandbox province (``connectors.sandbox.Sandbox``) on loopback, opens the built-in sandbox
sources (``connectors/samples/sources``) with every ``interval`` divided by ``--compress``, runs
:class:`aggregator.scheduler.Scheduler` for ``3600 / compress`` seconds, stops it as SIGTERM would,
and prints runs, requests and postings as JSON. Usage::

    .venv/bin/python bench/ops/scheduled_hour.py --compress 30
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

from aggregator.app import App
from aggregator.scheduler import Scheduler, SchedulerConfig, ScheduleSpec
from aggregator.settings import DEMO_SOURCES_DIR
from connectors.sandbox import Sandbox


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--compress", type=float, default=30.0, help="wall seconds = schedule seconds / compress")
    ap.add_argument("--size", type=int, default=400, help="sandbox postings open on day 0")
    ap.add_argument("--max-running", type=int, default=4)
    args = ap.parse_args()
    wall = 3600 / args.compress
    with tempfile.TemporaryDirectory() as home, Sandbox(size=args.size) as sandbox:
        os.environ.update(sandbox.env())
        app = App.open(DEMO_SOURCES_DIR, home=Path(home), entrypoints=False)
        scaled = []
        for s in app.sources.sources.values():
            spec = ScheduleSpec.parse(s.schedule or "interval:1h")
            seconds = (spec.seconds if spec.kind == "interval" else 3600) / args.compress
            scaled.append(s.model_copy(update={"schedule": f"interval:{seconds:g}s"}))
        scheduler = Scheduler(app, SchedulerConfig(jitter=0.0, max_running=args.max_running, per_host=1),
                              sources=scaled)
        started = time.monotonic()
        scheduler.run_forever(duration=wall)
        elapsed = time.monotonic() - started
        runs = app.catalog.runs(limit=100_000)
        counts = app.catalog.counts()
        result = {
            "compress": args.compress, "wall_s": round(elapsed, 1), "sandbox_size": args.size,
            "sources": len(scaled),
            "schedules": {s.id: s.schedule for s in scaled},
            "runs": len(runs), "by_status": dict(Counter(r.status for r in runs)),
            "requests": sum(r.requests for r in runs),
            "fetched": sum(r.fetched for r in runs), "new": sum(r.new for r in runs),
            "updated": sum(r.updated for r in runs), "quarantined_records": counts["quarantined"],
            "postings": counts["postings"], "open": counts["open"], "clusters": counts["clusters"],
            "outbox_left": counts["outbox"],
            "alarms": sum(len(r.alarms) for r in runs),
            "per_source": {sid: {"runs": sum(r.source_id == sid for r in runs),
                                 "requests": sum(r.requests for r in runs if r.source_id == sid),
                                 "fetched": sum(r.fetched for r in runs if r.source_id == sid),
                                 "seconds": round(sum(r.duration_s or 0 for r in runs if r.source_id == sid), 1)}
                           for sid in sorted({r.source_id for r in runs})},
            "errors": sorted({f"{r.source_id}: {r.error}" for r in runs if r.status == "failed"}),
        }
        app.close()
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
