"""The Scrapy crawl of one html/jsonld harvest, run as a child process: ``python -m connectors._scrapy_runner``.

Twisted's reactor cannot be started twice in one process, so every harvest crawls in a fresh child and
the parent (:mod:`connectors.html`) stays free to harvest again and again. The parent writes one JSON
spec to stdin; the child writes NDJSON messages to stdout, one per line, flushed as they happen:

- ``{"t": "item", "url": …, "data": {…}}``   one record (selector texts, or one JSON-LD JobPosting);
- ``{"t": "reject", "url": …, "code": …, "reason": …, "raw": …}``   a page that could not be read;
- ``{"t": "skip", "url": …, "reason": …}``   a detail page the run may leave out (robots.txt, gone);
- ``{"t": "end", "requests": n, "pages": n, "errors": [{"url", "message", "transient"}], "cursor": {…} | null,
  "listed": n, "unchanged": n}``   last line.

Incremental crawls: with ``item_links`` every detail link on a list page is keyed (the native id from the
URL, else the URL's path and query) and fingerprinted (the text of ``item_updated`` inside its list
``item``, else ""). ``spec["known"]`` is the previous cursor's key → fingerprint map; given it, only detail
pages whose key is new, or whose fingerprint changed (``item_updated`` set), are requested. The ``end``
line's ``cursor`` maps every key listed this run to its fingerprint, except detail pages that had to be
fetched and were not read (left out as robots-forbidden or gone), so they are tried again next time.

No ``end`` line means the child died: the parent turns that into a HarvestError. Anything else the
child (or a library) prints goes to stderr, never into the protocol.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import sys
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TextIO

TRANSIENT_CODES = [408, 429, 500, 502, 503, 504, 522, 524]


# --- selectors ----------------------------------------------------------------------------------------------


def select(selector: Any, spec: str) -> Any:
    """Apply a ``css:…`` or ``xpath:…`` selector (a bare string is CSS) to a parsel selector."""
    kind, _, query = spec.partition(":")
    if kind == "xpath":
        return selector.xpath(query)
    if kind == "css":
        return selector.css(query)
    return selector.css(spec)


def texts(selector: Any, spec: str) -> list[str]:
    """Every text matched: strings as they are, elements as their whole text content."""
    out: list[str] = []
    for match in select(selector, spec):
        if isinstance(match.root, str):
            parts = [match.root]
        else:
            parts = match.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]").getall()
        out.extend(" ".join(p.split()) for p in parts)
    return [t for t in out if t]


def field_text(response: Any, spec: str) -> str | None:
    """One mapped field of a page: ``url`` is the page's URL, ``url:REGEX`` a part of it, else a selector."""
    if spec == "url":
        return str(response.url)
    if spec.startswith("url:"):
        m = re.search(spec[4:], response.url)
        return (m.group(1) if m.groups() else m.group(0)) if m else None
    return " ".join(texts(response, spec)) or None


def links(selector: Any, spec: str) -> list[str]:
    """URLs matched: strings as they are, elements by their href (else src)."""
    out = []
    for match in select(selector, spec):
        value = match.root if isinstance(match.root, str) else match.attrib.get("href") or match.attrib.get("src") or ""
        if value.strip():
            out.append(value.strip())
    return out


def jsonld_postings(selector: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """schema.org JobPosting objects of a page (top level, lists, ``@graph``) and the blocks that were not JSON."""
    found: list[dict[str, Any]] = []
    broken: list[str] = []
    for block in selector.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]/text()').getall():
        try:
            doc = json.loads(block)
        except ValueError:
            try:  # pages often end a JSON-LD block with a stray comma or control characters
                doc = json.loads(re.sub(r",\s*([}\]])", r"\1", block), strict=False)
            except ValueError:
                broken.append(block.strip()[:2000])
                continue
        found.extend(_job_postings(doc))
    return found, broken


