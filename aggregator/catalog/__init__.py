"""The catalog: the record of truth, one SQLite file under the data directory.

Every SQL statement lingong runs lives in this package, so another database
(PostgreSQL for several harvest workers) can replace SQLite behind the same
methods. The search index is a projection of the catalog: the ``outbox``
table lists the clusters whose index document is stale, and index sync
drains it (see :mod:`aggregator.indexing`).

Write methods expect to run inside :meth:`Catalog.transaction`; a process
killed mid-batch loses only the uncommitted batch, which the next run redoes
because its raw records' hashes were never stored.

One module per table group, each a mixin over :class:`~aggregator.catalog._core._Core`:

- ``_schema``: :data:`SCHEMA_VERSION`, the DDL and the migrations
- ``_core``: connection, migration, transactions, ``meta``
- ``_runs``: runs, cursors, source state and run leases
- ``_postings``: raw records, postings, the index outbox
- ``_quarantine``: bad records and their reasons
- ``_dedupe``: dedupe keys, features, LSH bands, blocks, clusters
- ``_employers``: employer registry, blacklist, credit codes; posting risk
- ``_seekers``: seekers, saved searches, notifications, dead letters
"""

from __future__ import annotations

from aggregator.catalog._core import _Core
from aggregator.catalog._dedupe import _DedupeMixin
from aggregator.catalog._employers import _EmployersMixin
from aggregator.catalog._postings import _PostingsMixin
from aggregator.catalog._quarantine import _QuarantineMixin
from aggregator.catalog._runs import _RunsMixin
from aggregator.catalog._schema import SCHEMA_VERSION
from aggregator.catalog._seekers import _SeekersMixin

__all__ = ["SCHEMA_VERSION", "Catalog"]


class Catalog(_RunsMixin, _PostingsMixin, _QuarantineMixin, _DedupeMixin, _EmployersMixin, _SeekersMixin, _Core):
    """The SQLite catalog. One instance per process; not shared across threads."""
