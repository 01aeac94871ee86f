"""One plugin manager: built-ins, then installed entry points (group ``lingong``).

Environment:
- ``LINGONG_LOAD_PLUGINS``: comma-separated entry-point names to load (empty: none);
  unset loads every installed plugin.
- ``LINGONG_TRACE_PLUGINS=1``: log every hook call and result.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

import pluggy

from aggregator import hookspecs
from aggregator.errors import PluginError, UnknownConnectorError

if TYPE_CHECKING:
    from aggregator.settings import Settings
    from connectors.base import Connector
    from search.base import SearchBackend

log = logging.getLogger(__name__)

#: Built-in plugins: the core uses its own hooks, so the hooks are proven.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "connectors.builtin",
    "search.builtin",
    "aggregator.checks",
    "aggregator.employers",
    "aggregator.webhooks",
    "aggregator.seekers.webhook",
    "aggregator.market.plugin",
)


@dataclass
class Plugins:
    """The plugin manager plus what plugins registered, and which plugin registered it."""

    pm: pluggy.PluginManager
    connectors: dict[str, type[Connector]] = field(default_factory=dict)
    backends: dict[str, Callable[[Settings], SearchBackend]] = field(default_factory=dict)
    contributed_by: dict[str, str] = field(default_factory=dict)
    load_errors: dict[str, str] = field(default_factory=dict)

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def connector(self, name: str) -> type[Connector]:
        try:
            return self.connectors[name]
        except KeyError:
            known = ", ".join(sorted(self.connectors)) or "none"
            raise UnknownConnectorError(f"no connector named {name!r} is registered (known: {known})") from None

    def backend(self, settings: Settings) -> SearchBackend:
        try:
            factory = self.backends[settings.search_backend]
        except KeyError:
            known = ", ".join(sorted(self.backends))
            raise PluginError(
                f"no search backend named {settings.search_backend!r} (LINGONG_SEARCH_BACKEND); known: {known}"
            ) from None
        return factory(settings)

    def collect(self) -> None:
        """Call the register hooks, one implementation at a time, to attribute every contribution."""
        from connectors.base import Connector

        self.connectors.clear()
        self.backends.clear()
        for impl in self.pm.hook.lingong_register_connectors.get_hookimpls():

            def reg_connector(name: str, cls: type[Connector], _plugin: str = impl.plugin_name) -> None:
                if not (isinstance(cls, type) and issubclass(cls, Connector)):
                    raise PluginError(f"plugin {_plugin!r} registered connector {name!r} that is not a Connector")
                if name in self.connectors:
                    other = self.contributed_by[f"connector:{name}"]
                    raise PluginError(f"connector {name!r} registered by both {other!r} and {_plugin!r}")
                self.connectors[name] = cls
                self.contributed_by[f"connector:{name}"] = _plugin

            impl.function(register=reg_connector)
        for impl in self.pm.hook.lingong_register_search_backends.get_hookimpls():

            def reg_backend(
                name: str, factory: Callable[[Settings], SearchBackend], _plugin: str = impl.plugin_name
            ) -> None:
                if not callable(factory):
                    raise PluginError(f"plugin {_plugin!r} registered search backend {name!r} that is not callable")
                if name in self.backends:
                    other = self.contributed_by[f"backend:{name}"]
                    raise PluginError(f"search backend {name!r} registered by both {other!r} and {_plugin!r}")
                self.backends[name] = factory
                self.contributed_by[f"backend:{name}"] = _plugin

            impl.function(register=reg_backend)


def load_entrypoint_plugins(pm: pluggy.PluginManager, eps: Iterable[EntryPoint] | None = None) -> dict[str, str]:
    """Import and register entry-point plugins; return {name: error} for those that failed (skipped)."""
    if eps is None:
        eps = entry_points(group=hookspecs.PROJECT)
    wanted = os.environ.get("LINGONG_LOAD_PLUGINS")
    allow = None if wanted is None else {n.strip() for n in wanted.split(",") if n.strip()}
    errors: dict[str, str] = {}
    for ep in eps:
        if allow is not None and ep.name not in allow:
            continue
        if pm.get_plugin(ep.name) is not None:
            continue
        try:
            plugin = ep.load()
            pm.register(plugin, name=ep.name)
        except Exception as exc:  # a broken plugin is reported and skipped, never fatal
            errors[ep.name] = f"{type(exc).__name__}: {exc}"
            log.warning("plugin %r (%s) failed to load and is skipped: %s", ep.name, ep.value, exc)
    return errors


def make_plugins(*, entrypoints: bool = True, extra: Iterable[tuple[str, object]] = ()) -> Plugins:
    """Build the plugin manager: built-ins, ``extra`` (name, plugin) pairs, then entry points."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for modname in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(modname), name=modname)
    for name, plugin in extra:
        pm.register(plugin, name=name)
    load_errors = load_entrypoint_plugins(pm) if entrypoints else {}
    pm.check_pending()
    if os.environ.get("LINGONG_TRACE_PLUGINS"):
        pm.trace.root.setwriter(lambda msg: log.info("hook: %s", msg.rstrip()))
        pm.enable_tracing()
    plugins = Plugins(pm=pm, load_errors=load_errors)
    plugins.collect()
    return plugins
