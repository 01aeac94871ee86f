"""``jsonld``: sites whose pages embed schema.org ``JobPosting`` as JSON-LD.

Options: those of ``html`` (``start_url``, ``item_links``, ``item``, ``item_updated``, ``next_page``,
``max_pages``, ``encoding``, ``native_id_from_url``, ``http``) except that ``item_links`` is optional:
without it the JobPostings are read from the list pages themselves (a listing that embeds one block per
posting). Incremental runs work as for ``html``: with ``item_links`` only new detail pages, or (with
``item_updated``) those whose list marker changed, are requested; without ``item_links`` every list page
is read and everything yielded.

It crawls with the same Scrapy child process as ``html``: a JSON-LD site is an HTML site whose detail
pages carry the data in a ``<script type="application/ld+json">``, so robots.txt, encodings, pagination
and per-host politeness behave exactly alike and only the extraction differs. Blocks may hold one
object, a list, or an ``@graph``; every ``JobPosting`` found is one record, its payload the JSON-LD
object untouched (plus ``_native_id`` when taken from the URL).

The mapping to canonical fields is built in (override any field in ``mapping`` with a JMESPath
expression on the JobPosting)::

    native_id   identifier (its value), else the id from the URL, else url / @id
    title       title                       description  description, HTML stripped
    employer    hiringOrganization.name     uscc         hiringOrganization.taxID / identifier
    salary      baseSalary as text: "180-220元/天", "5000元/月"
    address     jobLocation.address (region, locality, district, street), several places joined
    phone, contact   applicationContact.telephone / .name (else hiringOrganization.telephone)
    posted_at   datePosted                  expires_at   validThrough
    employment_type  employmentType (joined) headcount   totalJobOpenings
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

from connectors.html import CrawlConnector, CrawlOptions
from connectors.json_api import as_text, jmespath_text

_UNITS = {"HOUR": "小时", "DAY": "天", "WEEK": "周", "MONTH": "月", "YEAR": "年", "PIECE": "件"}
_BLOCK_TAGS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def strip_html(text: str) -> str:
    """Text of an HTML fragment: tags dropped, entities decoded, block elements as line breaks."""
    if "<" not in text:
        return html.unescape(text).strip()
    parser = _Text()
    parser.feed(text)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _number(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    text = str(value).strip()
    return text or None


def salary_text(base: Any) -> str | None:
    """schema.org ``baseSalary`` as the text a Chinese posting would write: ``180-220元/天``."""
    base = _first(base)
    if base is None:
        return None
    if not isinstance(base, dict):
        return as_text(base)
    currency = str(base.get("currency") or "CNY").upper()
    value = base.get("value")
    unit = base.get("unitText")
    if isinstance(value, dict):
        unit = value.get("unitText") or unit
        low, high = _number(value.get("minValue")), _number(value.get("maxValue"))
        exact = _number(value.get("value"))
    else:
        low = high = None
        exact = _number(value)
    amount = f"{low}-{high}" if low and high and low != high else exact or low or high or ""
    if not amount:
        return None
    money = "元" if currency in ("CNY", "RMB") else f" {currency}"
    per = _UNITS.get(str(unit).upper(), str(unit)) if unit else ""
    return f"{amount}{money}/{per}" if per else f"{amount}{money}"


def _address(place: Any) -> str | None:
    if isinstance(place, str):
        return place.strip() or None
    if not isinstance(place, dict):
        return None
    address = place.get("address", place)
    if isinstance(address, str):
        return address.strip() or None
    if not isinstance(address, dict):
        return None
    joined = ""
    for key in ("addressRegion", "addressLocality", "addressDistrict", "streetAddress"):
        part = str(address.get(key) or "").strip()
        if not part or part in joined:
            continue
        # Many sites repeat the province/city at the start of streetAddress: do not write them twice.
        overlap = next((n for n in range(min(len(joined), len(part)), 0, -1) if joined.endswith(part[:n])), 0)
        joined += part[overlap:]
    return joined or as_text(place.get("name"))


def _identifier(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        return _number(value.get("value")) or _number(value.get("@id"))
    return _number(value)


def jobposting_fields(posting: Mapping[str, Any]) -> dict[str, str | None]:
    """The canonical input fields of one schema.org JobPosting."""
    org = _first(posting.get("hiringOrganization"))
    org = org if isinstance(org, dict) else {"name": org} if isinstance(org, str) else {}
    contact = _first(posting.get("applicationContact"))
    contact = contact if isinstance(contact, dict) else {}
    locations = posting.get("jobLocation")
    places = locations if isinstance(locations, list) else [locations]
    addresses = [a for a in (_address(p) for p in places) if a]
    uscc = _number(org.get("taxID")) or _identifier(org.get("identifier"))
    if uscc and not re.fullmatch(r"[0-9A-Z]{18}", uscc.upper()):
        uscc = None
    description = posting.get("description")
    return {
        "native_id": _identifier(posting.get("identifier")) or as_text(posting.get("_native_id"))
        or as_text(posting.get("url")) or as_text(posting.get("@id")),
        "url": as_text(posting.get("url")),
        "title": as_text(posting.get("title")),
        "description": strip_html(description) if isinstance(description, str) else None,
        "employer": as_text(org.get("name")),
        "uscc": uscc,
        "salary": salary_text(posting.get("baseSalary")),
        "address": "；".join(dict.fromkeys(addresses)) or None,
        "phone": as_text(contact.get("telephone")) or as_text(org.get("telephone")),
        "contact": as_text(contact.get("name")),
        "posted_at": as_text(posting.get("datePosted")),
        "expires_at": as_text(posting.get("validThrough")),
        "employment_type": as_text(posting.get("employmentType")),
        "headcount": _number(posting.get("totalJobOpenings")),
    }


class JsonLdConnector(CrawlConnector):
    """schema.org JobPosting JSON-LD on list or detail pages, crawled like ``html``."""

    Options = CrawlOptions
    options: CrawlOptions
    mode = "jsonld"

    def map_fields(self, payload: Mapping[str, Any]) -> dict[str, str | None]:
        """Built-in schema.org mapping, with ``mapping`` entries (JMESPath) overriding it field by field."""
        out = jobposting_fields(payload)
        if payload.get("_native_id"):
            out["native_id"] = str(payload["_native_id"])
        for canonical, expression in self.source.mapping.items():
            if expression and expression != "auto":
                out[canonical] = jmespath_text(expression, payload)
        return out
