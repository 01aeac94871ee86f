"""The sandbox province's 求职登记 (seeker registrations): a deterministic function of (seed, size, day).

Registration ``i`` is drawn from ``random.Random(f"{seed}/s/{i}")``, so any one can be built
without the others. ``round(size * SEEKERS_PER_POSTING)`` people are registered on day 0, on dates
spread over the 50 days before it (2026-10-01 … 2026-11-20). A registration lapses ``VALID_DAYS``
(60) days after it was made (a 求职登记 has a period of validity) and about a sixtieth as many
people register every following day, so the export lists about as many people whatever the day.

People live where the province's jobs are (the postings' county weights), 15% of them
willing to work anywhere in their city; each wants one occupation (15%: two) as a
《职业分类大典》 middle group with the 工种 a market writes beside it. The occupation weights
are set against the demo's demand (``lingong demo``: the sandbox plus the two static agency
feeds) so that 求人倍率 comes out between about 0.2 and 2.7: 普工, 快递分拣 and electronics
assembly short of people (above 1.5, 紧缺), 文员, 家政 and 主播 with people to spare.

Names and phones are synthetic (``variation``). About 1.5% of registrations are written broken
on purpose: a 登记日期 nobody can read (``待核实``) or a 工种 code left ``待定``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any

from connectors.sandbox import variation as var
from connectors.sandbox.province import _PLACE_CODES, _PLACE_WEIGHTS, _PLACES, BASE_DATE

__all__ = ["SEEKERS_PER_POSTING", "VALID_DAYS", "Registration", "SeekerRegistry"]

SEEKERS_PER_POSTING = 14.0
SPREAD_DAYS = 50  # day-0 registrations are dated over the 50 days before day 0
VALID_DAYS = 60  # then a registration lapses (people find work, or register again)
P_NEW = 1 / VALID_DAYS  # of the day-0 count, registering every following day: about as many as lapse
P_TWO_WANTS, P_CITY_WIDE, P_MALFORMED = 0.15, 0.15, 0.015

# 职业分类大典 middle group → (工种 as markets write them, weight)
_WANTS: dict[str, tuple[tuple[str, ...], float]] = {
    "4-07": (("客服专员", "话务员", "保安员", "会展服务"), 1750),
    "4-01": (("销售", "促销员", "收银员", "导购"), 1150),
    "6-99": (("普工", "操作工", "包装工"), 600),
    "4-02": (("快递员", "分拣员", "装卸工", "外卖骑手", "仓管员"), 420),
    "3-01": (("文员", "前台", "数据录入"), 380),
    "2-08": (("家教", "托管老师"), 240),
    "4-10": (("家政服务员", "育婴员", "养老护理员"), 120),
    "6-25": (("电子装配工", "贴片操作员"), 190),
    "4-13": (("主播", "模特"), 180),
    "4-03": (("服务员", "厨工", "洗碗工", "配菜员"), 170),
    "2-06": (("会计", "出纳"), 150),
    "6-05": (("缝纫工", "车位工"), 130),
    "6-31": (("质检员", "机修工"), 120),
    "6-18": (("焊工", "数控车工"), 110),
    "4-12": (("家电维修", "汽车维修"), 100),
    "6-20": (("设备装配工",), 100),
    "6-02": (("面点工", "食品包装工"), 90),
    "4-06": (("物业服务员", "房产中介"), 80),
    "6-29": (("建筑工", "水电工"), 80),
    "4-09": (("保洁员", "绿化工"), 60),
    "6-30": (("叉车司机",), 20),
}
_WANT_CODES = list(_WANTS)
_WANT_WEIGHTS = [w for _, w in _WANTS.values()]
_PAY = [("", 30), ("150元/天", 10), ("180元/天", 10), ("200元/天", 8), ("250元/天", 4), ("120元/天", 4),
        ("20元/小时", 10), ("25元/小时", 6), ("18元/小时", 4), ("4500元/月", 8), ("6000元/月", 6)]
_DAYS = [("1-7", 40), ("1-5", 25), ("1-6", 15), ("6,7", 12), ("1,3,5", 8)]
_HOURS = [("", 45), ("08:00-18:00", 25), ("09:00-21:00", 10), ("18:00-23:00", 12), ("07:00-12:00", 8)]
MALFORMED_REASON = {"bad_date": "registered_at", "no_code": "occupations"}


@dataclass(frozen=True, slots=True)
class Registration:
    """One person's 求职登记 as the provincial platform exports it."""

    index: int
    native_id: str
    name: str  # synthetic; lingong never keeps it
    phone: str  # synthetic; the demo's source does not map it, so lingong never reads it
    region: str  # GB/T 2260 code of where they want work: a county, or a city (anywhere in it)
    region_name: str
    wants: tuple[tuple[str, str], ...]  # (大典 middle group, 工种); the code is 待定 when broken so
    min_pay: str  # "" for no floor
    days: str  # ISO weekdays: "1-5", "6,7" …
    hours: str  # "" for any time
    registered_at: datetime
    made_on: int  # the sandbox day it was made (day-0 registrations: 0 or before)
    market: str  # the 零工市场 it was made at
    malformed: str | None  # "bad_date" | "no_code"

    @property
    def lapses(self) -> int:
        """The first day it is no longer listed."""
        return self.made_on + VALID_DAYS

    @property
    def city(self) -> str:
        """The city's code (``440100``) of the region wanted."""
        return self.region[:4] + "00"


