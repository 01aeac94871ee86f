"""``lingong dedupe``: why two postings are one job or two (``explain``), and operators' decisions that settle a
pair for good (``merge``, ``split``, ``forget``, ``decisions``; :mod:`aggregator.dedupe_decisions`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from aggregator import dedupe, dedupe_decisions
from aggregator.app import App
from aggregator.commands import JsonOpt, SourcesOpt, emit_json, err, open_app, out
from aggregator.errors import DedupeDecisionError
from aggregator.privacy import public_posting
from aggregator.schema import JobPosting

dedupe_app = typer.Typer(help="Dedupe: why two postings are one job or two; operators' decisions.",
                         no_args_is_help=True)

PostingArg = Annotated[str, typer.Argument(help="A posting id (p_…, as in `lingong export`) or SOURCE/NATIVE_ID.",
                                           show_default=False)]


def _find(app: App, ref: str) -> JobPosting:
    try:
        return dedupe_decisions.resolve(app.catalog, ref)
    except DedupeDecisionError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _side(app: App, posting: JobPosting, f: dedupe.Features) -> dict[str, Any]:
    shown = public_posting(posting)  # an operator's answer may be forwarded: contacts masked as everywhere
    pay = shown.salary
    return {
        "posting_id": posting.id, "source_id": posting.source_id, "native_id": posting.native_id,
        "cluster_id": app.catalog.posting_cluster(posting.id), "title": shown.title,
        "employer": shown.employer.name, "employer_key": f.ekey, "place_code": shown.location.code,
        "pay": None if pay is None else {"min": pay.min, "max": pay.max, "unit": pay.unit},
        "headcount": f.headcount, "employment_type": f.employment,
        "posted_at": posting.posted_at.isoformat() if posting.posted_at else None,
        "phone": shown.contact.phone, "url": shown.url,
    }


def explain(a: PostingArg, b: PostingArg, sources: SourcesOpt = None, as_json: JsonOpt = False) -> None:
    """Why two postings are one job or two: the rule that decides, and the fields it read."""
    with open_app(sources) as app:
        pa, pb = _find(app, a), _find(app, b)
        fa, fb = dedupe.features(pa), dedupe.features(pb)
        decision = dedupe.decide(fa, fb)
        sides = [_side(app, pa, fa), _side(app, pb, fb)]
        operator = app.catalog.dedupe_decision(pa.id, pb.id)
    together = sides[0]["cluster_id"] is not None and sides[0]["cluster_id"] == sides[1]["cluster_id"]
    report: dict[str, Any] = {
        "same_job": decision.score > 0.0, "score": round(decision.score, 3), "rule": decision.rule,
        "reason": decision.reason, "same_cluster": together, "postings": sides,
        "operator_decision": operator,
    }
    if operator is not None:
        report["note"] = (f"an operator decided {'one job' if operator['same'] else 'two jobs'} on "
                          f"{operator['decided_at']} ({operator['note'] or 'no note'}): that outranks the rule")
    elif decision.score > 0.0 and not together:
        report["note"] = ("the pair matches, but a posting joins a cluster only when it matches at least half of "
                          "its members (the oldest cluster wins a tie); see `lingong export` for the members")
    elif decision.score == 0.0 and together:
        report["note"] = ("the pair does not match itself: both joined one cluster through its other members, "
                          "each matching at least half of them when it arrived")
    if as_json:
        emit_json(report)
        return
    verdict = "[green]one job[/green]" if report["same_job"] else "[yellow]two jobs[/yellow]"
    out.print(f"{verdict} — rule [bold]{decision.rule}[/bold]: {decision.reason}")
    out.print(f"clustered together: {'yes' if together else 'no'}")
    if "note" in report:
        out.print(f"[dim]{report['note']}[/dim]")
    table = Table("", sides[0]["posting_id"], sides[1]["posting_id"])
    for key in ("source_id", "native_id", "cluster_id", "title", "employer", "employer_key", "place_code", "pay",
                "headcount", "employment_type", "posted_at", "phone", "url"):
        table.add_row(key, *(_cell(s[key]) for s in sides))
    out.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        lo, hi = value["min"], value["max"]
        if lo is None and hi is None:
            return f"面议 /{value['unit']}"
        span = f"{lo:g}" if lo == hi or hi is None else f"{lo:g}-{hi:g}" if lo is not None else f"≤{hi:g}"
        return f"{span} /{value['unit']}"
    return str(value)


NoteOpt = Annotated[str, typer.Option("--note", help="Why (kept with the decision).")]


def _apply(sources: Any, as_json: bool, change: Any, *args: str) -> None:
    with open_app(sources) as app:
        try:
            result = change(app.catalog, *args)
        except DedupeDecisionError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        if result is not None:
            result["indexed"] = app.sync()  # the clusters it touched, rebuilt in the index now
    if as_json:
        emit_json(result if result is not None else {"forgotten": list(args)})
    elif result is None:
        out.print(f"forgot the decision on {args[0]} and {args[1]}; they stay where they are until matched again")
    elif result["decision"] == "same":
        moved = ", ".join(result["moved"]) or "nothing (already one cluster)"
        out.print(f"one job: {result['a']} and {result['b']} in {result['cluster_id']} — moved {moved}")
    else:
        where = f"{result['b']} moved to {result['new_cluster']}" if result["new_cluster"] else "they were apart"
        out.print(f"two jobs: {result['a']} and {result['b']} — {where}; they will not be matched again")


def merge(a: PostingArg, b: PostingArg, note: NoteOpt = "", sources: SourcesOpt = None,
          as_json: JsonOpt = False) -> None:
    """Decide two postings are one job: B's cluster joins A's, now and whenever either is harvested again."""
    _apply(sources, as_json, lambda c, x, y: dedupe_decisions.merge(c, x, y, note), a, b)


def split(a: PostingArg, b: PostingArg, note: NoteOpt = "", sources: SourcesOpt = None,
          as_json: JsonOpt = False) -> None:
    """Decide two postings are two jobs: B leaves A's cluster, and the matcher never puts them together again."""
    _apply(sources, as_json, lambda c, x, y: dedupe_decisions.split(c, x, y, note), a, b)


def forget(a: PostingArg, b: PostingArg, sources: SourcesOpt = None, as_json: JsonOpt = False) -> None:
    """Drop the decision on two postings (nothing moves now; the matcher decides when they change)."""
    _apply(sources, as_json, dedupe_decisions.forget, a, b)


def decisions(sources: SourcesOpt = None, as_json: JsonOpt = False) -> None:
    """Every operator decision, with both postings' clusters now and whether it holds."""
    with open_app(sources) as app:
        rows = dedupe_decisions.decisions(app.catalog)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out.print("no dedupe decisions")
        return
    table = Table("decided", "one job?", "holds", "note")
    table.add_column("posting a / its cluster", overflow="fold")
    table.add_column("posting b / its cluster", overflow="fold")
    for r in rows:
        table.add_row(r["decided_at"], "yes" if r["same"] else "no", {True: "yes", False: "NO", None: "—"}[r["holds"]],
                      r["note"], f"{r['a']}\n{r['cluster_a']}", f"{r['b']}\n{r['cluster_b']}")
    out.print(table)


def register(app: typer.Typer) -> None:
    for name, command in (("explain", explain), ("merge", merge), ("split", split), ("forget", forget),
                          ("decisions", decisions)):
        dedupe_app.command(name)(command)
    app.add_typer(dedupe_app, name="dedupe")
