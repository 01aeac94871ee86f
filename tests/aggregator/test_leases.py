"""Run leases: every harvest path runs a source only while it holds the source's lease in the catalog."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aggregator.app import App
from aggregator.catalog import Catalog
from aggregator.cli import app as cli
from aggregator.errors import LeaseHeldError, LeaseLostError
from aggregator.hookspecs import hookimpl
from aggregator.leases import RunLease, new_owner, reap_dead_lease
from aggregator.runs import HarvestRun
from aggregator.scheduler import Scheduler, SchedulerConfig
from aggregator.schema import SourceDefinition
from tests.conftest import job, write_ndjson, write_source

#: Holds a source's lease from another process until its stdin closes (or it is killed).
_HOLDER = """
import sys
from pathlib import Path
from aggregator.catalog import Catalog
from aggregator.leases import RunLease, new_owner
lease = RunLease(Catalog(Path(sys.argv[1])), sys.argv[2], new_owner())
lease.acquire()
print(lease.owner, flush=True)
sys.stdin.read()
lease.release()
"""


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds")


@pytest.fixture
def two_feeds(sources_dir: Path, tmp_path: Path) -> Path:
    for name, n in (("feed_a", 4), ("feed_b", 3)):
        feed = write_ndjson(tmp_path / f"{name}.ndjson", [job(i, id=f"{name}-{i}") for i in range(n)])
        write_source(sources_dir, name, options={"path": str(feed), "format": "ndjson"})
    return sources_dir


@contextmanager
def _holder(db: Path, source_id: str) -> Iterator[subprocess.Popen[str]]:
    """A live process of this machine holding the source's lease (it prints its owner, then waits on stdin)."""
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(db), source_id], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        for stream in (proc.stdin, proc.stdout):
            if stream:
                stream.close()


def _harvest_cli(sources_dir: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "aggregator", "harvest", "--sources", str(sources_dir), "--json"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=os.environ.copy())


def _owner_of(db: Path, source_id: str) -> str | None:
    catalog = Catalog(db)
    try:
        owner = catalog.source_state(source_id)["lease_owner"]
        return str(owner) if owner else None
    finally:
        catalog.close()


# --- lingong harvest as a separate process -------------------------------------------------------


@pytest.mark.slow
def test_harvest_skips_a_source_another_live_process_holds_and_runs_the_others(
        two_feeds: Path, _isolated_home: Path) -> None:
    db = _isolated_home / "catalog.sqlite3"
    with _holder(db, "feed_a") as holder:
        assert holder.stdout is not None
        owner = holder.stdout.readline().strip()
        assert owner.split(":")[:2] == [socket.gethostname(), str(holder.pid)]
        result = _harvest_cli(two_feeds)
        assert result.returncode == 0, result.stderr  # a skipped source is not a failure
        rows = {r["source_id"]: r for r in json.loads(result.stdout)}
        assert rows["feed_a"] == {"source_id": "feed_a", "status": "skipped", "reason": "running_elsewhere",
                                  "owner": owner}
        assert rows["feed_b"]["status"] == "ok" and rows["feed_b"]["new"] == 3
        assert f"feed_a skipped: running elsewhere (owner {owner})" in " ".join(result.stderr.split())
        assert _owner_of(db, "feed_a") == owner  # the harvest neither took nor freed the other's lease
        assert _owner_of(db, "feed_b") is None
        assert holder.stdin is not None
        holder.stdin.close()  # the holder finishes and releases
        assert holder.wait(timeout=30) == 0
    again = _harvest_cli(two_feeds)
    assert again.returncode == 0, again.stderr
    rows = {r["source_id"]: r for r in json.loads(again.stdout)}
    assert rows["feed_a"]["status"] == "ok" and rows["feed_a"]["new"] == 4
    assert rows["feed_b"]["status"] == "ok" and rows["feed_b"]["unchanged"] == 3


@pytest.mark.slow
def test_a_lease_left_by_a_dead_process_of_this_host_is_reaped_and_the_harvest_runs(
        two_feeds: Path, _isolated_home: Path) -> None:
    db = _isolated_home / "catalog.sqlite3"
    with _holder(db, "feed_a") as holder:
        assert holder.stdout is not None
        owner = holder.stdout.readline().strip()
        holder.send_signal(signal.SIGKILL)  # dies holding the lease, which has ten minutes to run
        holder.wait(timeout=30)
    assert _owner_of(db, "feed_a") == owner
    result = _harvest_cli(two_feeds)
    assert result.returncode == 0, result.stderr
    rows = {r["source_id"]: r for r in json.loads(result.stdout)}
    assert rows["feed_a"]["status"] == "ok" and rows["feed_a"]["new"] == 4
    assert _owner_of(db, "feed_a") is None


# --- through the CLI runner ----------------------------------------------------------------------


