"""The harvest scheduler: schedules fire, runs never overlap, failures retry then pause, SIGTERM loses nothing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter as Tally
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from typer.testing import CliRunner

from aggregator.app import App
from aggregator.cli import app as cli
from aggregator.errors import ConfigError
from aggregator.health import BreakerPolicy
from aggregator.scheduler import (
    Scheduler,
    SchedulerConfig,
    ScheduleSpec,
    Window,
    WindowedTrigger,
    parse_duration,
    source_host,
)
from tests.conftest import SlowFeed, job, write_ndjson, write_source

SHANGHAI = ZoneInfo("Asia/Shanghai")
FAST = SchedulerConfig(jitter=0.0, backoff_s=0.05, retries=1, sync_index=False)
HTTP_QUICK = {"retries": 0, "delay": 0, "respect_robots": False, "timeout": 10}


def _set_schedule(path: Path, schedule: str, window: str | None = None) -> None:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["schedule"] = schedule
    if window:
        data["window"] = window
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


# --- parsing and triggers ------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("6h", 21600), ("1h30m", 5400),
                                               ("2d", 172800), ("0.5s", 0.5)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "6", "6x", "h", "interval:6h", "-5s", "0s"])
def test_bad_durations_are_refused(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_duration(bad)


def test_schedule_specs() -> None:
    assert ScheduleSpec.parse("interval:6h") == ScheduleSpec("interval", seconds=21600)
    assert ScheduleSpec.parse("interval: 90s").seconds == 90
    assert ScheduleSpec.parse("cron: */30 * * * *") == ScheduleSpec("cron", cron="*/30 * * * *")
    for bad in ("every 6h", "cron: 61 * * * *", "interval:soon", "cron:"):
        with pytest.raises(ConfigError):
            ScheduleSpec.parse(bad)


def test_window_spanning_midnight_moves_fire_times_to_its_opening() -> None:
    w = Window.parse("22:00-06:00")
    assert w.contains(datetime(2026, 11, 26, 23, 30, tzinfo=SHANGHAI))
    assert w.contains(datetime(2026, 11, 26, 5, 59, tzinfo=SHANGHAI))
    assert not w.contains(datetime(2026, 11, 26, 12, 0, tzinfo=SHANGHAI))
    noon = datetime(2026, 11, 26, 12, 0, tzinfo=SHANGHAI)
    base = IntervalTrigger(hours=1, start_date=noon, timezone=SHANGHAI)
    trigger = WindowedTrigger(base, w, SHANGHAI)
    first = trigger.get_next_fire_time(None, noon)
    assert first == datetime(2026, 11, 26, 22, 0, tzinfo=SHANGHAI)
    second = trigger.get_next_fire_time(first, first)
    assert second == datetime(2026, 11, 26, 23, 0, tzinfo=SHANGHAI)
    fires = [first]
    for _ in range(30):
        fires.append(trigger.get_next_fire_time(fires[-1], fires[-1]))
    assert all(w.contains(f) for f in fires)
    assert len({f.date() for f in fires}) >= 2  # it goes on to the next night


def test_source_host_reads_urls_from_options(sources_dir: Path, open_app: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEED_BASE", "http://feeds.example.org:8080")
    write_source(sources_dir, "feed_a", options={"url": "${FEED_BASE}/a.ndjson", "format": "ndjson"})
    write_source(sources_dir, "feed_b", options={"path": "b.ndjson", "format": "ndjson"})
    a: App = open_app()
    assert source_host(a.sources.sources["feed_a"]) == "feeds.example.org:8080"
    assert source_host(a.sources.sources["feed_b"]) is None


def test_schedule_list_shows_next_run_of_every_source(sources_dir: Path, tmp_path: Path, open_app: Any) -> None:
    feed = write_ndjson(tmp_path / "a.ndjson", [job(i) for i in range(3)])
    _set_schedule(write_source(sources_dir, "feed_interval", options={"path": str(feed), "format": "ndjson"}),
                  "interval:6h")
    _set_schedule(write_source(sources_dir, "feed_cron", options={"path": str(feed), "format": "ndjson"}),
                  "cron: 0 3 * * *")
    _set_schedule(write_source(sources_dir, "feed_night", options={"path": str(feed), "format": "ndjson"}),
                  "interval:1h", window="22:00-06:00")
    write_source(sources_dir, "feed_manual", options={"path": str(feed), "format": "ndjson"})
    a: App = open_app()
    a.harvest([a.sources.sources["feed_interval"]])
    result = CliRunner().invoke(cli, ["schedule", "list", "--sources", str(sources_dir), "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.stdout)}
    now = datetime.now(UTC)
    nxt = datetime.fromisoformat(rows["feed_interval"]["next_run"])
    assert timedelta(hours=5, minutes=58) < nxt - now <= timedelta(hours=6)  # anchored on its last run
    cron_next = datetime.fromisoformat(rows["feed_cron"]["next_run"]).astimezone(SHANGHAI)
    assert (cron_next.hour, cron_next.minute) == (3, 0)
    night = datetime.fromisoformat(rows["feed_night"]["next_run"]).astimezone(SHANGHAI)
    assert Window.parse("22:00-06:00").contains(night)
    assert rows["feed_manual"]["next_run"] is None and rows["feed_manual"]["problem"] == "no schedule"


# --- schedules fire ------------------------------------------------------------------------------


def _wait(cond: Any, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return bool(cond())


def test_short_interval_schedules_fire_again_and_again(sources_dir: Path, tmp_path: Path, open_app: Any) -> None:
    for name in ("feed_a", "feed_b"):
        feed = write_ndjson(tmp_path / f"{name}.ndjson", [job(i, id=f"{name}-{i}") for i in range(5)])
        _set_schedule(write_source(sources_dir, name, options={"path": str(feed), "format": "ndjson"}),
                      "interval:0.4s")
    a: App = open_app()
    scheduler = Scheduler(a, SchedulerConfig(jitter=0.0))
    scheduler.start()
    try:
        assert _wait(lambda: all(len(a.catalog.runs(s)) >= 3 for s in ("feed_a", "feed_b")), 15)
    finally:
        scheduler.stop()
    for s in ("feed_a", "feed_b"):
        runs = a.catalog.runs(s)
        assert all(r.status == "ok" for r in runs)
        assert runs[-1].new == 5 and all(r.new == 0 and r.unchanged == 5 for r in runs[:-1])
    assert a.catalog.counts()["outbox"] == 0  # every slot syncs the index
    assert a.backend.count() == a.catalog.counts()["clusters"] > 0
    sample = scheduler.registry.get_sample_value("lingong_harvest_runs_total", {"source": "feed_a", "status": "ok"})
    assert sample is not None and sample >= 3


# --- overlap -------------------------------------------------------------------------------------


class _CountingFeed(BaseHTTPRequestHandler):
    """Serves /<name>.ndjson slowly and records how many requests for each path were in flight at once."""

    records: ClassVar[int] = 10
    delay: ClassVar[float] = 0.03
    lock = threading.Lock()
    active: ClassVar[Tally[str]] = Tally()
    peak: ClassVar[Tally[str]] = Tally()
    host_active: ClassVar[int] = 0
    host_peak: ClassVar[int] = 0
    fail: ClassVar[bool] = False

    def do_GET(self) -> None:
        if self.fail:
            self.send_response(503)
            self.end_headers()
            return
        path = self.path
        cls = type(self)
        with cls.lock:
            cls.active[path] += 1
            cls.peak[path] = max(cls.peak[path], cls.active[path])
            _CountingFeed.host_active += 1
            _CountingFeed.host_peak = max(_CountingFeed.host_peak, _CountingFeed.host_active)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.end_headers()
            name = path.strip("/").split(".")[0]
            for i in range(self.records):
                self.wfile.write((json.dumps(job(i, id=f"{name}-{i}"), ensure_ascii=False) + "\n").encode())
                self.wfile.flush()
                time.sleep(self.delay)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with cls.lock:
                cls.active[path] -= 1
                _CountingFeed.host_active -= 1

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def counting_feed() -> Iterator[str]:
    _CountingFeed.active, _CountingFeed.peak = Tally(), Tally()
    _CountingFeed.host_active = _CountingFeed.host_peak = 0
    _CountingFeed.fail = False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CountingFeed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_two_daemons_never_run_one_source_at_once_and_per_host_limit_holds(
        sources_dir: Path, counting_feed: str) -> None:
    for name in ("feed_a", "feed_b"):
        _set_schedule(write_source(sources_dir, name, options={"url": f"{counting_feed}/{name}.ndjson",
                                                                "format": "ndjson", "http": HTTP_QUICK}),
                      "interval:0.3s")
    apps = [App.open(sources_dir, entrypoints=False) for _ in range(2)]
    daemons = [Scheduler(a, SchedulerConfig(jitter=0.0, per_host=1, max_running=4, sync_index=False))
               for a in apps]
    try:
        for d in daemons:
            d.start()
        assert _wait(lambda: all(len(apps[0].catalog.runs(s)) >= 3 for s in ("feed_a", "feed_b")), 30)
    finally:
        for d in daemons:
            d.stop()
    # Inside one daemon at most one harvest per host; across two daemons, never one source twice.
    assert _CountingFeed.peak["/feed_a.ndjson"] == 1
    assert _CountingFeed.peak["/feed_b.ndjson"] == 1
    assert _CountingFeed.host_peak <= 2
    skipped = sum(d.registry.get_sample_value("lingong_harvest_skipped_total",
                                              {"source": s, "reason": "running_elsewhere"}) or 0
                  for d in daemons for s in ("feed_a", "feed_b"))
    assert skipped >= 1, "the catalog lease must have turned a daemon away at least once"
    for s in ("feed_a", "feed_b"):
        runs = sorted(apps[0].catalog.runs(s, limit=1000), key=lambda r: r.id)
        # stop() interrupts a harvest in flight at its next batch; every other run completed
        assert all(r.status == "ok" for r in runs if r.status != "interrupted")
        assert sum(r.status == "interrupted" for r in runs) <= 2
        assert sum(r.new for r in runs) == 10
        for before, after in pairwise(runs):
            assert before.finished_at is not None and before.finished_at <= after.started_at
    for a in apps:
        a.close()


def test_one_daemon_runs_each_host_one_harvest_at_a_time(sources_dir: Path, counting_feed: str,
                                                         open_app: Any) -> None:
    for name in ("feed_a", "feed_b", "feed_c"):
        _set_schedule(write_source(sources_dir, name, options={"url": f"{counting_feed}/{name}.ndjson",
                                                                "format": "ndjson", "http": HTTP_QUICK}),
                      "interval:0.1s")
    a: App = open_app()
    scheduler = Scheduler(a, SchedulerConfig(jitter=0.0, per_host=1, max_running=3, sync_index=False))
    scheduler.start()
    try:
        assert _wait(lambda: all(len(a.catalog.runs(s)) >= 2 for s in ("feed_a", "feed_b", "feed_c")), 20)
    finally:
        scheduler.stop()
    assert _CountingFeed.host_peak == 1


# --- retries and the circuit breaker -------------------------------------------------------------


def test_failing_source_is_retried_then_paused_then_resumed(
        sources_dir: Path, counting_feed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.aggregator.test_health import webhook_server

    _set_schedule(write_source(sources_dir, "feed_flaky", options={
        "url": f"{counting_feed}/feed_flaky.ndjson", "format": "ndjson", "http": HTTP_QUICK}), "interval:1h")
    _CountingFeed.fail = True
    config = SchedulerConfig(jitter=0.0, retries=2, backoff_s=0.05, sync_index=False,
                             breaker=BreakerPolicy(failures_to_pause=2, cooldown_s=3600))
    with webhook_server() as (hook_url, received):
        monkeypatch.setenv("LINGONG_ALERT_WEBHOOK", hook_url)
        a = App.open(sources_dir, entrypoints=False)
        try:
            scheduler = Scheduler(a, config)
            first = scheduler.run_slot("feed_flaky")
            assert first is not None and first.status == "failed" and first.transient
            assert [r.status for r in a.catalog.runs("feed_flaky")] == ["failed"] * 3  # one try + two retries
            assert a.catalog.source_state("feed_flaky")["failures"] == 1
            assert scheduler.run_slot("feed_flaky") is not None
            state = a.catalog.source_state("feed_flaky")
            assert state["failures"] == 2 and state["paused_until"] is not None
            assert "2 consecutive failures" in state["paused_reason"]
            assert scheduler.run_slot("feed_flaky") is None  # paused: no run at all
            assert len(a.catalog.runs("feed_flaky")) == 6
            assert [p["kind"] for p in received] == ["source_paused"]
            assert received[0]["source_id"] == "feed_flaky"

            listing = CliRunner().invoke(cli, ["sources", "--sources", str(sources_dir), "--json"])
            row = next(r for r in json.loads(listing.stdout) if r["id"] == "feed_flaky")
            assert row["health"] == "paused" and row["failure_streak"] == 2 and row["paused_until"]
            resumed = CliRunner().invoke(cli, ["sources", "resume", "feed_flaky", "--sources", str(sources_dir)])
            assert resumed.exit_code == 0, resumed.output
            _CountingFeed.fail = False
            ok = scheduler.run_slot("feed_flaky")
            assert ok is not None and ok.status == "ok" and ok.new == 10
            assert a.catalog.source_state("feed_flaky")["failures"] == 0
            retries = scheduler.registry.get_sample_value("lingong_harvest_retries_total", {"source": "feed_flaky"})
            assert retries == 4
        finally:
            a.close()


def test_the_lease_is_kept_through_a_retry_wait_longer_than_its_time_to_live(
        sources_dir: Path, counting_feed: str, open_app: Any) -> None:
    _set_schedule(write_source(sources_dir, "feed_flaky", options={
        "url": f"{counting_feed}/feed_flaky.ndjson", "format": "ndjson", "http": HTTP_QUICK}), "interval:1h")
    _CountingFeed.fail = True
    a = open_app()
    # a 0.4 s lease and a retry wait of 1.2-1.8 s: without renewal it would lapse in the middle of the wait
    scheduler = Scheduler(a, SchedulerConfig(jitter=0.0, retries=1, backoff_s=1.5, backoff_max_s=1.5,
                                             lease_ttl_s=0.4, sync_index=False))
    taken: list[bool] = []

    def intruder() -> None:
        other = App.open(sources_dir, entrypoints=False)
        try:
            while not other.catalog.runs("feed_flaky"):  # the first try has failed: the retry wait begins
                time.sleep(0.02)
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:  # inside the wait, over several lifetimes of the lease
                now = datetime.now(UTC)
                taken.append(other.catalog.acquire_lease(
                    "feed_flaky", "elsewhere:1:x", (now + timedelta(seconds=60)).isoformat(timespec="seconds"),
                    now.isoformat(timespec="seconds")))
                time.sleep(0.1)
        finally:
            other.close()

    thread = threading.Thread(target=intruder, daemon=True)
    thread.start()
    run = scheduler.run_slot("feed_flaky")
    thread.join(timeout=10)
    assert run is not None and run.status == "failed"
    assert [r.status for r in a.catalog.runs("feed_flaky")] == ["failed", "failed"]  # the retry ran
    assert taken and not any(taken)  # the other owner never got the lease while the slot held it


def test_pause_ends_by_itself_after_the_cool_down(sources_dir: Path, counting_feed: str, open_app: Any) -> None:
    _set_schedule(write_source(sources_dir, "feed_flaky", options={
        "url": f"{counting_feed}/feed_flaky.ndjson", "format": "ndjson", "http": HTTP_QUICK}), "interval:1h")
    _CountingFeed.fail = True
    a: App = open_app()
    scheduler = Scheduler(a, SchedulerConfig(jitter=0.0, retries=0, sync_index=False,
                                             breaker=BreakerPolicy(failures_to_pause=1, cooldown_s=1.0)))
    scheduler.run_slot("feed_flaky")
    assert scheduler.run_slot("feed_flaky") is None
    time.sleep(1.1)
    _CountingFeed.fail = False
    trial = scheduler.run_slot("feed_flaky")
    assert trial is not None and trial.status == "ok"
    assert a.catalog.source_state("feed_flaky")["paused_until"] is None


def test_permanent_failures_are_not_retried(sources_dir: Path, tmp_path: Path, open_app: Any) -> None:
    _set_schedule(write_source(sources_dir, "feed_gone", options={"path": str(tmp_path / "missing.ndjson"),
                                                                   "format": "ndjson"}), "interval:1h")
    a: App = open_app()
    run = Scheduler(a, FAST).run_slot("feed_gone")
    assert run is not None and run.status == "failed" and not run.transient
    assert len(a.catalog.runs("feed_gone")) == 1


# --- SIGTERM -------------------------------------------------------------------------------------

TOTAL = 100


def _postings(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM postings").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _runs(db: Path) -> list[dict[str, Any]]:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute("SELECT * FROM runs ORDER BY id")]
    except sqlite3.OperationalError:
        return []


@pytest.mark.slow
def test_sigterm_mid_run_stops_cleanly_and_a_restart_loses_and_duplicates_nothing(
        sources_dir: Path, _isolated_home: Path) -> None:
    with SlowFeed(TOTAL, delay=0.03) as feed:
        _set_schedule(write_source(sources_dir, "feed_slow", options={"url": feed.url, "format": "ndjson",
                                                                       "http": HTTP_QUICK}), "interval:1h")
        env = {**os.environ, "LINGONG_BATCH_SIZE": "10"}
        cmd = [sys.executable, "-m", "aggregator", "schedule", "run", "--sources", str(sources_dir), "--jitter", "0"]
        db = _isolated_home / "catalog.sqlite3"
        logs = _isolated_home.parent / "daemon1.log"
        with logs.open("w") as fh:
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=fh)
            assert _wait(lambda: _postings(db) >= 20 or proc.poll() is not None, 60)
            os.kill(proc.pid, signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        stored_before = _postings(db)
        assert 20 <= stored_before < TOTAL, "SIGTERM must land mid-run"
        (first,) = _runs(db)
        assert first["status"] == "interrupted" and first["closed"] == 0
        assert first["new"] == stored_before  # the run stopped after a committed batch: its counters are true
        lines = [json.loads(line) for line in logs.read_text().splitlines() if line.startswith("{")]
        assert any(e.get("event") == "shutdown_requested" and e.get("signal") == "SIGTERM" for e in lines)
        finished = [e for e in lines if e.get("event") == "harvest_finished"]
        assert finished and finished[0]["run_id"] == first["id"] and finished[0]["status"] == "interrupted"

        feed.delay = 0.0
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert _wait(lambda: any(r["status"] == "ok" for r in _runs(db)), 60)
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        runs = _runs(db)
        assert [r["status"] for r in runs] == ["interrupted", "ok"]
        assert runs[1]["fetched"] == TOTAL
        assert runs[1]["new"] == TOTAL - stored_before
        assert runs[1]["unchanged"] == stored_before
        app = App.open(sources_dir, entrypoints=False)
        try:
            counts = app.catalog.counts()
            assert counts["postings"] == TOTAL and counts["open"] == TOTAL
            assert sorted(p.native_id for p in app.catalog.iter_postings()) == sorted(
                f"J{i:04d}" for i in range(TOTAL))
            assert counts["outbox"] == 0
            assert app.catalog.source_state("feed_slow")["lease_owner"] is None
        finally:
            app.close()
