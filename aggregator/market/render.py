"""Render a :class:`MarketReport` as json, csv, xlsx (no dependency: SpreadsheetML written by hand) or html."""

from __future__ import annotations

import csv
import html
import io
import json
import zipfile
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from aggregator.market.report import PERCENTILES, DemandRow, MarketReport, WageRow

FORMATS = ("json", "csv", "xlsx", "html")
DASH = "—"


def _num(v: float | int | None) -> float | int | str:
    return DASH if v is None else v


def _demand_table(rows: Sequence[DemandRow], dim: str) -> list[list[Any]]:
    out: list[list[Any]] = [[dim, "code", "name", "需求人数", "postings", "求职人数", "求人倍率", "上月求人倍率",
                             "求人倍率变化", "上月需求人数", "note"]]
    for r in rows:
        out.append([dim, r.code, r.name, r.demand, r.postings, _num(r.seekers), _num(r.ratio), _num(r.prev_ratio),
                    _num(r.ratio_change), _num(r.prev_demand), "few postings" if r.suppressed else ""])
    return out


def _wage_table(rows: Sequence[WageRow]) -> list[list[Any]]:
    head = ["occupation", "name", "postings"] + [f"daily_p{q}" for q in PERCENTILES] + \
        [f"monthly_p{q}" for q in PERCENTILES] + ["note"]
    out: list[list[Any]] = [head]
    for w in rows:
        cells: list[Any] = [w.code, w.name, w.postings]
        for part in (w.daily, w.monthly):
            cells += [part[f"p{q}"] if part else DASH for q in PERCENTILES]
        out.append([*cells, "suppressed: too few postings" if w.suppressed else ""])
    return out


def sheets(report: MarketReport) -> dict[str, list[list[Any]]]:
    """The report as named tables (one csv section or xlsx sheet each)."""
    demand = _demand_table([report.total], "total")
    for dim in ("by_region", "by_industry", "by_occupation", "by_occupation_middle"):
        demand += _demand_table(getattr(report, dim), dim)[1:]
    about: list[list[Any]] = [["key", "value"], ["month", report.month], ["region", report.region or "all"],
             ["generated_at", report.generated_at], ["pay", report.pay_note],
             ["min_count", report.settings.min_count], ["shortage_threshold", report.settings.shortage_threshold],
             ["shortage_months", report.settings.shortage_months]]
    if report.seekers_note:
        about.append(["seekers", report.seekers_note])
    shortage: list[list[Any]] = [["occupation", "name", *(sorted(report.shortage[0].ratios) if report.shortage
                                                          else ["求人倍率"])]]
    for s in report.shortage:
        shortage.append([s.code, s.name, *(s.ratios[m] for m in sorted(s.ratios))])
    trend: list[list[Any]] = [["month", "需求人数", "求职人数", "求人倍率"]]
    trend += [[t.month, t.demand, t.seekers, _num(t.ratio)] for t in report.trend]
    return {"about": about, "demand": demand, "wages": _wage_table([report.wages_total, *report.wages]),
            "shortage": shortage, "trend": trend}


def to_csv(report: MarketReport) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for name, rows in sheets(report).items():
        w.writerow([f"# {name}"])
        w.writerows(rows)
        w.writerow([])
    return buf.getvalue()


def _col(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _sheet_xml(rows: list[list[Any]]) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    for r, row in enumerate(rows, start=1):
        out.append(f'<row r="{r}">')
        for c, v in enumerate(row):
            ref = f"{_col(c)}{r}"
            if isinstance(v, bool) or not isinstance(v, int | float):
                out.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(v))}</t></is></c>')
            else:
                out.append(f'<c r="{ref}"><v>{v}</v></c>')
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out)


def to_xlsx(report: MarketReport) -> bytes:
    """A minimal Office Open XML workbook, one sheet per table (inline strings, no styles)."""
    tables = sheets(report)
    ns = "http://schemas.openxmlformats.org/"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                      f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                      for i in range(1, len(tables) + 1)) + "</Types>"))
        z.writestr("_rels/.rels", (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'))
        z.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}spreadsheetml/2006/main" '
            f'xmlns:r="{ns}officeDocument/2006/relationships"><sheets>'
            + "".join(f'<sheet name="{escape(n)}" sheetId="{i}" r:id="rId{i}"/>'
                      for i, n in enumerate(tables, start=1)) + "</sheets></workbook>"))
        z.writestr("xl/_rels/workbook.xml.rels", (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="{ns}officeDocument/2006/relationships/worksheet" '
                      f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(tables) + 1))
            + "</Relationships>"))
        for i, rows in enumerate(tables.values(), start=1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", _sheet_xml(rows))
    return buf.getvalue()


def to_html(report: MarketReport) -> str:
    """A self-contained HTML page of the tables (the chart view is ``/market`` of ``lingong serve``)."""
    parts = [f"<!doctype html><html lang=zh><meta charset=utf-8><title>零工市场月报 {report.month}</title>"
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}</style>",
             f"<h1>零工市场供求月报 {html.escape(report.month)} {html.escape(report.region or '')}</h1>",
             f"<p>{html.escape(report.pay_note)}</p>"]
    if report.seekers_note:
        parts.append(f"<p><b>{html.escape(report.seekers_note)}</b></p>")
    for name, rows in sheets(report).items():
        parts.append(f"<h2>{html.escape(name)}</h2><table>")
        for i, row in enumerate(rows):
            tag = "th" if i == 0 else "td"
            parts.append("<tr>" + "".join(f"<{tag}>{html.escape(str(v))}</{tag}>" for v in row) + "</tr>")
        parts.append("</table>")
    return "".join(parts) + "</html>"


def render(report: MarketReport, fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2).encode()
    if fmt == "csv":
        return to_csv(report).encode("utf-8-sig")  # BOM: Excel opens UTF-8 CSV correctly only with it
    if fmt == "xlsx":
        return to_xlsx(report)
    if fmt == "html":
        return to_html(report).encode()
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
