"""The feed connector against real files and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import socket
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from aggregator.errors import HarvestError, TransientHarvestError
from aggregator.schema import RawPosting, RejectedRecord, SourceDefinition
from connectors.feed import FeedConnector, FeedOptions

CSV_MAPPING = {"native_id": "编号", "title": "岗位名称", "employer": "用工单位", "salary": "薪资待遇",
               "address": "工作地点", "description": "岗位描述"}
ROWS = [
    {"编号": "A1", "岗位名称": "普工（日结）", "用工单位": "广州市番禺区某电子厂", "薪资待遇": "180元/天",
     "工作地点": "广州市番禺区石基镇", "岗位描述": "流水线作业，\n包吃住，"},
    {"编号": "A2", "岗位名称": "保洁员", "用工单位": "广州某物业管理有限公司", "薪资待遇": "3500-4500",
     "工作地点": "天河区珠江新城", "岗位描述": "写字楼保洁" * 20000},  # a field larger than one read chunk
]


def _csv_bytes(rows: list[dict[str, str]], encoding: str) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def _connector(tmp_path: Path, options: dict[str, Any], mapping: dict[str, str] | None = None) -> FeedConnector:
    source = SourceDefinition(id="feed_test", name="t", connector="feed", region="440100",
                              mapping=mapping or CSV_MAPPING, options=options, path=tmp_path / "feed_test.yaml")
    return FeedConnector(source, FeedOptions.model_validate(options), user_agent="lingong-test")


def _records(conn: FeedConnector) -> list[RawPosting | RejectedRecord]:
    try:
        return list(conn.harvest(None))
    finally:
        conn.close()


def test_gb18030_csv_from_a_path_with_declared_encoding(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(_csv_bytes(ROWS, "gb18030"))
    recs = _records(_connector(tmp_path, {"path": "a.csv", "format": "csv", "encoding": "gb18030"}))
    assert [r.native_id for r in recs if isinstance(r, RawPosting)] == ["A1", "A2"]
    first = recs[0]
    assert isinstance(first, RawPosting)
    assert first.fields["title"] == "普工（日结）"
    assert first.fields["description"] == "流水线作业，\n包吃住，"
    assert first.payload["工作地点"] == "广州市番禺区石基镇"


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8", "utf-8-sig"])
def test_encoding_is_detected_over_http(feed_server: Any, tmp_path: Path, encoding: str) -> None:
    sandbox, served = feed_server
    (served / "a.csv").write_bytes(_csv_bytes(ROWS, encoding))
    recs = _records(_connector(tmp_path, {"url": f"{sandbox.url}/feeds/a.csv", "format": "csv"}))
    raws = [r for r in recs if isinstance(r, RawPosting)]
    assert [r.fields["title"] for r in raws] == ["普工（日结）", "保洁员"]
    assert raws[1].fields["description"] == "写字楼保洁" * 20000


def test_ndjson_over_http_with_a_broken_line(feed_server: Any, tmp_path: Path) -> None:
    sandbox, served = feed_server
    body = '{"id": 1, "t": "搬运工"}\n\n[1, 2]\n{"id": 2, "t": "装卸\n{"id": 3, "t": "理货员"}\n'
    (served / "b.ndjson").write_text(body, encoding="utf-8")
    conn = _connector(tmp_path, {"url": f"{sandbox.url}/feeds/b.ndjson", "format": "ndjson"},
                      mapping={"native_id": "id", "title": "t"})
    recs = _records(conn)
    assert [(type(r).__name__, getattr(r, "native_id", None) or getattr(r, "reason_code", None)) for r in recs] == [
        ("RawPosting", "1"), ("RejectedRecord", "not_an_object"), ("RejectedRecord", "invalid_json"),
        ("RawPosting", "3")]
    bad = recs[2]
    assert isinstance(bad, RejectedRecord) and bad.locator.endswith("line 4")


def test_bad_column_count_is_rejected_not_raised(tmp_path: Path) -> None:
    text = "编号,岗位名称\nA1,普工\nA2,保洁,多余的列\nA3,搬运工\n"
    (tmp_path / "a.csv").write_text(text, encoding="utf-8")
    recs = _records(_connector(tmp_path, {"path": "a.csv", "format": "csv"},
                               mapping={"native_id": "编号", "title": "岗位名称"}))
    kinds = [(type(r).__name__, getattr(r, "native_id", "")) for r in recs]
    assert kinds == [("RawPosting", "A1"), ("RejectedRecord", ""), ("RawPosting", "A3")]
    assert isinstance(recs[1], RejectedRecord) and "3 columns where the header has 2" in recs[1].reason
    assert recs[1].locator.endswith("a.csv line 3")


def test_locator_is_the_line_where_a_multiline_record_starts(tmp_path: Path) -> None:
    text = '编号,岗位名称,岗位描述\nA1,普工,"第一行\n第二行\n第三行"\nA2,保洁\n'
    (tmp_path / "a.csv").write_text(text, encoding="utf-8")
    recs = _records(_connector(tmp_path, {"path": "a.csv", "format": "csv"},
                               mapping={"native_id": "编号", "title": "岗位名称"}))
    assert isinstance(recs[1], RejectedRecord)
    assert recs[1].locator.endswith("line 5")


def test_mapping_to_a_missing_column_fails_the_source_clearly(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("编号,标题\nA1,普工\n", encoding="utf-8")
    with pytest.raises(HarvestError, match=r"mapping names columns the feed does not have: \['岗位名称'\]"):
        _records(_connector(tmp_path, {"path": "a.csv", "format": "csv"},
                            mapping={"native_id": "编号", "title": "岗位名称"}))


def test_wrong_declared_encoding_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(_csv_bytes(ROWS, "gb18030"))
    with pytest.raises(HarvestError, match="not valid utf-8"):
        _records(_connector(tmp_path, {"path": "a.csv", "format": "csv", "encoding": "utf-8"}))


def test_http_errors_are_classified(feed_server: Any, tmp_path: Path) -> None:
    sandbox, _ = feed_server
    with pytest.raises(HarvestError) as missing:
        _records(_connector(tmp_path, {"url": f"{sandbox.url}/feeds/nope.csv", "format": "csv"}))
    assert not isinstance(missing.value, TransientHarvestError)
    assert "HTTP 404" in str(missing.value)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TransientHarvestError, match="ConnectError"):
        _records(_connector(tmp_path, {"url": f"http://127.0.0.1:{port}/x.csv", "format": "csv"}))


@pytest.mark.parametrize(("options", "message"), [
    ({"format": "csv"}, "exactly one of path or url"),
    ({"path": "a", "url": "http://x", "format": "csv"}, "exactly one of path or url"),
    ({"url": "ftp://x/a.csv", "format": "csv"}, "must start with http"),
    ({"path": "a", "format": "csv", "encoding": "klingon"}, "unknown encoding"),
    ({"path": "a", "format": "pdf"}, "'csv', 'ndjson'"),
    ({"path": "a", "format": "csv", "columns": 1}, "Extra inputs"),
])
def test_options_are_validated(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FeedOptions.model_validate(options)


def test_an_incremental_run_is_a_conditional_get_and_304_yields_nothing(tmp_path: Path) -> None:
    from tests.connectors._site import Hit, Reply, Site

    state = {"body": _csv_bytes(ROWS, "utf-8"), "etag": '"v1"', "modified": "Fri, 20 Nov 2026 08:00:00 GMT"}

    def feed(hit: Hit) -> Reply:
        headers = {"ETag": state["etag"], "Last-Modified": state["modified"], "Content-Type": "text/csv"}
        if hit.headers.get("If-None-Match") == state["etag"]:
            return Reply(304, b"", headers)
        return Reply(200, bytes(state["body"]), headers)

    with Site() as site:
        site.routes["/jobs.csv"] = feed
        options = {"url": site.url + "/jobs.csv", "format": "csv", "http": {"delay": 0}}
        full = _connector(tmp_path, options)
        assert full.incremental
        assert len(_records(full)) == 2
        cursor = full.next_cursor
        assert cursor == {"etag": '"v1"', "last_modified": "Fri, 20 Nov 2026 08:00:00 GMT"}
        first = site.hits[-1]
        assert "If-None-Match" not in first.headers and "If-Modified-Since" not in first.headers
        # unchanged: 304, no records, a complete run that keeps the cursor
        unchanged = _connector(tmp_path, options)
        try:
            assert list(unchanged.harvest(cursor)) == []
        finally:
            unchanged.close()
        conditional = site.hits[-1]
        assert conditional.headers["If-None-Match"] == '"v1"'
        assert conditional.headers["If-Modified-Since"] == "Fri, 20 Nov 2026 08:00:00 GMT"
        assert unchanged.next_cursor == cursor
        # changed: 200, the whole feed, the new validators
        state.update(body=_csv_bytes(ROWS[:1], "utf-8"), etag='"v2"')
        changed = _connector(tmp_path, options)
        try:
            assert [r.native_id for r in changed.harvest(cursor) if isinstance(r, RawPosting)] == ["A1"]
        finally:
            changed.close()
        assert changed.next_cursor is not None and changed.next_cursor["etag"] == '"v2"'
        # a 304 to a request that was not conditional is a broken server, never an empty feed
        site.routes["/jobs.csv"] = Reply(304, b"")
        with pytest.raises(HarvestError, match="not conditional"):
            _records(_connector(tmp_path, options))


def test_through_the_pipeline_a_304_is_a_complete_incremental_run(open_app: Any, sources_dir: Any,
                                                                   tmp_path: Path) -> None:
    from tests.conftest import write_source
    from tests.connectors._site import Hit, Reply, Site

    def feed(hit: Hit) -> Reply:
        if hit.headers.get("If-None-Match") == '"same"':
            return Reply(304, b"", {"ETag": '"same"'})
        return Reply(200, _csv_bytes(ROWS, "utf-8"), {"ETag": '"same"', "Content-Type": "text/csv"})

    with Site() as site:
        site.routes["/jobs.csv"] = feed
        write_source(sources_dir, "feed_test", connector="feed", region="440100", mapping=CSV_MAPPING,
                     options={"url": site.url + "/jobs.csv", "format": "csv", "http": {"delay": 0}})
        app = open_app()
        source = app.select(["feed_test"])[0]
        first = app.harvest(source)[0]
        assert (first.status, first.new) == ("ok", 2)
        assert app.catalog.get_cursor("feed_test") == {"etag": '"same"', "last_modified": None}
        inc = app.harvest(source, full=False)[0]
        assert (inc.status, inc.fetched, inc.closed) == ("ok", 0, 0)
        assert site.hits[-1].headers.get("If-None-Match") == '"same"'
        assert app.catalog.get_cursor("feed_test") == {"etag": '"same"', "last_modified": None}
        assert sum(1 for p in app.catalog.iter_postings() if p.source_id == "feed_test") == 2
