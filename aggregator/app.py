"""``App``: settings, plugins, catalog and index wired together once per process.

The CLI (and later the HTTP API and scheduler) build one ``App`` and ask it for
parts; the index backend is opened only when something needs it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aggregator.catalog import Catalog
from aggregator.errors import SourceFileError
from aggregator.indexing import sync_index
from aggregator.pipeline import Pipeline
from aggregator.plugins import Plugins, make_plugins
from aggregator.runs import HarvestRun
from aggregator.schema import SourceDefinition
from aggregator.settings import Settings
from aggregator.sources import LoadedSources, load_sources
from search.base import SearchBackend, SearchQuery, SearchResult


@dataclass
class App:
    settings: Settings
    plugins: Plugins
    catalog: Catalog
    _backend: SearchBackend | None = field(default=None, repr=False)
    _sources: LoadedSources | None = field(default=None, repr=False)

    @classmethod
    def open(cls, sources_dir: Path | None = None, *, home: Path | None = None, entrypoints: bool = True,
             extra_plugins: Iterable[tuple[str, object]] = ()) -> App:
        settings = Settings.load(sources_dir=sources_dir, home=home)
        plugins = make_plugins(entrypoints=entrypoints, extra=extra_plugins)
        return cls(settings=settings, plugins=plugins, catalog=Catalog(settings.catalog_path))

    @property
    def backend(self) -> SearchBackend:
        if self._backend is None:
            self._backend = self.plugins.backend(self.settings)
        return self._backend

    @property
    def sources(self) -> LoadedSources:
        if self._sources is None:
            self._sources = load_sources(self.settings.sources_dir)
        return self._sources

    def select(self, ids: Iterable[str]) -> tuple[list[SourceDefinition], list[str]]:
        """The enabled sources named (all enabled ones if none named) and the names not found."""
        ids = list(ids)
        loaded = self.sources.sources
        if not ids:
            return [s for s in loaded.values() if s.enabled], []
        return [loaded[i] for i in ids if i in loaded], [i for i in ids if i not in loaded]

    def source_errors(self) -> list[SourceFileError]:
        return self.sources.errors

    def harvest(self, sources: list[SourceDefinition], *, full: bool = True,
                progress: Callable[[SourceDefinition, HarvestRun], None] | None = None,
                stop: threading.Event | None = None,
                on_skip: Callable[[SourceDefinition, str], None] | None = None) -> list[HarvestRun]:
        """Harvest each source under its run lease; see :meth:`Pipeline.harvest_many` (skips, stops)."""
        return Pipeline(self.settings, self.plugins, self.catalog).harvest_many(
            sources, full=full, progress=progress, stop=stop, on_skip=on_skip)

    def replay_quarantine(self, sources: list[SourceDefinition]) -> list[HarvestRun]:
        pipeline = Pipeline(self.settings, self.plugins, self.catalog)
        return [pipeline.replay_quarantine(s) for s in sources]

    def sync(self, progress: Callable[[int], None] | None = None) -> int:
        done = sync_index(self.catalog, self.backend, progress=progress)
        from aggregator.seekers import after_sync  # push changed postings to the seekers they suit

        after_sync(self)
        return done

    def search(self, query: SearchQuery) -> SearchResult:
        return self.backend.search(query)

    def status(self) -> dict[str, Any]:
        return self.catalog.counts()

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
        self.catalog.close()
