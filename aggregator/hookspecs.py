"""The hooks lingong calls, grouped by lifecycle. Plugins implement them with ``@hookimpl``.

A plugin is any module or object with functions named like these hooks and
decorated with :data:`aggregator.hookspecs.hookimpl`. Installed packages expose
plugins through the entry-point group ``lingong``; lingong's own connectors,
search backends and employer checks are registered the same way.

Register-style hooks receive a ``register`` callback rather than returning
things, so lingong can reject a bad contribution with a clear error that names
the plugin that made it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from aggregator.runs import HarvestRun
    from aggregator.schema import Employer, JobPosting, SourceDefinition
    from aggregator.seekers.model import Channel
    from aggregator.settings import Settings
    from connectors.base import Connector
    from search.base import SearchBackend

PROJECT = "lingong"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

#: ``register(name, connector_class)``
RegisterConnector = Callable[[str, "type[Connector]"], None]
#: ``register(name, factory)`` where ``factory(settings) -> SearchBackend``
RegisterSearchBackend = Callable[[str, "Callable[[Settings], SearchBackend]"], None]


# --- start-up: what plugins contribute -------------------------------------------------------


@hookspec
def lingong_register_connectors(register: RegisterConnector) -> None:
    """Contribute connector types.

    Call ``register(name, cls)`` once per connector type; ``name`` is what a
    source file's ``connector:`` names (``feed``, ``html`` ...) and ``cls`` is a
    subclass of :class:`connectors.base.Connector`. Registering a name twice, or
    something that is not a ``Connector`` subclass, is a :class:`PluginError`
    naming both plugins. Return value ignored.
    """


@hookspec
def lingong_register_search_backends(register: RegisterSearchBackend) -> None:
    """Contribute search index engines.

    Call ``register(name, factory)``; ``factory(settings)`` returns an object
    satisfying :class:`search.base.SearchBackend`. The backend used is chosen
    by ``Settings.search_backend`` (``embedded`` by default). Return value ignored.
    """


# --- per posting: after normalisation, before dedupe ---------------------------------------------


@hookspec
def lingong_verify_employer(employer: Employer, posting: JobPosting) -> dict[str, Any] | None:
    """Check a posting's employer (USCC, a registry, a blacklist ...).

    Return ``None`` when the plugin has nothing to say, or a verdict
    ``{"status": "verified"|"unverified"|"invalid"|"blacklisted", "reason": str}``.
    Every implementation is called; the verdicts are combined so the gravest
    status wins (blacklisted > invalid > verified > unverified) and every
    reason is kept on ``Employer.reasons``. Must not mutate its arguments.
    """


@hookspec
def lingong_enrich_posting(posting: JobPosting, source: SourceDefinition) -> dict[str, Any] | None:
    """Add to a normalised posting (a category, geocodes, a risk score ...).

    Return ``None`` or a dict of top-level ``JobPosting`` fields to replace;
    keys that are not ``JobPosting`` fields go into ``posting.extras``.
    Called for every new or changed posting, in plugin registration order
    (later plugins see earlier plugins' updates). An exception quarantines
    the record with reason ``enrich_failed`` and names the plugin.
    """


@hookspec
def lingong_risk_signals(posting: JobPosting) -> list[dict[str, Any]] | None:
    """Add scam / risk signals to a posting's risk score (after enrichment, before dedupe).

    Return ``None`` or a list of signals ``{"rule": str, "weight": float in 0..1,
    "reason": str}``. Every implementation is called; the signals join those of the
    YAML rules (:mod:`aggregator.risk`) and the score is ``1 - Π(1 - weight)``. A
    posting at or above the threshold is kept in the catalog but held out of the
    public index and listed by ``lingong review``. An exception, or a weight outside
    0..1, quarantines the record with reason ``risk_failed``. Must not mutate the posting.
    """


# --- after a run ---------------------------------------------------------------------------------


@hookspec
def lingong_harvest_finished(run: HarvestRun, source: SourceDefinition) -> None:
    """Told after every harvest run of a source, successful or not.

    ``run`` carries the counters (fetched, new, updated, unchanged, closed,
    quarantined), ``status`` (``ok`` or ``failed``) and ``error``. Use it for
    alerts and metrics. Exceptions are logged and swallowed: a notifier never
    breaks a harvest. Return value ignored.
    """


# --- matched push: a posting reached the people it suits -----------------------------------------


@hookspec(firstresult=True)
def lingong_notify(channel: Channel, message: dict[str, Any]) -> bool | None:
    """Deliver one notification (a job matched to a seeker or a saved search) to a person.

    ``channel`` is the decrypted :class:`aggregator.seekers.model.Channel` (``kind``, and
    ``url``/``secret`` for ``webhook`` or an opaque ``id`` for other kinds); it must never be
    logged, stored or put in an exception message. ``message`` is JSON-ready: ``delivery_id``
    (the same on every retry), ``seeker_id``, ``cluster_id``, ``score``, ``reasons``,
    ``sent_at`` and ``posting`` (public fields only, contacts masked).

    Return ``True`` once delivered, ``None`` when the plugin does not handle this
    ``channel.kind`` (stops at the first non-``None`` result). Raise to report a failed
    attempt: the dispatcher retries with exponential backoff and, after the last attempt,
    records a dead letter. The built-in ``aggregator.seekers.webhook`` handles ``webhook``.
    Called from delivery worker threads: keep implementations thread-safe.
    """
