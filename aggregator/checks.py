"""Built-in employer checks, registered through ``lingong_verify_employer`` like any plugin.

Here: the 统一社会信用代码 (GB 32100-2015) check digit. The local registry, the blacklist
and the name ↔ code consistency check (:mod:`aggregator.employers`) plug in through the
same hook, as does any third-party registry; :func:`combine` merges the verdicts.
"""

from __future__ import annotations

from typing import Any

import normalize as nz
from aggregator.hookspecs import hookimpl
from aggregator.schema import Employer, JobPosting

#: Gravest first: the combined status is the gravest any check returned.
SEVERITY: dict[str, int] = {"blacklisted": 3, "invalid": 2, "verified": 1, "unverified": 0}


@hookimpl
def lingong_verify_employer(employer: Employer, posting: JobPosting) -> dict[str, Any] | None:
    if not employer.name and not employer.uscc:
        return {"status": "unverified", "reason": "no employer named"}
    if employer.uscc is None:
        return {"status": "unverified", "reason": "no 统一社会信用代码 given"}
    if not nz.validate_uscc(employer.uscc):
        return {"status": "invalid", "reason": f"统一社会信用代码 {employer.uscc} fails the GB 32100-2015 check"}
    return {"status": "unverified", "reason": f"统一社会信用代码 {employer.uscc} passes the GB 32100-2015 check"}


def combine(verdicts: list[dict[str, Any] | None]) -> tuple[str, list[str]]:
    """Gravest status of all verdicts and every reason, in order."""
    status = "unverified"
    reasons: list[str] = []
    for v in verdicts:
        if not v:
            continue
        s = str(v.get("status", "unverified"))
        if s not in SEVERITY:
            raise ValueError(f"unknown employer status {s!r}")
        if SEVERITY[s] > SEVERITY[status]:
            status = s
        if v.get("reason"):
            reasons.append(str(v["reason"]))
    return status, reasons
