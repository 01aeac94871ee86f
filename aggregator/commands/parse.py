"""``lingong parse``: run one normaliser on a string, to see what lingong makes of messy text."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

import normalize as nz
from aggregator.commands import JsonOpt, emit_json, err, out

parse_app = typer.Typer(help="What lingong reads in a string: pay, place, phone, date, 信用代码, category.",
                        no_args_is_help=True)

Text = Annotated[str, typer.Argument(help="The text as a source wrote it.")]


def _show(kind: str, text: str, value: Any, json_out: bool) -> None:
    data = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
    if json_out:
        emit_json({"kind": kind, "text": text, "value": data})
        return
    if data is None:
        err.print(f"[yellow]no {kind} found in[/yellow] {text!r}")
        raise typer.Exit(1)
    if isinstance(data, dict):
        t = Table(title=f"{kind}: {text}", title_justify="left", show_header=False)
        for key, val in data.items():
            if val not in (None, [], ""):
                t.add_row(key, str(val))
        out.print(t)
    else:
        out.print(f"{kind}: {data}")


@parse_app.command()
def salary(text: Text, context: Annotated[str | None, typer.Option(help="Other text of the posting.")] = None,
           json_out: JsonOpt = False) -> None:
    """Pay: min, max, unit, 面议, settlement, benefits, daily estimate."""
    _show("salary", text, nz.parse_salary(text, context), json_out)


@parse_app.command()
def place(text: Text, within: Annotated[str | None, typer.Option(help="Region code resolving ambiguous names.")]
          = None, json_out: JsonOpt = False) -> None:
    """Place: province, city, county, GB/T 2260 code, centroid."""
    _show("place", text, nz.parse_location(text, within=within), json_out)


@parse_app.command()
def phone(text: Text, json_out: JsonOpt = False) -> None:
    """Phone number, normalised, and how it is shown in public."""
    number = nz.normalize_phone(text)
    _show("phone", text, {"phone": number, "public": nz.mask_phone(number) if number else None}
          if number else None, json_out)


@parse_app.command()
def date(text: Text, json_out: JsonOpt = False) -> None:
    """Date or relative date (3天前, 昨天), in Asia/Shanghai."""
    value = nz.parse_datetime(text)
    _show("date", text, value.isoformat() if value else None, json_out)


@parse_app.command()
def uscc(text: Text, json_out: JsonOpt = False) -> None:
    """统一社会信用代码: does the GB 32100-2015 check character match?"""
    valid = nz.validate_uscc(text)
    if json_out:
        emit_json({"kind": "uscc", "text": text, "value": valid})
        return
    out.print(f"{text.strip().upper()}: " + ("[green]valid[/green]" if valid else "[red]invalid[/red]"))
    if not valid:
        raise typer.Exit(1)


@parse_app.command()
def category(text: Text, json_out: JsonOpt = False) -> None:
    """Gig category of a job title."""
    _show("category", text, nz.classify_category(text), json_out)


def register(app: typer.Typer) -> None:
    app.add_typer(parse_app, name="parse")
