"""The catalog: the record of truth, one SQLite file under the data directory.

Every SQL statement lingong runs lives in this module, so another database
(PostgreSQL for several harvest workers) can replace SQLite behind the same
methods. The search index is a projection of the catalog: the ``outbox``
table lists the clusters whose index document is stale, and index sync
drains it (see :mod:`aggregator.indexing`).

Write methods expect to run inside :meth:`Catalog.transaction`; a process
killed mid-batch loses only the uncommitted batch, which the next run redoes
because its raw records' hashes were never stored.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aggregator.errors import CatalogError
from aggregator.runs import HarvestRun
from aggregator.schema import JobPosting

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS raw_records (
    source_id TEXT NOT NULL, native_id TEXT NOT NULL,
    content_hash TEXT NOT NULL, payload TEXT NOT NULL, url TEXT,
    state TEXT NOT NULL,                       -- 'posting' | 'quarantined'
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, last_run_id INTEGER NOT NULL,
    PRIMARY KEY (source_id, native_id)
);
CREATE TABLE IF NOT EXISTS postings (
    id TEXT PRIMARY KEY, source_id TEXT NOT NULL, native_id TEXT NOT NULL,
    cluster_id TEXT NOT NULL, dedupe_key TEXT, status TEXT NOT NULL,
    trust REAL NOT NULL, doc TEXT NOT NULL, updated_at TEXT NOT NULL,
    UNIQUE (source_id, native_id)
);
CREATE INDEX IF NOT EXISTS postings_cluster ON postings (cluster_id);
CREATE INDEX IF NOT EXISTS postings_source_status ON postings (source_id, status);
CREATE TABLE IF NOT EXISTS dedupe_keys (key TEXT PRIMARY KEY, cluster_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY, source_id TEXT NOT NULL, native_id TEXT, locator TEXT,
    content_hash TEXT NOT NULL, reason_code TEXT NOT NULL, reason TEXT NOT NULL, payload TEXT NOT NULL,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, run_id INTEGER, resolved_at TEXT,
    UNIQUE (source_id, content_hash)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, source_id TEXT NOT NULL, mode TEXT NOT NULL, pid INTEGER,
    started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,
    fetched INTEGER NOT NULL DEFAULT 0, new INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0, closed INTEGER NOT NULL DEFAULT 0,
    quarantined INTEGER NOT NULL DEFAULT 0, error TEXT
);
CREATE INDEX IF NOT EXISTS runs_source ON runs (source_id, id);
CREATE TABLE IF NOT EXISTS cursors (source_id TEXT PRIMARY KEY, cursor TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, cluster_id TEXT NOT NULL);
"""

_RUN_COLS = ("id", "source_id", "mode", "pid", "started_at", "finished_at", "status", "fetched", "new",
             "updated", "unchanged", "closed", "quarantined", "error")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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


