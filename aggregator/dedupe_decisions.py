"""Operators' dedupe decisions: two postings are one job (merge) or two (split), whatever the matcher says.

The matcher's rules cannot settle every pair: one employer's text posted again under several sales titles
is one job to one reader and two to another (``bench/dedupe/README.md``). A portal operator answering
"why is this job shown twice?" settles such a pair for good: the decision moves postings between clusters
now, and :func:`aggregator.dedupe.choose_cluster` keeps to it whenever either posting is harvested again
(a posting decided one job with another joins that posting's cluster; one decided two jobs never joins it).

- :func:`merge` (a, b): b's cluster joins a's — every member moves (and is decided one job with a), b's
  cluster id goes out of use.
- :func:`split` (a, b): b leaves a's cluster for one of its own; the other members stay with a.
- :func:`forget` (a, b): the decision is dropped; the postings stay where they are until matched again.

A decision that would contradict an earlier one (merging two clusters holding a pair decided two jobs;
splitting a posting from a cluster it was decided one job with) is refused, naming the decision to
forget first. Every change is one transaction and puts the clusters it touched in the index outbox.
"""

from __future__ import annotations

from typing import Any

from aggregator.catalog import Catalog
from aggregator.dedupe import CatalogStore, new_cluster_id
from aggregator.errors import DedupeDecisionError
from aggregator.schema import JobPosting


def resolve(catalog: Catalog, ref: str) -> JobPosting:
    """The posting ``ref`` names: a posting id (``p_…``, as ``lingong export`` prints it) or SOURCE/NATIVE_ID."""
    posting = catalog.get_posting(ref)
    if posting is None and "/" in ref:
        source_id, native_id = ref.split("/", 1)
        posting = catalog.get_posting(JobPosting.make_id(source_id, native_id))
    if posting is None:
        raise DedupeDecisionError(f"no posting {ref!r} in the catalog (give a posting id p_… as `lingong export` "
                                  "prints it, or SOURCE/NATIVE_ID)")
    return posting


def _pair(catalog: Catalog, a: str, b: str) -> tuple[JobPosting, JobPosting, str, str]:
    pa, pb = resolve(catalog, a), resolve(catalog, b)
    if pa.id == pb.id:
        raise DedupeDecisionError(f"{a!r} and {b!r} are one posting ({pa.id}): a decision needs two")
    ca, cb = catalog.posting_cluster(pa.id), catalog.posting_cluster(pb.id)
    assert ca is not None and cb is not None  # every stored posting has a cluster
    return pa, pb, ca, cb


def merge(catalog: Catalog, a: str, b: str, note: str = "") -> dict[str, Any]:
    """Decide that postings ``a`` and ``b`` are one job: b's whole cluster joins a's."""
    pa, pb, ca, cb = _pair(catalog, a, b)
    moving = catalog.cluster_posting_ids(cb) if cb != ca else []
    staying = set(catalog.cluster_posting_ids(ca))
    for m in moving:
        for other, same in catalog.dedupe_decisions_of(m).items():
            if not same and other in staying:
                raise DedupeDecisionError(
                    f"{m} and {other} were decided two jobs, and merging would put them in one cluster "
                    f"(to merge anyway, first: lingong dedupe forget {m} {other})")
    with catalog.transaction():
        catalog.set_dedupe_decision(pa.id, pb.id, True, note)
        for m in moving:
            catalog.move_to_cluster(m, ca)
            if m != pb.id:  # each member that moves is decided one job with a, so every one of them stays
                catalog.set_dedupe_decision(pa.id, m, True, f"moved with {pb.id}" + (f": {note}" if note else ""))
        catalog.enqueue({ca, cb})
    return {"decision": "same", "a": pa.id, "b": pb.id, "cluster_id": ca, "moved": moving,
            "retired_cluster": cb if moving else None}


def split(catalog: Catalog, a: str, b: str, note: str = "") -> dict[str, Any]:
    """Decide that postings ``a`` and ``b`` are two jobs: b leaves a's cluster (if it is there) for its own."""
    pa, pb, ca, cb = _pair(catalog, a, b)
    for other, same in catalog.dedupe_decisions_of(pb.id).items():
        if same and other != pa.id and catalog.posting_cluster(other) == ca:
            raise DedupeDecisionError(
                f"{pb.id} was decided one job with {other}, which is in {pa.id}'s cluster "
                f"(to split anyway, first: lingong dedupe forget {pb.id} {other})")
    moved_to: str | None = None
    with catalog.transaction():
        catalog.set_dedupe_decision(pa.id, pb.id, False, note)
        if ca == cb:
            moved_to = new_cluster_id(CatalogStore(catalog), pb.id, pb.provenance.content_hash)
            catalog.move_to_cluster(pb.id, moved_to)
            catalog.enqueue({ca, moved_to})
    return {"decision": "different", "a": pa.id, "b": pb.id, "cluster_id": ca, "moved": [pb.id] if moved_to else [],
            "new_cluster": moved_to}


def forget(catalog: Catalog, a: str, b: str) -> None:
    """Drop the decision on ``a`` and ``b``; nothing moves now."""
    pa, pb = resolve(catalog, a), resolve(catalog, b)
    with catalog.transaction():
        if not catalog.forget_dedupe_decision(pa.id, pb.id):
            raise DedupeDecisionError(f"no decision on {pa.id} and {pb.id}")


def decisions(catalog: Catalog) -> list[dict[str, Any]]:
    """Every decision, oldest first, with both postings' clusters now and whether the decision holds."""
    out = []
    for d in catalog.dedupe_decisions():
        ca, cb = catalog.posting_cluster(d["a"]), catalog.posting_cluster(d["b"])
        holds = None if ca is None or cb is None else (ca == cb) == d["same"]
        out.append({**d, "cluster_a": ca, "cluster_b": cb, "holds": holds})
    return out
