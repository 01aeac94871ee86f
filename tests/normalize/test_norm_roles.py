"""normalize.roles: which role a job title names, and whether two titles name one role (real 1dagong titles)."""

from __future__ import annotations

import pytest

from normalize import employer_core, employer_key, role_of, same_role


@pytest.mark.parametrize(("title", "words", "modifier"), [
    ("月4000+双休+五险聘渠道销售专员", {"销售"}, "渠道"),  # pay, perks and hiring words are decorations
    ("2500元高提成双休网络销售", {"销售"}, "网络"),
    ("诚聘网络营销专员", {"销售"}, "网络"),  # 营销 = 销售, 专员 after a role word adds nothing
    ("电销客服", {"销售", "客服"}, "电话"),  # 电销 = 电话销售
    ("销售主管", {"销售", "主管"}, ""),
    ("理财团队经理", {"团队经理"}, "理财"),
    ("白班理货员", {"理货"}, "白班"),  # shifts stay
    ("普工（长白班）", {"普工"}, "长白班"),  # not the place 长白
    ("武汉市高薪招聘娱乐厅服务员", {"服务员"}, "娱乐厅"),  # the place goes
    ("融资专员", {"融资"}, ""),  # no listed role word, but it ends like a role: its words are the role
    ("品质部", {"品质部"}, ""),
])
def test_role_of_reads_role_words_and_modifiers(title: str, words: set[str], modifier: str) -> None:
    role = role_of(title)
    assert role is not None
    assert (set(role.words), role.modifier) == (words, modifier)


@pytest.mark.parametrize("title", ["月入三万不是梦想", "汉口高薪招聘", "无责底薪+万元提成+双休",
                                   "看这里没有学历要求月入8K", "点开就有意想不到的惊喜", "", None])
def test_clickbait_names_no_role(title: str | None) -> None:
    assert role_of(title) is None


def test_the_employer_name_in_a_title_is_not_a_role() -> None:
    key = employer_key("上海群盛实业有限公司")
    assert role_of("上海群盛实业有限公司", employer_core(key)) is None
    with_name = role_of("鑫丰房产急聘销售代表", "鑫丰房产")
    assert with_name is not None and with_name.modifier == ""


@pytest.mark.parametrize(("a", "b", "same"), [
    ("渠道销售", "诚聘渠道销售专员", True),  # generic suffix
    ("网络主播招聘", "网络秀场美女直播招聘", True),  # 直播 = 主播, one modifier inside the other
    ("2015挑战销售高薪晋升大", "网销+电销+面销多元化挑战高薪", True),  # a title listing roles matches any of them
    ("急聘投资顾问/网络销售员", "网络销售", True),
    ("业务员", "销售代表", True),  # 业务员 = 销售员
    ("网管", "网络管理员", True),
    ("销售助理", "网络销售", False),  # another role word
    ("销售主管", "销售", False),  # a rank
    ("室内设计师", "园林景观设计师", False),  # other modifiers
    ("电话销售人员", "网络销售人员", False),
    ("全职分拣员", "兼职分拣员", False),
    ("白班理货员", "夜班理货员", False),
    ("初级理财客户经理", "理财客户经理", False),  # another level
    ("融资专员", "销售代表", False),
    ("月入三万不是梦想", "销售代表", None),  # one names no role: text and pay decide
    # modifiers naming two aspects of one job: what is sold and through which channel (3 of 4 labellers)
    ("诚聘金融营销专员", "诚聘网络营销专员", True),
    ("金融销售", "网络销售", True),
    ("金融网络销售", "电话销售", False),  # one aspect twice: 网络 / 电话
    ("理财经理", "保险经理", False),
    ("金融销售", "园林销售", False),  # a modifier the aspects do not cover
])
def test_same_role(a: str, b: str, same: bool | None) -> None:
    assert same_role(a, b) is same
    assert same_role(b, a) is same


def test_exact_asks_for_equal_modifiers() -> None:
    assert same_role("渠道销售", "渠道销售专员", exact=True) is True
    assert same_role("网络主播", "网络秀场主播", exact=True) is False
    assert same_role("网络主播", "网络秀场主播") is True


@pytest.mark.parametrize(("name", "core"), [
    ("珠海市海峰机械设备制造有限公司", "海峰机械设备制造"),
    ("佛山旭腾地产营销策划有限公司", "旭腾地产营销策划"),
    ("广东省佛山市顺德区美的电器", "美的电器"),
    ("北京新东方校园招聘", "北京新东方"),  # the recruiting suffix goes; too little would be left without 北京
    ("北京大学", "北京大学"),
    ("小象超市-学清路站-BJ0233", "小象超市学清路站bj0233"),
])
def test_employer_core_drops_leading_places_and_recruiting_suffixes(name: str, core: str) -> None:
    assert employer_core(employer_key(name)) == core
