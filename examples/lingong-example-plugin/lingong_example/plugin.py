"""The plugin module (entry point ``lingong.example``): one connector, one employer check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aggregator.hookspecs import hookimpl
from aggregator.schema import Employer, JobPosting
from lingong_example.connector import BoardConnector

#: credit codes a (made-up) market authority has revoked
REVOKED = frozenset({"91440106MA5CXXXX1L"})


@hookimpl
def lingong_register_connectors(register: Callable[[str, Any], None]) -> None:
    register("board", BoardConnector)


@hookimpl
def lingong_verify_employer(employer: Employer, posting: JobPosting) -> dict[str, Any] | None:
    """Revoked codes are invalid; an agency (中介) without a credit code is at most unverified."""
    if employer.uscc and employer.uscc in REVOKED:
        return {"status": "invalid", "reason": "示例插件：统一社会信用代码已被吊销"}
    if employer.name and "中介" in employer.name and not employer.uscc:
        return {"status": "unverified", "reason": "示例插件：中介机构未提供统一社会信用代码"}
    return None