class Catalog:
    """The SQLite catalog. One instance per process; not shared across threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # check_same_thread off: the API's event loop may run in another thread than the one that
            # opened the catalog. Still one user at a time: a Catalog is never used concurrently.
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30.0, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(_DDL)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        except sqlite3.DatabaseError as exc:
            raise CatalogError(f"cannot open catalog {path}: {exc}") from exc
        self._in_tx = False

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write batch (``BEGIN IMMEDIATE`` so concurrent writers queue, not fail)."""
        if self._in_tx:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        self._in_tx = True
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")
        finally:
            self._in_tx = False

    # --- runs ---------------------------------------------------------------------------------

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
            "closed = ?, quarantined = ?, error = ? WHERE id = ?",
            (run.finished_at, run.status, run.fetched, run.new, run.updated, run.unchanged, run.closed,
             run.quarantined, run.error, run.id))

    def runs(self, source_id: str | None = None, limit: int = 50) -> list[HarvestRun]:
        sql = f"SELECT {', '.join(_RUN_COLS)} FROM runs"
        args: tuple[Any, ...] = ()
        if source_id:
            sql += " WHERE source_id = ?"
            args = (source_id,)
        rows = self.db.execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [HarvestRun(**dict(zip(_RUN_COLS, r, strict=True))) for r in rows]

    def last_runs(self) -> dict[str, HarvestRun]:
        """The latest run of every source that has one."""
        rows = self.db.execute(
            f"SELECT {', '.join(_RUN_COLS)} FROM runs WHERE id IN (SELECT max(id) FROM runs GROUP BY source_id)"
        ).fetchall()
        return {r[1]: HarvestRun(**dict(zip(_RUN_COLS, r, strict=True))) for r in rows}

    # --- cursors ------------------------------------------------------------------------------

    def get_cursor(self, source_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT cursor FROM cursors WHERE source_id = ?", (source_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_cursor(self, source_id: str, cursor: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO cursors VALUES (?, ?, ?) ON CONFLICT (source_id) DO UPDATE "
            "SET cursor = excluded.cursor, updated_at = excluded.updated_at",
            (source_id, json.dumps(cursor, ensure_ascii=False), _now()))

    # --- raw records --------------------------------------------------------------------------

    def raw_states(self, source_id: str, native_ids: Sequence[str]) -> dict[str, tuple[str, str, str | None]]:
        """{native_id: (content_hash, state, posting status or None)} for the ids the catalog has."""
        out: dict[str, tuple[str, str, str | None]] = {}
        for i in range(0, len(native_ids), 500):
            chunk = native_ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                "SELECT r.native_id, r.content_hash, r.state, p.status FROM raw_records r LEFT JOIN postings p "
                "ON p.source_id = r.source_id AND p.native_id = r.native_id "
                f"WHERE r.source_id = ? AND r.native_id IN ({marks})", (source_id, *chunk))
            for nid, h, state, status in rows:
                out[nid] = (h, state, status)
        return out

    def reopen(self, posting_id: str) -> str | None:
        """Reopen a closed posting seen again unchanged; return its cluster."""
        posting = self.get_posting(posting_id)
        if posting is None or posting.status == "open":
            return None
        posting = posting.model_copy(update={"status": "open"})
        self.db.execute("UPDATE postings SET status = 'open', doc = ?, updated_at = ? WHERE id = ?",
                        (posting.model_dump_json(), _now(), posting_id))
        return posting.cluster_id

    def touch_raw(self, source_id: str, native_ids: Iterable[str], run_id: int) -> None:
        """Mark unchanged records as seen by this run (so a full run does not close them)."""
        now = _now()
        self.db.executemany(
            "UPDATE raw_records SET last_seen = ?, last_run_id = ? WHERE source_id = ? AND native_id = ?",
            [(now, run_id, source_id, nid) for nid in native_ids])

    def upsert_raw(self, source_id: str, native_id: str, content_hash: str, payload: dict[str, Any],
                   url: str | None, state: str, run_id: int) -> None:
        now = _now()
        self.db.execute(
            "INSERT INTO raw_records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source_id, native_id) DO UPDATE "
            "SET content_hash = excluded.content_hash, payload = excluded.payload, url = excluded.url, "
            "state = excluded.state, last_seen = excluded.last_seen, last_run_id = excluded.last_run_id",
            (source_id, native_id, content_hash, json.dumps(payload, ensure_ascii=False, default=str), url, state,
             now, now, run_id))

    def raw_payload(self, source_id: str, native_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT payload FROM raw_records WHERE source_id = ? AND native_id = ?",
                              (source_id, native_id)).fetchone()
        return json.loads(row[0]) if row else None

    # --- postings and clusters ----------------------------------------------------------------

    def get_posting(self, posting_id: str) -> JobPosting | None:
        row = self.db.execute("SELECT doc FROM postings WHERE id = ?", (posting_id,)).fetchone()
        return JobPosting.model_validate_json(row[0]) if row else None

    def posting_cluster(self, posting_id: str) -> str | None:
        row = self.db.execute("SELECT cluster_id FROM postings WHERE id = ?", (posting_id,)).fetchone()
        return row[0] if row else None

    def upsert_posting(self, posting: JobPosting, dedupe_key: str | None) -> None:
        assert posting.cluster_id is not None
        self.db.execute(
            "INSERT INTO postings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "cluster_id = excluded.cluster_id, dedupe_key = excluded.dedupe_key, status = excluded.status, "
            "trust = excluded.trust, doc = excluded.doc, updated_at = excluded.updated_at",
            (posting.id, posting.source_id, posting.native_id, posting.cluster_id, dedupe_key, posting.status,
             posting.provenance.trust, posting.model_dump_json(), _now()))

    def cluster_for_key(self, key: str) -> str | None:
        row = self.db.execute("SELECT cluster_id FROM dedupe_keys WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_cluster_key(self, key: str, cluster_id: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO dedupe_keys VALUES (?, ?)", (key, cluster_id))

    def cluster_members(self, cluster_id: str) -> list[JobPosting]:
        rows = self.db.execute("SELECT doc FROM postings WHERE cluster_id = ? ORDER BY id", (cluster_id,))
        return [JobPosting.model_validate_json(r[0]) for r in rows]

    def close_unseen(self, source_id: str, run_id: int) -> list[str]:
        """Close the source's open postings this (complete, full) run did not see; return their clusters."""
        rows = self.db.execute(
            "SELECT p.id, p.cluster_id, p.doc FROM postings p JOIN raw_records r "
            "ON r.source_id = p.source_id AND r.native_id = p.native_id "
            "WHERE p.source_id = ? AND p.status = 'open' AND r.last_run_id != ?", (source_id, run_id)).fetchall()
        now = _now()
        for pid, _cluster, doc in rows:
            posting = JobPosting.model_validate_json(doc).model_copy(update={"status": "closed"})
            self.db.execute("UPDATE postings SET status = 'closed', doc = ?, updated_at = ? WHERE id = ?",
                            (posting.model_dump_json(), now, pid))
        return sorted({r[1] for r in rows})

    def iter_postings(self, status: str | None = None) -> Iterator[JobPosting]:
        sql = "SELECT doc FROM postings" + (" WHERE status = ?" if status else "") + " ORDER BY id"
        for (doc,) in self.db.execute(sql, (status,) if status else ()):
            yield JobPosting.model_validate_json(doc)

    def all_cluster_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT cluster_id FROM postings ORDER BY cluster_id")]

    def counts(self) -> dict[str, int]:
        q = self.db.execute
        return {
            "postings": q("SELECT count(*) FROM postings").fetchone()[0],
            "open": q("SELECT count(*) FROM postings WHERE status = 'open'").fetchone()[0],
            "clusters": q("SELECT count(DISTINCT cluster_id) FROM postings WHERE status = 'open'").fetchone()[0],
            "quarantined": q("SELECT count(*) FROM quarantine WHERE resolved_at IS NULL").fetchone()[0],
            "outbox": q("SELECT count(*) FROM outbox").fetchone()[0],
        }

    # --- quarantine ---------------------------------------------------------------------------

    def quarantine(self, *, source_id: str, native_id: str | None, locator: str | None, content_hash: str,
                   reason_code: str, reason: str, payload: str, run_id: int | None) -> None:
        """Keep a bad record with its reason; the same bad content is stored once."""
        now = _now()
        self.db.execute(
            "INSERT INTO quarantine (source_id, native_id, locator, content_hash, reason_code, reason, payload, "
            "first_seen, last_seen, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (source_id, content_hash) DO UPDATE SET last_seen = excluded.last_seen, "
            "run_id = excluded.run_id, reason_code = excluded.reason_code, reason = excluded.reason, "
            "resolved_at = NULL",
            (source_id, native_id, locator, content_hash, reason_code, reason, payload, now, now, run_id))
        if native_id is not None:
            self.resolve_quarantine(source_id, native_id, keep_hash=content_hash)

    def resolve_quarantine(self, source_id: str, native_id: str, keep_hash: str | None = None) -> None:
        """Mark a record's older quarantine entries resolved (it became a posting, or changed)."""
        self.db.execute(
            "UPDATE quarantine SET resolved_at = ? WHERE source_id = ? AND native_id = ? "
            "AND resolved_at IS NULL AND content_hash IS NOT ?", (_now(), source_id, native_id, keep_hash))

    def quarantined(self, source_id: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        cols = ("id", "source_id", "native_id", "locator", "reason_code", "reason", "payload", "first_seen",
                "last_seen", "run_id")
        sql = f"SELECT {', '.join(cols)} FROM quarantine WHERE resolved_at IS NULL"
        args: tuple[Any, ...] = ()
        if source_id:
            sql += " AND source_id = ?"
            args = (source_id,)
        rows = self.db.execute(sql + " ORDER BY id LIMIT ?", (*args, limit)).fetchall()
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def mark_resolved(self, quarantine_id: int) -> None:
        self.db.execute("UPDATE quarantine SET resolved_at = ? WHERE id = ?", (_now(), quarantine_id))

    # --- outbox -------------------------------------------------------------------------------

    def enqueue(self, cluster_ids: Iterable[str]) -> None:
        """Note clusters whose index document must be rebuilt (same transaction as the change)."""
        self.db.executemany("INSERT INTO outbox (cluster_id) VALUES (?)", [(c,) for c in cluster_ids])

    def outbox_batch(self, limit: int) -> tuple[int, list[str]]:
        """The oldest ``limit`` entries: (highest seq taken, distinct cluster ids)."""
        rows = self.db.execute("SELECT seq, cluster_id FROM outbox ORDER BY seq LIMIT ?", (limit,)).fetchall()
        if not rows:
            return 0, []
        return rows[-1][0], list(dict.fromkeys(r[1] for r in rows))

    def outbox_done(self, up_to_seq: int) -> None:
        self.db.execute("DELETE FROM outbox WHERE seq <= ?", (up_to_seq,))
