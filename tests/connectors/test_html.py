"""The html connector: Scrapy in a child process against real county-style sites on 127.0.0.1."""

from __future__ import annotations

import time
from typing import Any

import opencc  # type: ignore[import-not-found]
import pytest

from aggregator.errors import HarvestError, Transient, TransientHarvestError
from aggregator.schema import RawPosting, SourceDefinition
from connectors._encoding import guess_encoding
from connectors.html import HtmlConnector, HtmlOptions
from tests.connectors._site import Hit, Reply, Site, harvest_all

_T = opencc.OpenCC("s2t")

MAPPING = {
    "native_id": "url",
    "title": "css:h1.job-title::text",
    "employer": "xpath://td[contains(., '用工单位') or contains(., '用工單位')]/following-sibling::td[1]//text()",
    "salary": "css:.salary",
    "address": "xpath://td[@class='addr']",
}


def county_site(site: Site, *, encoding: str, declare: bool, pages: int = 3, per_page: int = 4,
                traditional: bool = False) -> list[int]:
    """List pages ``/zpxx/list_N.html`` linking detail pages ``/zpxx/job_ID.html``; returns the job ids."""
    def text(s: str) -> bytes:
        return (_T.convert(s) if traditional else s).encode(encoding)

    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={encoding}">' if declare else ""
    ids = []
    for page in range(1, pages + 1):
        lis = []
        for k in range(per_page):
            job = page * 100 + k
            ids.append(job)
            lis.append(f'<li><a class="title" href="job_{job}.html" target="_blank">装卸工{job}号</a>'
                       f'<span class="date">2026-11-2{k}</span></li>')
            site.routes[f"/zpxx/job_{job}.html"] = Reply(body=text(
                f'<html><head>{meta}<title>招聘信息</title></head><body><div class="main">'
                f'<h1 class="job-title">  装卸工{job}号（日结）\n</h1><table>'
                f'<tr><td>用工单位：</td><td><span>上饶市广信区某物流有限公司</span></td></tr>'
                f'<tr><td>工作地点：</td><td class="addr">广信区<b>旭日</b>街道</td></tr></table>'
                f'<p class="salary">薪资：<em>200</em>元/天</p></div></body></html>'))
        nxt = f'<a class="next" href="list_{page + 1}.html">下一页</a>' if page < pages else ""
        site.routes[f"/zpxx/list_{page}.html"] = Reply(body=text(
            f'<html><head>{meta}</head><body><ul class="job-list">{"".join(lis)}</ul>'
            f'<div class="pager">{nxt}</div></body></html>'))
    return ids


def _connector(site: Site, mapping: dict[str, str] = MAPPING, **over: Any) -> HtmlConnector:
    options = {"start_url": site.url + "/zpxx/list_1.html", "item_links": "css:ul.job-list a.title::attr(href)",
               "next_page": "css:div.pager a.next::attr(href)", "native_id_from_url": r"job_(\d+)\.html",
               "http": {"delay": 0, "concurrency": 4, "retries": 1}, **over}
    source = SourceDefinition(id="county_test", name="t", connector="html", region="361104", mapping=mapping,
                              options=options)
    return HtmlConnector(source, HtmlOptions.model_validate(options), user_agent="lingong-test/1.0")




@pytest.mark.parametrize(("encoding", "declare", "traditional"), [
    ("gbk", True, False),    # a county site that says it is GBK
    ("big5", False, True),   # a traditional-script site that says nothing: the encoding is guessed
])
def test_list_detail_pagination_in_chinese_encodings(site: Site, encoding: str, declare: bool,
                                                     traditional: bool) -> None:
    ids = county_site(site, encoding=encoding, declare=declare, traditional=traditional)
    site.routes["/robots.txt"] = Reply(body=b"User-agent: *\nDisallow: /zpxx/job_201.html\n",
                                       headers={"Content-Type": "text/plain"})
    conn = _connector(site)
    recs = harvest_all(conn)
    raws = {r.native_id: r for r in recs if isinstance(r, RawPosting)}
    assert sorted(raws) == sorted(str(i) for i in ids if i != 201)
    one = raws["102"]
    expect = {"native_id": "102", "title": "装卸工102号（日结）", "employer": "上饶市广信区某物流有限公司",
              "salary": "薪资： 200 元/天", "address": "广信区 旭日 街道"}
    if traditional:
        expect = {k: _T.convert(v) for k, v in expect.items()}
    assert one.fields == expect
    assert one.url == site.url + "/zpxx/job_102.html"
    assert "host" not in str(one.payload) and site.url not in str(one.payload)  # payload is port-free
    assert "/zpxx/job_201.html" not in site.paths()  # forbidden by robots.txt: never requested
    assert conn.requests == 1 + 3 + 11  # robots.txt, list pages, detail pages
    assert conn.crawl_stats["skipped"] == 1
    assert all(h.headers["User-Agent"] == "lingong-test/1.0" for h in site.hits)


