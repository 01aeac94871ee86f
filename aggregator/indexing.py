"""From the catalog to the search index: one public document per cluster, through the outbox.

``sync_index`` drains the outbox in batches: it rebuilds each listed cluster's
document from the catalog, writes it (or deletes it when nothing in the cluster
is open or publishable), commits the index, and only then removes the entries.
Interrupted anywhere, the next sync redoes at most one batch; writes are
idempotent, so nothing is lost or doubled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aggregator.catalog import Catalog
from aggregator.privacy import public_posting
from aggregator.schema import JobPosting, SourceRef
from search.base import SearchBackend

#: Statuses kept out of the public index.
UNPUBLISHED_EMPLOYERS = frozenset({"blacklisted"})


def completeness(p: JobPosting) -> int:
    """How many of the fields a worker needs are present."""
    return sum(bool(x) for x in (p.description, p.employer.name, p.salary and p.salary.unit,
                                 p.location.code, p.contact.phone, p.posted_at, p.employer.uscc))


def choose_canonical(members: list[JobPosting]) -> JobPosting:
    """Source authority (trust) first, then completeness, then freshness."""
    return max(members, key=lambda p: (p.provenance.trust, completeness(p),
                                       p.posted_at.timestamp() if p.posted_at else 0.0, p.id))


def public_document(canonical: JobPosting, members: list[JobPosting]) -> dict[str, Any]:
    """The index document: the canonical posting, masked, with the other members as ``other_sources``."""
    pub = public_posting(canonical, (m.contact.name for m in members if m.contact.name))
    pub.other_sources = [SourceRef(source_id=m.source_id, native_id=m.native_id, url=m.url, posting_id=m.id)
                         for m in members if m.id != canonical.id]
    doc = pub.model_dump(mode="json")
    doc["region_codes"] = canonical.location.region_codes()
    return doc


def publishable(posting: JobPosting) -> bool:
    """May this posting be shown to the public (index, API)? Closed ones may be shown, marked closed."""
    return posting.employer.verification not in UNPUBLISHED_EMPLOYERS


def cluster_document(catalog: Catalog, cluster_id: str) -> dict[str, Any] | None:
    """The cluster's public document, or ``None`` when it should not be in the index."""
    members = [m for m in catalog.cluster_members(cluster_id) if m.status == "open" and publishable(m)]
    if not members:
        return None
    return public_document(choose_canonical(members), members)


def sync_index(catalog: Catalog, backend: SearchBackend, batch: int = 500,
               progress: Callable[[int], None] | None = None) -> int:
    """Drain the outbox into the index; return how many clusters were written or removed."""
    done = 0
    while True:
        up_to, clusters = catalog.outbox_batch(batch)
        if not clusters:
            return done
        docs, gone = [], []
        for cid in clusters:
            doc = cluster_document(catalog, cid)
            (gone.append(cid) if doc is None else docs.append(doc))
        if docs:
            backend.upsert(docs)
        if gone:
            backend.delete(gone)
        backend.commit()
        with catalog.transaction():
            catalog.outbox_done(up_to)
        done += len(clusters)
        if progress:
            progress(len(clusters))


def reindex(catalog: Catalog, backend: SearchBackend) -> int:
    """Rebuild the index from the catalog: clear it and queue every cluster."""
    backend.clear()
    backend.commit()
    with catalog.transaction():
        catalog.enqueue(catalog.all_cluster_ids())
    return sync_index(catalog, backend)
