"""Employer checks and risk: tables ``employer_registry``, ``employer_blacklist``, ``employer_codes``
(:mod:`aggregator.employers`) and ``posting_risk`` (:mod:`aggregator.risk`).
"""

from __future__ import annotations

import json
from typing import Any

from aggregator.catalog._core import _Core, _now
from aggregator.schema import JobPosting


class _EmployersMixin(_Core):
    """Employer registry, blacklist and credit codes; posting risk."""

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
