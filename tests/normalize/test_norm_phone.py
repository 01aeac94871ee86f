"""Phone numbers. Numbers here are the public 合肥 job-fair hall line from the 1dagong notices
(0551-67247533) and the documentation mobile 13800138000, never a person's number."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalize import find_phones, mask_phone, mask_phones_in_text, normalize_phone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13800138000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("0551-67247533", "0551-67247533"),
        ("055167247533", "0551-67247533"),
        ("(0793)8888888", "0793-8888888"),
        ("010-85151321", "010-85151321"),
        ("021-6212 3456", "021-62123456"),
        ("电话：0551-67247533，联系人王先生", "0551-67247533"),
        ("4008001234", "4008001234"),
        ("无", None),
        ("", None),
        (None, None),
        ("8888888", None),
        ("2015-06-10 10:41:58", None),
        ("138****8000", None),
    ],
)
def test_normalize(text: str | None, expected: str | None) -> None:
    assert normalize_phone(text) == expected


def test_area_hint_completes_local_number() -> None:
    assert normalize_phone("8888888", "0793") == "0793-8888888"
    assert normalize_phone("67247533", "340100") == "0551-67247533"  # GB/T 2260 code of 合肥


def test_find_phones_returns_raw_substrings() -> None:
    text = "请拨打138-0013-8000或0551-67247533咨询，QQ：123456789"
    assert find_phones(text) == ["138-0013-8000", "0551-67247533"]
    assert find_phones("联系电话：13800138000（微信同号）") == ["13800138000"]
    assert find_phones("订单号20150610104158，工资3000-5000") == []


def test_mask_phone() -> None:
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("0551-67247533") == "0551-****7533"
    assert mask_phone("138-0013-8000") == "138****8000"


def test_mask_phones_in_text() -> None:
    text = "报名请联系张先生138 0013 8000，或致电0551-67247533。"
    assert mask_phones_in_text(text) == "报名请联系张先生138****8000，或致电0551-****7533。"
    assert mask_phones_in_text("日薪150元，共3天") == "日薪150元，共3天"


@settings(max_examples=300, deadline=None)
@given(st.text(), st.one_of(st.none(), st.text(max_size=6)))
def test_never_raises(text: str, hint: str | None) -> None:
    normalize_phone(text, hint)
    find_phones(text)
    mask_phones_in_text(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789 -+()", max_size=20))
def test_never_raises_on_digits(text: str) -> None:
    got = normalize_phone(text)
    assert got is None or got.replace("-", "").isdigit()