def _job_postings(doc: Any) -> Iterator[dict[str, Any]]:
    if isinstance(doc, list):
        for d in doc:
            yield from _job_postings(d)
    elif isinstance(doc, dict):
        kind = doc.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if "JobPosting" in kinds:
            yield doc
        for key in ("@graph", "itemListElement", "item", "mainEntity"):
            if key in doc:
                yield from _job_postings(doc[key])


# --- encoding -----------------------------------------------------------------------------------------------


def fix_encoding(response: Any, forced: str | None) -> Any:
    """A response decoded right: the source's ``encoding`` if set, else a declared charset that actually
    decodes, else our guess among UTF-8 / GB18030 / Big5."""
    from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

    from connectors._encoding import decodes_cleanly, guess_encoding

    if forced:
        return response.replace(encoding=forced)
    body = response.body
    bom = read_bom(body)[0]
    if bom:
        return response
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
    declared = http_content_type_encoding(content_type) or html_body_declared_encoding(body)
    if declared:
        resolved = resolve_encoding(declared) or declared
        if decodes_cleanly(body, resolved):
            return response.replace(encoding=resolved)
    return response.replace(encoding=guess_encoding(body))


# --- the crawl ----------------------------------------------------------------------------------------------


def build_settings(spec: dict[str, Any]) -> dict[str, Any]:
    http = spec["http"]
    delay = float(http["delay"])
    return {
        "BOT_NAME": "lingong",
        "USER_AGENT": spec["user_agent"],
        "ROBOTSTXT_OBEY": bool(http["respect_robots"]),
        "ROBOTSTXT_USER_AGENT": spec["user_agent"],
        "CONCURRENT_REQUESTS": max(8, int(http["concurrency"])),
        "CONCURRENT_REQUESTS_PER_DOMAIN": int(http["concurrency"]),
        "DOWNLOAD_DELAY": delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if delay > 0 else 0.0,  # 0.5–1.5 × delay, as people click
        "AUTOTHROTTLE_ENABLED": True,  # slows down when the site slows down; never below DOWNLOAD_DELAY
        "AUTOTHROTTLE_START_DELAY": delay,
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, delay),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(http["concurrency"]),
        "DOWNLOAD_TIMEOUT": float(http["timeout"]),
        "RETRY_ENABLED": True,
        "RETRY_TIMES": int(http["retries"]),
        "RETRY_HTTP_CODES": TRANSIENT_CODES,
        "DOWNLOADER_MIDDLEWARES": {"connectors._scrapy_runner.RetryAfterMiddleware": 560},
        "LINGONG_MAX_RETRY_AFTER": float(http["max_retry_after"]),
        "TELNETCONSOLE_ENABLED": False,  # no listening ports, no remote control, no periodic stats lines
        "REMOTE_CONTROL_ENABLED": False,
        "LOGSTATS_INTERVAL": 0,
        "LOG_ENABLED": True,
        "LOG_LEVEL": "WARNING",  # to stderr; the parent keeps the tail for its error message
        "LOG_STDOUT": False,
        "LOG_INSTALL_ROOT_HANDLER": True,
        "LOG_FORMAT": "scrapy child: %(levelname)s %(name)s: %(message)s",
        "COOKIES_ENABLED": True,
        "HTTPCACHE_ENABLED": False,
        "MEMUSAGE_ENABLED": False,
        "DEPTH_PRIORITY": 0,
    }


