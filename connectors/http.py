"""Polite HTTP for the httpx-based connectors (json_api, feed over a URL).

What every request goes through, in order:

1. **robots.txt** of the origin (fetched once per client with Protego, RFC 9309: a 4xx robots.txt allows
   everything, a 5xx or an unreachable one disallows everything). A disallowed URL raises
   :class:`RobotsDisallowed` and is never requested.
2. **the host's limiter**: per ``host:port`` and per process, shared by every source on that host,
   at most ``concurrency`` requests in flight and at least ``delay`` seconds between their starts. When
   two sources on one host ask for different figures the politer one wins (largest delay, smallest
   concurrency). A ``Retry-After`` pushes the whole host back, not only the request that got it.
3. **retries** for transient failures only (timeouts, refused connections, 5xx, 429), exponential backoff
   with full jitter; ``Retry-After`` on 429/503 is honoured instead of the backoff when the server gives it
   (up to ``max_retry_after`` seconds; a longer wait ends the run as transient rather than hang).

``PoliteClient.requests`` counts every request sent (robots.txt and retries included), so a run can report
what it cost the site.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from protego import Protego
from pydantic import BaseModel, ConfigDict, Field

from aggregator.errors import HarvestError, TransientHarvestError

TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504, 522, 524})


class HttpOptions(BaseModel):
    """``options.http`` of every connector: timeouts, retries and politeness toward the host."""

    model_config = ConfigDict(extra="forbid")

    timeout: float = Field(default=30.0, gt=0, description="seconds per request (connect, read, write)")
    retries: int = Field(default=3, ge=0, le=10, description="extra attempts after a transient failure")
    delay: float = Field(default=0.25, ge=0, description="seconds between request starts on one host")
    concurrency: int = Field(default=2, ge=1, le=32, description="requests in flight per host")
    respect_robots: bool = True
    backoff: float = Field(default=0.5, ge=0, description="first retry waits up to this many seconds, doubling")
    max_retry_after: float = Field(default=120.0, ge=0, description="longest Retry-After honoured")


class RobotsDisallowed(HarvestError):
    """Raised by :class:`PoliteClient` for a URL the site's robots.txt forbids; the URL was not requested."""


# --- per-host limiters (module level: shared by every client in the process) -----------------------------


@dataclass
class HostLimiter:
    """At most ``concurrency`` requests in flight, ``delay`` seconds between starts, pauses on Retry-After."""

    concurrency: int
    delay: float
    in_flight: int = 0
    next_start: float = 0.0
    cond: threading.Condition = field(default_factory=threading.Condition)

    def tighten(self, concurrency: int, delay: float) -> None:
        with self.cond:
            self.concurrency = min(self.concurrency, concurrency)
            self.delay = max(self.delay, delay)

    def pause_until(self, when: float) -> None:
        with self.cond:
            self.next_start = max(self.next_start, when)

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self.cond:
            while self.in_flight >= self.concurrency:
                self.cond.wait()
            self.in_flight += 1
            # Reserve a start time under the lock so concurrent callers space themselves out.
            start = max(time.monotonic(), self.next_start)
            self.next_start = start + self.delay
        try:
            wait = start - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            yield
        finally:
            with self.cond:
                self.in_flight -= 1
                self.cond.notify()


_HOSTS: dict[str, HostLimiter] = {}
_HOSTS_LOCK = threading.Lock()


def host_key(url: str) -> str:
    """``host:port`` of a URL (default ports filled in): the unit politeness is counted in."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{(parts.hostname or '').lower()}:{port}"


def host_limiter(url: str, *, concurrency: int, delay: float) -> HostLimiter:
    """The process-wide limiter of the URL's host, made politer if this caller asks for more politeness."""
    key = host_key(url)
    with _HOSTS_LOCK:
        limiter = _HOSTS.get(key)
        if limiter is None:
            limiter = _HOSTS[key] = HostLimiter(concurrency=concurrency, delay=delay)
            return limiter
    limiter.tighten(concurrency, delay)
    return limiter