def test_harvesting_again_and_again_in_one_process(site: Site) -> None:
    county_site(site, encoding="utf-8", declare=True, pages=2, per_page=3)
    conn = _connector(site)
    first = [r.native_id for r in conn.harvest(None) if isinstance(r, RawPosting)]
    second = [r.native_id for r in conn.harvest(None) if isinstance(r, RawPosting)]
    conn.close()
    assert len(first) == 6
    assert sorted(first) == sorted(second)
    assert conn.requests == 2 * (1 + 2 + 6)


def test_a_crashed_crawler_is_a_harvest_error(site: Site) -> None:
    county_site(site, encoding="utf-8", declare=True, pages=1, per_page=6)

    def slow(hit: Hit) -> Reply:
        time.sleep(0.3)
        return Reply(body=b'<html><h1 class="job-title">x</h1></html>')

    for k in range(1, 6):
        site.routes[f"/zpxx/job_{100 + k}.html"] = slow
    conn = _connector(site, http={"delay": 0, "concurrency": 1})
    items = conn.harvest(None)
    first = next(items)
    assert isinstance(first, RawPosting) and conn.child is not None
    conn.child.kill()  # what the OOM killer would do
    with pytest.raises(HarvestError, match="died") as info:
        list(items)
    assert not isinstance(info.value, Transient)
    assert conn.child is None


def test_a_detail_page_that_keeps_failing_makes_the_run_incomplete(site: Site) -> None:
    county_site(site, encoding="utf-8", declare=True, pages=1, per_page=4)
    site.routes["/zpxx/job_102.html"] = Reply(500, b"oops")
    site.routes["/zpxx/job_103.html"] = Reply(404, b"gone")  # withdrawn since the list was read: not an error
    recs: list[Any] = []
    with pytest.raises(TransientHarvestError, match="incomplete"):
        recs.extend(_connector(site).harvest(None))
    assert sorted(r.native_id for r in recs) == ["100", "101"]  # what was read is still delivered
    assert site.paths().count("/zpxx/job_102.html") == 2  # retried once (retries: 1)


def test_a_start_page_forbidden_by_robots_fails_theharvest_all(site: Site) -> None:
    county_site(site, encoding="utf-8", declare=True, pages=1, per_page=1)
    site.routes["/robots.txt"] = Reply(body=b"User-agent: lingong-test\nDisallow: /zpxx/\n")
    with pytest.raises(HarvestError, match=r"robots\.txt") as info:
        harvest_all(_connector(site))
    assert not isinstance(info.value, Transient)
    assert site.paths() == ["/robots.txt"]


def test_retry_after_on_a_detail_page_is_honoured(site: Site) -> None:
    county_site(site, encoding="utf-8", declare=True, pages=1, per_page=2)
    seen: list[float] = []
    page = site.routes["/zpxx/job_101.html"]

    def limited(hit: Hit) -> Reply:
        seen.append(hit.at)
        return Reply(429, b"", {"Retry-After": "1"}) if len(seen) == 1 else page  # type: ignore[return-value]

    site.routes["/zpxx/job_101.html"] = limited
    recs = harvest_all(_connector(site))
    assert sorted(r.native_id for r in recs if isinstance(r, RawPosting)) == ["100", "101"]
    assert len(seen) == 2 and seen[1] - seen[0] >= 0.95


@pytest.mark.parametrize(("text", "encoding", "expected"), [
    ("招聘搬运工，日结二百元每天，包吃住，联系电话一三八。", "gbk", "gb18030"),
    ("招聘搬運工，日結二百元每天，包吃住，聯繫電話一三八。", "big5", "big5hkscs"),
    ("招聘搬运工，日结二百元每天", "utf-8", "utf-8"),
])
def test_encoding_guess(text: str, encoding: str, expected: str) -> None:
    assert guess_encoding(text.encode(encoding)) == expected


def test_selectors_are_checked_when_options_load() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="css: or xpath:"):
        HtmlOptions.model_validate({"start_url": "http://x/", "item_links": "a.title::attr(href)"})
    with pytest.raises(ValidationError, match="invalid xpath"):
        HtmlOptions.model_validate({"start_url": "http://x/", "item_links": "xpath://a[@"})


