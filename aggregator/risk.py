"""Scam and risk signals: rules from YAML plus the ``lingong_risk_signals`` hook, one score per posting.

Every signal has a rule id, a weight in 0..1 and a reason a reviewer can read. The score is
``1 - Π(1 - weight)``: independent weak signals add up, no single signal is certain. A posting
scoring at or above the threshold is *held*: kept in the catalog (``posting_risk`` table and
``extras["risk"]``) but not published to the index; ``lingong review`` lists held postings.

Rule kinds (``aggregator/risk_rules.yaml``): ``keywords`` (words with negations such as 不收押金),
``pay_outlier`` (daily pay far above the median of the same category in the same city, medians
computed from the catalog), ``messaging_only`` (a QQ/微信 id is the only contact) and
``no_employer``. The rules file can be replaced per installation (``LINGONG_RISK_RULES`` or
``$LINGONG_HOME/risk_rules.yaml``); plugins add signals through ``lingong_risk_signals``.
"""

from __future__ import annotations

import os
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import normalize as nz
from aggregator.errors import ConfigError
from aggregator.schema import JobPosting

BUILTIN_RULES = Path(__file__).resolve().parent / "risk_rules.yaml"
KINDS = ("keywords", "pay_outlier", "messaging_only", "no_employer")

_CLAUSE_END = "，。；;,.!！?？\n、：:（）()"
_MESSAGING = re.compile(r"(?:qq|扣扣|微信|weixin|wechat|vx|wx|威信|薇信|v信)\s*(?:号|号码|id)?\s*[:：]?\s*"
                        r"([a-z0-9][a-z0-9_\-]{4,19})", re.I)


@dataclass
class Rule:
    id: str
    kind: str
    weight: float
    reason: str
    words: list[str] = field(default_factory=list)
    negations: list[str] = field(default_factory=list)
    factor: float = 2.5
    min_samples: int = 8


@dataclass
class RiskRules:
    threshold: float
    rules: list[Rule]


def load_rules(home: Path | None = None, path: Path | None = None) -> RiskRules:
    """The built-in rules, overlaid with ``path`` / ``LINGONG_RISK_RULES`` / ``$LINGONG_HOME/risk_rules.yaml``."""
    data = _read(BUILTIN_RULES)
    override = path or (Path(os.environ["LINGONG_RISK_RULES"]) if os.environ.get("LINGONG_RISK_RULES") else None)
    if override is None and home is not None and (home / "risk_rules.yaml").exists():
        override = home / "risk_rules.yaml"
    if override is not None:
        extra = _read(override)
        by_id = {r["id"]: r for r in data.get("rules", [])}
        for r in extra.get("rules", []):
            by_id[r["id"]] = {**by_id.get(r["id"], {}), **r}
        data = {**data, **{k: v for k, v in extra.items() if k != "rules"}, "rules": list(by_id.values())}
    try:
        threshold = float(data.get("threshold", 0.6))
        rules = [Rule(**r) for r in data.get("rules", [])]
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad risk rules: {exc}") from exc
    for r in rules:
        if r.kind not in KINDS:
            raise ConfigError(f"risk rule {r.id!r}: unknown kind {r.kind!r} (known: {', '.join(KINDS)})")
        if not 0.0 <= r.weight <= 1.0:
            raise ConfigError(f"risk rule {r.id!r}: weight must be within 0..1, got {r.weight}")
    return RiskRules(threshold=threshold, rules=[r for r in rules if r.weight > 0])


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read risk rules {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"risk rules {path}: expected a mapping with threshold and rules")
    return data


class PayMedians:
    """Median daily pay per (category, city), from the catalog's open postings."""

    def __init__(self, samples: Iterable[tuple[str | None, str | None, float]]) -> None:
        groups: dict[tuple[str, str], list[float]] = defaultdict(list)
        for category, code, daily in samples:
            if category and code and daily > 0:
                groups[(category, code[:4])].append(daily)
        self.medians = {k: (statistics.median(v), len(v)) for k, v in groups.items()}

    def get(self, category: str | None, code: str | None) -> tuple[float, int] | None:
        if not category or not code:
            return None
        return self.medians.get((category, code[:4]))


