"""The built-in connectors, registered through the same hook as any third-party plugin."""

from __future__ import annotations

from aggregator.hookspecs import RegisterConnector, hookimpl
from connectors.feed import FeedConnector
from connectors.html import HtmlConnector
from connectors.json_api import JsonApiConnector
from connectors.jsonld import JsonLdConnector


@hookimpl
def lingong_register_connectors(register: RegisterConnector) -> None:
    register("feed", FeedConnector)
    register("html", HtmlConnector)
    register("json_api", JsonApiConnector)
    register("jsonld", JsonLdConnector)
