"""Quarantine replay: after a fix, quarantined records become postings without a new harvest."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from aggregator.cli import app
from search.base import SearchQuery
from tests.conftest import FEED_MAPPING, job, write_ndjson, write_source

runner = CliRunner()


def test_replay_after_a_mapping_fix_without_harvesting(open_app, sources_dir: Path, tmp_path: Path) -> None:
    feed = write_ndjson(tmp_path / "a.ndjson", [job(i) for i in range(4)])
    wrong = {**FEED_MAPPING, "title": "jobName"}  # the author mistyped the title column
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"}, mapping=wrong)
    result = runner.invoke(app, ["harvest", "--sources", str(sources_dir), "--json"])
    assert json.loads(result.stdout)[0]["quarantined"] == 4
    feed.unlink()  # the source is gone: replay must not need it
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"})  # the fix
    result = runner.invoke(app, ["quarantine", "replay", "--sources", str(sources_dir), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["still_quarantined"] == 0
    assert [(r["source_id"], r["fetched"], r["new"], r["quarantined"]) for r in data["runs"]] == [
        ("feed_a", 4, 4, 0)]
    a = open_app()
    assert a.search(SearchQuery(q="分拣员")).total == 4
    assert [r.mode for r in a.catalog.runs("feed_a")] == ["replay", "full"]
    # a later harvest of the unchanged source finds them unchanged: nothing is done twice
    write_ndjson(feed, [job(i) for i in range(4)])
    (run,) = a.harvest(a.select([])[0])
    assert (run.new, run.updated, run.unchanged, run.quarantined) == (0, 0, 4, 0)


def test_replay_keeps_what_is_still_bad_and_skips_unreadable_records(open_app, sources_dir: Path,
                                                                     tmp_path: Path) -> None:
    feed = write_ndjson(tmp_path / "a.ndjson", [job(1), job(2, jobTitle="")], extra_lines=["{not json"])
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"})
    a = open_app()
    a.harvest(a.select([])[0])
    assert len(a.catalog.quarantined()) == 2
    (run,) = a.replay_quarantine(a.select([])[0])
    assert (run.status, run.fetched, run.new, run.quarantined) == ("ok", 1, 0, 1)
    assert sorted(r["reason_code"] for r in a.catalog.quarantined()) == ["invalid_json", "missing_title"]
