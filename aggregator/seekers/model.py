"""What a seeker registration and a saved search are, and the one matching profile both become.

A :class:`SeekerRegistration` (求职登记) says what work a person wants and how to reach
them; a :class:`SubscriptionRequest` is a saved ``/v1/search``. Both are split on arrival:
the :class:`Profile` (what the matcher needs, no contact details) is stored in the clear,
the :class:`Channel` (how to reach them) only encrypted (:mod:`aggregator.seekers.crypto`).
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from aggregator.schema import PayUnit
from search.base import SearchQuery

ProfileKind = Literal["seeker", "subscription"]

#: CNY per working day for one unit of pay (8-hour day, 5-day week, 21.75 paid days a month), the
#: same factors postings' ``salary.daily_estimate`` is computed with, so both sides compare alike.
DAILY_FACTORS: dict[str, float] = {"hour": 8.0, "day": 1.0, "week": 1 / 5, "month": 1 / 21.75, "year": 1 / 250}
UNIT_NAMES = {"hour": "小时", "day": "天", "week": "周", "month": "月", "year": "年", "piece": "件", "session": "课时"}

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_OCCUPATION = re.compile(r"^\d(-\d{2}){0,3}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def parse_window(text: str) -> tuple[time, time]:
    """``"08:00-18:00"`` → (08:00, 18:00); a window may cross midnight (``"22:00-07:00"``)."""
    m = _WINDOW.match(text)
    if not m or int(m[1]) > 24 or int(m[3]) > 24 or int(m[2]) > 59 or int(m[4]) > 59:
        raise ValueError(f"must be HH:MM-HH:MM, e.g. 08:00-18:00, got {text!r}")
    start = time(int(m[1]) % 24, int(m[2]))
    end = time(int(m[3]) % 24, int(m[4]))
    return start, end


def _window(v: str | None) -> str | None:
    if v is not None:
        parse_window(v)
    return v


class PayFloor(_Model):
    """Lowest acceptable pay in any unit: ``{"amount": 20, "unit": "hour"}`` or text such as ``20元/小时``."""

    amount: float = Field(gt=0, le=1_000_000)
    unit: PayUnit

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, v: Any) -> Any:
        if isinstance(v, str):
            from normalize import parse_salary

            s = parse_salary(v)
            amount = s.min if s and s.min is not None else (s.max if s else None)
            if s is None or amount is None or s.unit is None:
                raise ValueError(f"cannot read an amount and a unit (元/小时, 元/天 ...) from {v!r}")
            return {"amount": amount, "unit": s.unit}
        return v

    def daily(self) -> float | None:
        """The floor as CNY per working day, or ``None`` for piece/session rates (not convertible)."""
        factor = DAILY_FACTORS.get(self.unit)
        return round(self.amount * factor, 2) if factor is not None else None

    def text(self) -> str:
        return f"{self.amount:g}元/{UNIT_NAMES[self.unit]}"


class Channel(_Model):
    """How to reach a person. Contact details: only ever stored encrypted, never indexed or exported.

    ``webhook``: ``url`` gets a signed POST (``secret`` signs it; see :mod:`aggregator.seekers.webhook`).
    Any other ``kind`` (``wechat``, ``sms`` ...) carries an opaque ``id`` a ``lingong_notify`` plugin understands.
    """

    kind: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    url: str | None = Field(default=None, pattern=r"^https?://", max_length=2000)
    secret: SecretStr | None = None
    id: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _complete(self) -> Channel:
        if self.kind == "webhook" and not (self.url and self.secret):
            raise ValueError("a webhook channel needs url and secret")
        if self.kind != "webhook" and not self.id:
            raise ValueError(f"a {self.kind!r} channel needs an opaque id")
        return self

    def private_dict(self) -> dict[str, Any]:
        """Everything, secret included: only for the encrypted store."""
        d = self.model_dump(exclude_none=True)
        if self.secret is not None:
            d["secret"] = self.secret.get_secret_value()
        return d


class Delivery(_Model):
    """When a person may be told: quiet hours (Asia/Shanghai local time) and a rate limit."""

    quiet_hours: str | None = Field(default=None, description="HH:MM-HH:MM local time, e.g. 22:00-07:00")
    max_per_hour: int = Field(default=10, ge=1, le=1000)

    _w = field_validator("quiet_hours")(_window)


class SeekerRegistration(Delivery):
    """``POST /v1/seekers``: one person's 求职登记. Only what matching needs, plus how to reach them."""

    occupations: list[str] = Field(default_factory=list, max_length=20,
                                   description="职业分类大典 codes or prefixes, e.g. 4-02 or 4-02-01")
    categories: list[str] = Field(default_factory=list, max_length=20, description="lingong categories (物流配送 ...)")
    skills: list[str] = Field(default_factory=list, max_length=30)
    region: str | None = Field(default=None, pattern=r"^\d{6}$")
    near: tuple[float, float] | None = None
    radius_km: float | None = Field(default=None, gt=0, le=200)
    days: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5, 6, 7], description="ISO weekdays, 1 = Monday")
    hours: str | None = Field(default=None, description="available HH:MM-HH:MM, e.g. 08:00-18:00")
    min_pay: PayFloor | None = None
    channel: Channel | None = Field(
        default=None, description="how to reach them; none: a registration counted in 求人倍率, never notified")
    registered_at: datetime | None = Field(
        default=None, description="when they registered (a source's 登记日期); default: when lingong stores it")

    _h = field_validator("hours")(_window)

    @field_validator("occupations")
    @classmethod
    def _codes(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if not _OCCUPATION.match(c)]
        if bad:
            raise ValueError(f"occupation codes look like 4-02-01, got {bad}")
        return v

    @field_validator("days")
    @classmethod
    def _days(cls, v: list[int]) -> list[int]:
        if not v or any(not 1 <= d <= 7 for d in v):
            raise ValueError("days are ISO weekdays 1-7 (at least one)")
        return sorted(set(v))

    @field_validator("near")
    @classmethod
    def _near(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and not (-90 <= v[0] <= 90 and -180 <= v[1] <= 180):
            raise ValueError("near is (lat, lon) in decimal degrees")
        return v

    def profile(self) -> Profile:
        return Profile(kind="seeker", occupations=self.occupations, categories=self.categories, skills=self.skills,
                       region=self.region, near=self.near,
                       radius_km=self.radius_km or (30.0 if self.near else None), days=self.days, hours=self.hours,
                       min_pay=self.min_pay, quiet_hours=self.quiet_hours, max_per_hour=self.max_per_hour)


class SubscriptionRequest(Delivery):
    """``POST /v1/subscriptions``: the ``/v1/search`` parameters (``near`` as ``"lat,lon"``) plus a channel."""

    q: str = Field(default="", max_length=200)
    region: str | None = None
    category: str | None = None
    employment_type: str | None = None
    pay_unit: str | None = None
    min_daily_wage: float | None = None
    near: str | None = Field(default=None, description="lat,lon")
    radius_km: float | None = None
    verified_only: bool = False
    posted_within_days: int | None = None
    channel: Channel

    def search_query(self) -> SearchQuery:
        """The same validation ``/v1/search`` applies (raises ``ValueError`` naming the parameter)."""
        point: tuple[float, float] | None = None
        if self.near is not None:
            try:
                lat, lon = (float(x) for x in self.near.split(","))
            except ValueError:
                raise ValueError("near: must be 'lat,lon' in decimal degrees, e.g. 23.13,113.26") from None
            point = (lat, lon)
        if self.radius_km is not None and point is None:
            raise ValueError("radius_km: needs near=lat,lon")
        return SearchQuery(q=self.q, region=self.region, category=self.category,
                           employment_type=self.employment_type, pay_unit=self.pay_unit,
                           min_daily_wage=self.min_daily_wage, near=point, radius_km=self.radius_km,
                           verified_only=self.verified_only, posted_within_days=self.posted_within_days)

    def profile(self) -> Profile:
        sq = self.search_query()
        return Profile(kind="subscription", categories=[sq.category] if sq.category else [], region=sq.region,
                       near=sq.near, radius_km=(sq.radius_km or 50.0) if sq.near else None,
                       min_daily_wage=sq.min_daily_wage, terms=sq.q.split(), employment_type=sq.employment_type,
                       pay_unit=sq.pay_unit, verified_only=sq.verified_only,
                       posted_within_days=sq.posted_within_days, quiet_hours=self.quiet_hours,
                       max_per_hour=self.max_per_hour)


class Profile(_Model):
    """What the matcher stores for a seeker or a subscription: no contact details, nothing indexed publicly.

    Place, occupation and pay are AND-ed (as ``/v1/search`` filters are); the wanted occupations
    and categories are OR-ed among themselves; empty means any.
    """

    kind: ProfileKind
    occupations: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    region: str | None = None
    near: tuple[float, float] | None = None
    radius_km: float | None = None
    days: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5, 6, 7])
    hours: str | None = None
    min_pay: PayFloor | None = None
    min_daily_wage: float | None = None  # subscriptions: on salary.daily_estimate, as /v1/search
    terms: list[str] = Field(default_factory=list)  # subscriptions: every word must occur
    employment_type: str | None = None
    pay_unit: str | None = None
    verified_only: bool = False
    posted_within_days: int | None = None
    quiet_hours: str | None = None
    max_per_hour: int = 10

    def floor_daily(self) -> float | None:
        """The pay floor in CNY per working day (after unit conversion), if one applies."""
        if self.min_pay is not None:
            return self.min_pay.daily()
        return self.min_daily_wage

    def floor_unit(self) -> str | None:
        """A piece/session floor, compared only with postings paid in the same unit."""
        if self.min_pay is not None and self.min_pay.daily() is None:
            return self.min_pay.unit
        return None