def test_a_lease_held_from_another_host_is_waited_out_not_reaped(two_feeds: Path, _isolated_home: Path) -> None:
    catalog = Catalog(_isolated_home / "catalog.sqlite3")
    elsewhere = "worker-7.example.internal:1:0badf00d"  # pid 1 there tells nothing about pid 1 here
    now = datetime.now(UTC)
    assert catalog.acquire_lease("feed_a", elsewhere, _iso(now + timedelta(minutes=10)), _iso(now))
    assert reap_dead_lease(catalog, "feed_a") is None
    result = CliRunner().invoke(cli, ["harvest", "--sources", str(two_feeds), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    statuses = {r["source_id"]: (r["status"], r.get("owner")) for r in json.loads(result.stdout)}
    assert statuses == {"feed_a": ("skipped", elsewhere), "feed_b": ("ok", None)}
    assert catalog.source_state("feed_a")["lease_owner"] == elsewhere
    # Once it expires (as seen from a clock ten minutes on) anyone may take it.
    later = now + timedelta(minutes=11)
    assert catalog.acquire_lease("feed_a", new_owner(), _iso(later + timedelta(minutes=10)), _iso(later))
    catalog.close()


def test_harvest_exit_status_is_1_for_a_failure_even_beside_a_skip(two_feeds: Path, tmp_path: Path,
                                                                    _isolated_home: Path) -> None:
    write_source(two_feeds, "feed_gone", options={"path": str(tmp_path / "missing.ndjson"), "format": "ndjson"})
    catalog = Catalog(_isolated_home / "catalog.sqlite3")
    now = datetime.now(UTC)
    assert catalog.acquire_lease("feed_a", "worker-7:1:0badf00d", _iso(now + timedelta(minutes=10)), _iso(now))
    result = CliRunner().invoke(cli, ["harvest", "--sources", str(two_feeds)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "feed_a skipped: running elsewhere (owner worker-7:1:0badf00d)" in " ".join(result.stderr.split())
    assert "feed_gone failed" in result.stderr
    assert [catalog.source_state(s)["lease_owner"] for s in ("feed_b", "feed_gone")] == [None, None]
    catalog.close()


# --- App.harvest / Pipeline.harvest_many ---------------------------------------------------------


def test_the_lease_is_held_and_renewed_during_each_run_and_released_after_ok_and_failed_runs(
        two_feeds: Path, tmp_path: Path, open_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINGONG_BATCH_SIZE", "1")
    write_source(two_feeds, "feed_gone", options={"path": str(tmp_path / "missing.ndjson"), "format": "ndjson"})
    a: App = open_app()
    seen: list[tuple[str, str | None, str | None]] = []

    def on_batch(source: SourceDefinition, run: HarvestRun) -> None:
        state = a.catalog.source_state(source.id)
        seen.append((source.id, state["lease_owner"], state["lease_until"]))

    before = _iso(datetime.now(UTC) + timedelta(minutes=9))
    runs = {r.source_id: r.status for r in a.harvest(a.select([])[0], progress=on_batch)}
    assert runs == {"feed_a": "ok", "feed_b": "ok", "feed_gone": "failed"}
    assert [s for s, _, _ in seen] == ["feed_a"] * 4 + ["feed_b"] * 3  # one renewal per batch
    owners = {owner for _, owner, _ in seen}
    assert len(owners) == 1  # one owner for the whole harvest, in the scheduler's format, of this process
    (owner,) = owners
    assert owner is not None and owner.split(":")[:2] == [socket.gethostname(), str(os.getpid())]
    assert all(until is not None and until >= before for _, _, until in seen)
    for s in ("feed_a", "feed_b", "feed_gone"):
        assert a.catalog.source_state(s)["lease_owner"] is None


def test_a_run_that_fails_mid_way_or_is_aborted_releases_its_lease(two_feeds: Path, open_app: Any) -> None:
    a: App = open_app()
    src = a.sources.sources

    def boom(source: SourceDefinition, run: HarvestRun) -> None:
        raise RuntimeError("the disk filled up")

    (run,) = a.harvest([src["feed_a"]], progress=boom)
    assert run.status == "failed" and "disk filled up" in (run.error or "")
    assert a.catalog.source_state("feed_a")["lease_owner"] is None

    def abort(source: SourceDefinition, run: HarvestRun) -> None:
        raise KeyboardInterrupt  # a second Ctrl-C: no safe point, out at once

    with pytest.raises(KeyboardInterrupt):
        a.harvest([src["feed_b"]], progress=abort)
    assert a.catalog.source_state("feed_b")["lease_owner"] is None


def test_a_stop_ends_the_running_source_releases_its_lease_and_starts_no_other(
        two_feeds: Path, open_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINGONG_BATCH_SIZE", "1")
    a: App = open_app()
    stop = threading.Event()
    runs = a.harvest(a.select([])[0], progress=lambda s, r: stop.set(), stop=stop)
    assert [(r.source_id, r.status, r.fetched) for r in runs] == [("feed_a", "interrupted", 1)]
    assert a.catalog.runs("feed_b") == []
    assert [a.catalog.source_state(s)["lease_owner"] for s in ("feed_a", "feed_b")] == [None, None]


def test_a_run_whose_lease_is_taken_over_stops_and_leaves_the_new_holder_alone(
        two_feeds: Path, open_app: Any, _isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINGONG_BATCH_SIZE", "1")
    a: App = open_app()
    thief = Catalog(_isolated_home / "catalog.sqlite3")
    later = datetime.now(UTC) + timedelta(hours=1)  # as if this run had stalled past its lease's expiry

    def stall(source: SourceDefinition, run: HarvestRun) -> None:
        if run.fetched == 2:
            assert thief.acquire_lease(source.id, "worker-7:1:0badf00d", _iso(later + timedelta(minutes=10)),
                                       _iso(later))

    (run,) = a.harvest([a.sources.sources["feed_a"]], progress=stall)
    assert run.status == "failed" and run.fetched == 3 and not run.transient
    assert run.error == "lost the run lease of feed_a to worker-7:1:0badf00d; stopping this run"
    assert run.closed == 0
    assert thief.source_state("feed_a")["lease_owner"] == "worker-7:1:0badf00d"
    thief.close()


# --- the scheduler and a plain harvest exclude each other ----------------------------------------


def test_a_scheduled_slot_is_skipped_while_a_plain_harvest_runs_the_source(two_feeds: Path, open_app: Any) -> None:
    a: App = open_app()
    scheduler = Scheduler(a, SchedulerConfig(jitter=0.0, sync_index=False))
    slots: list[HarvestRun | None] = []

    def fire_slot(source: SourceDefinition, run: HarvestRun) -> None:
        if not slots:  # a daemon's worker thread fires while this harvest holds the lease
            worker = threading.Thread(target=lambda: slots.append(scheduler.run_slot(source.id)))
            worker.start()
            worker.join(timeout=30)

    (run,) = a.harvest([a.sources.sources["feed_a"]], progress=fire_slot)
    assert run.status == "ok" and slots == [None]
    skipped = scheduler.registry.get_sample_value("lingong_harvest_skipped_total",
                                                  {"source": "feed_a", "reason": "running_elsewhere"})
    assert skipped == 1
    assert len(a.catalog.runs("feed_a")) == 1
    after = scheduler.run_slot("feed_a")  # the lease is free again: the next slot runs
    assert after is not None and after.status == "ok" and after.unchanged == 4
    scheduler.stop()


class _HarvestWhileHeld:
    """While the scheduler's run of a source finishes (its lease still held), a plain harvest tries it too."""

    def __init__(self, sources_dir: Path) -> None:
        self.sources_dir = sources_dir
        self.scheduler: Scheduler | None = None
        self.seen: list[tuple[str | None, list[HarvestRun], list[tuple[str, str]]]] = []

    @hookimpl
    def lingong_harvest_finished(self, run: HarvestRun, source: SourceDefinition) -> None:
        if self.seen or self.scheduler is None:
            return

        def cron_harvest() -> None:  # another process would open its own app; so does this thread
            other = App.open(self.sources_dir, entrypoints=False)
            try:
                skips: list[tuple[str, str]] = []
                runs = other.harvest([source], on_skip=lambda s, owner: skips.append((s.id, owner)))
                self.seen.append((other.catalog.source_state(source.id)["lease_owner"], runs, skips))
            finally:
                other.close()

        worker = threading.Thread(target=cron_harvest)
        worker.start()
        worker.join(timeout=30)


def test_a_plain_harvest_skips_a_source_while_the_daemon_runs_it(two_feeds: Path) -> None:
    probe = _HarvestWhileHeld(two_feeds)
    a = App.open(two_feeds, entrypoints=False, extra_plugins=[("probe", probe)])
    try:
        scheduler = probe.scheduler = Scheduler(a, SchedulerConfig(jitter=0.0, sync_index=False))
        run = scheduler.run_slot("feed_a")  # the daemon runs the pipeline under its own lease: no deadlock
        assert run is not None and run.status == "ok" and run.new == 4
        assert probe.seen == [(scheduler.owner, [], [("feed_a", scheduler.owner)])]
        assert a.catalog.source_state("feed_a")["lease_owner"] is None
        assert len(a.catalog.runs("feed_a")) == 1
        scheduler.stop()
    finally:
        a.close()


def test_a_run_lease_turns_other_owners_away_until_released(two_feeds: Path, open_app: Any) -> None:
    a: App = open_app()
    first, second = RunLease(a.catalog, "feed_a", new_owner()), RunLease(a.catalog, "feed_a", new_owner())
    first.acquire()
    with pytest.raises(LeaseHeldError) as held:
        second.acquire()
    assert (held.value.source_id, held.value.owner) == ("feed_a", first.owner)
    first.renew()  # still its own
    first.release()
    second.acquire()
    with pytest.raises(LeaseLostError):
        first.renew()
    first.release()  # releasing a lease one no longer holds leaves the holder's alone
    assert a.catalog.source_state("feed_a")["lease_owner"] == second.owner
    second.release()
    assert a.catalog.source_state("feed_a")["lease_owner"] is None
