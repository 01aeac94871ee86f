"""The HTTP API: parameters, 422s that name the parameter, masking, cursors, JSON-LD, health, metrics."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from aggregator.api import create_api
from aggregator.app import App
from tests.conftest import job, write_ndjson, write_source


def serve_in_thread(app: App, asgi: Any = None) -> Iterator[str]:
    """Run the API (or ``asgi``, an app built on ``app``) under a real uvicorn server on a free 127.0.0.1
    port; yield its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(asgi if asgi is not None else create_api(app), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def client(sources_dir: Path, tmp_path: Path) -> Iterator[httpx.Client]:
    records = [job(i, jobTitle=f"家政保洁员{i}", workPlace="广州市天河区林和街道", pay=f"{150 + i}元/天",
                   detail="<p>负责家庭保洁</p><script>alert(1)</script>联系王先生 13800138000")
               for i in range(25)]
    records += [job(100, jobTitle="外卖骑手", workPlace="深圳市南山区", pay="8元/单", contactName="陈小明")]
    feed = write_ndjson(tmp_path / "a.ndjson", records)
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"}, region="440000")
    app = App.open(sources_dir, entrypoints=False)
    app.harvest(app.select([])[0])
    app.sync()
    for base in serve_in_thread(app):
        with httpx.Client(base_url=base, timeout=30) as c:
            yield c
    app.close()


def test_search_returns_items_facets_and_a_working_cursor(client: httpx.Client) -> None:
    first = client.get("/v1/search", params={"q": "保洁", "page_size": 10}).json()
    assert first["total"] == 25
    assert len(first["items"]) == 10
    assert first["facets"]["region"] == {"440106": 25}
    seen = [i["native_id"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get("/v1/search", params={"q": "保洁", "page_size": 10, "cursor": cursor}).json()
        seen += [i["native_id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(f"J{i:04d}" for i in range(25))


def test_region_filter_at_every_level(client: httpx.Client) -> None:
    for code, total in (("440000", 26), ("440100", 25), ("440106", 25), ("440300", 1), ("320000", 0)):
        assert client.get("/v1/search", params={"region": code}).json()["total"] == total, code


@pytest.mark.parametrize(("params", "param"), [
    ({"region": "44"}, "region"),
    ({"page_size": 0}, "page_size"),
    ({"page_size": 101}, "page_size"),
    ({"sort": "cheapest"}, "sort"),
    ({"near": "north"}, "near"),
    ({"near": "123,456"}, "near"),
    ({"radius_km": 5}, "radius_km"),
    ({"sort": "distance"}, "sort"),
    ({"cursor": "garbage!"}, "cursor"),
    ({"min_daily_wage": -1}, "min_daily_wage"),
    ({"q": "x" * 201}, "q"),
])
def test_bad_parameters_get_422_naming_the_parameter(client: httpx.Client, params: dict[str, Any], param: str) -> None:
    r = client.get("/v1/search", params=params)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["parameter"] == param
    assert param in r.json()["detail"]["message"]


def test_cursor_of_another_query_is_refused(client: httpx.Client) -> None:
    cursor = client.get("/v1/search", params={"q": "保洁", "page_size": 5}).json()["next_cursor"]
    r = client.get("/v1/search", params={"q": "骑手", "page_size": 5, "cursor": cursor})
    assert r.status_code == 422 and r.json()["detail"]["parameter"] == "cursor"


@pytest.mark.parametrize("q", ['保洁 AND (', 'title:"x"', "*:*", "保洁\\", "{\"query\": 1}", "<script>"])
def test_user_text_is_never_query_syntax(client: httpx.Client, q: str) -> None:
    r = client.get("/v1/search", params={"q": q})
    assert r.status_code == 200
    assert isinstance(r.json()["total"], int)


def test_no_phone_or_contact_name_unmasked_and_html_sanitised(client: httpx.Client) -> None:
    body = client.get("/v1/search", params={"page_size": 100}).text
    assert not re.search(r"1[3-9]\d{9}", body)
    assert "陈小明" not in body
    assert "<script>" not in body and "alert(1)" not in body and "<p>" not in body
    item = client.get("/v1/search", params={"q": "骑手"}).json()["items"][0]
    assert item["contact"] == {"name": "陈**", "phone": "138****8000"}
    posting = client.get(f"/v1/postings/{item['id']}").json()
    assert posting["contact"]["phone"] == "138****8000"
    assert "13800138000" not in json.dumps(posting)


def test_posting_as_json_and_jsonld(client: httpx.Client) -> None:
    item = client.get("/v1/search", params={"q": "骑手"}).json()["items"][0]
    by_cluster = client.get(f"/v1/postings/{item['cluster_id']}").json()
    assert by_cluster["id"] == item["id"]
    ld = client.get(f"/v1/postings/{item['id']}", headers={"Accept": "application/ld+json"})
    assert ld.headers["content-type"].startswith("application/ld+json")
    assert ld.json()["@type"] == "JobPosting" and ld.json()["title"] == "外卖骑手"
    assert client.get(f"/v1/postings/{item['id']}", params={"format": "jsonld"}).json()["@type"] == "JobPosting"
    missing = client.get("/v1/postings/p_nope")
    assert missing.status_code == 404 and missing.json()["detail"]["parameter"] == "posting_id"


def test_sources_health_and_metrics(client: httpx.Client) -> None:
    src = client.get("/v1/sources").json()
    assert [(s["id"], s["health"], s["last_run"]["new"]) for s in src["sources"]] == [("feed_a", "ok", 26)]
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok", "catalog": "ok", "index": "ok"}
    client.get("/v1/search", params={"q": "保洁"})
    metrics = client.get("/metrics").text
    assert 'lingong_api_requests_total{route="/v1/search",status="200"}' in metrics
    assert "lingong_catalog_open 26.0" in metrics


def test_openapi_documents_the_search_parameters(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    params = {p["name"] for p in spec["paths"]["/v1/search"]["get"]["parameters"]}
    assert {"q", "region", "category", "employment_type", "pay_unit", "min_daily_wage", "near", "radius_km",
            "verified_only", "posted_within_days", "sort", "page_size", "cursor"} <= params
