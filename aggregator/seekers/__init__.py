"""岗位找人: seeker registrations and saved searches, matched against new postings and pushed.

- :mod:`.model`: what a registration, a subscription and a stored matching profile are;
- :mod:`.crypto`: contact details encrypted at rest (Fernet);
- :mod:`.matcher`: the inverted index of stored queries, the exact predicate and the ranking;
- :mod:`.percolator`: the same stored queries in an Elasticsearch percolator index (search backend ``elasticsearch``);
- :mod:`.service`: register, delete, match changed postings, dispatch notifications;
- :mod:`.webhook`: the built-in ``lingong_notify`` plugin (signed webhook);
- :mod:`.ingest`: seeker records from ``kind: seekers`` sources;
- :mod:`.api`: the ``/v1/seekers`` and ``/v1/subscriptions`` routes.
"""

from __future__ import annotations

from aggregator.seekers.matcher import (
    EmbeddedMatcher,
    Match,
    Matcher,
    PostingView,
    brute_force,
    fit,
    profile_keys,
    suits,
)
from aggregator.seekers.model import Channel, PayFloor, Profile, SeekerRegistration, SubscriptionRequest
from aggregator.seekers.percolator import PercolatorMatcher, match_document, stored_query
from aggregator.seekers.service import DispatchReport, Seekers, after_sync

__all__ = [
    "Channel",
    "DispatchReport",
    "EmbeddedMatcher",
    "Match",
    "Matcher",
    "PayFloor",
    "PercolatorMatcher",
    "PostingView",
    "Profile",
    "SeekerRegistration",
    "Seekers",
    "SubscriptionRequest",
    "after_sync",
    "brute_force",
    "fit",
    "match_document",
    "profile_keys",
    "stored_query",
    "suits",
]