def _pick(rng: Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in table], [w for _, w in table])[0]


class SeekerRegistry:
    """Every 求职登记 of the sandbox province. Thread-safe; caches per-day listings."""

    def __init__(self, seed: int = 20261120, size: int = 400) -> None:
        if size < 1:
            raise ValueError("size must be positive")
        self.seed, self.size = seed, size
        self.base = max(20, round(size * SEEKERS_PER_POSTING))
        self.new_per_day = max(1, round(self.base * P_NEW))
        self._made: dict[int, Registration] = {}
        self._listing: dict[int, list[Registration]] = {}
        self._lock = threading.Lock()

    def universe(self, day: int) -> int:
        """How many registrations were ever made up to ``day``."""
        return self.base + max(day, 0) * self.new_per_day

    def registration(self, i: int) -> Registration:
        reg = self._made.get(i)
        if reg is None:  # two threads may both build it: the same value
            reg = self._made[i] = self._make(i)
        return reg

    def _make(self, i: int) -> Registration:
        rng = Random(f"{self.seed}/s/{i}")
        born = -rng.randint(0, SPREAD_DAYS) if i < self.base else 1 + (i - self.base) // self.new_per_day
        county = rng.choices(_PLACE_CODES, _PLACE_WEIGHTS)[0]
        city, county_name, _, _ = _PLACES[county]
        if county_name and rng.random() < P_CITY_WIDE:
            region, region_name = county[:4] + "00", f"广东省{city}市"
        else:
            region, region_name = county, f"广东省{city}市{county_name}"
        codes = [rng.choices(_WANT_CODES, _WANT_WEIGHTS)[0]]
        if rng.random() < P_TWO_WANTS:
            other = rng.choices(_WANT_CODES, _WANT_WEIGHTS)[0]
            if other != codes[0]:
                codes.append(other)
        wants = [(c, rng.choice(_WANTS[c][0])) for c in codes]
        name = var.full_name(rng)
        phone = var.mobile(rng)
        min_pay, days, hours = _pick(rng, _PAY), _pick(rng, _DAYS), _pick(rng, _HOURS)
        at = datetime.combine(BASE_DATE + timedelta(days=born), datetime.min.time()).replace(
            hour=rng.randint(8, 16), minute=rng.randint(0, 59), second=(i * 7) % 60)
        malformed: str | None = None
        # low-discrepancy, like the postings: any stretch of registrations has close to P_MALFORMED broken
        if (i * 0.7548776662466927 + self.seed * 0.4321) % 1.0 < P_MALFORMED:
            malformed = "bad_date" if i % 2 else "no_code"
            if malformed == "no_code":
                wants[0] = ("待定", "待定")
        market = f"{city}市{county_name}零工市场" if county_name else f"{city}市零工市场"
        return Registration(index=i, native_id=f"QZ{county}{i:06d}", name=name, phone=phone, region=region,
                            region_name=region_name, wants=tuple(wants), min_pay=min_pay, days=days,
                            hours=hours, registered_at=at, made_on=born, market=market,
                            malformed=malformed)

    def listing(self, day: int) -> list[Registration]:
        """Registrations valid on ``day`` (made on or before it, not lapsed), oldest first (cached per day)."""
        with self._lock:
            cached = self._listing.get(day)
        if cached is not None:
            return cached
        regs = [r for r in map(self.registration, range(self.universe(day))) if r.made_on <= day < r.lapses]
        regs.sort(key=lambda r: (r.registered_at, r.native_id))
        with self._lock:
            if len(self._listing) > 8:
                self._listing.clear()
            self._listing[day] = regs
        return regs

    def truth(self, day: int) -> dict[str, Any]:
        """What a perfect harvest on ``day`` would find: ``registrations`` listed, ``malformed``
        (``[native_id, what is missing]``), and the readable ones per city and per wanted middle group
        (a person wanting two occupations counts in each)."""
        regs = self.listing(day)
        good = [r for r in regs if r.malformed is None]
        by_city: dict[str, int] = {}
        by_occupation: dict[str, int] = {}
        for r in good:
            by_city[r.city] = by_city.get(r.city, 0) + 1
            for code, _ in r.wants:
                by_occupation[code] = by_occupation.get(code, 0) + 1
        return {"registrations": len(regs), "readable": len(good),
                "malformed": [[r.native_id, MALFORMED_REASON[r.malformed]] for r in regs if r.malformed],
                "by_city": dict(sorted(by_city.items())), "by_occupation": dict(sorted(by_occupation.items()))}