def test_through_the_pipeline_a_failed_run_closes_nothing_and_a_complete_one_does(
        site: Site, open_app: Any, sources_dir: Any) -> None:
    from tests.conftest import write_source

    county_site(site, encoding="gbk", declare=True, pages=2, per_page=3)
    write_source(sources_dir, "county_test", connector="html", region="361104", mapping=MAPPING, options={
        "start_url": site.url + "/zpxx/list_1.html", "item_links": "css:ul.job-list a.title::attr(href)",
        "next_page": "css:div.pager a.next::attr(href)", "native_id_from_url": r"job_(\d+)\.html",
        "http": {"delay": 0, "retries": 0}})
    app = open_app()
    source = app.select(["county_test"])[0]
    first = app.harvest(source)[0]
    assert (first.status, first.new) == ("ok", 6)
    # Page 2 of the list breaks: the run sees only 3 postings, but it is incomplete, so it closes none.
    page2 = site.routes["/zpxx/list_2.html"]
    site.routes["/zpxx/list_2.html"] = Reply(502, b"bad gateway")
    broken = app.harvest(source)[0]
    assert (broken.status, broken.closed) == ("failed", 0)
    assert "incomplete" in (broken.error or "")
    # The site is back, with one posting withdrawn: a complete run closes exactly that one.
    site.routes["/zpxx/list_2.html"] = page2
    site.routes["/zpxx/job_201.html"] = Reply(404, b"gone")
    done = app.harvest(source)[0]
    assert (done.status, done.unchanged, done.closed) == ("ok", 5, 1)


def test_closing_an_abandoned_harvest_stops_the_crawler(site: Site) -> None:
    county_site(site, encoding="utf-8", declare=True, pages=3, per_page=5)
    conn = _connector(site, http={"delay": 0.2, "concurrency": 1})
    items = conn.harvest(None)
    next(items)
    child = conn.child
    assert child is not None and child.poll() is None
    conn.close()  # the pipeline always closes the connector, also when it stops reading early
    assert child.poll() is not None and conn.child is None
    assert len(site.hits) < 1 + 3 + 15


# --- incremental crawls -------------------------------------------------------------------------------------

ROWS = {"item": "css:ul.job-list > li", "item_links": "css:a.title::attr(href)", "item_updated": "css:span.date::text"}


def _detail_hits(site: Site) -> list[str]:
    return sorted(p for p in site.paths() if "/job_" in p)


def _change_day(site: Site) -> None:
    """Job 101 is updated (its row's date moves on), job 203 is new on page 2, job 200 is withdrawn."""
    page1 = site.routes["/zpxx/list_1.html"]
    page2 = site.routes["/zpxx/list_2.html"]
    assert isinstance(page1, Reply) and isinstance(page2, Reply)
    page1.body = page1.body.replace(b'<span class="date">2026-11-21</span>', b'<span class="date">2026-11-29</span>')
    job101 = site.routes["/zpxx/job_101.html"]
    assert isinstance(job101, Reply)
    job101.body = job101.body.replace(b"200</em>", b"260</em>")
    new_row = '<li><a class="title" href="job_203.html">装卸工203号</a><span class="date">2026-11-29</span></li>'
    page2.body = (page2.body.replace(b'<li><a class="title" href="job_200.html" target="_blank">', b"<li hidden><a>")
                  .replace(b"</ul>", new_row.encode() + b"</ul>"))
    site.routes["/zpxx/job_203.html"] = site.routes["/zpxx/job_202.html"]
    del site.routes["/zpxx/job_200.html"]


def test_an_incremental_crawl_requests_only_new_and_changed_detail_pages(site: Site) -> None:
    county_site(site, encoding="utf-8", declare=True, pages=2, per_page=3)
    full = _connector(site, **ROWS)
    assert full.incremental
    assert len(harvest_all(full)) == 6
    assert full.next_cursor == {"v": 1, "items": {"100": "2026-11-20", "101": "2026-11-21", "102": "2026-11-22",
                                                  "200": "2026-11-20", "201": "2026-11-21", "202": "2026-11-22"}}
    _change_day(site)
    site.hits.clear()
    inc = _connector(site, **ROWS)
    try:
        recs = list(inc.harvest(full.next_cursor))
    finally:
        inc.close()
    assert sorted(r.native_id for r in recs if isinstance(r, RawPosting)) == ["101", "203"]
    assert next(r for r in recs if isinstance(r, RawPosting) and r.native_id == "101").fields["salary"] == \
        "薪资： 260 元/天"
    assert _detail_hits(site) == ["/zpxx/job_101.html", "/zpxx/job_203.html"]
    assert inc.requests == len(site.hits) == 1 + 2 + 2  # robots.txt, both list pages, two detail pages
    assert inc.crawl_stats["unchanged"] == 4
    # the new cursor: 101's new marker, 203 added, 200 (no longer listed) gone
    assert inc.next_cursor == {"v": 1, "items": {"100": "2026-11-20", "101": "2026-11-29", "102": "2026-11-22",
                                                 "201": "2026-11-21", "202": "2026-11-22", "203": "2026-11-29"}}
    # nothing changed since: an incremental run reads the list pages only
    site.hits.clear()
    again = _connector(site, **ROWS)
    try:
        assert list(again.harvest(inc.next_cursor)) == []
    finally:
        again.close()
    assert _detail_hits(site) == [] and again.next_cursor == inc.next_cursor
    # a full run ignores the cursor: every detail page again
    site.hits.clear()
    assert len(harvest_all(_connector(site, **ROWS))) == 6 and len(_detail_hits(site)) == 6


