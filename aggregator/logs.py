"""Structured logs: one JSON object per line, carrying the run id and source of whatever logged it.

``bind(run_id=…, source_id=…)`` puts fields in a context variable for the code it wraps (a harvest
binds its run id, so every line its connector and the pipeline log names the run); ``event(log, name,
**fields)`` logs a named event with fields. ``configure()`` sends the ``aggregator``, ``connectors``,
``search`` and ``normalize`` loggers to stderr as JSON (the scheduler daemon does this at start-up).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

__all__ = ["JsonFormatter", "bind", "configure", "context", "event"]

_context: ContextVar[dict[str, Any] | None] = ContextVar("lingong_log_context", default=None)

#: Our package loggers (third-party libraries keep their own handlers).
LOGGERS = ("aggregator", "connectors", "search", "normalize")


def context() -> dict[str, Any]:
    """The fields bound for the running code (empty outside any ``bind``)."""
    return dict(_context.get() or {})


@contextmanager
def bind(**fields: Any) -> Iterator[None]:
    """Add fields to every log line written inside the block (nested binds add up)."""
    token = _context.set({**context(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log the event ``name`` with machine-readable fields (the text line says the same in words)."""
    words = " ".join(f"{k}={v}" for k, v in fields.items())
    logger.log(level, f"{name} {words}".strip(), extra={"lingong_fields": {"event": name, **fields}})


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", <bound fields>, <event fields>, "exc"?}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update(getattr(record, "lingong_context", None) or {})
        data.update(getattr(record, "lingong_fields", None) or {})
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class _ContextFilter(logging.Filter):
    """Copies the bound fields onto the record when it is made (in the thread that logged it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "lingong_context"):
            record.lingong_context = context()
        return True


def configure(stream: IO[str] | None = None, level: int | str = logging.INFO) -> logging.Handler:
    """Send our loggers to ``stream`` (stderr) as JSON lines; return the handler (to remove it later)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(_ContextFilter())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(level)
    return handler


def unconfigure(handler: logging.Handler) -> None:
    for name in LOGGERS:
        logging.getLogger(name).removeHandler(handler)
