"""docs/connectors.md: its YAML, Python and TOML examples run here, and the README agrees with it."""

from __future__ import annotations

import re
import tomllib
import types
from pathlib import Path

import yaml
from typer.testing import CliRunner

from aggregator.cli import app
from aggregator.plugins import make_plugins
from aggregator.sources import load_source_file
from connectors.sandbox import Sandbox
from connectors.testkit import find_cases, run_case
from connectors.testkit.kit import patched_env

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "connectors.md").read_text(encoding="utf-8")
EXAMPLE = ROOT / "examples" / "lingong-example-plugin"


def _blocks(lang: str) -> dict[str, str]:
    """Fenced blocks of one language whose first line is a comment naming a file: {file: code}."""
    out = {}
    for body in re.findall(rf"```{lang}\n(.*?)```", DOC, flags=re.S):
        first = body.splitlines()[0]
        if first.startswith("# "):
            out[first[2:].strip()] = body
    return out


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_yaml_only_source_records_and_passes_the_kit(tmp_path: Path) -> None:
    [(name, text)] = _blocks("yaml").items()
    path = tmp_path / name
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    source = load_source_file(path)
    assert source.id == path.stem == "feed_zh_example"
    with Sandbox(size=120, seed=3) as sb:
        env = {"FEED_ZH_EXAMPLE_URL": sb.urls["agencies"]}
        with patched_env(env):
            _cli("connector", "record", source.id, "--sources", str(path.parent))
            sb.advance_day()
            _cli("connector", "record", source.id, "--sources", str(path.parent), "--change")
    assert (tmp_path / "fixtures" / source.id / "day0" / "inputs_day1" / "index.json").is_file()
    assert '"ok": true' in _cli("connector", "test", source.id, "--sources", str(path.parent), "--json")


def test_the_python_plugin_registers_and_passes_the_kit_on_the_example_case() -> None:
    [(name, code)] = _blocks("python").items()
    assert name == "lingong_example/plugin.py"
    module = types.ModuleType("doc_plugin")
    exec(compile(code, "docs/connectors.md", "exec"), module.__dict__)
    plugins = make_plugins(entrypoints=False, extra=[("doc", module)])
    assert plugins.contributed_by["connector:board"] == "doc"
    [case] = find_cases(EXAMPLE / "fixtures")
    report = run_case(case, plugins=plugins)
    assert report.ok, {n: c.detail for n, c in report.checks.items() if not c.ok}
    verdict = module.lingong_verify_employer(employer=types.SimpleNamespace(name="某劳务中介", uscc=None), posting=None)
    assert verdict["status"] == "unverified"


def test_the_toml_matches_the_example_package() -> None:
    [(name, text)] = _blocks("toml").items()
    doc = tomllib.loads(text)
    real = tomllib.loads((EXAMPLE / name).read_text(encoding="utf-8"))
    assert doc["project"]["entry-points"]["lingong"] == real["project"]["entry-points"]["lingong"]
    assert doc["tool"]["pytest"]["ini_options"]["testpaths"] == real["tool"]["pytest"]["ini_options"]["testpaths"]


def test_every_check_the_kit_runs_is_documented() -> None:
    from connectors.testkit import CHECKS

    for check in CHECKS:
        assert f"| `{check}` |" in DOC, check


def test_readme_sections_agree_with_the_guide() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for section in ("## Adding a source", "## Writing a plugin"):
        start = readme.index(section)
        end = readme.find("\n## ", start + 1)
        text = readme[start:end]
        assert "docs/connectors.md" in text, section
        for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.S):
            yaml.safe_load(block)
    assert "lingong connector record" in readme and "lingong connector test" in readme
    assert "lingong connector new" in readme
