"""``json_api``: a portal's JSON API over httpx (token auth, pagination, incremental cursor).

Options (see ``docs/connector-options.md``)::

    base_url: "${LINGONG_SANDBOX_URL}/portal"
    endpoint: /api/v1/jobs
    records_path: data.items          # JMESPath to the list of records in each page
    auth: {type: token, token_url: /api/v1/token, client_id: lingong, client_secret: "${PORTAL_SECRET}",
           token_path: data.access_token, expires_in_path: data.expires_in}
    paginator: {type: page_number, page_param: page, size_param: size, size: 100, total_path: data.total}
    incremental: {param: updatedSince, field: updatedAt}
    params: {}                        # extra query parameters
    max_pages: 100000

``mapping`` values are JMESPath expressions on one record. The token is fetched with a form POST
(``grant_type=client_credentials``, ``client_id``, ``client_secret``), sent as ``Authorization: Bearer``,
renewed shortly before it expires and once more whenever the API answers 401.

Incremental: a run sends ``param=<saved cursor>`` and leaves ``next_cursor = {"field": …, "value": max(field)}``
over what it saw (a full run too, so the next incremental run starts from there). Nothing seen keeps the old
cursor.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any, ClassVar, Literal

import httpx
import jmespath  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from aggregator.errors import HarvestError
from connectors.base import Connector, ConnectorOptions, HarvestItem, raise_for_status
from connectors.paginators import PageRequest, PaginatorSpec, SinglePageSpec


@lru_cache(maxsize=512)
def _compiled(expression: str) -> Any:
    return jmespath.compile(expression)


def jmespath_text(expression: str, payload: Any) -> str | None:
    """The text at a JMESPath expression: scalars as text, lists of scalars joined with spaces, else JSON."""
    value = _compiled(expression).search(payload)
    return as_text(value)


def as_text(value: Any) -> str | None:
    if value is None or isinstance(value, dict):
        return None if value is None else _json(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        parts = [t for v in value if (t := as_text(v))]
        return " ".join(parts) or None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def check_jmespath(mapping: Mapping[str, str]) -> None:
    """Raise ``HarvestError`` naming the first mapping expression that is not valid JMESPath."""
    for canonical, expression in mapping.items():
        try:
            _compiled(expression)
        except jmespath.exceptions.JMESPathError as exc:
            raise HarvestError(f"mapping.{canonical}: not a JMESPath expression ({expression!r}): {exc}") from exc


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenAuth(_Model):
    type: Literal["token"]
    token_url: str
    client_id: str
    client_secret: SecretStr
    token_path: str = "access_token"
    expires_in_path: str | None = "expires_in"
    #: renew this many seconds before the announced expiry (clock skew, request latency)
    leeway: float = Field(default=30.0, ge=0)


class BearerAuth(_Model):
    type: Literal["bearer"]
    token: SecretStr


class Incremental(_Model):
    param: str = "updatedSince"
    field: str = "updatedAt"  # JMESPath on one record


class JsonApiOptions(ConnectorOptions):
    base_url: str
    endpoint: str = ""
    records_path: str = "@"
    auth: TokenAuth | BearerAuth | None = Field(default=None, discriminator="type")
    paginator: PaginatorSpec = Field(default_factory=SinglePageSpec)
    incremental: Incremental | None = None
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    max_pages: int = Field(default=100_000, ge=1)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {v!r}")
        return v

    @field_validator("records_path")
    @classmethod
    def _jmespath(cls, v: str) -> str:
        try:
            _compiled(v)
        except jmespath.exceptions.JMESPathError as exc:
            raise ValueError(f"not a JMESPath expression: {exc}") from None
        return v

    def url(self, path: str) -> str:
        """``path`` resolved against ``base_url`` (a path is appended to base_url's own path)."""
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url.rstrip("/") + "/" + path.lstrip("/") if path else self.base_url


def _later(a: Any, b: Any) -> Any:
    """The larger cursor value: numbers compare as numbers, anything else as text (ISO dates sort as text)."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, int | float) and isinstance(b, int | float):
        return max(a, b)
    return a if str(a) >= str(b) else b


class JsonApiConnector(Connector):
    """Pages through a JSON API; one record of ``records_path`` is one posting."""

    Options = JsonApiOptions
    options: JsonApiOptions
    incremental: ClassVar[bool] = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._token: str | None = None
        self._token_expires = 0.0
        #: how many times a token was fetched this run (tests and run reports read it)
        self.token_fetches = 0

    # auth ------------------------------------------------------------------------------------------------

    def _auth_headers(self, *, renew: bool = False) -> dict[str, str]:
        auth = self.options.auth
        if auth is None:
            return {}
        if isinstance(auth, BearerAuth):
            return {"Authorization": f"Bearer {auth.token.get_secret_value()}"}
        if renew or self._token is None or time.monotonic() >= self._token_expires:
            self._fetch_token(auth)
        return {"Authorization": f"Bearer {self._token}"}

    def _fetch_token(self, auth: TokenAuth) -> None:
        url = self.options.url(auth.token_url)
        response = self.polite.request("POST", url, data={
            "grant_type": "client_credentials", "client_id": auth.client_id,
            "client_secret": auth.client_secret.get_secret_value()})
        if response.status_code in (400, 401, 403):
            raise HarvestError(f"token request to {url} refused (HTTP {response.status_code}): check client_id/secret")
        raise_for_status(response)
        body = _json_body(response)
        token = jmespath.search(auth.token_path, body)
        if not isinstance(token, str) or not token:
            raise HarvestError(f"token response of {url} has no token at {auth.token_path!r}")
        expires_in = jmespath.search(auth.expires_in_path, body) if auth.expires_in_path else None
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 3600.0
        self._token = token
        self._token_expires = time.monotonic() + max(0.0, lifetime - min(auth.leeway, lifetime / 2))
        self.token_fetches += 1

    def _get(self, url: str, params: dict[str, Any]) -> httpx.Response:
        # httpx replaces a URL's own query string with ``params`` even when they are empty (next links).
        query = params or None
        response = self.polite.get(url, params=query, headers=self._auth_headers())
        if response.status_code == 401 and isinstance(self.options.auth, TokenAuth):
            # Expired early (server restart, revoked): one fresh token, one more try.
            response = self.polite.get(url, params=query, headers=self._auth_headers(renew=True))
        raise_for_status(response)
        return response

    def ping(self) -> None:
        self._auth_headers()

    # harvest ---------------------------------------------------------------------------------------------

    def harvest(self, cursor: dict[str, Any] | None) -> Iterator[HarvestItem]:
        opts = self.options
        check_jmespath(self.source.mapping)
        inc = opts.incremental
        params: dict[str, Any] = dict(opts.params)
        since = cursor.get("value") if cursor and inc else None
        if inc and since is not None:
            params[inc.param] = since
        watermark = since
        paginator = opts.paginator.build()
        page: PageRequest | None = paginator.first(opts.url(opts.endpoint), params)
        while page is not None:
            if page.number > opts.max_pages:
                raise HarvestError(f"more than max_pages={opts.max_pages} pages at {opts.url(opts.endpoint)}")
            response = self._get(page.url, page.params)
            body = _json_body(response)
            records = _compiled(opts.records_path).search(body)
            if records is None:
                records = []
            if not isinstance(records, list):
                raise HarvestError(f"{response.url}: records_path {opts.records_path!r} is not a list")
            for index, record in enumerate(records):
                locator = f"{response.url} #{index}"
                if not isinstance(record, dict):
                    yield self._reject(locator, record)
                    continue
                if inc is not None:
                    watermark = _later(watermark, _compiled(inc.field).search(record))
                yield self.make_raw(record, locator=locator)
            following = paginator.next(page, body, len(records), response)
            if following is not None and (following.url, following.params) == (page.url, page.params):
                raise HarvestError(f"{response.url}: the paginator asks for the same page again "
                                   "(does the API ignore its parameters?)")
            page = following
        if inc is not None and watermark is not None:
            self.next_cursor = {"field": inc.field, "value": watermark}

    def _reject(self, locator: str, record: Any) -> HarvestItem:
        from datetime import UTC, datetime

        from aggregator.schema import RejectedRecord

        return RejectedRecord(source_id=self.source.id, locator=locator, reason_code="not_an_object",
                              reason="record is not a JSON object", raw=_json(record), fetched_at=datetime.now(UTC))

    def map_fields(self, payload: Mapping[str, Any]) -> dict[str, str | None]:
        """Canonical fields by JMESPath expressions on the record (pure: quarantine replay calls it again)."""
        return {canonical: jmespath_text(expr, payload) for canonical, expr in self.source.mapping.items()}


def _json_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise HarvestError(f"{response.request.method} {response.url}: response is not JSON ({exc})") from exc


__all__ = ["JsonApiConnector", "JsonApiOptions", "as_text", "jmespath_text"]
