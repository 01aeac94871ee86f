"""The sandbox province, through its real HTTP servers (httpx), and its ground truth."""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from connectors.sandbox import SOURCES, Province, Sandbox
from normalize.uscc import validate_uscc

SIZE = 300


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(size=SIZE, seed=7) as s:
        yield s


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


def _token(c: httpx.Client, sb: Sandbox) -> str:
    r = c.post(sb.urls["portal"] + "/api/v1/token", data={"client_id": "t", "client_secret": sb.portal_secret})
    assert r.status_code == 200, r.text
    token: str = r.json()["data"]["access_token"]
    return token


def _portal_ids(c: httpx.Client, sb: Sandbox, **params: str) -> list[str]:
    auth = {"Authorization": f"Bearer {_token(c, sb)}"}
    ids, page = [], 1
    while True:
        r = c.get(sb.urls["portal"] + "/api/v1/jobs", params={"page": page, "size": 100, **params}, headers=auth)
        assert r.status_code == 200, r.text
        data = r.json()["data"]
        ids += [it["jobId"] for it in data["items"]]
        if page * 100 >= data["total"]:
            return ids
        page += 1


SAMPLE_PATHS = [
    ("baiyun", "/lgsc/zpxx/index.html"), ("baiyun", "/lgsc/zpxx/index_2.html"),
    ("xiangzhou", "/jobs/list.asp?page=1"), ("nanhai", "/zpxx/list_1.html"), ("jobsite", "/jobs"),
    ("agencies", "/gz_labour/jobs.csv"), ("agencies", "/fs_hr/jobs.xlsx"), ("agencies", "/zh_service/jobs.xml"),
]


def _snapshot(s: Sandbox, c: httpx.Client) -> dict[str, bytes]:
    out = {}
    for site, path in SAMPLE_PATHS:
        out[f"{site}{path}"] = c.get(s.urls[site] + path).content
    first = s.province.listing("county_baiyun", s.day)[0].native_id
    out["detail"] = c.get(s.urls["baiyun"] + f"/lgsc/zpxx/content_{first}.html").content
    job = s.province.listing("jsonld_dongguan", s.day)[0].native_id
    out["jsonld"] = c.get(s.urls["jobsite"] + f"/job/{job}").content.replace(s.urls["jobsite"].encode(), b"BASE")
    return out


def test_same_seed_and_day_serve_the_same_bytes(client: httpx.Client) -> None:
    with Sandbox(size=SIZE, seed=11) as a, Sandbox(size=SIZE, seed=11) as b, Sandbox(size=SIZE, seed=12) as other:
        snap_a, snap_b, snap_other = _snapshot(a, client), _snapshot(b, client), _snapshot(other, client)
        assert snap_a == snap_b
        assert all(len(v) > 200 for v in snap_a.values())
        assert all(snap_a[k] != snap_other[k] for k in snap_a)
        a.advance_day()
        b.advance_day()
        day1 = _snapshot(a, client)
        assert day1 == _snapshot(b, client)
        assert day1 != snap_a
    with Sandbox(size=SIZE, seed=11, day=1) as c:  # starting on day 1 == advancing to it
        assert _snapshot(c, client) == day1


def test_advancing_a_day_opens_changes_and_closes_postings(client: httpx.Client) -> None:
    with Sandbox(size=SIZE, seed=3) as s:
        p = s.province
        before = {r.native_id: r for r in p.listing("county_baiyun", 0)}
        portal_before = set(_portal_ids(client, s))
        t0 = s.truth()
        r = client.post(s.url + "/admin/advance", params={"days": 2})
        assert r.json()["day"] == 2 == s.day
        after = {r.native_id: r for r in p.listing("county_baiyun", 2)}
        portal_after = set(_portal_ids(client, s))
        closed, opened = portal_before - portal_after, portal_after - portal_before
        assert closed and opened
        assert 0.02 < len(closed) / len(portal_before) < 0.15
        changed = set(p.changed_between("portal_yuegong", 0, 2))
        assert opened <= changed and len(changed - opened) > 0
        assert s.truth()["postings"] != t0["postings"] or s.truth()["clusters"] != t0["clusters"]
        # a closed posting's page is gone; a changed one's page changed
        gone = next(n for n in before if n not in after)
        assert client.get(s.urls["baiyun"] + f"/lgsc/zpxx/content_{gone}.html").status_code == 404
        kept = [n for n in before if n in after and before[n] != after[n]]
        assert kept, "some baiyun posting should have changed in two days"
        assert after[kept[0]].updated_at > before[kept[0]].updated_at


