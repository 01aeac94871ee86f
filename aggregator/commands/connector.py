"""``lingong connector``: scaffold a connector plugin, record a source's fixtures, run the acceptance kit.

* ``new NAME --kind html|json_api|feed|jsonld [--dir DIR]``: a pip-installable plugin package
  (:mod:`connectors.testkit.scaffold`) whose tests pass as generated.
* ``test SOURCE_ID [--sources DIR] [--fixtures DIR]``: every recorded case of the source, replayed
  offline through the real pipeline (:func:`connectors.testkit.run_case`).
* ``record SOURCE_ID [--case NAME] [--change]``: harvest the live source through a recording proxy
  into a case (:func:`connectors.testkit.record_case`).

Fixtures default to ``fixtures/`` next to the sources directory (``connectors/samples/fixtures`` for
the sample sources).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from aggregator.commands import JsonOpt, SourcesOpt, emit_json, err, open_app, out
from aggregator.errors import LingongError
from aggregator.schema import SourceDefinition

connector_app = typer.Typer(help="Connector authors: scaffold a plugin, record fixtures, run the acceptance kit.",
                            no_args_is_help=True)

FixturesOpt = Annotated[Path | None, typer.Option(
    "--fixtures", help="Fixture cases directory (default: fixtures/ next to the sources directory).",
    show_default=False)]
SourceArg = Annotated[str, typer.Argument(help="The source id (its file in the sources directory).")]


def _fixtures_dir(fixtures: Path | None, sources_dir: Path) -> Path:
    return fixtures if fixtures is not None else sources_dir.resolve().parent / "fixtures"


def _source(a_sources: dict[str, SourceDefinition], source_id: str) -> SourceDefinition:
    if source_id not in a_sources:
        err.print(f"[red]unknown source[/red] {source_id!r} (see `lingong sources`)")
        raise typer.Exit(2)
    return a_sources[source_id]


@connector_app.command("new")
def new_cmd(
    name: Annotated[str, typer.Argument(help="Plugin name: lower-case letters, digits, _ (e.g. hangzhou).")],
    kind: Annotated[str, typer.Option("--kind", help="html | json_api | feed | jsonld")],
    directory: Annotated[Path, typer.Option("--dir", help="Where to create lingong-<name>/.")] = Path("."),
) -> None:
    """Scaffold a pip-installable connector plugin package with one fixture case and passing tests."""
    from connectors.testkit.scaffold import new_plugin

    try:
        root = new_plugin(name, kind, directory)
    except LingongError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    out.print(f"created {root}")
    out.print(f"next: cd {root} && pip install -e . && pytest")


@connector_app.command("test")
def test_cmd(source_id: SourceArg, sources: SourcesOpt = None, fixtures: FixturesOpt = None,
             json_out: JsonOpt = False) -> None:
    """Run the acceptance kit offline on every recorded case of a source (exit 1 if a check fails)."""
    from connectors.testkit import find_cases, run_case

    with open_app(sources) as a:
        source = _source(a.sources.sources, source_id)
        where = _fixtures_dir(fixtures, a.settings.sources_dir)
        cases = find_cases(where, source_id)
        if not cases:
            err.print(f"[red]no fixture cases[/red] for {source_id} under {where}/{source_id}/ "
                      f"(record one: lingong connector record {source_id})")
            raise typer.Exit(1)
        reports = [run_case(case, source=source, plugins=a.plugins) for case in cases]
    if json_out:
        emit_json([r.as_dict() for r in reports])
    else:
        for r in reports:
            t = Table(title=f"{source_id} / {r.case.name}", title_justify="left")
            t.add_column("check")
            t.add_column("result")
            t.add_column("detail", overflow="fold")
            for c in r.checks.values():
                t.add_row(c.name, "[green]pass[/green]" if c.ok else "[red]FAIL[/red]", c.detail)
            out.print(t)
    raise typer.Exit(0 if all(r.ok for r in reports) else 1)


@connector_app.command("record")
def record_cmd(
    source_id: SourceArg,
    case: Annotated[str, typer.Option("--case", help="Case name (a directory under fixtures/<source>/).")] = "day0",
    change: Annotated[bool, typer.Option("--change", help="Record the run after a change into inputs_day1/ "
                                                          "of an existing case.")] = False,
    sources: SourcesOpt = None,
    fixtures: FixturesOpt = None,
) -> None:
    """Harvest the live source through a loopback recording proxy and save a fixture case."""
    from connectors.testkit import record_case

    with open_app(sources) as a:
        source = _source(a.sources.sources, source_id)
        where = _fixtures_dir(fixtures, a.settings.sources_dir)
        try:
            recorded = record_case(source, where, case, change=change, plugins=a.plugins)
        except (LingongError, FileNotFoundError) as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from exc
    if change and recorded.change is not None:
        c = recorded.change
        out.print(f"recorded the change into {recorded.path / c.inputs}: {c.new} new, {c.updated} updated, "
                  f"{c.closed} closed, {c.requests} requests")
    else:
        out.print(f"recorded {recorded.meta.get('recorded_records')} records into {recorded.path} "
                  f"(coverage thresholds {recorded.coverage}); next: let the site change, then "
                  f"lingong connector record {source_id} --change")


def register(app: typer.Typer) -> None:
    app.add_typer(connector_app, name="connector")
