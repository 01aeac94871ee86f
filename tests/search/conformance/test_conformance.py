"""One suite, every engine: the same queries give the same answers on embedded and Elasticsearch."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from search import FACET_FIELDS, ReindexableBackend, SearchBackend, SearchQuery, WageCell
from search._common import haversine_km
from tests.search.conformance.corpus import CORPUS, SUZHOU, make_doc
from tests.search.conftest import Factory


def ids(backend: Any, **kw: Any) -> list[str]:
    return [d["cluster_id"] for d in backend.search(SearchQuery(page_size=100, **kw)).items]


def test_protocol_and_empty(make_backend: Factory) -> None:
    b = make_backend()
    assert isinstance(b, SearchBackend)
    assert b.count() == 0
    r = b.search(SearchQuery())
    assert (r.total, r.items, r.facets) == (0, [], {f: {} for f in FACET_FIELDS})
    assert b.get("nope") is None
    assert b.suggest("家政") == []
    assert b.wage_stats(SearchQuery(), ["region"]) == []


# --- text --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("保洁", {"c1", "c4", "c5"}),  # inside 保洁员, in a description, in a title
        ("外卖", {"c2", "c3"}),
        ("骑手", {"c2"}),
        ("日结", {"c1", "c3"}),
        ("外卖配送员", {"c2", "c3"}),  # the compound and its parts
        ("保洁 日结", {"c1"}),  # every word required
        ("保洁的日结", {"c1"}),  # 的 is not demanded
        ("保洁 骑手", set()),
        ("拉扎斯", {"c2"}),  # employer
        ("会展中心", {"c6"}),
        ("包吃住", {"c4"}),
        ("家政", {"c1", "c7"}),
        ("（）、", {"c1", "c2", "c3", "c4", "c5", "c6", "c7"}),  # only punctuation: everything
    ],
)
def test_chinese_text(backend: Any, q: str, expected: set[str]) -> None:
    assert set(ids(backend, q=q)) == expected


def test_title_outranks_description(backend: Any) -> None:
    hits = ids(backend, q="保洁")
    assert hits[-1] == "c4"  # 保洁 only in its description


@pytest.mark.parametrize(
    "q", ['保洁 AND (', "title:x", '"', "保洁 OR", "*", "a~2", "[1 TO 2]", "(", "\\", "-保洁", "+", "^3",
          "title:保洁 description:\"", "保洁'; DROP TABLE--", "{\"match_all\":{}}", "x" * 200],
)
def test_user_text_is_never_syntax(backend: Any, q: str) -> None:
    r = backend.search(SearchQuery(q=q, page_size=100))
    found = {d["cluster_id"] for d in r.items}
    assert r.total == len(found)
    # no posting has the words, or exactly the 保洁 ones, or (only punctuation) everything
    assert found in (set(), {"c1", "c4", "c5"}, {d["cluster_id"] for d in CORPUS})


def test_syntax_does_not_change_meaning(backend: Any) -> None:
    assert ids(backend, q='保洁 AND (') == []
    assert set(ids(backend, q='"保洁"')) == {"c1", "c4", "c5"}
    assert ids(backend, q="title:保洁") == []


# --- filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("320000", {"c1", "c2", "c3", "c4", "c7"}),  # province
        ("320500", {"c1", "c2", "c7"}),  # city
        ("320509", {"c1"}),  # county
        ("320200", {"c3"}),  # a city-level code as the most specific one
        ("370000", {"c5"}),
        ("370200", {"c5"}),
        ("110000", set()),
    ],
)
def test_region_any_level(backend: Any, region: str, expected: set[str]) -> None:
    assert set(ids(backend, region=region)) == expected


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"category": "cleaning"}, {"c1", "c5", "c7"}),
        ({"employment_type": "gig"}, {"c1", "c3", "c7"}),
        ({"pay_unit": "hour"}, {"c4", "c5"}),
        ({"verified_only": True}, {"c1", "c3", "c6"}),
        ({"min_daily_wage": 200}, {"c2", "c3", "c4"}),  # inclusive; postings without a wage never match
        ({"min_daily_wage": 261}, set()),
        ({"posted_within_days": 2}, {"c1", "c3", "c4"}),  # exactly 2 days ago is within
        ({"posted_within_days": 1}, {"c1", "c3"}),
        ({"near": SUZHOU, "radius_km": 10}, {"c2", "c7"}),
        ({"near": SUZHOU}, {"c1", "c2", "c3", "c7"}),  # default 50 km; c5, c6 have no coordinates
        ({"near": SUZHOU, "radius_km": 200}, {"c1", "c2", "c3", "c4", "c7"}),
        ({"near": (39.9, 116.4), "radius_km": 100}, set()),
        ({"q": "保洁", "region": "320000"}, {"c1", "c4"}),
        ({"q": "家政", "near": SUZHOU, "radius_km": 10, "verified_only": False}, {"c7"}),
        ({"q": "外卖", "pay_unit": "day", "verified_only": True, "min_daily_wage": 200}, {"c3"}),
        ({"category": "nope"}, set()),
    ],
)
def test_filters(backend: Any, kw: dict[str, Any], expected: set[str]) -> None:
    r = backend.search(SearchQuery(page_size=100, **kw))
    assert {d["cluster_id"] for d in r.items} == expected
    assert r.total == len(expected)


def test_near_is_exact_at_the_boundary(make_backend: Factory) -> None:
    b = make_backend()
    # Points due east and due north-east of the centre at 9.9 and 10.1 km.
    lat0, lon0 = SUZHOU
    docs = []
    for i, (dlat, dlon) in enumerate([(0, 1), (1, 0), (0.7071, 0.7071), (-0.7071, -0.7071)]):
        for r in (9.9, 10.1):
            lat = lat0 + dlat * r / 111.195
            lon = lon0 + dlon * r / (111.195 * 0.8554)
            docs.append(make_doc(f"p{i}-{r}", "点", code="320505", latlon=(lat, lon)))
    b.upsert(docs)
    b.commit()
    inside = {d["cluster_id"] for d in docs
              if haversine_km(lat0, lon0, d["location"]["lat"], d["location"]["lon"]) <= 10}
    assert len(inside) == 4
    r = b.search(SearchQuery(near=SUZHOU, radius_km=10, page_size=100))
    assert {d["cluster_id"] for d in r.items} == inside
    assert r.total == 4
    assert r.facets["region"] == {"320505": 4}


# --- facets ------------------------------------------------------------------------------------


def test_facets_count_every_hit(backend: Any) -> None:
    r = backend.search(SearchQuery(page_size=1))
    assert (len(r.items), r.total) == (1, 7)
    assert list(r.facets) == list(FACET_FIELDS)
    assert r.facets["region"] == {"320115": 1, "320200": 1, "320505": 1, "320506": 1, "320509": 1, "370215": 1}
    assert r.facets["category"] == {"cleaning": 3, "delivery": 2, "logistics": 1}
    assert r.facets["pay_unit"] == {"day": 3, "hour": 2, "piece": 1}
    assert r.facets["employment_type"] == {"gig": 3, "hourly": 1, "part_time": 1, "temporary": 1}


def test_facets_follow_query_and_filters(backend: Any) -> None:
    r = backend.search(SearchQuery(q="保洁", region="320000"))
    assert r.total == 2
    assert r.facets == {
        "region": {"320115": 1, "320509": 1},
        "category": {"cleaning": 1, "logistics": 1},
        "pay_unit": {"day": 1, "hour": 1},
        "employment_type": {"gig": 1, "temporary": 1},
    }
    near = backend.search(SearchQuery(near=SUZHOU, radius_km=10))
    assert near.facets["category"] == {"cleaning": 1, "delivery": 1}


# --- sorting, relevance and paging ----------------------------------------------------------------


def test_sort_newest_missing_last(backend: Any) -> None:
    assert ids(backend, sort="newest") == ["c3", "c1", "c4", "c2", "c6", "c7", "c5"]
    assert ids(backend) == ids(backend, sort="newest")  # no words: relevance is newest


def test_sort_wage_missing_last(backend: Any) -> None:
    hits = ids(backend, sort="wage")
    assert hits[:5] == ["c2", "c3", "c4", "c1", "c7"]
    assert set(hits[5:]) == {"c5", "c6"}
    assert ids(backend, q="保洁", sort="wage")[:2] == ["c4", "c1"]


def test_sort_distance(backend: Any) -> None:
    r = backend.search(SearchQuery(near=SUZHOU, radius_km=500, sort="distance"))
    assert [d["cluster_id"] for d in r.items] == ["c2", "c7", "c1", "c3", "c4"]
    distances = [d["distance_km"] for d in r.items]
    assert distances == sorted(distances)
    assert distances[0] == pytest.approx(0.951, abs=0.01)
    with pytest.raises(ValueError, match="near"):
        backend.search(SearchQuery(sort="distance"))


def _twins(**kw: Any) -> dict[str, Any]:
    return make_doc(kw.pop("cid"), "小区保洁员", description="日常清洁", code="320505", category="cleaning", **kw)


def test_relevance_favours_fresh_verified_nearby(make_backend: Factory) -> None:
    b = make_backend()
    b.upsert([
        _twins(cid="old", days_ago=60),
        _twins(cid="fresh", days_ago=0),
        _twins(cid="undated"),
    ])
    b.commit()
    assert ids(b, q="保洁") == ["fresh", "old", "undated"]
    b.upsert([_twins(cid="old", days_ago=60, verification="verified")])
    b.commit()
    assert ids(b, q="保洁")[0] == "fresh"  # 1.5 × 1.05 < 2
    b.upsert([_twins(cid="old", days_ago=2, verification="verified")])
    b.commit()
    assert ids(b, q="保洁") == ["old", "fresh", "undated"]
    b.upsert([
        _twins(cid="far", days_ago=1, latlon=(31.30, 120.58 + 0.5)),
        _twins(cid="near", days_ago=1, latlon=(31.30, 120.58 + 0.01)),
    ])
    b.commit()
    assert ids(b, q="保洁", near=SUZHOU, radius_km=100) == ["near", "far"]


def test_paging(backend: Any) -> None:
    full = ids(backend, sort="newest")
    pages = [backend.search(SearchQuery(sort="newest", page_size=3, offset=o)) for o in (0, 3, 6, 9)]
    assert [p.total for p in pages] == [7, 7, 7, 7]
    assert [d["cluster_id"] for p in pages for d in p.items] == full
    assert [len(p.items) for p in pages] == [3, 3, 1, 0]
    rel = ids(backend, q="保洁")
    second = backend.search(SearchQuery(q="保洁", page_size=1, offset=1))
    assert (second.total, [d["cluster_id"] for d in second.items]) == (3, rel[1:2])
    dist = [backend.search(SearchQuery(near=SUZHOU, sort="distance", page_size=2, offset=o)) for o in (0, 2)]
    assert [d["cluster_id"] for p in dist for d in p.items] == ["c2", "c7", "c1", "c3"]


def test_items_are_the_documents(backend: Any) -> None:
    [item] = backend.search(SearchQuery(q="骑手")).items
    assert item == CORPUS[1]
    assert backend.get("c2") == CORPUS[1]
    assert backend.get("c9") is None


# --- highlights --------------------------------------------------------------------------------


_EM = re.compile(r"</?em>")


def test_highlights(backend: Any) -> None:
    r = backend.search(SearchQuery(q="日结", highlight=True))
    by_id = {d["cluster_id"]: d["highlights"] for d in r.items}
    assert by_id["c1"]["title"] == ["家政保洁员（<em>日结</em>）"]
    # source markup escaped (as Elasticsearch's html encoder does, / too), marks added after
    assert by_id["c1"]["description"] == ["负责小区公共区域清洁，&lt;b&gt;<em>日结</em>&lt;&#x2F;b&gt;工资"]
    assert by_id["c3"]["title"] == []
    assert "<em>日结</em>" in by_id["c3"]["description"][0]
    assert "highlights" not in backend.search(SearchQuery(q="日结")).items[0]


@pytest.mark.parametrize("q", ["保洁", "外卖配送员", "日结 保洁", "家政"])
def test_highlights_add_nothing_but_marks(backend: Any, q: str) -> None:
    for item in backend.search(SearchQuery(q=q, highlight=True)).items:
        for field in ("title", "description"):
            for fragment in item["highlights"][field]:
                assert "<em>" in fragment
                plain = html.unescape(_EM.sub("", fragment))
                assert plain in item[field]  # a piece of the document's own (masked) text, nothing else
                assert "<" not in _EM.sub("", fragment)


# --- suggest -----------------------------------------------------------------------------------


def test_suggest_most_frequent_first(make_backend: Factory) -> None:
    b = make_backend()
    titles = ["家政保洁员"] * 3 + ["家政阿姨"] * 2 + ["家政钟点工", "外卖骑手", "家"]
    b.upsert([make_doc(f"s{i}", t) for i, t in enumerate(titles)])
    b.commit()
    assert b.suggest("家政") == ["家政保洁员", "家政阿姨", "家政钟点工"]
    assert b.suggest("家政", size=1) == ["家政保洁员"]
    assert b.suggest("家") == ["家政保洁员", "家政阿姨", "家", "家政钟点工"]
    assert b.suggest("外卖骑") == ["外卖骑手"]
    assert b.suggest("*") == []
    assert b.suggest("  ") == []
    b.delete(["s0", "s1", "s2"])
    b.commit()
    assert b.suggest("家政") == ["家政阿姨", "家政钟点工"]


# --- wage statistics ---------------------------------------------------------------------------


def test_wage_stats_by_hand(backend: Any) -> None:
    # Daily wages: c1 180 (320500 cleaning), c2 260 (320500 delivery), c3 220 (320200 delivery),
    # c4 200 (320100 logistics), c7 150 (320500 cleaning); c5, c6 have none.
    # Type-7 percentiles: position (n-1)·p, linear between neighbours.
    assert backend.wage_stats(SearchQuery(), []) == [
        WageCell(count=5, p25=180, median=200, p75=220),  # 150 180 200 220 260
    ]
    assert backend.wage_stats(SearchQuery(), ["region"]) == [
        WageCell(region="320500", count=3, p25=165, median=180, p75=220),  # 150 180 260
        WageCell(region="320100", count=1, p25=200, median=200, p75=200),
        WageCell(region="320200", count=1, p25=220, median=220, p75=220),
    ]
    assert backend.wage_stats(SearchQuery(), ["category"]) == [
        WageCell(category="cleaning", count=2, p25=157.5, median=165, p75=172.5),
        WageCell(category="delivery", count=2, p25=230, median=240, p75=250),
        WageCell(category="logistics", count=1, p25=200, median=200, p75=200),
    ]
    assert backend.wage_stats(SearchQuery(region="320500"), ["region", "category"]) == [
        WageCell(region="320500", category="cleaning", count=2, p25=157.5, median=165, p75=172.5),
        WageCell(region="320500", category="delivery", count=1, p25=260, median=260, p75=260),
    ]
    assert backend.wage_stats(SearchQuery(q="保洁"), ["category"]) == [
        WageCell(category="cleaning", count=1, p25=180, median=180, p75=180),
        WageCell(category="logistics", count=1, p25=200, median=200, p75=200),
    ]


def test_wage_stats_missing_group_value(make_backend: Factory) -> None:
    b = make_backend()
    b.upsert([make_doc("a", "普工", daily=100, unit="day"), make_doc("b", "普工", daily=300, unit="day",
                                                                   category="factory")])
    b.commit()
    assert b.wage_stats(SearchQuery(), ["category"]) == [
        WageCell(category=None, count=1, p25=100, median=100, p75=100),
        WageCell(category="factory", count=1, p25=300, median=300, p75=300),
    ]


# --- writes ------------------------------------------------------------------------------------


def test_upsert_is_idempotent_and_replaces(make_backend: Factory) -> None:
    b = make_backend()
    b.upsert([make_doc("k", "旧标题 搬运工")])
    b.upsert([make_doc("k", "旧标题 搬运工")])
    b.commit()
    assert b.count() == 1
    b.upsert([make_doc("k", "新标题 保洁员"), make_doc("k", "最新 保洁员")])  # last one wins
    b.commit()
    assert b.count() == 1
    assert ids(b, q="搬运工") == []
    assert [d["title"] for d in b.search(SearchQuery(q="保洁员")).items] == ["最新 保洁员"]


def test_delete(backend: Any) -> None:
    backend.delete(["c1", "c2", "no-such-id"])
    backend.delete([])
    backend.commit()
    assert backend.count() == 5
    assert ids(backend, q="骑手") == []
    assert backend.get("c1") is None
    assert backend.search(SearchQuery()).facets["category"] == {"cleaning": 2, "delivery": 1, "logistics": 1}


def test_reindex_swaps_atomically(backend: Any) -> None:
    assert isinstance(backend, ReindexableBackend)
    backend.reindex_begin()
    backend.upsert([make_doc("n1", "新索引 保洁员", code="320509")])
    backend.commit()
    assert backend.count() == 7  # searches still see the old index
    assert ids(backend, q="新索引") == []
    backend.reindex_commit()
    assert backend.count() == 1
    assert ids(backend, q="新索引") == ["n1"]
    backend.reindex_begin()
    backend.upsert([make_doc("n2", "作废")])
    backend.reindex_abort()
    backend.commit()
    assert ids(backend) == ["n1"]
