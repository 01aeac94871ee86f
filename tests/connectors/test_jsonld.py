"""The jsonld connector: schema.org JobPosting variants, the built-in mapping, and crawls of a real site."""

from __future__ import annotations

import json
from typing import Any

import pytest
from parsel import Selector

from aggregator.schema import RawPosting, RejectedRecord, SourceDefinition
from connectors._scrapy_runner import jsonld_postings
from connectors.html import CrawlOptions
from connectors.jsonld import JsonLdConnector, jobposting_fields, salary_text, strip_html
from tests.connectors._site import Reply, Site

POSTING: dict[str, Any] = {
    "@context": "https://schema.org/", "@type": "JobPosting",
    "title": "【急招】快递分拣员",
    "description": "<p>负责包裹分拣&amp;装车</p><ul><li>日结</li><li>包住</li></ul><script>x()</script>",
    "identifier": {"@type": "PropertyValue", "name": "某人力", "value": "JL-0001"},
    "datePosted": "2026-11-20", "validThrough": "2026-12-20T23:59",
    "employmentType": ["PART_TIME", "TEMPORARY"],
    "hiringOrganization": {"@type": "Organization", "name": "苏州某供应链管理有限公司",
                           "taxID": "91320506MA1XXXXX1Y"},
    "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "addressRegion": "江苏省",
                                                  "addressLocality": "苏州市",
                                                  "streetAddress": "苏州市吴中区木渎镇金山路8号"}},
    "baseSalary": {"@type": "MonetaryAmount", "currency": "CNY",
                   "value": {"@type": "QuantitativeValue", "minValue": 180, "maxValue": 220, "unitText": "DAY"}},
    "totalJobOpenings": 12,
    "applicationContact": {"@type": "ContactPoint", "name": "李经理", "telephone": "0512-66881234"},
}


def test_the_built_in_mapping() -> None:
    assert jobposting_fields(POSTING) == {
        "native_id": "JL-0001", "url": None, "title": "【急招】快递分拣员",
        "description": "负责包裹分拣&装车\n日结\n包住", "employer": "苏州某供应链管理有限公司",
        "uscc": "91320506MA1XXXXX1Y", "salary": "180-220元/天", "address": "江苏省苏州市吴中区木渎镇金山路8号",
        "phone": "0512-66881234", "contact": "李经理", "posted_at": "2026-11-20",
        "expires_at": "2026-12-20T23:59", "employment_type": "PART_TIME TEMPORARY", "headcount": "12"}


@pytest.mark.parametrize(("base", "text"), [
    ({"currency": "CNY", "value": {"minValue": 4500, "maxValue": 6000, "unitText": "MONTH"}}, "4500-6000元/月"),
    ({"currency": "CNY", "value": {"value": 25.5, "unitText": "HOUR"}}, "25.5元/小时"),
    ({"value": {"minValue": 200, "maxValue": 200, "unitText": "DAY"}}, "200元/天"),
    ({"currency": "CNY", "value": 8000, "unitText": "MONTH"}, "8000元/月"),
    ({"currency": "USD", "value": {"value": 30, "unitText": "HOUR"}}, "30 USD/小时"),
    ("面议", "面议"),
    ({"currency": "CNY", "value": {"unitText": "DAY"}}, None),
    (None, None),
])
def test_base_salary_as_text(base: Any, text: str | None) -> None:
    assert salary_text(base) == text


def test_strip_html_keeps_line_breaks_and_drops_markup() -> None:
    assert strip_html("要求：<br/>1. 身体健康<br>2. 吃苦耐劳&nbsp;") == "要求：\n1. 身体健康\n2. 吃苦耐劳"
    assert strip_html("没有标签 &amp; 实体") == "没有标签 & 实体"


def _page(*blocks: str) -> str:
    # As sites must: "</" inside a JSON string is written "<\/" so that it cannot end the script element.
    escaped = [b.replace("</", "<\\/") for b in blocks]
    scripts = "".join(f'<script type="application/ld+json">{b}</script>' for b in escaped)
    return f"<html><head>{scripts}</head><body><h1>招聘</h1></body></html>"


def test_variants_are_found_in_pages() -> None:
    single = json.dumps({**POSTING, "identifier": "A"}, ensure_ascii=False)
    listed = json.dumps([{"@type": "BreadcrumbList"}, {**POSTING, "identifier": "B"}], ensure_ascii=False)
    graph = json.dumps({"@context": "https://schema.org", "@graph": [
        {"@type": "Organization", "name": "x"}, {**POSTING, "identifier": "C"},
        {"@type": ["JobPosting", "Thing"], "identifier": "D", "title": "保安"}]}, ensure_ascii=False)
    trailing_comma = '{"@type": "JobPosting", "identifier": "E", "title": "保洁",}'
    found, broken = jsonld_postings(Selector(text=_page(single, listed, graph, trailing_comma, "{not json")))
    assert [p["identifier"] for p in found] == ["A", "B", "C", "D", "E"]
    assert broken == ["{not json"]
    mixed_case = _page(single).replace("application/ld+json", "Application/LD+JSON")
    assert len(jsonld_postings(Selector(text=mixed_case))[0]) == 1


