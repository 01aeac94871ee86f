"""USCC, names, script, employment type, headcount and categories."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalize import (
    category_names,
    classify_category,
    clean_employer_name,
    employer_key,
    make_uscc,
    parse_employment_type,
    parse_headcount,
    title_key,
    to_halfwidth,
    to_simplified,
    validate_uscc,
)

# --- USCC -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["91110000802100433B", "91350100M000100Y43", " 91440300708461136t "])
def test_valid_uscc(code: str) -> None:
    assert validate_uscc(code)


@pytest.mark.parametrize(
    "code",
    ["91110000802100433A", "9111000080210043", "91110000802100433BX", "", None, "9111000080210O433B",
     "911100008021004I3B", "ABCDEFGHIJKLMNOPQR"],
)
def test_invalid_uscc(code: str | None) -> None:
    assert not validate_uscc(code)


def test_make_uscc_round_trip() -> None:
    assert make_uscc("91110000802100433") == "91110000802100433B"
    assert make_uscc("12100000400000000").endswith(make_uscc("12100000400000000")[-1])
    for prefix in ("91440300708461136", "52110000MJ0000000", "Y1110000000000000"):
        assert validate_uscc(make_uscc(prefix))
    with pytest.raises(ValueError, match="USCC prefix"):
        make_uscc("123")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17))
def test_make_uscc_always_validates(prefix: str) -> None:
    code = make_uscc(prefix)
    assert validate_uscc(code) == code[2:8].isdigit()


# --- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("腾讯科技（北京）有限公司", "腾讯科技"),  # 51job company_name
        ("腾讯科技(深圳)有限公司", "腾讯科技"),
        ("騰訊科技（北京）有限公司", "腾讯科技"),
        ("太平洋保险在线服务科技有限公司山东分公司", "太平洋保险在线服务科技"),
        ("深圳市腾讯计算机系统有限公司", "深圳市腾讯计算机系统"),
        ("北京宠爱有家信息技术有限公司", "北京宠爱有家信息技术"),  # miduoduo company_name
        ("小叶子（北京）科技有限公司", "小叶子科技"),
        ("招商银行股份有限公司深圳分行", "招商银行"),
        ("肯德基北京朝阳分店", "肯德基"),
        ("上海易即达【广州】黄边三站", "上海易即达黄边三站"),  # meituan 招聘单位
        ("Tencent Ltd", "tencentltd"),
        ("阿里巴巴集团", "阿里巴巴"),
    ],
)
def test_employer_key(name: str, key: str) -> None:
    assert employer_key(name) == key


@pytest.mark.parametrize("name", [None, "", "   "])
def test_employer_key_empty(name: str | None) -> None:
    assert employer_key(name) is None


def test_clean_employer_name() -> None:
    assert clean_employer_name("  騰訊科技(北京)有限公司 ") == "腾讯科技（北京）有限公司"
    assert clean_employer_name("（个人招聘者，姓名已删除）") == "（个人招聘者，姓名已删除）"
    assert clean_employer_name("ＡＢＣ　科技") == "ABC 科技"
    assert clean_employer_name(" ") is None


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("【急招】日结传单派发★", "传单派发"),
        ("[急聘]服务员（日结）", "服务员"),
        ("国企高薪诚聘电子商务", "国企电子商务"),  # 51job job_name
        ("45352-研发项目管理组长", "45352研发项目管理组长"),
        ("高薪 诚聘 长期 保洁阿姨", "保洁阿姨"),
        ("PS修图 在家接单赚钱", "ps修图在家接单赚钱"),  # qtshe title
        ("傳單派發", "传单派发"),
        ("★★★", None),
    ],
)
def test_title_key(title: str, key: str | None) -> None:
    assert title_key(title) == key


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_name_functions_never_raise(text: str) -> None:
    employer_key(text)
    clean_employer_name(text)
    title_key(text)
    classify_category(text, text)
    parse_employment_type(text)
    parse_headcount(text)


# --- script -----------------------------------------------------------------------------


def test_to_simplified() -> None:
    assert to_simplified("工作地點在廣信區") == "工作地点在广信区"
    assert to_simplified(None) is None
    assert to_simplified("abc") == "abc"
    assert to_halfwidth("３０００－５０００元／月") == "3000-5000元/月"


# --- employment and headcount -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [("零工", "gig"), ("灵活用工", "gig"), ("临时工", "temporary"), ("短期", "temporary"),
     ("小时工", "hourly"), ("钟点工", "hourly"), ("兼职", "part_time"), ("全职", "full_time"),
     ("兼职小时工", "hourly"),
     ("實習", None), ("", None), (None, None)],
)
def test_employment_type(text: str | None, kind: str | None) -> None:
    assert parse_employment_type(text) == kind


@pytest.mark.parametrize(
    ("text", "count"),
    [("招20人", 20), ("20人", 20), ("招1人", 1), ("若干", None), ("招若干人", None), ("100", 100),
     ("0", None), ("招5-10人", 10), ("招两人", 2), ("人数不限", None), (None, None), ("", None)],
)
def test_headcount(text: str | None, count: int | None) -> None:
    assert parse_headcount(text) == count


# --- categories ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "description", "category"),
    [
        ("美团外卖", None, "新业态"),  # meituan 岗位类型
        ("外卖骑手", None, "新业态"),
        ("招聘主播聊天员", None, "新业态"),  # qtshe
        ("白班分拣员", None, "物流配送"),
        ("夜班理货员", None, "物流配送"),
        ("叉车工", None, "物流配送"),  # 1dagong jobs_name
        ("果切员", None, "餐饮服务"),
        ("水产员", None, "零售收银"),
        ("保洁阿姨", None, "家政保洁"),
        ("中国舞教师", None, "教育培训"),  # seed article
        ("传单发兼职", None, "客服销售"),  # miduoduo
        ("销售助理", None, "客服销售"),  # 51job
        ("战略专家", None, None),
        ("项目助理", "负责工地现场的施工协调", "建筑装修"),
        ("专员", "提供带薪培训", None),  # 培训 only counts in titles
    ],
)
def test_classify_category(title: str, description: str | None, category: str | None) -> None:
    assert classify_category(title, description) == category


def test_category_names() -> None:
    names = category_names()
    assert names[0] == "新业态"
    assert set(names) == {"新业态", "家政保洁", "教育培训", "安保物业", "建筑装修", "餐饮服务", "零售收银",
                          "物流配送", "制造普工", "客服销售"}
