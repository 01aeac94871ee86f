"""Two loopback HTTP servers: one replays recorded exchanges, one records a live site while proxying it.

Both are real HTTP servers on 127.0.0.1, so the real connector code (httpx, a Scrapy child process)
runs over real sockets: nothing is mocked inside the connector.
"""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx

from connectors.testkit.fixtures import ORIGIN, Exchange, header, is_text_type, request_key, swap_origin

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "te",
               "trailer", "upgrade", "proxy-authenticate", "proxy-authorization", "date", "server"}


class _Server:
    """A threaded server on 127.0.0.1 whose requests go to ``self.serve``."""

    def __init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = owner.serve(self.command, self.path, dict(self.headers.items()), body)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def serve(self, method: str, target: str, headers: dict[str, str],
              body: bytes) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError

    def start(self) -> _Server:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ReplayServer(_Server):
    """Serves one recorded inputs set; counts requests and remembers any it has no recording for.

    A request matches an exchange by method, path and decoded query (:func:`request_key`); a request
    without a recording gets a 404 and lands in ``misses`` (the kit fails the case: the connector asked
    for something the recording never saw). ``use()`` swaps the inputs set (the recorded change).
    """

    def __init__(self, exchanges: list[Exchange]) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._exchanges: dict[tuple[str, str, tuple[tuple[str, str], ...]], Exchange] = {}
        self.requests: Counter[str] = Counter()
        self.misses: list[str] = []
        self.use(exchanges)

    def use(self, exchanges: list[Exchange]) -> None:
        with self._lock:
            self._exchanges = {ex.key: ex for ex in exchanges}

    def reset_counters(self) -> None:
        with self._lock:
            self.requests.clear()
            self.misses.clear()

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.requests.values())

    def serve(self, method: str, target: str, headers: dict[str, str],
              body: bytes) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests[f"{method} {target}"] += 1
            ex = self._exchanges.get(request_key(method, target))
            if ex is None:
                self.misses.append(f"{method} {target}")
        if ex is None:
            return 404, {"Content-Type": "text/plain; charset=utf-8"}, b"not recorded in this fixture case"
        out = {k: v.replace(ORIGIN, self.url) for k, v in ex.headers.items()}
        payload = swap_origin(ex.body, ORIGIN, self.url) if ex.is_text else ex.body
        return ex.status, out, payload


class RecordingProxy(_Server):
    """A reverse proxy in front of one live origin that keeps every exchange it passes on.

    Bodies and headers reach the client with the upstream origin replaced by the proxy's own (so links
    lead back through the proxy) and are kept with :data:`ORIGIN` in its place. Requests are sent with
    ``Accept-Encoding: identity``, so what is stored is what the connector parses.
    """

    def __init__(self, upstream: str) -> None:
        super().__init__()
        parts = urlsplit(upstream)
        self.upstream_origin = f"{parts.scheme}://{parts.netloc}"
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=60.0, follow_redirects=False)

    def stop(self) -> None:
        super().stop()
        self._client.close()

    def serve(self, method: str, target: str, headers: dict[str, str],
              body: bytes) -> tuple[int, dict[str, str], bytes]:
        forward = {k: swap_origin(v.encode(), self.url, self.upstream_origin).decode()
                   for k, v in headers.items() if k.lower() not in _HOP_BY_HOP | {"host", "accept-encoding"}}
        forward["Accept-Encoding"] = "identity"
        try:
            response = self._client.request(method, self.upstream_origin + target, headers=forward, content=body)
        except httpx.HTTPError as exc:
            return 502, {"Content-Type": "text/plain"}, f"recording proxy: upstream failed: {exc}".encode()
        kept = {k: v for k, v in response.headers.items() if k.lower() not in _HOP_BY_HOP}
        text = is_text_type(header(kept, "Content-Type"))
        raw = response.content
        stored_headers = {k: v.replace(self.upstream_origin, ORIGIN) for k, v in kept.items()}
        stored = swap_origin(raw, self.upstream_origin, ORIGIN) if text else raw
        with self._lock:
            self.exchanges.append(Exchange(method, target, response.status_code, stored_headers, stored))
        client_headers = {k: v.replace(self.upstream_origin, self.url) for k, v in kept.items()}
        return response.status_code, client_headers, swap_origin(raw, self.upstream_origin, self.url) if text else raw

    def recorded(self) -> list[Exchange]:
        """One exchange per request key, the last usable one (a 429/5xx retried later is not kept)."""
        with self._lock:
            chosen: dict[tuple[str, str, tuple[tuple[str, str], ...]], Exchange] = {}
            for ex in self.exchanges:
                transient = ex.status == 429 or ex.status >= 500
                if transient and ex.key in chosen:
                    continue
                chosen[ex.key] = ex
            return list(chosen.values())
