"""``board``: a 零工市场 job board publishing JSON pages with a sequence number.

``GET {base_url}{path}?since=<seq>`` answers ``{"seq": 42, "jobs": [...], "next": "/board/jobs.json?page=2"}``:
the jobs changed after ``since`` (all of them without it), ``seq`` the board's latest change, ``next``
the following page or ``null``. The connector is incremental: it keeps ``{"seq": …}`` as its cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import field_validator

from aggregator.errors import HarvestError
from connectors.base import Connector, ConnectorOptions, HarvestItem, raise_for_status


class BoardOptions(ConnectorOptions):
    base_url: str
    path: str = "/board/jobs.json"
    max_pages: int = 1000

    @field_validator("base_url")
    @classmethod
    def _http(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {v!r}")
        return v.rstrip("/")


class BoardConnector(Connector):
    """One record per job of every page; ``mapping`` names the job's keys (the default key lookup)."""

    Options = BoardOptions
    options: BoardOptions
    incremental: ClassVar[bool] = True

    def harvest(self, cursor: dict[str, Any] | None) -> Iterator[HarvestItem]:
        since = cursor.get("seq") if cursor else None
        params = {"since": str(since)} if since is not None else {}
        url: str | None = self.options.base_url + self.options.path
        latest = since
        pages = 0
        while url is not None:
            pages += 1
            if pages > self.options.max_pages:
                raise HarvestError(f"more than max_pages={self.options.max_pages} pages")
            response = self.polite.get(url, params=params or None)
            raise_for_status(response)
            doc = response.json()
            for index, job in enumerate(doc.get("jobs") or []):
                yield self.make_raw(job, locator=f"{response.url} #{index}")
            latest = doc.get("seq", latest)
            following = doc.get("next")
            url = self.options.base_url + following if following else None
            params = {}
        if latest is not None:
            self.next_cursor = {"seq": latest}
