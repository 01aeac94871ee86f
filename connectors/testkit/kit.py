"""The acceptance kit: run one recorded case through the real pipeline, offline, and check it.

:func:`run_case` starts a :class:`ReplayServer` on the case's ``inputs/``, points the source's base-URL
environment variable at it, and harvests with the real connector into a throwaway catalog:

1. ``config``      the source's options validate against its connector's model;
2. ``records``     the first run is ok and every record became a posting or a quarantined record with a reason;
3. ``coverage``    title, employer, salary, address (and any field ``meta.json`` names) are filled in at
                   least as often as ``meta.json`` ``coverage`` says;
4. ``expected``    nothing missing, nothing extra, nothing different vs ``expected.jsonl`` (selected
                   canonical fields, quarantined records by reason);
5. ``idempotent``  a second run stores nothing: 0 new, 0 updated, 0 closed;
6. ``ids_stable``  the second run saw exactly the posting ids of the first;
7. ``incremental`` after the recorded change (``inputs_day1/``) the next run (incremental if the connector
                   is) stores what the recording run stored, sends no more requests than it did, and, for an
                   incremental connector, fetches only changed records and closes nothing;
8. ``replay``      the connector asked only for recorded URLs.

:func:`record_case` makes a case from a live source through a :class:`RecordingProxy`.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aggregator.catalog import Catalog
from aggregator.errors import HarvestError, LingongError
from aggregator.pipeline import Pipeline
from aggregator.plugins import Plugins, make_plugins
from aggregator.runs import HarvestRun
from aggregator.schema import JobPosting, SourceDefinition
from aggregator.settings import Settings
from aggregator.sources import load_source_file
from connectors.testkit.fixtures import (
    ORIGIN,
    Change,
    FixtureCase,
    read_inputs,
    write_inputs,
)
from connectors.testkit.servers import RecordingProxy, ReplayServer

CHECKS: tuple[str, ...] = ("config", "records", "coverage", "expected", "idempotent", "ids_stable", "incremental",
                           "replay")
#: fields whose coverage is always checked (a missing threshold in meta.json means 0.5)
REQUIRED_FIELDS: tuple[str, ...] = ("title", "employer", "salary", "address")

_FIELD_VALUES: dict[str, Callable[[JobPosting], object]] = {
    "title": lambda p: p.title,
    "employer": lambda p: p.employer.name,
    "uscc": lambda p: p.employer.uscc,
    "salary": lambda p: p.salary and (p.salary.min is not None or p.salary.max is not None or p.salary.negotiable),
    "address": lambda p: p.location.address or p.location.code,
    "region": lambda p: p.location.code,
    "phone": lambda p: p.contact.phone,
    "contact": lambda p: p.contact.name,
    "posted_at": lambda p: p.posted_at,
    "expires_at": lambda p: p.expires_at,
    "headcount": lambda p: p.headcount,
    "description": lambda p: p.description,
    "url": lambda p: p.url,
}
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class CaseReport:
    """What :func:`run_case` found: one result per check in :data:`CHECKS`, and the run figures."""

    case: FixtureCase
    checks: dict[str, CheckResult] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks.values())

    def put(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks[name] = CheckResult(name, ok, detail)

    def as_dict(self) -> dict[str, Any]:
        return {"source_id": self.case.source_id, "case": self.case.name, "ok": self.ok,
                "checks": {n: {"ok": c.ok, "detail": c.detail} for n, c in self.checks.items()},
                "figures": self.figures}


# --- helpers ---------------------------------------------------------------------------------------------


@contextmanager
def patched_env(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration, then put the old values back."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def env_refs(source: SourceDefinition) -> list[str]:
    """The ``${VAR}`` names a source's options use, in order of appearance."""
    found = _ENV_REF.findall(json.dumps(source.options, ensure_ascii=False))
    return list(dict.fromkeys(found))


def _pipeline(home: Path, source: SourceDefinition, plugins: Plugins) -> Pipeline:
    home.mkdir(parents=True, exist_ok=True)
    sources_dir = source.path.parent if source.path else home
    settings = Settings(home=home, sources_dir=sources_dir)
    return Pipeline(settings, plugins, Catalog(settings.catalog_path))


def _is_incremental(plugins: Plugins, source: SourceDefinition) -> bool:
    return bool(plugins.connector(source.connector).incremental)


