"""Would a learned pair decision beat the shipped rules? Leave-one-set-out logistic regression.

    .venv/bin/python bench/dedupe/pair_model.py

For every labelled pair of the five blind-labelled sets (the two relabelled 1dagong sets, dev, dev-2,
final) the pair's features as :func:`aggregator.dedupe.same_job` sees them (title similarity, what the
titles' roles say, text ratio, pay, headcount, contacts, days apart); pairs the hard vetoes refuse
(another city, county, employer, 全职 vs 兼职) count as "different". A logistic regression (numpy,
L2-regularised, gradient descent) is trained on four sets and scored on the fifth, for each set in
turn, at three thresholds, beside the shipped rules on the same pairs. Figures are per labelled pair
(no transitive clustering), so they differ a little from ``evaluate.py``'s.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

import evaluate as ev  # noqa: E402
from rapidfuzz import fuzz  # noqa: E402

from aggregator import dedupe  # noqa: E402
from normalize.roles import same_role  # noqa: E402

SETS = ["1dagong tuned-on, relabelled", "1dagong held-out, relabelled", "realdata dev", "realdata dev-2",
        "realdata final"]
Row = list[float] | None  # None: a hard veto refuses the pair


def _vetoed(a: dedupe.Features, b: dedupe.Features) -> bool:
    return bool((a.city and b.city and a.city != b.city) or (a.county and b.county and a.county != b.county)
                or (a.ekey and b.ekey and a.ekey != b.ekey
                    and (fuzz.ratio(a.ekey, b.ekey) < 90 or dedupe._numbered(a.ekey, b.ekey)))
                or (a.employment and b.employment and (a.employment == "full_time") != (b.employment == "full_time")))


def pair_rows(name: str) -> tuple[list[Row], list[bool], list[bool]]:
    """Feature rows, labels and the shipped rules' decisions for one labelled set's pairs."""
    postings, pairs = ev.labelled_postings(ev.LABELLED_SETS[name])
    by = {p.native_id: p for p in postings}
    feats = {p.native_id: dedupe.features(p) for p in postings}
    rows: list[Row] = []
    labels, rules = [], []
    for a, b, same in pairs:
        fa, fb, pa, pb = feats[a], feats[b], by[a], by[b]
        role = same_role(fa.title_text, fb.title_text, fa.ekey, fb.ekey)
        exact = same_role(fa.title_text, fb.title_text, fa.ekey, fb.ekey, exact=True)
        ts, contained = dedupe.title_similarity(fa.title, fb.title)
        ds = fuzz.ratio(fa.text, fb.text) / 100 if fa.text and fb.text else 0.5
        days = (abs((pa.posted_at - pb.posted_at).total_seconds()) / 86400
                if pa.posted_at and pb.posted_at else 3.0)
        heads = (fa.headcount == fb.headcount) if fa.headcount and fb.headcount else None
        row = [1.0, ts, float(contained), float(role is True), float(role is False), float(role is None),
               float(bool(exact)), ds, float(ds >= 0.9), float(dedupe._pay_conflict(fa, fb)),
               float(dedupe._same_pay(fa, fb) and fa.pay_unit is not None), float(heads is True),
               float(heads is False), math.log1p(days), float(bool(fa.phone and fa.phone == fb.phone)),
               float(bool(fa.phone and fb.phone and fa.phone != fb.phone))]
        rows.append(None if _vetoed(fa, fb) else row)
        labels.append(same)
        rules.append(dedupe.same_job(fa, fb) > 0)
    return rows, labels, rules


def fit(x: list[list[float]], y: list[bool], l2: float = 0.5, steps: int = 3000) -> np.ndarray:
    xs, ys = np.array(x), np.array(y, dtype=float)
    w = np.zeros(xs.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-xs @ w))
        w -= (xs.T @ (p - ys) + l2 * w) / len(ys)
    return w


def score(pred: list[bool], y: list[bool]) -> str:
    tp = sum(p and t for p, t in zip(pred, y, strict=True))
    fp = sum(p and not t for p, t in zip(pred, y, strict=True))
    fn = sum(t and not p for p, t in zip(pred, y, strict=True))
    return f"{tp / (tp + fp) if tp + fp else 1:.2f} / {tp / (tp + fn) if tp + fn else 1:.2f}"


def main() -> None:
    data = {name: pair_rows(name) for name in SETS}
    for test in SETS:
        x = [r for n in SETS if n != test for r, _ in zip(data[n][0], data[n][1], strict=True) if r is not None]
        y = [t for n in SETS if n != test for r, t in zip(data[n][0], data[n][1], strict=True) if r is not None]
        w = fit(x, y)
        rows, labels, rules = data[test]
        learned = {thr: [r is not None and 1 / (1 + math.exp(-float(np.dot(w, r)))) >= thr for r in rows]
                   for thr in (0.5, 0.6, 0.7)}
        print(f"{test:30s} rules {score(rules, labels)}   "
              + "   ".join(f"learned@{thr} {score(p, labels)}" for thr, p in learned.items()))


if __name__ == "__main__":
    main()