def test_gbk_big5_and_gb18030_are_really_encoded_so(sb: Sandbox, client: httpx.Client) -> None:
    r = client.get(sb.urls["baiyun"] + "/lgsc/zpxx/index.html")
    assert r.headers["content-type"] == "text/html; charset=GBK"
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")
    text = r.content.decode("gbk")
    assert 'charset=gb2312' in text and "白云区零工市场" in text and "下一页" in text

    r = client.get(sb.urls["xiangzhou"] + "/jobs/list.asp?page=1")
    assert r.headers["content-type"] == "text/html"  # charset only in the page
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")
    text = r.content.decode("big5")
    assert "charset=big5" in text and "香洲區零工市場" in text and "第1頁" in text
    nid = re.search(r"show\.asp\?id=(\d+)", text)
    assert nid
    detail = client.get(sb.urls["xiangzhou"] + f"/jobs/show.asp?id={nid.group(1)}").content.decode("big5")
    assert "<dt>用工單位</dt>" in detail and "<dt>薪資待遇</dt>" in detail and "廣東省珠海市香洲區" in detail

    csv_bytes = client.get(sb.urls["agencies"] + "/gz_labour/jobs.csv").content
    with pytest.raises(UnicodeDecodeError):
        csv_bytes.decode("utf-8")
    assert csv_bytes.decode("gb18030").startswith("编号,岗位名称,用工单位,统一社会信用代码")


def test_robots_forbids_a_linked_path_and_counters_prove_what_was_asked(sb: Sandbox, client: httpx.Client) -> None:
    robots = client.get(sb.urls["nanhai"] + "/robots.txt").text
    assert "User-agent: *" in robots and "Disallow: /zpxx/vip/" in robots
    assert "Disallow: /zpxx/vip/" not in client.get(sb.urls["baiyun"] + "/robots.txt").text
    sb.reset_counters()
    page = client.get(sb.urls["nanhai"] + "/zpxx/list_1.html").text
    assert re.search(r'<a class="title" href="/zpxx/vip/job_1\.html">', page)  # linked like any posting
    nanhai = sb.site("nanhai")
    assert nanhai.hits("/zpxx/vip/") == 0
    assert dict(nanhai.requests) == {"/zpxx/list_1.html": 1}
    assert client.get(sb.urls["nanhai"] + "/zpxx/vip/job_1.html").status_code == 200
    assert nanhai.hits("/zpxx/vip/") == 1
    counters = client.get(sb.url + "/admin/counters").json()
    assert counters["nanhai"] == {"/zpxx/list_1.html": 1, "/zpxx/vip/job_1.html": 1}
    assert counters["baiyun"] == {}


def test_portal_token_auth_and_expiry(client: httpx.Client) -> None:
    with Sandbox(size=50, token_ttl=0.3) as s:
        jobs = s.urls["portal"] + "/api/v1/jobs"
        assert client.get(jobs).json() == {"code": 401, "msg": "token required"}
        bad = client.post(s.urls["portal"] + "/api/v1/token", data={"client_id": "t", "client_secret": "nope"})
        assert bad.status_code == 401
        r = client.post(s.urls["portal"] + "/api/v1/token", json={"client_id": "t", "client_secret": s.portal_secret})
        assert r.json()["data"]["expires_in"] == 0.3
        auth = {"Authorization": "Bearer " + r.json()["data"]["access_token"]}
        assert client.get(jobs, headers=auth).status_code == 200
        time.sleep(0.35)
        expired = client.get(jobs, headers=auth)
        assert (expired.status_code, expired.json()["msg"]) == (401, "token expired")
        assert client.get(jobs, headers={"Authorization": f"Bearer {_token(client, s)}"}).status_code == 200
        s.portal.expire_tokens()
        assert client.get(jobs, headers=auth).status_code == 401


