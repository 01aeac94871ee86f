"""Every exception lingong raises on purpose.

The hierarchy::

    LingongError
    ├── ConfigError                 bad settings or environment
    │   └── SourceFileError         a source YAML file is unreadable or invalid
    ├── PluginError                 a plugin failed to load or registered something bad
    ├── UnknownConnectorError       a source names a connector nobody registered
    ├── HarvestError                a source could not be harvested
    │   └── TransientHarvestError   ... but trying again later may work (Transient)
    ├── LeaseHeldError              another live process is harvesting the source (it is skipped)
    ├── LeaseLostError              another process took a running harvest's lease (the run stops)
    ├── RecordError                 one record cannot become a posting (quarantined, never raised out)
    ├── CatalogError                the catalog database is unusable
    └── SearchBackendError          the index engine failed
        └── BackendUnavailableError ... because it is unreachable (Transient)

``Transient`` is a marker mixed into the errors worth retrying, so a scheduler
decides from the type (``isinstance(err, Transient)``), never from message text.
"""

from __future__ import annotations

from pathlib import Path


class Transient:
    """Marker: the failure may go away by itself; retry later with backoff."""


class LingongError(Exception):
    """Base of every error lingong raises on purpose."""


class ConfigError(LingongError):
    """Raised by the settings loader when a directory or setting is unusable."""


class SourceFileError(ConfigError):
    """Raised by the source loader for one bad source file.

    Carries the file, the field (dotted path, or ``None`` for the whole file)
    and the reason, so the message tells an author exactly what to fix.
    """

    def __init__(self, path: Path, field: str | None, reason: str) -> None:
        self.path = path
        self.field = field
        self.reason = reason
        where = f"{path}: {field}" if field else str(path)
        super().__init__(f"{where}: {reason}")


class PluginError(LingongError):
    """Raised by the plugin manager when a plugin registers something unusable."""


class UnknownConnectorError(LingongError):
    """Raised when a source's ``connector`` is not registered by any plugin."""


class HarvestError(LingongError):
    """Raised by a connector when a source cannot be harvested (bad response, bad file)."""


class TransientHarvestError(HarvestError, Transient):
    """Raised by a connector for failures that may pass: timeouts, 5xx, connection refused."""


class LeaseHeldError(LingongError):
    """Raised by :meth:`aggregator.leases.RunLease.acquire` when another live owner holds the source's run lease.

    Not a failure: the pipeline and the scheduler catch it and skip the source, since ``owner`` is
    harvesting it right now.
    """

    def __init__(self, source_id: str, owner: str) -> None:
        self.source_id = source_id
        self.owner = owner
        super().__init__(f"{source_id}: running elsewhere (owner {owner})")


class LeaseLostError(LingongError):
    """Raised by :meth:`aggregator.leases.RunLease.renew` when another owner took the lease mid-run.

    That happens when a batch outlasts the lease's time to live; the harvest stops (its run ends
    ``failed``, closing nothing) so that two processes do not go on harvesting one source.
    """

    def __init__(self, source_id: str, owner: str) -> None:
        self.source_id = source_id
        self.owner = owner
        super().__init__(f"lost the run lease of {source_id} to {owner}; stopping this run")


class RecordError(LingongError):
    """Raised by normalisation for one record that cannot become a posting.

    ``code`` is machine-readable (``missing_field``, ``invalid_value`` ...);
    the pipeline catches it and quarantines the record with code and message.
    """

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        self.code = code
        self.field = field
        super().__init__(message)


class CatalogError(LingongError):
    """Raised by the catalog when its database cannot be opened or migrated."""


class DedupeDecisionError(LingongError):
    """Raised when an operator's dedupe decision cannot be applied: an unknown posting, the same posting twice,
    or a conflict with an earlier decision (which the message names)."""


class SearchBackendError(LingongError):
    """Raised by a search backend when the engine rejects a request."""


class BackendUnavailableError(SearchBackendError, Transient):
    """Raised by a search backend when the engine cannot be reached; the outbox keeps the work."""
