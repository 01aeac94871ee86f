"""The acceptance kit: the recorded sample cases pass, and a broken connector or case is caught."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from aggregator.plugins import Plugins, make_plugins
from aggregator.sources import load_source_file
from connectors.feed import FeedConnector
from connectors.testkit import CHECKS, FixtureCase, ReplayServer, find_cases, read_inputs, run_case
from connectors.testkit.fixtures import ORIGIN, request_key
from connectors.testkit.pytest_plugin import is_case_meta

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "connectors" / "samples"
EXAMPLE = ROOT / "examples" / "lingong-example-plugin"
CASES = {c.source_id: c for c in find_cases(SAMPLES / "fixtures")}


@pytest.fixture(scope="module")
def builtins() -> Plugins:
    return make_plugins(entrypoints=False)


def test_samples_have_a_case_for_every_connector_kind() -> None:
    kinds = {load_source_file(SAMPLES / "sources" / f"{sid}.yaml").connector for sid in CASES}
    assert kinds == {"html", "json_api", "feed", "jsonld"}
    for case in CASES.values():
        assert case.change is not None and (case.path / "inputs_day1" / "index.json").is_file()
        stored = json.dumps(case.meta, ensure_ascii=False)
        assert "sandbox-secret" not in stored  # secrets never reach a fixture


@pytest.mark.slow
@pytest.mark.parametrize("source_id", sorted(CASES))
def test_recorded_sample_case_passes_every_check(source_id: str, builtins: Plugins) -> None:
    report = run_case(CASES[source_id], plugins=builtins)
    assert set(report.checks) == set(CHECKS)
    assert report.ok, {n: c.detail for n, c in report.checks.items() if not c.ok}
    change = report.figures["change_run"]
    assert change["incremental"]  # every built-in connector keeps a cursor
    if CASES[source_id].source_id.startswith("feed_"):
        # a feed is one document: changed, it comes again whole (a conditional GET, no extra request)
        assert change["requests"] <= report.figures["first_run"]["requests"]
        assert change["closed"] == 0 and change["new"] + change["updated"] > 0
    else:  # the portal, html and jsonld: the day-1 run asks only for what changed
        assert change["requests"] < report.figures["first_run"]["requests"]
        assert change["unchanged"] == 0 and change["fetched"] == change["new"] + change["updated"]


def _copy_case(tmp: Path, source_id: str) -> FixtureCase:
    """The case and its source file, copied so a test may break them."""
    case = CASES[source_id]
    dest = tmp / "fixtures" / source_id / case.name
    shutil.copytree(case.path, dest)
    (tmp / "sources").mkdir(exist_ok=True)
    shutil.copy(SAMPLES / "sources" / f"{source_id}.yaml", tmp / "sources" / f"{source_id}.yaml")
    return FixtureCase.load(dest)


def test_a_changed_expectation_and_a_coverage_shortfall_are_caught(tmp_path: Path, builtins: Plugins) -> None:
    case = _copy_case(tmp_path, "feed_gz_labour")
    lines = case.expected_path.read_text(encoding="utf-8").splitlines()
    first, second = json.loads(lines[0]), json.loads(lines[1])
    second["title"] = "改过的标题"
    case.expected_path.write_text("\n".join([json.dumps(second, ensure_ascii=False), *lines[2:]]) + "\n",
                                  encoding="utf-8")
    case.coverage["phone"] = 1.01
    case.save_meta()
    report = run_case(FixtureCase.load(case.path), plugins=builtins)
    failed = {n for n, c in report.checks.items() if not c.ok}
    assert failed == {"expected", "coverage"}
    detail = report.checks["expected"].detail
    assert f"extra posting:{first['id']}" in detail and "改过的标题" in detail
    assert "phone" in report.checks["coverage"].detail


def test_a_request_the_recording_never_saw_fails_the_case(tmp_path: Path, builtins: Plugins) -> None:
    case = _copy_case(tmp_path, "feed_gz_labour")
    index = case.inputs / "index.json"
    entries = [e for e in json.loads(index.read_text(encoding="utf-8")) if not e["target"].endswith(".csv")]
    index.write_text(json.dumps(entries), encoding="utf-8")
    report = run_case(case, plugins=builtins)
    assert not report.checks["records"].ok and "404" in report.checks["records"].detail
    assert all(not c.ok and "not run" in c.detail for n, c in report.checks.items() if n not in ("config", "records"))


class _UnstableIds(FeedConnector):
    """A connector bug: the native id changes from run to run."""

    runs = 0

    def map_fields(self, payload: Mapping[str, Any]) -> dict[str, str | None]:
        fields = super().map_fields(payload)
        fields["native_id"] = f"{fields['native_id']}-{_UnstableIds.runs}"
        return fields

    def harvest(self, cursor: dict[str, Any] | None) -> Any:
        _UnstableIds.runs += 1
        return super().harvest(cursor)


class _UnstablePlugin:
    from aggregator.hookspecs import hookimpl

    @staticmethod
    @hookimpl
    def lingong_register_connectors(register: Any) -> None:
        register("unstable_feed", _UnstableIds)


def test_unstable_ids_are_not_idempotent(tmp_path: Path) -> None:
    case = _copy_case(tmp_path, "feed_gz_labour")
    src = tmp_path / "sources" / "feed_gz_labour.yaml"
    src.write_text(src.read_text(encoding="utf-8").replace("connector: feed", "connector: unstable_feed"),
                   encoding="utf-8")
    plugins = make_plugins(entrypoints=False, extra=[("unstable", _UnstablePlugin())])
    report = run_case(case, source=load_source_file(src), plugins=plugins)
    assert report.checks["records"].ok and report.checks["config"].ok
    assert not report.checks["idempotent"].ok and not report.checks["ids_stable"].ok
    assert not report.checks["expected"].ok


def test_replay_server_matches_queries_however_encoded_and_puts_its_origin_back() -> None:
    exchanges = read_inputs(CASES["portal_yuegong"].inputs)
    with ReplayServer(exchanges) as server:
        import httpx

        jobs = httpx.get(server.url + "/api/v1/jobs", params={"size": "100", "page": "1"})
        assert jobs.status_code == 200 and ORIGIN not in jobs.text and server.url in jobs.text
        assert httpx.get(server.url + "/api/v1/jobs?page=9&size=100").status_code == 404
        assert server.misses == ["GET /api/v1/jobs?page=9&size=100"]
    assert request_key("GET", "/a?x=1+2&b=") == request_key("get", "/a?b=&x=1%202")


def test_pytest_plugin_collects_case_directories_only() -> None:
    assert is_case_meta(Path("pkg/fixtures/feed_x/day0/meta.json"))
    assert not is_case_meta(Path("pkg/tests/data/meta.json"))
    assert not is_case_meta(Path("pkg/fixtures/feed_x/day0/inputs/index.json"))


def expose_plugin(pkg: Path, site: Path) -> None:
    """Make a plugin package importable from ``site`` with its entry points, as an install would.

    Writes ``<dist>.dist-info`` (METADATA + entry_points.txt from the package's pyproject.toml) next
    to a copy of its modules, so ``importlib.metadata`` finds the ``lingong`` entry point: what
    ``pip install`` leaves behind, without building a wheel (no network, no build backend).
    """
    import tomllib

    project = tomllib.loads((pkg / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    site.mkdir(parents=True, exist_ok=True)
    for module in tomllib.loads((pkg / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]:
        shutil.copytree(pkg / module, site / module, ignore=shutil.ignore_patterns("__pycache__"))
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n",
                                   encoding="utf-8")
    groups = project.get("entry-points", {})
    (info / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) for group, eps in groups.items()),
        encoding="utf-8")


@pytest.mark.slow
def test_example_plugin_is_found_by_its_entry_point_and_its_own_tests_pass(tmp_path: Path) -> None:
    """The example, installed by path with its entry point (found by lingong: LINGONG_LOAD_PLUGINS unset); its
    pytest run collects fixtures/ through the kit's pytest11 plugin."""
    pkg = tmp_path / "pkg"
    shutil.copytree(EXAMPLE, pkg, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "lingong_*"))
    site = tmp_path / "site"
    expose_plugin(EXAMPLE, site)
    env = {k: v for k, v in os.environ.items() if k != "LINGONG_LOAD_PLUGINS"}
    env.update(PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE="1")
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=pkg, env=env,
                           capture_output=True, text=True, timeout=300)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert f"{2 + len(CHECKS)} passed" in tests.stdout  # two unit tests + one test per acceptance check
