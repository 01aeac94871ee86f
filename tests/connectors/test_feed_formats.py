"""The feed connector's JSON, XLSX and XML formats, from files and over a real HTTP server; hostile XML refused."""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]
from pydantic import ValidationError

from aggregator.errors import HarvestError
from aggregator.schema import RawPosting, SourceDefinition
from connectors.feed import FeedConnector, FeedOptions
from connectors.http import RobotsDisallowed
from tests.connectors._site import Reply, Site, harvest_all

MAPPING = {"native_id": "编号", "title": "岗位名称", "employer": "用工单位", "salary": "薪资", "phone": "电话",
           "posted_at": "发布日期"}


def _connector(tmp_path: Path, options: dict[str, Any], mapping: dict[str, str] = MAPPING) -> FeedConnector:
    source = SourceDefinition(id="feed_t", name="t", connector="feed", region="440600", mapping=mapping,
                              options=options, path=tmp_path / "feed_t.yaml")
    return FeedConnector(source, FeedOptions.model_validate(options), user_agent="lingong-test")




# --- XLSX ---------------------------------------------------------------------------------------------------


def _xlsx(path: Path, rows: list[list[Any]], sheet: str = "岗位") -> Path:
    book = Workbook(write_only=True)
    book.create_sheet("说明").append(["本表由合作机构每日更新"])
    ws = book.create_sheet(sheet)
    ws.append(["编号", "岗位名称", "用工单位", "薪资", "电话", "发布日期"])
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


XLSX_ROWS: list[list[Any]] = [
    [1001, "家政保洁（日结）", "佛山市顺德区某家政服务有限公司", "150元/天", 13800138000, datetime(2026, 11, 20)],
    [None, None, None, None, None, None],
    ["1002", "电子厂普工", "佛山某电子有限公司", "4500-6000元/月", "0757-22223333", date(2026, 11, 21)],
    [1003, "搬运工", None, 200.5, None, "2026-11-22 08:30"],
]


def test_xlsx_rows_stream_with_readable_cells(tmp_path: Path) -> None:
    _xlsx(tmp_path / "jobs.xlsx", XLSX_ROWS)
    recs = harvest_all(_connector(tmp_path, {"path": "jobs.xlsx", "format": "xlsx", "sheet": "岗位"}))
    raws = [r for r in recs if isinstance(r, RawPosting)]
    assert [r.native_id for r in raws] == ["1001", "1002", "1003"]  # the blank row is skipped
    assert raws[0].fields == {"native_id": "1001", "title": "家政保洁（日结）",
                              "employer": "佛山市顺德区某家政服务有限公司", "salary": "150元/天",
                              "phone": "13800138000", "posted_at": "2026-11-20"}
    assert raws[2].fields["salary"] == "200.5" and raws[2].fields["employer"] is None
    json.dumps(raws[0].payload)  # the payload is plain text, safe to store


def test_xlsx_sheet_by_index_over_http_and_missing_sheet(tmp_path: Path, site: Site) -> None:
    body = _xlsx(tmp_path / "jobs.xlsx", XLSX_ROWS).read_bytes()
    site.routes["/feeds/jobs.xlsx"] = Reply(body=body, headers={"Content-Type": "application/vnd.ms-excel"})
    recs = harvest_all(_connector(tmp_path, {"url": site.url + "/feeds/jobs.xlsx", "format": "xlsx", "sheet": 1,
                                      "http": {"delay": 0}}))
    assert len(recs) == 3
    assert site.paths() == ["/robots.txt", "/feeds/jobs.xlsx"]
    with pytest.raises(HarvestError, match="no sheet '汇总'"):
        harvest_all(_connector(tmp_path, {"path": "jobs.xlsx", "format": "xlsx", "sheet": "汇总"}))


def test_a_file_that_is_not_xlsx_fails_theharvest_all(tmp_path: Path) -> None:
    (tmp_path / "x.xlsx").write_text("编号,岗位名称\n1,普工\n", encoding="utf-8")
    with pytest.raises(HarvestError, match="not a readable XLSX"):
        harvest_all(_connector(tmp_path, {"path": "x.xlsx", "format": "xlsx"}))


# --- XML ----------------------------------------------------------------------------------------------------

XML = """<?xml version="1.0" encoding="GB18030"?>
<jobs xmlns="http://example.invalid/zh" updated="2026-11-22">
  <job id="Z1">
    <编号>Z1</编号><岗位名称>酒店服务员</岗位名称><用工单位>珠海某酒店管理有限公司</用工单位>
    <薪资>170元/天</薪资><电话>13912345678</电话><发布日期>2026-11-20</发布日期>
    <描述>包吃住&amp;<b>日结</b></描述>
  </job>
  <job id="Z2"><编号>Z2</编号><岗位名称>保安</岗位名称><用工单位>珠海某物业</用工单位><薪资/></job>
</jobs>
"""


