"""``lingong employers``: the local employer registry, the blacklist, credit-code conflicts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from aggregator import employers as emp
from aggregator.commands import JsonOpt, SourcesOpt, emit_json, err, open_app, out
from aggregator.errors import LingongError

employers_app = typer.Typer(help="Employer verification: registry import, blacklist, credit-code conflicts.",
                            no_args_is_help=True)
blacklist_app = typer.Typer(help="黑中介 and sanctioned employers: never published.", no_args_is_help=True)
employers_app.add_typer(blacklist_app, name="blacklist")

FileArg = Annotated[Path, typer.Argument(
    help="CSV (UTF-8 or GB18030) or XLSX with a header row: name / 企业名称, uscc / 统一社会信用代码, "
         "optional status / 状态 (reason / 原因 for blacklists).")]


def _report(result: emp.ImportResult, what: str, rechecked: int, as_json: bool) -> None:
    skipped = result.skipped or []
    if as_json:
        emit_json({"rows": result.rows, "imported": result.imported, "skipped": skipped, "rechecked": rechecked})
        return
    out.print(f"{what}: {result.imported} of {result.rows} rows imported; {rechecked} stored postings changed status")
    for s in skipped:
        err.print(f"[yellow]skipped[/yellow] {s}")


@employers_app.command("import")
def import_cmd(file: FileArg, sources: SourcesOpt = None, as_json: JsonOpt = False) -> None:
    """Import registered employers (a registry match makes a posting's employer ``verified``)."""
    with open_app(sources) as a:
        try:
            result = emp.import_registry(a.catalog, file)
        except LingongError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        rechecked = emp.reverify(a.catalog, a.plugins, everything=True)
        a.sync()
        _report(result, "registry", rechecked, as_json)


@blacklist_app.command("add")
def blacklist_add(target: Annotated[str, typer.Argument(help="Employer name or 统一社会信用代码.")],
                  reason: Annotated[str, typer.Option("--reason", help="Why (shown to reviewers).")],
                  sources: SourcesOpt = None, as_json: JsonOpt = False) -> None:
    """Blacklist an employer by name or credit code; its stored postings leave the index."""
    with open_app(sources) as a:
        try:
            with a.catalog.transaction():
                entry = emp.add_to_blacklist(a.catalog, target, reason, source="cli")
        except LingongError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        (row,) = [r for r in a.catalog.blacklisted(all_entries=True) if r["id"] == entry]
        rechecked = emp.reverify(a.catalog, a.plugins, uscc=row["uscc"], name_key=row["name_key"])
        a.sync()
        if as_json:
            emit_json({"id": entry, "entry": row, "rechecked": rechecked})
        else:
            out.print(f"blacklisted #{entry} {row['uscc'] or row['name']}: {rechecked} stored postings now blacklisted")


@blacklist_app.command("import")
def blacklist_import(file: FileArg, reason: Annotated[str, typer.Option(
        "--reason", help="Reason for rows without one.")] = "on an imported blacklist",
                     sources: SourcesOpt = None, as_json: JsonOpt = False) -> None:
    """Blacklist every employer of a file (name and/or uscc columns, optional reason)."""
    with open_app(sources) as a:
        try:
            result = emp.import_blacklist(a.catalog, file, reason)
        except LingongError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        rechecked = emp.reverify(a.catalog, a.plugins, everything=True)
        a.sync()
        _report(result, "blacklist", rechecked, as_json)


@blacklist_app.command("list")
def blacklist_list(sources: SourcesOpt = None, as_json: JsonOpt = False) -> None:
    """Every blacklist entry."""
    with open_app(sources) as a:
        rows = a.catalog.blacklisted(all_entries=True)
    if as_json:
        emit_json(rows)
        return
    table = Table("id", "name", "uscc", "reason", "source", "added")
    for r in rows:
        table.add_row(str(r["id"]), r["name"] or "", r["uscc"] or "", r["reason"], r["source"] or "", r["added_at"])
    out.print(table)


@blacklist_app.command("remove")
def blacklist_remove(entry: Annotated[int, typer.Argument(help="Entry id (see `blacklist list`).")],
                     sources: SourcesOpt = None) -> None:
    """Remove a blacklist entry; the employer's stored postings are checked again."""
    with open_app(sources) as a:
        rows = [r for r in a.catalog.blacklisted(all_entries=True) if r["id"] == entry]
        with a.catalog.transaction():
            removed = a.catalog.remove_blacklisted(entry)
        if not removed:
            err.print(f"[red]no blacklist entry #{entry}[/red]")
            raise typer.Exit(1)
        rechecked = emp.reverify(a.catalog, a.plugins, uscc=rows[0]["uscc"], name_key=rows[0]["name_key"])
        a.sync()
        out.print(f"removed #{entry}; {rechecked} stored postings changed status")


@employers_app.command("conflicts")
def conflicts(sources: SourcesOpt = None, as_json: JsonOpt = False) -> None:
    """统一社会信用代码 given with more than one employer name (one of them is wrong)."""
    with open_app(sources) as a:
        rows = a.catalog.employer_code_conflicts()
    if as_json:
        emit_json(rows)
        return
    table = Table("统一社会信用代码", "employer names")
    for r in rows:
        table.add_row(r["uscc"], " | ".join(r["names"]))
    out.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(employers_app, name="employers")