def _connector(site: Site, **over: Any) -> JsonLdConnector:
    options = {"start_url": site.url + "/jobs/", "http": {"delay": 0, "concurrency": 4}, **over}
    source = SourceDefinition(id="jsonld_test", name="t", connector="jsonld", region="320500", options=options,
                              mapping={"native_id": "auto", "title": "auto", "phone": "applicationContact.telephone"})
    return JsonLdConnector(source, CrawlOptions.model_validate(options), user_agent="lingong-test")



def test_detail_pages_crawled_and_mapped(site: Site) -> None:
    pages = {
        "1": _page(json.dumps({**POSTING, "identifier": {"value": "JL-1"}}, ensure_ascii=False)),
        "2": _page(json.dumps({"@graph": [{**POSTING, "identifier": "JL-2", "title": "仓庫理貨員"}]},
                              ensure_ascii=False)),
        "3": _page("{broken"),
        "4": "<html><body>这个页面没有结构化数据</body></html>",
    }
    links = "".join(f'<a class="job" href="/jobs/{k}.html">{k}</a>' for k in pages)
    site.routes["/jobs/"] = Reply(body=f'<html><body>{links}<a rel="next" href="/jobs/p2">下页</a></body></html>'
                                  .encode())
    site.routes["/jobs/p2"] = Reply(body=b'<html><body><a class="job" href="/jobs/5.html">5</a></body></html>')
    for k, body in {**pages, "5": _page(json.dumps({**POSTING, "identifier": "JL-5"}))}.items():
        site.routes[f"/jobs/{k}.html"] = Reply(body=body.encode("gbk"),
                                               headers={"Content-Type": "text/html; charset=GBK"})
    conn = _connector(site, item_links="css:a.job::attr(href)", next_page="css:a[rel=next]::attr(href)")
    recs = list(conn.harvest(None))
    conn.close()
    raws = {r.native_id: r for r in recs if isinstance(r, RawPosting)}
    rejected = {r.reason_code: r for r in recs if isinstance(r, RejectedRecord)}
    assert sorted(raws) == ["JL-1", "JL-2", "JL-5"]
    assert raws["JL-2"].fields["title"] == "仓庫理貨員"
    assert raws["JL-1"].fields["salary"] == "180-220元/天"
    assert raws["JL-1"].fields["phone"] == "0512-66881234"
    assert raws["JL-1"].url == site.url + "/jobs/1.html"
    assert raws["JL-1"].payload["@type"] == "JobPosting"  # the source's record, untouched
    assert set(rejected) == {"invalid_jsonld", "no_jobposting"}
    assert conn.requests == 1 + 2 + 5


def test_postings_embedded_in_list_pages(site: Site) -> None:
    items = [{**POSTING, "identifier": f"L{i}", "title": f"搬运工{i}"} for i in range(3)]
    site.routes["/jobs/"] = Reply(body=_page(json.dumps({"@type": "ItemList", "itemListElement": [
        {"@type": "ListItem", "item": p} for p in items]}, ensure_ascii=False)).encode())
    recs = list(_connector(site).harvest(None))
    assert [r.native_id for r in recs if isinstance(r, RawPosting)] == ["L0", "L1", "L2"]


def test_an_incremental_crawl_fetches_only_cards_whose_marker_changed(site: Site) -> None:
    def card(k: int, updated: str) -> str:
        return (f'<div class="card"><a class="job-card" href="/job/{k}">{k}</a>'
                f'<time class="updated" datetime="{updated}">{updated[5:10]}</time></div>')

    def listing(updated: dict[int, str]) -> None:
        site.routes["/jobs/"] = Reply(body="".join(card(k, u) for k, u in updated.items()).encode())

    for k in (1, 2, 3):
        site.routes[f"/job/{k}"] = Reply(body=_page(json.dumps({**POSTING, "identifier": f"D{k}"})).encode())
    listing({1: "2026-11-20T08:00", 2: "2026-11-20T09:00", 3: "2026-11-19T10:00"})
    rows = {"item": "css:div.card", "item_links": "css:a.job-card::attr(href)",
            "item_updated": "css:time.updated::attr(datetime)", "native_id_from_url": r"/job/(\d+)"}
    full = _connector(site, **rows)
    assert len(list(full.harvest(None))) == 3
    full.close()
    assert full.next_cursor == {"v": 1, "items": {"1": "2026-11-20T08:00", "2": "2026-11-20T09:00",
                                                  "3": "2026-11-19T10:00"}}
    listing({1: "2026-11-20T08:00", 2: "2026-11-21T07:30", 3: "2026-11-19T10:00"})  # the same day, a later hour
    site.hits.clear()
    inc = _connector(site, **rows)
    recs = list(inc.harvest(full.next_cursor))
    inc.close()
    assert [r.native_id for r in recs if isinstance(r, RawPosting)] == ["2"]  # the id from the URL wins
    assert site.paths() == ["/robots.txt", "/jobs/", "/job/2"]
