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
from normalize import title_key
from search.base import ReindexableBackend, SearchBackend

#: Statuses kept out of the public index.
UNPUBLISHED_EMPLOYERS = frozenset({"blacklisted"})


def completeness(p: JobPosting) -> int:
    """How many of the fields a worker needs are present."""
    return sum(bool(x) for x in (p.description, p.employer.name, p.salary and p.salary.unit,
                                 p.location.code, p.contact.phone, p.posted_at, p.employer.uscc))


def choose_canonical(members: list[JobPosting]) -> JobPosting:
    """Source authority (trust) first, then completeness, then freshness."""
    return max(members, key=_rank)


#: Canonical fields that can be filled from another member when the canonical posting lacks them.
_FILLABLE: tuple[tuple[str, str], ...] = (
    ("description", "description"), ("employer", "employer.name"), ("salary", "salary.unit"),
    ("location", "location.code"), ("contact", "contact.phone"), ("posted_at", "posted_at"),
    ("expires_at", "expires_at"), ("headcount", "headcount"), ("schedule", "schedule.employment_type"),
    ("category", "category"),
)


def _value(p: JobPosting, path: str) -> Any:
    obj: Any = p
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def merge_members(canonical: JobPosting, members: list[JobPosting]) -> tuple[JobPosting, dict[str, str], list[str]]:
    """The canonical posting with its gaps filled from the other members (most authoritative first).

    Returns the merged posting, ``field_sources`` (canonical field → source id it came from) and the
    fields that were filled from another member. The title always comes from the canonical posting.
    """
    ranked = sorted((m for m in members if m.id != canonical.id), key=_rank, reverse=True)
    update: dict[str, Any] = {}
    sources = {"title": canonical.source_id}
    filled: list[str] = []
    for name, probe in _FILLABLE:
        if _value(canonical, probe) is not None:
            sources[name] = canonical.source_id
            continue
        donor = next((m for m in ranked if _value(m, probe) is not None), None)
        if donor is not None:
            update[name] = getattr(donor, name)
            sources[name] = donor.source_id
            filled.append(name)
    return (canonical.model_copy(update=update) if update else canonical), sources, filled


def public_document(canonical: JobPosting, members: list[JobPosting]) -> dict[str, Any]:
    """The index document: the canonical posting (gaps filled from other members), masked, with provenance.

    ``other_sources`` lists the other members; ``sources`` every member's source, URL and trust (the
    canonical one marked); ``field_sources`` which source each canonical field came from; ``filled_fields``
    the fields taken from another member because the canonical posting lacked them.
    """
    merged, field_sources, filled = merge_members(canonical, members)
    pub = public_posting(merged, (m.contact.name for m in members if m.contact.name))
    pub.other_sources = [SourceRef(source_id=m.source_id, native_id=m.native_id, url=m.url, posting_id=m.id)
                         for m in members if m.id != canonical.id]
    doc = pub.model_dump(mode="json")
    doc["region_codes"] = merged.location.region_codes()
    doc["sources"] = [{"source_id": m.source_id, "native_id": m.native_id, "url": m.url, "posting_id": m.id,
                       "trust": m.provenance.trust, "canonical": m.id == canonical.id}
                      for m in sorted(members, key=_rank, reverse=True)]
    doc["field_sources"] = field_sources
    doc["filled_fields"] = filled
    return doc


def _decoration(title: str) -> int:
    """How much of a title is decoration (【急招】, ★, 急聘-): the part ``title_key`` strips."""
    return len(title) - len(title_key(title) or "")


def _rank(p: JobPosting) -> tuple[float, int, int, float, str]:
    # Trust first, then completeness; among equals the plainest title reads best, then the freshest.
    return (p.provenance.trust, completeness(p), -_decoration(p.title),
            p.posted_at.timestamp() if p.posted_at else 0.0, p.id)


def publishable(posting: JobPosting) -> bool:
    """May this posting be shown to the public (index, API)? Closed ones may be shown, marked closed.

    Not when its employer is blacklisted, nor when its risk score reached the threshold
    (``extras["risk"]["held"]``, set at harvest by :mod:`aggregator.risk`; ``lingong review`` lists them).
    """
    risk = posting.extras.get("risk")
    if isinstance(risk, dict) and risk.get("held"):
        return False
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
    """Rebuild the index from the catalog; searches keep the old index until the new one is complete.

    Backends with ``reindex_begin``/``reindex_commit`` (both built-ins) build beside the live index and
    publish atomically (Elasticsearch swaps its alias); others are cleared and refilled.
    """
    if not isinstance(backend, ReindexableBackend):
        backend.clear()
        backend.commit()
        with catalog.transaction():
            catalog.enqueue(catalog.all_cluster_ids())
        return sync_index(catalog, backend)
    backend.reindex_begin()
    try:
        with catalog.transaction():
            catalog.enqueue(catalog.all_cluster_ids())
        done = sync_index(catalog, backend)
    except BaseException:
        backend.reindex_abort()
        raise
    backend.reindex_commit()
    return done
