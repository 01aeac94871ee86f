"""Draw the blind evaluation sample for the occupation/industry classifier.

Deterministic: ``random.Random(20261126)``.  Draws 150 postings from the real
data in ``/work/shared/realdata`` (90 1dagong, 30 51job, 15 miduoduo,
10 meituan, 5 qtshe; fewer if a file runs out), uniformly at random among rows
with a non-empty title, excluding every (file, key) already present in
``labelled_sample.csv``.

The ``middle`` (大典 2022 middle group) and ``section`` (GB/T 4754-2017
section of the employer) labels were assigned by hand, blind to the classifier,
from the postings and the code tables only; they live in ``labels_blind`` below
(file, key -> middle, section).  Run:

    python tests/aggregator/market/data/make_labelled_blind.py [REALDATA_DIR]

to rewrite ``labelled_blind.csv`` next to this script.  Rows whose label is
missing are written with empty ``middle``/``section`` (use ``--draft`` to get
the unlabelled draw for labelling).

Columns: ``key`` is the ``id`` column for 1dagong and miduoduo, ``partJobId``
for qtshe, and the 0-based row index for 51job and meituan.  Descriptions are
1dagong ``contents``; 51job ``attribute_text`` + ``jobwelf`` (it has no
description); miduoduo ``detail`` + ``requirement``; meituan ``工作内容``;
qtshe ``jobIntroduction`` (falling back to ``newJobIntroduction``, then
``welfare``).  Whitespace is collapsed and descriptions are cut at 400 chars.
"""

from __future__ import annotations

import csv
import random
import re
import sys
from pathlib import Path

import pandas as pd

SEED = 20261126
HERE = Path(__file__).resolve().parent
REALDATA = Path("/work/shared/realdata")
OUT = HERE / "labelled_blind.csv"
EXISTING = HERE / "labelled_sample.csv"
MAX_DESC = 400

# file name -> (count, key column or None for the 0-based row index,
#               title column, employer column, description columns)
PLAN: list[tuple[str, int, str | None, str, str, tuple[str, ...]]] = [
    ("1dagong_staffing_postings_2015.csv", 90, "id", "jobs_name", "companyname", ("contents",)),
    ("51job_2021_postings.csv", 30, None, "job_name", "company_name", ("attribute_text", "jobwelf")),
    ("miduoduo_parttime_beijing_2015.csv", 15, "id", "title", "company_name", ("detail", "requirement")),
    ("meituan_station_staffing_postings_2025.csv", 10, None, "岗位类型", "招聘单位", ("工作内容",)),
    ("qtshe_parttime_api_sample_2021.csv", 5, "partJobId", "title", "companyName", ("jobIntroduction",)),
]

COLUMNS = ["file", "key", "title", "employer", "description", "middle", "section"]


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip()


def _truncate(text: str, limit: int = MAX_DESC) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def existing_keys(path: Path = EXISTING) -> set[tuple[str, str]]:
    if not path.exists():
        return set()
    df = pd.read_csv(path, usecols=["file", "key"], dtype=str, keep_default_na=False)
    return set(zip(df["file"], df["key"], strict=False))


def draw(realdata: Path = REALDATA) -> list[dict[str, str]]:
    rng = random.Random(SEED)
    exclude = existing_keys()
    rows: list[dict[str, str]] = []
    for fname, count, key_col, title_col, emp_col, desc_cols in PLAN:
        df = pd.read_csv(realdata / fname, dtype=str, keep_default_na=False)
        keys = df[key_col].astype(str) if key_col else pd.Series(df.index.astype(str), index=df.index)
        pool = [
            i
            for i in df.index
            if _clean(df.at[i, title_col]) and (fname, keys[i]) not in exclude
        ]
        picked = rng.sample(pool, min(count, len(pool)))
        for i in picked:
            parts = [_clean(df.at[i, c]) for c in desc_cols]
            # qtshe: fall back to the newer introduction, then the welfare tags, when empty
            if fname.startswith("qtshe") and not parts[0]:
                parts = [_clean(df.at[i, "newJobIntroduction"]) or _clean(df.at[i, "welfare"])]
            rows.append(
                {
                    "file": fname,
                    "key": keys[i],
                    "title": _clean(df.at[i, title_col]),
                    "employer": _clean(df.at[i, emp_col]),
                    "description": _truncate(" ".join(p for p in parts if p)),
                }
            )
    return rows


