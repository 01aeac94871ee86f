"""Source files: a bad file gets an error naming file, field and reason; the others still load and run."""

from __future__ import annotations

from pathlib import Path

import pytest

from aggregator.errors import SourceFileError
from aggregator.sources import load_source_file, load_sources
from tests.conftest import job, write_ndjson, write_source


def _write(d: Path, name: str, text: str) -> Path:
    p = d / name
    p.write_text(text, encoding="utf-8")
    return p


GOOD = """id: feed_ok
name: 示例
connector: feed
region: "440100"
options: {path: x.csv, format: csv}
mapping: {native_id: 编号, title: 岗位名称}
"""


@pytest.mark.parametrize(("text", "field", "reason"), [
    (GOOD.replace('"440100"', "4401"), "region", "6-digit"),
    (GOOD.replace("id: feed_ok", "id: Feed-OK"), "id", "lower-case"),
    (GOOD.replace("connector: feed\n", ""), "connector", "Field required"),
    (GOOD.replace("title: 岗位名称", "titel: 岗位名称"), "mapping", "unknown canonical field"),
    (GOOD + "trust: 3\n", "trust", "less than or equal to 1"),
    (GOOD + "colour: red\n", "colour", "Extra inputs"),
    (GOOD.replace("id: feed_ok", "id: feed_other"), "id", "must match the file name"),
])
def test_bad_field_is_named(tmp_path: Path, text: str, field: str, reason: str) -> None:
    path = _write(tmp_path, "feed_ok.yaml", text)
    with pytest.raises(SourceFileError) as exc:
        load_source_file(path)
    assert exc.value.path == path
    assert exc.value.field == field
    assert reason in exc.value.reason
    assert str(path) in str(exc.value)


def test_invalid_yaml_reports_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "feed_ok.yaml", GOOD + "mapping: {native_id: [\n")
    with pytest.raises(SourceFileError, match=r"invalid YAML at line \d+"):
        load_source_file(path)


def test_broken_file_does_not_stop_the_others(tmp_path: Path) -> None:
    _write(tmp_path, "feed_ok.yaml", GOOD)
    _write(tmp_path, "feed_bad.yaml", "id: feed_bad\nname: x\n")
    _write(tmp_path, "feed_list.yaml", "- just\n- a list\n")
    loaded = load_sources(tmp_path)
    assert list(loaded.sources) == ["feed_ok"]
    assert sorted(e.path.name for e in loaded.errors) == ["feed_bad.yaml", "feed_list.yaml"]


def test_harvest_runs_good_sources_beside_a_broken_file(open_app, sources_dir: Path, tmp_path: Path) -> None:
    feed = write_ndjson(tmp_path / "a.ndjson", [job(1), job(2)])
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"})
    broken = GOOD.replace("feed_ok", "feed_broken").replace("format: csv", "format: pdf")
    _write(sources_dir, "feed_broken.yaml", broken)
    app = open_app()
    assert [e.path.name for e in app.source_errors()] == []  # the file itself is well-formed
    runs = {r.source_id: r for r in app.harvest(app.select([])[0])}
    assert runs["feed_a"].new == 2
    assert runs["feed_broken"].status == "failed"
    assert "options.format" in (runs["feed_broken"].error or "")


def test_unset_environment_variable_fails_only_that_source(open_app, sources_dir: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINGONG_TEST_UNSET", raising=False)
    write_source(sources_dir, "feed_env", options={"url": "${LINGONG_TEST_UNSET}/x.ndjson", "format": "ndjson"})
    app = open_app()
    (run,) = app.harvest(app.select([])[0])
    assert run.status == "failed"
    assert "LINGONG_TEST_UNSET is not set" in (run.error or "")
