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


def _elasticsearch(settings: Settings) -> SearchBackend:
    # ELASTICSEARCH_URL, LINGONG_ES_INDEX (alias, default lingong-postings), LINGONG_ES_ANALYZER (cjk|ik|smartcn)
    from search.elasticsearch import from_environment

    return from_environment()


@hookimpl
def lingong_register_search_backends(register: RegisterSearchBackend) -> None:
    register("embedded", _embedded)
    register("elasticsearch", _elasticsearch)
