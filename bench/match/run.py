"""bench/match: stored seekers × a stream of postings → matches/s and posting→webhook latency.

Deterministic synthetic data (``random.Random(seed)``): N seekers over the counties of 20
cities (60% county, 20% city, 20% a point + radius), 1–2 wanted categories of 10, a pay floor
in a random unit (hour/day/month/piece) for 85%, a webhook to a loopback receiver. Then
``--postings`` postings arrive in batches of ``--batch``, each batch committed to the catalog
and followed by what ``App.sync`` runs (match changed postings since the watermark, one
delivery pass). Figures are medians over ``--rounds`` rounds (each round a fresh stream).

    .venv/bin/python bench/match/run.py --seekers 1000000 --postings 200 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from aggregator.catalog import Catalog
from aggregator.plugins import make_plugins
from aggregator.schema import JobPosting, Location, Provenance, Salary
from aggregator.seekers import EmbeddedMatcher, Profile, Seekers, profile_keys
from aggregator.seekers.crypto import ContactBox, load_key
from aggregator.seekers.model import PayFloor

CATEGORIES = ["新业态", "家政保洁", "教育培训", "安保物业", "建筑装修", "餐饮服务", "零售收银", "物流配送", "制造普工",
              "客服销售"]
CITIES = [f"44{c:02d}" for c in range(1, 21)]
COUNTIES = [f"{c}{k:02d}" for c in CITIES for k in range(2, 12)]


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[float, str]] = []
        lock = threading.Lock()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.time()
                pid = json.loads(body)["posting"]["id"]
                with lock:
                    received.append((now, pid))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _point(rng: random.Random) -> tuple[float, float]:
    return round(21.5 + rng.random() * 3.5, 4), round(110.5 + rng.random() * 5.5, 4)


def make_seeker(rng: random.Random) -> Profile:
    r = rng.random()
    region = near = radius = None
    if r < 0.6:
        region = rng.choice(COUNTIES)
    elif r < 0.8:
        region = rng.choice(CITIES) + "00"
    else:
        near, radius = _point(rng), rng.choice([5.0, 10.0, 20.0, 30.0])
    floor = None
    if rng.random() < 0.85:
        unit = rng.choice(["hour", "day", "month", "piece"])
        amount = {"hour": rng.uniform(15, 35), "day": rng.uniform(120, 300), "month": rng.uniform(3000, 8000),
                  "piece": rng.uniform(1, 5)}[unit]
        floor = PayFloor(amount=round(amount, 1), unit=unit)
    return Profile(kind="seeker", categories=rng.sample(CATEGORIES, rng.randint(1, 2)), region=region, near=near,
                   radius_km=radius, min_pay=floor, days=[1, 2, 3, 4, 5], hours="08:00-18:00")


def make_posting(rng: random.Random, n: int, round_no: int) -> JobPosting:
    code = rng.choice(COUNTIES)
    unit = rng.choice(["hour", "day", "day", "month", "piece"])
    lo = {"hour": rng.uniform(18, 40), "day": rng.uniform(150, 350), "month": rng.uniform(4000, 9000),
          "piece": rng.uniform(1, 6)}[unit]
    factor = {"hour": 8.0, "day": 1.0, "month": 1 / 21.75}.get(unit)
    native = f"R{round_no}-{n:06d}"
    pid = JobPosting.make_id("feed_bench", native)
    lat, lon = _point(rng)
    return JobPosting(
        id=pid, cluster_id="c" + pid[1:], source_id="feed_bench", native_id=native, title="分拣员",
        category=rng.choice(CATEGORIES), location=Location(code=code, lat=lat, lon=lon),
        salary=Salary(min=round(lo, 1), unit=unit, daily_estimate=round(lo * factor, 2) if factor else None),
        provenance=Provenance(source_id="feed_bench", native_id=native, connector="feed",
                              fetched_at=datetime.now(UTC), content_hash=native))


def load_seekers(catalog: Catalog, home: Path, n: int, url: str, seed: int) -> float:
    rng = random.Random(seed)
    box = ContactBox(load_key(home))
    started = time.perf_counter()
    chunk: list[tuple[str, str, str, bytes, list[str]]] = []
    for i in range(n):
        prof = make_seeker(rng)
        sealed = box.seal({"kind": "webhook", "url": f"{url}/{i}", "secret": f"sec-{i}"})
        chunk.append((f"s_bench{i:07d}", "seeker", prof.model_dump_json(exclude_defaults=True), sealed,
                      profile_keys(prof)))
        if len(chunk) == 20_000:
            with catalog.transaction():
                catalog.put_seekers_bulk(chunk)
            chunk.clear()
    if chunk:
        with catalog.transaction():
            catalog.put_seekers_bulk(chunk)
    return time.perf_counter() - started


def one_round(catalog: Catalog, seekers: Seekers, receiver: Receiver, args: argparse.Namespace,
              round_no: int) -> dict[str, float]:
    rng = random.Random(args.seed * 1000 + round_no)
    postings = [make_posting(rng, n, round_no) for n in range(args.postings)]
    # matcher alone (warm per-key caches are part of the embedded design; a fresh matcher per round)
    matcher = EmbeddedMatcher(catalog)
    times, matched = [], 0
    for p in postings:
        t0 = time.perf_counter()
        matched += len(matcher.match(p))
        times.append(time.perf_counter() - t0)
    # end to end: commit batches, then match + deliver, as App.sync does
    receiver.received.clear()
    entered: dict[str, float] = {}
    started = time.time()
    for i in range(0, len(postings), args.batch):
        batch = postings[i:i + args.batch]
        with catalog.transaction():
            for p in batch:
                catalog.upsert_posting(p, None)
        now = time.time()
        entered.update({p.id: now for p in batch})
        seekers.process_changes()
        while seekers.dispatch().sent:
            pass
    elapsed = time.time() - started
    lat = sorted(t - entered[pid] for t, pid in receiver.received)
    first: dict[str, float] = {}
    for t, pid in receiver.received:
        first[pid] = min(first.get(pid, t), t)
    lat_first = sorted(t - entered[pid] for pid, t in first.items())
    return {
        "matches_per_posting": matched / len(postings),
        "matcher_ms_p50": 1000 * statistics.median(times),
        "matcher_ms_p95": 1000 * sorted(times)[int(0.95 * (len(times) - 1))],
        "matches_per_s": matched / sum(times),
        "webhook_calls": len(lat),
        "webhooks_per_s": len(lat) / elapsed,
        "latency_s_p50": lat[len(lat) // 2] if lat else float("nan"),
        "latency_s_p95": lat[int(0.95 * (len(lat) - 1))] if lat else float("nan"),
        "first_call_latency_s_p95": lat_first[int(0.95 * (len(lat_first) - 1))] if lat_first else float("nan"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seekers", type=int, default=1_000_000)
    ap.add_argument("--postings", type=int, default=200)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--home", type=Path, default=None, help="keep the catalog here (default: a temporary dir)")
    args = ap.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="lingong-bench-match-"))
    home.mkdir(parents=True, exist_ok=True)
    receiver = Receiver()
    catalog = Catalog(home / "catalog.sqlite3")
    load_s = load_seekers(catalog, home, args.seekers, receiver.url, args.seed)
    plugins = make_plugins(entrypoints=False)
    seekers = Seekers(catalog, plugins, home)
    seekers.process_changes()  # start the watermark after what is already there
    rounds = [one_round(catalog, seekers, receiver, args, r) for r in range(args.rounds)]
    med = {k: round(statistics.median(r[k] for r in rounds), 3) for k in rounds[0]}
    print(json.dumps({"seekers": args.seekers, "postings_per_round": args.postings, "batch": args.batch,
                      "rounds": args.rounds, "load_s": round(load_s, 1), "median": med, "per_round": rounds},
                     indent=2))


if __name__ == "__main__":
    main()
