"""parse_salary on real pay strings (51job, 1dagong, meituan, miduoduo, qtshe, seed articles)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalize import parse_salary

# (text, context, min, max, unit); values checked by hand against the source strings.
REAL = [
    # 51job 2021 providesalary_text
    ("0.8-1万/月", None, 8000, 10000, "month"),
    ("6-8千/月", None, 6000, 8000, "month"),
    ("1-1.5万/月", None, 10000, 15000, "month"),
    ("4.5-6千/月", None, 4500, 6000, "month"),
    ("7-14万/年", None, 70000, 140000, "year"),
    ("15-20万/年", None, 150000, 200000, "year"),
    ("3-4.5万/月", None, 30000, 45000, "month"),
    ("120元/小时", None, 120, 120, "hour"),
    ("110元/天", None, 110, 110, "day"),
    # 1dagong 2015 wage_cn (the source truncates some upper bounds: 5000~1000 is 5000~10000)
    ("3000~5000", None, 3000, 5000, "month"),
    ("3000-5000", None, 3000, 5000, "month"),
    ("5000~1000", None, 5000, 10000, "month"),
    ("2000~300", None, 2000, 3000, "month"),
    ("3000~500", None, 3000, 5000, "month"),
    ("8000以上", None, 8000, None, "month"),
    ("1万以上", None, 10000, None, "month"),
    # qtshe 2021 salary (+ clearingForm as context)
    ("300元/天", "日结", 300, 300, "day"),
    ("10元/小时", "月结", 10, 10, "hour"),
    ("5元/次", "日结", 5, 5, "session"),
    ("2000元/月", "月结", 2000, 2000, "month"),
    ("999元/其他", "其他", 999, 999, None),
    # miduoduo 2015 salary_note (+ clearance_period)
    ("400-800，日结", "日结", 400, 800, "day"),
    ("4001-6000元/月，月结", "月结", 4001, 6000, "month"),
    ("4000-6000月结", "月结", 4000, 6000, "month"),
    ("月结，10000-15000", "月结", 10000, 15000, "month"),
    ("150元/天+餐水", "日结", 150, 150, "day"),
    ("500/天，日结", "日结", 500, 500, "day"),
    ("150元/次，单", "月结", 150, 150, "session"),
    ("10元/(次,单)", "月结", 10, 10, "session"),
    ("3200／月（男孩优先）；装备 3000／月（女孩优先），节假日双倍工资", "月结", 3200, 3200, "month"),
    ("底薪500元/月，完成每单提成300元，季度完成20单奖金1000元", "月结", 500, None, "month"),
    ("无责任底薪130一天+提成", "周结", 130, None, "day"),
    ("工资结算20元每小时，月结，提供实习证明", "月结", 20, 20, "hour"),
    ("平时80/半天，周末140/每天。", "日结", 140, 140, "day"),
    ("工资18.7元/小时.150元/天", "月结", 18.7, 18.7, "hour"),
    ("8小时以内200元，超过8小时每小时30元的加班费。", "日结", 200, 200, "day"),
    ("1.假期礼仪活动：150元／天起\r\n\r\n2.近期礼仪活动:200-400元／天", "日结", 150, None, "day"),
    ("工资待遇：90-150元/天+提成（工资月结打卡制度）第一天（实习期一天）80元/天，第二天实习满为无责任底薪90元/天",
     "周结", 90, 150, "day"),
    ("120元/天 需要完成最少12个关注+电话 少于12个 没有底薪 按每单8元结算", "日结", 120, 120, "day"),
    ("200元", "日结", 200, 200, "day"),
    # miduoduo salary + salary_unit columns joined as the pipeline does
    ("120.00元/小时", "月结", 120, 120, "hour"),
    ("150.00元/周", "月结", 150, 150, "week"),
    # meituan 2025 薪资
    ("底薪2340+绩效400+生活补贴0-500+职级补贴(100-700)+计件薪资，综合6000-8000", None, 6000, 8000, "month"),
    ("固定薪资2340-2840+职级补贴0-700+绩效500+计件提成，综合薪资6000-8000元/月", None, 6000, 8000, "month"),
    ("2000-2400+920补助+2980绩效+职级工资(水产证初级500-中级1000-高级1500）=6000-7800",
     None, 6000, 7800, "month"),
    ("2000-2400+1000绩效+780夜班补贴+计件提成=6500-8000", None, 6500, 8000, "month"),
    ("底薪2028+出勤补贴1092+绩效3100=6220元", None, 6220, 6220, "month"),
    ("底薪3120元+职级300-1500+个人绩效3545元，综合薪资：7000-8500元+", None, 7000, 8500, "month"),
    ("21-31元/小时，熟练后有计件提成", None, 21, 31, "hour"),
    ("8元/单", None, 8, 8, "piece"),
    ("基础单价(5.8-6.3/单)+全勤奖(200元/月) +月度贡献奖(月完成800单以上,150元/月)", None, 5.8, 6.3, "piece"),
    ("①阶梯奖励责任底薪3200元（全勤），单量阶梯2：501-800单6.3元(6.3*300)", None, 3200, None, "month"),  # + ladder
    ("新人补贴：身份证号维度首次入职当日开始计算，有效21天。0.3元/单；  单量阶梯1：0~500单（5.8元/单）  "
     "责任底薪（>=500单，全勤）（3050元）", None, 3050, 3050, "month"),
    ("综合单价5-12元，日均派单量35-100单，新手一天30-50单，熟手50-100单，多劳多得，综合薪资6000-15000。",
     None, 6000, 15000, "month"),
    # seed articles
    ("120—200元/课时", None, 120, 200, "session"),
    ("10元/单，大概一天150元/200元", None, 10, 10, "piece"),
    # notation the brief names
    ("8K-12K", None, 8000, 12000, "month"),
    ("8-12k", None, 8000, 12000, "month"),
    ("３０００－５０００元／月", None, 3000, 5000, "month"),
    ("3000～5000元/月", None, 3000, 5000, "month"),
    ("3000至5000元/月", None, 3000, 5000, "month"),
    ("100到150元/天", None, 100, 150, "day"),
    ("三千五", None, 3500, 3500, "month"),
    ("月薪一万二", None, 12000, 12000, "month"),
    ("两百元一天", None, 200, 200, "day"),
    ("150元／天起", None, 150, None, "day"),
    ("3000左右", None, 3000, 3000, "month"),
    ("年薪10万", None, 100000, 100000, "year"),
    ("20/h", None, 20, 20, "hour"),
    ("25元/时", None, 25, 25, "hour"),
    ("200元/日", None, 200, 200, "day"),
    ("2元/件", None, 2, 2, "piece"),
    ("80元/节", None, 80, 80, "session"),
    ("800元/周", None, 800, 800, "week"),
    ("底薪3000+提成", None, 3000, None, "month"),
    ("4500", None, 4500, 4500, "month"),
    ("150", "日结", 150, 150, "day"),
    ("30", None, 30, 30, "hour"),
]


@pytest.mark.parametrize(("text", "context", "lo", "hi", "unit"), REAL)
def test_real_strings(text: str, context: str | None, lo: float, hi: float | None, unit: str | None) -> None:
    s = parse_salary(text, context)
    assert s is not None
    assert (s.min, s.max, s.unit) == (lo, hi, unit)
    assert s.text == text


def test_seed_session_has_no_daily_estimate() -> None:
    s = parse_salary("中国舞教师，兼职，工资120—200元/课时")
    assert s is not None
    assert (s.min, s.max, s.unit, s.daily_estimate) == (120, 200, "session", None)


def test_seed_piece_rate_takes_daily_figure() -> None:
    s = parse_salary("客服，兼职，10元/单，大概一天150元/200元")
    assert s is not None
    assert s.unit == "piece"
    assert s.daily_estimate == 175


def test_settlement_only() -> None:
    s = parse_salary("工资日结")
    assert s is not None
    assert s.settlement == "日结"
    assert (s.min, s.max, s.unit) == (None, None, None)


@pytest.mark.parametrize("text", ["面议", "工资可议，日结"])
def test_negotiable(text: str) -> None:
    s = parse_salary(text)
    assert s is not None
    assert s.negotiable
    assert s.min is None


def test_settlement_from_context() -> None:
    s = parse_salary("300元/天", "日结")
    assert s is not None
    assert s.settlement == "日结"
    s = parse_salary("100元/天", "完工结")
    assert s is not None
    assert s.settlement == "完工结"


@pytest.mark.parametrize(
    ("text", "unit", "daily"),
    [("20元/小时", "hour", 160.0), ("600元/周", "week", 120.0), ("4350元/月", "month", 200.0),
     ("10万/年", "year", 400.0), ("150-250元/天", "day", 200.0), ("8000以上", "month", 367.82)],
)
def test_daily_estimate(text: str, unit: str, daily: float) -> None:
    s = parse_salary(text)
    assert s is not None
    assert s.unit == unit
    assert s.daily_estimate == daily


def test_benefits_from_text_and_context() -> None:
    s = parse_salary("4-8千/月", "五险一金 交通补贴 餐饮补贴 年终奖金 包吃住 13薪")
    assert s is not None
    assert s.benefits == ["五险一金", "交通补贴", "餐补", "年终奖", "包吃住", "13薪"]  # in order of mention


def test_negated_benefits_are_not_benefits() -> None:
    assert parse_salary("不包吃，不包住") is None
    s = parse_salary("3000元/月，不包吃住")
    assert s is not None
    assert s.benefits == []


def test_bare_small_number_with_daily_settlement_is_daily() -> None:
    s = parse_salary("120", "日结")
    assert s is not None
    assert s.unit == "day"


def test_work_hours_are_not_pay() -> None:
    assert parse_salary("每周3-4天工作时间，每天6-8小时") is None
    assert parse_salary("必须做满两天") is None


@pytest.mark.parametrize("text", [None, "", "   ", "不限", "详见描述"])
def test_nothing(text: str | None) -> None:
    assert parse_salary(text) is None


@settings(max_examples=400, deadline=None)
@given(st.text(), st.one_of(st.none(), st.text()))
def test_never_raises(text: str, context: str | None) -> None:
    parse_salary(text, context)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789.-~～至到元/天时月周年单次万千kK以上起左右面议日结一二三两百十 ",
               max_size=30))
def test_never_raises_on_salary_like_text(text: str) -> None:
    s = parse_salary(text)
    if s is not None and s.min is not None and s.max is not None:
        assert s.min <= s.max



@pytest.mark.parametrize(
    ("text", "lo", "hi", "unit"),
    [("60元/天加提成", 60, None, "day"), ("每分钟1元", 60, 60, "hour"), ("2元/分钟", 120, 120, "hour"),
     ("具体报酬：1.咨询顾问每分钟1元", 60, 60, "hour"), ("90-150元/天+提成", 90, 150, "day")],
)
def test_commission_minutes_and_list_numbers(text: str, lo: float, hi: float | None, unit: str) -> None:
    s = parse_salary(text)
    assert s is not None
    assert (s.min, s.max, s.unit) == (lo, hi, unit)
