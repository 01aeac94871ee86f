"""The polite HTTP layer against real servers on 127.0.0.1: robots.txt, per-host limits, Retry-After, retries."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import pytest

from aggregator.errors import HarvestError, Transient, TransientHarvestError
from connectors.http import HttpOptions, PoliteClient, RobotsDisallowed, host_key, parse_retry_after
from tests.connectors._site import Hit, Reply, Site

UA = "lingong-test/1.0 (+https://example.invalid/bot)"


_OPEN: list[PoliteClient] = []


@pytest.fixture(autouse=True)
def site() -> Iterator[Site]:
    with Site() as s:
        yield s
    while _OPEN:
        _OPEN.pop().close()


def client(**http: Any) -> PoliteClient:
    c = PoliteClient(HttpOptions.model_validate({"delay": 0, "backoff": 0.05, **http}), user_agent=UA)
    _OPEN.append(c)
    return c


def test_robots_forbidden_path_is_never_requested(site: Site) -> None:
    site.routes["/robots.txt"] = Reply(body=b"User-agent: *\nDisallow: /private/\n",
                                       headers={"Content-Type": "text/plain"})
    site.routes["/public"] = Reply(body=b"ok")
    site.routes["/private/list"] = Reply(body=b"secret")
    c = client()
    with pytest.raises(RobotsDisallowed, match="forbids"):
        c.get(site.url + "/private/list")
    assert c.get(site.url + "/public").text == "ok"
    assert site.paths() == ["/robots.txt", "/public"]  # robots.txt read once, the forbidden path never
    assert c.requests == 2
    assert site.hits[0].headers["User-Agent"] == UA


def test_robots_missing_allows_and_robots_failing_forbids(site: Site) -> None:
    site.routes["/a"] = Reply(body=b"ok")
    assert client().get(site.url + "/a").status_code == 200  # robots.txt 404: everything allowed
    site.routes["/robots.txt"] = Reply(500, b"down")
    c = client(retries=1)
    with pytest.raises(TransientHarvestError, match=r"robots\.txt unavailable"):
        c.get(site.url + "/a")
    assert site.paths()[-2:] == ["/robots.txt", "/robots.txt"]  # retried once, /a not requested after it


def test_429_retry_after_is_waited_for(site: Site) -> None:
    calls: list[float] = []

    def limited(hit: Hit) -> Reply:
        calls.append(hit.at)
        return Reply(429, b"slow down", {"Retry-After": "1"}) if len(calls) == 1 else Reply(body=b"ok")

    site.routes["/jobs"] = limited
    c = client(respect_robots=False, backoff=0)
    assert c.get(site.url + "/jobs").text == "ok"
    assert len(calls) == 2
    assert 0.95 <= calls[1] - calls[0] < 2.0
    assert c.requests == 2


def test_retry_after_holds_the_whole_host_back(site: Site) -> None:
    times: dict[str, float] = {}

    def limited(hit: Hit) -> Reply:
        if "first" not in times:
            times["first"] = hit.at
            return Reply(503, b"busy", {"Retry-After": formatdate(time.time() + 2, usegmt=True)})
        return Reply(body=b"ok")

    def other(hit: Hit) -> Reply:
        times["other"] = hit.at
        return Reply(body=b"ok")

    site.routes["/a"] = limited
    site.routes["/b"] = other
    a, b = client(respect_robots=False), client(respect_robots=False)
    worker = threading.Thread(target=a.get, args=(site.url + "/a",))
    worker.start()
    while "first" not in times:
        time.sleep(0.01)
    time.sleep(0.05)
    b.get(site.url + "/b")  # another source on the same host waits out the Retry-After too
    worker.join()
    assert times["other"] - times["first"] >= 0.9


def test_retry_after_longer_than_allowed_fails_fast_as_transient(site: Site) -> None:
    site.routes["/jobs"] = Reply(429, b"", {"Retry-After": "3600"})
    started = time.monotonic()
    with pytest.raises(TransientHarvestError, match="max_retry_after"):
        client(respect_robots=False).get(site.url + "/jobs")
    assert time.monotonic() - started < 1.0


def test_transient_statuses_are_retried_and_others_are_not(site: Site) -> None:
    attempts = {"n": 0}

    def flaky(hit: Hit) -> Reply:
        attempts["n"] += 1
        return Reply(502, b"bad gateway") if attempts["n"] < 3 else Reply(body=b"ok")

    site.routes["/flaky"] = flaky
    site.routes["/gone"] = Reply(404, b"no")
    c = client(respect_robots=False, retries=3)
    assert c.get(site.url + "/flaky").text == "ok"
    assert attempts["n"] == 3
    assert c.get(site.url + "/gone").status_code == 404
    assert site.paths().count("/gone") == 1
    site.routes["/down"] = Reply(500, b"")
    assert c.get(site.url + "/down").status_code == 500  # retries spent: the caller's raise_for_status decides
    assert site.paths().count("/down") == 4


def test_refused_connection_is_retried_then_transient() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = client(respect_robots=False, retries=2)
    with pytest.raises(TransientHarvestError, match="ConnectError") as info:
        c.get(f"http://127.0.0.1:{port}/x")
    assert isinstance(info.value, Transient)
    assert c.requests == 3


def test_delay_is_shared_by_every_client_on_one_host(site: Site) -> None:
    site.routes["/x"] = Reply(body=b"ok")
    a, b = client(respect_robots=False, delay=0.15), client(respect_robots=False, delay=0.15)
    for _ in range(3):
        a.get(site.url + "/x")
        b.get(site.url + "/x")
    starts = [h.at for h in site.hits]
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert starts[-1] - starts[0] >= 5 * 0.15 - 0.02  # request starts are spaced client-side
    assert min(gaps) >= 0.09  # arrival at the server jitters a little around that


def test_concurrency_is_capped_per_host_across_clients(site: Site) -> None:
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    def slow(hit: Hit) -> Reply:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.1)
        with lock:
            state["now"] -= 1
        return Reply(body=b"ok")

    site.routes["/slow"] = slow
    clients = [client(respect_robots=False, concurrency=2) for _ in range(3)]
    threads = [threading.Thread(target=c.get, args=(site.url + "/slow",)) for c in clients for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state["max"] == 2


def test_host_key_and_retry_after_parsing() -> None:
    assert host_key("http://Example.com/a") == "example.com:80"
    assert host_key("https://example.com:8443/a") == "example.com:8443"
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("soon") is None
    when = parse_retry_after(formatdate(time.time() + 30, usegmt=True))
    assert when is not None and 28 <= when <= 31


def test_robots_disallowed_is_a_harvest_error() -> None:
    assert issubclass(RobotsDisallowed, HarvestError)
    assert not issubclass(RobotsDisallowed, Transient)
