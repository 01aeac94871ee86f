"""Plumbing shared by the sandbox sites: the shared state, a response type, one HTTP server per site."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.sandbox.province import BASE_DATE, Province


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def html(text: str, encoding: str = "utf-8", content_type: str | None = None) -> Response:
    body = text.encode(encoding, errors="xmlcharrefreplace")
    return Response(200, body, {"Content-Type": content_type or f"text/html; charset={encoding}"})


def not_found() -> Response:
    return Response(404, "<html><body><h1>404 页面不存在</h1></body></html>".encode(),
                    {"Content-Type": "text/html; charset=utf-8"})


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]


class State:
    """What every site of one sandbox shares: the province, the current day, the settings."""

    def __init__(self, province: Province, day: int, page_size: int) -> None:
        self.province = province
        self.page_size = page_size
        self._day = day
        self._lock = threading.Lock()

    @property
    def day(self) -> int:
        with self._lock:
            return self._day

    def advance(self, days: int = 1) -> int:
        with self._lock:
            self._day += days
            return self._day

    def today(self) -> date:
        return BASE_DATE + timedelta(days=self.day)


class Site:
    """One sandbox web site: its own server on 127.0.0.1, its own robots.txt, its own request counter."""

    name = "site"
    #: environment variable that holds the site's base URL for source files
    env_var = "LINGONG_SANDBOX_URL"
    robots = "User-agent: *\nDisallow:\n"

    def __init__(self, state: State) -> None:
        self.state = state
        self.requests: Counter[str] = Counter()  # "path?query" → count
        self._count_lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    # --- served by subclasses ---

    def handle(self, req: Request) -> Response:
        return not_found()

    # --- counters ---

    def count(self, target: str) -> None:
        with self._count_lock:
            self.requests[target] += 1

    def hits(self, prefix: str = "/") -> int:
        """Requests whose path (with query) starts with ``prefix``."""
        with self._count_lock:
            return sum(n for t, n in self.requests.items() if t.startswith(prefix))

    def reset_counters(self) -> None:
        with self._count_lock:
            self.requests.clear()

    # --- serving ---

    def respond(self, req: Request) -> Response:
        if req.path == "/robots.txt":
            return Response(200, self.robots.encode(), {"Content-Type": "text/plain; charset=utf-8"})
        return self.handle(req)

    def bind(self, port: int) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = f"lingong-sandbox-{site.name}"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                site.count(parts.path + (f"?{parts.query}" if parts.query else ""))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()), body)
                try:
                    resp = site.respond(req)
                except Exception as exc:  # a sandbox bug must show up as a 500, not a dropped connection
                    resp = Response(500, f"sandbox error: {exc!r}".encode(), {"Content-Type": "text/plain"})
                self.send_response(resp.status)
                for k, v in resp.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(resp.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(resp.body)

            do_GET = do_POST = do_HEAD = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the counters say what was asked

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        assert self.server is not None, "site not bound"
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"


def paginate(items: list[Any], page: int, size: int) -> tuple[list[Any], int]:
    """(items of 1-based ``page``, number of pages ≥ 1)."""
    pages = max(1, -(-len(items) // size))
    if page < 1:
        return [], pages
    return items[(page - 1) * size: page * size], pages


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def desc_html(text: str) -> str:
    """A description as CMS editors leave it: <br />, &nbsp; indents."""
    lines = [esc(line) for line in text.split("\n")]
    return "<br />\n&nbsp;&nbsp;".join(lines)