def test_portal_answers_429_with_retry_after_over_its_rate(client: httpx.Client) -> None:
    with Sandbox(size=50, rate=2.0, burst=4) as s:
        auth = {"Authorization": f"Bearer {_token(client, s)}"}
        codes = [client.get(s.urls["portal"] + "/api/v1/jobs", headers=auth) for _ in range(10)]
        assert [r.status_code for r in codes[:4]] == [200] * 4
        limited = [r for r in codes if r.status_code == 429]
        assert len(limited) >= 5
        assert all(int(r.headers["Retry-After"]) >= 1 for r in limited)
        time.sleep(int(limited[-1].headers["Retry-After"]))
        assert client.get(s.urls["portal"] + "/api/v1/jobs", headers=auth).status_code == 200


def test_portal_pages_and_updated_since_return_only_changes(sb: Sandbox, client: httpx.Client) -> None:
    auth = {"Authorization": f"Bearer {_token(client, sb)}"}
    r = client.get(sb.urls["portal"] + "/api/v1/jobs", params={"page": 1, "size": 500}, headers=auth).json()["data"]
    assert r["size"] == 100 and len(r["items"]) == 100 and r["total"] == sb.truth()["records"]["portal_yuegong"]
    all_ids = _portal_ids(client, sb)
    assert len(all_ids) == len(set(all_ids)) == r["total"]
    with Sandbox(size=SIZE, seed=7) as s:
        stamps = [it["updatedAt"] for it in client.get(
            s.urls["portal"] + "/api/v1/jobs", params={"page": 1, "size": 100},
            headers={"Authorization": f"Bearer {_token(client, s)}"}).json()["data"]["items"]]
        assert stamps == sorted(stamps)  # oldest update first
        cursor = max(f"{rec.updated_at:%Y-%m-%d %H:%M:%S}" for rec in s.province.listing("portal_yuegong", 0))
        assert _portal_ids(client, s, updatedSince=cursor) == []
        s.advance_day()
        s.reset_counters()
        since = _portal_ids(client, s, updatedSince=cursor.replace(" ", "T") + "+08:00")
        assert sorted(since) == sorted(s.province.changed_between("portal_yuegong", 0, 1))
        assert 0 < len(since) < 0.2 * len(all_ids)
        assert s.site("portal").hits("/api/v1/jobs") == 1  # one page held every change


def test_cross_posts_are_15_to_25_percent_and_the_truth_is_what_is_served(sb: Sandbox, client: httpx.Client) -> None:
    for size, seed, day in ((SIZE, 7, 0), (2000, 1, 0), (2000, 1, 5)):
        t = Province(seed, size).truth(day)
        assert 0.15 <= t["cross_post_ratio"] <= 0.25, (size, seed, day, t["cross_post_ratio"])
    truth = sb.truth()
    served = {s: {r.native_id for r in sb.province.listing(s, sb.day)} for s in SOURCES}
    served["portal_yuegong"] = set(_portal_ids(client, sb))
    assert {s: len(v) for s, v in served.items()} == truth["records"]
    members = [tuple(m) for cluster in truth["clusters"] for m in cluster]
    assert len(members) == len(set(members))  # clusters are disjoint
    for cluster in truth["clusters"]:
        assert len(cluster) >= 2 and len({s for s, _ in cluster}) == len(cluster)
        for source, nid in cluster:
            assert nid in served[source]
    assert truth["cross_post_ratio"] == round(len(truth["clusters"]) / truth["postings"], 4)
    # copies are written differently, as re-posters do
    differs = {"title": 0, "employer": 0, "salary": 0, "address": 0}
    for cluster in truth["clusters"]:
        recs = [sb.province.find(s, n, sb.day) for s, n in cluster]
        assert all(r is not None for r in recs)
        primary, copy = recs[0], recs[1]
        assert primary is not None and copy is not None
        assert primary.index == copy.index and primary.title in copy.title
        for f in differs:
            differs[f] += getattr(primary, f) != getattr(copy, f)
    assert all(n >= 0.2 * len(truth["clusters"]) for n in differs.values()), differs
    doc = client.get(sb.url + "/admin/truth").json()
    assert doc["clusters"] == truth["clusters"] and doc["day"] == sb.day