@dataclass
class Assessment:
    score: float
    held: bool
    signals: list[dict[str, Any]]

    def as_extra(self) -> dict[str, Any]:
        return {"score": self.score, "held": self.held, "signals": self.signals}


class RiskAssessor:
    """Scores postings with the rules, the catalog's pay medians and the plugins' signals."""

    def __init__(self, rules: RiskRules, medians: PayMedians | None = None, hook: Any = None) -> None:
        self.rules = rules
        self.medians = medians or PayMedians(())
        self.hook = hook

    def assess(self, posting: JobPosting) -> Assessment:
        signals = [s for rule in self.rules.rules if (s := self._apply(rule, posting))]
        if self.hook is not None:
            for extra in self.hook.lingong_risk_signals(posting=posting):
                signals.extend(_validated(extra))
        keep = 1.0
        for s in signals:
            keep *= 1.0 - s["weight"]
        score = round(1.0 - keep, 4)
        return Assessment(score=score, held=score >= self.rules.threshold, signals=signals)

    def _apply(self, rule: Rule, p: JobPosting) -> dict[str, Any] | None:
        text = " ".join(x for x in (p.title, p.description, p.salary.text if p.salary else None) if x)
        if rule.kind == "keywords":
            hits = _keyword_hits(text, rule.words, rule.negations)
            return _signal(rule, match="、".join(hits)) if hits else None
        if rule.kind == "no_employer":
            return None if (p.employer.name or p.employer.uscc) else _signal(rule)
        if rule.kind == "messaging_only":
            m = _MESSAGING.search(" ".join(x for x in (text, p.contact.name) if x))
            if m is None or p.employer.name or p.contact.phone or nz.find_phones(text):
                return None
            return _signal(rule, match=m.group(0).strip())
        if rule.kind == "pay_outlier":
            daily = p.salary.daily_estimate if p.salary else None
            found = self.medians.get(p.category, p.location.code)
            if not daily or found is None:
                return None
            median, n = found
            if n < rule.min_samples or median <= 0 or daily <= rule.factor * median:
                return None
            region = nz.region_name(p.location.code[:4] + "00") if p.location.code else None
            return _signal(rule, pay=daily, ratio=daily / median, median=median, category=p.category,
                           region=region or p.location.code, samples=n)
        return None


def _signal(rule: Rule, **values: Any) -> dict[str, Any]:
    try:
        reason = rule.reason.format(**values)
    except (KeyError, IndexError, ValueError):
        reason = rule.reason
    return {"rule": rule.id, "weight": rule.weight, "reason": reason}


def _keyword_hits(text: str, words: list[str], negations: list[str]) -> list[str]:
    """Words found in ``text`` that are not negated within their clause (不收押金, 体检费公司报销)."""
    hits = []
    low = text.lower()
    for word in words:
        start = 0
        while (i := low.find(word.lower(), start)) >= 0:
            start = i + len(word)
            before = _clause(low[max(0, i - 8):i], from_end=True)
            after = _clause(low[start:start + 8], from_end=False)
            if any(n in before for n in negations) or any(after.startswith(n) or n in after[:6]
                                                         for n in negations if len(n) > 1 or n == "免"):
                continue
            hits.append(word)
            break
    return hits


def _clause(text: str, *, from_end: bool) -> str:
    cut = [i for i, c in enumerate(text) if c in _CLAUSE_END]
    if not cut:
        return text
    return text[cut[-1] + 1:] if from_end else text[:cut[0]]


def _validated(extra: Any) -> list[dict[str, Any]]:
    if not extra:
        return []
    out = []
    for s in extra:
        weight = float(s["weight"])
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"risk signal {s.get('rule')!r}: weight {weight} outside 0..1")
        out.append({"rule": str(s["rule"]), "weight": weight, "reason": str(s["reason"])})
    return out
