"""``feed``: partner-agency files (CSV, NDJSON, JSON, XLSX, XML) from a path or an http(s) URL.

Options::

    path: data/agency.csv        # relative to the source file; or
    url: https://host/feed.ndjson   # ${VAR} is expanded from the environment
    format: csv | ndjson | json | xlsx | xml
    encoding: gb18030            # omit to detect (UTF-8 with or without BOM, else GB18030); xml: overrides
                                 # the document's own declaration
    delimiter: ","               # csv only
    records_path: data.items     # json only: JMESPath to the list of records (default: the document)
    record_tag: job              # xml only: element name of one record; its children (and attributes,
                                 # as "@name") become the record's fields
    sheet: Sheet1                # xlsx only: name or 0-based index (default: the first); row 1 is the header

CSV, NDJSON, XLSX and XML stream: a large feed is never held in memory (XLSX through openpyxl's read-only
mode; a downloaded XLSX is spooled to a temporary file because a zip needs seeking). A JSON document is
read whole. A malformed line or record (bad JSON, wrong column count) becomes a ``RejectedRecord`` while
the rest of the feed goes on. XML is parsed with defusedxml: a document that declares entities (XXE,
billion laughs) or fetches external resources fails the run before anything is expanded. A URL goes
through the polite client (robots.txt, per-host limits, retries).

Incremental (``incremental = True``, URL feeds only): a run over HTTP leaves ``next_cursor = {"etag": …,
"last_modified": …}`` from the response's ``ETag`` / ``Last-Modified``. An incremental run sends them
back as ``If-None-Match`` / ``If-Modified-Since``; a ``304 Not Modified`` yields no records and is a
complete run (the cursor stays). A ``200`` is read in full, as on a full run (an incremental run never
closes anything, so what left the feed is closed by the next full run). Full runs send no validators.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
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
    format: Literal["csv", "ndjson", "json", "xlsx", "xml"]
    encoding: str | None = None
    delimiter: str = ","
    records_path: str | None = None
    record_tag: str | None = None
    sheet: str | int | None = None

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
        if self.format == "xml" and not self.record_tag:
            raise ValueError("format xml needs record_tag (the element name of one record)")
        for name, fmt in (("records_path", "json"), ("record_tag", "xml"), ("sheet", "xlsx")):
            if getattr(self, name) is not None and self.format != fmt:
                raise ValueError(f"{name} applies to format {fmt} only")
        if self.records_path is not None:
            import jmespath  # type: ignore[import-untyped]

            try:
                jmespath.compile(self.records_path)
            except jmespath.exceptions.JMESPathError as exc:
                raise ValueError(f"records_path is not a JMESPath expression: {exc}") from None
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
    #: URL feeds: conditional GET with the last complete run's ETag / Last-Modified
    incremental = True

    @contextmanager
    def _open(self, cursor: dict[str, Any] | None = None) -> Iterator[tuple[Iterator[bytes], str] | None]:
        """The feed's bytes and where they come from; None when the server answers 304 to ``cursor``."""
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
        headers = conditional_headers(cursor)
        try:
            with self.polite.stream("GET", opts.url, headers=headers) as response:
                if response.status_code == 304:
                    if not headers:
                        raise HarvestError(f"GET {opts.url} -> HTTP 304 to a request that was not conditional")
                    self.next_cursor = cursor  # not modified since the last complete run
                    yield None
                    return
                raise_for_status(response)
                validators = {"etag": response.headers.get("ETag"),
                              "last_modified": response.headers.get("Last-Modified")}
                self.next_cursor = validators if any(validators.values()) else None
                yield _guard(response.iter_bytes(_CHUNK), opts.url), opts.url
        except httpx.TransportError as exc:
            raise transport_error(exc, opts.url) from exc

    def harvest(self, cursor: dict[str, Any] | None) -> Iterator[HarvestItem]:
        fmt = self.options.format
        self.next_cursor = None
        with self._open(cursor) as opened:
            if opened is None:
                return
            chunks, where = opened
            if fmt == "xlsx":
                yield from self._xlsx(chunks, where)
            elif fmt == "xml":
                yield from self._xml(chunks, where)
            elif fmt == "json":
                yield from self._json(chunks, where)
            elif fmt == "ndjson":
                yield from self._ndjson(_lines(chunks, self.options.encoding), where)
            else:
                yield from self._csv(_lines(chunks, self.options.encoding), where)

    def _json(self, chunks: Iterator[bytes], where: str) -> Iterator[HarvestItem]:
        text = "".join(_lines(chunks, self.options.encoding))
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise HarvestError(f"{where}: not a JSON document: {exc.msg} at line {exc.lineno}") from exc
        if self.options.records_path:
            import jmespath

            doc = jmespath.search(self.options.records_path, doc)
        if not isinstance(doc, list):
            raise HarvestError(f"{where}: records_path {self.options.records_path or '@'!r} is not a list "
                               "(set options.records_path to the JMESPath of the records)")
        for index, record in enumerate(doc):
            locator = f"{where} record {index}"
            if not isinstance(record, dict):
                yield self._reject(locator, "not_an_object", "record is not a JSON object",
                                   json.dumps(record, ensure_ascii=False))
                continue
            yield self.make_raw(record, locator=locator)

    def _xlsx(self, chunks: Iterator[bytes], where: str) -> Iterator[HarvestItem]:
        import zipfile

        from openpyxl import load_workbook  # type: ignore[import-untyped]

        with tempfile.TemporaryFile() as spool:
            for chunk in chunks:
                spool.write(chunk)
            spool.seek(0)
            try:
                book = load_workbook(spool, read_only=True, data_only=True)
            except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
                raise HarvestError(f"{where}: not a readable XLSX workbook: {exc}") from exc
            try:
                yield from self._sheet_rows(book, where)
            finally:
                book.close()

    def _sheet_rows(self, book: Any, where: str) -> Iterator[HarvestItem]:
        sheet = self.options.sheet
        names: list[str] = list(book.sheetnames)
        if sheet is None:
            ws = book[names[0]]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise HarvestError(f"{where}: no sheet {sheet} (has {names})")
            ws = book[names[sheet]]
        elif sheet in names:
            ws = book[sheet]
        else:
            raise HarvestError(f"{where}: no sheet {sheet!r} (has {names})")
        rows = ws.iter_rows(values_only=True)
        header_row = next(rows, None)
        if not header_row or not any(c is not None for c in header_row):
            raise HarvestError(f"{where}: sheet {ws.title!r} is empty (no header row)")
        header = [_cell_text(c) or f"column_{i + 1}" for i, c in enumerate(header_row)]
        missing = sorted(set(self.source.mapping.values()) - set(header))
        if missing:
            raise HarvestError(f"{where}: mapping names columns the sheet does not have: {missing}; has {header}")
        for rowno, row in enumerate(rows, start=2):
            cells = [_cell_text(c) for c in row]
            if not any(cells):
                continue
            cells += [""] * (len(header) - len(cells))
            extra = [c for c in cells[len(header):] if c]
            locator = f"{where} sheet {ws.title} row {rowno}"
            if extra:
                yield self._reject(locator, "bad_column_count", f"{len(extra)} values beyond the header's columns",
                                   json.dumps(cells, ensure_ascii=False))
                continue
            yield self.make_raw(dict(zip(header, cells[: len(header)], strict=True)), locator=locator)

    def _xml(self, chunks: Iterator[bytes], where: str) -> Iterator[HarvestItem]:
        from xml.etree.ElementTree import ParseError, TreeBuilder

        from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
        from defusedxml.ElementTree import DefusedXMLParser, iterparse  # type: ignore[import-untyped]

        tag = self.options.record_tag
        # Entities and external references are refused outright (not just left unexpanded).
        parser = DefusedXMLParser(target=TreeBuilder(), forbid_dtd=False, forbid_entities=True,
                                  forbid_external=True)
        chunks = _xml_as_utf8(chunks, self.options.encoding, where)
        index = 0
        depth = 0
        record_depth: int | None = None
        root: Any = None
        try:
            for event, elem in iterparse(_ChunkReader(chunks), events=("start", "end"), parser=parser):
                if event == "start":
                    depth += 1
                    if root is None:
                        root = elem
                    if record_depth is None and _local(elem.tag) == tag:
                        record_depth = depth
                    continue
                if record_depth == depth:
                    index += 1
                    yield self.make_raw(_xml_record(elem), locator=f"{where} <{tag}> #{index}")
                    record_depth = None
                    elem.clear()
                    if root is not None and root is not elem:
                        root.clear()  # finished records must not pile up under the root
                depth -= 1
        except DefusedXmlException as exc:
            raise HarvestError(f"{where}: XML refused, it declares entities or external references "
                               f"(XXE / entity expansion is never allowed): {type(exc).__name__}") from exc
        except ParseError as exc:
            raise HarvestError(f"{where}: not well-formed XML: {exc}") from exc

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


