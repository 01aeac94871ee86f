"""``lingong connector new|test|record`` through the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aggregator.cli import app
from connectors.sandbox import Sandbox
from connectors.testkit import CHECKS, FixtureCase
from connectors.testkit.kit import patched_env
from tests.connectors.test_testkit import expose_plugin

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_SOURCES = ROOT / "connectors" / "samples" / "sources"
runner = CliRunner()


def _cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def test_connector_test_passes_on_a_recorded_sample_and_reports_json() -> None:
    code, out = _cli("connector", "test", "portal_yuegong", "--sources", str(SAMPLE_SOURCES), "--json")
    assert code == 0, out
    [report] = json.loads(out)
    assert report["ok"] and set(report["checks"]) == set(CHECKS)
    assert report["figures"]["change_run"]["incremental"] is True


def test_connector_test_without_fixtures_fails(tmp_path: Path) -> None:
    code, _ = _cli("connector", "test", "portal_yuegong", "--sources", str(SAMPLE_SOURCES),
                   "--fixtures", str(tmp_path))
    assert code == 1
    assert _cli("connector", "test", "no_such_source", "--sources", str(SAMPLE_SOURCES))[0] == 2


def test_record_a_live_source_then_its_change_then_test_it_offline(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    shutil.copy(SAMPLE_SOURCES / "portal_yuegong.yaml", sources)
    with Sandbox(size=60, seed=5) as sb, patched_env(sb.env()):
        code, out = _cli("connector", "record", "portal_yuegong", "--sources", str(sources))
        assert code == 0, out
        sb.advance_day()
        sb.reset_counters()
        code, out = _cli("connector", "record", "portal_yuegong", "--sources", str(sources), "--change")
        assert code == 0, out
        live_requests = sb.site("portal").hits("/")
    case = FixtureCase.load(tmp_path / "fixtures" / "portal_yuegong" / "day0")
    assert case.change is not None and case.change.new + case.change.updated > 0
    assert case.change.requests == live_requests  # everything the live change run sent went through the proxy
    assert "sandbox-secret" not in (case.path / "meta.json").read_text(encoding="utf-8")
    index = json.loads((case.path / "inputs_day1" / "index.json").read_text(encoding="utf-8"))
    assert any("updatedSince=" in e["target"] for e in index)  # the change run was incremental
    # the sandbox is gone: the case replays offline
    code, out = _cli("connector", "test", "portal_yuegong", "--sources", str(sources), "--json")
    assert code == 0, out
    assert json.loads(out)[0]["ok"]


def test_record_needs_the_base_url_in_an_environment_variable(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    text = (SAMPLE_SOURCES / "portal_yuegong.yaml").read_text(encoding="utf-8")
    (sources / "portal_yuegong.yaml").write_text(text.replace("${LINGONG_SANDBOX_PORTAL_URL}", "http://127.0.0.1:9"),
                                                 encoding="utf-8")
    runner_result = runner.invoke(app, ["connector", "record", "portal_yuegong", "--sources", str(sources)])
    assert runner_result.exit_code == 1
    assert "environment variable" in runner_result.output


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["json_api", "feed", "html"])
def test_new_scaffolds_a_package_whose_case_passes(kind: str, tmp_path: Path) -> None:
    code, out = _cli("connector", "new", f"demo_{kind}", "--kind", kind, "--dir", str(tmp_path))
    assert code == 0, out
    root = tmp_path / f"lingong-demo-{kind.replace('_', '-')}"
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert "[project.entry-points.lingong]" in pyproject and f'demo_{kind} = "lingong_demo_{kind}.plugin"' in pyproject
    [meta] = root.glob("fixtures/*/example/meta.json")
    case = FixtureCase.load(meta.parent)
    assert case.change is not None and (case.change.new, case.change.updated) == (1, 1)
    assert len(case.expected()) == 3
    assert _cli("connector", "new", f"demo_{kind}", "--kind", kind, "--dir", str(tmp_path))[0] == 2  # exists


@pytest.mark.slow
def test_a_scaffolded_package_passes_its_own_tests_as_generated(tmp_path: Path) -> None:
    code, out = _cli("connector", "new", "hangzhou", "--kind", "json_api", "--dir", str(tmp_path))
    assert code == 0, out
    root = tmp_path / "lingong-hangzhou"
    expose_plugin(root, tmp_path / "site")
    shutil.rmtree(root / "lingong_hangzhou")  # only the "installed" copy remains importable
    env = {k: v for k, v in os.environ.items() if k != "LINGONG_LOAD_PLUGINS"}
    env.update(PYTHONPATH=str(tmp_path / "site"), PYTHONDONTWRITEBYTECODE="1")
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=root, env=env,
                           capture_output=True, text=True, timeout=300)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert f"{2 + len(CHECKS)} passed" in tests.stdout


def test_new_rejects_a_bad_name_or_kind(tmp_path: Path) -> None:
    assert _cli("connector", "new", "Bad-Name", "--kind", "feed", "--dir", str(tmp_path))[0] == 2
    assert _cli("connector", "new", "fine", "--kind", "soap", "--dir", str(tmp_path))[0] == 2
    assert not list(tmp_path.iterdir())
