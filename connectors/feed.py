"""``feed``: partner-agency files (CSV, NDJSON) from a path or an http(s) URL.

Options::

    path: data/agency.csv        # relative to the source file; or
    url: https://host/feed.ndjson   # ${VAR} is expanded from the environment
    format: csv | ndjson
    encoding: gb18030            # omit to detect (UTF-8 with or without BOM, else GB18030)
    delimiter: ","               # csv only

Records stream: a large feed is never held in memory, and a malformed line
(bad JSON, wrong column count) becomes a ``RejectedRecord`` while the rest of
the feed goes on.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import model_validator

from aggregator.errors import HarvestError
from aggregator.schema import RejectedRecord
from connectors.base import Connector, ConnectorOptions, HarvestItem, raise_for_status, transport_error

_CHUNK = 64 * 1024


class FeedOptions(ConnectorOptions):
    path: str | None = None
    url: str | None = None
    format: Literal["csv", "ndjson"]
    encoding: str | None = None
    delimiter: str = ","

    @model_validator(mode="after")
    def _one_location(self) -> FeedOptions:
        if (self.path is None) == (self.url is None):
            raise ValueError("give exactly one of path or url")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, got {self.url!r}")
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise ValueError(f"unknown encoding {self.encoding!r}") from None
        if len(self.delimiter) != 1:
            raise ValueError("delimiter must be one character")
        return self


def _detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _lines(chunks: Iterable[bytes], encoding: str | None) -> Iterator[str]:
    """Decode a byte stream into lines (newline kept, as csv wants), detecting the encoding if needed."""
    it = iter(chunks)
    first = b""
    for chunk in it:
        first = chunk
        if chunk:
            break
    enc = encoding or _detect_encoding(first)
    decoder = codecs.getincrementaldecoder(enc)(errors="strict")
    carry = ""

    def feed(data: bytes, final: bool) -> Iterator[str]:
        nonlocal carry
        try:
            text = carry + decoder.decode(data, final=final)
        except UnicodeDecodeError as exc:
            raise HarvestError(f"feed is not valid {enc}: {exc.reason} (set options.encoding)") from exc
        parts = text.splitlines(keepends=True)
        carry = "" if final or not parts or parts[-1].endswith(("\n", "\r")) else parts.pop()
        yield from parts

    yield from feed(first, False)
    for chunk in it:
        yield from feed(chunk, False)
    yield from feed(b"", True)


class FeedConnector(Connector):
    """Streams records from a CSV or NDJSON feed."""

    Options = FeedOptions
    options: FeedOptions

    @contextmanager
    def _open(self) -> Iterator[tuple[Iterator[bytes], str]]:
        opts = self.options
        if opts.path is not None:
            path = Path(opts.path)
            if not path.is_absolute():
                path = self.source.base_dir / path
            try:
                fh = path.open("rb")
            except OSError as exc:
                raise HarvestError(f"cannot open feed {path}: {exc.strerror}") from exc
            with fh:
                yield iter(lambda: fh.read(_CHUNK), b""), str(path)
            return
        assert opts.url is not None
        try:
            with self.http.stream("GET", opts.url) as response:
                raise_for_status(response)
                yield _guard(response.iter_bytes(_CHUNK), opts.url), opts.url
        except httpx.TransportError as exc:
            raise transport_error(exc, opts.url) from exc

    def harvest(self, cursor: dict[str, Any] | None) -> Iterator[HarvestItem]:
        with self._open() as (chunks, where):
            lines = _lines(chunks, self.options.encoding)
            if self.options.format == "ndjson":
                yield from self._ndjson(lines, where)
            else:
                yield from self._csv(lines, where)

    def _ndjson(self, lines: Iterator[str], where: str) -> Iterator[HarvestItem]:
        for lineno, line in enumerate(lines, start=1):
            text = line.strip()
            if not text:
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                yield self._reject(f"{where} line {lineno}", "invalid_json", f"not JSON: {exc.msg}", text)
                continue
            if not isinstance(record, dict):
                yield self._reject(f"{where} line {lineno}", "not_an_object", "line is not a JSON object", text)
                continue
            yield self.make_raw(record, locator=f"{where} line {lineno}")

    def _csv(self, lines: Iterator[str], where: str) -> Iterator[HarvestItem]:
        reader = csv.reader(lines, delimiter=self.options.delimiter)
        header = next(reader, None)
        if not header:
            raise HarvestError(f"{where}: empty CSV (no header row)")
        header = [h.strip().lstrip("\ufeff") for h in header]
        missing = sorted({k for k in self.source.mapping.values()} - set(header))
        if missing:
            raise HarvestError(f"{where}: mapping names columns the feed does not have: {missing}; has {header}")
        while True:
            start = reader.line_num + 1  # a quoted field may span lines: report where the record starts
            row = next(reader, None)
            if row is None:
                return
            if not any(cell.strip() for cell in row):
                continue
            locator = f"{where} line {start}"
            if len(row) != len(header):
                yield self._reject(locator, "bad_column_count",
                                   f"{len(row)} columns where the header has {len(header)}", ",".join(row))
                continue
            yield self.make_raw(dict(zip(header, row, strict=True)), locator=locator)

    def _reject(self, locator: str, code: str, reason: str, raw: str) -> RejectedRecord:
        from datetime import UTC, datetime

        return RejectedRecord(source_id=self.source.id, locator=locator, reason_code=code, reason=reason,
                              raw=raw, fetched_at=datetime.now(UTC))


def _guard(chunks: Iterator[bytes], url: str) -> Iterator[bytes]:
    """A connection dropped mid-body is a transient failure of the whole run."""
    try:
        yield from chunks
    except httpx.TransportError as exc:
        raise transport_error(exc, url) from exc
