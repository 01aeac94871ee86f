"""parse_salary beside jionlp's parse_money on the hand-labelled salary strings: accuracy and speed.

jionlp is not a lingong dependency (218 MB installed); run this file with an interpreter
that has it, e.g. a scratch venv: ``python -m venv /tmp/j && /tmp/j/bin/pip install jionlp``.

    .venv/bin/python bench/normalize/compare_salary.py --impl lingong
    /tmp/j/bin/python bench/normalize/compare_salary.py --impl jionlp

Scores: exact (min, max, unit, negotiable) as in tests/normalize/test_norm_labelled.py, and
(min, max) alone (jionlp reports no pay period nor 面议); ``jionlp-helped`` strips the
period (/月, /天 …) first, since parse_money refuses any string that has one. Speed: strings per second, median
of N passes (lingong's result caches are cleared before each pass).
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "tests" / "normalize" / "data" / "salary_labelled.csv"
Result = tuple[float | None, float | None, str | None, bool]


def _lingong() -> tuple[Callable[[str, str], Result], Callable[[], None]]:
    from normalize import parse_salary
    from normalize.salary import _core, _parse_cached

    def run(text: str, ctx: str) -> Result:
        s = parse_salary(text, ctx or None)
        return (s.min, s.max, s.unit, s.negotiable) if s else (None, None, None, False)

    def clear() -> None:
        _parse_cached.cache_clear()
        _core.cache_clear()

    return run, clear


_PERIOD = re.compile(r"\s*[/／]\s*(?:课时|小时|其他|[月天日年周单次件时节])")


def _jionlp(helped: bool) -> tuple[Callable[[str, str], Result], Callable[[], None]]:
    import jionlp as jio  # type: ignore[import-not-found]

    def run(text: str, ctx: str) -> Result:
        try:
            # helped: drop the pay period (/月 …), which parse_money refuses outright.
            r: Any = jio.parse_money(_PERIOD.sub("", text) if helped else text)
        except Exception:
            return (None, None, None, False)
        num = r.get("num") if isinstance(r, dict) else None
        if isinstance(num, list | tuple):
            lo, hi = float(num[0]), float(num[1])
        elif num is not None:
            lo = hi = float(num)
        else:
            return (None, None, None, False)
        if isinstance(r, dict) and r.get("definition") == "blur+" and lo == hi:
            return (lo, None, None, False)  # 8000以上
        return (lo, hi, None, False)

    return run, lambda: None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", choices=["lingong", "jionlp", "jionlp-helped"], default="lingong")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    run, clear = _lingong() if args.impl == "lingong" else _jionlp(args.impl == "jionlp-helped")
    with DATA.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))

    def num(s: str) -> float | None:
        return float(s) if s else None

    exact = minmax = 0
    for r in rows:
        want = (num(r["min"]), num(r["max"]), r["unit"] or None, r["negotiable"] == "1")
        got = run(r["text"], r["context"])
        exact += got == want
        minmax += got[:2] == want[:2]
    rates = []
    for _ in range(args.runs):
        clear()
        t0 = time.process_time()
        for r in rows:
            run(r["text"], r["context"])
        rates.append(len(rows) / (time.process_time() - t0))
    n = len(rows)
    print(f"{args.impl}: {n} strings; exact (min,max,unit,negotiable) {exact}/{n} = {exact / n:.1%}; "
          f"(min,max) {minmax}/{n} = {minmax / n:.1%}; median {statistics.median(rates):,.0f} strings/s "
          f"of CPU over {args.runs} runs")


if __name__ == "__main__":
    main()
