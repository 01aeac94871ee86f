"""The catalog's connection: opening and migrating the file, transactions, ``meta`` rows.

:class:`_Core` is also the typed base of every table-group mixin, which reach the database only
through ``self.db`` and :meth:`_Core.transaction`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from aggregator.catalog._schema import _DDL, _MIGRATIONS, SCHEMA_VERSION
from aggregator.errors import CatalogError


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _Core:
    """Connection, schema, transactions and ``meta``: what every table-group mixin builds on."""

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

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (key, value))

    def has_table(self, name: str) -> bool:
        """Whether the catalog has a table of this name (optional features' tables appear over time)."""
        row = self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
        return row is not None
