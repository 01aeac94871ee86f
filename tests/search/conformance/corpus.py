"""The small corpus every engine is checked against, and a fixed clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from aggregator.privacy import public_posting
from aggregator.schema import Employer, JobPosting, Location, Provenance, Salary, Schedule

CST = timezone(timedelta(hours=8))
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=CST)


def clock() -> datetime:
    return NOW


def make_doc(
    cluster_id: str,
    title: str,
    *,
    description: str | None = None,
    employer: str | None = None,
    verification: str = "unverified",
    code: str | None = None,
    latlon: tuple[float, float] | None = None,
    category: str | None = None,
    employment_type: str | None = None,
    unit: str | None = None,
    daily: float | None = None,
    settlement: str | None = None,
    days_ago: float | None = None,
) -> dict[str, Any]:
    """A document exactly as the indexer builds it: the public posting dumped as JSON."""
    salary = None
    if unit is not None or daily is not None or settlement is not None:
        salary = Salary(min=daily, max=daily, unit=unit, daily_estimate=daily, settlement=settlement)
    posting = JobPosting(
        id="p_" + cluster_id,
        cluster_id=cluster_id,
        source_id="feed_test",
        native_id=cluster_id,
        title=title,
        description=description,
        employer=Employer(name=employer, verification=verification),
        location=Location(code=code, lat=latlon[0] if latlon else None, lon=latlon[1] if latlon else None),
        salary=salary,
        schedule=Schedule(employment_type=employment_type),
        category=category,
        posted_at=None if days_ago is None else NOW - timedelta(days=days_ago),
        provenance=Provenance(
            source_id="feed_test", native_id=cluster_id, connector="feed",
            fetched_at=NOW, content_hash="h" + cluster_id,
        ),
    )
    doc = public_posting(posting).model_dump(mode="json")
    doc["other_sources"] = []
    doc["region_codes"] = posting.location.region_codes()
    return doc


SUZHOU = (31.30, 120.58)  # 苏州市中心

CORPUS = [
    make_doc("c1", "家政保洁员（日结）", description="负责小区公共区域清洁，<b>日结</b>工资",
             employer="苏州洁美家政服务有限公司", verification="verified", code="320509", latlon=(31.16, 120.64),
             category="cleaning", employment_type="gig", unit="day", daily=180, settlement="日结", days_ago=1),
    make_doc("c2", "美团外卖骑手", description="多劳多得，周结", employer="上海拉扎斯信息科技有限公司",
             code="320505", latlon=(31.30, 120.57), category="delivery", employment_type="part_time", unit="piece",
             daily=260, days_ago=3),
    make_doc("c3", "外卖配送员招聘", description="电动车自备，日结", employer="饿了么站点",
             verification="verified", code="320200", latlon=(31.49, 120.31), category="delivery",
             employment_type="gig", unit="day", daily=220, days_ago=0),
    make_doc("c4", "仓库普工", description="搬运、分拣，包吃住，可做保洁", employer="南京仓储物流有限公司",
             code="320115", latlon=(31.93, 118.84), category="logistics", employment_type="temporary", unit="hour",
             daily=200, days_ago=2),
    make_doc("c5", "钟点工保洁", code="370215", category="cleaning", employment_type="hourly", unit="hour"),
    make_doc("c6", "会议礼仪兼职", description="形象好", employer="青岛会展中心", verification="verified",
             days_ago=5),
    make_doc("c7", "家政阿姨", description="做饭、打扫卫生", employer="吴中家政", code="320506",
             latlon=(31.26, 120.63), category="cleaning", employment_type="gig", unit="day", daily=150,
             days_ago=10),
]
