"""Cluster postings that are the same job, across sources and within one.

The skeleton's rule: same employer key, same title key, same place code → same
cluster. Cluster ids are stable: a cluster is named after the key that
created it and the key → cluster map is stored, so later runs
(and other processes) put the same job in the same cluster without
re-clustering anything.
"""

from __future__ import annotations

import hashlib

from aggregator.catalog import Catalog
from aggregator.schema import JobPosting
from normalize import title_key


def dedupe_key(posting: JobPosting) -> str | None:
    """Blocking key for exact-key clustering; ``None`` when too little is known to match safely."""
    tkey = title_key(posting.title)
    ekey = posting.employer.name_key or (posting.contact.phone or None)
    place = posting.location.code
    if not (tkey and ekey and place):
        return None
    return f"{ekey}|{tkey}|{place}"


def assign_cluster(catalog: Catalog, posting: JobPosting) -> tuple[str, str | None]:
    """The posting's cluster id (existing or new) and its dedupe key."""
    key = dedupe_key(posting)
    if key is None:
        return "c" + posting.id[1:], None
    cluster = catalog.cluster_for_key(key)
    if cluster is None:
        # Named after the key, not the posting: a posting whose key changes moves to a
        # cluster of its own instead of taking its old cluster's name with it.
        cluster = "c_" + hashlib.sha1(key.encode()).hexdigest()[:16]
        catalog.set_cluster_key(key, cluster)
    return cluster, key
