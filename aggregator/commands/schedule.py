"""``lingong schedule run`` (the harvest daemon) and ``lingong schedule list`` (what runs when)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from aggregator.commands import JsonOpt, SourcesOpt, emit_json, err, open_app, out
from aggregator.errors import ConfigError
from aggregator.health import BreakerPolicy, paused_until, source_health
from aggregator.scheduler import Scheduler, SchedulerConfig, ScheduleSpec


def register(app: typer.Typer) -> None:
    schedule_app = typer.Typer(help="The harvest scheduler: run it as a daemon, see what runs when.",
                               no_args_is_help=True)
    app.add_typer(schedule_app, name="schedule")
    schedule_app.command("run")(schedule_run)
    schedule_app.command("list")(schedule_list)


def schedule_run(
    sources: SourcesOpt = None,
    max_running: Annotated[int, typer.Option(min=1, help="Harvests at once, all sources.")] = 4,
    per_host: Annotated[int, typer.Option(min=1, help="Harvests at once against one site host.")] = 1,
    retries: Annotated[int, typer.Option(min=0, help="Retries after a transient failure, per slot.")] = 2,
    backoff: Annotated[str, typer.Option(help="First retry delay (doubles each retry).")] = "30s",
    failures_to_pause: Annotated[int, typer.Option(min=1, help="Failed slots in a row that pause a source.")] = 3,
    cooldown: Annotated[str, typer.Option(help="How long a paused source rests before one trial run.")] = "1h",
    jitter: Annotated[float, typer.Option(min=0, max=1, help="Random delay, as a share of the interval.")] = 0.1,
    timezone: Annotated[str, typer.Option(help="Time zone of cron expressions and harvest windows.")] = (
        "Asia/Shanghai"),
    default_schedule: Annotated[str | None, typer.Option(
        help="Schedule of sources whose file names none (default: they are not scheduled).")] = None,
    incremental: Annotated[bool, typer.Option("--incremental", help="Use each source's cursor.")] = False,
    metrics_port: Annotated[int | None, typer.Option(
        help="Serve Prometheus metrics on this port (127.0.0.1 unless --metrics-host).")] = None,
    metrics_host: Annotated[str, typer.Option(help="Interface of the metrics endpoint.")] = "127.0.0.1",
    duration: Annotated[str | None, typer.Option(help="Stop by itself after this long (e.g. 1h); for trials.")] = (
        None),
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run the harvest daemon until SIGTERM/SIGINT: every source on its schedule, logs as JSON lines on stderr."""
    from prometheus_client import start_http_server

    from aggregator.logs import configure
    from aggregator.scheduler import parse_duration

    try:
        config = SchedulerConfig(
            max_running=max_running, per_host=per_host, retries=retries, backoff_s=parse_duration(backoff),
            jitter=jitter, timezone=timezone, default_schedule=default_schedule, full=not incremental,
            breaker=BreakerPolicy(failures_to_pause=failures_to_pause, cooldown_s=parse_duration(cooldown)))
        seconds = parse_duration(duration) if duration else None
        if default_schedule:
            ScheduleSpec.parse(default_schedule)
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    configure(level=log_level.upper())
    with open_app(sources) as a:
        for e in a.source_errors():
            err.print(f"[red]bad source file[/red] {e} (not scheduled)")
        scheduler = Scheduler(a, config)
        if metrics_port is not None:
            start_http_server(metrics_port, addr=metrics_host, registry=scheduler.registry)
        scheduler.run_forever(duration=seconds)


def schedule_list(sources: SourcesOpt = None, json_out: JsonOpt = False,
                  timezone: Annotated[str, typer.Option(help="Time zone to show times in.")] = "Asia/Shanghai",
                  default_schedule: Annotated[str | None, typer.Option(
                      help="As given to `schedule run`.")] = None) -> None:
    """Every source's schedule, window and next run (anchored on its last run), and whether it is paused."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(timezone)
    now = datetime.now(UTC)
    with open_app(sources) as a:
        scheduler = Scheduler(a, SchedulerConfig(jitter=0.0, timezone=timezone, default_schedule=default_schedule))
        last = a.catalog.last_runs()
        rows: list[dict[str, Any]] = []
        for p in scheduler.plan(now):
            state = a.catalog.source_state(p.source.id)
            paused = paused_until(state, now)
            nxt = p.first_run
            if nxt is not None and paused is not None and nxt < paused:
                nxt = paused  # the breaker holds it until then
            r = last.get(p.source.id)
            rows.append({"id": p.source.id, "schedule": p.source.schedule or default_schedule,
                         "window": p.source.window,
                         "next_run": nxt.astimezone(tz).isoformat(timespec="seconds") if nxt else None,
                         "health": source_health(r, state, now), "last_run_at": r.started_at if r else None,
                         "paused_until": paused.isoformat() if paused else None, "problem": p.error})
    if json_out:
        emit_json(rows)
        return
    t = Table(title=f"schedule (times in {timezone})")
    for col in ("source", "schedule", "window", "next run", "health", "note"):
        t.add_column(col)
    for row in sorted(rows, key=lambda r: r["next_run"] or "~"):
        note = f"paused until {row['paused_until']}" if row["paused_until"] else (row["problem"] or "")
        t.add_row(row["id"], row["schedule"] or "", row["window"] or "", row["next_run"] or "—", row["health"], note)
    out.print(t)
