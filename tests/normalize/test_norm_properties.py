"""Property tests: every public function of ``normalize`` takes any input without raising.

``make_uscc`` is the one documented exception: it raises ``ValueError`` (only that) on a
prefix that is not 17 USCC characters; what it builds validates when the region part is digits.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

import normalize as nz

# Text that looks like postings: CJK, full-width forms, digits, dashes, odd code points.
messy = st.one_of(
    st.text(),
    st.text(alphabet="０１２３４５６７８９－～／元万千kK天月時小時區市省縣路一二三四五六七八九十百 \t\n-~/.,()（）",
            max_size=40),
)
maybe_text = st.one_of(st.none(), messy)
codes = st.one_of(st.none(), st.text(alphabet="0123456789", min_size=0, max_size=7), st.text(max_size=8),
                  st.sampled_from(["440106", "440100", "440000", "653229", "000000", "999999"]))
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def test_every_public_function_is_covered() -> None:
    covered = {"parse_salary", "parse_location", "region_name", "centroid", "parse_datetime", "normalize_phone",
               "find_phones", "mask_phone", "mask_phones_in_text", "clean_employer_name", "employer_key",
               "title_key", "to_simplified", "to_halfwidth", "validate_uscc", "make_uscc", "classify_category",
               "category_names", "parse_employment_type", "parse_headcount", "employer_core", "role_of",
               "same_role"}
    functions = {name for name in nz.__all__ if callable(getattr(nz, name)) and not name[0].isupper()}
    assert functions <= covered, functions - covered


@settings(max_examples=300, deadline=None)
@given(maybe_text, maybe_text)
def test_text_functions_never_raise(a: str | None, b: str | None) -> None:
    nz.parse_salary(a, b)
    nz.parse_location(a, b)
    nz.clean_employer_name(a)
    key = nz.employer_key(a)
    core = nz.employer_core(key)
    assert (core is None) == (key is None) and (core is None or (core and core in key))  # a part of the key
    nz.title_key(a)
    role = nz.role_of(a, b)
    assert role is None or role.words
    same = nz.same_role(a, b, key)
    assert same in (True, False, None)
    assert nz.same_role(b, a, None, key) is same  # symmetric
    if role is not None:
        assert nz.same_role(a, a, b, b) is True
    nz.to_simplified(a)
    nz.classify_category(a, b)
    nz.parse_employment_type(a)
    nz.parse_headcount(a)
    nz.validate_uscc(a)
    nz.normalize_phone(a, b)
    nz.find_phones(a)
    nz.mask_phone(a)
    nz.parse_datetime(a)
    if a is not None:
        assert isinstance(nz.to_halfwidth(a), str)
        assert isinstance(nz.mask_phones_in_text(a), str)


@settings(max_examples=200, deadline=None)
@given(codes)
def test_code_functions_never_raise(code: str | None) -> None:
    names = nz.region_name(code)
    assert len(names) == 3
    point = nz.centroid(code)
    if point is not None:
        lat, lon = point
        assert 3 < lat < 54 and 73 < lon < 136  # inside China's bounding box
    loc = nz.parse_location(None, code)
    if loc is not None and loc.lat is not None:
        assert loc.lon is not None


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.none(), st.integers(), st.text(max_size=8)), st.one_of(st.none(), st.datetimes()))
def test_numbers_and_dates_never_raise(value: int | str | None, now: datetime | None) -> None:
    nz.parse_headcount(value)
    nz.parse_datetime(str(value) if value is not None else None, now=now)
    assert nz.category_names()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_make_uscc_raises_only_value_error(prefix: str) -> None:
    try:
        code = nz.make_uscc(prefix)
    except ValueError:
        return
    assert nz.validate_uscc(code) == code[2:8].isdigit()


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=USCC_ALPHABET, min_size=2, max_size=2), st.text(alphabet="0123456789", min_size=6, max_size=6),
       st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9))
def test_make_uscc_round_trip(head: str, region: str, tail: str) -> None:
    assert nz.validate_uscc(nz.make_uscc(head + region + tail))
