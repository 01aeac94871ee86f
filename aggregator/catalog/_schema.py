"""The catalog's tables: :data:`SCHEMA_VERSION`, the version-1 DDL and the migrations since."""

from __future__ import annotations

SCHEMA_VERSION = 3

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
    3: (  # operators' dedupe decisions (aggregator.dedupe_decisions): one job or two, outranking the matcher
        "CREATE TABLE IF NOT EXISTS dedupe_decisions ("
        " a TEXT NOT NULL, b TEXT NOT NULL, same INTEGER NOT NULL, note TEXT NOT NULL DEFAULT '',"
        " decided_at TEXT NOT NULL, PRIMARY KEY (a, b), CHECK (a < b))",
        "CREATE INDEX IF NOT EXISTS dedupe_decisions_b ON dedupe_decisions (b)",
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
