"""RawPosting.content_hash: what the source said, with links to the record's own site read by their path."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aggregator.schema import RawPosting


def _raw(payload: dict[str, Any], url: str | None) -> RawPosting:
    return RawPosting(source_id="portal_x", native_id="J1", payload=payload, fields={"url": url}, url=url,
                      fetched_at=datetime(2026, 11, 20, tzinfo=UTC))


def _portal_item(origin: str, **over: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "jobId": "J1", "title": "仓库分拣员", "salaryText": "200元/天",
        "detailUrl": f"{origin}/job/J1",
        "company": {"name": "广州示例物流有限公司", "logo": f"{origin}/img/logo.png?v=2"},
        "description": f'详情见<a href="{origin}/job/J1#apply">报名</a>',
        "links": [f"{origin}/", "https://map.example.cn/poi/9"],
    }
    item.update(over)
    return item


def _hash(origin: str, **over: Any) -> str:
    return _raw(_portal_item(origin, **over), f"{origin}/job/J1").content_hash


def test_a_site_on_another_port_host_or_scheme_hashes_the_same() -> None:
    first = _hash("http://127.0.0.1:18768")
    assert _hash("http://127.0.0.1:40017") == first  # a sandbox on other ports
    assert _hash("https://lg.hrss.gd.gov.cn") == first  # a new domain, and https
    assert _hash("HTTP://127.0.0.1:18768") == first  # scheme and host are case-insensitive


def test_a_change_to_the_record_still_changes_the_hash() -> None:
    origin = "http://127.0.0.1:18768"
    assert _hash(origin, salaryText="220元/天") != _hash(origin)
    assert _hash(origin, detailUrl=f"{origin}/job/J2") != _hash(origin)  # the path is content


def test_links_to_other_hosts_are_hashed_whole() -> None:
    origin = "http://127.0.0.1:18768"
    other = _hash(origin, links=[f"{origin}/", "https://map.example.org/poi/9"])
    assert other != _hash(origin)
    # a longer host or another port is another site, not this one: left as it is
    for elsewhere in (f"{origin}0/x", "http://127.0.0.1:1876/x", "http://127.0.0.1.nip.io:18768/x",
                      "http://user@127.0.0.1:18768/x"):
        own = _raw({"link": elsewhere}, f"{origin}/job/J1").content_hash
        assert own == _raw({"link": elsewhere}, None).content_hash, elsewhere


def test_without_an_http_url_the_payload_is_hashed_as_it_is() -> None:
    payload = _portal_item("http://127.0.0.1:18768")
    plain = _raw(payload, None).content_hash
    assert _raw(payload, "ftp://127.0.0.1:18768/job/J1").content_hash == plain
    assert _raw(payload, "not a url").content_hash == plain
    assert _raw(_portal_item("http://127.0.0.1:40017"), None).content_hash != plain
    # a record without links to its own site hashes as it always did
    bare = {"id": "J1", "title": "仓库分拣员"}
    assert _raw(bare, "http://127.0.0.1:18768/job/J1").content_hash == _raw(bare, None).content_hash
