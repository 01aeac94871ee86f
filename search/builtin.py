"""The built-in search backends, registered through the same hook as any third-party plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aggregator.hookspecs import RegisterSearchBackend, hookimpl

if TYPE_CHECKING:
    from aggregator.settings import Settings
    from search.base import SearchBackend


def _embedded(settings: Settings) -> SearchBackend:
    from search.embedded import EmbeddedBackend

    return EmbeddedBackend(settings.index_path)


@hookimpl
def lingong_register_search_backends(register: RegisterSearchBackend) -> None:
    register("embedded", _embedded)
