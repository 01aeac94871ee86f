"""Shared fixtures: a throwaway data directory, source directories, feeds on a loopback HTTP server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from aggregator.app import App
from connectors.sandbox import Sandbox


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own LINGONG_HOME; installed entry points are never loaded."""
    home = tmp_path / "home"
    monkeypatch.setenv("LINGONG_HOME", str(home))
    monkeypatch.setenv("LINGONG_LOAD_PLUGINS", "")
    monkeypatch.delenv("LINGONG_SOURCES", raising=False)
    monkeypatch.delenv("LINGONG_SEARCH_BACKEND", raising=False)
    return home


def job(i: int, **over: Any) -> dict[str, Any]:
    """A realistic feed record (agency-B style keys)."""
    rec: dict[str, Any] = {
        "id": f"J{i:04d}",
        "jobTitle": f"仓库分拣员（{i}号仓）",
        "company": "广州市白云区示例物流有限公司",
        "creditCode": "91440101MA59XXXXXX",
        "pay": "200元/天",
        "workPlace": "广州市白云区太和镇",
        "tel": "13800138000",
        "contactName": "王先生",
        "publishTime": "2026-11-01",
        "detail": "负责快递分拣，日结，联系电话13800138000",
    }
    rec.update(over)
    return rec


FEED_MAPPING = {"native_id": "id", "title": "jobTitle", "employer": "company", "uscc": "creditCode",
                "salary": "pay", "address": "workPlace", "phone": "tel", "contact": "contactName",
                "posted_at": "publishTime", "description": "detail"}


def write_ndjson(path: Path, records: list[dict[str, Any]], extra_lines: list[str] = ()) -> Path:  # type: ignore[assignment]
    lines = [json.dumps(r, ensure_ascii=False) for r in records] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_source(directory: Path, source_id: str, *, options: dict[str, Any], mapping: dict[str, str] | None = None,
                 region: str = "440100", trust: float = 0.5, connector: str = "feed") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{source_id}.yaml"
    path.write_text(yaml.safe_dump({
        "id": source_id, "name": f"测试来源 {source_id}", "connector": connector, "region": region,
        "trust": trust, "options": options, "mapping": mapping or FEED_MAPPING,
    }, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def sources_dir(tmp_path: Path) -> Path:
    d = tmp_path / "sources"
    d.mkdir()
    return d


@pytest.fixture
def feed_server(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    """A real HTTP server on 127.0.0.1 serving files of a temporary directory under /feeds/."""
    data = tmp_path / "served"
    data.mkdir()
    with Sandbox(data_dir=data) as sb:
        yield sb, data


@pytest.fixture
def open_app(sources_dir: Path) -> Iterator[Any]:
    apps: list[App] = []

    def _open(**kw: Any) -> App:
        a = App.open(sources_dir, entrypoints=False, **kw)
        apps.append(a)
        return a

    yield _open
    for a in apps:
        a.close()


class _SlowFeedHandler(BaseHTTPRequestHandler):
    server: _SlowFeedServer

    def do_GET(self) -> None:
        feed = self.server.feed
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        try:
            for line in feed.lines:
                self.wfile.write(line)
                self.wfile.flush()
                time.sleep(feed.delay)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the harvester was killed

    def log_message(self, *args: object) -> None:
        pass


class _SlowFeedServer(ThreadingHTTPServer):
    feed: SlowFeed


class SlowFeed:
    """An NDJSON feed of ``total`` job records on 127.0.0.1, streamed a line at a time with ``delay`` seconds
    between lines, like a big feed over a poor link (to kill a harvest mid-run). Set ``delay`` to 0 for
    the rerun. A context manager; ``url`` is the feed's address."""

    def __init__(self, total: int, delay: float) -> None:
        self.lines = [(json.dumps(job(i), ensure_ascii=False) + "\n").encode() for i in range(total)]
        self.delay = delay
        self._server = _SlowFeedServer(("127.0.0.1", 0), _SlowFeedHandler)
        self._server.feed = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/feed.ndjson"

    def __enter__(self) -> SlowFeed:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
