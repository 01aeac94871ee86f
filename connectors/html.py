"""``html``: county sites crawled with Scrapy, list pages → detail pages, fields by CSS/XPath selectors.

Options (see ``docs/connector-options.md``)::

    start_url: "${LINGONG_SANDBOX_URL}/county/xinjian/zpxx/list_1.html"
    item_links: "css:ul.job-list a.title::attr(href)"    # detail links on a list page
    item: "css:ul.job-list > li"                          # optional: one list row (item_links and
    item_updated: "css:em::text"                          #   item_updated are then relative to it)
    next_page: "css:div.pager a.next::attr(href)"        # optional: the next list page
    max_pages: 1000                                       # list pages at most
    encoding: null                                        # force one; else declared-if-valid, else guessed
    native_id_from_url: "job_(\\d+)\\.html"               # regex on the detail URL (group 1); or map native_id
    http: {delay: 0.2, concurrency: 2, retries: 3, timeout: 30, respect_robots: true}

``mapping`` values are selectors on the detail page (``css:…`` or ``xpath:…``); every matched text is
joined with single spaces. Two more forms read the page's URL: ``url`` (the whole URL; it lands in
``RawPosting.url``, never in the payload, so a moved host:port changes no record) and ``url:REGEX``
(group 1, else the whole match), e.g. ``native_id: "url:job_(\\d+)\\.html"``. ``native_id_from_url``
does the same for ``native_id`` and wins over its mapping (the source schema still wants a
``native_id`` entry: write ``native_id: url`` then). The record's payload is what the selectors found
(plus ``_native_id`` from the URL), so replaying a quarantined record needs no page.

Each harvest crawls in a child process (:mod:`connectors._scrapy_runner`): Twisted's reactor cannot
restart, and a child can be crawled again and again by one scheduler. Records stream back as the child
finds them. A run is complete only when every list page and every detail page was read (a detail page
that robots.txt forbids or that is gone, 404/410, is left out); otherwise the run fails after yielding
what it has, so nothing is closed and the cursor stays.

Incremental runs (``incremental = True``): every run leaves ``next_cursor = {"v": 1, "items": {key:
fingerprint}}`` for the detail links its list pages showed (key: the native id from the URL, else the
URL's path and query; fingerprint: the text ``item_updated`` finds in the link's list ``item``, else "").
Given that cursor, a run still walks every list page but requests only the detail pages that are new or
whose fingerprint changed. Without ``item_updated`` only new ones are fetched: changes to a posting
already seen wait for the next full run. Full runs ignore the cursor and fetch everything, as before.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Generator, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from aggregator.errors import HarvestError, TransientHarvestError
from aggregator.schema import RejectedRecord
from connectors.base import Connector, ConnectorOptions, HarvestItem

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


def check_selector(value: str, *, url_forms: bool = False) -> str:
    """A selector must say ``css:`` or ``xpath:`` and parse; a mapped field may also be ``url`` / ``url:REGEX``."""
    from parsel import Selector

    kind, sep, query = value.partition(":")
    if url_forms and kind == "url":
        try:
            re.compile(query or ".")
        except re.error as exc:
            raise ValueError(f"url:{query}: not a regular expression: {exc}") from None
        return value
    if not sep or kind not in ("css", "xpath") or not query.strip():
        raise ValueError(f"selector must start with css: or xpath:, got {value!r}")
    try:
        getattr(Selector(text="<html></html>"), kind)(query)
    except Exception as exc:  # parsel raises several types (cssselect, lxml XPath errors)
        raise ValueError(f"invalid {kind} selector {query!r}: {exc}") from None
    return value


class CrawlOptions(ConnectorOptions):
    """What html and jsonld share: where the crawl starts and how it walks."""

    start_url: str
    item_links: str | None = None
    item: str | None = None
    item_updated: str | None = None
    next_page: str | None = None
    max_pages: int = Field(default=1000, ge=1)
    encoding: str | None = None
    native_id_from_url: str | None = None

    @field_validator("start_url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {v!r}")
        return v

    @field_validator("item_links", "next_page", "item", "item_updated")
    @classmethod
    def _selector(cls, v: str | None) -> str | None:
        return None if v is None else check_selector(v)

    @model_validator(mode="after")
    def _item_rows(self) -> CrawlOptions:
        if self.item is not None and self.item_links is None:
            raise ValueError("item needs item_links (the detail link inside each item)")
        if self.item_updated is not None and self.item is None:
            raise ValueError("item_updated is relative to each list row: declare the row with item")
        return self

    @field_validator("native_id_from_url")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return v

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, v: str | None) -> str | None:
        if v is not None:
            import codecs

            try:
                codecs.lookup(v)
            except LookupError:
                raise ValueError(f"unknown encoding {v!r}") from None
        return v


class HtmlOptions(CrawlOptions):
    item_links: str


# Scrapy crawls of one host never overlap inside this process: two html sources on one county site
# then share its politeness the way the httpx connectors share their host limiter.
_CRAWL_LOCKS: dict[str, threading.Lock] = {}
_CRAWL_LOCKS_GUARD = threading.Lock()


def _crawl_lock(url: str) -> threading.Lock:
    from connectors.http import host_key

    with _CRAWL_LOCKS_GUARD:
        return _CRAWL_LOCKS.setdefault(host_key(url), threading.Lock())


class CrawlConnector(Connector):
    """Runs a Scrapy crawl in a child process and turns its messages into records."""

    options: CrawlOptions
    mode = "selectors"
    #: a cursor of list-row fingerprints: an incremental run fetches only new or changed detail pages
    incremental = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: the running child (tests and operators may inspect it); None between harvests
        self.child: subprocess.Popen[bytes] | None = None
        #: what the last crawl reported: pages read, seconds, skipped detail pages
        self.crawl_stats: dict[str, Any] = {}
        self._active: Generator[HarvestItem, None, None] | None = None

    def _spec(self, known: dict[str, str] | None = None) -> dict[str, Any]:
        opts = self.options
        return {
            "mode": self.mode, "start_url": opts.start_url, "item_links": opts.item_links, "item": opts.item,
            "item_updated": opts.item_updated, "known": known,
            "next_page": opts.next_page, "max_pages": opts.max_pages, "encoding": opts.encoding,
            "native_id_from_url": opts.native_id_from_url, "selectors": self._selectors(),
            "http": opts.http.model_dump(), "user_agent": self.user_agent,
        }

    def _selectors(self) -> dict[str, str]:
        return {}

    def harvest(self, cursor: dict[str, Any] | None) -> Iterator[HarvestItem]:
        self.next_cursor = None
        crawl = self._locked_crawl(known_items(cursor) if self.options.item_links else None)
        self._active = crawl
        return crawl

    def _locked_crawl(self, known: dict[str, str] | None) -> Generator[HarvestItem, None, None]:
        with _crawl_lock(self.options.start_url):
            yield from self._crawl(known)

    def close(self) -> None:
        """Stop a crawl the caller abandoned (its child is killed, the host's crawl lock released)."""
        if self._active is not None:
            self._active.close()
            self._active = None
        super().close()

    def _crawl(self, known: dict[str, str] | None = None) -> Iterator[HarvestItem]:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_PROJECT_ROOT),
                                                                          os.environ.get("PYTHONPATH")]))}
        env.pop("SCRAPY_SETTINGS_MODULE", None)
        child = subprocess.Popen([sys.executable, "-m", "connectors._scrapy_runner"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.child = child
        assert child.stdin is not None and child.stdout is not None and child.stderr is not None
        stderr_tail: deque[str] = deque(maxlen=40)
        drain = threading.Thread(target=_drain, args=(child.stderr, stderr_tail), daemon=True)
        drain.start()
        end: dict[str, Any] | None = None
        skipped = 0
        try:
            child.stdin.write(json.dumps(self._spec(known), ensure_ascii=False).encode("utf-8"))
            child.stdin.close()
            for line in child.stdout:
                message = json.loads(line)
                kind = message.get("t")
                if kind == "item":
                    yield self.make_raw(message["data"], url=message["url"], locator=message["url"])
                elif kind == "reject":
                    yield RejectedRecord(source_id=self.source.id, locator=message["url"],
                                         reason_code=message["code"], reason=message["reason"],
                                         raw=message.get("raw") or "", fetched_at=datetime.now(UTC))
                elif kind == "skip":
                    skipped += 1
                elif kind == "end":
                    end = message
        finally:
            if child.poll() is None and end is None:
                child.kill()  # the consumer stopped early, or we are failing: do not leave a crawler running
            child.wait()
            drain.join(timeout=5)
            child.stdout.close()
            child.stderr.close()
            self.child = None
        if end is None:
            tail = "".join(stderr_tail).strip()[-1500:]
            raise HarvestError(f"crawler process for {self.options.start_url} died (exit code {child.returncode})"
                               + (f": {tail}" if tail else ""))
        self.count_requests(int(end.get("requests", 0)))
        self.crawl_stats = {"pages": end.get("pages", 0), "seconds": end.get("seconds"), "skipped": skipped,
                            "requests": end.get("requests", 0), "listed": end.get("listed", 0),
                            "unchanged": end.get("unchanged", 0), "incremental": known is not None}
        errors = end.get("errors") or []
        if not errors and isinstance(end.get("cursor"), dict):
            self.next_cursor = {"v": CURSOR_VERSION, "items": end["cursor"]}
        if errors:
            first = errors[0]
            msg = (f"{len(errors)} page(s) could not be read, the run is incomplete; first: "
                   f"{first['url']}: {first['message']}")
            if all(e.get("transient") for e in errors):
                raise TransientHarvestError(msg)
            raise HarvestError(msg)


CURSOR_VERSION = 1


def known_items(cursor: dict[str, Any] | None) -> dict[str, str] | None:
    """The key → fingerprint map of a saved crawl cursor; None (a full walk) for no or a foreign cursor."""
    if not cursor or cursor.get("v") != CURSOR_VERSION or not isinstance(cursor.get("items"), dict):
        return None
    return {str(k): str(v) for k, v in cursor["items"].items()}


def _drain(stream: Any, tail: deque[str]) -> None:
    for raw in stream:
        tail.append(raw.decode("utf-8", "replace"))


class HtmlConnector(CrawlConnector):
    """A county site: list pages with links to detail pages; fields by selectors on the detail page."""

    Options = HtmlOptions
    options: HtmlOptions

    def _selectors(self) -> dict[str, str]:
        for canonical, selector in self.source.mapping.items():
            try:
                check_selector(selector, url_forms=True)
            except ValueError as exc:
                raise HarvestError(f"mapping.{canonical}: {exc}") from None
        return dict(self.source.mapping)

    def map_fields(self, payload: Mapping[str, Any]) -> dict[str, str | None]:
        """The texts the selectors found (the payload is keyed by canonical field); id from the URL if mapped so."""
        out: dict[str, str | None] = {}
        for canonical, selector in self.source.mapping.items():
            if selector == "url":
                out[canonical] = None  # the page URL: make_raw puts it in RawPosting.url
                continue
            value = payload.get(canonical)
            out[canonical] = str(value).strip() or None if value is not None else None
        if payload.get("_native_id"):
            out["native_id"] = str(payload["_native_id"])
        return out