def test_xml_records_with_namespaces_attributes_and_a_declared_encoding(tmp_path: Path, site: Site) -> None:
    site.routes["/feeds/jobs.xml"] = Reply(body=XML.encode("gb18030"), headers={"Content-Type": "application/xml"})
    recs = harvest_all(_connector(tmp_path, {"url": site.url + "/feeds/jobs.xml", "format": "xml", "record_tag": "job",
                                      "http": {"delay": 0}}, mapping={**MAPPING, "description": "描述"}))
    raws = [r for r in recs if isinstance(r, RawPosting)]
    assert [r.native_id for r in raws] == ["Z1", "Z2"]
    assert raws[0].payload["@id"] == "Z1"
    assert raws[0].fields["description"] == "包吃住& 日结"
    assert raws[0].fields["employer"] == "珠海某酒店管理有限公司"
    assert raws[1].fields["salary"] is None


def test_large_xml_streams(tmp_path: Path) -> None:
    n = 20000
    records = "".join(f"<job><编号>{i}</编号><岗位名称>分拣员{i}</岗位名称></job>\n" for i in range(n))
    (tmp_path / "big.xml").write_text(f"<jobs>{records}</jobs>", encoding="utf-8")
    conn = _connector(tmp_path, {"path": "big.xml", "format": "xml", "record_tag": "job"},
                      mapping={"native_id": "编号", "title": "岗位名称"})
    count = sum(1 for _ in conn.harvest(None))
    assert count == n


XXE = """<?xml version="1.0"?>
<!DOCTYPE jobs [<!ENTITY secret SYSTEM "file://{path}">]>
<jobs><job><编号>1</编号><岗位名称>&secret;</岗位名称></job></jobs>
"""

LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<jobs><job><编号>1</编号><岗位名称>&lol9;</岗位名称></job></jobs>
"""


@pytest.mark.parametrize("kind", ["xxe", "billion_laughs"])
def test_hostile_xml_is_refused_before_anything_is_expanded(tmp_path: Path, kind: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    text = XXE.replace("{path}", str(secret)) if kind == "xxe" else LAUGHS
    (tmp_path / "evil.xml").write_text(text, encoding="utf-8")
    conn = _connector(tmp_path, {"path": "evil.xml", "format": "xml", "record_tag": "job"},
                      mapping={"native_id": "编号", "title": "岗位名称"})
    started = time.monotonic()
    seen: list[Any] = []
    with pytest.raises(HarvestError, match="XML refused") as info:
        seen.extend(conn.harvest(None))
    assert seen == []
    assert "TOP-SECRET" not in str(info.value)
    assert time.monotonic() - started < 1.0


def test_malformed_xml_fails_theharvest_all(tmp_path: Path) -> None:
    (tmp_path / "bad.xml").write_text("<jobs><job><编号>1</编号></job><job>", encoding="utf-8")
    conn = _connector(tmp_path, {"path": "bad.xml", "format": "xml", "record_tag": "job"},
                      mapping={"native_id": "编号", "title": "编号"})
    with pytest.raises(HarvestError, match="not well-formed"):
        list(conn.harvest(None))


# --- JSON ---------------------------------------------------------------------------------------------------


def test_json_document_with_records_path(tmp_path: Path, site: Site) -> None:
    doc = {"code": 0, "data": {"list": [{"编号": "J1", "岗位名称": "外卖骑手"}, 7, {"编号": "", "岗位名称": "无编号"}]}}
    site.routes["/feeds/jobs.json"] = Reply(body=json.dumps(doc, ensure_ascii=False).encode("gb18030"))
    recs = harvest_all(_connector(tmp_path, {"url": site.url + "/feeds/jobs.json", "format": "json",
                                      "records_path": "data.list", "http": {"delay": 0}},
                           mapping={"native_id": "编号", "title": "岗位名称"}))
    assert [getattr(r, "native_id", None) or getattr(r, "reason_code", None) for r in recs] == [
        "J1", "not_an_object", "missing_native_id"]
    assert isinstance(recs[0], RawPosting) and recs[0].fields["title"] == "外卖骑手"


def test_json_without_a_list_says_how_to_fix_it(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"data": {"list": []}}', encoding="utf-8")
    with pytest.raises(HarvestError, match="records_path"):
        harvest_all(_connector(tmp_path, {"path": "a.json", "format": "json"}))


# --- options and politeness ---------------------------------------------------------------------------------


def test_feed_url_forbidden_by_robots_is_not_fetched(tmp_path: Path, site: Site) -> None:
    site.routes["/robots.txt"] = Reply(body=b"User-agent: lingong-test\nDisallow: /feeds/\n")
    site.routes["/feeds/a.json"] = Reply(body=b"[]")
    with pytest.raises(RobotsDisallowed):
        harvest_all(_connector(tmp_path, {"url": site.url + "/feeds/a.json", "format": "json", "http": {"delay": 0}}))
    assert site.paths() == ["/robots.txt"]


@pytest.mark.parametrize(("options", "message"), [
    ({"path": "a.xml", "format": "xml"}, "record_tag"),
    ({"path": "a.csv", "format": "csv", "sheet": 1}, "sheet applies to format xlsx"),
    ({"path": "a.json", "format": "json", "records_path": "data.[["}, "JMESPath"),
    ({"path": "a.txt", "format": "txt"}, "format"),
])
def test_format_options_are_checked(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FeedOptions.model_validate(options)
