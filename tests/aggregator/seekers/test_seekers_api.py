"""Registration, matches, deletion (nothing remains), contact encryption, seekers from a source, the CLI."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
import yaml
from cryptography.fernet import Fernet
from fastapi import FastAPI
from typer.testing import CliRunner

from aggregator.app import App
from aggregator.commands import match as match_commands
from aggregator.seekers import Seekers
from aggregator.seekers.api import register_seeker_routes
from aggregator.seekers.service import MAX_ATTEMPTS
from tests.aggregator.seekers.conftest import Clock, Receiver, posting
from tests.aggregator.seekers.test_push import _store
from tests.aggregator.test_api import serve_in_thread
from tests.conftest import job, write_ndjson, write_source

MARKER_SKILL = "叉车证ZQ7"


def _serve(app: App) -> Iterator[str]:
    """The seeker routes under a real uvicorn server on 127.0.0.1 (as ``create_api`` mounts them)."""
    api = FastAPI()
    register_seeker_routes(api, app)
    yield from serve_in_thread(app, api)


@pytest.fixture
def served(open_app: Any, sources_dir: Path, tmp_path: Path) -> Iterator[tuple[App, httpx.Client]]:
    records = [job(1, pay="180元/天"), job(2, jobTitle="仓库打包员", pay="150元/天", workPlace="广州市天河区"),
               job(3, jobTitle="中餐厨师", pay="6000元/月", detail="后厨炒锅")]
    write_source(sources_dir, "feed_a", options={"path": str(write_ndjson(tmp_path / "a.ndjson", records)),
                                                 "format": "ndjson"})
    app: App = open_app()
    app.harvest(app.select([])[0])
    app.sync()
    for base in _serve(app):
        with httpx.Client(base_url=base, timeout=10) as client:
            yield app, client


def _seeker(receiver: Receiver, **kw: Any) -> dict[str, Any]:
    return {"categories": ["物流配送"], "region": "440100", "min_pay": "20元/小时", "skills": [MARKER_SKILL],
            "channel": {"kind": "webhook", "url": receiver.url + "/person-4711", "secret": "whsec-x"}, **kw}


def test_register_then_ranked_matches_with_reasons(served: tuple[App, httpx.Client], receiver: Receiver) -> None:
    _, client = served
    r = client.post("/v1/seekers", json=_seeker(receiver))
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert "channel" not in r.json()
    found = client.get(f"/v1/seekers/{sid}/matches").json()["matches"]
    # 180元/天 suits ≥ 20元/小时 (160元/天); 150元/天 does not; the cook is another category
    assert [m["posting"]["title"] for m in found] == ["仓库分拣员（1号仓）"]
    assert any("≥ your 20元/小时" in reason for reason in found[0]["reasons"])
    assert "13800138000" not in json.dumps(found, ensure_ascii=False)
    assert client.get("/v1/seekers/s_nope/matches").status_code == 404


def test_a_registration_without_a_channel_is_counted_but_never_notified(
        served: tuple[App, httpx.Client], receiver: Receiver, tmp_path: Path) -> None:
    app, client = served
    counted = client.post("/v1/seekers", json={**_seeker(receiver), "channel": None,
                                               "registered_at": "2026-10-05T09:00:00+08:00"})
    reachable = client.post("/v1/seekers", json=_seeker(receiver))
    assert counted.status_code == reachable.status_code == 201, counted.text
    # dated by its 登记日期: October counts it, September does not
    assert app.catalog.count_active_seekers(date(2026, 10, 1), date(2026, 11, 1), "", None) == 1
    assert app.catalog.count_active_seekers(date(2026, 9, 1), date(2026, 10, 1), "", None) == 0
    # a new job both profiles match arrives: only the seeker with a channel gets it
    records = [job(1, pay="180元/天"), job(4, jobTitle="仓库分拣员（4号仓）", pay="200元/天",
                                            detail="负责快递分拣，日结")]
    write_ndjson(tmp_path / "a.ndjson", records)
    app.harvest(app.select([])[0])
    app.sync()
    rows = app.catalog.db.execute(
        "SELECT s.id, count(n.seq) FROM seekers s LEFT JOIN notifications n ON n.seq = s.seq GROUP BY s.id").fetchall()
    filed = dict(rows)
    assert filed[reachable.json()["id"]] >= 1 and filed[counted.json()["id"]] == 0
    assert app.catalog.db.execute("SELECT count(*) FROM notify_dead_letters").fetchone()[0] == 0


def test_bad_registrations_and_subscriptions_are_422(served: tuple[App, httpx.Client], receiver: Receiver) -> None:
    _, client = served
    r = client.post("/v1/seekers", json=_seeker(receiver, min_pay="面议"))
    assert r.status_code == 422
    r = client.post("/v1/seekers", json={"channel": {"kind": "webhook", "url": receiver.url}})
    assert r.status_code == 422 and "secret" in r.text
    r = client.post("/v1/subscriptions", json={"near": "north", "channel": {"kind": "sms", "id": "x"}})
    assert r.status_code == 422 and r.json()["detail"]["parameter"] == "near"
    r = client.post("/v1/subscriptions", json={"q": "厨师", "region": "440100", "channel": {"kind": "sms", "id": "x"}})
    assert r.status_code == 201
    found = client.get(f"/v1/seekers/{r.json()['id']}/matches").json()["matches"]
    assert [m["posting"]["title"] for m in found] == ["中餐厨师"]
    assert client.delete(f"/v1/subscriptions/{r.json()['id']}").status_code == 204


def _files(home: Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes() for p in home.rglob("*") if p.is_file() and p.name != "secret.key"}


def test_contact_details_are_encrypted_at_rest_with_a_0600_key(served: tuple[App, httpx.Client],
                                                               receiver: Receiver) -> None:
    app, client = served
    sid = client.post("/v1/seekers", json=_seeker(receiver)).json()["id"]
    key = app.settings.home / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    row = app.catalog.seeker(sid)
    assert row is not None and row[3].startswith(b"gAAAA")  # a Fernet token
    for name, blob in _files(app.settings.home).items():
        assert b"person-4711" not in blob and b"whsec-x" not in blob, name


def test_secret_key_from_the_environment(open_app: Any, monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> None:
    monkeypatch.setenv("LINGONG_SECRET_KEY", Fernet.generate_key().decode())
    app = open_app()
    from aggregator.seekers import SeekerRegistration

    Seekers.of(app).register(SeekerRegistration.model_validate(_seeker(receiver)))
    assert not (app.settings.home / "secret.key").exists()


def test_delete_leaves_nothing_of_the_person(served: tuple[App, httpx.Client], receiver: Receiver,
                                             clock: Clock) -> None:
    app, client = served
    sid = client.post("/v1/seekers", json=_seeker(receiver, min_pay=None, categories=[])).json()["id"]
    row = app.catalog.seeker(sid)
    assert row is not None
    seq, sealed = row[0], row[3]
    # postings arriving after the registration: one dead letter, one sent notification, one pending
    s = Seekers.of(app, clock=clock, backoff_s=1)
    receiver.always = 500
    _store(app, posting(1))
    s.process_changes()
    for _ in range(MAX_ATTEMPTS):
        s.dispatch()
        clock.now += timedelta(hours=1)
    receiver.always = None
    _store(app, posting(2))
    s.process_changes()
    s.dispatch()
    _store(app, posting(3))
    s.process_changes()
    notes = app.catalog.notifications_of(seq)
    assert {n["status"] for n in notes} == {"dead", "sent", "pending"}
    assert app.catalog.dead_letters()
    before = _files(app.settings.home)
    assert any(sid.encode() in blob for blob in before.values())

    assert client.delete(f"/v1/seekers/{sid}").status_code == 204
    assert client.get(f"/v1/seekers/{sid}/matches").status_code == 404
    assert client.delete(f"/v1/seekers/{sid}").status_code == 404
    assert app.catalog.notifications_of(seq) == [] and app.catalog.dead_letters() == []
    traces = [sid.encode(), sealed, sealed[:40], MARKER_SKILL.encode(), json.dumps(MARKER_SKILL).encode(),
              b"person-4711"]
    for name, blob in _files(app.settings.home).items():  # the catalog (+ WAL) and the index directory
        for trace in traces:
            assert trace not in blob, f"{trace!r} still in {name}"


def test_seekers_arrive_from_a_source(open_app: Any, sources_dir: Path, tmp_path: Path) -> None:
    feed = write_ndjson(tmp_path / "s.ndjson", [
        {"编号": "R1", "工种": "物流配送、餐饮服务", "地区": "广州市白云区", "期望": "20元/小时", "电话": "13912345678",
         "时间": "1-5"},
        {"编号": "R2", "工种": "物流配送", "地区": "火星", "期望": "200元/天", "电话": "13912345679"},
        {"编号": "R3", "工种": "物流配送", "地区": "440100", "期望": "面议"},
    ])
    (sources_dir / "feed_seekers.yaml").write_text(yaml.safe_dump({
        "id": "feed_seekers", "name": "求职登记", "connector": "feed", "region": "440100", "kind": "seekers",
        "options": {"path": str(feed), "format": "ndjson"},
        "mapping": {"native_id": "编号", "categories": "工种", "region": "地区", "min_pay": "期望", "phone": "电话",
                    "days": "时间"},
    }, allow_unicode=True), encoding="utf-8")
    app = open_app()
    (run,) = app.harvest(app.select([])[0])
    assert (run.status, run.new, run.quarantined) == ("ok", 1, 2), run.error
    sid = app.catalog.seeker_id_for("feed_seekers", "R1")
    assert sid is not None
    profile = Seekers.of(app).profile(sid)
    assert profile is not None and profile.region == "440111" and profile.days == [1, 2, 3, 4, 5]
    assert profile.floor_daily() == 160.0
    reasons = {q["native_id"]: q["reason"] for q in app.catalog.quarantined("feed_seekers")}
    assert ("region" in reasons["R2"] and "channel" in reasons["R3"]) or "min_pay" in reasons["R3"]
    assert all("139123" not in q["payload"] for q in app.catalog.quarantined("feed_seekers"))
    for blob in _files(app.settings.home).values():
        assert b"13912345678" not in blob
    (again,) = app.harvest(app.select([])[0])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)  # the same registration: not stored again
    write_ndjson(feed, [{"编号": "R1", "工种": "物流配送", "地区": "广州市白云区", "期望": "25元/小时",
                         "电话": "13912345678", "时间": "1-5"}])
    (changed,) = app.harvest(app.select([])[0])
    assert (changed.new, changed.updated, changed.unchanged) == (0, 1, 0)
    profile = Seekers.of(app).profile(sid)
    assert profile is not None and profile.categories == ["物流配送"] and profile.floor_daily() == 200.0


def test_cli_match_shows_ranked_matches(served: tuple[App, httpx.Client], receiver: Receiver,
                                        sources_dir: Path) -> None:
    _, client = served
    sid = client.post("/v1/seekers", json=_seeker(receiver)).json()["id"]
    cli_app = typer.Typer()
    match_commands.register(cli_app)  # the module aggregator.cli lists in COMMAND_MODULES
    runner = CliRunner()
    result = runner.invoke(cli_app, ["match", sid, "--sources", str(sources_dir), "--json"],
                           env={"LINGONG_HOME": os.environ["LINGONG_HOME"]})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [m["posting"]["title"] for m in data["matches"]] == ["仓库分拣员（1号仓）"]
    assert data["matches"][0]["reasons"]
    table = runner.invoke(cli_app, ["match", sid, "--sources", str(sources_dir)])
    assert table.exit_code == 0 and "仓库分拣员" in table.stdout and "20元/小时" in table.stdout
    result = runner.invoke(cli_app, ["match", "s_missing", "--sources", str(sources_dir)])
    assert result.exit_code == 1


def test_create_api_mounts_the_seeker_routes(open_app: Any) -> None:
    from aggregator.api import create_api

    paths = create_api(open_app()).openapi()["paths"]
    assert {"/v1/seekers", "/v1/seekers/{seeker_id}/matches", "/v1/seekers/{seeker_id}",
            "/v1/subscriptions"} <= set(paths)
