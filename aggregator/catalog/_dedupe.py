"""Dedupe state: tables ``dedupe_keys``, ``dedupe_features``, ``dedupe_bands``, ``dedupe_blocks``,
``dedupe_clusters`` (:mod:`aggregator.dedupe`) and ``dedupe_decisions`` (:mod:`aggregator.dedupe_decisions`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aggregator.catalog._core import _Core, _now


class _DedupeMixin(_Core):
    """Exact dedupe keys and fuzzy-dedupe features, bands, blocks and clusters."""

    def cluster_for_key(self, key: str) -> str | None:
        row = self.db.execute("SELECT cluster_id FROM dedupe_keys WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_cluster_key(self, key: str, cluster_id: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO dedupe_keys VALUES (?, ?)", (key, cluster_id))

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

    # --- operators' decisions ------------------------------------------------------------------

    def set_dedupe_decision(self, a: str, b: str, same: bool, note: str = "") -> None:
        """Record that postings ``a`` and ``b`` are one job (``same``) or two, replacing an earlier decision."""
        lo, hi = sorted((a, b))
        self.db.execute("INSERT INTO dedupe_decisions VALUES (?, ?, ?, ?, ?) ON CONFLICT (a, b) DO UPDATE SET "
                        "same = excluded.same, note = excluded.note, decided_at = excluded.decided_at",
                        (lo, hi, int(same), note, _now()))

    def forget_dedupe_decision(self, a: str, b: str) -> bool:
        lo, hi = sorted((a, b))
        return self.db.execute("DELETE FROM dedupe_decisions WHERE a = ? AND b = ?", (lo, hi)).rowcount > 0

    def dedupe_decisions_of(self, posting_id: str) -> dict[str, bool]:
        """{other posting id: same} of every decision naming ``posting_id``."""
        rows = self.db.execute("SELECT b, same FROM dedupe_decisions WHERE a = ? UNION ALL "
                               "SELECT a, same FROM dedupe_decisions WHERE b = ?", (posting_id, posting_id))
        return {str(o): bool(s) for o, s in rows}

    def dedupe_decision(self, a: str, b: str) -> dict[str, Any] | None:
        """The decision on postings ``a`` and ``b``, if any."""
        lo, hi = sorted((a, b))
        row = self.db.execute("SELECT same, note, decided_at FROM dedupe_decisions WHERE a = ? AND b = ?",
                              (lo, hi)).fetchone()
        return None if row is None else {"a": lo, "b": hi, "same": bool(row[0]), "note": row[1], "decided_at": row[2]}

    def dedupe_decisions(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT a, b, same, note, decided_at FROM dedupe_decisions ORDER BY decided_at, a, b")
        return [{"a": a, "b": b, "same": bool(s), "note": n, "decided_at": d} for a, b, s, n, d in rows]

    def move_to_cluster(self, posting_id: str, cluster_id: str) -> None:
        """Put a posting in another cluster (an operator's decision): its features, row and document."""
        self.db.execute("UPDATE dedupe_features SET cluster_id = ? WHERE posting_id = ?", (cluster_id, posting_id))
        self.db.execute("INSERT OR IGNORE INTO dedupe_clusters (cluster_id) VALUES (?)", (cluster_id,))
        row = self.db.execute("SELECT doc FROM postings WHERE id = ?", (posting_id,)).fetchone()
        if row is not None:
            doc = json.loads(row[0])
            doc["cluster_id"] = cluster_id
            self.db.execute("UPDATE postings SET cluster_id = ?, doc = ?, updated_at = ? WHERE id = ?",
                            (cluster_id, json.dumps(doc, ensure_ascii=False), _now(), posting_id))

