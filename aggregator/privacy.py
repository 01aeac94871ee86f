"""What may leave the catalog: postings with phone numbers and contact names masked everywhere.

The catalog keeps the originals (it is private, and the record of truth). Everything
public — the index, exports, the search output — goes through :func:`public_posting`.
"""

from __future__ import annotations

from collections.abc import Iterable

import normalize as nz
from aggregator.schema import Contact, JobPosting


def mask_name(name: str) -> str:
    """张三丰 → 张**: the surname stays, so 王先生 style addresses still read naturally."""
    return name[0] + "*" * max(1, len(name) - 1)


def _mask_text(text: str | None, names: Iterable[str]) -> str | None:
    if not text:
        return text
    text = nz.mask_phones_in_text(text)
    for name in names:
        if len(name) >= 2:
            text = text.replace(name, mask_name(name))
    return text


def public_posting(posting: JobPosting, other_names: Iterable[str] = ()) -> JobPosting:
    """A copy safe to publish: contact masked, and phones and contact names masked in the free text.

    ``other_names`` are contact names of other copies of the same job (a cluster's members),
    masked in this posting's text too.
    """
    contact = posting.contact
    names = sorted({n for n in (contact.name, *other_names) if n}, key=len, reverse=True)
    masked = Contact(
        name=mask_name(contact.name) if contact.name else None,
        phone=nz.mask_phone(contact.phone) if contact.phone else None,
    )
    return posting.model_copy(update={
        "contact": masked,
        "title": _mask_text(posting.title, names) or posting.title,
        "description": _mask_text(posting.description, names),
    })