def reset_host_limiters() -> None:
    """Forget every host's limiter (tests; a long-running daemon after a source's politeness was relaxed)."""
    with _HOSTS_LOCK:
        _HOSTS.clear()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); ``None`` if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


# --- the client -------------------------------------------------------------------------------------------


class PoliteClient:
    """An httpx client that asks robots.txt, keeps to the host's limits and retries what is worth retrying."""

    def __init__(self, options: HttpOptions, *, user_agent: str, headers: Mapping[str, str] | None = None) -> None:
        self.options = options
        self.user_agent = user_agent
        self.requests = 0
        self._robots: dict[str, Protego | None] = {}
        self._client = httpx.Client(
            headers={"User-Agent": user_agent, **(headers or {})},
            timeout=httpx.Timeout(options.timeout),
            follow_redirects=True,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # robots ---------------------------------------------------------------------------------------------

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets this client's User-Agent fetch ``url`` (fetches robots.txt once per origin)."""
        if not self.options.respect_robots:
            return True
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = self._fetch_robots(origin)
        rules = self._robots[origin]
        return True if rules is None else bool(rules.can_fetch(url, self.user_agent))

    def _fetch_robots(self, origin: str) -> Protego | None:
        url = origin + "/robots.txt"
        try:
            response = self._send("GET", url, {})
        except TransientHarvestError as exc:
            raise TransientHarvestError(f"robots.txt unavailable, not crawling {origin}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientHarvestError(f"robots.txt unavailable (HTTP {response.status_code}), not crawling {origin}")
        if response.status_code >= 400:
            return None  # RFC 9309: no robots.txt (4xx) means everything is allowed
        return Protego.parse(response.text)

    # requests -------------------------------------------------------------------------------------------

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request politely; transient failures are retried, the last one raised as transient."""
        if not self.allowed(url):
            raise RobotsDisallowed(f"robots.txt of {host_key(url)} forbids {url} for {self.user_agent!r}")
        return self._send(method, url, kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    @contextmanager
    def stream(self, method: str, url: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """Like :meth:`request` but the body streams; only failures before the body starts are retried."""
        if not self.allowed(url):
            raise RobotsDisallowed(f"robots.txt of {host_key(url)} forbids {url} for {self.user_agent!r}")
        response = self._send(method, url, kwargs, stream=True)
        try:
            yield response
        finally:
            response.close()

    def _send(self, method: str, url: str, kwargs: dict[str, Any], *, stream: bool = False) -> httpx.Response:
        opts = self.options
        limiter = host_limiter(url, concurrency=opts.concurrency, delay=opts.delay)
        attempt = 0
        while True:
            wait: float | None = None
            try:
                with limiter.slot():
                    self.requests += 1
                    request = self._client.build_request(method, url, **kwargs)
                    response = self._client.send(request, stream=stream)
            except httpx.TransportError as exc:
                if attempt >= opts.retries:
                    raise TransientHarvestError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
            else:
                if response.status_code not in TRANSIENT_STATUS:
                    return response
                if stream:
                    response.close()
                if attempt >= opts.retries:
                    return response  # the caller's raise_for_status makes it a TransientHarvestError
                if response.status_code in (429, 503):
                    wait = parse_retry_after(response.headers.get("Retry-After"))
                    if wait is not None:
                        if wait > opts.max_retry_after:
                            raise TransientHarvestError(
                                f"{method} {url} -> HTTP {response.status_code} with Retry-After {wait:.0f}s "
                                f"(more than max_retry_after {opts.max_retry_after:.0f}s)")
                        limiter.pause_until(time.monotonic() + wait)
                        wait = 0.0  # the limiter itself now holds every request to the host back
            attempt += 1
            if wait is None:
                # Full jitter: a herd of clients does not retry in step.
                time.sleep(random.uniform(0, opts.backoff * 2 ** (attempt - 1)))
