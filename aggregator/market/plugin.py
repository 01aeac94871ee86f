"""Built-in plugin: code every posting's occupation and industry (``lingong_enrich_posting``)."""

from __future__ import annotations

from typing import Any

from aggregator.hookspecs import hookimpl
from aggregator.market.classify import classify
from aggregator.schema import JobPosting, SourceDefinition


@hookimpl
def lingong_enrich_posting(posting: JobPosting, source: SourceDefinition) -> dict[str, Any] | None:
    c = classify(posting.title, posting.employer.name, posting.description)
    return {"occupation": c.occupation, "industry": c.industry}
