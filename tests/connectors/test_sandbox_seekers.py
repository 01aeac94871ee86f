"""The sandbox province's 求职登记 (seeker registrations): served by the portal, harvested by the demo's
``kind: seekers`` source through the pipeline, counted in the market report, and kept private.

Real servers on 127.0.0.1 (``Sandbox``), the real json_api connector, a real catalog and index.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from aggregator.app import App
from aggregator.cli import app as cli_app
from aggregator.market.report import build_report, month_bounds
from aggregator.runs import HarvestRun
from aggregator.seekers.ingest import WITHHELD
from aggregator.settings import DEMO_SOURCES_DIR
from connectors.sandbox import BASE_DATE, Sandbox, SeekerRegistry
from connectors.sandbox.province import _PLACES
from connectors.testkit.kit import patched_env

SEEKERS = "portal_yuegong_seekers"
SIZE = 120
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_ANY_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _token(c: httpx.Client, sb: Sandbox) -> str:
    r = c.post(sb.urls["portal"] + "/api/v1/token", data={"client_id": "t", "client_secret": sb.portal_secret})
    assert r.status_code == 200, r.text
    token: str = r.json()["data"]["access_token"]
    return token


def _export(c: httpx.Client, sb: Sandbox) -> list[dict[str, Any]]:
    auth = {"Authorization": f"Bearer {_token(c, sb)}"}
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        r = c.get(sb.urls["portal"] + "/api/v1/seekers", params={"page": page, "size": 100}, headers=auth)
        assert r.status_code == 200, r.text
        data = r.json()["data"]
        items += data["items"]
        if page * 100 >= data["total"]:
            assert len(items) == data["total"]
            return items
        page += 1


# --- the export ---------------------------------------------------------------------------------------


def test_the_export_needs_the_portal_token_and_serves_what_the_truth_says() -> None:
    with Sandbox(size=SIZE, seed=5) as sb, httpx.Client(timeout=10) as c:
        assert c.get(sb.urls["portal"] + "/api/v1/seekers").status_code == 401
        items = _export(c, sb)
        truth = sb.truth()["seekers"]
    assert len(items) == truth["registrations"] == round(SIZE * 14)
    assert [i["regId"] for i in items] == [r.native_id for r in sb.seekers.listing(0)]
    broken = {i["regId"]: i for i in items
              if i["registeredAt"] == "待核实" or any(w["code"] == "待定" for w in i["wantedJobs"])}
    assert sorted(broken) == sorted(n for n, _ in truth["malformed"])
    assert 0.005 < len(broken) / len(items) < 0.03
    for item in items:
        assert item["name"] and _MOBILE.match(item["phone"])
        assert item["regionCode"][:4] + "00" in {c[:4] + "00" for c in _PLACES}
        if item["regId"] in broken and item["registeredAt"] == "待核实":
            continue
        registered = datetime.strptime(item["registeredAt"], "%Y-%m-%d %H:%M:%S").date()
        assert date(2026, 10, 1) <= registered <= BASE_DATE  # the demo's months, up to the sandbox's day 0
    # people in every city of the province, and in the occupations the postings ask for
    assert set(truth["by_city"]) == {c[:4] + "00" for c in _PLACES}
    assert {"6-99", "4-02", "4-07", "4-01", "4-03"} <= set(truth["by_occupation"])
    assert sum(truth["by_city"].values()) == truth["readable"] == len(items) - len(broken)


def test_the_same_seed_and_day_serve_the_same_registrations_and_a_day_brings_new_ones() -> None:
    with Sandbox(size=SIZE, seed=5) as a, Sandbox(size=SIZE, seed=5) as b, Sandbox(size=SIZE, seed=6) as other, \
            httpx.Client(timeout=10) as c:
        first = _export(c, a)
        assert first == _export(c, b)
        assert [i["regId"] for i in first] != [i["regId"] for i in _export(c, other)]
        a.advance_day()
        later = _export(c, a)
    new = later[len(first):]
    assert later[:len(first)] == first  # nobody lapses yet: registrations last 60 days
    assert len(new) == SeekerRegistry(5, SIZE).new_per_day == round(SIZE * 14 / 60)
    assert {i["registeredAt"][:10] for i in new} == {(BASE_DATE + timedelta(days=1)).isoformat()}


def test_registrations_lapse_so_the_export_stays_about_one_size() -> None:
    reg = SeekerRegistry(3, 400)
    counts = [reg.truth(day)["registrations"] for day in (0, 10, 60, 200)]
    assert counts[0] == 5600 and max(counts) < 1.2 * 5600 and min(counts) > 0.9 * 5600
    day = 200
    assert all(r.made_on <= day < r.made_on + 60 for r in reg.listing(day))


# --- harvested through the pipeline ------------------------------------------------------------------


@dataclass
class Harvested:
    sandbox: Sandbox
    app: App
    home: Path
    first: dict[str, HarvestRun]
    truth: dict[str, Any]


@pytest.fixture(scope="module")
def harvested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harvested]:
    """The portal's postings and 求职登记, harvested with the demo's source files.

    lingong dates a registration from when it stores it (the catalog's ``created_at``), so the sandbox is
    moved to today's date: its postings and its registrations are then both in the month the test runs in.
    """
    sources = tmp_path_factory.mktemp("sources")
    for sid in ("portal_yuegong", SEEKERS):
        shutil.copy(DEMO_SOURCES_DIR / f"{sid}.yaml", sources / f"{sid}.yaml")
    home = tmp_path_factory.mktemp("home")
    day = max(0, (datetime.now(UTC).date() - BASE_DATE).days)
    with Sandbox(size=SIZE, day=day) as sb, patched_env({**sb.env(), "LINGONG_LOAD_PLUGINS": ""}):
        app = App.open(sources, home=home, entrypoints=False)
        try:
            runs = {r.source_id: r for r in app.harvest(app.select([])[0])}
            app.sync()
            yield Harvested(sb, app, home, runs, sb.truth()["seekers"])
        finally:
            app.close()


def test_every_readable_registration_becomes_a_seeker_and_the_rest_are_quarantined(harvested: Harvested) -> None:
    run, truth, catalog = harvested.first[SEEKERS], harvested.truth, harvested.app.catalog
    assert run.status == "ok", run.error
    assert (run.fetched, run.new, run.updated, run.quarantined) == (
        truth["registrations"], truth["readable"], 0, len(truth["malformed"]))
    everyone = catalog.count_active_seekers(date.min, date.max, "", None)
    assert everyone == truth["readable"]
    assert {city: catalog.count_active_seekers(date.min, date.max, city[:4], None) for city in truth["by_city"]} \
        == truth["by_city"]
    assert {occ: catalog.count_active_seekers(date.min, date.max, "", occ) for occ in truth["by_occupation"]} \
        == truth["by_occupation"]
    quarantined = {q["native_id"]: q for q in catalog.quarantined(SEEKERS)}
    assert {n: what in quarantined[n]["reason"] for n, what in truth["malformed"]} == {
        n: True for n, _ in truth["malformed"]}
    assert {q["payload"] for q in quarantined.values()} == {WITHHELD}


def test_harvesting_again_finds_nothing_new_and_rewrites_nothing(harvested: Harvested) -> None:
    catalog = harvested.app.catalog
    version = catalog.seekers_version()
    (again,) = harvested.app.harvest(harvested.app.select([SEEKERS])[0])
    assert (again.status, again.new, again.updated, again.unchanged, again.quarantined) == (
        "ok", 0, 0, harvested.truth["readable"], len(harvested.truth["malformed"]))
    assert catalog.seekers_version() == version  # nothing stored again, so no matcher drops its cache
    assert catalog.count_active_seekers(date.min, date.max, "", None) == harvested.truth["readable"]


def test_the_market_report_divides_demand_by_the_registered_seekers(harvested: Harvested) -> None:
    month = datetime.now(UTC).strftime("%Y-%m")
    assert month_bounds(month)[1] > datetime.now(UTC).date()
    truth = harvested.truth
    for region in (None, "440000"):
        report = build_report(harvested.app.catalog, month, region=region)
        assert report.seekers_note == ""
        total = report.total
        assert total.demand > 0 and total.seekers == truth["readable"]
        assert total.ratio == round(total.demand / truth["readable"], 2)
        cities = {r.code: r for r in report.by_region if r.code != "440000"}
        assert len(cities) >= 6
        for code, row in cities.items():
            assert row.seekers == truth["by_city"][code], code
            assert row.ratio == round(row.demand / truth["by_city"][code], 2), code
        middle = [r for r in report.by_occupation_middle if r.code in truth["by_occupation"]]
        assert middle and all(r.ratio == round(r.demand / truth["by_occupation"][r.code], 2) for r in middle)


def test_seekers_contacts_and_names_are_nowhere_but_encrypted(harvested: Harvested,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    regs = harvested.sandbox.seekers.listing(harvested.sandbox.day)
    phones = {r.phone for r in regs if r.phone}
    names = [r.name for r in regs]
    assert len(phones) > 1000

    def phones_in(text: str) -> set[str]:
        return set(_ANY_MOBILE.findall(text)) & phones

    # every file lingong keeps: the catalog (+ WAL), the index; contacts live in them only encrypted
    for path in harvested.home.rglob("*"):
        if path.is_file():
            assert not phones_in(path.read_bytes().decode("latin-1")), path
    # what lingong derived from the registrations names nobody (names are not even mapped)
    db = harvested.app.catalog.db
    seeker_rows = json.dumps([list(map(str, row)) for table in ("seekers", "seeker_keys", "notifications")
                              for row in db.execute(f"SELECT * FROM {table}")], ensure_ascii=False)
    seeker_rows += json.dumps([dict(q) for q in harvested.app.catalog.quarantined(SEEKERS)], ensure_ascii=False)
    assert not [n for n in names if n in seeker_rows]
    # what anyone can read: exports, the report, the quarantine list, a seeker's matches
    monkeypatch.setenv("LINGONG_HOME", str(harvested.home))
    runner = CliRunner()
    seeker_id = harvested.app.catalog.seeker_id_for(SEEKERS, next(r.native_id for r in regs if not r.malformed))
    assert seeker_id is not None
    outputs = {}
    for args in (["export"], ["export", "--format", "jsonld"], ["report", "--format", "json"],
                 ["quarantine", "list", "--json"], ["match", seeker_id, "--json"],
                 ["seekers", "dead-letters", "--json"]):
        result = runner.invoke(cli_app, [*args, "--sources", str(DEMO_SOURCES_DIR)])
        assert result.exit_code == 0, (args, result.output)
        outputs[" ".join(args[:2])] = result.stdout
    for name, text in outputs.items():
        assert not phones_in(text), name
        assert not [n for n in names if f'"{n}"' in text], name  # never a field holding a seeker's name
    # the postings' own contacts come out masked (138****8000)
    exported = [json.loads(line) for line in outputs["export"].splitlines()]
    shown = [p["contact"]["phone"] for p in exported if (p.get("contact") or {}).get("phone")]
    assert shown and all("****" in phone for phone in shown)
