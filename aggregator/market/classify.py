"""Occupation (职业分类大典 2022 middle group) and industry (GB/T 4754-2017 division) of a posting.

Rules first (``data/rules.yaml``): a title keyword decides the occupation, an employer-name
keyword the industry. Where no rule speaks, a multinomial naive Bayes model over rjieba
tokens of title, employer and description (``data/*_nb.json``, trained offline by
:mod:`aggregator.market.train`) decides; as a last resort the occupation's usual industry.
"""

from __future__ import annotations

import functools
import json
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import rjieba
import yaml

from aggregator.market.codes import section_of

__all__ = ["Classification", "NaiveBayes", "classify", "features"]

_NON_WORD = re.compile(r"^[\W_\d]+$")


def _norm(text: str) -> str:
    # NFKC folds look-alikes such as the Kangxi radical ⼯ (U+2F2F) in 厨⼯ and full-width latin.
    return unicodedata.normalize("NFKC", text).lower()


def features(title: str | None, employer: str | None = None, description: str | None = None) -> list[str]:
    """Model features: title tokens (``t:``), employer tokens (``e:``), first 300 chars of description (``d:``)."""
    out: list[str] = []
    for prefix, text in (("t:", title), ("e:", employer), ("d:", (description or "")[:300])):
        if not text:
            continue
        for tok in rjieba.cut(_norm(text)):
            tok = tok.strip()
            if tok and not _NON_WORD.match(tok):
                out.append(prefix + tok)
    return out


class NaiveBayes:
    """Multinomial naive Bayes with add-one smoothing, stored as per-class token counts."""

    def __init__(self, counts: dict[str, dict[str, int]], docs: dict[str, int]) -> None:
        self.counts = counts
        self.docs = docs
        vocab = {t for c in counts.values() for t in c}
        self._v = max(len(vocab), 1)
        total_docs = sum(docs.values())
        self._prior = {c: math.log(n / total_docs) for c, n in docs.items()}
        self._denom = {c: math.log(sum(counts.get(c, {}).values()) + self._v) for c in docs}

    @classmethod
    def train(cls, examples: Iterable[tuple[list[str], str]], min_count: int = 2) -> NaiveBayes:
        counts: dict[str, dict[str, int]] = {}
        docs: dict[str, int] = {}
        seen: dict[str, int] = {}
        rows = list(examples)
        for toks, _label in rows:
            for t in set(toks):
                seen[t] = seen.get(t, 0) + 1
        for toks, label in rows:
            docs[label] = docs.get(label, 0) + 1
            bucket = counts.setdefault(label, {})
            for t in toks:
                if seen[t] >= min_count:
                    bucket[t] = bucket.get(t, 0) + 1
        return cls(counts, docs)

    def scores(self, toks: list[str]) -> dict[str, float]:
        """Posterior probability of every class (softmax of the log joint)."""
        logp: dict[str, float] = {}
        for c in self.docs:
            bucket = self.counts.get(c, {})
            s = self._prior[c]
            for t in toks:
                s += math.log(bucket.get(t, 0) + 1) - self._denom[c]
            logp[c] = s
        top = max(logp.values())
        exp = {c: math.exp(v - top) for c, v in logp.items()}
        z = sum(exp.values())
        return {c: v / z for c, v in exp.items()}

    def predict(self, toks: list[str]) -> tuple[str, float]:
        s = self.scores(toks)
        best = max(s, key=lambda c: s[c])
        return best, s[best]

    def to_json(self) -> dict[str, Any]:
        return {"docs": self.docs, "counts": self.counts}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NaiveBayes:
        return cls(data["counts"], data["docs"])


@dataclass(frozen=True)
class Classification:
    """Codes for one posting and how each was decided (``rule``, ``model``, ``default``)."""

    occupation: str  # middle group, e.g. "4-03"
    occupation_by: str
    industry: str  # division, e.g. "62"
    industry_by: str

    @property
    def occupation_major(self) -> str:
        return self.occupation.split("-")[0]

    @property
    def industry_section(self) -> str:
        return section_of(self.industry)


@dataclass(frozen=True)
class _Rules:
    occupation: list[tuple[str, re.Pattern[str]]]
    manufacturing: dict[str, str]
    industry: list[tuple[str, re.Pattern[str]]]
    industry_by_occupation: dict[str, str]


def _alternation(words: list[Any]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(str(w).lower()) for w in sorted(words, key=lambda w: -len(str(w)))))


@functools.cache
def _rules() -> _Rules:
    raw: Any = yaml.safe_load(files("aggregator.market").joinpath("data").joinpath("rules.yaml").read_text("utf-8"))
    return _Rules(
        occupation=[(str(code), _alternation(words)) for code, words in raw["occupation"]],
        manufacturing={str(k): str(v) for k, v in raw["manufacturing_by_industry"].items()},
        industry=[(str(code), _alternation(words)) for code, words in raw["industry"]],
        industry_by_occupation={str(k): str(v) for k, v in raw["industry_by_occupation"].items()},
    )


@functools.cache
def _model(name: str) -> NaiveBayes | None:
    path = files("aggregator.market").joinpath("data").joinpath(f"{name}_nb.json")
    if not path.is_file():
        return None
    return NaiveBayes.from_json(json.loads(path.read_text("utf-8")))


def _first(rules: list[tuple[str, re.Pattern[str]]], text: str | None) -> str | None:
    if not text:
        return None
    low = _norm(text)
    for code, rx in rules:
        if rx.search(low):
            return code
    return None


def rule_occupation(title: str | None) -> str | None:
    """The middle group a title keyword names, or ``None`` (also used to label training data)."""
    return _first(_rules().occupation, title)


def rule_industry(employer: str | None) -> str | None:
    """The division an employer-name keyword names, or ``None``."""
    return _first(_rules().industry, employer)


#: Below this posterior the model's occupation is not trusted over the description rules.
MODEL_CONFIDENCE = 0.5


def classify(title: str | None, employer: str | None = None, description: str | None = None) -> Classification:
    """Code one posting. Never raises on odd text; unknown everything ends in 8-00 / division 82."""
    r = _rules()
    toks = features(title, employer, description)
    industry = rule_industry(employer)
    industry_by = "rule" if industry else ""
    occupation = rule_occupation(title)
    occupation_by = "rule" if occupation else ""
    occ_model = _model("occupation")
    if occupation is None and occ_model is not None and toks:
        guess, p = occ_model.predict(toks)
        if p >= MODEL_CONFIDENCE:
            occupation, occupation_by = guess, "model"
    if occupation is None:
        occupation = _first(r.occupation, description)
        occupation_by = "rule" if occupation else ""
    if occupation is None and occ_model is not None and toks:
        occupation, occupation_by = occ_model.predict(toks)[0], "model"
    if occupation is None:
        occupation, occupation_by = "8-00", "default"
    if industry is None:
        ind_model = _model("industry")
        if ind_model is not None and toks and any(t.startswith("e:") for t in toks):
            guess, p = ind_model.predict(toks)
            if p >= MODEL_CONFIDENCE:
                industry, industry_by = guess, "model"
    if industry is None:
        industry = _first(r.industry, title)
        industry_by = "rule" if industry else ""
    if industry is None:
        industry = r.industry_by_occupation.get(occupation, "41" if occupation.startswith("6-") else "82")
        industry_by = "default"
    if occupation == "6-99" and industry in r.manufacturing:
        occupation = r.manufacturing[industry]
    return Classification(occupation, occupation_by, industry, industry_by)
