"""A harvest killed with SIGKILL mid-run, then run again: nothing duplicated, nothing lost."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aggregator.app import App
from tests.conftest import SlowFeed, write_source

TOTAL = 400


@pytest.fixture
def slow_feed() -> Iterator[SlowFeed]:
    with SlowFeed(TOTAL, delay=0.01) as feed:
        yield feed


def _postings(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM postings").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # tables not created yet


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killed_mid_harvest_then_rerun_loses_nothing_and_duplicates_nothing(
        slow_feed: SlowFeed, sources_dir: Path, _isolated_home: Path, sig: signal.Signals) -> None:
    write_source(sources_dir, "feed_slow", options={"url": slow_feed.url, "format": "ndjson"})
    env = {**os.environ, "LINGONG_BATCH_SIZE": "20"}
    cmd = [sys.executable, "-m", "aggregator", "harvest", "--sources", str(sources_dir), "--json"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = _isolated_home / "catalog.sqlite3"
    deadline = time.monotonic() + 60
    while _postings(db) < 100 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.kill(proc.pid, sig)
    # SIGTERM: the harvest stops by itself at its next safe point (a committed batch) and exits 1
    assert proc.wait(timeout=60) == (1 if sig == signal.SIGTERM else -signal.SIGKILL)
    stored_before = _postings(db)
    assert 100 <= stored_before < TOTAL, "the kill must land mid-run"

    with sqlite3.connect(db) as conn:
        (lease_owner,) = conn.execute("SELECT lease_owner FROM source_state WHERE source_id = 'feed_slow'").fetchone()
        if sig == signal.SIGTERM:  # the process recorded its own stop and gave its lease back
            assert conn.execute("SELECT status, error FROM runs").fetchall() == [
                ("interrupted", "stopped at a safe point (shutdown requested)")]
            assert lease_owner is None
        else:  # killed holding the lease: the rerun, on this host, sees the pid is gone and reaps it
            assert lease_owner.split(":")[:2] == [socket.gethostname(), str(proc.pid)]
    slow_feed.delay = 0.0
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    (run,) = json.loads(rerun.stdout)
    assert run["status"] == "ok"
    assert run["fetched"] == TOTAL
    assert run["new"] == TOTAL - stored_before
    assert run["unchanged"] == stored_before

    app = App.open(sources_dir, entrypoints=False)
    try:
        counts = app.catalog.counts()
        assert counts["postings"] == TOTAL
        assert counts["outbox"] == 0
        native = [p.native_id for p in app.catalog.iter_postings()]
        assert sorted(native) == sorted(f"J{i:04d}" for i in range(TOTAL))
        assert app.backend.count() == counts["clusters"] == TOTAL
        statuses = [r.status for r in app.catalog.runs("feed_slow")]
        assert statuses == ["ok", "interrupted"]
        assert app.catalog.source_state("feed_slow")["lease_owner"] is None
    finally:
        app.close()
