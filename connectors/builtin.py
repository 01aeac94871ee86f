"""The built-in connectors, registered through the same hook as any third-party plugin."""

from __future__ import annotations

from aggregator.hookspecs import RegisterConnector, hookimpl
from connectors.feed import FeedConnector


@hookimpl
def lingong_register_connectors(register: RegisterConnector) -> None:
    register("feed", FeedConnector)
