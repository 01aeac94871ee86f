"""Raw records, postings and the index outbox: tables ``raw_records``, ``postings``, ``outbox``.

Also the read-only posting queries other parts need: the market report's, the seekers' change feed,
the employer re-checks' and the risk model's pay samples.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from aggregator.catalog._core import _Core, _now
from aggregator.schema import JobPosting


class _PostingsMixin(_Core):
    """Raw records, postings and clusters, the index outbox."""

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

    def replace_posting_doc(self, posting: JobPosting) -> None:
        """Rewrite a stored posting's document (cluster, key and status unchanged)."""
        self.db.execute("UPDATE postings SET doc = ?, updated_at = ? WHERE id = ?",
                        (posting.model_dump_json(), _now(), posting.id))

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

    # --- read by others (market report, seekers, employers, risk) -----------------------------

    def market_postings(self) -> Iterator[tuple[JobPosting, datetime | None, datetime | None]]:
        """Every posting with when the catalog first saw it and, if closed, when it was closed (market report)."""
        rows = self.db.execute(
            "SELECT p.doc, r.first_seen, CASE WHEN p.status = 'closed' THEN p.updated_at END FROM postings p "
            "LEFT JOIN raw_records r ON r.source_id = p.source_id AND r.native_id = p.native_id ORDER BY p.id")
        for doc, first_seen, closed_at in rows:
            yield (JobPosting.model_validate_json(doc),
                   datetime.fromisoformat(first_seen) if first_seen else None,
                   datetime.fromisoformat(closed_at) if closed_at else None)

    def postings_changed_since(self, since: str, limit: int) -> list[tuple[str, str, str]]:
        """(id, updated_at, doc) of postings updated at or after ``since``, oldest first."""
        return self.db.execute("SELECT id, updated_at, doc FROM postings WHERE updated_at >= ? "
                               "ORDER BY updated_at, id LIMIT ?", (since, limit)).fetchall()

    def latest_posting_update(self) -> str | None:
        value = self.db.execute("SELECT max(updated_at) FROM postings").fetchone()[0]
        return str(value) if value is not None else None

    def cluster_posting_ids(self, cluster_id: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM postings WHERE cluster_id = ?", (cluster_id,))]

    def posting_ids_for_employer(self, *, uscc: str | None, name_key: str | None) -> list[str]:
        """Postings whose employer has this credit code or name key."""
        rows = self.db.execute(
            "SELECT id FROM postings WHERE (? IS NOT NULL AND json_extract(doc, '$.employer.uscc') = ?) "
            "OR (? IS NOT NULL AND json_extract(doc, '$.employer.name_key') = ?) ORDER BY id",
            (uscc, uscc, name_key, name_key)).fetchall()
        return [r[0] for r in rows]

    def pay_samples(self) -> Iterator[tuple[str | None, str | None, float]]:
        """(category, place code, daily pay estimate) of every open posting that states pay."""
        rows = self.db.execute(
            "SELECT json_extract(doc, '$.category'), json_extract(doc, '$.location.code'), "
            "json_extract(doc, '$.salary.daily_estimate') FROM postings WHERE status = 'open' "
            "AND json_extract(doc, '$.salary.daily_estimate') IS NOT NULL")
        for cat, code, daily in rows:
            yield cat, code, float(daily)
