"""Shared pieces for command modules: consoles, JSON output, opening the app.

A feature adds commands in its own module here (``aggregator/commands/<feature>.py``)
with ``register(app: typer.Typer) -> None``, listed in ``aggregator.cli.COMMAND_MODULES``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from aggregator.app import App
from aggregator.errors import LingongError

out = Console(soft_wrap=True)
err = Console(stderr=True)

SourcesOpt = Annotated[Path | None, typer.Option("--sources", help="Sources directory (else $LINGONG_SOURCES, "
                                                 "else ./sources).", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]

RUN_FIELDS = ("source_id", "started_at", "status", "fetched", "new", "updated", "unchanged", "closed",
              "quarantined", "requests", "duration_s", "alarms")


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@contextmanager
def open_app(sources: Path | None) -> Iterator[App]:
    try:
        a = App.open(sources)
    except LingongError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    try:
        for name, problem in a.plugins.load_errors.items():
            err.print(f"[yellow]warning:[/yellow] plugin {name!r} failed to load and was skipped: {problem}")
        yield a
    finally:
        a.close()


