"""Run leases: at most one harvest of a source at a time, across threads, processes and machines.

A lease is a row of the catalog (:meth:`~aggregator.catalog.Catalog.acquire_lease`): its owner,
``host:pid:nonce`` (:func:`new_owner`), and when it expires. Every harvest path holds it while it runs
a source:

- the scheduler daemon for a whole slot, retries included (:mod:`aggregator.scheduler`);
- :meth:`~aggregator.pipeline.Pipeline.harvest_many` for each source it runs (``lingong harvest``,
  ``lingong demo``, :meth:`App.harvest <aggregator.app.App.harvest>`).

:meth:`Pipeline.harvest <aggregator.pipeline.Pipeline.harvest>` (one source) takes no lease: its caller
holds one. The holder renews the lease after every committed batch and releases it when the source is
done, whether it ended ``ok``, ``failed`` or ``interrupted``. A source whose lease another live owner
holds is skipped, not waited for (:class:`~aggregator.errors.LeaseHeldError`).

A holder that dies without releasing: on the same machine, the next taker sees that its process is gone
and releases the lease at once (:func:`reap_dead_lease`); from another machine it cannot tell, and waits
for the lease to expire (``ttl_s`` after the last renewal).

Owners are never re-entrant: a process that already holds a source's lease runs that source under it
(the scheduler calls ``Pipeline.harvest``) instead of asking again, so two threads of one daemon, which
share its owner, can never both pass the guard.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from aggregator.catalog import Catalog
from aggregator.errors import LeaseHeldError, LeaseLostError
from aggregator.logs import event

__all__ = ["LEASE_TTL_S", "RunLease", "new_owner", "reap_dead_lease"]

log = logging.getLogger(__name__)

#: How long a lease lasts after its last renewal (a batch taking longer than this loses it).
LEASE_TTL_S = 600.0


def new_owner() -> str:
    """A fresh lease owner for this process: ``host:pid:nonce``.

    The host and pid let another process on the same machine tell that the owner died
    (:func:`reap_dead_lease`); the nonce keeps two owners of one process apart.
    """
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _dead_here(owner: str) -> bool:
    """Whether ``owner`` names a process of this machine that no longer exists."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine (or not our format): only expiry frees it
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, under another user
    return False


def reap_dead_lease(catalog: Catalog, source_id: str) -> str | None:
    """Release the source's lease if its owner is a dead process of this machine; returns that owner.

    Safe against races: the release names the dead owner, so a lease someone else took meanwhile stays.
    """
    owner = catalog.source_state(source_id)["lease_owner"]
    if not owner or not _dead_here(owner):
        return None
    catalog.release_lease(source_id, owner)
    event(log, "lease_reaped", logging.WARNING, source_id=source_id, dead_owner=owner)
    return str(owner)


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds")


class RunLease:
    """One owner's lease on one source: :meth:`acquire`, :meth:`renew` after every batch, :meth:`release`."""

    def __init__(self, catalog: Catalog, source_id: str, owner: str, ttl_s: float = LEASE_TTL_S) -> None:
        self.catalog = catalog
        self.source_id = source_id
        self.owner = owner
        self.ttl_s = ttl_s

    def _take(self) -> bool:
        now = datetime.now(UTC)
        return self.catalog.acquire_lease(self.source_id, self.owner, _iso(now + timedelta(seconds=self.ttl_s)),
                                          _iso(now))

    def acquire(self) -> None:
        """Take the lease, first reaping one left by a dead process of this machine.

        Raises :class:`~aggregator.errors.LeaseHeldError` when another live owner holds an unexpired lease.
        """
        reap_dead_lease(self.catalog, self.source_id)
        if not self._take():
            holder = self.catalog.source_state(self.source_id)["lease_owner"]
            raise LeaseHeldError(self.source_id, holder or "unknown (released since)")

    def renew(self) -> None:
        """Push the expiry ``ttl_s`` ahead; raises :class:`~aggregator.errors.LeaseLostError` if it was taken."""
        if not self._take():
            holder = self.catalog.source_state(self.source_id)["lease_owner"]
            raise LeaseLostError(self.source_id, holder or "unknown")

    def release(self) -> None:
        """Give the lease up (a no-op when another owner holds it now)."""
        self.catalog.release_lease(self.source_id, self.owner)
