"""What a connector is: the contract every built-in and third-party connector follows.

A connector turns one source (a :class:`~aggregator.schema.SourceDefinition`)
into a stream of :class:`~aggregator.schema.RawPosting` records. It does not
normalise anything: the pipeline does that, the same way for every source.

The contract, deliberately small:

- ``Options``: a pydantic model (``extra="forbid"``) validating the source
  file's ``options``; secrets as ``SecretStr``. Relative paths are relative to
  the source file (``source.base_dir``).
- ``harvest(cursor)``: yield ``RawPosting`` for every record, or
  ``RejectedRecord`` for one that cannot be read. Never raise for one bad
  record. Raise :class:`~aggregator.errors.HarvestError` (or its
  ``TransientHarvestError`` subclass for timeouts, 5xx, refused connections)
  when the source as a whole fails. ``cursor`` is what the last *complete* run
  left in ``next_cursor``; ``None`` asks for a full harvest.
- ``next_cursor``: set it while harvesting; the pipeline saves it only when
  the run completes, so a failed run starts again from the old cursor.
- ``map_fields(payload)``: pick the canonical input fields out of one source
  record using ``source.mapping``. The default looks keys up (column names);
  JSON connectors override it with JMESPath, HTML ones with selectors. The
  pipeline calls it again on quarantine replay, so it must be pure.
- ``ping()`` checks reachability cheaply; ``close()`` releases resources.
- Every options model accepts ``http`` (:class:`~connectors.http.HttpOptions`: timeout, retries, delay,
  concurrency, robots). ``self.polite`` is an httpx client that honours them (robots.txt, per-host limits
  shared in the process, Retry-After, retries with backoff); ``self.requests`` counts what a run sent.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from aggregator.errors import HarvestError, TransientHarvestError
from aggregator.schema import RawPosting, RejectedRecord, SourceDefinition
from connectors.http import HttpOptions, PoliteClient

HarvestItem = RawPosting | RejectedRecord


class ConnectorOptions(BaseModel):
    """Base of every connector's options model: unknown keys are an error naming the key."""

    model_config = ConfigDict(extra="forbid")

    http: HttpOptions = Field(default_factory=HttpOptions)


class Connector(ABC):
    """Base class of all connectors. Subclasses set ``Options`` and implement ``harvest``."""

    Options: ClassVar[type[ConnectorOptions]] = ConnectorOptions
    #: True when ``harvest`` honours a cursor (updated-since, watermark, ETag).
    incremental: ClassVar[bool] = False

    def __init__(self, source: SourceDefinition, options: ConnectorOptions, *, user_agent: str) -> None:
        self.source = source
        self.options = options
        self.user_agent = user_agent
        self.next_cursor: dict[str, Any] | None = None
        self._http: httpx.Client | None = None
        self._polite: PoliteClient | None = None
        self._requests_done = 0

    @property
    def requests(self) -> int:
        """HTTP requests this connector has sent so far (robots.txt and retries included)."""
        return self._requests_done + (self._polite.requests if self._polite is not None else 0)

    def count_requests(self, n: int) -> None:
        """Add requests made outside ``self.polite`` (a crawler child process reports its own)."""
        self._requests_done += n

    @property
    def polite(self) -> PoliteClient:
        """A :class:`PoliteClient` following ``options.http`` with the connector's User-Agent (made on first use)."""
        if self._polite is None:
            self._polite = PoliteClient(getattr(self.options, "http", None) or HttpOptions(),
                                        user_agent=self.user_agent)
        return self._polite

    @property
    def http(self) -> httpx.Client:
        """A shared httpx client with an honest User-Agent and timeouts (created on first use)."""
        if self._http is None:
            self._http = httpx.Client(
                headers={"User-Agent": self.user_agent},
                timeout=httpx.Timeout(30.0, connect=10.0),
                follow_redirects=True,
            )
        return self._http

    def ping(self) -> None:  # noqa: B027 - optional to override, deliberately not abstract
        """Raise :class:`HarvestError` if the source is plainly unreachable. Default: nothing to check."""

    @abstractmethod
    def harvest(self, cursor: dict[str, Any] | None) -> Iterator[HarvestItem]:
        """Yield every record of the source (or, given a cursor, those changed since)."""

    def map_fields(self, payload: Mapping[str, Any]) -> dict[str, str | None]:
        """Canonical input fields from one source record, by key lookup (column names)."""
        out: dict[str, str | None] = {}
        for canonical, key in self.source.mapping.items():
            value = payload.get(key)
            if value is None:
                out[canonical] = None
            else:
                text = str(value).strip()
                out[canonical] = text or None
        return out

    def make_raw(self, payload: dict[str, Any], *, url: str | None = None, locator: str | None = None) -> HarvestItem:
        """Build the ``RawPosting`` for one record, or a ``RejectedRecord`` (at ``locator``) when it has no id."""
        fields = self.map_fields(payload)
        native_id = fields.get("native_id")
        now = datetime.now(UTC)
        if not native_id:
            key = self.source.mapping.get("native_id", "native_id")
            return RejectedRecord(
                source_id=self.source.id, locator=locator or url or "record", reason_code="missing_native_id",
                reason=f"record has no id (mapping native_id -> {key!r} is empty)",
                raw=_dump(payload), fetched_at=now,
            )
        return RawPosting(
            source_id=self.source.id, native_id=native_id, payload=payload, fields=fields,
            url=fields.get("url") or url, fetched_at=now,
        )

    def close(self) -> None:
        """Release connections and files."""
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._polite is not None:
            self._requests_done += self._polite.requests
            self._polite.close()
            self._polite = None


def _dump(payload: Mapping[str, Any]) -> str:
    import json

    return json.dumps(payload, ensure_ascii=False, default=str)


def raise_for_status(response: httpx.Response) -> None:
    """Turn an HTTP error status into the right harvest error: 429/5xx are transient."""
    code = response.status_code
    if code < 400:
        return
    msg = f"{response.request.method} {response.request.url} -> HTTP {code}"
    if code == 429 or code >= 500:
        raise TransientHarvestError(msg)
    raise HarvestError(msg)


def transport_error(exc: httpx.TransportError, url: str) -> TransientHarvestError:
    """Timeouts and refused connections are worth retrying later."""
    return TransientHarvestError(f"{url}: {type(exc).__name__}: {exc}")
