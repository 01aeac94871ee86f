"""Drift alarms, the circuit breaker's state, JSON logs, the webhook, and the catalog migration."""

from __future__ import annotations

import io
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aggregator import logs
from aggregator.app import App
from aggregator.catalog import SCHEMA_VERSION, Catalog
from aggregator.cli import app as cli
from aggregator.health import BreakerPolicy, drift_alarms, paused_until, record_outcome, resume
from aggregator.hookspecs import hookimpl
from aggregator.runs import HarvestRun
from tests.conftest import job, write_ndjson, write_source


@contextmanager
def webhook_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback HTTP server that records the JSON bodies POSTed to it."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alerts", received
    finally:
        server.shutdown()
        server.server_close()


def _run(i: int, fetched: int, quarantined: int = 0, missing: float | None = 0.0, mode: str = "full") -> HarvestRun:
    return HarvestRun(id=i, source_id="s", mode=mode, started_at="2026-11-26T00:00:00+00:00", status="ok",
                      fetched=fetched, quarantined=quarantined, missing_rate=missing)


@pytest.mark.parametrize(("run", "codes"), [
    (_run(9, 100), []),
    (_run(9, 70), []),
    (_run(9, 0, missing=None), ["zero_postings"]),
    (_run(9, 40), ["count_drop"]),
    (_run(9, 100, quarantined=30), ["quarantine_jump"]),
    (_run(9, 100, missing=0.35), ["missing_fields_jump"]),
    (_run(9, 30, quarantined=25, missing=0.5), ["count_drop", "quarantine_jump", "missing_fields_jump"]),
    (_run(9, 5, mode="incremental"), []),  # incremental runs are not judged by their size
])
def test_drift_alarms_against_the_sources_own_history(run: HarvestRun, codes: list[str]) -> None:
    baseline = [_run(i, n, quarantined=q, missing=m) for i, (n, q, m) in
                enumerate([(100, 2, 0.05), (96, 1, 0.04), (104, 3, 0.06)])]
    assert [a.split(":")[0] for a in drift_alarms(run, baseline)] == codes


def test_no_history_no_alarm() -> None:
    assert drift_alarms(_run(1, 0), []) == []


def test_breaker_pauses_after_n_failures_and_resume_clears_it(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "c.sqlite3")
    now = datetime.now(UTC)
    policy = BreakerPolicy(failures_to_pause=3, cooldown_s=600)
    for _ in range(2):
        state = record_outcome(catalog, "s", False, policy, now, reason="HTTP 503")
        assert paused_until(state, now) is None
    state = record_outcome(catalog, "s", False, policy, now, reason="HTTP 503")
    until = paused_until(state, now)
    assert until is not None and abs((until - now) - timedelta(seconds=600)) < timedelta(seconds=2)
    assert paused_until(state, now + timedelta(seconds=601)) is None  # the cool-down ends it
    assert record_outcome(catalog, "s", True, policy, now)["failures"] == 0
    record_outcome(catalog, "s", False, BreakerPolicy(failures_to_pause=1), now)
    state = resume(catalog, "s")
    assert state["failures"] == 0 and state["paused_until"] is None
    catalog.close()


class _Recorder:
    def __init__(self) -> None:
        self.runs: list[HarvestRun] = []

    @hookimpl
    def lingong_harvest_finished(self, run: HarvestRun, source: Any) -> None:
        self.runs.append(run)


