"""Every sandbox source harvested through the pipeline with the built-in connectors (real servers, real crawls)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from aggregator.app import App
from aggregator.schema import JobPosting
from connectors.sandbox import Sandbox
from connectors.testkit.kit import patched_env

SAMPLE_SOURCES = Path(__file__).resolve().parents[2] / "connectors" / "samples" / "sources"
SANDBOX_SOURCES = ["county_baiyun", "county_nanhai", "county_xiangzhou", "feed_fs_hr", "feed_zh_service",
                   "jsonld_dongguan", "portal_yuegong"]


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, Path]]:
    sources = tmp_path_factory.mktemp("sources")
    for sid in SANDBOX_SOURCES:
        shutil.copy(SAMPLE_SOURCES / f"{sid}.yaml", sources / f"{sid}.yaml")
    with Sandbox(size=120, seed=11) as sb, patched_env(sb.env()):
        yield sb, sources


def _harvest(app: App, sid: str, *, full: bool = True) -> Any:
    return app.harvest(app.select([sid])[0], full=full)[0]


@pytest.mark.slow
def test_every_sandbox_source_harvests_through_the_pipeline(province: tuple[Sandbox, Path]) -> None:
    sb, sources = province
    app = App.open(sources, entrypoints=False)
    try:
        runs = {sid: _harvest(app, sid) for sid in SANDBOX_SOURCES}
        for sid, run in runs.items():
            assert run.status == "ok", (sid, run.error)
            assert run.new > 0, sid
        assert sb.site("nanhai").hits("/zpxx/vip/") == 0  # forbidden by its robots.txt
        for sid in ("county_baiyun", "county_xiangzhou", "jsonld_dongguan"):  # GBK, Big5, JSON-LD
            titles = [p.title for p in _postings(app, sid)]
            assert titles and all("\ufffd" not in t and any("\u4e00" <= c <= "\u9fff" for c in t) for t in titles)
        # the same day again: nothing new, nothing changed
        again = _harvest(app, "county_xiangzhou")
        assert (again.status, again.new, again.updated) == ("ok", 0, 0)
    finally:
        app.close()


@pytest.mark.slow
def test_incremental_portal_run_fetches_only_what_changed(province: tuple[Sandbox, Path]) -> None:
    sb, sources = province
    app = App.open(sources, entrypoints=False)
    try:
        sb.reset_counters()
        full = _harvest(app, "portal_yuegong")
        full_requests = sb.site("portal").hits("/api/v1/jobs")
        sb.advance_day()
        sb.reset_counters()
        inc = _harvest(app, "portal_yuegong", full=False)
        inc_requests = sb.site("portal").hits("/api/v1/jobs")
        assert full.status == inc.status == "ok"
        assert 0 < inc.fetched < full.fetched
        assert inc.new + inc.updated > 0 and inc.closed == 0  # an incremental run never closes anything
        assert inc_requests <= full_requests  # at this size the whole portal fits in one or two pages
    finally:
        app.close()


# source id → (site, detail-page path of a native id, list-page path prefix)
_CRAWLED = {
    "county_baiyun": ("baiyun", "/lgsc/zpxx/content_{}.html", "/lgsc/zpxx/index"),
    "county_nanhai": ("nanhai", "/zpxx/job_{}.html", "/zpxx/list_"),
    "county_xiangzhou": ("xiangzhou", "/jobs/show.asp?id={}", "/jobs/list.asp"),
    "jsonld_dongguan": ("jobsite", "/job/{}", "/jobs"),
}


@pytest.mark.slow
def test_incremental_crawls_request_only_new_and_changed_detail_pages(tmp_path: Path) -> None:
    """After the sandbox advances a day, html and jsonld ask for exactly the detail pages of postings that
    are new or changed (the sandbox's own truth), besides robots.txt and the list pages; feeds get a 304."""

    for sid in [*_CRAWLED, "feed_zh_service"]:
        shutil.copy(SAMPLE_SOURCES / f"{sid}.yaml", tmp_path / f"{sid}.yaml")
    # size 300, seed 11: every crawled source has new or changed postings on day 1, and far from all
    with Sandbox(size=300, seed=11) as sb, patched_env(sb.env()):
        app = App.open(tmp_path, entrypoints=False)
        try:
            _day_after(sb, app)
        finally:
            app.close()


def _day_after(sb: Sandbox, app: App) -> None:
    day = sb.day
    full = {sid: _harvest(app, sid) for sid in [*_CRAWLED, "feed_zh_service"]}
    assert all(run.status == "ok" and run.closed == 0 for run in full.values())
    sb.advance_day()
    sb.reset_counters()
    for sid, (site_name, detail, list_prefix) in _CRAWLED.items():
        site = sb.site(site_name)
        listing = sb.province.listing(sid, day + 1)
        changed = set(sb.province.changed_between(sid, day, day + 1))
        assert changed and len(changed) < len(listing)  # some churn, not everything
        inc = _harvest(app, sid, full=False)
        assert (inc.status, inc.closed) == ("ok", 0), (sid, inc.error)
        requested = {t for t in site.requests if t != "/robots.txt" and not t.startswith(list_prefix)}
        assert requested == {detail.format(nid) for nid in changed}, sid
        assert all(n == 1 for n in site.requests.values()), sid  # nothing asked twice
        assert inc.fetched == len(changed) and inc.new + inc.updated == len(changed), sid
        # the full run read every detail page: the incremental run is a fraction of it
        assert full[sid].requests > inc.requests, sid
    assert sb.site("nanhai").hits("/zpxx/vip/") == 0
    # feeds: a conditional GET; the same day again is a 304 with no records and a complete run
    changed_feed = _harvest(app, "feed_zh_service", full=False)
    assert changed_feed.status == "ok" and changed_feed.fetched > 0 and changed_feed.closed == 0
    sb.reset_counters()
    same = _harvest(app, "feed_zh_service", full=False)
    assert (same.status, same.fetched, same.closed) == ("ok", 0, 0)
    assert sb.site("agencies").hits("/zh_service/jobs.xml") == 1


def _postings(app: App, sid: str) -> list[JobPosting]:
    return [p for p in app.catalog.iter_postings() if p.source_id == sid]


@pytest.mark.slow
def test_the_demo_sources_again_from_a_sandbox_on_other_ports_change_nothing() -> None:
    """``lingong demo`` puts its sandbox on free ports, new ones each time. Records that link to their own
    site (the portal's detailUrl, the JSON-LD url) name that port, yet a second harvest of every demo source
    from a sandbox on other ports, into the same catalog, finds 0 new and 0 updated: the same day's province.
    The moved postings are stored again with their new links (counted unchanged), so no link goes stale."""
    from aggregator.settings import DEMO_SOURCES_DIR

    with Sandbox(size=120) as first:
        with patched_env(first.env()):
            app = App.open(DEMO_SOURCES_DIR, entrypoints=False)
            try:
                runs = {r.source_id: r for r in app.harvest(app.select([])[0])}
                own_links = {sid: _stored_with(app, sid, first.urls[site] + "/")
                             for sid, site in (("portal_yuegong", "portal"), ("jsonld_dongguan", "jobsite"))}
            finally:
                app.close()
        assert all(r.status == "ok" and r.new > 0 for r in runs.values()), runs
        # the case in point: every record these two stored carries the first sandbox's host:port
        assert own_links == {sid: runs[sid].new + runs[sid].quarantined for sid in own_links}
        with Sandbox(size=120) as second:  # started while the first still holds its ports: all seven differ
            assert not _ports(first) & _ports(second)
            first.stop()
            with patched_env(second.env()):
                app = App.open(DEMO_SOURCES_DIR, entrypoints=False)
                try:
                    again = {r.source_id: r for r in app.harvest(app.select([])[0])}
                    # ... and the links follow the move: stored records and postings name the new port
                    moved = {sid: (_stored_with(app, sid, second.urls[site] + "/"),
                                   _stored_with(app, sid, first.urls[site] + "/"),
                                   sum(bool(p.url and p.url.startswith(second.urls[site] + "/"))
                                       for p in _postings(app, sid)))
                             for sid, site in (("portal_yuegong", "portal"), ("jsonld_dongguan", "jobsite"))}
                finally:
                    app.close()
    # (quarantined records keep the payload they were quarantined with, for replay)
    assert moved == {sid: (runs[sid].new, runs[sid].quarantined, runs[sid].new) for sid in own_links}
    assert again.keys() == runs.keys()
    assert {sid: (r.status, r.new, r.updated, r.closed) for sid, r in again.items()} == dict.fromkeys(
        runs, ("ok", 0, 0, 0))
    assert {sid: r.unchanged for sid, r in again.items()} == {sid: r.new for sid, r in runs.items()}


def _stored_with(app: App, sid: str, text: str) -> int:
    """How many raw records of ``sid`` the catalog holds whose payload contains ``text``."""
    row = app.catalog.db.execute("SELECT count(*) FROM raw_records WHERE source_id = ? AND instr(payload, ?) > 0",
                                 (sid, text)).fetchone()
    return int(row[0])


def _ports(sb: Sandbox) -> set[int | None]:
    return {urlsplit(u).port for u in sb.urls.values()}