def _posting_line(p: JobPosting, origin: str) -> dict[str, Any]:
    salary = [p.salary.min, p.salary.max, p.salary.unit] if p.salary else None
    line: dict[str, Any] = {
        "id": p.id, "native_id": p.native_id, "title": p.title, "employer": p.employer.name,
        "uscc": p.employer.uscc, "salary": salary, "region": p.location.code, "address": p.location.address,
        "url": p.url.replace(origin, ORIGIN) if p.url else None, "status": p.status,
    }
    return line


def _quarantine_line(q: dict[str, Any], origin: str) -> dict[str, Any]:
    locator = str(q.get("locator") or "").replace(origin, ORIGIN)
    return {"quarantined": q["reason_code"], "native_id": q.get("native_id"), "locator": locator}


def _line_key(line: dict[str, Any]) -> str:
    if "quarantined" in line:
        return f"quarantine:{line['quarantined']}:{line.get('native_id') or line.get('locator')}"
    return f"posting:{line['id']}"


def catalog_lines(catalog: Catalog, source_id: str, origin: str) -> list[dict[str, Any]]:
    """What expected.jsonl holds: the source's postings, then its quarantined records, in a stable order."""
    postings = [_posting_line(p, origin) for p in catalog.iter_postings() if p.source_id == source_id]
    quarantined = [_quarantine_line(q, origin) for q in catalog.quarantined(source_id, limit=1_000_000)]
    return sorted(postings, key=_line_key) + sorted(quarantined, key=_line_key)


