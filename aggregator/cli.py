"""The ``lingong`` command line. Tables and progress with rich; ``--json`` for scripts.

Progress and messages go to stderr, results to stdout, so ``--json`` output can
be piped. Exit status 1 means something failed (a source, a file); everything
that could still be done was done. A source skipped because another process is
harvesting it (its run lease, :mod:`aggregator.leases`) is not a failure.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from aggregator.app import App
from aggregator.commands import RUN_FIELDS, JsonOpt, SourcesOpt, emit_json, err, open_app, out
from aggregator.errors import LingongError
from aggregator.privacy import public_posting
from aggregator.runs import HarvestRun
from aggregator.schema import SourceDefinition
from aggregator.settings import DEMO_SOURCES_DIR
from search.base import SearchQuery, SearchResult

app = typer.Typer(help="lingong: one search over every 零工市场 source of a province.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
quarantine_app = typer.Typer(help="Records that could not become postings.", no_args_is_help=True)
sandbox_app = typer.Typer(help="The sandbox province: sample sources on 127.0.0.1.", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(sandbox_app, name="sandbox")

def _report_source_errors(a: App) -> int:
    for e in a.source_errors():
        err.print(f"[red]bad source file[/red] {e}")
    return len(a.source_errors())


def _harvest(a: App, ids: list[str], full: bool,
             quiet: bool = False) -> tuple[list[HarvestRun], dict[str, str], int]:
    """Harvest with a progress bar per source, then sync the index.

    Returns the runs, the sources skipped because another process holds their run lease (id → that
    owner), and a failure count; a skipped source is not a failure.
    """
    failures = _report_source_errors(a)
    chosen, unknown = a.select(ids)
    for name in unknown:
        err.print(f"[red]unknown source[/red] {name!r} (see `lingong sources`)")
    failures += len(unknown)
    columns = (SpinnerColumn(), TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[detail]}"), TimeElapsedColumn())
    with Progress(*columns, console=err, disable=quiet, transient=False) as progress:
        tasks = {s.id: progress.add_task(s.id, total=None, detail="") for s in chosen}

        def on_batch(source: SourceDefinition, run: HarvestRun) -> None:
            progress.update(tasks[source.id], completed=run.fetched,
                            detail=f"{run.new} new · {run.updated} upd · {run.quarantined} quar")

        skipped: dict[str, str] = {}

        def on_skip(source: SourceDefinition, owner: str) -> None:
            skipped[source.id] = owner
            progress.update(tasks[source.id], total=1, completed=1,
                            detail="[yellow]skipped[/yellow]: running elsewhere")

        with _stop_on_sigterm() as stop:
            runs = a.harvest(chosen, full=full, progress=on_batch, stop=stop, on_skip=on_skip)
        for run in runs:
            mark = "[green]ok[/green]" if run.status == "ok" else f"[red]{run.status}[/red]"
            progress.update(tasks[run.source_id], total=max(run.fetched, 1), completed=max(run.fetched, 1),
                            detail=f"{mark} {run.new} new · {run.updated} upd · {run.quarantined} quar")
        pending = a.catalog.counts()["outbox"]
        index_task = progress.add_task("index sync", total=pending or 1, detail="")
        try:
            a.sync(progress=lambda n: progress.advance(index_task, n))
            progress.update(index_task, completed=pending or 1, detail="[green]ok[/green]")
        except LingongError as exc:
            progress.update(index_task, detail=f"[red]failed: {exc}[/red] (outbox kept; next sync resumes)")
            failures += 1
    failures += sum(r.status != "ok" for r in runs)
    for source_id, owner in skipped.items():
        err.print(f"[yellow]{source_id} skipped:[/yellow] running elsewhere (owner {owner})")
    for r in runs:
        if r.error:
            err.print(f"[red]{r.source_id} failed:[/red] {r.error}")
    return runs, skipped, failures


@contextmanager
def _stop_on_sigterm() -> Iterator[threading.Event]:
    """SIGTERM (and a first Ctrl-C) ask the harvest to stop at its next safe point instead of dying mid-batch."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signal handlers can only be set from the main thread
        return

    def ask(signum: int, frame: object) -> None:
        if stop.is_set():  # asked twice: stop now
            raise KeyboardInterrupt
        err.print("[yellow]stopping at the next safe point (again to abort)…[/yellow]")
        stop.set()

    previous = {sig: signal.signal(sig, ask) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _runs_table(runs: list[HarvestRun], title: str, started: bool = False,
                skipped: dict[str, str] | None = None) -> Table:
    t = Table(title=title, title_justify="left")
    if started:
        t.add_column("started (UTC)", no_wrap=True)
    t.add_column("source", overflow="fold")  # on a narrow terminal a long id folds; counts never shrink
    t.add_column("status", no_wrap=True)
    for header in ("got", "new", "upd", "same", "cls", "quar", "req", "sec"):
        t.add_column(header, justify="right", no_wrap=True, min_width=len(header))
    for r in runs:
        style = "green" if r.status == "ok" else "red"
        alarm = " [yellow]alarm[/yellow]" if r.alarms else ""
        if r.mode != "full":
            alarm += f" ({r.mode})"
        counts = (r.fetched, r.new, r.updated, r.unchanged, r.closed, r.quarantined, r.requests)
        cells = [r.source_id, f"[{style}]{r.status}[/{style}]{alarm}", *(str(c) for c in counts),
                 f"{r.duration_s:.1f}" if r.duration_s is not None else ""]
        when = r.started_at[5:16].replace("T", " ")  # MM-DD HH:MM (UTC), enough to tell runs apart
        t.add_row(*([when] if started else []), *cells)
    for source_id in skipped or {}:
        t.add_row(source_id, "[yellow]skipped[/yellow]")  # running elsewhere: no run, no counts
    return t


def _skipped_json(skipped: dict[str, str]) -> list[dict[str, str]]:
    return [{"source_id": s, "status": "skipped", "reason": "running_elsewhere", "owner": owner}
            for s, owner in skipped.items()]


def _pay(item: dict[str, Any]) -> str:
    s = item.get("salary") or {}
    if not s:
        return ""
    if s.get("min") is None and s.get("max") is None:
        return "面议" if s.get("negotiable") else (s.get("text") or "")
    unit = {"hour": "时", "day": "天", "week": "周", "month": "月", "year": "年", "piece": "件",
            "session": "课时"}.get(s.get("unit") or "", "?")
    lo, hi = s.get("min"), s.get("max")
    span = f"{lo:g}" if hi in (None, lo) else (f"{hi:g}" if lo is None else f"{lo:g}-{hi:g}")
    return f"{span}元/{unit}" + ("起" if hi is None and lo is not None else "")


def _results_table(query: str, result: SearchResult, title: str | None = None) -> Table:
    t = Table(title=title or f"search {query!r}: {result.total} jobs", title_justify="left")
    for col in ("title", "employer", "place", "pay", "sources"):
        t.add_column(col, overflow="fold")
    for item in result.items:
        loc = item.get("location") or {}
        place = ("".join(x for x in (loc.get("city"), loc.get("county")) if x)
                 or loc.get("province") or loc.get("code") or "")
        srcs = [item["source_id"], *(o["source_id"] for o in item.get("other_sources") or [])]
        t.add_row(item["title"], (item.get("employer") or {}).get("name") or "", place, _pay(item),
                  ", ".join(dict.fromkeys(srcs)))
    return t


def _result_json(result: SearchResult) -> dict[str, Any]:
    return {"total": result.total, "items": result.items, "facets": result.facets}


def _market_line(a: App, month: str) -> dict[str, Any]:
    """The demo's market figures for ``month``: the province's 需求人数 / 求职人数 / 求人倍率 and each city's."""
    from aggregator.market.report import build_report

    report = build_report(a.catalog, month)
    t = report.total
    return {"month": month, "demand": t.demand, "seekers": t.seekers, "ratio": t.ratio,
            "cities": [{"code": r.code, "name": r.name, "demand": r.demand, "seekers": r.seekers, "ratio": r.ratio}
                       for r in report.by_region if r.ratio is not None],
            "note": report.seekers_note or None}


def _market_text(market: dict[str, Any]) -> str:
    def ratio(v: float | None) -> str:
        return "—" if v is None else f"{v:.2f}"

    cities = ", ".join(f"{c['name']} {ratio(c['ratio'])}" for c in market["cities"])
    return (f"market {market['month']}: 需求人数 {market['demand']} · 求职人数 {market['seekers']} · "
            f"求人倍率 {ratio(market['ratio'])}" + (f" ({cities})" if cities else "")
            + (f" — {market['note']}" if market["note"] else "")
            + f". Full report: lingong report --month {market['month']} --format html --out report.html")


# --- commands ----------------------------------------------------------------------------------


@app.command()
def demo(
    json_out: JsonOpt = False,
    queries: Annotated[list[str] | None, typer.Option("--query", "-q", help="Searches to run after indexing.")] = None,
) -> None:
    """Harvest the built-in sample sources, merge duplicates, index, and answer searches."""
    from connectors.sandbox import Sandbox

    started = time.monotonic()
    # Free ports, new ones each run: a record's links to its own site are hashed without host:port
    # (RawPosting.content_hash), so a second demo on other ports still finds 0 new, 0 updated.
    with Sandbox() as sandbox:
        os.environ.update(sandbox.env())
        err.print(f"[bold]lingong demo[/bold] · sandbox province on {sandbox.url} "
                  f"({len(sandbox.sites)} sites, {sandbox.province.size} postings) · "
                  f"data in {os.environ.get('LINGONG_HOME') or '~/.lingong'}")
        with open_app(DEMO_SOURCES_DIR) as a:
            runs, skipped, failures = _harvest(a, [], full=True, quiet=json_out)
            counts = a.status()
            searches = {q: a.search(SearchQuery(q=q, page_size=5)) for q in (queries or ["普工", "骑手", "保洁"])}
            newest = a.search(SearchQuery(sort="newest", page_size=100)).items
            cross_posted = [i for i in newest if i.get("other_sources")]
            seeker_sources = {s.id for s in a.select([])[0] if s.kind == "seekers"}
            market = _market_line(a, sandbox.state_doc()["date"][:7])
    elapsed = time.monotonic() - started
    summary = {
        "runs": [r.model_dump(include=set(RUN_FIELDS)) for r in runs],
        "skipped": _skipped_json(skipped),
        "catalog": counts,
        "duplicates_merged": counts["open"] - counts["clusters"],
        "searches": {q: _result_json(r) for q, r in searches.items()},
        "market": market,
        "seconds": round(elapsed, 2),
    }
    if json_out:
        emit_json(summary)
    else:
        out.print(_runs_table(runs, "harvest", skipped=skipped))
        posting_sources = sum(1 for r in runs if r.source_id not in seeker_sources)
        out.print(f"catalog: {counts['open']} open postings from {posting_sources} sources → {counts['clusters']} "
                  f"distinct jobs ({summary['duplicates_merged']} cross-posted duplicates merged), "
                  f"{counts['quarantined']} records in quarantine, index outbox {counts['outbox']}")
        out.print(_market_text(market))
        for q, r in searches.items():
            out.print(_results_table(q, r))
        if cross_posted:
            out.print(_results_table("", SearchResult(total=len(cross_posted), items=cross_posted[:5], facets={}),
                                     title=f"the same job on several sources, shown once ({len(cross_posted)} "
                                           "of the first 100 newest jobs)"))
        out.print(f"done in {elapsed:.1f}s. Try: lingong search 日结 --sources {DEMO_SOURCES_DIR} · "
                  "lingong runs · lingong quarantine list")
    raise typer.Exit(1 if failures else 0)


@app.command()
def harvest(
    source_ids: Annotated[list[str] | None, typer.Argument(help="Sources to harvest (default: all).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Harvest every enabled source.")] = False,
    incremental: Annotated[bool, typer.Option("--incremental", help="Use each source's saved cursor.")] = False,
    sources: SourcesOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Harvest sources into the catalog and sync the index.

    A source that another process is harvesting (the daemon, another harvest) is skipped, not waited for:
    with --json it is listed as {"source_id", "status": "skipped", "reason": "running_elsewhere", "owner"}.
    Exit status 0 when every source ran ok or was skipped, 1 when one failed, 2 for bad arguments.
    """
    if source_ids and all_:
        err.print("[red]error:[/red] give source ids or --all, not both")
        raise typer.Exit(2)
    with open_app(sources) as a:
        runs, skipped, failures = _harvest(a, list(source_ids or []), full=not incremental, quiet=json_out)
        if json_out:
            emit_json([r.model_dump(include={"id", *RUN_FIELDS, "error"}) for r in runs] + _skipped_json(skipped))
        else:
            out.print(_runs_table(runs, "harvest", skipped=skipped))
    raise typer.Exit(1 if failures else 0)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Plain words, e.g. 保洁 日结 (never query syntax).")] = "",
    region: Annotated[str | None, typer.Option(help="GB/T 2260 code at any level, e.g. 440000, 440100.")] = None,
    category: Annotated[str | None, typer.Option(help="Gig category, e.g. 家政保洁.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="Results per page.")] = 20,
    sources: SourcesOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Search the index: {"total", "items", "facets"} with --json."""
    try:
        q = SearchQuery(q=query, region=region, category=category, page_size=limit)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    with open_app(sources) as a:
        result = a.search(q)
    if json_out:
        emit_json(_result_json(result))
        return
    out.print(_results_table(query, result))
    region_facet = sorted(result.facets.get("region", {}).items(), key=lambda kv: -kv[1])[:8]
    if region_facet:
        out.print("by region: " + ", ".join(f"{k} ({v})" for k, v in region_facet))


@app.command()
def export(
    fmt: Annotated[str, typer.Option("--format", help="ndjson (canonical postings) or jsonld (schema.org).")] = (
        "ndjson"),
    out_file: Annotated[Path | None, typer.Option("--out", help="File to write (default: stdout).")] = None,
    sources: SourcesOpt = None,
) -> None:
    """Export every posting, one JSON object per line, contacts masked."""
    if fmt not in ("ndjson", "jsonld"):
        err.print(f"[red]error:[/red] --format must be ndjson or jsonld, not {fmt!r}")
        raise typer.Exit(2)
    with open_app(sources) as a:
        fh = out_file.open("w", encoding="utf-8") if out_file else sys.stdout
        n = 0
        try:
            for posting in a.catalog.iter_postings():
                pub = public_posting(posting)
                data = pub.to_jsonld() if fmt == "jsonld" else pub.model_dump(mode="json")
                fh.write(json.dumps(data, ensure_ascii=False) + "\n")
                n += 1
        finally:
            if out_file:
                fh.close()
    err.print(f"exported {n} postings" + (f" to {out_file}" if out_file else ""))


sources_app = typer.Typer(help="Sources: list them with their health; resume a paused one.")
app.add_typer(sources_app, name="sources")


@sources_app.callback(invoke_without_command=True)
def sources_cmd(ctx: typer.Context, sources: SourcesOpt = None, json_out: JsonOpt = False) -> None:
    """List sources with their health, last run, last success and failure streak; broken files with their error."""
    if ctx.invoked_subcommand is not None:
        return
    from datetime import UTC, datetime

    from aggregator.health import paused_until, source_health

    with open_app(sources) as a:
        last = a.catalog.last_runs()
        states = a.catalog.source_states()
        success = a.catalog.last_success()
        quarantined = a.catalog.quarantine_counts()
        now = datetime.now(UTC)
        rows: list[dict[str, Any]] = []
        for s in a.sources.sources.values():
            r = last.get(s.id)
            st = states.get(s.id) or a.catalog.source_state(s.id)
            paused = paused_until(st, now)
            rows.append({"id": s.id, "name": s.name, "connector": s.connector, "region": s.region, "trust": s.trust,
                         "enabled": s.enabled, "schedule": s.schedule, "window": s.window,
                         "health": source_health(r, st, now), "last_status": r.status if r else None,
                         "last_run_at": r.started_at if r else None, "last_success_at": success.get(s.id),
                         "failure_streak": int(st["failures"] or 0),
                         "paused_until": paused.isoformat() if paused else None,
                         "paused_reason": st["paused_reason"] if paused else None,
                         "alarms": r.alarms if r else [], "quarantined": quarantined.get(s.id, 0),
                         "error": r.error if r else None})
        for e in a.source_errors():
            rows.append({"id": e.path.stem, "name": None, "connector": None, "region": None, "trust": None,
                         "enabled": False, "schedule": None, "window": None, "health": "invalid",
                         "last_status": "invalid", "last_run_at": None, "last_success_at": None, "failure_streak": 0,
                         "paused_until": None, "paused_reason": None, "alarms": [], "quarantined": 0,
                         "error": str(e)})
    if json_out:
        emit_json(rows)
        return
    t = Table(title="sources")
    for col in ("id", "connector", "region", "health", "last run", "last success", "streak", "quarantined"):
        t.add_column(col)
    for row in rows:
        health = row["health"]
        style = {"ok": "green", "invalid": "red", "failing": "red", "paused": "red", "alarm": "yellow"}.get(
            health, "yellow")
        t.add_row(row["id"], row["connector"] or "", row["region"] or "", f"[{style}]{health}[/{style}]",
                  row["last_run_at"] or "", row["last_success_at"] or "", str(row["failure_streak"]),
                  str(row["quarantined"]))
    out.print(t)
    for row in rows:
        if row["paused_until"]:
            err.print(f"[red]{row['id']} paused until {row['paused_until']}:[/red] {row['paused_reason']} "
                      f"(lingong sources resume {row['id']})")
        for alarm in row["alarms"]:
            err.print(f"[yellow]{row['id']} drift alarm:[/yellow] {alarm}")
        if row["error"]:
            err.print(f"[red]{row['id']}:[/red] {row['error']}")


@sources_app.command("resume")
def sources_resume(
    source_id: Annotated[str, typer.Argument(help="The source to resume.")],
    sources: SourcesOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Resume a source paused by the circuit breaker, and accept its present state as its drift baseline."""
    from aggregator.health import resume

    with open_app(sources) as a:
        if source_id not in a.sources.sources:
            err.print(f"[red]unknown source[/red] {source_id!r} (see `lingong sources`)")
            raise typer.Exit(2)
        state = resume(a.catalog, source_id)
    if json_out:
        emit_json(state)
    else:
        err.print(f"{source_id} resumed: failure streak cleared, drift baseline starts after run "
                  f"{state['baseline_run_id']}")


@app.command()
def runs(
    source_id: Annotated[str | None, typer.Argument(help="Only this source.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 30,
    sources: SourcesOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Harvest run history, newest first."""
    with open_app(sources) as a:
        history = a.catalog.runs(source_id, limit=limit)
    if json_out:
        emit_json([r.model_dump(include={"id", *RUN_FIELDS, "finished_at", "mode", "error"}) for r in history])
        return
    out.print(_runs_table(history, "runs (newest first)", started=True))


@app.command()
def reindex(sources: SourcesOpt = None) -> None:
    """Rebuild the search index from the catalog."""
    from aggregator.indexing import reindex as do_reindex

    with open_app(sources) as a:
        n = do_reindex(a.catalog, a.backend)
    err.print(f"reindexed {n} clusters")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    sources: SourcesOpt = None,
) -> None:
    """Serve the HTTP API (/v1/search …, OpenAPI at /openapi.json) and the status page."""
    import uvicorn

    from aggregator.api import create_api

    with open_app(sources) as a:
        err.print(f"lingong API on http://{host}:{port} (docs at /docs)")
        uvicorn.run(create_api(a), host=host, port=port, log_level="warning")


@quarantine_app.command("list")
def quarantine_list(
    source_id: Annotated[str | None, typer.Argument(help="Only this source.")] = None,
    sources: SourcesOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Records in quarantine, with the reason each was kept out."""
    with open_app(sources) as a:
        rows = a.catalog.quarantined(source_id)
    if json_out:
        emit_json(rows)
        return
    t = Table(title=f"quarantine: {len(rows)} records")
    for col in ("source", "record", "reason"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["source_id"], r["native_id"] or r["locator"] or "", f"{r['reason_code']}: {r['reason']}")
    out.print(t)


@quarantine_app.command("replay")
def quarantine_replay(
    source_ids: Annotated[list[str] | None, typer.Argument(help="Sources to replay (default: all).")] = None,
    sources: SourcesOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Re-normalise quarantined records from their stored payloads (after a fix), without re-harvesting."""
    with open_app(sources) as a:
        failures = _report_source_errors(a)
        wanted = set(source_ids or [])
        present = {r["source_id"] for r in a.catalog.quarantined(limit=1_000_000)}
        chosen, unknown = a.select(sorted(wanted or present))
        for name in unknown:
            err.print(f"[red]unknown source[/red] {name!r}: its source file is gone; its records stay in quarantine")
        runs = a.replay_quarantine(chosen)
        a.sync()
        left = len(a.catalog.quarantined(limit=1_000_000))
    failures += len(unknown) + sum(r.status != "ok" for r in runs)
    if json_out:
        emit_json({"runs": [r.model_dump(include={"source_id", "status", "fetched", "new", "quarantined", "error"})
                            for r in runs], "still_quarantined": left})
    else:
        t = Table(title="quarantine replay")
        for col in ("source", "replayed", "now postings", "still quarantined"):
            t.add_column(col)
        for r in runs:
            t.add_row(r.source_id, str(r.fetched), str(r.new), str(r.quarantined))
        out.print(t)
        out.print(f"{left} records remain in quarantine (unreadable records need a fresh harvest)")
    raise typer.Exit(1 if failures else 0)


@sandbox_app.command("serve")
def sandbox_serve(
    port: Annotated[int, typer.Option(help="Port of the main server on 127.0.0.1; the six sites take the next "
                                           "six ports. 0 picks free ports.")] = 8765,
    seed: Annotated[int, typer.Option(help="Seed: the same seed, size and day serve the same bytes.")] = 20261120,
    size: Annotated[int, typer.Option(help="Postings open on day 0.")] = 400,
    day: Annotated[int, typer.Option(help="Day to start on (advance with POST /admin/advance).")] = 0,
    token_ttl: Annotated[float, typer.Option(help="Seconds a portal token lives.")] = 600.0,
    rate: Annotated[float, typer.Option(help="Portal requests a second per client before 429.")] = 20.0,
) -> None:
    """Serve the sandbox province on 127.0.0.1 until interrupted."""
    from connectors.sandbox import Sandbox

    with Sandbox(port, seed=seed, size=size, day=day, token_ttl=token_ttl, rate=rate) as sb:
        for name, url in sb.urls.items():
            err.print(f"{name:>10}  {url}")
        err.print(f"admin: {sb.url}/admin/state · POST {sb.url}/admin/advance · {sb.url}/admin/truth · "
                  f"{sb.url}/admin/counters. Export for source files (Ctrl-C stops):")
        for k, v in sb.env().items():
            out.print(f"export {k}={v}")
        with contextlib.suppress(KeyboardInterrupt):
            sb.thread.join()


#: Feature modules that add commands: each defines ``register(app: typer.Typer) -> None``.
COMMAND_MODULES: tuple[str, ...] = (
    "aggregator.commands.schedule",
    "aggregator.commands.match",
    "aggregator.commands.employers",
    "aggregator.commands.review",
    "aggregator.commands.dedupe",
    "aggregator.commands.report",
    "aggregator.commands.parse",
    "aggregator.commands.connector",
)

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    app()
