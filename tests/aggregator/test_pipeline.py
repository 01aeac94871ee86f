"""The pipeline end to end over real feeds: idempotency, quarantine, closures, failing sources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aggregator.schema import JobPosting
from search.base import SearchQuery
from tests.conftest import job, write_ndjson, write_source


def _harvest(app: Any, *ids: str) -> dict[str, Any]:
    runs = app.harvest(app.select(ids)[0])
    app.sync()
    return {r.source_id: r for r in runs}


def test_second_harvest_of_unchanged_sources_creates_and_updates_nothing(open_app, sources_dir, tmp_path):
    write_source(sources_dir, "feed_a", options={"path": str(write_ndjson(tmp_path / "a.ndjson",
                                                                          [job(i) for i in range(30)])),
                                                 "format": "ndjson"})
    app = open_app()
    first = _harvest(app)["feed_a"]
    assert (first.status, first.fetched, first.new, first.updated, first.unchanged) == ("ok", 30, 30, 0, 0)
    second = _harvest(app)["feed_a"]
    assert (second.status, second.fetched, second.new, second.updated, second.unchanged) == ("ok", 30, 0, 0, 30)
    assert app.catalog.counts()["outbox"] == 0
    assert app.backend.count() == 30


def test_changed_record_is_updated_and_reindexed(open_app, sources_dir, tmp_path):
    feed = tmp_path / "a.ndjson"
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"})
    write_ndjson(feed, [job(i) for i in range(5)])
    app = open_app()
    _harvest(app)
    write_ndjson(feed, [job(i) for i in range(4)] + [job(4, pay="260元/天")])
    run = _harvest(app)["feed_a"]
    assert (run.new, run.updated, run.unchanged) == (0, 1, 4)
    posting = app.catalog.get_posting(JobPosting.make_id("feed_a", "J0004"))
    assert posting is not None and posting.salary is not None and posting.salary.min == 260
    hit = app.search(SearchQuery(q="4号仓")).items
    assert [h["native_id"] for h in hit] == ["J0004"]
    assert hit[0]["salary"]["min"] == 260


def test_malformed_records_are_quarantined_and_the_rest_stored(open_app, sources_dir, tmp_path):
    records = [job(i) for i in range(10)] + [job(10, jobTitle="  "), {**job(11), "id": ""}]
    feed = write_ndjson(tmp_path / "a.ndjson", records, extra_lines=['{"id": "J9999", "jobTitle": "搬运工'])
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"})
    app = open_app()
    run = _harvest(app)["feed_a"]
    assert (run.status, run.fetched, run.new, run.quarantined) == ("ok", 13, 10, 3)
    q = {r["reason_code"]: r for r in app.catalog.quarantined("feed_a")}
    assert set(q) == {"missing_title", "missing_native_id", "invalid_json"}
    assert q["missing_title"]["native_id"] == "J0010"
    assert "jobTitle" in q["missing_title"]["reason"]
    assert json.loads(q["missing_title"]["payload"])["company"] == "广州市白云区示例物流有限公司"
    assert "line 13" in q["invalid_json"]["locator"]
    assert q["invalid_json"]["payload"].startswith('{"id": "J9999"')
    # re-running keeps one quarantine entry per bad record, and still counts them
    again = _harvest(app)["feed_a"]
    assert (again.new, again.updated, again.quarantined) == (0, 0, 3)
    assert len(app.catalog.quarantined("feed_a")) == 3


def test_fixed_record_leaves_quarantine(open_app, sources_dir, tmp_path):
    feed = tmp_path / "a.ndjson"
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"})
    write_ndjson(feed, [job(1), job(2, jobTitle="")])
    app = open_app()
    _harvest(app)
    assert [r["native_id"] for r in app.catalog.quarantined()] == ["J0002"]
    write_ndjson(feed, [job(1), job(2, jobTitle="装卸工")])
    run = _harvest(app)["feed_a"]
    assert (run.new, run.quarantined) == (1, 0)
    assert app.catalog.quarantined() == []


def test_full_harvest_closes_what_the_source_no_longer_lists_and_reopens_it(open_app, sources_dir, tmp_path):
    feed = tmp_path / "a.ndjson"
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"})
    write_ndjson(feed, [job(i) for i in range(6)])
    app = open_app()
    _harvest(app)
    write_ndjson(feed, [job(i) for i in range(4)])
    run = _harvest(app)["feed_a"]
    assert run.closed == 2
    assert app.backend.count() == 4
    assert app.catalog.get_posting(JobPosting.make_id("feed_a", "J0005")).status == "closed"  # type: ignore[union-attr]
    write_ndjson(feed, [job(i) for i in range(6)])
    run = _harvest(app)["feed_a"]
    assert (run.new, run.updated, run.closed) == (0, 2, 0)
    assert app.backend.count() == 6


def test_failing_source_closes_nothing_and_others_still_run(open_app, sources_dir, tmp_path):
    good = write_ndjson(tmp_path / "good.ndjson", [job(i) for i in range(3)])
    flaky = tmp_path / "flaky.ndjson"
    write_ndjson(flaky, [job(i, jobTitle=f"保洁员{i}") for i in range(3)])
    write_source(sources_dir, "feed_flaky", options={"path": str(flaky), "format": "ndjson"})
    write_source(sources_dir, "feed_good", options={"path": str(good), "format": "ndjson"})
    app = open_app()
    _harvest(app)
    flaky.unlink()  # the source disappears: the run fails, its postings stay open
    runs = _harvest(app)
    assert runs["feed_flaky"].status == "failed"
    assert "cannot open feed" in (runs["feed_flaky"].error or "")
    assert runs["feed_flaky"].closed == 0
    assert (runs["feed_good"].status, runs["feed_good"].unchanged) == ("ok", 3)
    assert app.catalog.counts()["open"] == 6


def test_cross_posted_job_is_one_search_result_with_both_sources(open_app, sources_dir, tmp_path):
    a = write_ndjson(tmp_path / "a.ndjson", [job(1)])
    b = write_ndjson(tmp_path / "b.ndjson", [job(77, id="B-77", jobTitle="【急招】仓库分拣员（1号仓）",
                                                    company="广州市白云区示例物流有限责任公司", pay="日薪200元")])
    write_source(sources_dir, "county_baiyun", options={"path": str(a), "format": "ndjson"}, trust=0.9)
    write_source(sources_dir, "feed_agency", options={"path": str(b), "format": "ndjson"}, trust=0.4)
    app = open_app()
    _harvest(app)
    counts = app.catalog.counts()
    assert (counts["open"], counts["clusters"]) == (2, 1)
    result = app.search(SearchQuery(q="分拣员"))
    assert result.total == 1
    item = result.items[0]
    assert item["source_id"] == "county_baiyun"  # the more trusted source is canonical
    assert [o["source_id"] for o in item["other_sources"]] == ["feed_agency"]
    ids = {p.cluster_id for p in app.catalog.iter_postings()}
    assert len(ids) == 1


def test_public_index_masks_phones_and_contact_names(open_app, sources_dir, tmp_path):
    feed = write_ndjson(tmp_path / "a.ndjson", [job(1, contactName="陈小明",
                                                    detail="请联系陈小明，电话 138-0013-8000 或 020-83456789")])
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"})
    app = open_app()
    _harvest(app)
    doc = app.search(SearchQuery()).items[0]
    blob = json.dumps(doc, ensure_ascii=False)
    assert "13800138000" not in blob and "138-0013-8000" not in blob and "83456789" not in blob
    assert "陈小明" not in blob
    assert doc["contact"]["phone"] == "138****8000"
    assert doc["contact"]["name"] == "陈**"
    # the catalog, the private record of truth, keeps the real values
    posting = app.catalog.get_posting(JobPosting.make_id("feed_a", "J0001"))
    assert posting is not None and posting.contact.phone == "13800138000"


def test_index_outage_keeps_the_outbox_until_the_next_sync(open_app, sources_dir, tmp_path):
    feed = write_ndjson(tmp_path / "a.ndjson", [job(i) for i in range(8)])
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"})
    app = open_app()
    app.harvest(app.select([])[0])
    assert app.catalog.counts()["outbox"] == 8

    class Down:
        name = "down"

        def upsert(self, docs: Any) -> None:
            from aggregator.errors import BackendUnavailableError
            raise BackendUnavailableError("engine unreachable")

        delete = upsert

    import pytest

    from aggregator.errors import BackendUnavailableError
    from aggregator.indexing import sync_index
    with pytest.raises(BackendUnavailableError):
        sync_index(app.catalog, Down())  # type: ignore[arg-type]
    assert app.catalog.counts()["outbox"] == 8
    assert app.sync() == 8
    assert app.backend.count() == 8
    assert app.catalog.counts()["outbox"] == 0


def test_relative_feed_path_is_relative_to_the_source_file(open_app, sources_dir: Path):
    write_ndjson(sources_dir / "data.ndjson", [job(1)])
    write_source(sources_dir, "feed_rel", options={"path": "data.ndjson", "format": "ndjson"})
    app = open_app()
    assert _harvest(app)["feed_rel"].new == 1
