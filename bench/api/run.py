"""HTTP API requests per second: ``lingong serve`` under ``wrk`` (Debian package ``wrk``).

    .venv/bin/python bench/api/run.py [--runs 3] [--seconds 10] [--connections 16]

Builds a catalog with ``lingong demo`` in a temporary LINGONG_HOME (the sandbox province, ~730
distinct jobs), starts ``lingong serve`` (one uvicorn worker) on a free loopback port, and drives
typical portal requests with wrk (2 threads): a filtered + faceted search, a posting, suggest.
Reports the median over runs of requests/s and of wrk's p50/p99 latency per endpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINGONG = [sys.executable, "-m", "aggregator"]

ENDPOINTS = {
    "search": "/v1/search?" + urllib.parse.urlencode({"q": "普工", "region": "440000", "page_size": 20}),
    "search_filtered": "/v1/search?" + urllib.parse.urlencode(
        {"q": "骑手", "region": "440100", "min_daily_wage": 100, "sort": "newest"}),
    "suggest": "/v1/suggest?" + urllib.parse.urlencode({"q": "保"}),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses")
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    home = Path(tempfile.mkdtemp(prefix="lingong-api-bench-"))
    env = {**os.environ, "LINGONG_HOME": str(home)}
    subprocess.run([*LINGONG, "demo", "--json"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    port = _free_port()
    server = subprocess.Popen([*LINGONG, "serve", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        first = json.load(urllib.request.urlopen(base + ENDPOINTS["search"]))["items"][0]["id"]
        endpoints = {**ENDPOINTS, "posting": f"/v1/postings/{first}"}
        results: dict[str, dict[str, float]] = {}
        for name, path in endpoints.items():
            runs = [_wrk(base + path, args.seconds, args.connections) for _ in range(args.runs)]
            results[name] = {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]}
        print(json.dumps({"runs": args.runs, "seconds": args.seconds, "connections": args.connections,
                          "results": results}, indent=2))
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