def main(argv: list[str]) -> None:
    draft = "--draft" in argv
    args = [a for a in argv if not a.startswith("--")]
    realdata = Path(args[0]) if args else REALDATA
    rows = draw(realdata)
    for r in rows:
        middle, section = ("", "") if draft else labels_blind.get((r["file"], r["key"]), ("", ""))
        r["middle"], r["section"] = middle, section
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUT}")


# (file, key) -> (大典 2022 middle group, GB/T 4754 section of the employer or "")
labels_blind: dict[tuple[str, str], tuple[str, str]] = {
    # --- 1dagong_staffing_postings_2015.csv
    ('1dagong_staffing_postings_2015.csv', '4248'): ('2-06', 'J'),  # 网销专员
    ('1dagong_staffing_postings_2015.csv', '3927'): ('4-01', 'I'),  # 商务代表
    ('1dagong_staffing_postings_2015.csv', '362'): ('6-18', 'C'),  # 铸件打磨工
    ('1dagong_staffing_postings_2015.csv', '5482'): ('2-06', 'J'),  # 急聘网销代表
    ('1dagong_staffing_postings_2015.csv', '5832'): ('2-06', 'J'),  # 业务员
    ('1dagong_staffing_postings_2015.csv', '782'): ('4-01', 'F'),  # 电话销售
    ('1dagong_staffing_postings_2015.csv', '2544'): ('4-06', 'K'),  # 置 业 顾 问
    ('1dagong_staffing_postings_2015.csv', '2848'): ('4-09', 'H'),  # 保洁
    ('1dagong_staffing_postings_2015.csv', '5589'): ('6-26', 'C'),  # 装配工、普工
    ('1dagong_staffing_postings_2015.csv', '2044'): ('6-18', 'C'),  # 熟练车床工
    ('1dagong_staffing_postings_2015.csv', '5543'): ('2-06', 'J'),  # 网络销售
    ('1dagong_staffing_postings_2015.csv', '5497'): ('3-01', 'C'),  # 文员
    ('1dagong_staffing_postings_2015.csv', '2566'): ('2-06', 'J'),  # 销售经理
    ('1dagong_staffing_postings_2015.csv', '987'): ('6-99', 'C'),  # 普工
    ('1dagong_staffing_postings_2015.csv', '3574'): ('4-02', ''),  # 库房经理
    ('1dagong_staffing_postings_2015.csv', '3019'): ('4-01', ''),  # 销售代表
    ('1dagong_staffing_postings_2015.csv', '2226'): ('4-01', 'F'),  # 招聘机械销售
    ('1dagong_staffing_postings_2015.csv', '4777'): ('4-02', 'F'),  # 宅急送
    ('1dagong_staffing_postings_2015.csv', '1209'): ('4-01', 'F'),  # 家装部业务员
    ('1dagong_staffing_postings_2015.csv', '4714'): ('4-08', 'E'),  # 家装设计师
    ('1dagong_staffing_postings_2015.csv', '5682'): ('2-06', 'J'),  # 团队主管储备薪酬5k双休
    ('1dagong_staffing_postings_2015.csv', '4997'): ('2-06', 'J'),  # 新三板原始股权销售经理
    ('1dagong_staffing_postings_2015.csv', '3560'): ('2-02', 'C'),  # 钢结构预算员
    ('1dagong_staffing_postings_2015.csv', '3454'): ('2-06', 'F'),  # 营销部长
    ('1dagong_staffing_postings_2015.csv', '5983'): ('2-06', 'J'),  # 投资理财顾问
    ('1dagong_staffing_postings_2015.csv', '3236'): ('4-01', 'F'),  # 高薪诚聘储备干部
    ('1dagong_staffing_postings_2015.csv', '3287'): ('4-01', 'F'),  # 导购人员
    ('1dagong_staffing_postings_2015.csv', '1894'): ('6-31', ''),  # 机电维修工、巡检
    ('1dagong_staffing_postings_2015.csv', '4390'): ('2-06', 'J'),  # 销售代表
    ('1dagong_staffing_postings_2015.csv', '734'): ('2-06', 'L'),  # 猎头部主管
    ('1dagong_staffing_postings_2015.csv', '5022'): ('4-14', 'R'),  # 直招包厢男女服务员
    ('1dagong_staffing_postings_2015.csv', '2133'): ('6-99', 'C'),  # 普工
    ('1dagong_staffing_postings_2015.csv', '6127'): ('4-01', ''),  # 销售代表
    ('1dagong_staffing_postings_2015.csv', '999'): ('6-24', 'C'),  # 普工
    ('1dagong_staffing_postings_2015.csv', '3078'): ('4-01', 'Q'),  # 市场专员
    ('1dagong_staffing_postings_2015.csv', '5307'): ('4-01', ''),  # 网络策划
    ('1dagong_staffing_postings_2015.csv', '3487'): ('3-01', 'J'),  # 前台客服文员
    ('1dagong_staffing_postings_2015.csv', '2302'): ('2-06', 'J'),  # 电话销售
    ('1dagong_staffing_postings_2015.csv', '4637'): ('4-01', 'L'),  # 招聘专员/助理
    ('1dagong_staffing_postings_2015.csv', '3210'): ('4-08', 'F'),  # 技术专员
    ('1dagong_staffing_postings_2015.csv', '2326'): ('4-01', 'F'),  # 业务员
    ('1dagong_staffing_postings_2015.csv', '411'): ('2-06', 'J'),  # 储备经理
    ('1dagong_staffing_postings_2015.csv', '3649'): ('6-06', 'C'),  # 木工技术师傅
    ('1dagong_staffing_postings_2015.csv', '2590'): ('4-01', 'F'),  # 销售代表
    ('1dagong_staffing_postings_2015.csv', '299'): ('2-06', 'J'),  # 技术分析师
    ('1dagong_staffing_postings_2015.csv', '1647'): ('2-06', 'J'),  # 销售经理
    ('1dagong_staffing_postings_2015.csv', '4115'): ('2-06', 'J'),  # 销售经理
    ('1dagong_staffing_postings_2015.csv', '2952'): ('4-02', 'G'),  # 货车驾驶员
    ('1dagong_staffing_postings_2015.csv', '1693'): ('6-12', 'C'),  # 技工
    ('1dagong_staffing_postings_2015.csv', '1261'): ('4-07', 'E'),  # 行政人事专员
    ('1dagong_staffing_postings_2015.csv', '1279'): ('4-01', ''),  # 网络销售
    ('1dagong_staffing_postings_2015.csv', '1942'): ('4-05', 'J'),  # 销售助理
    ('1dagong_staffing_postings_2015.csv', '5476'): ('4-07', 'P'),  # 室内设计讲师
    ('1dagong_staffing_postings_2015.csv', '2990'): ('6-31', 'C'),  # 检验员
    ('1dagong_staffing_postings_2015.csv', '4165'): ('4-07', 'J'),  # 培训专员/主管
    ('1dagong_staffing_postings_2015.csv', '5461'): ('4-02', 'F'),  # 食品和百货组长
    ('1dagong_staffing_postings_2015.csv', '2949'): ('6-18', 'C'),  # 磨床工
    ('1dagong_staffing_postings_2015.csv', '3536'): ('4-01', ''),  # 销售代表
    ('1dagong_staffing_postings_2015.csv', '5344'): ('4-04', ''),  # 电话客服—呼叫中心人员
    ('1dagong_staffing_postings_2015.csv', '5031'): ('2-06', 'C'),  # 会计兼出纳
    ('1dagong_staffing_postings_2015.csv', '4020'): ('4-01', ''),  # 业务部业务代表
    ('1dagong_staffing_postings_2015.csv', '3785'): ('2-06', 'J'),  # 理财经理
    ('1dagong_staffing_postings_2015.csv', '898'): ('2-10', 'R'),  # 播音
    ('1dagong_staffing_postings_2015.csv', '3846'): ('2-06', 'J'),  # 高薪双休诚聘销售主管
    ('1dagong_staffing_postings_2015.csv', '6104'): ('4-04', 'F'),  # 客服
    ('1dagong_staffing_postings_2015.csv', '4641'): ('4-01', ''),  # 销售代表
    ('1dagong_staffing_postings_2015.csv', '3'): ('6-30', ''),  # 叉车工/拖车工
    ('1dagong_staffing_postings_2015.csv', '4394'): ('4-01', ''),  # 店长
    ('1dagong_staffing_postings_2015.csv', '1285'): ('2-02', 'C'),  # 电气工程师
    ('1dagong_staffing_postings_2015.csv', '5196'): ('4-02', 'G'),  # 包食宿3000招聘物流操作员
    ('1dagong_staffing_postings_2015.csv', '5642'): ('4-09', ''),  # 保洁
    ('1dagong_staffing_postings_2015.csv', '5302'): ('4-08', ''),  # 美工
    ('1dagong_staffing_postings_2015.csv', '439'): ('4-06', 'K'),  # 房产外场拓客专员
    ('1dagong_staffing_postings_2015.csv', '4686'): ('4-01', 'F'),  # 团购客户经理
    ('1dagong_staffing_postings_2015.csv', '1867'): ('4-04', 'J'),  # 客服专员无责任3500加高额提成
    ('1dagong_staffing_postings_2015.csv', '4770'): ('2-06', 'J'),  # 网络销售
    ('1dagong_staffing_postings_2015.csv', '4891'): ('2-06', 'J'),  # 网络销售人员
    ('1dagong_staffing_postings_2015.csv', '813'): ('4-01', 'F'),  # 业务员
    ('1dagong_staffing_postings_2015.csv', '3675'): ('4-01', 'P'),  # 高薪课程顾问/招生老师
    ('1dagong_staffing_postings_2015.csv', '5609'): ('2-02', 'C'),  # 研发工程师
    ('1dagong_staffing_postings_2015.csv', '2451'): ('4-01', 'P'),  # 课程顾问/招生销售
    ('1dagong_staffing_postings_2015.csv', '6038'): ('4-01', ''),  # 产品顾问
    ('1dagong_staffing_postings_2015.csv', '5159'): ('2-06', 'J'),  # 理财经理
    ('1dagong_staffing_postings_2015.csv', '4438'): ('4-06', 'K'),  # 销售主管
    ('1dagong_staffing_postings_2015.csv', '1117'): ('4-09', 'R'),  # 保洁
    ('1dagong_staffing_postings_2015.csv', '4249'): ('4-01', 'F'),  # 市场开发专员
    ('1dagong_staffing_postings_2015.csv', '5737'): ('4-01', ''),  # 业务员
    ('1dagong_staffing_postings_2015.csv', '3765'): ('4-01', 'C'),  # 电子商务销售
    ('1dagong_staffing_postings_2015.csv', '5004'): ('4-01', 'F'),  # 销售工程师
    ('1dagong_staffing_postings_2015.csv', '2823'): ('4-01', 'C'),  # 百度竞价/SEO/SEM
    # --- 51job_2021_postings.csv
    ('51job_2021_postings.csv', '1642'): ('4-01', 'F'),  # 跨境独立站运营
    ('51job_2021_postings.csv', '2333'): ('4-01', 'I'),  # 销售工程师/销售代表/客户经理
    ('51job_2021_postings.csv', '426'): ('4-01', 'F'),  # 电商运营专员（拼多多）
    ('51job_2021_postings.csv', '1095'): ('4-01', 'F'),  # 店长
    ('51job_2021_postings.csv', '1209'): ('4-01', 'F'),  # 拼多多运营
    ('51job_2021_postings.csv', '1045'): ('4-01', ''),  # 业务拓展专员
    ('51job_2021_postings.csv', '727'): ('4-01', 'F'),  # 天猫店长（10号线无经验勿投）
    ('51job_2021_postings.csv', '1371'): ('2-02', 'J'),  # 产品经理（扫码支付）
    ('51job_2021_postings.csv', '1040'): ('3-01', ''),  # 业务跟单助理
    ('51job_2021_postings.csv', '2110'): ('2-06', 'I'),  # 运营经理
    ('51job_2021_postings.csv', '2409'): ('2-06', ''),  # 日语市场担当/主管
    ('51job_2021_postings.csv', '687'): ('4-01', 'F'),  # 电商客服（集团公司）
    ('51job_2021_postings.csv', '872'): ('4-04', ''),  # 客服专员
    ('51job_2021_postings.csv', '1422'): ('4-01', 'F'),  # 亚马逊高级运营
    ('51job_2021_postings.csv', '2296'): ('4-01', 'F'),  # 天猫运营助理
    ('51job_2021_postings.csv', '2154'): ('4-01', ''),  # 运营助理
    ('51job_2021_postings.csv', '883'): ('2-02', 'I'),  # 外包交付经理
    ('51job_2021_postings.csv', '1587'): ('4-01', ''),  # 销售管理
    ('51job_2021_postings.csv', '1183'): ('4-01', 'F'),  # 跨境电商运营
    ('51job_2021_postings.csv', '102'): ('4-01', ''),  # 电商运营助理
    ('51job_2021_postings.csv', '1869'): ('4-01', ''),  # 电话销售（双休）
    ('51job_2021_postings.csv', '631'): ('4-08', ''),  # 平面设计助理
    ('51job_2021_postings.csv', '1840'): ('4-01', 'F'),  # 淘宝客服专员/售后客服
    ('51job_2021_postings.csv', '1478'): ('4-01', 'F'),  # 电商客服
    ('51job_2021_postings.csv', '1787'): ('2-06', 'I'),  # 大客户销售总监
    ('51job_2021_postings.csv', '2288'): ('4-01', 'F'),  # 采购
    ('51job_2021_postings.csv', '1779'): ('4-01', 'F'),  # eBay运营专员/主管
    ('51job_2021_postings.csv', '1133'): ('4-01', 'I'),  # 大客户经理
    ('51job_2021_postings.csv', '419'): ('4-04', ''),  # 售后客服
    ('51job_2021_postings.csv', '38'): ('4-01', 'F'),  # 电商运营组长（天猫/拼多多）
    # --- miduoduo_parttime_beijing_2015.csv
    ('miduoduo_parttime_beijing_2015.csv', '116'): ('4-04', 'I'),  # 招募游戏达人
    ('miduoduo_parttime_beijing_2015.csv', '15'): ('4-01', 'I'),  # 北京理工大学扫楼发传单
    ('miduoduo_parttime_beijing_2015.csv', '158'): ('4-10', 'L'),  # 北京球迷脸部彩绘员
    ('miduoduo_parttime_beijing_2015.csv', '94'): ('4-01', ''),  # 智能车位锁O2O推广专员
    ('miduoduo_parttime_beijing_2015.csv', '40'): ('4-07', 'L'),  # 车展平面礼仪模特可日结
    ('miduoduo_parttime_beijing_2015.csv', '42'): ('4-01', 'I'),  # 朝阳兼职地推员
    ('miduoduo_parttime_beijing_2015.csv', '137'): ('4-13', 'P'),  # 北京新东方暑假优能助教招聘
    ('miduoduo_parttime_beijing_2015.csv', '63'): ('4-01', ''),  # 帅莱传单
    ('miduoduo_parttime_beijing_2015.csv', '28'): ('4-01', 'L'),  # 康盛文化促销
    ('miduoduo_parttime_beijing_2015.csv', '31'): ('4-01', 'I'),  # 米多多招聘派单员每个学校5名
    ('miduoduo_parttime_beijing_2015.csv', '39'): ('4-01', 'I'),  # 校内地推团队
    ('miduoduo_parttime_beijing_2015.csv', '80'): ('4-08', ''),  # 网页美工+网站样式修改
    ('miduoduo_parttime_beijing_2015.csv', '14'): ('4-01', 'L'),  # 麦片特卖现场促销
    ('miduoduo_parttime_beijing_2015.csv', '19'): ('4-02', 'L'),  # 京东兼职配送员
    ('miduoduo_parttime_beijing_2015.csv', '139'): ('4-01', 'P'),  # 北大清华校内贴海报
    # --- meituan_station_staffing_postings_2025.csv
    ('meituan_station_staffing_postings_2025.csv', '14'): ('4-02', 'H'),  # 美团外卖
    ('meituan_station_staffing_postings_2025.csv', '63'): ('4-02', 'H'),  # 美团外卖
    ('meituan_station_staffing_postings_2025.csv', '137'): ('4-02', 'F'),  # 夜班理货员
    ('meituan_station_staffing_postings_2025.csv', '273'): ('4-02', 'F'),  # 夜班理货员
    ('meituan_station_staffing_postings_2025.csv', '192'): ('4-02', 'F'),  # 白班分拣员
    ('meituan_station_staffing_postings_2025.csv', '537'): ('4-02', 'F'),  # 全职理货员
    ('meituan_station_staffing_postings_2025.csv', '205'): ('4-02', 'F'),  # 白班分拣员
    ('meituan_station_staffing_postings_2025.csv', '553'): ('4-02', 'F'),  # 兼职理货员
    ('meituan_station_staffing_postings_2025.csv', '166'): ('4-02', 'F'),  # 夜班理货员
    ('meituan_station_staffing_postings_2025.csv', '69'): ('4-02', 'H'),  # 美团外卖
    # --- qtshe_parttime_api_sample_2021.csv
    ('qtshe_parttime_api_sample_2021.csv', '1089163'): ('2-09', 'P'),  # 0基础学短视频剪辑 需电脑
    ('qtshe_parttime_api_sample_2021.csv', '1089169'): ('2-09', 'P'),  # 招小白视频剪pr 需有电脑
    ('qtshe_parttime_api_sample_2021.csv', '1190340'): ('4-01', 'P'),  # 0基础短视频带货赚钱（付费指导教学）
    ('qtshe_parttime_api_sample_2021.csv', '1189984'): ('4-01', 'P'),  # 短视频带货/0基础/在家做（付费教学）
    ('qtshe_parttime_api_sample_2021.csv', '1176771'): ('2-09', 'P'),  # 需电脑/免费派单赚钱/免费学剪辑>20岁
}


if __name__ == "__main__":
    main(sys.argv[1:])
