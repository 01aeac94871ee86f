"""Unit tests of the example plugin; fixtures/ is collected by lingong's pytest plugin (the acceptance kit)."""

from __future__ import annotations

from datetime import UTC, datetime

from lingong_example import BoardConnector, plugin

from aggregator.plugins import make_plugins
from aggregator.schema import Employer, JobPosting, Provenance


def _posting(employer: Employer) -> JobPosting:
    prov = Provenance(source_id="s", native_id="1", connector="board", fetched_at=datetime.now(UTC),
                      content_hash="h")
    return JobPosting(id="p", source_id="s", native_id="1", title="保洁员", employer=employer, provenance=prov)


def test_the_plugin_registers_the_board_connector() -> None:
    plugins = make_plugins(entrypoints=False, extra=[("example", plugin)])
    assert plugins.connector("board") is BoardConnector


def test_verify_employer() -> None:
    revoked = Employer(name="广州某公司", uscc="91440106MA5CXXXX1L")
    agency = Employer(name="天河某劳务中介")
    fine = Employer(name="广州示例物业管理有限公司", uscc="91440106MA5C000001")
    assert plugin.lingong_verify_employer(employer=revoked, posting=_posting(revoked))["status"] == "invalid"
    assert plugin.lingong_verify_employer(employer=agency, posting=_posting(agency))["status"] == "unverified"
    assert plugin.lingong_verify_employer(employer=fine, posting=_posting(fine)) is None
