"""``lingong dedupe explain``: the rule that decides a pair, the fields it read, contacts masked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from aggregator.cli import app as cli_app
from aggregator.schema import JobPosting
from tests.conftest import job, write_ndjson, write_source


def _harvest(open_app: Any, sources_dir: Path, tmp_path: Path) -> None:
    county = [job(1), job(2, jobTitle="叉车司机", detail="驾驶叉车装卸货物，需持证，联系电话13800138000")]
    agency = [job(1, id="B0001", jobTitle="【急招】仓库分拣员（1号仓）", company="广州市白云区示例物流有限责任公司",
                  creditCode="", pay="日薪200", tel="138-0013-8000", publishTime="2026-11-02",
                  detail="负责快递分拣，日结")]
    write_source(sources_dir, "feed_county", options={"path": str(write_ndjson(tmp_path / "a.ndjson", county)),
                                                      "format": "ndjson"}, trust=0.9)
    write_source(sources_dir, "feed_agency", options={"path": str(write_ndjson(tmp_path / "b.ndjson", agency)),
                                                      "format": "ndjson"}, trust=0.4)
    app = open_app()
    app.harvest(app.select([])[0])
    app.close()


def _explain(sources_dir: Path, *refs: str) -> Any:
    return CliRunner().invoke(cli_app, ["dedupe", "explain", *refs, "--sources", str(sources_dir), "--json"])


def test_explain_says_which_rule_merged_a_cross_post_and_which_split_two_roles(
        open_app, sources_dir: Path, tmp_path: Path) -> None:
    _harvest(open_app, sources_dir, tmp_path)
    res = _explain(sources_dir, "feed_county/J0001", JobPosting.make_id("feed_agency", "B0001"))
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["same_job"] is True and report["same_cluster"] is True and report["rule"] == "similar"
    county, agency = report["postings"]
    assert county["cluster_id"] == agency["cluster_id"] is not None
    assert county["pay"] == {"min": 200.0, "max": 200.0, "unit": "day"} and agency["native_id"] == "B0001"
    assert "13800138000" not in res.stdout and county["phone"] is not None  # contacts masked

    two = json.loads(_explain(sources_dir, "feed_county/J0001", "feed_county/J0002").stdout)
    assert two["same_job"] is False and two["rule"] == "roles" and two["same_cluster"] is False
    assert "two roles" in two["reason"]


def test_explain_prints_a_table_and_refuses_an_unknown_posting(open_app, sources_dir: Path, tmp_path: Path) -> None:
    _harvest(open_app, sources_dir, tmp_path)
    table = CliRunner().invoke(cli_app, ["dedupe", "explain", "feed_county/J0001", "feed_agency/B0001",
                                         "--sources", str(sources_dir)])
    assert table.exit_code == 0, table.output
    assert "one job" in table.stdout and "similar" in table.stdout and "200 /day" in table.stdout
    missing = _explain(sources_dir, "feed_county/J0001", "feed_county/NOPE")
    assert missing.exit_code == 2
    assert "no posting 'feed_county/NOPE'" in missing.output
