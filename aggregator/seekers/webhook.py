"""The built-in ``lingong_notify`` plugin: a signed JSON POST to the seeker's webhook.

The body is the message as compact JSON (UTF-8, keys sorted). Headers:

- ``X-Lingong-Signature: sha256=<hex>``: HMAC-SHA256 of the exact body bytes with the
  channel's ``secret`` (verify with ``hmac.compare_digest`` before trusting the body);
- ``X-Lingong-Delivery``: the notification id (the same on every retry: deduplicate on it).

A 2xx answer is a delivery; anything else (or no answer in 10 s) raises, and the
dispatcher retries with backoff, then dead-letters.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from typing import Any

import httpx

from aggregator.errors import LingongError, Transient
from aggregator.hookspecs import hookimpl
from aggregator.seekers.model import Channel

SIGNATURE_HEADER = "X-Lingong-Signature"
DELIVERY_HEADER = "X-Lingong-Delivery"
TIMEOUT_S = 10.0

_client: httpx.Client | None = None
_lock = threading.Lock()


class DeliveryError(LingongError, Transient):
    """Raised by a notifier when one delivery attempt failed (the dispatcher retries it)."""


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _http() -> httpx.Client:
    global _client
    with _lock:
        if _client is None:
            _client = httpx.Client(timeout=TIMEOUT_S, follow_redirects=False,
                                   limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))
        return _client


@hookimpl
def lingong_notify(channel: Channel, message: dict[str, Any]) -> bool | None:
    if channel.kind != "webhook" or not channel.url or channel.secret is None:
        return None
    body = encode(message)
    headers = {"Content-Type": "application/json; charset=utf-8",
               SIGNATURE_HEADER: sign(channel.secret.get_secret_value(), body),
               DELIVERY_HEADER: str(message.get("delivery_id", ""))}
    try:
        response = _http().post(channel.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook unreachable: {type(exc).__name__}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"webhook answered HTTP {response.status_code}")
    return True
