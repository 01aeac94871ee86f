"""Seekers and saved searches, their index keys and notifications: tables ``seekers``, ``seeker_keys``,
``notifications``, ``notify_dead_letters`` (:mod:`aggregator.seekers`, the market report's seeker count).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from aggregator.catalog._core import _Core, _now


class _SeekersMixin(_Core):
    """Stored queries (seekers and saved searches), their index keys, notifications."""

    def seekers_version(self) -> str:
        """Changes whenever a stored query is added, changed or removed (matchers drop their caches)."""
        return self.get_meta("seekers_version") or "0"

    def _bump_seekers(self) -> None:
        self.db.execute("INSERT INTO meta VALUES ('seekers_version', '1') ON CONFLICT (key) DO UPDATE "
                        "SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)")

    def has_seekers(self) -> bool:
        return self.db.execute("SELECT 1 FROM seekers LIMIT 1").fetchone() is not None

    def put_seeker(self, seeker_id: str, kind: str, profile: str, contact: bytes, keys: Sequence[str], *,
                   source_id: str | None = None, native_id: str | None = None,
                   registered_at: str | None = None) -> int:
        """Insert or replace a stored query and its index keys; return its ``seq``.

        ``created_at`` (when the registration counts from) is ``registered_at`` when given, else now; it is
        set on insert only. ``contact`` is empty for a registration that is counted but never notified.
        """
        now = _now()
        row = self.db.execute(
            "INSERT INTO seekers (id, kind, source_id, native_id, profile, contact, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET profile = excluded.profile, "
            "contact = excluded.contact, updated_at = excluded.updated_at RETURNING seq",
            (seeker_id, kind, source_id, native_id, profile, contact, registered_at or now, now)).fetchone()
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

    def reachable_seekers(self, seqs: Sequence[int]) -> set[int]:
        """The stored queries among ``seqs`` that have a contact (a counted-only registration has none)."""
        out: set[int] = set()
        for i in range(0, len(seqs), 500):
            chunk = list(seqs[i:i + 500])
            rows = self.db.execute(f"SELECT seq FROM seekers WHERE seq IN ({','.join('?' * len(chunk))}) "
                                   "AND length(contact) > 0", chunk)
            out.update(int(r[0]) for r in rows)
        return out

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

    # --- notifications ------------------------------------------------------------------------

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
