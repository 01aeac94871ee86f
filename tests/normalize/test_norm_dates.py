"""parse_datetime on the date shapes the sources use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalize import SHANGHAI, parse_datetime

NOW = datetime(2021, 10, 20, 12, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-06-10 10:41:58", datetime(2015, 6, 10, 10, 41, 58)),  # miduoduo created_time
        ("2015-02-26 16:28:53", datetime(2015, 2, 26, 16, 28, 53)),  # 1dagong addtime
        ("2013-10-10 00:00:00", datetime(2013, 10, 10)),  # 1dagong holddate
        ("2015/6/10", datetime(2015, 6, 10)),
        ("2015年6月10日", datetime(2015, 6, 10)),
        ("2015年6月10日 8点30分", datetime(2015, 6, 10, 8, 30)),
        ("２０１５－０６－１０", datetime(2015, 6, 10)),
        ("20150610", datetime(2015, 6, 10)),
        ("10-14", datetime(2021, 10, 14)),  # 51job updatedate, year from NOW
        ("12-30", datetime(2020, 12, 30)),  # would be in the future this year
        ("10月14日", datetime(2021, 10, 14)),
        ("3天前", datetime(2021, 10, 17, 12, 0)),
        ("两天前", datetime(2021, 10, 18, 12, 0)),
        ("2小时前", datetime(2021, 10, 20, 10, 0)),
        ("半小时前", datetime(2021, 10, 20, 11, 30)),
        ("刚刚", datetime(2021, 10, 20, 12, 0)),
        ("今天", datetime(2021, 10, 20)),
        ("昨天", datetime(2021, 10, 19)),
        ("昨天 10:30", datetime(2021, 10, 19, 10, 30)),
        ("前天", datetime(2021, 10, 18)),
        ("1434000000", datetime(2015, 6, 11, 13, 20)),
        ("1434000000000", datetime(2015, 6, 11, 13, 20)),
    ],
)
def test_parse(text: str, expected: datetime) -> None:
    got = parse_datetime(text, NOW)
    assert got == expected.replace(tzinfo=SHANGHAI)
    assert got is not None and got.utcoffset() == timedelta(hours=8)


def test_offsets_are_converted_to_shanghai() -> None:
    got = parse_datetime("2021-10-14T10:00:00Z", NOW)
    assert got == datetime(2021, 10, 14, 18, 0, tzinfo=SHANGHAI)
    got = parse_datetime("2021-10-14T10:00:00+00:00", NOW)
    assert got is not None and got.hour == 18


def test_naive_now_is_shanghai() -> None:
    assert parse_datetime("10-14", datetime(2021, 10, 20)) == datetime(2021, 10, 14, tzinfo=SHANGHAI)
    utc_now = datetime(2021, 10, 20, 4, 0, tzinfo=UTC)
    assert parse_datetime("刚刚", utc_now) == datetime(2021, 10, 20, 12, 0, tzinfo=SHANGHAI)


def test_default_now_is_not_in_future() -> None:
    got = parse_datetime("12-31")
    assert got is not None
    assert got <= datetime.now(SHANGHAI)


@pytest.mark.parametrize(
    "text", [None, "", "abc", "1970-01-01 08:33:35", "2015-02-30", "2015-06-10 25:00", "面议"]
)
def test_nothing(text: str | None) -> None:
    assert parse_datetime(text, NOW) is None


@settings(max_examples=400, deadline=None)
@given(st.text(), st.one_of(st.none(), st.datetimes()))
def test_never_raises(text: str, now: datetime | None) -> None:
    got = parse_datetime(text, now)
    assert got is None or got.tzinfo is not None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789-/:年月日号天前小时刚今昨 T.Z+", max_size=25))
def test_never_raises_on_date_like_text(text: str) -> None:
    parse_datetime(text, NOW)