_XML_DECL = re.compile(rb"""^(\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_EXPAT_NATIVE = {"utf-8", "utf-16", "iso8859-1", "ascii"}


def _xml_as_utf8(chunks: Iterator[bytes], forced: str | None, where: str) -> Iterator[bytes]:
    """Expat reads only UTF-8/16, Latin-1 and ASCII: a GBK/GB18030/Big5 document is transcoded on the fly."""
    it = iter(chunks)
    head = b""
    for chunk in it:
        head += chunk
        if len(head) >= 512 or b"?>" in head:
            break
    m = _XML_DECL.match(head)
    declared = m.group(2).decode("ascii") if m else None
    encoding = forced or declared
    if encoding is None or codecs.lookup(encoding).name in _EXPAT_NATIVE:
        yield head
        yield from it
        return
    if m:  # the declaration must now say what the bytes are; without one expat assumes UTF-8 anyway
        head = head[: m.start(2)] + b"UTF-8" + head[m.end(2):]
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        yield decoder.decode(head).encode("utf-8")
        for chunk in it:
            yield decoder.decode(chunk).encode("utf-8")
        yield decoder.decode(b"", final=True).encode("utf-8")
    except UnicodeDecodeError as exc:
        raise HarvestError(f"{where}: XML is not valid {encoding}: {exc.reason} (set options.encoding)") from exc


class _ChunkReader(io.RawIOBase):
    """A read-only file over a byte-chunk iterator, for parsers that want a file."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf:
            nxt = next(self._chunks, None)
            if nxt is None:
                return 0
            self._buf = nxt
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _local(tag: Any) -> str:
    """Element name without its namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _xml_record(elem: Any) -> dict[str, Any]:
    """One record element as a flat dict: attributes as ``@name``, each child's text under its name."""
    record: dict[str, Any] = {f"@{_local(k)}": v for k, v in elem.attrib.items()}
    for child in elem:
        name = _local(child.tag)
        if not name:
            continue
        text = " ".join(t.strip() for t in child.itertext() if t.strip())
        for k, v in child.attrib.items():
            record.setdefault(f"{name}@{_local(k)}", v)
        if record.get(name):
            record[name] = f"{record[name]} {text}".strip()  # a repeated child: keep every value
        else:
            record[name] = text
    return record


def _cell_text(value: Any) -> str:
    """An XLSX cell as the text a person sees: whole numbers without ``.0``, dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def conditional_headers(cursor: dict[str, Any] | None) -> dict[str, str]:
    """``If-None-Match`` / ``If-Modified-Since`` from a feed cursor (nothing for no cursor)."""
    headers: dict[str, str] = {}
    if cursor:
        if isinstance(cursor.get("etag"), str) and cursor["etag"]:
            headers["If-None-Match"] = cursor["etag"]
        if isinstance(cursor.get("last_modified"), str) and cursor["last_modified"]:
            headers["If-Modified-Since"] = cursor["last_modified"]
    return headers


def _guard(chunks: Iterator[bytes], url: str) -> Iterator[bytes]:
    """A connection dropped mid-body is a transient failure of the whole run."""
    try:
        yield from chunks
    except httpx.TransportError as exc:
        raise transport_error(exc, url) from exc
