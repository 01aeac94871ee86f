"""``lingong report``: the monthly market report (求人倍率, 工资价位, 紧缺职业) as csv, xlsx, json or html."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from aggregator.commands import SourcesOpt, err, open_app


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        month: Annotated[str | None, typer.Option(help="YYYY-MM (default: this month).")] = None,
        region: Annotated[str | None, typer.Option(help="GB/T 2260 code, e.g. 440000 or 440100.")] = None,
        fmt: Annotated[str, typer.Option("--format", help="csv, xlsx, json or html.")] = "csv",
        out_file: Annotated[Path | None, typer.Option("--out", help="File to write (default: stdout).")] = None,
        min_count: Annotated[int, typer.Option(min=1, help="Suppress cells with fewer postings.")] = 5,
        shortage_threshold: Annotated[float, typer.Option(help="求人倍率 above this is 紧缺.")] = 1.5,
        shortage_months: Annotated[int, typer.Option(min=1, help="…in each of this many months.")] = 3,
        sources: SourcesOpt = None,
    ) -> None:
        """Monthly market report: 需求人数, 求职人数, 求人倍率, 工资价位 (pay as offered, not a 指导价), 紧缺职业."""
        from aggregator.market.render import FORMATS, render
        from aggregator.market.report import ReportSettings, build_report

        month = month or datetime.now(UTC).strftime("%Y-%m")
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            err.print(f"[red]error:[/red] --month must look like 2026-10, not {month!r}")
            raise typer.Exit(2)
        if region is not None and not re.fullmatch(r"\d{6}", region):
            err.print(f"[red]error:[/red] --region must be a 6-digit GB/T 2260 code, not {region!r}")
            raise typer.Exit(2)
        if fmt not in FORMATS:
            err.print(f"[red]error:[/red] --format must be one of {', '.join(FORMATS)}, not {fmt!r}")
            raise typer.Exit(2)
        if fmt == "xlsx" and out_file is None:
            err.print("[red]error:[/red] --format xlsx needs --out FILE")
            raise typer.Exit(2)
        settings = ReportSettings(min_count=min_count, shortage_threshold=shortage_threshold,
                                  shortage_months=shortage_months)
        with open_app(sources) as a:
            result = build_report(a.catalog, month, region=region, settings=settings)
        body = render(result, fmt)
        if out_file:
            out_file.write_bytes(body)
            err.print(f"report {month} ({result.total.postings} postings, 需求人数 {result.total.demand}) "
                      f"written to {out_file}")
        else:
            sys.stdout.buffer.write(body)
            sys.stdout.flush()
        if result.seekers_note:
            err.print(f"[yellow]note:[/yellow] {result.seekers_note}")
