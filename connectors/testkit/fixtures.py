"""Recorded fixture cases on disk: ``fixtures/<source_id>/<case>/{inputs/…, meta.json, expected.jsonl}``.

One case is what one source served, recorded once, replayed for ever::

    fixtures/portal_yuegong/day0/
        meta.json          which source, how to point it at the replay, coverage thresholds, the change
        expected.jsonl     one line per record of the first run: a posting (selected canonical fields)
                           or a quarantined record (reason code)
        inputs/            the first run's HTTP exchanges: index.json + one body file per response
        inputs_day1/       optional: the exchanges of the run after a recorded change

``inputs*/index.json`` lists the exchanges ``{"method", "target", "status", "headers", "body"}``;
``target`` is path and query, ``body`` a file name next to it. The recorded origin
(``http://127.0.0.1:PORT``) is written as :data:`ORIGIN` in text bodies and headers, so a case does not
depend on the port it was recorded on; the replay server puts its own origin back.
"""

from __future__ import annotations

import json
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

#: what stands for the recorded server's origin in stored bodies, headers and expected.jsonl
ORIGIN = "{{origin}}"
INDEX = "index.json"
_TEXT_TYPES = ("text/", "json", "xml", "javascript", "csv", "ndjson", "yaml")


@dataclass
class Exchange:
    """One recorded request and its response."""

    method: str
    target: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def key(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        return request_key(self.method, self.target)

    @property
    def content_type(self) -> str:
        return header(self.headers, "Content-Type")

    @property
    def is_text(self) -> bool:
        return is_text_type(self.content_type)


def header(headers: dict[str, str], name: str) -> str:
    """A header's value, whatever the case of its name ("" when absent)."""
    return next((v for k, v in headers.items() if k.lower() == name.lower()), "")


def request_key(method: str, target: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """How a request is matched on replay: method, path and the *decoded, sorted* query pairs.

    Two clients encode ``updatedSince=2026-11-20 08:00:00`` differently (``+`` or ``%20``); both match.
    """
    parts = urlsplit(target)
    return method.upper(), parts.path or "/", tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))


def is_text_type(content_type: str) -> bool:
    """Whether a body of this Content-Type may carry URLs to rewrite (never a zip, an image, an XLSX)."""
    ct = content_type.lower()
    return any(t in ct for t in _TEXT_TYPES) and "openxmlformats" not in ct


def swap_origin(data: bytes, old: str, new: str) -> bytes:
    """Replace an origin in a body, also in its JSON-escaped form (``http:\\/\\/host``)."""
    if not old:
        return data
    out = data.replace(old.encode(), new.encode())
    return out.replace(old.replace("/", "\\/").encode(), new.replace("/", "\\/").encode())


def _extension(content_type: str) -> str:
    ct = content_type.split(";")[0].strip().lower()
    special = {"application/json": ".json", "application/ld+json": ".json", "text/csv": ".csv",
               "application/x-ndjson": ".ndjson", "text/plain": ".txt", "application/xml": ".xml",
               "text/xml": ".xml", "text/html": ".html"}
    return special.get(ct) or mimetypes.guess_extension(ct) or ".bin"


def _slug(target: str) -> str:
    path = urlsplit(target).path.strip("/") or "index"
    last = path.rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", last)[:40].rsplit(".", 1)[0] or "body"


def write_inputs(directory: Path, exchanges: list[Exchange]) -> None:
    """Write exchanges as ``index.json`` plus one body file each (the directory is emptied first)."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.iterdir():
        if old.is_file():
            old.unlink()
    index: list[dict[str, Any]] = []
    for n, ex in enumerate(exchanges, start=1):
        name = f"{n:04d}-{_slug(ex.target)}{_extension(ex.content_type)}"
        (directory / name).write_bytes(ex.body)
        index.append({"method": ex.method, "target": ex.target, "status": ex.status, "headers": ex.headers,
                      "body": name})
    (directory / INDEX).write_text(json.dumps(index, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def read_inputs(directory: Path) -> list[Exchange]:
    """The exchanges of one inputs directory (an error names the directory when it has no index)."""
    index_path = directory / INDEX
    if not index_path.is_file():
        raise FileNotFoundError(f"{directory}: no {INDEX} (not a recorded inputs directory)")
    out = []
    for entry in json.loads(index_path.read_text(encoding="utf-8")):
        body = (directory / entry["body"]).read_bytes() if entry.get("body") else b""
        out.append(Exchange(method=entry["method"], target=entry["target"], status=int(entry["status"]),
                            headers={str(k): str(v) for k, v in (entry.get("headers") or {}).items()}, body=body))
    return out


@dataclass
class Change:
    """``meta.json`` ``change``: what the run after the recorded change did (the kit expects the same)."""

    inputs: str = "inputs_day1"
    new: int = 0
    updated: int = 0
    closed: int = 0
    requests: int = 0
    #: incremental connectors: unchanged records the incremental run may still fetch (an inclusive watermark)
    max_unchanged: int = 0


@dataclass
class FixtureCase:
    """One recorded case of one source."""

    path: Path
    source_id: str
    name: str
    base_url_env: str
    env: dict[str, str] = field(default_factory=dict)
    coverage: dict[str, float] = field(default_factory=dict)
    source_file: str | None = None
    change: Change | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def inputs(self) -> Path:
        return self.path / "inputs"

    @property
    def expected_path(self) -> Path:
        return self.path / "expected.jsonl"

    def expected(self) -> list[dict[str, Any]]:
        if not self.expected_path.is_file():
            return []
        lines = self.expected_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    @classmethod
    def load(cls, path: Path) -> FixtureCase:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        change = meta.get("change")
        return cls(path=path, source_id=str(meta.get("source_id") or path.parent.name), name=path.name,
                   base_url_env=str(meta["base_url_env"]), env=dict(meta.get("env") or {}),
                   coverage={k: float(v) for k, v in (meta.get("coverage") or {}).items()},
                   source_file=meta.get("source_file"), change=Change(**change) if change else None, meta=meta)

    def save_meta(self) -> None:
        meta = dict(self.meta)
        meta.update({"source_id": self.source_id, "base_url_env": self.base_url_env, "env": self.env,
                     "coverage": self.coverage})
        if self.source_file:
            meta["source_file"] = self.source_file
        if self.change is not None:
            meta["change"] = dict(self.change.__dict__)
        self.meta = meta
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def find_cases(fixtures_dir: Path, source_id: str | None = None) -> list[FixtureCase]:
    """Every case under ``fixtures_dir`` (``<source_id>/<case>/meta.json``), of one source if named."""
    pattern = f"{source_id}/*/meta.json" if source_id else "*/*/meta.json"
    return [FixtureCase.load(p.parent) for p in sorted(fixtures_dir.glob(pattern))]