def _compare(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> list[str]:
    want = {_line_key(x): x for x in expected}
    got = {_line_key(x): x for x in actual}
    problems = [f"missing {k}" for k in want if k not in got]
    problems += [f"extra {k}" for k in got if k not in want]
    for k in want.keys() & got.keys():
        diffs = [f"{f}: expected {want[k].get(f)!r}, got {got[k].get(f)!r}"
                 for f in sorted(set(want[k]) | set(got[k])) if want[k].get(f) != got[k].get(f)]
        if diffs:
            problems.append(f"{k} differs ({'; '.join(diffs)})")
    return sorted(problems)


def _summary(problems: list[str], limit: int = 5) -> str:
    more = f" … and {len(problems) - limit} more" if len(problems) > limit else ""
    return "; ".join(problems[:limit]) + more


def coverage_of(postings: list[JobPosting], fields: list[str]) -> dict[str, float]:
    """Share of postings with each field filled in (``address``: an address or a region code)."""
    if not postings:
        return dict.fromkeys(fields, 0.0)
    return {f: sum(1 for p in postings if _FIELD_VALUES[f](p)) / len(postings) for f in fields}


def load_case_source(case: FixtureCase) -> SourceDefinition:
    """The source file ``meta.json`` names (``source_file``, relative to the case directory)."""
    if not case.source_file:
        raise LingongError(f"{case.path}/meta.json names no source_file: pass the source explicitly")
    return load_source_file((case.path / case.source_file).resolve())


# --- running a case --------------------------------------------------------------------------------------


def run_case(case: FixtureCase, *, source: SourceDefinition | None = None, plugins: Plugins | None = None,
             workdir: Path | None = None) -> CaseReport:
    """Replay one case through the pipeline and check it (never raises for a failed check)."""
    report = CaseReport(case)
    try:
        source = source or load_case_source(case)
        plugins = plugins or make_plugins()
    except LingongError as exc:
        report.put("config", False, str(exc))
        return _not_run(report, "the source could not be loaded")
    with tempfile.TemporaryDirectory(prefix="lingong-kit-", dir=workdir) as tmp, \
            ReplayServer(read_inputs(case.inputs)) as server:
        base = server.url + str(case.meta.get("base_url_path") or "")
        with patched_env({**case.env, case.base_url_env: base}):
            pipeline = _pipeline(Path(tmp) / "home", source, plugins)
            try:
                _run_checks(report, case, source, plugins, pipeline, server)
            finally:
                pipeline.catalog.close()
    return report


def _not_run(report: CaseReport, why: str) -> CaseReport:
    for name in CHECKS:
        report.checks.setdefault(name, CheckResult(name, False, f"not run: {why}"))
    return report


def _run_checks(report: CaseReport, case: FixtureCase, source: SourceDefinition, plugins: Plugins,
                pipeline: Pipeline, server: ReplayServer) -> None:
    catalog = pipeline.catalog
    try:
        pipeline.connector_for(source).close()
    except LingongError as exc:
        report.put("config", False, str(exc))
        _not_run(report, "the configuration does not validate")
        return
    report.put("config", True, f"connector {source.connector!r}, options valid")

    first = pipeline.harvest(source, full=True)
    report.figures["first_run"] = _figures(first, server.total)
    postings = [p for p in catalog.iter_postings() if p.source_id == source.id]
    quarantined = catalog.quarantined(source.id, limit=1_000_000)
    if first.status != "ok":
        report.put("records", False, f"first run {first.status}: {first.error}")
        _not_run(report, "the first run failed")
        return
    accounted = first.new + first.updated + first.unchanged + first.quarantined
    unreasoned = [q for q in quarantined if not (q.get("reason_code") and q.get("reason"))]
    ok = first.fetched > 0 and accounted == first.fetched and not unreasoned
    report.put("records", ok, f"{first.fetched} records: {len(postings)} postings, {len(quarantined)} quarantined"
               + ("" if accounted == first.fetched else f"; {first.fetched - accounted} unaccounted for")
               + (f"; {len(unreasoned)} quarantined without a reason" if unreasoned else "")
               + ("; nothing fetched" if first.fetched == 0 else ""))

    fields = list(dict.fromkeys([*REQUIRED_FIELDS, *case.coverage]))
    unknown = [f for f in fields if f not in _FIELD_VALUES]
    measured = coverage_of(postings, [f for f in fields if f in _FIELD_VALUES])
    short = [f"{f} {measured[f]:.0%} < {case.coverage.get(f, 0.5):.0%}" for f in measured
             if measured[f] + 1e-9 < case.coverage.get(f, 0.5)]
    report.figures["coverage"] = {f: round(v, 3) for f, v in measured.items()}
    report.put("coverage", not short and not unknown,
               _summary(short + [f"unknown field {f!r} in meta.json coverage" for f in unknown])
               or ", ".join(f"{f} {v:.0%}" for f, v in measured.items()))

    actual = catalog_lines(catalog, source.id, server.url)
    problems = _compare(case.expected(), actual)
    if not case.expected_path.is_file():
        problems.insert(0, "expected.jsonl is missing")
    report.put("expected", not problems, _summary(problems) or f"{len(actual)} lines match expected.jsonl")

    ids_first = {p.id for p in postings}
    quarantined_first = len(quarantined)
    before = server.total
    second = pipeline.harvest(source, full=True)
    report.figures["second_run"] = _figures(second, server.total - before)
    ok = second.status == "ok" and (second.new, second.updated, second.closed) == (0, 0, 0)
    report.put("idempotent", ok, f"second run {second.status}: {second.new} new, {second.updated} updated, "
               f"{second.closed} closed" + (f" ({second.error})" if second.error else ""))
    seen = {JobPosting.make_id(source.id, nid) for (nid,) in catalog.db.execute(
        "SELECT native_id FROM raw_records WHERE source_id = ? AND last_run_id = ? AND state = 'posting'",
        (source.id, second.id))}
    gone, appeared = sorted(ids_first - seen), sorted(seen - ids_first)
    requarantined = len(catalog.quarantined(source.id, limit=1_000_000))
    report.put("ids_stable", not gone and not appeared and requarantined == quarantined_first,
               f"{len(seen)} ids seen again" + (f"; not seen again: {gone[:3]}" if gone else "")
               + (f"; new ids: {appeared[:3]}" if appeared else ""))

    _check_change(report, case, source, plugins, pipeline, server)
    report.put("replay", not server.misses,
               f"unrecorded requests: {server.misses[:5]}" if server.misses else
               f"{sum(server.requests.values())} requests, all recorded")


def _check_change(report: CaseReport, case: FixtureCase, source: SourceDefinition, plugins: Plugins,
                  pipeline: Pipeline, server: ReplayServer) -> None:
    change = case.change
    if change is None or not (case.path / change.inputs).is_dir():
        report.put("incremental", False, "no recorded change (record one: lingong connector record SOURCE --change)")
        return
    incremental = _is_incremental(plugins, source)
    full_requests = report.figures["first_run"]["requests"]
    server.use(read_inputs(case.path / change.inputs))
    before = server.total
    run = pipeline.harvest(source, full=not incremental)
    requests = server.total - before
    report.figures["change_run"] = {**_figures(run, requests), "incremental": incremental,
                                    "request_ratio": round(requests / full_requests, 3) if full_requests else None}
    problems = []
    if run.status != "ok":
        problems.append(f"run {run.status}: {run.error}")
    got = (run.new, run.updated, run.closed)
    want = (change.new, change.updated, change.closed)
    if got != want:
        problems.append(f"stored {got[0]} new / {got[1]} updated / {got[2]} closed, the recording "
                        f"{want[0]} / {want[1]} / {want[2]}")
    if requests > change.requests:
        problems.append(f"{requests} requests, the recording needed {change.requests}")
    if incremental:
        if run.unchanged > change.max_unchanged:
            problems.append(f"fetched {run.unchanged} unchanged records (at most {change.max_unchanged})")
        if run.closed:
            problems.append(f"an incremental run closed {run.closed} postings")
    how = (f"incremental run: {run.fetched} fetched ({run.unchanged} unchanged), {requests} requests "
           f"vs {full_requests} for the full run" if incremental else
           f"{source.connector} has no cursor, every run is full: {requests} requests; "
           f"{run.new} new, {run.updated} updated, {run.closed} closed as recorded")
    report.put("incremental", not problems, _summary(problems) or how)


def _figures(run: HarvestRun, requests: int) -> dict[str, Any]:
    return {"status": run.status, "fetched": run.fetched, "new": run.new, "updated": run.updated,
            "unchanged": run.unchanged, "closed": run.closed, "quarantined": run.quarantined,
            "requests": requests, "seconds": run.duration_s}


# --- recording -------------------------------------------------------------------------------------------


def _url_var(source: SourceDefinition) -> tuple[str, str]:
    refs = env_refs(source)
    urls = [v for v in refs if os.environ.get(v, "").startswith(("http://", "https://"))]
    if len(urls) != 1:
        unset = [v for v in refs if v not in os.environ]
        hint = f" (not set: {', '.join(unset)})" if unset else ""
        raise LingongError(f"source {source.id}: its options must take the site's base URL from exactly one "
                           f"environment variable set to an http(s) URL, e.g. ${{{source.id.upper()}_URL}}; "
                           f"found {urls or 'none'}{hint}")
    return urls[0], os.environ[urls[0]]


def _placeholders(source: SourceDefinition, url_var: str) -> dict[str, str]:
    """Every other ``${VAR}`` gets a made-up value in meta.json: secrets are never written to a fixture."""
    return {v: f"fixture-{v.lower()}" for v in env_refs(source) if v != url_var}


def record_case(source: SourceDefinition, fixtures_dir: Path, case_name: str = "day0", *, change: bool = False,
                plugins: Plugins | None = None) -> FixtureCase:
    """Record a live source into ``fixtures_dir/<source_id>/<case_name>/`` through a recording proxy.

    Without ``change``: a full harvest is recorded into ``inputs/``; ``expected.jsonl`` is what it stored,
    ``meta.json`` gets coverage thresholds just under what was measured. With ``change`` (after the site
    has moved on): the case's ``inputs/`` is replayed first (the cursor a real deployment would hold),
    then the next run (incremental if the connector is) is recorded into ``inputs_day1/``, and what it
    stores, replayed, is written to ``meta.json`` ``change``. Raises :class:`LingongError` when a run fails.
    """
    plugins = plugins or make_plugins()
    var, upstream = _url_var(source)
    path = urlsplit(upstream).path.rstrip("/")
    case_dir = fixtures_dir / source.id / case_name
    incremental = _is_incremental(plugins, source)
    with tempfile.TemporaryDirectory(prefix="lingong-record-") as tmp, RecordingProxy(upstream) as proxy:
        pipeline = _pipeline(Path(tmp) / "live", source, plugins)
        try:
            if change:
                case = FixtureCase.load(case_dir)
                with ReplayServer(read_inputs(case.inputs)) as replay, \
                        patched_env({**case.env, var: replay.url + path}):
                    _ok(pipeline.harvest(source, full=True), "replaying the first recording")
                with patched_env({var: proxy.url + path}):
                    _ok(pipeline.harvest(source, full=not incremental), "recording the change")
                write_inputs(case_dir / "inputs_day1", proxy.recorded())
                case.change = _measure_change(case, source, plugins, len(proxy.exchanges), Path(tmp) / "measure")
                case.save_meta()
                return case
            with patched_env({var: proxy.url + path}):
                run = _ok(pipeline.harvest(source, full=True), "recording")
            write_inputs(case_dir / "inputs", proxy.recorded())
            lines = catalog_lines(pipeline.catalog, source.id, proxy.url)
            postings = [p for p in pipeline.catalog.iter_postings() if p.source_id == source.id]
        finally:
            pipeline.catalog.close()
    case_dir.mkdir(parents=True, exist_ok=True)
    (case_dir / "expected.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines),
                                             encoding="utf-8")
    measured = coverage_of(postings, list(REQUIRED_FIELDS))
    old = case_dir / "inputs_day1"
    if old.is_dir():  # a change recorded against other inputs no longer applies
        for f in old.iterdir():
            f.unlink()
        old.rmdir()
    source_file = os.path.relpath(source.path, case_dir) if source.path else None
    case = FixtureCase(path=case_dir, source_id=source.id, name=case_name, base_url_env=var,
                       env=_placeholders(source, var), source_file=source_file,
                       coverage={f: math.floor(v * 20) / 20 for f, v in measured.items()},
                       meta={"recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
                             "recorded_records": run.fetched, "base_url_path": path})
    case.save_meta()
    return case


def bless_case(case: FixtureCase, source: SourceDefinition, plugins: Plugins) -> FixtureCase:
    """Write ``expected.jsonl`` and ``meta.json`` ``change`` from a replay of the case's own inputs.

    For hand-written inputs (a scaffold, an example) that no live site produced. Read what it writes
    before committing it: it accepts whatever the connector does today.
    """
    with tempfile.TemporaryDirectory(prefix="lingong-bless-") as tmp, ReplayServer(read_inputs(case.inputs)) as srv, \
            patched_env({**case.env, case.base_url_env: srv.url + str(case.meta.get("base_url_path") or "")}):
        pipeline = _pipeline(Path(tmp) / "home", source, plugins)
        try:
            _ok(pipeline.harvest(source, full=True), "replaying inputs/")
            lines = catalog_lines(pipeline.catalog, source.id, srv.url)
        finally:
            pipeline.catalog.close()
    case.expected_path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    day1 = case.path / "inputs_day1"
    if day1.is_dir():
        requests = len(read_inputs(day1))
        case.change = _measure_change(case, source, plugins, requests, None)
    case.save_meta()
    return case


def _measure_change(case: FixtureCase, source: SourceDefinition, plugins: Plugins, requests: int,
                    workdir: Path | None) -> Change:
    """Replay inputs/ then inputs_day1/ on one server and count what the second run stores."""
    incremental = _is_incremental(plugins, source)
    with tempfile.TemporaryDirectory(prefix="lingong-change-") as tmp, \
            ReplayServer(read_inputs(case.inputs)) as server, \
            patched_env({**case.env, case.base_url_env: server.url + str(case.meta.get("base_url_path") or "")}):
        pipeline = _pipeline(workdir or Path(tmp) / "home", source, plugins)
        try:
            _ok(pipeline.harvest(source, full=True), "replaying inputs/")
            server.use(read_inputs(case.path / "inputs_day1"))
            run = _ok(pipeline.harvest(source, full=not incremental), "replaying inputs_day1/")
        finally:
            pipeline.catalog.close()
    old = case.change or Change()
    return Change(inputs="inputs_day1", new=run.new, updated=run.updated, closed=run.closed, requests=requests,
                  max_unchanged=old.max_unchanged)


def _ok(run: HarvestRun, what: str) -> HarvestRun:
    if run.status != "ok":
        raise HarvestError(f"{what}: run {run.status}: {run.error}")
    return run


__all__ = ["CHECKS", "REQUIRED_FIELDS", "CaseReport", "CheckResult", "bless_case", "catalog_lines", "coverage_of",
           "env_refs", "load_case_source", "patched_env", "record_case", "run_case"]