def test_without_item_updated_an_incremental_crawl_fetches_only_new_detail_pages(site: Site) -> None:
    county_site(site, encoding="utf-8", declare=True, pages=2, per_page=3)
    full = _connector(site)  # item_links alone, as before: no list rows, no change markers
    assert len(harvest_all(full)) == 6
    assert full.next_cursor is not None and set(full.next_cursor["items"].values()) == {""}
    _change_day(site)
    site.hits.clear()
    inc = _connector(site)
    try:
        recs = list(inc.harvest(full.next_cursor))
    finally:
        inc.close()
    # the trade-off: job 101 changed but is not refetched (a full run will see it); 203 is new
    assert [r.native_id for r in recs if isinstance(r, RawPosting)] == ["203"]
    assert _detail_hits(site) == ["/zpxx/job_203.html"]


def test_a_foreign_or_missing_cursor_walks_everything(site: Site) -> None:
    county_site(site, encoding="utf-8", declare=True, pages=1, per_page=3)
    for cursor in (None, {"field": "updatedAt", "value": "x"}, {"v": 99, "items": {}}):
        site.hits.clear()
        conn = _connector(site, **ROWS)
        try:
            assert len(list(conn.harvest(cursor))) == 3
        finally:
            conn.close()
        assert len(_detail_hits(site)) == 3


def test_item_options_are_checked() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="declare the row with item"):
        HtmlOptions.model_validate({"start_url": "http://x/", "item_links": "css:a::attr(href)",
                                    "item_updated": "css:span.date::text"})
    with pytest.raises(ValidationError, match="css: or xpath:"):
        HtmlOptions.model_validate({"start_url": "http://x/", "item_links": "css:a::attr(href)", "item": "li"})


def test_through_the_pipeline_a_failed_incremental_run_keeps_the_old_cursor(
        site: Site, open_app: Any, sources_dir: Any) -> None:
    from tests.conftest import write_source

    county_site(site, encoding="gbk", declare=True, pages=2, per_page=3)
    write_source(sources_dir, "county_test", connector="html", region="361104", mapping=MAPPING, options={
        "start_url": site.url + "/zpxx/list_1.html", **ROWS, "next_page": "css:div.pager a.next::attr(href)",
        "native_id_from_url": r"job_(\d+)\.html", "http": {"delay": 0, "retries": 0}})
    app = open_app()
    source = app.select(["county_test"])[0]
    first = app.harvest(source)[0]
    assert (first.status, first.new) == ("ok", 6)
    saved = app.catalog.get_cursor("county_test")
    assert saved is not None and len(saved["items"]) == 6
    # A day later job 101 changed and 203 is new, but list page 2 fails: the run fails (its last,
    # partial batch is not stored), nothing is closed and the cursor stays the full run's.
    _change_day(site)
    page2 = site.routes["/zpxx/list_2.html"]
    site.routes["/zpxx/list_2.html"] = Reply(502, b"bad gateway")
    site.hits.clear()
    broken = app.harvest(source, full=False)[0]
    assert (broken.status, broken.closed) == ("failed", 0)
    assert _detail_hits(site) == ["/zpxx/job_101.html"]
    assert app.catalog.get_cursor("county_test") == saved
    # The site is back: the next incremental run starts from the old cursor, so it asks for 101 again
    # (the old cursor still has its old marker) and for 203, and for nothing else; it closes nothing.
    site.routes["/zpxx/list_2.html"] = page2
    site.hits.clear()
    done = app.harvest(source, full=False)[0]
    assert (done.status, done.new, done.updated, done.closed) == ("ok", 1, 1, 0)
    assert _detail_hits(site) == ["/zpxx/job_101.html", "/zpxx/job_203.html"]
    cursor = app.catalog.get_cursor("county_test")
    assert cursor is not None and cursor["items"]["101"] == "2026-11-29" and "200" not in cursor["items"]
    # only a complete full run closes the withdrawn job 200
    full = app.harvest(source)[0]
    assert (full.status, full.closed) == ("ok", 1)
