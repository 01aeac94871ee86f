"""The json_api connector against a real portal-like server on 127.0.0.1 (token auth, pages, updatedSince)."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from pydantic import ValidationError

from aggregator.errors import HarvestError, Transient, TransientHarvestError
from aggregator.schema import RawPosting, SourceDefinition
from connectors.json_api import JsonApiConnector, JsonApiOptions
from tests.connectors._site import Hit, Reply, Site, harvest_all

MAPPING = {"native_id": "jobId", "title": "title", "employer": "company.name", "salary": "salaryText",
           "address": "join('', [area.city, area.county, street])", "phone": "contacts[0].tel"}


def _job(i: int) -> dict[str, Any]:
    updated = f"2026-11-20 {8 + i // 60:02d}:{i % 60:02d}:00"
    return {"jobId": f"P{i:04d}", "title": f"分拣员{i}", "company": {"name": "南京某物流有限公司"},
            "salaryText": "180-220元/天", "area": {"city": "南京市", "county": "江宁区"}, "street": "秣陵街道",
            "contacts": [{"tel": "13800138000"}], "updatedAt": updated}


class Portal:
    """A 就在江苏-style API: POST token, GET jobs?page&size&updatedSince with Bearer auth."""

    def __init__(self, site: Site, jobs: list[dict[str, Any]]) -> None:
        self.site = site
        self.jobs = jobs
        self.tokens: set[str] = set()
        self.secret = "s3cret"
        self.limit_first: int = 0  # answer this many job requests with 429 first
        site.routes["/portal/api/v1/token"] = self.token
        site.routes["/portal/api/v1/jobs"] = self.list
        site.routes["/robots.txt"] = Reply(body=b"User-agent: *\nDisallow: /portal/admin\n",
                                           headers={"Content-Type": "text/plain"})

    def token(self, hit: Hit) -> Reply:
        form = parse_qs(hit.body.decode())
        if form.get("client_secret") != [self.secret]:
            return Reply(401, b'{"code": 401, "msg": "bad secret"}')
        token = secrets.token_hex(8)
        self.tokens.add(token)
        return _json({"code": 0, "data": {"access_token": token, "expires_in": 600}})

    def list(self, hit: Hit) -> Reply:
        if self.limit_first > 0:
            self.limit_first -= 1
            return Reply(429, b'{"code": 429}', {"Retry-After": "1"})
        if hit.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
            return Reply(401, b'{"code": 401, "msg": "token expired"}')
        page, size = int(hit.query["page"][0]), int(hit.query["size"][0])
        since = hit.query.get("updatedSince", [""])[0]
        rows = sorted((j for j in self.jobs if j["updatedAt"] >= since), key=lambda j: (j["updatedAt"], j["jobId"]))
        items = rows[(page - 1) * size: page * size]
        return _json({"code": 0, "data": {"total": len(rows), "page": page, "size": size, "items": items}})

    def job_requests(self) -> int:
        return self.site.paths().count("/portal/api/v1/jobs")


def _json(body: Any) -> Reply:
    return Reply(body=json.dumps(body, ensure_ascii=False).encode(), headers={"Content-Type": "application/json"})


@pytest.fixture
def portal() -> Iterator[Portal]:
    with Site() as site:
        yield Portal(site, [_job(i) for i in range(1, 251)])


def _options(portal: Portal, **over: Any) -> dict[str, Any]:
    return {
        "base_url": portal.site.url + "/portal", "endpoint": "/api/v1/jobs", "records_path": "data.items",
        "auth": {"type": "token", "token_url": "/api/v1/token", "client_id": "lingong",
                 "client_secret": portal.secret, "token_path": "data.access_token",
                 "expires_in_path": "data.expires_in"},
        "paginator": {"type": "page_number", "page_param": "page", "size_param": "size", "size": 100,
                      "total_path": "data.total"},
        "incremental": {"param": "updatedSince", "field": "updatedAt"},
        "http": {"delay": 0, "backoff": 0.05},
        **over,
    }


def _connector(options: dict[str, Any], mapping: dict[str, str] = MAPPING) -> JsonApiConnector:
    source = SourceDefinition(id="portal_test", name="t", connector="json_api", region="320100",
                              mapping=mapping, options=options)
    return JsonApiConnector(source, JsonApiOptions.model_validate(options), user_agent="lingong-test")



def test_full_harvest_pages_through_and_maps_with_jmespath(portal: Portal) -> None:
    conn = _connector(_options(portal))
    recs = harvest_all(conn)
    raws = [r for r in recs if isinstance(r, RawPosting)]
    assert len(raws) == 250 and len({r.native_id for r in raws}) == 250
    assert raws[0].fields == {"native_id": "P0001", "title": "分拣员1", "employer": "南京某物流有限公司",
                              "salary": "180-220元/天", "address": "南京市江宁区秣陵街道", "phone": "13800138000"}
    assert portal.job_requests() == 3
    assert conn.requests == 1 + 1 + 3  # robots.txt, token, three pages
    assert conn.next_cursor == {"field": "updatedAt", "value": "2026-11-20 12:10:00"}  # the latest seen
    assert portal.site.hits[-1].headers["User-Agent"] == "lingong-test"


def test_incremental_run_requests_only_changed_items(portal: Portal) -> None:
    full = _connector(_options(portal))
    harvest_all(full)
    cursor = full.next_cursor
    for j in portal.jobs[10:15]:
        j.update(title=j["title"] + "（急招）", updatedAt="2026-11-21 09:30:00")
    before = portal.job_requests()
    inc = _connector(_options(portal))
    recs = harvest_all(inc, cursor)
    assert portal.job_requests() - before == 1
    assert inc.requests == 3 and full.requests == 5
    got = sorted(r.native_id for r in recs if isinstance(r, RawPosting))
    # updatedSince is inclusive, so the item at the old watermark comes again (unchanged: no work downstream)
    assert got == ["P0011", "P0012", "P0013", "P0014", "P0015", "P0250"]
    assert portal.site.hits[-1].query["updatedSince"] == ["2026-11-20 12:10:00"]
    assert inc.next_cursor == {"field": "updatedAt", "value": "2026-11-21 09:30:00"}
    again = _connector(_options(portal))
    assert sorted(r.native_id for r in harvest_all(again, inc.next_cursor) if isinstance(r, RawPosting)) == [
        f"P{i:04d}" for i in range(11, 16)]


def test_expired_token_is_refreshed_once_and_the_run_goes_on(portal: Portal) -> None:
    conn = _connector(_options(portal))
    items = conn.harvest(None)
    first = [next(items) for _ in range(100)]
    portal.tokens.clear()  # the server forgets every token: the next page answers 401
    rest = list(items)
    conn.close()
    assert len(first) + len(rest) == 250
    assert conn.token_fetches == 2
    assert portal.site.paths().count("/portal/api/v1/token") == 2


def test_wrong_secret_is_a_permanent_error(portal: Portal) -> None:
    opts = _options(portal)
    opts["auth"]["client_secret"] = "nope"
    with pytest.raises(HarvestError, match="refused") as info:
        harvest_all(_connector(opts))
    assert not isinstance(info.value, Transient)


def test_429_with_retry_after_is_honoured(portal: Portal) -> None:
    portal.limit_first = 1
    started = time.monotonic()
    recs = harvest_all(_connector(_options(portal)))
    assert len(recs) == 250
    jobs = [h.at for h in portal.site.hits if h.path == "/portal/api/v1/jobs"]
    assert jobs[1] - jobs[0] >= 0.95
    assert time.monotonic() - started >= 0.95


def test_server_errors_end_the_run_as_transient(portal: Portal) -> None:
    portal.site.routes["/portal/api/v1/jobs"] = Reply(503, b"maintenance")
    with pytest.raises(TransientHarvestError, match="503"):
        harvest_all(_connector(_options(portal, http={"delay": 0, "backoff": 0.01, "retries": 1})))


@pytest.mark.parametrize("kind", ["offset", "cursor", "next_link", "link_header"])
def test_other_paginators(kind: str) -> None:
    rows = [{"id": i, "name": f"保洁员{i}"} for i in range(23)]
    with Site() as site:
        def page(hit: Hit) -> Reply:
            q = {k: v[0] for k, v in hit.query.items()}
            if kind == "offset":
                start, n = int(q["offset"]), int(q["limit"])
                return _json({"rows": rows[start:start + n], "count": len(rows)})
            start = int(q.get("after", 0))
            chunk = rows[start:start + 10]
            nxt = start + 10 if start + 10 < len(rows) else None
            if kind == "cursor":
                return _json({"rows": chunk, "next": nxt})
            link = f"/api/list?after={nxt}" if nxt is not None else None
            if kind == "next_link":
                return _json({"rows": chunk, "links": {"next": link}})
            return Reply(body=json.dumps({"rows": chunk}).encode(),
                         headers={"Content-Type": "application/json", **({"Link": f'<{link}>; rel="next"'}
                                                                          if link else {})})

        site.routes["/api/list"] = page
        paginator = {
            "offset": {"type": "offset", "offset_param": "offset", "limit_param": "limit", "limit": 10,
                       "total_path": "count"},
            "cursor": {"type": "cursor", "cursor_param": "after", "cursor_path": "next"},
            "next_link": {"type": "next_link", "next_path": "links.next"},
            "link_header": {"type": "next_link"},
        }[kind]
        conn = _connector({"base_url": site.url, "endpoint": "api/list", "records_path": "rows",
                           "paginator": paginator, "http": {"delay": 0, "respect_robots": False}},
                          mapping={"native_id": "to_string(id)", "title": "name"})
        recs = harvest_all(conn)
        assert [r.native_id for r in recs if isinstance(r, RawPosting)] == [str(i) for i in range(23)]
        assert site.paths().count("/api/list") == 3
        assert conn.incremental and conn.next_cursor is None


def test_records_that_are_not_objects_are_rejected_not_raised() -> None:
    with Site() as site:
        site.routes["/x"] = _json({"items": [{"id": "1", "t": "普工"}, "oops", {"t": "无编号"}]})
        recs = harvest_all(_connector({"base_url": site.url + "/x", "records_path": "items",
                                "http": {"delay": 0, "respect_robots": False}},
                               mapping={"native_id": "id", "title": "t"}))
    assert [type(r).__name__ for r in recs] == ["RawPosting", "RejectedRecord", "RejectedRecord"]
    assert [getattr(r, "reason_code", None) for r in recs] == [None, "not_an_object", "missing_native_id"]


def test_options_are_validated() -> None:
    with pytest.raises(ValidationError, match="paginator"):
        JsonApiOptions.model_validate({"base_url": "http://x", "paginator": {"type": "pages"}})
    with pytest.raises(ValidationError, match="http"):
        JsonApiOptions.model_validate({"base_url": "http://x", "http": {"delay": 1, "speed": 3}})
    with pytest.raises(ValidationError, match="JMESPath"):
        JsonApiOptions.model_validate({"base_url": "http://x", "records_path": "data.[["})
    opts = JsonApiOptions.model_validate({"base_url": "http://x", "auth": {
        "type": "token", "token_url": "/t", "client_id": "a", "client_secret": "hidden"}})
    assert "hidden" not in repr(opts)


def test_through_the_pipeline_a_run_failing_mid_way_keeps_the_old_cursor(
        portal: Portal, open_app: Any, sources_dir: Any) -> None:
    from tests.conftest import write_source

    write_source(sources_dir, "portal_test", connector="json_api", region="320100", mapping=MAPPING,
                 options=_options(portal, http={"delay": 0, "retries": 0}))
    app = open_app()
    source = app.select(["portal_test"])[0]
    assert app.harvest(source)[0].status == "ok"
    saved = app.catalog.get_cursor("portal_test")
    assert saved == {"field": "updatedAt", "value": "2026-11-20 12:10:00"}
    for j in portal.jobs[:150]:
        j["updatedAt"] = "2026-11-22 10:00:00"
    portal.jobs.append({**_job(999), "updatedAt": "2026-11-23 00:00:00"})
    jobs = portal.site.routes["/portal/api/v1/jobs"]
    assert callable(jobs)

    def second_page_fails(hit: Hit) -> Reply:
        return Reply(500, b"db timeout") if hit.query["page"] == ["2"] else jobs(hit)

    portal.site.routes["/portal/api/v1/jobs"] = second_page_fails
    failed = app.harvest(source, full=False)[0]
    assert failed.status == "failed" and "HTTP 500" in (failed.error or "")
    assert app.catalog.get_cursor("portal_test") == saved  # page 1 saw newer items, but the run did not finish
    portal.site.routes["/portal/api/v1/jobs"] = jobs
    ok = app.harvest(source, full=False)[0]
    assert ok.status == "ok" and ok.closed == 0
    assert app.catalog.get_cursor("portal_test") == {"field": "updatedAt", "value": "2026-11-23 00:00:00"}
