"""Bad records kept with their reason: table ``quarantine`` (:mod:`aggregator.pipeline`, ``lingong review``)."""

from __future__ import annotations

from typing import Any

from aggregator.catalog._core import _Core, _now


class _QuarantineMixin(_Core):
    """Quarantined records: kept, listed, resolved."""

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

    def quarantine_counts(self) -> dict[str, int]:
        """Unresolved quarantine entries per source."""
        rows = self.db.execute(
            "SELECT source_id, count(*) FROM quarantine WHERE resolved_at IS NULL GROUP BY source_id")
        return {r[0]: int(r[1]) for r in rows}
