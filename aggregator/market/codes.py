"""The code tables the market report speaks in, shipped as data (``data/*.csv``; provenance in ``data/PROVENANCE.md``).

- Occupations: 《中华人民共和国职业分类大典》(2022) major groups (``4``) and middle groups (``4-03``).
- Industries: GB/T 4754-2017 sections (``H``) and divisions (``62``).
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib.resources import files


@dataclass(frozen=True)
class Code:
    """One entry of a code table. ``parent`` is the major group or section of a middle group or division."""

    code: str
    level: str
    name: str
    parent: str | None = None


def _rows(name: str) -> list[dict[str, str]]:
    text = files("aggregator.market").joinpath("data").joinpath(name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@functools.cache
def occupations() -> dict[str, Code]:
    """Every major group and middle group by code (``"4"``, ``"4-03"``)."""
    out: dict[str, Code] = {}
    for r in _rows("occupations.csv"):
        parent = None if r["level"] == "major" else r["code"].split("-")[0]
        out[r["code"]] = Code(r["code"], r["level"], r["name"], parent)
    return out


@functools.cache
def industries() -> dict[str, Code]:
    """Every section (``"H"``) and division (``"62"``) by code; a division's parent is its section."""
    out: dict[str, Code] = {}
    section: str | None = None
    for r in _rows("industries.csv"):
        if r["level"] == "section":
            section = r["code"]
            out[r["code"]] = Code(r["code"], "section", r["name"])
        else:
            out[r["code"]] = Code(r["code"], "division", r["name"], section)
    return out


def occupation_name(code: str | None) -> str:
    """The name of a major or middle group, or ``未分类`` for ``None``/unknown codes."""
    found = occupations().get(code or "")
    return found.name if found else "未分类"


def industry_name(code: str | None) -> str:
    found = industries().get(code or "")
    return found.name if found else "未分类"


def section_of(division: str) -> str:
    """The GB/T 4754 section letter of a two-digit division."""
    found = industries().get(division)
    if found is None or found.level != "division" or found.parent is None:
        raise KeyError(f"no GB/T 4754-2017 division {division!r}")
    return found.parent
