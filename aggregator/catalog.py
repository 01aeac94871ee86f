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

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from aggregator.errors import CatalogError
from aggregator.runs import HarvestRun
from aggregator.schema import JobPosting

SCHEMA_VERSION = 2

#: Schema changes for catalogs made by older versions: ``{version: statements}``, applied in order
#: inside one transaction each. ``_DDL`` stays the version-1 schema; a new catalog is version 1 and
#: migrates like an old one, so both end up the same.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: (  # operations (aggregator.health / aggregator.scheduler): run metrics, drift alarms, source state
        "ALTER TABLE runs ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE runs ADD COLUMN requests INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE runs ADD COLUMN duration_s REAL",
        "ALTER TABLE runs ADD COLUMN missing_rate REAL",
        "ALTER TABLE runs ADD COLUMN alarms TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE runs ADD COLUMN transient INTEGER NOT NULL DEFAULT 0",
        "CREATE TABLE IF NOT EXISTS source_state ("
        " source_id TEXT PRIMARY KEY, failures INTEGER NOT NULL DEFAULT 0, paused_until TEXT, paused_reason TEXT,"
        " baseline_run_id INTEGER NOT NULL DEFAULT 0, lease_owner TEXT, lease_until TEXT, updated_at TEXT NOT NULL)",
    ),
}

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
-- dedupe (aggregator.dedupe): matching features, MinHash LSH bands and blocks per posting
CREATE TABLE IF NOT EXISTS dedupe_features (posting_id TEXT PRIMARY KEY, cluster_id TEXT NOT NULL,
                                            features TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS dedupe_features_cluster ON dedupe_features (cluster_id);
CREATE TABLE IF NOT EXISTS dedupe_bands (band TEXT NOT NULL, posting_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS dedupe_bands_band ON dedupe_bands (band);
CREATE INDEX IF NOT EXISTS dedupe_bands_posting ON dedupe_bands (posting_id);
CREATE TABLE IF NOT EXISTS dedupe_blocks (block TEXT NOT NULL, posting_id TEXT NOT NULL, seq INTEGER NOT NULL,
                                          PRIMARY KEY (block, posting_id));
CREATE INDEX IF NOT EXISTS dedupe_blocks_posting ON dedupe_blocks (posting_id);
CREATE INDEX IF NOT EXISTS dedupe_blocks_seq ON dedupe_blocks (seq);  -- max(seq) per put without a scan
CREATE TABLE IF NOT EXISTS dedupe_clusters (born INTEGER PRIMARY KEY AUTOINCREMENT, cluster_id TEXT NOT NULL UNIQUE);
-- employers (aggregator.employers): a local registry, a blacklist, and which names each credit code was given with
CREATE TABLE IF NOT EXISTS employer_registry (
    id INTEGER PRIMARY KEY, uscc TEXT, name TEXT NOT NULL, name_key TEXT, status TEXT,
    source TEXT, imported_at TEXT NOT NULL, UNIQUE (uscc, name_key)
);
CREATE INDEX IF NOT EXISTS employer_registry_uscc ON employer_registry (uscc);
CREATE INDEX IF NOT EXISTS employer_registry_key ON employer_registry (name_key);
CREATE TABLE IF NOT EXISTS employer_blacklist (
    id INTEGER PRIMARY KEY, name TEXT, name_key TEXT, uscc TEXT, reason TEXT NOT NULL, source TEXT,
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS employer_codes (uscc TEXT NOT NULL, name_key TEXT NOT NULL, name TEXT,
                                           first_seen TEXT NOT NULL, PRIMARY KEY (uscc, name_key));
-- risk (aggregator.risk): score and reasons per posting; held postings stay out of the index
CREATE TABLE IF NOT EXISTS posting_risk (posting_id TEXT PRIMARY KEY, score REAL NOT NULL, held INTEGER NOT NULL,
                                         reasons TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS posting_risk_held ON posting_risk (held, score);
-- seekers (aggregator.seekers): registrations and saved searches (profile in the clear, contact only
-- encrypted), the inverted index of stored queries, notifications (one per person and job) and dead letters
CREATE TABLE IF NOT EXISTS seekers (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, source_id TEXT, native_id TEXT,
    profile TEXT NOT NULL, contact BLOB NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    UNIQUE (source_id, native_id)
);
CREATE TABLE IF NOT EXISTS seeker_keys (key TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seeker_keys_seq ON seeker_keys (seq);
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, cluster_id TEXT NOT NULL, posting_id TEXT NOT NULL,
    score REAL NOT NULL, reasons TEXT NOT NULL, status TEXT NOT NULL,  -- 'pending' | 'sent' | 'dead'
    attempts INTEGER NOT NULL DEFAULT 0, next_at TEXT NOT NULL, created_at TEXT NOT NULL, sent_at TEXT,
    last_error TEXT, UNIQUE (seq, cluster_id)
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (status, next_at);
CREATE INDEX IF NOT EXISTS notifications_posting ON notifications (seq, posting_id);
CREATE INDEX IF NOT EXISTS notifications_sent ON notifications (seq, sent_at);
CREATE TABLE IF NOT EXISTS notify_dead_letters (
    id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, notification_id INTEGER NOT NULL, cluster_id TEXT NOT NULL,
    posting_id TEXT NOT NULL, attempts INTEGER NOT NULL, error TEXT NOT NULL, failed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notify_dead_letters_seq ON notify_dead_letters (seq);
"""

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
            # Deleted rows are zeroed on disk: a seeker removed (DELETE /v1/seekers) leaves no trace.
            self.db.execute("PRAGMA secure_delete=ON")
            self.db.executescript(_DDL)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', '1')")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise CatalogError(f"cannot open catalog {path}: {exc}") from exc
        self._in_tx = False

    def _migrate(self) -> None:
        """Bring an older catalog up to :data:`SCHEMA_VERSION` (each step atomic; a newer catalog is refused)."""
        version = int(self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise CatalogError(f"catalog {self.path} has schema {version}, newer than this lingong ({SCHEMA_VERSION})")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                # Re-read under the write lock: another process may have migrated meanwhile.
                now = int(self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
                if now < target:
                    for statement in _MIGRATIONS.get(target, ()):
                        self.db.execute(statement)
                    self.db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(target),))
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def schema_version(self) -> int:
        return int(self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])

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

    # --- raw records --------------------------------------------------------------------------

    def raw_states(self, source_id: str,
                   native_ids: Sequence[str]) -> dict[str, tuple[str, str, str | None, str | None]]:
        """{native_id: (content_hash, state, posting status or None, stored url)} for the ids the catalog has."""
        out: dict[str, tuple[str, str, str | None, str | None]] = {}
        for i in range(0, len(native_ids), 500):
            chunk = native_ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                "SELECT r.native_id, r.content_hash, r.state, p.status, r.url FROM raw_records r LEFT JOIN postings p "
                "ON p.source_id = r.source_id AND p.native_id = r.native_id "
                f"WHERE r.source_id = ? AND r.native_id IN ({marks})", (source_id, *chunk))
            for nid, h, state, status, url in rows:
                out[nid] = (h, state, status, url)
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

    # --- market report ------------------------------------------------------------------------

    def market_postings(self) -> Iterator[tuple[JobPosting, datetime | None, datetime | None]]:
        """Every posting with when the catalog first saw it and, if closed, when it was closed (market report)."""
        rows = self.db.execute(
            "SELECT p.doc, r.first_seen, CASE WHEN p.status = 'closed' THEN p.updated_at END FROM postings p "
            "LEFT JOIN raw_records r ON r.source_id = p.source_id AND r.native_id = p.native_id ORDER BY p.id")
        for doc, first_seen, closed_at in rows:
            yield (JobPosting.model_validate_json(doc),
                   datetime.fromisoformat(first_seen) if first_seen else None,
                   datetime.fromisoformat(closed_at) if closed_at else None)

    def has_table(self, name: str) -> bool:
        """Whether the catalog has a table of this name (optional features' tables appear over time)."""
        row = self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
        return row is not None

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

    # --- dedupe (aggregator.dedupe) -----------------------------------------------------------

    def dedupe_features(self, posting_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT cluster_id, features FROM dedupe_features WHERE posting_id = ?",
                              (posting_id,)).fetchone()
        return {"cluster_id": row[0], "features": json.loads(row[1])} if row else None

    def dedupe_candidates(self, posting_id: str, bands: Sequence[str], blocks: Sequence[str],
                          block_limit: int) -> list[dict[str, Any]]:
        """The latest ``block_limit`` postings of each LSH band and each block, with their features."""
        ids: set[str] = set()
        for band in bands:
            ids.update(r[0] for r in self.db.execute(
                "SELECT posting_id FROM dedupe_bands WHERE band = ? ORDER BY rowid DESC LIMIT ?", (band, block_limit)))
        for block in blocks:
            ids.update(r[0] for r in self.db.execute(
                "SELECT posting_id FROM dedupe_blocks WHERE block = ? ORDER BY seq DESC LIMIT ?", (block, block_limit)))
        ids.discard(posting_id)
        out: list[dict[str, Any]] = []
        chosen = sorted(ids)
        for i in range(0, len(chosen), 500):
            chunk = chosen[i:i + 500]
            rows = self.db.execute(
                f"SELECT cluster_id, features FROM dedupe_features WHERE posting_id IN ({','.join('?' * len(chunk))})",
                tuple(chunk))
            out.extend({"cluster_id": c, "features": json.loads(f)} for c, f in rows)
        return out

    def put_dedupe_features(self, posting_id: str, cluster_id: str, features: dict[str, Any],
                            bands: Sequence[str], blocks: Sequence[str]) -> None:
        """Store a posting's matching features, bands, blocks and cluster (replacing what it had)."""
        q = self.db.execute
        q("INSERT INTO dedupe_features VALUES (?, ?, ?) ON CONFLICT (posting_id) DO UPDATE SET "
          "cluster_id = excluded.cluster_id, features = excluded.features",
          (posting_id, cluster_id, json.dumps(features, ensure_ascii=False)))
        q("INSERT OR IGNORE INTO dedupe_clusters (cluster_id) VALUES (?)", (cluster_id,))
        q("DELETE FROM dedupe_bands WHERE posting_id = ?", (posting_id,))
        q("DELETE FROM dedupe_blocks WHERE posting_id = ?", (posting_id,))
        self.db.executemany("INSERT INTO dedupe_bands VALUES (?, ?)", [(b, posting_id) for b in set(bands)])
        seq = q("SELECT coalesce(max(seq), 0) + 1 FROM dedupe_blocks").fetchone()[0]
        self.db.executemany("INSERT OR IGNORE INTO dedupe_blocks VALUES (?, ?, ?)",
                            [(b, posting_id, seq) for b in blocks])

    def dedupe_posting_ids(self) -> list[tuple[str, str]]:
        """(posting id, cluster id) of every posting with stored dedupe features, in the order their blocks
        were last written (so rewriting them in this order keeps "the latest postings of a block")."""
        rows = self.db.execute(
            "SELECT f.posting_id, f.cluster_id FROM dedupe_features f LEFT JOIN "
            "(SELECT posting_id, max(seq) AS seq FROM dedupe_blocks GROUP BY posting_id) b USING (posting_id) "
            "ORDER BY coalesce(b.seq, 0), f.rowid").fetchall()
        return [(str(p), str(c)) for p, c in rows]

    def cluster_size(self, cluster_id: str, exclude: str | None = None) -> int:
        return int(self.db.execute("SELECT count(*) FROM dedupe_features WHERE cluster_id = ? AND posting_id IS NOT ?",
                                   (cluster_id, exclude)).fetchone()[0])

    def cluster_features(self, cluster_id: str, limit: int = 200) -> list[dict[str, Any]]:
        """Matching features of a cluster's members (the latest ``limit``)."""
        rows = self.db.execute("SELECT features FROM dedupe_features WHERE cluster_id = ? ORDER BY rowid DESC LIMIT ?",
                               (cluster_id, limit))
        return [json.loads(r[0]) for r in rows]

    def cluster_born(self, cluster_id: str) -> int:
        """Order in which clusters were founded (older clusters win ties when a posting matches several)."""
        row = self.db.execute("SELECT born FROM dedupe_clusters WHERE cluster_id = ?", (cluster_id,)).fetchone()
        return int(row[0]) if row else 1 << 62

    # --- employers (aggregator.employers) -----------------------------------------------------

    def upsert_registered_employer(self, *, name: str, name_key: str | None, uscc: str | None, status: str | None,
                                   source: str | None) -> None:
        self.db.execute(
            "INSERT INTO employer_registry (uscc, name, name_key, status, source, imported_at) "
            "VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (uscc, name_key) DO UPDATE SET name = excluded.name, status = excluded.status, "
            "source = excluded.source, imported_at = excluded.imported_at",
            (uscc, name, name_key, status, source, _now()))

    def registered_employers(self, *, uscc: str | None, name_key: str | None) -> list[dict[str, Any]]:
        """Registry rows with this credit code or this name key."""
        cols = ("uscc", "name", "name_key", "status", "source", "imported_at")
        rows = self.db.execute(
            f"SELECT {', '.join(cols)} FROM employer_registry WHERE (uscc IS NOT NULL AND uscc = ?) "
            "OR (name_key IS NOT NULL AND name_key = ?) ORDER BY id", (uscc, name_key)).fetchall()
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def registry_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM employer_registry").fetchone()[0])

    def add_blacklisted(self, *, name: str | None, name_key: str | None, uscc: str | None, reason: str,
                        source: str | None) -> int:
        cur = self.db.execute(
            "INSERT INTO employer_blacklist (name, name_key, uscc, reason, source, added_at) VALUES (?, ?, ?, ?, ?, ?)",
            (name, name_key, uscc, reason, source, _now()))
        assert cur.lastrowid is not None
        return cur.lastrowid

    def remove_blacklisted(self, entry_id: int) -> bool:
        return self.db.execute("DELETE FROM employer_blacklist WHERE id = ?", (entry_id,)).rowcount > 0

    def blacklisted(self, *, uscc: str | None = None, name_key: str | None = None,
                    all_entries: bool = False) -> list[dict[str, Any]]:
        """Blacklist entries matching the credit code or the name key (or every entry)."""
        cols = ("id", "name", "name_key", "uscc", "reason", "source", "added_at")
        sql = f"SELECT {', '.join(cols)} FROM employer_blacklist"
        args: tuple[Any, ...] = ()
        if not all_entries:
            sql += " WHERE (uscc IS NOT NULL AND uscc = ?) OR (name_key IS NOT NULL AND name_key = ?)"
            args = (uscc, name_key)
        return [dict(zip(cols, r, strict=True)) for r in self.db.execute(sql + " ORDER BY id", args)]

    def note_employer_code(self, uscc: str, name_key: str, name: str | None) -> None:
        self.db.execute("INSERT OR IGNORE INTO employer_codes VALUES (?, ?, ?, ?)", (uscc, name_key, name, _now()))

    def employer_code_names(self, uscc: str) -> list[dict[str, Any]]:
        """Every employer key (and name) a credit code has been given with, oldest first."""
        rows = self.db.execute("SELECT name_key, name FROM employer_codes WHERE uscc = ? ORDER BY first_seen, name_key",
                               (uscc,)).fetchall()
        return [{"name_key": k, "name": n} for k, n in rows]

    def employer_code_conflicts(self) -> list[dict[str, Any]]:
        """Credit codes given with more than one employer key."""
        rows = self.db.execute(
            "SELECT uscc, group_concat(coalesce(name, name_key), ' | ') FROM employer_codes GROUP BY uscc "
            "HAVING count(*) > 1 ORDER BY uscc").fetchall()
        return [{"uscc": u, "names": names.split(" | ")} for u, names in rows]

    def posting_ids_for_employer(self, *, uscc: str | None, name_key: str | None) -> list[str]:
        """Postings whose employer has this credit code or name key."""
        rows = self.db.execute(
            "SELECT id FROM postings WHERE (? IS NOT NULL AND json_extract(doc, '$.employer.uscc') = ?) "
            "OR (? IS NOT NULL AND json_extract(doc, '$.employer.name_key') = ?) ORDER BY id",
            (uscc, uscc, name_key, name_key)).fetchall()
        return [r[0] for r in rows]

    def replace_posting_doc(self, posting: JobPosting) -> None:
        """Rewrite a stored posting's document (cluster, key and status unchanged)."""
        self.db.execute("UPDATE postings SET doc = ?, updated_at = ? WHERE id = ?",
                        (posting.model_dump_json(), _now(), posting.id))

    # --- risk (aggregator.risk) ---------------------------------------------------------------

    def set_risk(self, posting_id: str, score: float, held: bool, reasons: list[dict[str, Any]]) -> None:
        self.db.execute(
            "INSERT INTO posting_risk VALUES (?, ?, ?, ?, ?) ON CONFLICT (posting_id) DO UPDATE SET "
            "score = excluded.score, held = excluded.held, reasons = excluded.reasons, "
            "updated_at = excluded.updated_at",
            (posting_id, score, int(held), json.dumps(reasons, ensure_ascii=False), _now()))

    def held_postings(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Postings held back from the index for risk, riskiest first, with their reasons."""
        rows = self.db.execute(
            "SELECT r.posting_id, r.score, r.reasons, p.source_id, p.native_id, p.status, p.doc FROM posting_risk r "
            "JOIN postings p ON p.id = r.posting_id WHERE r.held = 1 ORDER BY r.score DESC, r.posting_id LIMIT ?",
            (limit,)).fetchall()
        return [{"posting_id": pid, "score": score, "reasons": json.loads(reasons), "source_id": sid,
                 "native_id": nid, "status": status, "posting": JobPosting.model_validate_json(doc)}
                for pid, score, reasons, sid, nid, status, doc in rows]

    def pay_samples(self) -> Iterator[tuple[str | None, str | None, float]]:
        """(category, place code, daily pay estimate) of every open posting that states pay."""
        rows = self.db.execute(
            "SELECT json_extract(doc, '$.category'), json_extract(doc, '$.location.code'), "
            "json_extract(doc, '$.salary.daily_estimate') FROM postings WHERE status = 'open' "
            "AND json_extract(doc, '$.salary.daily_estimate') IS NOT NULL")
        for cat, code, daily in rows:
            yield cat, code, float(daily)

    # --- operations (aggregator.health, aggregator.scheduler) ----------------------------------

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

    def quarantine_counts(self) -> dict[str, int]:
        """Unresolved quarantine entries per source."""
        rows = self.db.execute(
            "SELECT source_id, count(*) FROM quarantine WHERE resolved_at IS NULL GROUP BY source_id")
        return {r[0]: int(r[1]) for r in rows}

    def alarmed_runs(self, limit: int = 50) -> list[HarvestRun]:
        """The latest runs that raised drift alarms, newest first."""
        rows = self.db.execute(f"SELECT {', '.join(_RUN_COLS)} FROM runs WHERE alarms != '[]' ORDER BY id DESC "
                               "LIMIT ?", (limit,)).fetchall()
        return [_run_from_row(r) for r in rows]

    # --- seekers and subscriptions (aggregator.seekers) -----------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (key, value))

    def seekers_version(self) -> str:
        """Changes whenever a stored query is added, changed or removed (matchers drop their caches)."""
        return self.get_meta("seekers_version") or "0"

    def _bump_seekers(self) -> None:
        self.db.execute("INSERT INTO meta VALUES ('seekers_version', '1') ON CONFLICT (key) DO UPDATE "
                        "SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)")

    def has_seekers(self) -> bool:
        return self.db.execute("SELECT 1 FROM seekers LIMIT 1").fetchone() is not None

    def put_seeker(self, seeker_id: str, kind: str, profile: str, contact: bytes, keys: Sequence[str], *,
                   source_id: str | None = None, native_id: str | None = None) -> int:
        """Insert or replace a stored query and its index keys; return its ``seq``."""
        now = _now()
        row = self.db.execute(
            "INSERT INTO seekers (id, kind, source_id, native_id, profile, contact, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET profile = excluded.profile, "
            "contact = excluded.contact, updated_at = excluded.updated_at RETURNING seq",
            (seeker_id, kind, source_id, native_id, profile, contact, now, now)).fetchone()
        seq = int(row[0])
        self.db.execute("DELETE FROM seeker_keys WHERE seq = ?", (seq,))
        self.db.executemany("INSERT OR IGNORE INTO seeker_keys VALUES (?, ?)", [(k, seq) for k in keys])
        self._bump_seekers()
        return seq

    def put_seekers_bulk(self, rows: Sequence[tuple[str, str, str, bytes, Sequence[str]]]) -> None:
        """Load many new stored queries at once: (id, kind, profile, contact, keys) each (the benchmark)."""
        now = _now()
        for seeker_id, kind, profile, contact, keys in rows:
            cur = self.db.execute(
                "INSERT INTO seekers (id, kind, profile, contact, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (seeker_id, kind, profile, contact, now, now))
            seq = cur.lastrowid
            self.db.executemany("INSERT OR IGNORE INTO seeker_keys VALUES (?, ?)", [(k, seq) for k in keys])
        self._bump_seekers()

    def seeker(self, seeker_id: str) -> tuple[int, str, str, bytes] | None:
        """(seq, kind, profile JSON, sealed contact) of one stored query."""
        row = self.db.execute("SELECT seq, kind, profile, contact FROM seekers WHERE id = ?", (seeker_id,)).fetchone()
        return (int(row[0]), row[1], row[2], bytes(row[3])) if row else None

    def seeker_id_for(self, source_id: str, native_id: str) -> str | None:
        row = self.db.execute("SELECT id FROM seekers WHERE source_id = ? AND native_id = ?",
                              (source_id, native_id)).fetchone()
        return row[0] if row else None

    def seeker_contacts(self, seqs: Sequence[int]) -> dict[int, tuple[str, str, bytes]]:
        """{seq: (id, profile JSON, sealed contact)}."""
        out: dict[int, tuple[str, str, bytes]] = {}
        for i in range(0, len(seqs), 500):
            chunk = seqs[i:i + 500]
            rows = self.db.execute(f"SELECT seq, id, profile, contact FROM seekers WHERE seq IN "
                                   f"({','.join('?' * len(chunk))})", tuple(chunk))
            out.update({int(r[0]): (r[1], r[2], bytes(r[3])) for r in rows})
        return out

    def seekers_under_key(self, key: str) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT seq FROM seeker_keys WHERE key = ?", (key,))]

    def seeker_profiles(self, seqs: Sequence[int]) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        for i in range(0, len(seqs), 500):
            chunk = seqs[i:i + 500]
            out += self.db.execute(f"SELECT seq, profile FROM seekers WHERE seq IN ({','.join('?' * len(chunk))})",
                                   tuple(chunk)).fetchall()
        return out

    def seeker_stamps(self) -> dict[int, str]:
        """``seq`` → a digest of the stored profile, for every stored query (the percolator's sync compares
        these with its index; ``updated_at`` has one-second resolution, a digest misses no change)."""
        return {int(seq): hashlib.blake2b(profile.encode(), digest_size=12).hexdigest()
                for seq, profile in self.db.execute("SELECT seq, profile FROM seekers")}

    def count_active_seekers(self, start: date, end: date, region_prefix: str, occupation: str | None) -> int:
        """求职人数 for the market report: seeker registrations active in [``start``, ``end``).

        Active: registered before ``end`` and not deleted (a registration carries no end date, and a
        deleted one leaves nothing behind, so ``start`` bounds nothing). Saved searches are not seekers.
        ``region_prefix``: the wanted region's code starts with it ("" for any; a seeker placed only
        by a point and radius counts in that total alone). ``occupation``: a major (``4``) or middle
        (``4-03``) group the seeker wants work within (a wanted ``4-03-01`` counts in ``4-03`` and ``4``,
        a wanted ``4`` only in ``4``); None for any, including seekers who gave only categories.
        """
        sql = "SELECT count(*) FROM seekers WHERE kind = 'seeker' AND created_at < ?"
        args: list[Any] = [end.isoformat()]
        if region_prefix:
            sql += " AND substr(coalesce(json_extract(profile, '$.region'), ''), 1, ?) = ?"
            args += [len(region_prefix), region_prefix]
        if occupation:
            sql += (" AND EXISTS (SELECT 1 FROM json_each(profile, '$.occupations') AS o "
                    "WHERE o.value = ? OR substr(o.value, 1, ?) = ?)")
            args += [occupation, len(occupation) + 1, occupation + "-"]
        return int(self.db.execute(sql, args).fetchone()[0])

    def delete_seeker(self, seeker_id: str) -> bool:
        """Remove a stored query and everything about it: keys, notifications, dead letters (zeroed on disk)."""
        with self.transaction():
            row = self.db.execute("SELECT seq FROM seekers WHERE id = ?", (seeker_id,)).fetchone()
            if row is None:
                return False
            for table in ("seeker_keys", "notifications", "notify_dead_letters", "seekers"):
                self.db.execute(f"DELETE FROM {table} WHERE seq = ?", (row[0],))
            self._bump_seekers()
        # Old page images live on in the write-ahead log until a checkpoint: fold it in and empty it.
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return True

    def postings_changed_since(self, since: str, limit: int) -> list[tuple[str, str, str]]:
        """(id, updated_at, doc) of postings updated at or after ``since``, oldest first."""
        return self.db.execute("SELECT id, updated_at, doc FROM postings WHERE updated_at >= ? "
                               "ORDER BY updated_at, id LIMIT ?", (since, limit)).fetchall()

    def latest_posting_update(self) -> str | None:
        value = self.db.execute("SELECT max(updated_at) FROM postings").fetchone()[0]
        return str(value) if value is not None else None

    def cluster_posting_ids(self, cluster_id: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM postings WHERE cluster_id = ?", (cluster_id,))]

    def already_notified(self, seq: int, cluster_id: str, posting_ids: Sequence[str]) -> bool:
        """Was this person ever told about this job (this cluster, or any posting now in it)?"""
        marks = ",".join("?" * len(posting_ids)) or "NULL"
        row = self.db.execute(f"SELECT 1 FROM notifications WHERE seq = ? AND (cluster_id = ? OR posting_id IN "
                              f"({marks})) LIMIT 1", (seq, cluster_id, *posting_ids)).fetchone()
        return row is not None

    def add_notification(self, seq: int, cluster_id: str, posting_id: str, score: float, reasons: list[str],
                         next_at: str) -> bool:
        cur = self.db.execute(
            "INSERT OR IGNORE INTO notifications (seq, cluster_id, posting_id, score, reasons, status, next_at, "
            "created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
            (seq, cluster_id, posting_id, score, json.dumps(reasons, ensure_ascii=False), next_at, _now()))
        return cur.rowcount > 0

    def due_notifications(self, now: str, limit: int) -> list[dict[str, Any]]:
        cols = ("id", "seq", "cluster_id", "posting_id", "score", "reasons", "attempts", "created_at")
        rows = self.db.execute(f"SELECT {', '.join(cols)} FROM notifications WHERE status = 'pending' "
                               "AND next_at <= ? ORDER BY next_at, id LIMIT ?", (now, limit)).fetchall()
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def sent_since(self, seq: int, since: str) -> list[str]:
        """When this person was sent notifications at or after ``since`` (oldest first)."""
        return [r[0] for r in self.db.execute("SELECT sent_at FROM notifications WHERE seq = ? AND sent_at >= ? "
                                              "ORDER BY sent_at", (seq, since))]

    def notification_sent(self, notification_id: int, attempts: int, at: str) -> None:
        self.db.execute("UPDATE notifications SET status = 'sent', attempts = ?, sent_at = ?, last_error = NULL "
                        "WHERE id = ?", (attempts, at, notification_id))

    def notification_later(self, notification_id: int, attempts: int, next_at: str, error: str | None) -> None:
        self.db.execute("UPDATE notifications SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?",
                        (attempts, next_at, error, notification_id))

    def notification_dead(self, note: dict[str, Any], attempts: int, error: str, at: str) -> None:
        """Give up on a notification: it stays (never re-sent) and a dead letter records why."""
        self.db.execute("UPDATE notifications SET status = 'dead', attempts = ?, last_error = ? WHERE id = ?",
                        (attempts, error, note["id"]))
        self.db.execute("INSERT INTO notify_dead_letters (seq, notification_id, cluster_id, posting_id, attempts, "
                        "error, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (note["seq"], note["id"], note["cluster_id"], note["posting_id"], attempts, error, at))

    def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        cols = ("id", "seq", "notification_id", "cluster_id", "posting_id", "attempts", "error", "failed_at")
        rows = self.db.execute(f"SELECT {', '.join(cols)} FROM notify_dead_letters ORDER BY id DESC LIMIT ?",
                               (limit,)).fetchall()
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def notifications_of(self, seq: int) -> list[dict[str, Any]]:
        cols = ("id", "cluster_id", "posting_id", "status", "attempts", "sent_at", "last_error")
        rows = self.db.execute(f"SELECT {', '.join(cols)} FROM notifications WHERE seq = ? ORDER BY id",
                               (seq,)).fetchall()
        return [dict(zip(cols, r, strict=True)) for r in rows]
