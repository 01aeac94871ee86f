"""``lingong review``: postings held out of the public index for their risk score, with the reasons."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from aggregator.commands import JsonOpt, SourcesOpt, emit_json, open_app, out
from aggregator.privacy import public_posting


def review(sources: SourcesOpt = None, as_json: JsonOpt = False,
           limit: Annotated[int, typer.Option("--limit", help="Most postings listed.")] = 200) -> None:
    """List postings held back for scam / risk signals (riskiest first), with every reason."""
    with open_app(sources) as a:
        held = a.catalog.held_postings(limit=limit)
    rows = []
    for h in held:
        p = public_posting(h["posting"])  # a reviewer's list may be shared: contacts masked as everywhere
        rows.append({"posting_id": h["posting_id"], "source_id": h["source_id"], "native_id": h["native_id"],
                     "status": h["status"], "score": h["score"], "title": p.title, "employer": p.employer.name,
                     "url": p.url, "reasons": h["reasons"]})
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out.print("no postings are held for review")
        return
    table = Table("score", "source", "id", "title", "employer", "reasons")
    for r in rows:
        reasons = "\n".join(f"{x['rule']} ({x['weight']:.2f}): {x['reason']}" for x in r["reasons"])
        table.add_row(f"{r['score']:.2f}", r["source_id"], r["native_id"], r["title"], r["employer"] or "—", reasons)
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command("review")(review)