def test_layout_change_raises_drift_alarms_closes_nothing_and_alerts(
        sources_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    feed = tmp_path / "agency.ndjson"
    write_ndjson(feed, [job(i) for i in range(40)])
    write_source(sources_dir, "feed_agency", options={"path": str(feed), "format": "ndjson"})
    recorder = _Recorder()
    with webhook_server() as (url, received):
        monkeypatch.setenv("LINGONG_ALERT_WEBHOOK", url)
        a = App.open(sources_dir, entrypoints=False, extra_plugins=[("recorder", recorder)])
        try:
            for _ in range(3):
                (run,) = a.harvest(a.select([])[0])
                assert run.status == "ok" and run.alarms == [] and run.missing_rate == 0.0
            # The agency's new system: renamed keys for pay and place, and half the postings gone.
            renamed = [{("salary" if k == "pay" else "location" if k == "workPlace" else k): v
                        for k, v in job(i).items()} for i in range(15)]
            write_ndjson(feed, renamed)
            (run,) = a.harvest(a.select([])[0])
            codes = [x.split(":")[0] for x in run.alarms]
            assert codes == ["count_drop", "missing_fields_jump"]
            assert run.status == "ok" and run.closed == 0
            assert a.catalog.counts()["open"] == 40  # the 25 postings not seen were NOT closed
            assert recorder.runs[-1].alarms == run.alarms
            assert [p["kind"] for p in received] == ["drift_alarm"]
            assert received[0]["source_id"] == "feed_agency" and received[0]["alarms"] == run.alarms
            stored = a.catalog.runs("feed_agency", limit=1)[0]
            assert stored.alarms == run.alarms and stored.missing_rate == run.missing_rate

            # It keeps alarming until someone looks: alarming runs never become the baseline …
            (again,) = a.harvest(a.select([])[0])
            assert again.alarms and again.closed == 0
            # … and `lingong sources resume` accepts the new layout as normal; then closing resumes.
            result = CliRunner().invoke(cli, ["sources", "resume", "feed_agency", "--sources", str(sources_dir)])
            assert result.exit_code == 0, result.output
            (after,) = a.harvest(a.select([])[0])
            assert after.alarms == [] and after.closed == 25
        finally:
            a.close()


def test_structured_logs_carry_the_run_id(sources_dir: Path, tmp_path: Path, open_app: Any) -> None:
    feed = write_ndjson(tmp_path / "a.ndjson", [job(i) for i in range(3)])
    write_source(sources_dir, "feed_a", options={"path": str(feed), "format": "ndjson"})
    stream = io.StringIO()
    handler = logs.configure(stream)
    try:
        a: App = open_app()
        (run,) = a.harvest(a.select([])[0])
    finally:
        logs.unconfigure(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    finished = [e for e in lines if e.get("event") == "harvest_finished"]
    assert len(finished) == 1
    e = finished[0]
    assert e["run_id"] == run.id and e["source_id"] == "feed_a" and e["status"] == "ok" and e["new"] == 3
    assert e["level"] == "info" and e["logger"] == "aggregator.pipeline" and "ts" in e


_V1_RUNS = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, source_id TEXT NOT NULL, mode TEXT NOT NULL, pid INTEGER,
    started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,
    fetched INTEGER NOT NULL DEFAULT 0, new INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0, closed INTEGER NOT NULL DEFAULT 0,
    quarantined INTEGER NOT NULL DEFAULT 0, error TEXT
);
INSERT INTO runs (source_id, mode, started_at, finished_at, status, fetched, new)
VALUES ('feed_old', 'full', '2026-11-01T00:00:00+00:00', '2026-11-01T00:01:00+00:00', 'ok', 12, 12);
"""


def test_a_version_1_catalog_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(_V1_RUNS)
    catalog = Catalog(path)
    try:
        assert catalog.schema_version() == SCHEMA_VERSION == 3
        (old,) = catalog.runs("feed_old")
        assert (old.fetched, old.new, old.requests, old.alarms, old.duration_s) == (12, 12, 0, [], None)
        run = catalog.start_run("feed_old", "full")
        run.requests, run.alarms, run.duration_s = 7, ["count_drop: …"], 1.5
        catalog.save_run(run)
        assert catalog.runs("feed_old", limit=1)[0].alarms == ["count_drop: …"]
        assert catalog.source_state("feed_old")["failures"] == 0
        catalog.set_dedupe_decision("p_b", "p_a", False, "two stations")  # version 3: operators' decisions
        assert catalog.dedupe_decisions_of("p_a") == {"p_b": False}
    finally:
        catalog.close()
    assert Catalog(path).schema_version() == 3  # opening again changes nothing
