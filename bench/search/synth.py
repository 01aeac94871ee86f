"""Deterministic synthetic postings shaped like the real ones (Jiangsu counties, gig titles, pay, places)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))

# (county code, city, county, lat, lon)
COUNTIES = [
    ("320102", "南京市", "玄武区", 32.05, 118.80), ("320115", "南京市", "江宁区", 31.95, 118.84),
    ("320205", "无锡市", "锡山区", 31.59, 120.36), ("320214", "无锡市", "新吴区", 31.49, 120.36),
    ("320302", "徐州市", "鼓楼区", 34.29, 117.19), ("320412", "常州市", "武进区", 31.70, 119.94),
    ("320505", "苏州市", "虎丘区", 31.30, 120.57), ("320506", "苏州市", "吴中区", 31.26, 120.63),
    ("320509", "苏州市", "吴江区", 31.16, 120.64), ("320583", "苏州市", "昆山市", 31.39, 120.98),
    ("320602", "南通市", "崇川区", 32.00, 120.86), ("320703", "连云港市", "连云区", 34.76, 119.37),
    ("320812", "淮安市", "清江浦区", 33.55, 119.03), ("320902", "盐城市", "亭湖区", 33.39, 120.16),
    ("321002", "扬州市", "广陵区", 32.39, 119.43), ("321112", "镇江市", "丹徒区", 32.13, 119.43),
    ("321202", "泰州市", "海陵区", 32.49, 119.92), ("321302", "宿迁市", "宿城区", 33.96, 118.30),
]
JOBS = [
    ("家政保洁员", "cleaning"), ("钟点工", "cleaning"), ("育儿嫂", "cleaning"), ("外卖骑手", "delivery"),
    ("快递分拣员", "delivery"), ("外卖配送员", "delivery"), ("仓库普工", "logistics"), ("装卸工", "logistics"),
    ("叉车工", "logistics"), ("服务员", "catering"), ("洗碗工", "catering"), ("帮厨", "catering"),
    ("电工", "construction"), ("木工", "construction"), ("钢筋工", "construction"), ("保安", "security"),
    ("促销员", "retail"), ("理货员", "retail"), ("护工", "care"), ("会议礼仪", "events"),
]
PREFIX = ["", "急招", "招聘", "长期招", "日结", "周末"]
SUFFIX = ["", "（日结）", "（包吃住）", "（周结）", "若干名", "兼职"]
DESC = ["工作认真负责，按时完成任务", "包吃住，多劳多得", "日结工资，当天结清", "提供培训，无经验可",
        "五险一金，节假日福利", "电动车自备，熟悉路线优先", "年龄18-55岁，身体健康", "工作地点交通方便"]
UNITS = [("day", 1.0), ("hour", 8.0), ("month", 1 / 26), ("piece", 1.0)]
SETTLE = ["日结", "周结", "月结", "完工结"]
EMPLOYMENT = ["gig", "temporary", "hourly", "part_time", "full_time"]


def postings(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    rnd = random.Random(seed)
    for i in range(n):
        code, city, county, lat, lon = rnd.choice(COUNTIES)
        job, category = rnd.choice(JOBS)
        unit, factor = rnd.choice(UNITS)
        daily = round(rnd.gauss(210, 45), 0)
        amount = round(daily / factor, 1)
        verified = rnd.random() < 0.4
        has_geo = rnd.random() < 0.8
        yield {
            "id": f"p_{i:012x}", "cluster_id": f"k{i:09d}", "source_id": f"feed_{i % 13}", "native_id": str(i),
            "url": f"https://jobs.example.cn/{i}",
            "title": f"{rnd.choice(PREFIX)}{job}{rnd.choice(SUFFIX)}",
            "description": "，".join(rnd.sample(DESC, 3)) + f"。工作地点{city}{county}。",
            "employer": {"name": f"{city[:-1]}{rnd.choice(['华泰', '鑫源', '恒通', '佳美', '顺达'])}"
                                 f"{rnd.choice(['人力资源', '物流', '家政服务', '餐饮管理'])}有限公司",
                         "name_key": None, "uscc": None, "verification": "verified" if verified else "unverified",
                         "reasons": []},
            "location": {"code": code, "province": "江苏省", "city": city, "county": county,
                         "address": f"{county}{rnd.randint(1, 300)}号",
                         "lat": round(lat + rnd.uniform(-0.15, 0.15), 5) if has_geo else None,
                         "lon": round(lon + rnd.uniform(-0.15, 0.15), 5) if has_geo else None},
            "salary": {"min": amount, "max": amount, "unit": unit, "negotiable": False,
                       "settlement": rnd.choice(SETTLE), "benefits": [], "daily_estimate": daily,
                       "text": f"{amount}元/{unit}"},
            "contact": {"name": "王**", "phone": "138****8000"},
            "schedule": {"employment_type": rnd.choice(EMPLOYMENT), "start_date": None, "end_date": None,
                         "hours": None},
            "category": category, "headcount": rnd.randint(1, 20),
            "posted_at": (NOW - timedelta(minutes=rnd.randint(0, 90 * 24 * 60))).isoformat(),
            "expires_at": None, "status": "open", "other_sources": [], "extras": {},
            "region_codes": [code[:2] + "0000", code[:4] + "00", code],
        }
