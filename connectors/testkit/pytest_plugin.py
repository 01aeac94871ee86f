"""pytest plugin (entry point ``pytest11: lingong``): every recorded fixture case becomes tests.

Any ``fixtures/<source_id>/<case>/meta.json`` that pytest walks over is collected as one node per
case with one test per acceptance check (:data:`connectors.testkit.CHECKS`), e.g.
``fixtures/portal_x/day0/meta.json::expected``. The case is replayed once (lazily, by its first
test) and every check reads the same report. The source is the file ``meta.json`` names in
``source_file``; connectors come from the installed plugins (``LINGONG_LOAD_PLUGINS`` applies).

A plugin package lists its fixtures directory in ``testpaths`` (``lingong connector new`` does).
Nothing is imported from lingong until a case is actually collected, so the plugin costs nothing to
test suites without fixture cases.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from connectors.testkit.kit import CaseReport


def is_case_meta(path: Path) -> bool:
    """``…/fixtures/<source_id>/<case>/meta.json``."""
    return path.name == "meta.json" and len(path.parts) >= 4 and path.parent.parent.parent.name == "fixtures"


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if is_case_meta(file_path):
        node: CaseFile = CaseFile.from_parent(parent, path=file_path)
        return node
    return None


class CheckFailed(Exception):
    """Raised by a :class:`CheckItem` whose acceptance check failed (its message is the check's detail)."""


class CaseFile(pytest.File):
    """One fixture case: one test per acceptance check, sharing one replay."""

    _report: CaseReport | None = None

    def collect(self) -> Iterator[pytest.Item]:
        from connectors.testkit.kit import CHECKS

        for name in CHECKS:
            yield CheckItem.from_parent(self, name=name)

    def report(self) -> CaseReport:
        if self._report is None:
            from connectors.testkit.fixtures import FixtureCase
            from connectors.testkit.kit import run_case

            self._report = run_case(FixtureCase.load(self.path.parent))
        return self._report


class CheckItem(pytest.Item):
    """One acceptance check of one case."""

    def runtest(self) -> None:
        assert isinstance(self.parent, CaseFile)
        result = self.parent.report().checks[self.name]
        if not result.ok:
            raise CheckFailed(result.detail)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CheckFailed):
            return f"acceptance check {self.name!r} failed: {excinfo.value}"
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path.parent.parent.name}/{self.path.parent.name}::{self.name}"
