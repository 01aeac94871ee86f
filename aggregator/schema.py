"""The canonical schema: one place for every record shape lingong passes around.

``RawPosting`` is what a connector yields (the source's own record, untouched,
plus the canonical input fields its mapping picked out). ``JobPosting`` is what
normalisation makes of it. ``SourceDefinition`` is one source YAML file.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

PayUnit = Literal["hour", "day", "week", "month", "year", "piece", "session"]
Verification = Literal["verified", "unverified", "invalid", "blacklisted"]
PostingStatus = Literal["open", "closed"]
EmploymentType = Literal["gig", "temporary", "hourly", "part_time", "full_time"]

#: The canonical input fields a source's ``mapping`` may fill.
CANONICAL_INPUT_FIELDS: tuple[str, ...] = (
    "native_id", "url", "title", "description", "employer", "uscc", "salary", "address",
    "phone", "contact", "posted_at", "expires_at", "employment_type", "headcount",
)

#: The input fields a ``kind: seekers`` source's ``mapping`` may fill (see ``aggregator.seekers.ingest``).
SEEKER_INPUT_FIELDS: tuple[str, ...] = (
    "native_id", "occupations", "categories", "skills", "region", "address", "lat", "lon", "radius_km", "days",
    "hours", "min_pay", "channel_kind", "channel_id", "phone", "registered_at",
)

_SOURCE_ID = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
_REGION = re.compile(r"^\d{6}$")
_WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Salary(_Model):
    """Pay as offered. ``min``/``max`` in CNY per ``unit``; ``None`` when open-ended or unknown."""

    min: float | None = None
    max: float | None = None
    unit: PayUnit | None = None
    negotiable: bool = False
    settlement: str | None = None  # 日结 / 周结 / 月结 / 完工结
    benefits: list[str] = Field(default_factory=list)  # 包吃住, 13薪 ...
    daily_estimate: float | None = None  # comparable CNY per working day
    text: str | None = None  # the source's words


class Location(_Model):
    """Where the work is. ``code`` is the GB/T 2260 code of the most specific level found."""

    code: str | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    address: str | None = None
    lat: float | None = None
    lon: float | None = None

    def region_codes(self) -> list[str]:
        """The code and its ancestors (province, city, county), so any level matches."""
        if not self.code:
            return []
        c = self.code
        codes = [c[:2] + "0000", c[:4] + "00", c]
        return list(dict.fromkeys(x for x in codes if x != "000000"))


class Employer(_Model):
    """Who hires. ``name_key`` is the matching key normalisation derives from ``name``."""

    name: str | None = None
    name_key: str | None = None
    uscc: str | None = None
    verification: Verification = "unverified"
    reasons: list[str] = Field(default_factory=list)


class Contact(_Model):
    """How to apply. Personal: masked in every public output (``aggregator.privacy.public_posting``)."""

    name: str | None = None
    phone: str | None = None

class Schedule(_Model):
    """When the work happens and under which arrangement."""

    employment_type: EmploymentType | None = None
    start_date: date | None = None
    end_date: date | None = None
    hours: str | None = None


class Provenance(_Model):
    """Where a posting came from: enough to find the record at the source again."""

    source_id: str
    native_id: str
    url: str | None = None
    connector: str
    fetched_at: datetime
    content_hash: str
    trust: float = 0.5


class SourceRef(_Model):
    """Another source carrying the same job (a member of the posting's cluster)."""

    source_id: str
    native_id: str
    url: str | None = None
    posting_id: str


class JobPosting(_Model):
    """One canonical posting. ``id`` is stable: derived from (source_id, native_id)."""

    id: str
    cluster_id: str | None = None
    source_id: str
    native_id: str
    url: str | None = None
    title: str
    description: str | None = None
    employer: Employer = Field(default_factory=Employer)
    location: Location = Field(default_factory=Location)
    salary: Salary | None = None
    contact: Contact = Field(default_factory=Contact)
    schedule: Schedule = Field(default_factory=Schedule)
    category: str | None = None
    occupation: str | None = None  # 职业分类大典 (2022) middle group, e.g. 4-03
    industry: str | None = None  # GB/T 4754-2017 division, e.g. 62 (its section: aggregator.market.codes)
    headcount: int | None = None
    posted_at: datetime | None = None
    expires_at: datetime | None = None
    status: PostingStatus = "open"
    provenance: Provenance
    other_sources: list[SourceRef] = Field(default_factory=list)
    extras: dict[str, Any] = Field(default_factory=dict)  # set by enrich_posting hooks

    @staticmethod
    def make_id(source_id: str, native_id: str) -> str:
        """Stable posting id: the same source record always gets the same id."""
        return "p_" + hashlib.sha1(f"{source_id}\x1f{native_id}".encode()).hexdigest()[:16]

    def to_jsonld(self) -> dict[str, Any]:
        """schema.org ``JobPosting`` JSON-LD (of whatever this posting holds: mask it first to publish)."""
        ld: dict[str, Any] = {
            "@context": "https://schema.org/",
            "@type": "JobPosting",
            "identifier": {"@type": "PropertyValue", "name": self.source_id, "value": self.native_id},
            "title": self.title,
            "description": self.description or self.title,
        }
        if self.url:
            ld["url"] = self.url
        if self.posted_at:
            ld["datePosted"] = self.posted_at.isoformat()
        if self.expires_at:
            ld["validThrough"] = self.expires_at.isoformat()
        if self.employer.name:
            org: dict[str, Any] = {"@type": "Organization", "name": self.employer.name}
            if self.employer.uscc:
                org["taxID"] = self.employer.uscc
            ld["hiringOrganization"] = org
        loc = self.location
        if loc.code or loc.address:
            addr: dict[str, Any] = {"@type": "PostalAddress", "addressCountry": "CN"}
            if loc.province:
                addr["addressRegion"] = loc.province
            if loc.city or loc.county:
                addr["addressLocality"] = "".join(x for x in (loc.city, loc.county) if x)
            if loc.address:
                addr["streetAddress"] = loc.address
            place: dict[str, Any] = {"@type": "Place", "address": addr}
            if loc.lat is not None and loc.lon is not None:
                place["geo"] = {"@type": "GeoCoordinates", "latitude": loc.lat, "longitude": loc.lon}
            ld["jobLocation"] = place
        s = self.salary
        if s and (s.min is not None or s.max is not None) and s.unit:
            unit = {"hour": "HOUR", "day": "DAY", "week": "WEEK", "month": "MONTH", "year": "YEAR"}
            value: dict[str, Any] = {"@type": "QuantitativeValue", "unitText": unit.get(s.unit, s.unit.upper())}
            if s.min is not None:
                value["minValue"] = s.min
            if s.max is not None:
                value["maxValue"] = s.max
            ld["baseSalary"] = {"@type": "MonetaryAmount", "currency": "CNY", "value": value}
        etype = {"gig": "TEMPORARY", "temporary": "TEMPORARY", "hourly": "PER_DIEM",
                 "part_time": "PART_TIME", "full_time": "FULL_TIME"}
        if self.schedule.employment_type:
            ld["employmentType"] = etype[self.schedule.employment_type]
        if self.headcount:
            ld["totalJobOpenings"] = self.headcount
        return ld


class RawPosting(_Model):
    """A record as a connector yields it.

    ``payload`` is the source's record untouched (kept for replay);
    ``fields`` holds the canonical input fields (``CANONICAL_INPUT_FIELDS``) the
    source's mapping picked out of it, as text.
    """

    source_id: str
    native_id: str
    payload: dict[str, Any]
    fields: dict[str, str | None]
    url: str | None = None
    fetched_at: datetime

    @cached_property
    def content_hash(self) -> str:
        """Hash of what the source said: unchanged at the source means unchanged here (computed once).

        Links to the record's own site count by their path: in the payload, ``http(s)://`` and the
        host[:port] of ``url`` are left out wherever they appear, so a site that moves to another host,
        port or scheme (a new domain, http → https, a mirror, a restarted sandbox) does not make its
        records "updated". Links to other hosts are hashed whole. ``url`` is the same on quarantine
        replay (the mapped URL, else the locator the record was quarantined at), so the hash is too.
        """
        blob = json.dumps(self.payload, sort_keys=True, ensure_ascii=False, default=str)
        own = _own_origin(self.url)
        if own is not None:
            blob = own.sub("", blob)
        return hashlib.sha256(blob.encode()).hexdigest()


def _own_origin(url: str | None) -> re.Pattern[str] | None:
    """What a link to ``url``'s own site starts with (either scheme, its host[:port]); None if not http(s)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return _origin_pattern(parts.netloc)


@lru_cache(maxsize=256)
def _origin_pattern(netloc: str) -> re.Pattern[str]:
    # not followed by more host or port: http://a.cn must leave http://a.cn.evil.org and http://a.cn:8080 alone
    return re.compile(r"https?://" + re.escape(netloc) + r"(?![\w.:@%~+-])", re.IGNORECASE | re.ASCII)


class PhysicalMarket(_Model):
    """The 零工市场 (physical gig-work market) a source belongs to, listed by ``GET /v1/markets``."""

    name: str
    address: str | None = None
    hours: str | None = None  # opening hours as the market states them
    services: list[str] = Field(default_factory=list)
    contact: str | None = None  # the market's public service line, not a person
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class SourceDefinition(_Model):
    """One source file (``sources/<id>.yaml``). ``options`` is validated by the connector's own model."""

    id: str
    name: str
    connector: str
    region: str
    kind: Literal["postings", "seekers"] = "postings"  # seekers: 求职登记 records (aggregator.seekers)
    schedule: str | None = None
    window: str | None = None  # harvest only between these local times, e.g. "22:00-06:00" (aggregator.scheduler)
    trust: float = Field(default=0.5, ge=0.0, le=1.0)
    enabled: bool = True
    options: dict[str, Any] = Field(default_factory=dict)
    mapping: dict[str, str] = Field(default_factory=dict)
    market: PhysicalMarket | None = None
    path: Path | None = Field(default=None, exclude=True)  # the file it was read from

    @field_validator("id")
    @classmethod
    def _check_id(cls, v: str) -> str:
        if not _SOURCE_ID.match(v):
            raise ValueError("must be lower-case letters, digits and _, starting with a letter (e.g. feed_agency)")
        return v

    @field_validator("region", mode="before")
    @classmethod
    def _region_as_text(cls, v: Any) -> Any:
        # YAML reads an unquoted 320100 as a number; accept it rather than make authors quote codes.
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("region")
    @classmethod
    def _check_region(cls, v: str) -> str:
        if not _REGION.match(v):
            raise ValueError(f"must be a 6-digit GB/T 2260 code such as 320100, got {v!r}")
        return v

    @field_validator("window")
    @classmethod
    def _check_window(cls, v: str | None) -> str | None:
        if v is not None and not _WINDOW.match(v):
            raise ValueError(f"must be HH:MM-HH:MM in local time, e.g. 22:00-06:00, got {v!r}")
        return v

    @field_validator("mapping")
    @classmethod
    def _check_mapping(cls, v: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        seekers = info.data.get("kind") == "seekers"
        allowed = SEEKER_INPUT_FIELDS if seekers else CANONICAL_INPUT_FIELDS
        unknown = sorted(set(v) - set(allowed))
        if unknown:
            raise ValueError(f"unknown canonical field(s) {unknown}; allowed: {', '.join(allowed)}")
        if seekers:
            if "native_id" not in v:
                raise ValueError("must map at least native_id")
            return v
        if "native_id" not in v or "title" not in v:
            raise ValueError("must map at least native_id and title")
        return v

    @property
    def base_dir(self) -> Path:
        """Directory relative paths in ``options`` are resolved against."""
        return self.path.parent if self.path else Path.cwd()


class RejectedRecord(_Model):
    """A record a connector could not even read (bad JSON line, wrong column count ...).

    Yielded instead of raising, so the pipeline quarantines it and the harvest goes on.
    ``locator`` says where it was (``line 57``, a URL); ``raw`` is the text as read.
    """

    source_id: str
    locator: str
    reason_code: str
    reason: str
    raw: str
    fetched_at: datetime
