"""Plugins: built-ins use the hooks, third-party plugins can use every hook, broken ones are skipped."""

from __future__ import annotations

import inspect
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pluggy
import pytest

from aggregator import hookspecs
from aggregator.errors import PluginError
from aggregator.hookspecs import hookimpl
from aggregator.plugins import load_entrypoint_plugins, make_plugins
from aggregator.runs import HarvestRun
from aggregator.schema import Employer, JobPosting, SourceDefinition
from connectors.feed import FeedConnector
from search.base import SearchQuery
from tests.conftest import job, write_ndjson, write_source

HOOKS = sorted(n for n, f in vars(hookspecs).items() if n.startswith("lingong_") and inspect.isfunction(f))


def test_every_hook_is_documented_and_typed() -> None:
    assert HOOKS, "no hooks found"
    for name in HOOKS:
        fn = getattr(hookspecs, name)
        doc = inspect.getdoc(fn) or ""
        assert len(doc) > 80, f"{name} needs a real docstring"
        assert "Return" in doc or "return" in doc, f"{name} must state its return contract"
        sig = inspect.signature(fn)
        assert all(p.annotation is not inspect.Parameter.empty for p in sig.parameters.values()), name


def test_every_hook_has_a_test() -> None:
    text = Path(__file__).read_text(encoding="utf-8")
    missing = [h for h in HOOKS if text.count(f"def {h}(") < 1]
    assert not missing, f"hooks without a test implementation here: {missing}"


def test_builtins_register_through_the_hooks() -> None:
    plugins = make_plugins(entrypoints=False)
    assert plugins.connectors["feed"] is FeedConnector
    assert plugins.contributed_by["connector:feed"] == "connectors.builtin"
    assert plugins.contributed_by["backend:embedded"] == "search.builtin"


def _pm() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


EPS = [EntryPoint(name="broken", value="lingong_no_such_module_xyz", group="lingong"),
       EntryPoint(name="fine", value="connectors.builtin", group="lingong")]


