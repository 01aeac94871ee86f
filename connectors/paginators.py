"""Paginators for JSON APIs: small classes that say which request comes next.

Each is built from ``options.paginator`` (``type`` picks the class) and asked two things:
``first(url, params)`` gives the first page's request, ``next(page, body, count, response)`` the one after
(``None`` when the listing is exhausted). ``count`` is how many records the page held; an empty page always
ends the listing, so a server that ignores the paginator's parameters cannot loop a harvest forever
(``max_pages`` bounds it too).

- ``page_number``: ``?page=1&size=100``, stop at ``total_path`` (records) / ``pages_path`` or a short page;
- ``offset``: ``?offset=0&limit=100``, stop at ``total_path`` or a short page;
- ``cursor``: ``?cursor=<value of cursor_path in the last body>``, stop when the body gives none;
- ``next_link``: follow the URL at ``next_path`` in the body, or the ``Link: <…>; rel="next"`` header;
- ``single``: one request.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import urljoin

import httpx
import jmespath  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field


@dataclass
class PageRequest:
    """The URL and query parameters of one page."""

    url: str
    params: dict[str, Any] = field(default_factory=dict)
    number: int = 1


class Paginator(ABC):
    """Which request comes after which."""

    def first(self, url: str, params: dict[str, Any]) -> PageRequest:
        return PageRequest(url, dict(params))

    @abstractmethod
    def next(self, page: PageRequest, body: Any, count: int, response: httpx.Response) -> PageRequest | None:
        """The request after ``page``, or ``None`` when the listing is done."""


def _int_at(path: str | None, body: Any) -> int | None:
    if not path:
        return None
    value = jmespath.search(path, body)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SinglePageSpec(_Spec):
    type: Literal["single"] = "single"

    def build(self) -> Paginator:
        return SinglePage()


class SinglePage(Paginator):
    def next(self, page: PageRequest, body: Any, count: int, response: httpx.Response) -> PageRequest | None:
        return None


class PageNumberSpec(_Spec):
    type: Literal["page_number"]
    page_param: str = "page"
    size_param: str | None = "size"
    size: int = Field(default=100, ge=1)
    start: int = 1
    total_path: str | None = None  # total number of records
    pages_path: str | None = None  # total number of pages

    def build(self) -> Paginator:
        return PageNumberPaginator(self)


class PageNumberPaginator(Paginator):
    def __init__(self, spec: PageNumberSpec) -> None:
        self.spec = spec

    def first(self, url: str, params: dict[str, Any]) -> PageRequest:
        s = self.spec
        extra = {s.size_param: s.size} if s.size_param else {}
        return PageRequest(url, {**params, s.page_param: s.start, **extra})

    def next(self, page: PageRequest, body: Any, count: int, response: httpx.Response) -> PageRequest | None:
        s = self.spec
        if count == 0:
            return None
        seen_pages = page.number
        pages = _int_at(s.pages_path, body)
        total = _int_at(s.total_path, body)
        if pages is not None and seen_pages >= pages:
            return None
        if total is not None and seen_pages * s.size >= total:
            return None
        if pages is None and total is None and s.size_param and count < s.size:
            return None
        current = int(page.params[s.page_param])
        return PageRequest(page.url, {**page.params, s.page_param: current + 1}, page.number + 1)


class OffsetSpec(_Spec):
    type: Literal["offset"]
    offset_param: str = "offset"
    limit_param: str = "limit"
    limit: int = Field(default=100, ge=1)
    total_path: str | None = None

    def build(self) -> Paginator:
        return OffsetPaginator(self)


class OffsetPaginator(Paginator):
    def __init__(self, spec: OffsetSpec) -> None:
        self.spec = spec

    def first(self, url: str, params: dict[str, Any]) -> PageRequest:
        s = self.spec
        return PageRequest(url, {**params, s.offset_param: 0, s.limit_param: s.limit})

    def next(self, page: PageRequest, body: Any, count: int, response: httpx.Response) -> PageRequest | None:
        s = self.spec
        if count == 0:
            return None
        offset = int(page.params[s.offset_param]) + count
        total = _int_at(s.total_path, body)
        if (total is not None and offset >= total) or (total is None and count < s.limit):
            return None
        return PageRequest(page.url, {**page.params, s.offset_param: offset}, page.number + 1)


class CursorSpec(_Spec):
    type: Literal["cursor"]
    cursor_param: str = "cursor"
    cursor_path: str = "next_cursor"

    def build(self) -> Paginator:
        return CursorPaginator(self)


class CursorPaginator(Paginator):
    def __init__(self, spec: CursorSpec) -> None:
        self.spec = spec

    def next(self, page: PageRequest, body: Any, count: int, response: httpx.Response) -> PageRequest | None:
        cursor = jmespath.search(self.spec.cursor_path, body)
        if count == 0 or cursor in (None, "") or cursor == page.params.get(self.spec.cursor_param):
            return None
        return PageRequest(page.url, {**page.params, self.spec.cursor_param: cursor}, page.number + 1)


class NextLinkSpec(_Spec):
    type: Literal["next_link"]
    next_path: str | None = None  # None: the Link header's rel="next"

    def build(self) -> Paginator:
        return NextLinkPaginator(self)


class NextLinkPaginator(Paginator):
    def __init__(self, spec: NextLinkSpec) -> None:
        self.spec = spec

    def next(self, page: PageRequest, body: Any, count: int, response: httpx.Response) -> PageRequest | None:
        if count == 0:
            return None
        if self.spec.next_path:
            link = jmespath.search(self.spec.next_path, body)
        else:
            link = response.links.get("next", {}).get("url")
        if not isinstance(link, str) or not link:
            return None
        # The link carries its own query string: earlier parameters must not be sent again on top of it.
        return PageRequest(urljoin(str(response.url), link), {}, page.number + 1)


PaginatorSpec = Annotated[
    SinglePageSpec | PageNumberSpec | OffsetSpec | CursorSpec | NextLinkSpec, Field(discriminator="type")
]
