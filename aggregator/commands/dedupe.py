"""``lingong dedupe explain``: why two postings are one job or two, for operators answering "why twice?"."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from aggregator import dedupe
from aggregator.app import App
from aggregator.commands import JsonOpt, SourcesOpt, emit_json, err, open_app, out
from aggregator.privacy import public_posting
from aggregator.schema import JobPosting

dedupe_app = typer.Typer(help="Dedupe: why two postings are one job or two.", no_args_is_help=True)

PostingArg = Annotated[str, typer.Argument(help="A posting id (p_…, as in `lingong export`) or SOURCE/NATIVE_ID.",
                                           show_default=False)]


def _find(app: App, ref: str) -> JobPosting:
    posting = app.catalog.get_posting(ref)
    if posting is None and "/" in ref:
        source_id, native_id = ref.split("/", 1)
        posting = app.catalog.get_posting(JobPosting.make_id(source_id, native_id))
    if posting is None:
        err.print(f"[red]error:[/red] no posting {ref!r} in the catalog (give a posting id p_… as "
                  "`lingong export` prints it, or SOURCE/NATIVE_ID)")
        raise typer.Exit(2)
    return posting


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
    together = sides[0]["cluster_id"] is not None and sides[0]["cluster_id"] == sides[1]["cluster_id"]
    report = {
        "same_job": decision.score > 0.0, "score": round(decision.score, 3), "rule": decision.rule,
        "reason": decision.reason, "same_cluster": together, "postings": sides,
    }
    if decision.score > 0.0 and not together:
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


def register(app: typer.Typer) -> None:
    dedupe_app.command("explain")(explain)
    app.add_typer(dedupe_app, name="dedupe")