def test_plugin_that_fails_to_import_is_reported_and_skipped(caplog: pytest.LogCaptureFixture,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINGONG_LOAD_PLUGINS")
    pm = _pm()
    errors = load_entrypoint_plugins(pm, EPS)
    assert list(errors) == ["broken"]
    assert "ModuleNotFoundError" in errors["broken"]
    assert pm.get_plugin("fine") is not None
    assert "failed to load and is skipped" in caplog.text


@pytest.mark.parametrize(("allow", "loaded"), [("", []), ("fine", ["fine"]), ("fine, other", ["fine"])])
def test_load_plugins_variable_limits_what_loads(monkeypatch: pytest.MonkeyPatch, allow: str,
                                                 loaded: list[str]) -> None:
    monkeypatch.setenv("LINGONG_LOAD_PLUGINS", allow)
    pm = _pm()
    assert load_entrypoint_plugins(pm, EPS) == {}
    assert [name for name, _ in pm.list_name_plugin()] == loaded


def test_duplicate_connector_name_names_both_plugins() -> None:
    class Dup:
        @hookimpl
        def lingong_register_connectors(self, register: Any) -> None:
            register("feed", FeedConnector)

    with pytest.raises(PluginError, match=r"'feed' registered by both 'connectors.builtin' and 'dup'"):
        make_plugins(entrypoints=False, extra=[("dup", Dup())])


def test_registering_a_non_connector_is_rejected() -> None:
    class Bad:
        @hookimpl
        def lingong_register_connectors(self, register: Any) -> None:
            register("weird", dict)

    with pytest.raises(PluginError, match="'bad' registered connector 'weird' that is not a Connector"):
        make_plugins(entrypoints=False, extra=[("bad", Bad())])


class Recorder:
    """A throwaway third-party plugin exercising every hook."""

    def __init__(self) -> None:
        self.finished: list[HarvestRun] = []
        self.backend_made = False

    @hookimpl
    def lingong_register_connectors(self, register: Any) -> None:
        class LoudFeed(FeedConnector):
            pass

        register("loud_feed", LoudFeed)

    @hookimpl
    def lingong_register_search_backends(self, register: Any) -> None:
        def factory(settings: Any) -> Any:
            from search.embedded import EmbeddedBackend

            self.backend_made = True
            return EmbeddedBackend(settings.home / "recorder-index")

        register("recorder", factory)

    @hookimpl
    def lingong_verify_employer(self, employer: Employer, posting: JobPosting) -> dict[str, Any] | None:
        if employer.name and "黑心" in employer.name:
            return {"status": "blacklisted", "reason": "on the test blacklist"}
        return {"status": "verified", "reason": "test registry"} if employer.name else None

    @hookimpl
    def lingong_enrich_posting(self, posting: JobPosting, source: SourceDefinition) -> dict[str, Any] | None:
        return {"category": "物流配送", "risk_score": 0.1 if "日结" in (posting.description or "") else 0.0}

    @hookimpl
    def lingong_risk_signals(self, posting: JobPosting) -> list[dict[str, Any]] | None:
        if posting.employer.name and "黑心" in posting.employer.name:
            return [{"rule": "recorder_blacklist", "weight": 0.3, "reason": "named like a 黑中介"}]
        return None

    @hookimpl
    def lingong_harvest_finished(self, run: HarvestRun, source: SourceDefinition) -> None:
        self.finished.append(run)


def test_a_plugin_can_use_every_hook(open_app, sources_dir: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINGONG_SEARCH_BACKEND", "recorder")
    rec = Recorder()
    feed = write_ndjson(tmp_path / "a.ndjson", [job(1), job(2, company="黑心劳务派遣有限公司")])
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"}, connector="loud_feed")
    app = open_app(extra_plugins=[("recorder", rec)])
    (run,) = app.harvest(app.select([])[0])
    app.sync()
    assert run.new == 2
    assert [r.id for r in rec.finished] == [run.id]
    assert rec.finished[0].status == "ok"
    ok = app.catalog.get_posting(JobPosting.make_id("feed_a", "J0001"))
    bad = app.catalog.get_posting(JobPosting.make_id("feed_a", "J0002"))
    assert ok is not None and bad is not None
    # the built-in USCC check says invalid; the plugin says verified; the gravest wins, reasons kept
    assert ok.employer.verification == "invalid"
    assert "test registry" in ok.employer.reasons
    assert bad.employer.verification == "blacklisted"
    assert ok.category == "物流配送"
    assert ok.extras["risk_score"] == 0.1
    assert ok.extras["risk"]["signals"] == []
    assert bad.extras["risk"]["signals"][0]["rule"] == "recorder_blacklist"
    assert rec.backend_made
    # a blacklisted employer's posting stays in the catalog but not in the public index
    assert [i["native_id"] for i in app.search(SearchQuery()).items] == ["J0001"]


def test_failing_enrich_plugin_quarantines_with_the_plugin_named(open_app, sources_dir: Path, tmp_path: Path) -> None:
    class Boom:
        @hookimpl
        def lingong_enrich_posting(self, posting: JobPosting, source: SourceDefinition) -> dict[str, Any] | None:
            raise RuntimeError("geocoder down")

    feed = write_ndjson(tmp_path / "a.ndjson", [job(1)])
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"})
    app = open_app(extra_plugins=[("boom", Boom())])
    (run,) = app.harvest(app.select([])[0])
    assert (run.status, run.quarantined) == ("ok", 1)
    (entry,) = app.catalog.quarantined()
    assert entry["reason_code"] == "enrich_failed"
    assert "'boom'" in entry["reason"] and "geocoder down" in entry["reason"]


def test_failing_harvest_finished_hook_does_not_break_the_run(open_app, sources_dir: Path, tmp_path: Path) -> None:
    class Noisy:
        @hookimpl
        def lingong_harvest_finished(self, run: HarvestRun, source: SourceDefinition) -> None:
            raise RuntimeError("webhook down")

    feed = write_ndjson(tmp_path / "a.ndjson", [job(1)])
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"})
    app = open_app(extra_plugins=[("noisy", Noisy())])
    (run,) = app.harvest(app.select([])[0])
    assert (run.status, run.new) == ("ok", 1)


def test_a_plugin_can_deliver_notifications_for_its_own_channel_kind(open_app) -> None:
    from datetime import UTC, datetime

    from aggregator.schema import Location, Provenance, Salary
    from aggregator.seekers import Channel, SeekerRegistration, Seekers

    class Pager:
        def __init__(self) -> None:
            self.sent: list[tuple[str | None, dict[str, Any]]] = []

        @hookimpl
        def lingong_notify(self, channel: Channel, message: dict[str, Any]) -> bool | None:
            if channel.kind != "pager":
                return None
            self.sent.append((channel.id, message))
            return True

    pager = Pager()
    app = open_app(extra_plugins=[("pager", pager)])
    seekers = Seekers.of(app)
    sid = seekers.register(SeekerRegistration.model_validate({"region": "440100", "channel": {"kind": "pager",
                                                                                            "id": "pg-42"}}))
    pid = JobPosting.make_id("feed_a", "N1")
    with app.catalog.transaction():
        app.catalog.upsert_posting(JobPosting(
            id=pid, cluster_id="c" + pid[1:], source_id="feed_a", native_id="N1", title="仓库分拣员",
            location=Location(code="440111"), salary=Salary(min=200, unit="day", daily_estimate=200),
            provenance=Provenance(source_id="feed_a", native_id="N1", connector="feed",
                                  fetched_at=datetime.now(UTC), content_hash="h")), None)
    seekers.process_changes()
    assert seekers.dispatch().sent == 1
    ((channel_id, message),) = pager.sent
    assert channel_id == "pg-42" and message["seeker_id"] == sid and message["posting"]["id"] == pid
