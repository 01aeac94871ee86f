"""From a connector's canonical input fields to a ``JobPosting`` (the pipeline's normalise stage).

Raises :class:`RecordError` with a machine-readable code when a record cannot be
a posting; the pipeline quarantines it. Everything else that is messy (pay the
parser cannot read, a place it cannot find) is kept as text, not rejected.
"""

from __future__ import annotations

from datetime import datetime

from w3lib.html import remove_tags_with_content, replace_entities, replace_tags

import normalize as nz
from aggregator.errors import RecordError
from aggregator.schema import (
    Contact,
    Employer,
    JobPosting,
    Location,
    Provenance,
    RawPosting,
    Salary,
    Schedule,
    SourceDefinition,
)

_MAX_TITLE = 200


def to_posting(raw: RawPosting, source: SourceDefinition, connector: str, now: datetime | None = None) -> JobPosting:
    """Normalise one raw record. ``now`` anchors relative dates (3天前) and years missing from MM-DD."""
    f = raw.fields
    title = nz.to_simplified(_clean(_plain_text(f.get("title"))))
    if not title:
        key = source.mapping.get("title")
        raise RecordError("missing_title", f"title is empty (mapping title -> {key!r})", "title")
    if len(title) > _MAX_TITLE:
        raise RecordError("invalid_title", f"title is {len(title)} characters long (limit {_MAX_TITLE})", "title")
    description = nz.to_simplified(_clean(_plain_text(f.get("description"))))

    employer_name = nz.clean_employer_name(f.get("employer"))
    uscc = (f.get("uscc") or "").strip().upper() or None
    employer = Employer(name=employer_name, name_key=nz.employer_key(employer_name), uscc=uscc)

    address = nz.to_simplified(_clean(f.get("address")))
    location = nz.parse_location(address, within=source.region) or _region_only(source.region)
    if address and location.address is None:
        location = location.model_copy(update={"address": address})

    salary_text = _clean(f.get("salary"))
    salary: Salary | None = None
    if salary_text:
        salary = nz.parse_salary(salary_text, context=description) or Salary(text=salary_text)

    contact = Contact(name=_clean(f.get("contact")), phone=nz.normalize_phone(f.get("phone")))
    schedule = Schedule(employment_type=nz.parse_employment_type(f.get("employment_type") or title))
    posted_at = nz.parse_datetime(f.get("posted_at"), now=now)
    expires_at = nz.parse_datetime(f.get("expires_at"), now=now)
    warnings = [f"{name}: cannot read {f.get(name)!r} as a date"
                for name, value in (("posted_at", posted_at), ("expires_at", expires_at))
                if f.get(name) and value is None]

    return JobPosting(
        id=JobPosting.make_id(raw.source_id, raw.native_id),
        source_id=raw.source_id,
        native_id=raw.native_id,
        url=raw.url,
        title=title,
        description=description,
        employer=employer,
        location=location,
        salary=salary,
        contact=contact,
        schedule=schedule,
        category=nz.classify_category(title, description),
        headcount=nz.parse_headcount(f.get("headcount")),
        posted_at=posted_at,
        expires_at=expires_at,
        extras={"warnings": warnings} if warnings else {},
        provenance=Provenance(
            source_id=raw.source_id, native_id=raw.native_id, url=raw.url, connector=connector,
            fetched_at=raw.fetched_at, content_hash=raw.content_hash, trust=source.trust,
        ),
    )


def _plain_text(text: str | None) -> str | None:
    """Source HTML becomes plain text: scripts and styles dropped, tags removed, entities decoded."""
    if not text or ("<" not in text and "&" not in text):
        return text
    text = remove_tags_with_content(text, which_ones=("script", "style"))
    text = replace_tags(text, " ")
    return replace_entities(text)


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text or None


def _region_only(code: str) -> Location:
    loc = nz.parse_location(None, within=code)
    return loc or Location(code=code)
