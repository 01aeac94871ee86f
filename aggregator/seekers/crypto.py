"""Contact details at rest: Fernet (AES-128-CBC + HMAC-SHA256) from ``cryptography``.

The key is ``LINGONG_SECRET_KEY`` (a Fernet key: 32 url-safe base64 bytes, as
``cryptography.fernet.Fernet.generate_key()`` prints) or, when that is unset, the file
``$LINGONG_HOME/secret.key``, created on first use readable by its owner only (0600).
Losing the key makes stored channels unreadable (notifications to them dead-letter);
it never exposes anything.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from aggregator.errors import ConfigError

KEY_FILE = "secret.key"


def load_key(home: Path) -> bytes:
    """The Fernet key: ``LINGONG_SECRET_KEY``, else the key file under ``home`` (created 0600)."""
    env = os.environ.get("LINGONG_SECRET_KEY")
    if env:
        key = env.strip().encode()
    else:
        path = home / KEY_FILE
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_bytes().strip()
        else:
            key = Fernet.generate_key()
            with os.fdopen(fd, "wb") as fh:
                fh.write(key + b"\n")
    try:
        Fernet(key)
    except ValueError as exc:
        raise ConfigError("LINGONG_SECRET_KEY (or secret.key) is not a Fernet key: 32 url-safe base64 bytes") from exc
    return key


class ContactBox:
    """Encrypts and decrypts one JSON object (a :class:`~aggregator.seekers.model.Channel`)."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def for_home(cls, home: Path) -> ContactBox:
        return cls(load_key(home))

    def seal(self, data: dict[str, Any]) -> bytes:
        return self._fernet.encrypt(json.dumps(data, ensure_ascii=False, sort_keys=True).encode())

    def open(self, token: bytes) -> dict[str, Any] | None:
        """The object, or ``None`` when the token was sealed with another key (or tampered with)."""
        try:
            data = json.loads(self._fernet.decrypt(token))
        except InvalidToken:
            return None
        return data if isinstance(data, dict) else None
