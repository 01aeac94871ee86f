"""The lingong command line, as users and scripts call it."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aggregator.cli import app
from tests.conftest import job, write_ndjson, write_source

runner = CliRunner()


def _cli(*args: str) -> Any:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result


@pytest.fixture
def harvested(sources_dir: Path, tmp_path: Path) -> Path:
    a = write_ndjson(tmp_path / "a.ndjson", [job(i) for i in range(5)] + [job(9, jobTitle="")])
    b = write_ndjson(tmp_path / "b.ndjson", [
        job(1, id="B1", jobTitle="【急招】仓库分拣员（1号仓）", tel="020-83456789"),
        job(2, id="B2", jobTitle="家政保洁员", workPlace="深圳市南山区"),
    ])
    write_source(sources_dir, "feed_a", options={"path": str(a), "format": "ndjson"}, trust=0.8)
    write_source(sources_dir, "feed_b", options={"path": str(b), "format": "ndjson"}, region="440300")
    result = _cli("harvest", "--sources", str(sources_dir), "--json")
    assert result.exit_code == 0, result.output
    return sources_dir


def test_harvest_json_reports_each_run(harvested: Path) -> None:
    result = _cli("runs", "--sources", str(harvested), "--json")
    rows = json.loads(result.stdout)
    by_source = {r["source_id"]: r for r in rows}
    assert set(by_source) == {"feed_a", "feed_b"}
    assert {k: by_source["feed_a"][k] for k in ("status", "fetched", "new", "quarantined")} == {
        "status": "ok", "fetched": 6, "new": 5, "quarantined": 1}
    for key in ("source_id", "started_at", "status", "fetched", "new", "updated", "unchanged", "closed",
                "quarantined"):
        assert key in rows[0]


def test_search_json_shape_and_region_filter(harvested: Path) -> None:
    result = _cli("search", "保洁", "--sources", str(harvested), "--json")
    data = json.loads(result.stdout)
    assert set(data) == {"total", "items", "facets"}
    assert data["total"] == 1 and data["items"][0]["title"] == "家政保洁员"
    gz = json.loads(_cli("search", "--region", "440100", "--sources", str(harvested), "--json").stdout)
    assert gz["total"] == 5  # 5 distinct Guangzhou jobs; B1 merged into A's J0001
    assert all(i["location"]["code"].startswith("4401") for i in gz["items"])
    merged = next(i for i in gz["items"] if i["native_id"] == "J0001")
    assert [o["source_id"] for o in merged["other_sources"]] == ["feed_b"]
    province = json.loads(_cli("search", "--region", "440000", "--sources", str(harvested), "--json").stdout)
    assert province["total"] == 6
    assert sum(province["facets"]["region"].values()) == 6


def test_search_rejects_a_bad_region_code(harvested: Path) -> None:
    result = _cli("search", "x", "--region", "44", "--sources", str(harvested))
    assert result.exit_code == 2
    assert "region" in result.stderr


def test_export_ndjson_has_the_contract_fields_and_masks_contacts(harvested: Path, tmp_path: Path) -> None:
    out = tmp_path / "export.ndjson"
    result = _cli("export", "--format", "ndjson", "--out", str(out), "--sources", str(harvested))
    assert result.exit_code == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 7
    for row in rows:
        for key in ("id", "cluster_id", "source_id", "native_id", "url", "title", "status", "posted_at"):
            assert key in row
        assert {"name", "uscc", "verification"} <= set(row["employer"])
        assert {"code", "province", "city", "county", "lat", "lon"} <= set(row["location"])
    text = out.read_text(encoding="utf-8")
    assert "13800138000" not in text and "83456789" not in text
    clusters = {r["native_id"]: r["cluster_id"] for r in rows}
    assert clusters["J0001"] == clusters["B1"]


def test_export_jsonld(harvested: Path) -> None:
    result = _cli("export", "--format", "jsonld", "--sources", str(harvested))
    first = json.loads(result.stdout.splitlines()[0])
    assert first["@type"] == "JobPosting" and first["@context"] == "https://schema.org/"
    assert first["hiringOrganization"]["name"]


def test_sources_lists_last_status_and_broken_files(harvested: Path) -> None:
    (harvested / "feed_broken.yaml").write_text("id: feed_broken\nconnector: feed\n", encoding="utf-8")
    rows = json.loads(_cli("sources", "--sources", str(harvested), "--json").stdout)
    by_id = {r["id"]: r for r in rows}
    assert by_id["feed_a"]["connector"] == "feed" and by_id["feed_a"]["last_status"] == "ok"
    assert by_id["feed_broken"]["last_status"] == "invalid"
    assert "feed_broken.yaml" in by_id["feed_broken"]["error"] and "name" in by_id["feed_broken"]["error"]


def test_harvest_exits_1_when_a_source_fails_but_runs_the_rest(harvested: Path, tmp_path: Path) -> None:
    write_source(harvested, "feed_gone", options={"path": str(tmp_path / "missing.ndjson"), "format": "ndjson"})
    result = _cli("harvest", "--sources", str(harvested), "--json")
    assert result.exit_code == 1
    runs = {r["source_id"]: r for r in json.loads(result.stdout)}
    assert runs["feed_gone"]["status"] == "failed" and runs["feed_a"]["status"] == "ok"


def test_quarantine_list(harvested: Path) -> None:
    rows = json.loads(_cli("quarantine", "list", "--sources", str(harvested), "--json").stdout)
    assert [(r["source_id"], r["native_id"], r["reason_code"]) for r in rows] == [("feed_a", "J0009", "missing_title")]


def test_unknown_source_id_is_reported(harvested: Path) -> None:
    result = _cli("harvest", "feed_nope", "--sources", str(harvested))
    assert result.exit_code == 1
    assert "unknown source 'feed_nope'" in result.stderr


def _sandbox_port(stderr: str) -> int:
    m = re.search(r"sandbox province on\s+http://127\.0\.0\.1:(\d+)", stderr)
    assert m, stderr
    return int(m.group(1))


@pytest.mark.slow
def test_demo_end_to_end_twice(_isolated_home: Path) -> None:
    """The README's first command: a fresh home, then a second run that finds nothing new.

    The demo's sandbox takes free ports: the second run gets other ones (the first run's main port is
    held meanwhile, so it must), and still nothing is new or updated."""
    cmd = [sys.executable, "-m", "aggregator", "demo", "--json"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=os.environ.copy())
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert len(data["runs"]) >= 2 and all(r["status"] == "ok" for r in data["runs"])
    assert sum(r["new"] for r in data["runs"]) > 100
    assert data["duplicates_merged"] >= 20
    assert data["catalog"]["quarantined"] >= 3
    sources_seen = {i["source_id"] for r in data["searches"].values() for i in r["items"]}
    sources_seen |= {o["source_id"] for r in data["searches"].values() for i in r["items"]
                     for o in i["other_sources"]}
    assert len(sources_seen) >= 2
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", _sandbox_port(first.stderr)))
        taken.listen()
        second = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=os.environ.copy())
    assert second.returncode == 0, second.stderr
    assert _sandbox_port(second.stderr) != _sandbox_port(first.stderr)
    again = json.loads(second.stdout)
    assert [(r["new"], r["updated"]) for r in again["runs"]] == [(0, 0)] * len(again["runs"])
    assert again["catalog"] == data["catalog"]


def test_reindex_rebuilds_the_same_index_from_the_catalog(harvested: Path) -> None:
    before = json.loads(_cli("search", "--region", "440000", "--sources", str(harvested), "--json").stdout)
    result = _cli("reindex", "--sources", str(harvested))
    assert result.exit_code == 0
    assert "reindexed 6 clusters" in result.stderr
    after = json.loads(_cli("search", "--region", "440000", "--sources", str(harvested), "--json").stdout)
    assert after["total"] == before["total"] == 6
    assert sorted(i["cluster_id"] for i in after["items"]) == sorted(i["cluster_id"] for i in before["items"])
