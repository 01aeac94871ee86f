"""The HTTP API under ``/v1`` (FastAPI; OpenAPI at ``/openapi.json``), served by ``lingong serve``.

Everything returned is public: index documents are masked when they are built,
and postings read from the catalog go through :func:`aggregator.privacy.public_posting`.
Bad parameters get 422 with a message that names the parameter. Query text is
passed to the engine as plain words, never as query syntax.

Endpoints are ``async`` on purpose: they run on the event-loop thread, so the
SQLite catalog connection is only ever used from one thread, and engine calls
are short (milliseconds).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from pydantic import ValidationError

from aggregator import __version__
from aggregator.app import App
from aggregator.indexing import publishable
from aggregator.market.api import register_market_routes
from aggregator.privacy import public_posting
from aggregator.seekers.api import register_seeker_routes
from aggregator.status import register_status_routes
from search.base import SearchQuery

MAX_OFFSET = 10_000


def _problem(param: str, message: str) -> HTTPException:
    return HTTPException(status_code=422, detail={"parameter": param, "message": f"{param}: {message}"})


def _parse_near(near: str | None) -> tuple[float, float] | None:
    if near is None:
        return None
    try:
        lat_s, lon_s = near.split(",")
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        raise _problem("near", "must be 'lat,lon' in decimal degrees, e.g. 23.13,113.26") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise _problem("near", "latitude must be within ±90 and longitude within ±180")
    return lat, lon


def _query_fingerprint(params: dict[str, Any]) -> str:
    return hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _encode_cursor(offset: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "q": fingerprint}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, fingerprint: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = int(data["o"])
        same = data["q"] == fingerprint
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise _problem("cursor", "is not a cursor this API returned") from None
    if not same:
        raise _problem("cursor", "belongs to a different query; start again without a cursor")
    if not 0 <= offset <= MAX_OFFSET:
        raise _problem("cursor", f"pages beyond {MAX_OFFSET} results are not served; narrow the query")
    return offset


def create_api(app_state: App) -> FastAPI:
    """The FastAPI application over one opened :class:`App`."""
    api = FastAPI(title="lingong", version=__version__,
                  description="One search over every 零工市场 source of a province. Contacts are always masked.")
    registry = CollectorRegistry()
    requests = Counter("lingong_api_requests", "API requests", ["route", "status"], registry=registry)
    latency = Histogram("lingong_api_request_seconds", "API latency", ["route"], registry=registry)
    gauges = {name: Gauge(f"lingong_catalog_{name}", f"catalog: {name}", registry=registry)
              for name in ("postings", "open", "clusters", "quarantined", "outbox")}

    @api.middleware("http")
    async def _measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        requests.labels(path, str(response.status_code)).inc()
        latency.labels(path).observe(time.perf_counter() - started)
        return response

    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        param = str(first["loc"][-1]) if first.get("loc") else "request"
        return JSONResponse(status_code=422, content={"detail": {
            "parameter": param, "message": f"{param}: {first['msg']}", "errors": exc.errors()}})

    @api.get("/v1/search", summary="Search postings: one result per job (duplicate cluster)")
    async def search(
        q: Annotated[str, Query(max_length=200, description="Plain words; never query syntax")] = "",
        region: Annotated[str | None, Query(description="GB/T 2260 code at any level")] = None,
        category: str | None = None,
        employment_type: str | None = None,
        pay_unit: str | None = None,
        min_daily_wage: Annotated[float | None, Query(ge=0)] = None,
        near: Annotated[str | None, Query(description="lat,lon")] = None,
        radius_km: Annotated[float | None, Query(gt=0, le=2000)] = None,
        verified_only: bool = False,
        posted_within_days: Annotated[int | None, Query(ge=1, le=3650)] = None,
        sort: Literal["relevance", "newest", "distance", "wage"] = "relevance",
        page_size: Annotated[int, Query(ge=1, le=100)] = 20,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        point = _parse_near(near)
        if radius_km is not None and point is None:
            raise _problem("radius_km", "needs near=lat,lon")
        if sort == "distance" and point is None:
            raise _problem("sort", "distance needs near=lat,lon")
        params = {"q": q, "region": region, "category": category, "employment_type": employment_type,
                  "pay_unit": pay_unit, "min_daily_wage": min_daily_wage, "near": point, "radius_km": radius_km,
                  "verified_only": verified_only, "posted_within_days": posted_within_days, "sort": sort}
        fingerprint = _query_fingerprint({**params, "page_size": page_size})
        offset = _decode_cursor(cursor, fingerprint) if cursor else 0
        try:
            query = SearchQuery(**params, page_size=page_size, offset=offset, highlight=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise _problem(str(first["loc"][0]) if first["loc"] else "query", first["msg"]) from exc
        try:
            result = app_state.search(query)
        except ValueError as exc:
            raise _problem("sort", str(exc)) from exc
        end = offset + len(result.items)
        more = end < result.total and end < MAX_OFFSET
        return {"total": result.total, "items": result.items, "facets": result.facets,
                "next_cursor": _encode_cursor(end, fingerprint) if more else None}

    @api.get("/v1/postings/{posting_id}", summary="One posting (JSON, or schema.org JSON-LD)")
    async def posting(posting_id: str, request: Request,
                      format: Literal["json", "jsonld"] | None = None) -> Response:
        found = app_state.catalog.get_posting(posting_id)
        if found is None:
            members = app_state.catalog.cluster_members(posting_id)
            found = max(members, key=lambda p: p.provenance.trust) if members else None
        if found is None or not publishable(found):
            raise HTTPException(status_code=404, detail={"parameter": "posting_id",
                                                         "message": f"no posting or cluster {posting_id!r}"})
        pub = public_posting(found)
        wants_ld = format == "jsonld" or "application/ld+json" in request.headers.get("accept", "")
        if wants_ld:
            return JSONResponse(pub.to_jsonld(), media_type="application/ld+json")
        return JSONResponse(pub.model_dump(mode="json"))

    @api.get("/v1/suggest", summary="Job-title completions")
    async def suggest(q: Annotated[str, Query(min_length=1, max_length=50)],
                      size: Annotated[int, Query(ge=1, le=20)] = 10) -> dict[str, Any]:
        return {"q": q, "suggestions": app_state.backend.suggest(q, size)}

    @api.get("/v1/stats/wages", summary="工资价位: daily-wage percentiles of pay offered in postings")
    async def wages(region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
                    category: str | None = None, q: Annotated[str, Query(max_length=200)] = "",
                    by: Annotated[str, Query(pattern=r"^(region|category)(,(region|category))?$")] = "region,category",
                    ) -> dict[str, Any]:
        query = SearchQuery(q=q, region=region, category=category)
        groups: list[Literal["region", "category"]] = [g for g in ("region", "category") if g in by.split(",")]
        cells = app_state.backend.wage_stats(query, groups)
        return {"unit": "CNY per day (pay offered in postings, not a 指导价)", "by": groups,
                "cells": [c.model_dump() for c in cells]}

    @api.get("/v1/sources", summary="Sources and their health")
    async def sources() -> dict[str, Any]:
        last = app_state.catalog.last_runs()
        rows = []
        for s in app_state.sources.sources.values():
            r = last.get(s.id)
            rows.append({"id": s.id, "name": s.name, "connector": s.connector, "region": s.region,
                         "trust": s.trust, "last_run": r.model_dump() if r else None,
                         "health": "never_run" if r is None else ("ok" if r.status == "ok" else "failing")})
        errors = [{"file": str(e.path), "field": e.field, "reason": e.reason} for e in app_state.source_errors()]
        return {"sources": rows, "invalid_files": errors}

    @api.get("/healthz", summary="Liveness and readiness")
    async def healthz() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            app_state.catalog.counts()
            checks["catalog"] = "ok"
        except Exception as exc:  # report, don't crash the probe
            checks["catalog"] = f"error: {exc}"
        try:
            app_state.backend.count()
            checks["index"] = "ok"
        except Exception as exc:
            checks["index"] = f"error: {exc}"
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "degraded", **checks}, status_code=200 if ok else 503)

    @api.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        for name, value in app_state.catalog.counts().items():
            gauges[name].set(value)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    register_status_routes(api, app_state)  # the status page at / (aggregator.status)
    register_seeker_routes(api, app_state)
    register_market_routes(api, app_state)  # /v1/stats/market, /v1/markets, /market (aggregator.market)
    return api
