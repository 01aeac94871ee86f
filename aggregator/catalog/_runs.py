"""Runs, cursors and per-source state (circuit breaker, run lease): tables ``runs``, ``cursors``,
``source_state`` (:mod:`aggregator.pipeline`, :mod:`aggregator.health`, :mod:`aggregator.scheduler`,
:mod:`aggregator.leases`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from aggregator.catalog._core import _Core, _now
from aggregator.runs import HarvestRun

_RUN_COLS = ("id", "source_id", "mode", "pid", "started_at", "finished_at", "status", "fetched", "new",
             "updated", "unchanged", "closed", "quarantined", "error", "duplicates", "requests", "duration_s",
             "missing_rate", "alarms", "transient")
_STATE_COLS = ("source_id", "failures", "paused_until", "paused_reason", "baseline_run_id", "lease_owner",
               "lease_until", "updated_at")


def _run_from_row(row: Sequence[Any]) -> HarvestRun:
    data = dict(zip(_RUN_COLS, row, strict=True))
    data["alarms"] = json.loads(data["alarms"] or "[]")
    data["transient"] = bool(data["transient"])
    return HarvestRun(**data)


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _RunsMixin(_Core):
    """Runs, cursors, source state and run leases."""

    def start_run(self, source_id: str, mode: str) -> HarvestRun:
        """Record a new run (and mark runs whose process died as ``interrupted``)."""
        with self.transaction():
            for run_id, pid in self.db.execute("SELECT id, pid FROM runs WHERE status = 'running'").fetchall():
                if not _pid_alive(pid):
                    self.db.execute(
                        "UPDATE runs SET status = 'interrupted', finished_at = ?, "
                        "error = 'process ended before the run finished' WHERE id = ?", (_now(), run_id))
            started = _now()
            cur = self.db.execute(
                "INSERT INTO runs (source_id, mode, pid, started_at, status) VALUES (?, ?, ?, ?, 'running')",
                (source_id, mode, os.getpid(), started))
        assert cur.lastrowid is not None
        return HarvestRun(id=cur.lastrowid, source_id=source_id, mode=mode, started_at=started, status="running")

    def save_run(self, run: HarvestRun) -> None:
        """Store a run's counters and status (called at the end of every batch and of the run)."""
        self.db.execute(
            "UPDATE runs SET finished_at = ?, status = ?, fetched = ?, new = ?, updated = ?, unchanged = ?, "
            "closed = ?, quarantined = ?, error = ?, duplicates = ?, requests = ?, duration_s = ?, "
            "missing_rate = ?, alarms = ?, transient = ? WHERE id = ?",
            (run.finished_at, run.status, run.fetched, run.new, run.updated, run.unchanged, run.closed,
             run.quarantined, run.error, run.duplicates, run.requests, run.duration_s, run.missing_rate,
             json.dumps(run.alarms, ensure_ascii=False), int(run.transient), run.id))

    def runs(self, source_id: str | None = None, limit: int = 50) -> list[HarvestRun]:
        sql = f"SELECT {', '.join(_RUN_COLS)} FROM runs"
        args: tuple[Any, ...] = ()
        if source_id:
            sql += " WHERE source_id = ?"
            args = (source_id,)
        rows = self.db.execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [_run_from_row(r) for r in rows]

    def last_runs(self) -> dict[str, HarvestRun]:
        """The latest run of every source that has one."""
        rows = self.db.execute(
            f"SELECT {', '.join(_RUN_COLS)} FROM runs WHERE id IN (SELECT max(id) FROM runs GROUP BY source_id)"
        ).fetchall()
        return {r[1]: _run_from_row(r) for r in rows}

    # --- cursors ------------------------------------------------------------------------------

    def get_cursor(self, source_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT cursor FROM cursors WHERE source_id = ?", (source_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_cursor(self, source_id: str, cursor: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO cursors VALUES (?, ?, ?) ON CONFLICT (source_id) DO UPDATE "
            "SET cursor = excluded.cursor, updated_at = excluded.updated_at",
            (source_id, json.dumps(cursor, ensure_ascii=False), _now()))

    # --- operations (aggregator.health, aggregator.scheduler) ---------------------------------

    def source_states(self) -> dict[str, dict[str, Any]]:
        """Circuit-breaker and lease state of every source that has some."""
        rows = self.db.execute(f"SELECT {', '.join(_STATE_COLS)} FROM source_state").fetchall()
        return {r[0]: dict(zip(_STATE_COLS, r, strict=True)) for r in rows}

    def source_state(self, source_id: str) -> dict[str, Any]:
        row = self.db.execute(f"SELECT {', '.join(_STATE_COLS)} FROM source_state WHERE source_id = ?",
                              (source_id,)).fetchone()
        if row:
            return dict(zip(_STATE_COLS, row, strict=True))
        return {"source_id": source_id, "failures": 0, "paused_until": None, "paused_reason": None,
                "baseline_run_id": 0, "lease_owner": None, "lease_until": None, "updated_at": None}

    def set_source_state(self, source_id: str, *, failures: int, paused_until: str | None,
                         paused_reason: str | None, baseline_run_id: int | None = None) -> None:
        """Store a source's failure streak and pause (``baseline_run_id`` only when given)."""
        self.db.execute(
            "INSERT INTO source_state (source_id, failures, paused_until, paused_reason, baseline_run_id, "
            "updated_at) VALUES (?, ?, ?, ?, coalesce(?, 0), ?) ON CONFLICT (source_id) DO UPDATE SET "
            "failures = excluded.failures, "
            "paused_until = excluded.paused_until, paused_reason = excluded.paused_reason, "
            "baseline_run_id = coalesce(?, source_state.baseline_run_id), updated_at = excluded.updated_at",
            (source_id, failures, paused_until, paused_reason, baseline_run_id, _now(), baseline_run_id))

    def acquire_lease(self, source_id: str, owner: str, until: str, now: str) -> bool:
        """Take (or renew) the source's run lease unless another owner holds an unexpired one.

        The single-flight guard across processes and machines: a daemon runs a source only while it
        holds the lease; one that dies lets it expire. Times are ISO-8601 UTC text (they sort).
        """
        with self.transaction():
            self.db.execute("INSERT OR IGNORE INTO source_state (source_id, updated_at) VALUES (?, ?)",
                            (source_id, now))
            cur = self.db.execute(
                "UPDATE source_state SET lease_owner = ?, lease_until = ? WHERE source_id = ? AND "
                "(lease_owner IS NULL OR lease_owner = ? OR lease_until IS NULL OR lease_until < ?)",
                (owner, until, source_id, owner, now))
            return cur.rowcount == 1

    def release_lease(self, source_id: str, owner: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE source_state SET lease_owner = NULL, lease_until = NULL "
                            "WHERE source_id = ? AND lease_owner = ?", (source_id, owner))

    def baseline_runs(self, source_id: str, before_id: int, after_id: int, limit: int) -> list[HarvestRun]:
        """The source's latest good harvests before ``before_id``: ok, not replays, without alarms."""
        rows = self.db.execute(
            f"SELECT {', '.join(_RUN_COLS)} FROM runs WHERE source_id = ? AND id < ? AND id > ? AND status = 'ok' "
            "AND mode != 'replay' AND alarms = '[]' ORDER BY id DESC LIMIT ?",
            (source_id, before_id, after_id, limit)).fetchall()
        return [_run_from_row(r) for r in rows]

    def last_success(self) -> dict[str, str]:
        """When each source last finished a run ``ok``."""
        rows = self.db.execute("SELECT source_id, max(finished_at) FROM runs WHERE status = 'ok' GROUP BY source_id")
        return {r[0]: r[1] for r in rows}

    def alarmed_runs(self, limit: int = 50) -> list[HarvestRun]:
        """The latest runs that raised drift alarms, newest first."""
        rows = self.db.execute(f"SELECT {', '.join(_RUN_COLS)} FROM runs WHERE alarms != '[]' ORDER BY id DESC "
                               "LIMIT ?", (limit,)).fetchall()
        return [_run_from_row(r) for r in rows]
