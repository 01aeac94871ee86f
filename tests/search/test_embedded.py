"""The embedded (tantivy + rjieba) search backend."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tantivy

from aggregator.errors import BackendUnavailableError, SearchBackendError
from search import FACET_FIELDS, SearchBackend, SearchQuery
from search._tokenize import index_tokens, query_groups
from search.embedded import EmbeddedBackend
from tests.search.conformance.corpus import make_doc

CORPUS = [
    make_doc("c1", "家政保洁员（日结）", description="负责小区公共区域清洁",
             employer="苏州洁美家政服务有限公司", verification="verified", code="320509",
             category="cleaning", employment_type="gig", unit="day", daily=180, settlement="日结",
             days_ago=1),
    make_doc("c2", "美团外卖骑手", description="多劳多得，周结", employer="上海拉扎斯信息科技有限公司",
             code="320505", category="delivery", employment_type="part_time", unit="piece", daily=260,
             days_ago=3),
    make_doc("c3", "外卖配送员招聘", description="电动车自备，日结", employer="饿了么站点",
             verification="verified", code="320200", category="delivery", employment_type="gig",
             unit="day", daily=220, days_ago=0),
    make_doc("c4", "仓库普工", description="搬运、分拣，包吃住，可做保洁", employer="南京仓储物流有限公司",
             code="320115", category="logistics", employment_type="temporary", unit="hour", daily=200,
             days_ago=2),
    make_doc("c5", "钟点工保洁", description=None, employer=None, code="370215", category="cleaning",
             employment_type="hourly", unit="hour", daily=None, days_ago=None),
    make_doc("c6", "会议礼仪兼职", description="形象好", employer="青岛会展中心", verification="verified",
             code=None, category=None, employment_type=None, unit=None, daily=None, days_ago=5),
]


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[EmbeddedBackend]:
    b = EmbeddedBackend(tmp_path / "index")
    b.upsert(CORPUS)
    b.commit()
    yield b
    b.close()


def ids(backend: EmbeddedBackend, **kw: Any) -> list[str]:
    return [d["cluster_id"] for d in backend.search(SearchQuery(page_size=100, **kw)).items]


def test_satisfies_protocol(tmp_path: Path) -> None:
    b = EmbeddedBackend(tmp_path / "i")
    assert isinstance(b, SearchBackend)
    assert b.name == "embedded"
    assert b.count() == 0
    r = b.search(SearchQuery())
    assert (r.total, r.items) == (0, [])
    assert r.facets == {f: {} for f in FACET_FIELDS}
    b.close()


# --- segmentation --------------------------------------------------------------------------------


def test_domain_words_segment_whole() -> None:
    assert index_tokens("招日结普工，包吃住") == ["招", "日结", "普工", "包吃", "吃住", "包吃住"]
    assert "外卖配送员" in index_tokens("外卖配送员招聘")


def test_query_text_becomes_plain_terms() -> None:
    assert query_groups('保洁 AND (title:"x"') == [
        [("保洁", 1.0)], [("and", 1.0)], [("title", 1.0)], [("x", 1.0)],
    ]
    [group] = query_groups("外卖配送员")
    assert group == [("外卖配送员", 1.0), ("外卖", 0.5), ("配送", 0.5), ("配送员", 0.5)]
    assert query_groups("（）！  ") == []


# --- full text -------------------------------------------------------------------------------------


def test_chinese_subword_match(backend: EmbeddedBackend) -> None:
    # 保洁 is indexed inside 保洁员 (search-mode segmentation); title hits rank above description hits,
    # and c1's verified employer lifts it above c5
    assert ids(backend, q="保洁") == ["c1", "c5", "c4"]
    assert ids(backend, q="外卖") == ["c3", "c2"]  # 外卖配送员招聘 (verified), 美团外卖骑手
    assert ids(backend, q="骑手") == ["c2"]
    assert ids(backend, q="日结") == ["c1", "c3"]  # title, then description


def test_whole_word_ranks_above_its_parts(backend: EmbeddedBackend) -> None:
    assert ids(backend, q="保洁员") == ["c1", "c5", "c4"]


def test_domain_word_and_its_parts(backend: EmbeddedBackend) -> None:
    # exact compound first; 外卖 alone still matches, ranked lower
    assert ids(backend, q="外卖配送员") == ["c3", "c2"]


def test_all_words_required(backend: EmbeddedBackend) -> None:
    assert ids(backend, q="保洁 日结") == ["c1"]
    assert ids(backend, q="保洁的日结") == ["c1"]  # 的 is not demanded
    assert ids(backend, q="保洁 骑手") == []


def test_title_outranks_description(backend: EmbeddedBackend) -> None:
    hits = ids(backend, q="保洁")
    assert hits.index("c4") == 2  # 保洁 only in its description


def test_employer_and_place_searchable(backend: EmbeddedBackend) -> None:
    assert ids(backend, q="拉扎斯") == ["c2"]
    assert ids(backend, q="会展中心") == ["c6"]
    assert ids(backend, q="包吃住") == ["c4"]


def test_case_and_width_folded(tmp_path: Path) -> None:
    b = EmbeddedBackend(tmp_path / "i")
    b.upsert([make_doc("x", "招聘Python开发 ＩＴ运维")])
    b.commit()
    assert ids(b, q="python") == ["x"]
    assert ids(b, q="PYTHON") == ["x"]
    assert ids(b, q="it") == ["x"]
    b.close()


@pytest.mark.parametrize(
    "q",
    ['保洁 AND (', "title:x", '"', "保洁 OR", "*", "a~2", "[1 TO 2]", "(", ")", "\\", "-保洁", "+", "^3",
     "：；、", "   ", "\x00", "title:保洁 description:\"", "保洁'; DROP TABLE--", "x" * 200],
)
def test_query_syntax_is_plain_text(backend: EmbeddedBackend, q: str) -> None:
    r = backend.search(SearchQuery(q=q))
    assert r.total >= 0


def test_syntax_characters_do_not_change_meaning(backend: EmbeddedBackend) -> None:
    assert ids(backend, q='保洁 AND (') == []  # "and" is a word that no posting has
    assert set(ids(backend, q='"保洁"')) == {"c1", "c4", "c5"}
    assert set(ids(backend, q="title:保洁")) == set()  # "title" is a required word too
    assert ids(backend, q="（）、") == ids(backend)  # only punctuation: same as empty


def test_empty_q_matches_all_newest_first(backend: EmbeddedBackend) -> None:
    r = backend.search(SearchQuery(page_size=100))
    assert r.total == 6
    assert [d["cluster_id"] for d in r.items] == ["c3", "c1", "c4", "c2", "c6", "c5"]


# --- filters --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("320000", {"c1", "c2", "c3", "c4"}),  # province
        ("320500", {"c1", "c2"}),  # city
        ("320509", {"c1"}),  # county
        ("320200", {"c3"}),  # a city-level code as the most specific one
        ("370000", {"c5"}),
        ("110000", set()),
    ],
)
def test_region_any_level(backend: EmbeddedBackend, region: str, expected: set[str]) -> None:
    assert set(ids(backend, region=region)) == expected


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"category": "cleaning"}, {"c1", "c5"}),
        ({"category": "delivery"}, {"c2", "c3"}),
        ({"employment_type": "gig"}, {"c1", "c3"}),
        ({"employment_type": "hourly"}, {"c5"}),
        ({"pay_unit": "hour"}, {"c4", "c5"}),
        ({"pay_unit": "piece"}, {"c2"}),
        ({"verified_only": True}, {"c1", "c3", "c6"}),
        ({"verified_only": True, "category": "delivery"}, {"c3"}),
        ({"q": "保洁", "region": "320000"}, {"c1", "c4"}),
        ({"q": "保洁", "pay_unit": "day", "verified_only": True}, {"c1"}),
        ({"category": "nope"}, set()),
    ],
)
def test_filters(backend: EmbeddedBackend, kw: dict[str, Any], expected: set[str]) -> None:
    assert set(ids(backend, **kw)) == expected


def test_filters_do_not_change_relevance_order(backend: EmbeddedBackend) -> None:
    assert ids(backend, q="保洁", region="320000") == [i for i in ids(backend, q="保洁") if i in {"c1", "c4"}]


# --- facets ---------------------------------------------------------------------------------------


def test_facets_count_every_hit_not_the_page(backend: EmbeddedBackend) -> None:
    r = backend.search(SearchQuery(page_size=1))
    assert len(r.items) == 1
    assert r.total == 6
    assert list(r.facets) == list(FACET_FIELDS)
    assert r.facets["region"] == {"320115": 1, "320200": 1, "320505": 1, "320509": 1, "370215": 1}
    assert r.facets["category"] == {"cleaning": 2, "delivery": 2, "logistics": 1}
    assert r.facets["pay_unit"] == {"day": 2, "hour": 2, "piece": 1}
    assert r.facets["employment_type"] == {"gig": 2, "hourly": 1, "part_time": 1, "temporary": 1}


def test_facets_follow_query_and_filters(backend: EmbeddedBackend) -> None:
    r = backend.search(SearchQuery(q="保洁", region="320000"))
    assert r.total == 2
    assert r.facets == {
        "region": {"320115": 1, "320509": 1},
        "category": {"cleaning": 1, "logistics": 1},
        "pay_unit": {"day": 1, "hour": 1},
        "employment_type": {"gig": 1, "temporary": 1},
    }


def test_facets_ignore_replaced_and_deleted(backend: EmbeddedBackend) -> None:
    backend.upsert([make_doc("c1", "家政保洁员", category="delivery", code="320509")])
    backend.delete(["c5"])
    backend.commit()
    r = backend.search(SearchQuery())
    assert r.facets["category"] == {"delivery": 3, "logistics": 1}


# --- sorting and paging ---------------------------------------------------------------------------


def test_sort_newest_missing_last(backend: EmbeddedBackend) -> None:
    assert ids(backend, sort="newest") == ["c3", "c1", "c4", "c2", "c6", "c5"]


def test_sort_wage_missing_last(backend: EmbeddedBackend) -> None:
    hits = ids(backend, sort="wage")
    assert hits[:4] == ["c2", "c3", "c4", "c1"]
    assert set(hits[4:]) == {"c5", "c6"}


def test_sort_wage_with_query(backend: EmbeddedBackend) -> None:
    assert ids(backend, q="保洁", sort="wage") == ["c4", "c1", "c5"]


def test_paging(backend: EmbeddedBackend) -> None:
    full = ids(backend, sort="newest")
    pages = [backend.search(SearchQuery(sort="newest", page_size=4, offset=o)) for o in (0, 4, 8)]
    assert [p.total for p in pages] == [6, 6, 6]
    assert [d["cluster_id"] for p in pages for d in p.items] == full
    assert [len(p.items) for p in pages] == [4, 2, 0]
    rel = ids(backend, q="保洁")
    second = backend.search(SearchQuery(q="保洁", page_size=1, offset=1))
    assert (second.total, [d["cluster_id"] for d in second.items]) == (3, rel[1:2])


def test_items_are_the_original_documents(backend: EmbeddedBackend) -> None:
    [item] = backend.search(SearchQuery(q="骑手")).items
    assert item == CORPUS[1]


# --- writes ---------------------------------------------------------------------------------------


def test_upsert_is_idempotent_and_replaces(tmp_path: Path) -> None:
    b = EmbeddedBackend(tmp_path / "i")
    b.upsert([make_doc("k", "旧标题 搬运工")])
    b.upsert([make_doc("k", "旧标题 搬运工")])
    b.commit()
    assert b.count() == 1
    b.upsert([make_doc("k", "新标题 保洁员"), make_doc("k", "最新 保洁员")])  # last one wins
    b.commit()
    assert b.count() == 1
    assert ids(b, q="搬运工") == []
    assert [d["title"] for d in b.search(SearchQuery(q="保洁员")).items] == ["最新 保洁员"]
    b.close()


def test_writes_invisible_until_commit(tmp_path: Path) -> None:
    b = EmbeddedBackend(tmp_path / "i")
    b.upsert([make_doc("a", "保洁")])
    assert b.count() == 0
    b.commit()
    assert b.count() == 1
    b.commit()  # nothing pending: a no-op
    assert b.count() == 1
    b.close()


def test_delete(backend: EmbeddedBackend) -> None:
    backend.delete(["c1", "c2", "no-such-id"])
    backend.delete([])
    backend.commit()
    assert backend.count() == 4
    assert ids(backend, q="骑手") == []
    assert set(ids(backend)) == {"c3", "c4", "c5", "c6"}


def test_clear_drops_committed_and_pending(backend: EmbeddedBackend) -> None:
    backend.upsert([make_doc("pending", "保洁")])
    backend.clear()
    backend.upsert([make_doc("after", "骑手")])
    backend.commit()
    assert backend.count() == 1
    assert ids(backend) == ["after"]


def test_persists_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "index"
    b = EmbeddedBackend(path)
    b.upsert(CORPUS)
    b.commit()
    b.upsert([make_doc("uncommitted", "保洁")])
    b.close()
    b2 = EmbeddedBackend(path)
    assert b2.count() == 6
    assert set(ids(b2, q="保洁")) == {"c1", "c4", "c5"}
    assert b2.search(SearchQuery(region="320500")).facets["region"] == {"320505": 1, "320509": 1}
    b2.close()


def test_closed_backend_refuses(tmp_path: Path) -> None:
    b = EmbeddedBackend(tmp_path / "i")
    b.close()
    b.close()
    with pytest.raises(SearchBackendError, match="closed"):
        b.search(SearchQuery())
    with pytest.raises(SearchBackendError, match="closed"):
        b.upsert([make_doc("a", "x")])


def test_foreign_schema_is_reported(tmp_path: Path) -> None:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("something_else")
    path = tmp_path / "i"
    path.mkdir()
    tantivy.Index(sb.build(), path=str(path))
    with pytest.raises(SearchBackendError, match="reindex"):
        EmbeddedBackend(path)


def test_missing_cluster_id_rejected(tmp_path: Path) -> None:
    b = EmbeddedBackend(tmp_path / "i")
    doc = make_doc("a", "保洁")
    doc["cluster_id"] = None
    with pytest.raises(SearchBackendError, match="cluster_id"):
        b.upsert([doc])
    b.close()


def test_sparse_and_odd_documents_index(tmp_path: Path) -> None:
    b = EmbeddedBackend(tmp_path / "i")
    docs: list[dict[str, Any]] = [
        {"cluster_id": "bare", "title": "保洁"},
        {"cluster_id": "nones", "title": None, "description": None, "employer": None, "location": None,
         "salary": None, "schedule": None, "posted_at": None, "category": None},
        {"cluster_id": "odd", "title": "日结保洁", "location": {"code": "32"},
         "salary": {"daily_estimate": "abc"}, "posted_at": "not a date", "schedule": {"employment_type": ""}},
        {"cluster_id": "naive", "title": "保洁", "posted_at": "2025-03-01T09:00:00",
         "salary": {"daily_estimate": 150}},
        make_doc("full", "保洁", code="320509", unit="day", daily=200, days_ago=1),
    ]
    b.upsert(docs)
    b.commit()
    assert b.count() == 5
    assert set(ids(b, q="保洁")) == {"bare", "odd", "naive", "full"}
    assert ids(b, sort="newest")[:2] == ["naive", "full"]
    assert ids(b, sort="wage")[:2] == ["full", "naive"]
    r = b.search(SearchQuery())
    assert r.facets["region"] == {"320509": 1}
    assert r.facets["employment_type"] == {}
    b.close()


# --- several handles, several processes -----------------------------------------------------------


def test_second_writer_waits_then_gives_up(tmp_path: Path) -> None:
    path = tmp_path / "i"
    a = EmbeddedBackend(path)
    b = EmbeddedBackend(path, lock_timeout=0.1)
    a.upsert([make_doc("a", "保洁")])  # a holds the writer lock until it commits
    with pytest.raises(BackendUnavailableError, match="another writer"):
        b.upsert([make_doc("b", "骑手")])
    assert b.count() == 0  # reading never needs the lock
    a.commit()  # releases the lock
    assert b.count() == 1  # and b sees a's commit without reopening
    b.upsert([make_doc("b", "骑手")])
    b.commit()
    assert a.count() == 2
    a.close()
    b.close()


@pytest.mark.slow
def test_other_process_reads_and_writes(tmp_path: Path) -> None:
    path = tmp_path / "i"
    a = EmbeddedBackend(path)
    a.upsert(CORPUS)
    a.commit()
    script = (
        "import sys; from pathlib import Path; from search.embedded import EmbeddedBackend; "
        "from search import SearchQuery; b = EmbeddedBackend(Path(sys.argv[1])); "
        "print(b.search(SearchQuery(q='保洁')).total); "
        "b.upsert([{'cluster_id': 'z', 'title': '外卖骑手'}]); b.commit(); b.close()"
    )
    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True,
                         check=True, cwd=repo)
    assert out.stdout.strip() == "3"
    assert a.count() == 7
    assert set(ids(a, q="骑手")) == {"z", "c2"}
    a.close()
