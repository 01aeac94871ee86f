"""``lingong match SEEKER_ID`` and ``lingong seekers …``: matches with reasons, matching and delivery passes."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from aggregator.commands import JsonOpt, SourcesOpt, emit_json, err, open_app, out


def register(app: typer.Typer) -> None:
    seekers_app = typer.Typer(help="Seekers and saved searches: matching and notification passes.",
                              no_args_is_help=True)
    app.add_typer(seekers_app, name="seekers")

    @app.command("match")
    def match(seeker_id: Annotated[str, typer.Argument(help="A seeker or subscription id (s_…, sub_…).")],
              limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
              sources: SourcesOpt = None, json_out: JsonOpt = False) -> None:
        """Open jobs a seeker (or saved search) suits, best first, with the reasons."""
        from aggregator.seekers import Seekers

        with open_app(sources) as a:
            found = Seekers.of(a).matches(seeker_id, a.backend, limit)
            if found is None:
                err.print(f"[red]no seeker[/red] {seeker_id!r}")
                raise typer.Exit(1)
            if json_out:
                emit_json({"id": seeker_id, "matches": found})
                return
            t = Table(title=f"matches for {seeker_id}: {len(found)}", title_justify="left")
            for col in ("score", "title", "employer", "place", "why"):
                t.add_column(col, overflow="fold")
            for m in found:
                p = m["posting"]
                loc = p.get("location") or {}
                place = "".join(x for x in (loc.get("city"), loc.get("county")) if x) or (loc.get("code") or "")
                t.add_row(f"{m['score']:.2f}", p.get("title") or "", (p.get("employer") or {}).get("name") or "",
                          place, "\n".join(m["reasons"]))
            out.print(t)

    @seekers_app.command("dispatch")
    def dispatch(loop: Annotated[bool, typer.Option("--loop", help="Keep matching and delivering.")] = False,
                 every: Annotated[float, typer.Option(help="Seconds between passes with --loop.")] = 5.0,
                 sources: SourcesOpt = None, json_out: JsonOpt = False) -> None:
        """Match postings changed since the last pass and deliver due notifications (retries included)."""
        from aggregator.seekers import Seekers

        with open_app(sources) as a:
            s = Seekers.of(a)
            while True:
                filed = s.process_changes()
                report = s.dispatch()
                summary = {"filed": filed, "sent": report.sent, "retried": report.retried, "dead": report.dead,
                           "deferred": report.deferred}
                if json_out:
                    emit_json(summary)
                else:
                    err.print(" · ".join(f"{k} {v}" for k, v in summary.items()))
                if not loop:
                    return
                time.sleep(every)

    @seekers_app.command("delete")
    def delete(seeker_id: str, sources: SourcesOpt = None) -> None:
        """Remove a seeker or saved search and everything about them."""
        from aggregator.seekers import Seekers

        with open_app(sources) as a:
            if not Seekers.of(a).delete(seeker_id):
                err.print(f"[red]no seeker[/red] {seeker_id!r}")
                raise typer.Exit(1)
            err.print(f"removed {seeker_id}")

    @seekers_app.command("dead-letters")
    def dead_letters(limit: int = 50, sources: SourcesOpt = None, json_out: JsonOpt = False) -> None:
        """Notifications given up on, newest first (no contact details)."""
        with open_app(sources) as a:
            rows = a.catalog.dead_letters(limit)
            if json_out:
                emit_json(rows)
                return
            t = Table(title=f"dead letters: {len(rows)}", title_justify="left")
            for col in ("failed_at", "cluster_id", "attempts", "error"):
                t.add_column(col, overflow="fold")
            for r in rows:
                t.add_row(r["failed_at"], r["cluster_id"], str(r["attempts"]), r["error"])
            out.print(t)
