"""parse_location on real place strings: 51job workarea, 1dagong district, meituan 位置, miduoduo, seeds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalize import centroid, parse_location, region_name

# (text, within, code, province, city, county); codes checked against GB/T 2260 (2024).
REAL = [
    ("北京-朝阳区", None, "110105", "北京市", "北京市", "朝阳区"),
    ("北京-海淀区", None, "110108", "北京市", "北京市", "海淀区"),
    ("济南-章丘区", None, "370114", "山东省", "济南市", "章丘区"),
    ("宜春", None, "360900", "江西省", "宜春市", None),
    ("深圳-龙岗区", None, "440307", "广东省", "深圳市", "龙岗区"),
    ("上海-浦东新区", None, "310115", "上海市", "上海市", "浦东新区"),
    ("南京-鼓楼区", None, "320106", "江苏省", "南京市", "鼓楼区"),
    ("苏州-工业园区", None, "320500", "江苏省", "苏州市", None),
    ("昆山", None, "320583", "江苏省", "苏州市", "昆山市"),
    ("淄博", None, "370300", "山东省", "淄博市", None),
    ("广州市白云区永平街道集贤北七巷2号", None, "440111", "广东省", "广州市", "白云区"),
    ("广东省深圳市宝安区新安街道怡园路1110号", None, "440306", "广东省", "深圳市", "宝安区"),
    ("中山市东区长江路6号弘业大厦一层", None, "442000", "广东省", "中山市", None),
    ("佛山市顺德区容桂街道办事处红星社区文海西路12号", None, "440606", "广东省", "佛山市", "顺德区"),
    ("安徽省/合肥市", None, "340100", "安徽省", "合肥市", None),
    ("上海市/松江区", None, "310117", "上海市", "上海市", "松江区"),
    ("重庆市/渝北区", None, "500112", "重庆市", "重庆市", "渝北区"),
    ("常熟", None, "320581", "江苏省", "苏州市", "常熟市"),
    ("北京市北京海淀", None, "110108", "北京市", "北京市", "海淀区"),
    ("北京市海淀区五道口文津国际公寓609", None, "110108", "北京市", "北京市", "海淀区"),
    # seed-article places
    ("临邑县临南镇", None, "371424", "山东省", "德州市", "临邑县"),
    ("上饶市广信区", None, "361104", "江西省", "上饶市", "广信区"),
    ("工作地点在广信区", None, "361104", "江西省", "上饶市", "广信区"),
    ("广丰区", None, "361103", "江西省", "上饶市", "广丰区"),
    ("高密", None, "370785", "山东省", "潍坊市", "高密市"),
    ("苏州吴江区松陵镇", None, "320509", "江苏省", "苏州市", "吴江区"),
    ("运城市万荣县", None, "140822", "山西省", "运城市", "万荣县"),
    ("镇江", None, "321100", "江苏省", "镇江市", None),
    # traditional script
    ("工作地點在廣信區", None, "361104", "江西省", "上饶市", "广信区"),
    ("廣州市天河區", None, "440106", "广东省", "广州市", "天河区"),
    # region hint: ambiguous names and source-region fallback
    ("鼓楼区", "350100", "350102", "福建省", "福州市", "鼓楼区"),
    ("鼓楼区", "320100", "320106", "江苏省", "南京市", "鼓楼区"),
    ("朝阳区", "110000", "110105", "北京市", "北京市", "朝阳区"),
    ("江北区", "500000", "500105", "重庆市", "重庆市", "江北区"),
    ("京市北京朝阳冠军城", "110000", "110105", "北京市", "北京市", "朝阳区"),
    ("小象超市-学清路站-BJ0233", "110000", "110000", "北京市", None, None),
    ("不限工作地点", "440100", "440100", "广东省", "广州市", None),
    ("南京-鼓楼区", "350100", "320106", "江苏省", "南京市", "鼓楼区"),  # explicit text beats the hint
]


@pytest.mark.parametrize(("text", "within", "code", "province", "city", "county"), REAL)
def test_real_places(text: str, within: str | None, code: str, province: str, city: str | None,
                     county: str | None) -> None:
    loc = parse_location(text, within)
    assert loc is not None
    assert (loc.code, loc.province, loc.city, loc.county) == (code, province, city, county)


def test_address_is_cleaned_input() -> None:
    loc = parse_location("  广州市白云区永平街道集贤北七巷2号 ")
    assert loc is not None
    assert loc.address == "广州市白云区永平街道集贤北七巷2号"
    assert loc.lat is not None and loc.lon is not None  # 白云区's centroid


def test_ambiguous_without_hint_has_no_code() -> None:
    loc = parse_location("鼓楼区")
    assert loc is not None
    assert loc.code is None
    assert loc.address == "鼓楼区"


def test_within_alone() -> None:
    loc = parse_location(None, "440100")
    assert loc is not None
    assert (loc.code, loc.province, loc.city) == ("440100", "广东省", "广州市")
    assert loc.region_codes() == ["440000", "440100"]


@pytest.mark.parametrize(("text", "within"), [(None, None), ("", None), ("   ", None), (None, "999999"),
                                              (None, "abc")])
def test_nothing(text: str | None, within: str | None) -> None:
    assert parse_location(text, within) is None


def test_region_name() -> None:
    assert region_name("361104") == ("江西省", "上饶市", "广信区")
    assert region_name("110105") == ("北京市", "北京市", "朝阳区")
    assert region_name("nope") == (None, None, None)


@settings(max_examples=300, deadline=None)
@given(st.text(), st.one_of(st.none(), st.text(max_size=8), st.sampled_from(["440100", "110000", "350102"])))
def test_never_raises(text: str, within: str | None) -> None:
    parse_location(text, within)


@pytest.mark.parametrize(
    ("text", "code"),
    # 1dagong 2015 district_cn names merged away since: reported as their successor (卢湾区 → 黄浦区).
    [("闸北区", "310106"), ("卢湾区", "310101"), ("永川市", "500118"), ("荣昌县", "500153")],
)
def test_legacy_names(text: str, code: str) -> None:
    loc = parse_location(text)
    assert loc is not None
    assert loc.code == code


@pytest.mark.parametrize(
    ("code", "lat", "lon"),
    # Reference points: district seats / well-known centres; a centroid lies within ~0.2° of them.
    [("440106", 23.12, 113.36), ("110108", 39.96, 116.30), ("310115", 31.22, 121.54), ("361104", 28.45, 117.91),
     ("330113", 30.42, 120.30), ("370215", 36.39, 120.45), ("440100", 23.13, 113.26), ("650000", 43.79, 87.63)],
)
def test_centroids_of_known_codes(code: str, lat: float, lon: float) -> None:
    point = centroid(code)
    assert point is not None
    tol = 6.0 if code.endswith("0000") else 0.5 if code.endswith("00") else 0.2  # wider levels, looser
    assert abs(point[0] - lat) < tol and abs(point[1] - lon) < tol, point


def test_parse_location_fills_centroid_of_most_specific_level() -> None:
    loc = parse_location("廣州市天河區")
    assert loc is not None and loc.lat is not None and loc.lon is not None
    assert abs(loc.lat - 23.12) < 0.1 and abs(loc.lon - 113.36) < 0.1
    city = parse_location("广州")
    assert city is not None and city.code == "440100"
    assert (city.lat, city.lon) == centroid("440100") != (loc.lat, loc.lon)


def test_centroid_falls_back_to_parent_for_codes_newer_than_the_table() -> None:
    # 和安县 (653229, 2024) is not in the polygon table: its prefecture's point stands in.
    assert centroid("653229") == centroid("653200")
    assert centroid("999999") is None
    assert centroid("nope") is None
    assert centroid(None) is None
