"""The connector acceptance kit: recorded fixture cases, replayed offline through the real pipeline.

``lingong connector test SOURCE_ID`` and the pytest plugin (:mod:`connectors.testkit.pytest_plugin`,
registered as the ``pytest11`` entry point ``lingong``) both run :func:`run_case` on every case of
``fixtures/<source_id>/<case>/``; ``lingong connector record`` makes cases with :func:`record_case`.
See ``docs/connectors.md``.
"""

from connectors.testkit.fixtures import ORIGIN, Change, Exchange, FixtureCase, find_cases, read_inputs, write_inputs
from connectors.testkit.kit import (
    CHECKS,
    REQUIRED_FIELDS,
    CaseReport,
    CheckResult,
    bless_case,
    load_case_source,
    record_case,
    run_case,
)
from connectors.testkit.servers import RecordingProxy, ReplayServer

__all__ = ["CHECKS", "ORIGIN", "REQUIRED_FIELDS", "CaseReport", "Change", "CheckResult", "Exchange", "FixtureCase",
           "RecordingProxy", "ReplayServer", "bless_case", "find_cases", "load_case_source", "read_inputs",
           "record_case", "run_case", "write_inputs"]
