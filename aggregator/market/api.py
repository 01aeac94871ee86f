"""HTTP routes of the market report: ``GET /v1/stats/market``, ``GET /v1/markets`` and the report view ``/market``."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.resources import files
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Response
from fastapi.responses import HTMLResponse

from aggregator.app import App
from aggregator.market.report import ReportSettings, build_report

#: Files served under /market/static/ (nothing else is readable through that route).
STATIC = {"echarts.min.js": "application/javascript", "guangdong.json": "application/json",
          "market.js": "application/javascript", "market.css": "text/css", "ECHARTS-LICENSE": "text/plain",
          "ECHARTS-NOTICE": "text/plain"}
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


def markets(app_state: App) -> list[dict[str, Any]]:
    """The physical 零工市场 the sources describe, one entry per market name."""
    seen: dict[str, dict[str, Any]] = {}
    for s in app_state.sources.sources.values():
        if s.market is None:
            continue
        entry = seen.setdefault(s.market.name, {**s.market.model_dump(), "region": s.region, "sources": []})
        entry["sources"].append(s.id)
    return sorted(seen.values(), key=lambda m: (m["region"], m["name"]))


def register_market_routes(api: FastAPI, app_state: App) -> None:
    """Add the market report's JSON, the market directory and the report view page to ``api``."""

    @api.get("/v1/stats/market", summary="Monthly market report: 求人倍率, 工资价位, 紧缺职业 (pay as offered)")
    async def stats_market(
        month: Annotated[str | None, Query(pattern=MONTH, description="YYYY-MM; default: this month")] = None,
        region: Annotated[str | None, Query(pattern=r"^\d{6}$", description="GB/T 2260 code")] = None,
        min_count: Annotated[int, Query(ge=1, le=1000)] = 5,
        shortage_threshold: Annotated[float, Query(gt=0, le=100)] = 1.5,
        shortage_months: Annotated[int, Query(ge=1, le=24)] = 3,
    ) -> dict[str, Any]:
        settings = ReportSettings(min_count=min_count, shortage_threshold=shortage_threshold,
                                  shortage_months=shortage_months)
        report = build_report(app_state.catalog, month or datetime.now(UTC).strftime("%Y-%m"), region=region,
                              settings=settings)
        return report.model_dump(mode="json")

    @api.get("/v1/markets", summary="零工市场 directory: the physical markets sources belong to, with coordinates")
    async def list_markets() -> dict[str, Any]:
        found = markets(app_state)
        return {"markets": found, "count": len(found)}

    @api.get("/market", include_in_schema=False)
    async def market_page() -> HTMLResponse:
        return HTMLResponse(files("aggregator.market").joinpath("static").joinpath("market.html").read_text("utf-8"))

    @api.get("/market/static/{name}", include_in_schema=False)
    async def market_static(name: str) -> Response:
        if name not in STATIC:
            raise HTTPException(status_code=404, detail={"parameter": "name", "message": f"no file {name!r}"})
        body = files("aggregator.market").joinpath("static").joinpath(name).read_bytes()
        return Response(body, media_type=STATIC[name], headers={"Cache-Control": "public, max-age=3600"})

