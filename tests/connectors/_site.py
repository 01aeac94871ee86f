"""A tiny real HTTP server on 127.0.0.1 for connector tests: routes to bodies or handlers, every request logged."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aggregator.schema import RawPosting, RejectedRecord
from connectors.base import Connector


@dataclass
class Hit:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


Route = Reply | Callable[[Hit], Reply]


class Site:
    """``site.routes[path] = Reply(...)`` or a function of the request; unknown paths are 404."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                hit = Hit(self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()),
                          self.rfile.read(length) if length else b"", time.monotonic())
                with site._lock:
                    site.hits.append(hit)
                route = site.routes.get(parts.path)
                reply = Reply(404, b"not found") if route is None else route if isinstance(route, Reply) else route(hit)
                self.send_response(reply.status)
                headers = {"Content-Type": "text/html", **reply.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)

            do_GET = do_POST = do_HEAD = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def paths(self) -> list[str]:
        with self._lock:
            return [h.path for h in self.hits]

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def harvest_all(conn: Connector, cursor: dict[str, Any] | None = None) -> list[RawPosting | RejectedRecord]:
    """Everything one harvest of ``conn`` yields, the connector closed afterwards."""
    try:
        return list(conn.harvest(cursor))
    finally:
        conn.close()
