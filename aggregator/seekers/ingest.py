"""Seeker registrations from a source (``kind: seekers``), through the same connectors as postings.

The source's ``mapping`` fills :data:`aggregator.schema.SEEKER_INPUT_FIELDS`; lists
(``occupations``, ``categories``, ``skills``, ``days``) are separated by ``,``/``，``/``、``/space,
``days`` may also be a range (``1-5``), ``region`` is a code or a place name, ``min_pay`` is
pay text (``20元/小时``), and the channel is ``channel_kind`` + ``channel_id`` (an opaque id the
platform's ``lingong_notify`` plugin understands) or, failing that, ``phone`` (kind ``sms``).
A source that maps neither sends registrations that are only counted (求职人数 in the market
report) and never notified: lingong has no way, and no consent, to reach those people.
``registered_at`` (the 登记日期) dates a registration; without it, it counts from when it is stored.

A record that reads as what is stored already (profile and contact) is counted unchanged and not
written again, so re-harvesting an unchanged export is 0 new, 0 updated.

Unlike postings, the record itself is not kept (``raw_records`` would hold contact details in
the clear): only the profile and the encrypted channel are. A record that cannot be read is
quarantined with its reason but without its payload.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from aggregator.runs import HarvestRun
from aggregator.schema import RawPosting, RejectedRecord, SourceDefinition
from aggregator.seekers.model import SeekerRegistration
from aggregator.seekers.service import Seekers

if TYPE_CHECKING:
    from aggregator.catalog import Catalog
    from aggregator.plugins import Plugins
    from connectors.base import HarvestItem

_SPLIT = re.compile(r"[,，、;；\s]+")
_DAYS = re.compile(r"^([1-7])-([1-7])$")
WITHHELD = "(seeker record withheld: it holds personal data)"


def _items(text: str | None) -> list[str]:
    return [x for x in _SPLIT.split(text or "") if x]


def registration(fields: dict[str, str | None], source: SourceDefinition) -> SeekerRegistration:
    """Mapped fields → a registration (raises ``ValueError``/``ValidationError`` on unreadable fields)."""
    data: dict[str, Any] = {"occupations": _items(fields.get("occupations")),
                            "categories": _items(fields.get("categories")), "skills": _items(fields.get("skills"))}
    region = fields.get("region")
    if region and not re.fullmatch(r"\d{6}", region):
        from normalize import parse_location

        loc = parse_location(region)
        region = loc.code if loc else None
        if region is None:
            raise ValueError(f"region: cannot place {fields.get('region')!r}")
    data["region"] = region
    if fields.get("lat") and fields.get("lon"):
        data["near"] = (float(fields["lat"] or 0), float(fields["lon"] or 0))
        if fields.get("radius_km"):
            data["radius_km"] = float(fields["radius_km"] or 0)
    days = (fields.get("days") or "").strip()
    if days:
        m = _DAYS.match(days)
        data["days"] = list(range(int(m[1]), int(m[2]) + 1)) if m else [int(d) for d in _items(days)]
    if fields.get("hours"):
        data["hours"] = fields["hours"]
    if fields.get("min_pay"):
        data["min_pay"] = fields["min_pay"]
    if fields.get("channel_kind") and fields.get("channel_id"):
        data["channel"] = {"kind": fields["channel_kind"], "id": fields["channel_id"]}
    elif fields.get("phone"):
        data["channel"] = {"kind": "sms", "id": fields["phone"]}
    elif source.mapping.get("channel_kind") or source.mapping.get("phone"):
        raise ValueError("channel: needs channel_kind + channel_id, or phone")
    # a source mapping no channel at all sends registrations that are counted (求人倍率), never notified
    if fields.get("registered_at"):
        from normalize import parse_datetime

        when = parse_datetime(fields["registered_at"])
        if when is None:
            raise ValueError(f"registered_at: cannot read {fields['registered_at']!r} as a date")
        data["registered_at"] = when
    return SeekerRegistration.model_validate(data)


def ingest_seekers(catalog: Catalog, plugins: Plugins, home: Path, batch: list[HarvestItem],
                   source: SourceDefinition, run: HarvestRun) -> None:
    """Store one batch of a seekers source (inside the pipeline's batch transaction)."""
    seekers = Seekers(catalog, plugins, home)
    run.fetched += len(batch)
    for item in batch:
        if isinstance(item, RejectedRecord):
            catalog.quarantine(source_id=source.id, native_id=None, locator=item.locator,
                               content_hash=item.reason_code + ":" + item.locator, reason_code=item.reason_code,
                               reason=item.reason, payload=WITHHELD, run_id=run.id)
            run.quarantined += 1
            continue
        assert isinstance(item, RawPosting)
        try:
            reg = registration(item.fields, source)
        except (ValueError, ValidationError) as exc:
            reason = str(exc).splitlines()[0] if not isinstance(exc, ValidationError) else "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            catalog.quarantine(source_id=source.id, native_id=item.native_id, locator=item.url,
                               content_hash=f"seeker:{item.native_id}:{reason}", reason_code="invalid_seeker",
                               reason=reason, payload=WITHHELD, run_id=run.id)
            run.quarantined += 1
            continue
        known = catalog.seeker_id_for(source.id, item.native_id)
        if known is not None and seekers.holds(known, reg):
            run.unchanged += 1  # re-storing it would re-seal the contact and reset every matcher's cache
            continue
        seekers.register(reg, source_id=source.id, native_id=item.native_id)
        if known:
            run.updated += 1
        else:
            run.new += 1