class RetryAfterMiddleware:
    """Honour ``Retry-After`` on 429/503: hold every request to that host back, then retry this one."""

    def __init__(self, retries: int, max_wait: float) -> None:
        self.retries = retries
        self.max_wait = max_wait
        self.paused_until: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> RetryAfterMiddleware:
        return cls(crawler.settings.getint("RETRY_TIMES"), crawler.settings.getfloat("LINGONG_MAX_RETRY_AFTER"))

    @staticmethod
    def _host(url: str) -> str:
        from urllib.parse import urlsplit

        return urlsplit(url).netloc

    async def process_request(self, request: Any) -> None:
        wait = self.paused_until.get(self._host(request.url), 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def process_response(self, request: Any, response: Any) -> Any:
        if response.status not in (429, 503):
            return response
        from connectors.http import parse_retry_after

        header = response.headers.get(b"Retry-After")
        wait = parse_retry_after(header.decode("latin-1") if header else None)
        done = int(request.meta.get("lingong_retry_after", 0))
        if wait is None or wait > self.max_wait or done >= self.retries:
            return response  # the retry middleware's backoff, then the errback, decide
        host = self._host(request.url)
        self.paused_until[host] = max(self.paused_until.get(host, 0.0), time.monotonic() + wait)
        retry = request.replace(dont_filter=True)
        retry.meta["lingong_retry_after"] = done + 1
        return retry


def fingerprint(text: str) -> str:
    """A list row's change marker as stored in the cursor: short texts as they are, long ones hashed."""
    return text if len(text) <= 40 else "sha1:" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


def item_key(url: str, pattern: re.Pattern[str] | None) -> str:
    """What identifies one detail page across runs: the id the URL carries, else its path and query
    (without scheme and host, so a site moving to another host:port is not all new)."""
    from urllib.parse import urlsplit

    if pattern is not None and (m := pattern.search(url)):
        return m.group(1) if m.groups() else m.group(0)
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def list_entries(response: Any, spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(detail URL, fingerprint) of every detail link on a list page."""
    if not spec.get("item"):
        return [(response.urljoin(href), "") for href in links(response, spec["item_links"])]
    out: list[tuple[str, str]] = []
    for node in select(response, spec["item"]):
        marker = " ".join(texts(node, spec["item_updated"])) if spec.get("item_updated") else ""
        out.extend((response.urljoin(href), fingerprint(marker)) for href in links(node, spec["item_links"]))
    return out


def key_pattern(spec: dict[str, Any]) -> re.Pattern[str] | None:
    """The id regex of the detail URL: ``native_id_from_url``, else a ``url:REGEX`` native_id mapping."""
    if spec.get("native_id_from_url"):
        return re.compile(spec["native_id_from_url"])
    mapped = (spec.get("selectors") or {}).get("native_id") or ""
    if mapped.startswith("url:") and len(mapped) > 4:
        return re.compile(mapped[4:])
    return None


def make_spider(spec: dict[str, Any], emit: Callable[[dict[str, Any]], None], errors: list[dict[str, Any]],
                cursor: dict[str, str] | None = None, counts: dict[str, int] | None = None) -> type:
    import scrapy
    from scrapy.exceptions import IgnoreRequest
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.internet.error import (
        ConnectError,
        ConnectionLost,
        DNSLookupError,
        TCPTimedOutError,
        TimeoutError,
    )
    from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

    network = (ConnectError, ConnectionLost, DNSLookupError, TCPTimedOutError, TimeoutError, ResponseFailed,
               ResponseNeverReceived)
    id_pattern = re.compile(spec["native_id_from_url"]) if spec.get("native_id_from_url") else None
    keys = key_pattern(spec)
    known: dict[str, str] | None = spec.get("known")
    compare = bool(spec.get("item_updated"))
    seen: dict[str, str] = cursor if cursor is not None else {}
    tally: dict[str, int] = counts if counts is not None else {}

    class LingongSpider(scrapy.Spider):
        name = "lingong"
        list_pages = 0

        async def start(self) -> AsyncIterator[Any]:
            yield self.list_request(spec["start_url"])

        def list_request(self, url: str) -> Any:
            self.list_pages += 1
            return scrapy.Request(url, callback=self.parse_list, errback=self.failed, meta={"kind": "list"})

        def parse_list(self, response: Any) -> Iterator[Any]:
            response = fix_encoding(response, spec.get("encoding"))
            if spec.get("item_links"):
                for url, fp in list_entries(response, spec):
                    key = item_key(url, keys)
                    tally["listed"] = tally.get("listed", 0) + 1
                    if known is not None and key in known and (not compare or known[key] == fp):
                        seen.setdefault(key, fp)  # unchanged since the last complete run: not requested
                        tally["unchanged"] = tally.get("unchanged", 0) + 1
                        continue
                    yield response.follow(url, callback=self.parse_detail, errback=self.failed,
                                          meta={"kind": "detail", "key": key, "fp": fp})
            else:  # everything is on the list pages themselves (jsonld only)
                self.extract(response)
            if spec.get("next_page") and self.list_pages < int(spec["max_pages"]):
                for href in links(response, spec["next_page"])[:1]:
                    yield self.list_request(response.urljoin(href))

        def parse_detail(self, response: Any) -> None:
            if "key" in response.meta:
                seen[response.meta["key"]] = response.meta["fp"]
            self.extract(fix_encoding(response, spec.get("encoding")))

        def extract(self, response: Any) -> None:
            url = response.url
            base: dict[str, Any] = {}
            if id_pattern is not None and (m := id_pattern.search(url)):
                base["_native_id"] = m.group(1) if m.groups() else m.group(0)
            if spec["mode"] == "jsonld":
                postings, broken = jsonld_postings(response)
                for raw in broken:
                    emit({"t": "reject", "url": url, "code": "invalid_jsonld",
                          "reason": "a JSON-LD block is not valid JSON", "raw": raw})
                for posting in postings:
                    emit({"t": "item", "url": url, "data": {**base, **posting}})
                if not postings and not broken and response.meta.get("kind") == "detail":
                    emit({"t": "reject", "url": url, "code": "no_jobposting",
                          "reason": "page has no schema.org JobPosting JSON-LD", "raw": url})
                return
            # An id taken from the URL replaces the native_id mapping: the payload stays free of host:port.
            # The page URL itself is never payload (RawPosting.url carries it): a host:port that moves
            # (a mirror, a restarted sandbox) must not make every record look changed.
            fields = {name: field_text(response, sel) for name, sel in spec["selectors"].items()
                      if sel != "url" and not (name == "native_id" and "_native_id" in base)}
            emit({"t": "item", "url": url, "data": {**base, **fields}})

        def failed(self, failure: Any) -> None:
            request = failure.request
            kind = request.meta.get("kind")
            url = request.url
            if failure.check(IgnoreRequest) and not failure.check(HttpError):
                if kind == "detail":
                    emit({"t": "skip", "url": url, "reason": "forbidden by robots.txt"})
                else:
                    errors.append({"url": url, "message": "list page forbidden by robots.txt", "transient": False})
                return
            if failure.check(HttpError):
                status = failure.value.response.status
                if kind == "detail" and status in (404, 410):
                    emit({"t": "skip", "url": url, "reason": f"HTTP {status}: gone since the list was read"})
                    return
                transient = status in TRANSIENT_CODES
                errors.append({"url": url, "message": f"HTTP {status}", "transient": transient})
                return
            transient = bool(failure.check(*network))
            errors.append({"url": url, "message": f"{failure.type.__name__}: {failure.value}",
                           "transient": transient})

    return LingongSpider


def run(spec: dict[str, Any], out: TextIO) -> None:
    from scrapy.crawler import CrawlerProcess

    def emit(message: dict[str, Any]) -> None:
        out.write(json.dumps(message, ensure_ascii=False, default=str) + "\n")
        out.flush()

    errors: list[dict[str, Any]] = []
    cursor: dict[str, str] = {}
    counts: dict[str, int] = {}
    started = time.monotonic()
    process = CrawlerProcess(build_settings(spec))
    crawler = process.create_crawler(make_spider(spec, emit, errors, cursor, counts))
    process.crawl(crawler)
    process.start(install_signal_handlers=False)
    stats = crawler.stats.get_stats() if crawler.stats else {}
    emit({"t": "end", "requests": int(stats.get("downloader/request_count", 0)),
          "pages": int(stats.get("response_received_count", 0)), "seconds": round(time.monotonic() - started, 3),
          "errors": errors, "cursor": cursor if spec.get("item_links") else None,
          "listed": counts.get("listed", 0), "unchanged": counts.get("unchanged", 0)})


def main() -> None:
    # The protocol owns the real stdout; everything else (prints, warnings, logs) goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    warnings.simplefilter("default")
    spec = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    run(spec, out)
    out.close()


if __name__ == "__main__":
    main()
