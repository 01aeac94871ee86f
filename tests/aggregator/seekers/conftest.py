"""Seekers fixtures: a loopback webhook receiver, postings built directly, a fixed clock."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

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