def test_employers_scams_and_malformed_records(sb: Sandbox, client: httpx.Client) -> None:
    truth = sb.truth()
    assert truth["invalid_uscc"] and not any(validate_uscc(c) for c in truth["invalid_uscc"])
    codes = {r.uscc for s in SOURCES for r in sb.province.listing(s, sb.day) if r.uscc}
    valid = codes - set(truth["invalid_uscc"])
    assert len(valid) > 5 * len(truth["invalid_uscc"]) and all(validate_uscc(c) for c in valid)
    assert truth["fee_scams"]
    for source, nid in truth["fee_scams"]:
        rec = sb.province.find(source, nid, sb.day)
        assert rec is not None
        assert any(w in rec.description + rec.salary for w in sb.province.fee_words()), rec.description
    assert len(truth["malformed"]) >= 3
    big = Province(7, 3000).truth(0)["malformed"]
    assert {reason for _, _, reason in big} == {"missing_title", "missing_id", "bad_column_count", "invalid_json"}
    assert {s for s, _, _ in big} == set(SOURCES)
    for source, nid, reason in truth["malformed"]:
        rec = sb.province.find(source, nid, sb.day)
        assert rec is not None and rec.malformed == reason
        if reason == "missing_title":
            assert rec.title == ""
    # the broken records really are broken on the wire (a bigger province has every kind)
    with Sandbox(size=3000, seed=7) as big_sb:
        xml = client.get(big_sb.urls["agencies"] + "/zh_service/jobs.xml").text
        csv_text = client.get(big_sb.urls["agencies"] + "/gz_labour/jobs.csv").content.decode("gb18030")
        seen = set()
        for source, nid, _ in big_sb.truth()["malformed"]:
            if source == "feed_zh_service":
                assert f"<id>{nid}</id>" not in xml
            elif source == "feed_gz_labour":
                line = re.search(rf"^{nid},.*$", csv_text, re.M)
                assert line and line.group(0).count(",") == 4  # 5 of 13 columns
            elif source == "jsonld_dongguan":
                assert '"url":,' in client.get(big_sb.urls["jobsite"] + f"/job/{nid}").text
            elif source == "county_nanhai":
                assert '<h1 class="job-title"></h1>' in client.get(big_sb.urls["nanhai"] + f"/zpxx/job_{nid}.html").text
            else:
                continue
            seen.add(source)
        assert seen == {"feed_zh_service", "feed_gz_labour", "jsonld_dongguan", "county_nanhai"}


def test_feeds_answer_etags_and_the_xlsx_is_a_workbook(sb: Sandbox, client: httpx.Client) -> None:
    url = sb.urls["agencies"] + "/fs_hr/jobs.xlsx"
    r = client.get(url)
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        assert "xl/workbook.xml" in z.namelist()
        assert "岗位" in z.read("xl/workbook.xml").decode()
    again = client.get(url, headers={"If-None-Match": r.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")


def test_static_feeds_under_feeds_for_tests_and_the_demo(tmp_path: Path, client: httpx.Client) -> None:
    (tmp_path / "a.csv").write_text("id,title\n1,普工\n", encoding="utf-8")
    with Sandbox(data_dir=tmp_path) as s:
        assert client.get(s.url + "/feeds/a.csv").text == "id,title\n1,普工\n"
        assert client.get(s.url + "/feeds/../a.csv").status_code == 404
        assert client.get(s.url + "/feeds/missing.csv").status_code == 404
        state = client.get(s.url + "/admin/state").json()
        assert state["day"] == 0 and state["date"] == "2026-11-20" and set(state["sites"]) == set(s.sites)
        assert s.env()["LINGONG_SANDBOX_NANHAI_URL"] == s.urls["nanhai"]


def test_size_scales_lazily() -> None:
    p = Province(5, 100_000)
    started = time.monotonic()
    rec = p.record("portal_yuegong", 99_999, 0)
    assert rec.title and time.monotonic() - started < 0.5  # one posting without the other 99,999
    assert p.universe(10) == 100_000 + 10 * p.new_per_day
