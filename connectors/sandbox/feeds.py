"""Partner-agency feeds, all on one host (so per-host politeness is shared by three sources).

* ``/gz_labour/jobs.csv``  feed_gz_labour: GB18030 CSV, CRLF, Chinese headers, multi-line quoted
  descriptions; a malformed row has 5 of 13 columns.
* ``/fs_hr/jobs.xlsx``     feed_fs_hr: sheet ``岗位`` (after a ``说明`` sheet, so ``sheet``
  must name it), header in the first row, dates as real Excel dates, headcount as numbers.
* ``/zh_service/jobs.xml`` feed_zh_service: ``<jobs><job>…</job></jobs>``, UTF-8, CDATA descriptions.

Every feed answers ``ETag`` / ``If-None-Match`` with 304, and ``Last-Modified``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import threading
import zipfile
from datetime import UTC, datetime, time, timedelta, timezone
from email.utils import format_datetime
from typing import ClassVar
from xml.sax.saxutils import escape

from connectors.sandbox.province import Record
from connectors.sandbox.web import Request, Response, Site, State, not_found

CSV_HEADERS = ["编号", "岗位名称", "用工单位", "统一社会信用代码", "薪资待遇", "工作地点", "联系电话", "联系人",
               "发布日期", "截止日期", "用工形式", "招聘人数", "岗位描述"]
XLSX_HEADERS = ["岗位编号", "岗位名称", "招聘单位", "信用代码", "工资待遇", "工作地址", "联系方式", "联系人",
                "发布时间", "有效期至", "工作性质", "需求人数", "职位描述"]
_TYPES = {"csv": "text/csv; charset=gb18030",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "xml": "application/xml; charset=utf-8"}


def _row(r: Record) -> list[str]:
    return [r.native_id, r.title, r.employer, r.uscc, r.salary, r.address, r.phone, r.contact,
            r.posted_at.isoformat(), r.expires_at.isoformat() if r.expires_at else "", r.kind, r.headcount,
            r.description]


def render_csv(recs: list[Record]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_HEADERS)
    for r in recs:
        row = _row(r)
        w.writerow(row[:5] if r.malformed == "bad_column_count" else row)
    return buf.getvalue().encode("gb18030")


def render_xlsx(recs: list[Record]) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    wb = Workbook(write_only=True)
    wb.create_sheet("说明").append(["佛山某人力资源公司（示例）在招岗位，见“岗位”表"])
    ws = wb.create_sheet("岗位")
    ws.append(XLSX_HEADERS)
    for r in recs:
        row: list[object] = list(_row(r))
        row[8] = datetime.combine(r.posted_at, time())
        row[9] = datetime.combine(r.expires_at, time()) if r.expires_at else None
        row[11] = int(r.headcount) if r.headcount.isdigit() else r.headcount
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return _stable_zip(buf.getvalue())


def _stable_zip(data: bytes) -> bytes:
    """The same workbook as the same bytes: openpyxl stamps the save time into the zip and core.xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2026-11-20T00:00:00Z", content)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(2026, 11, 20, 0, 0, 0)), content,
                         zipfile.ZIP_DEFLATED)
    return out.getvalue()


def render_xml(recs: list[Record]) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<jobs>"]
    for r in recs:
        parts = [] if r.malformed == "missing_id" else [f"  <id>{escape(r.native_id)}</id>"]
        parts += [
            f"  <title>{escape(r.title)}</title>", f"  <company>{escape(r.employer)}</company>",
            f"  <creditCode>{escape(r.uscc)}</creditCode>", f"  <salary>{escape(r.salary)}</salary>",
            f"  <address>{escape(r.address)}</address>", f"  <phone>{escape(r.phone)}</phone>",
            f"  <contact>{escape(r.contact)}</contact>", f"  <publishDate>{r.posted_at}</publishDate>",
            f"  <updated>{r.updated_at:%Y-%m-%dT%H:%M:%S}+08:00</updated>",
            f"  <endDate>{r.expires_at or ''}</endDate>", f"  <type>{escape(r.kind)}</type>",
            f"  <num>{escape(r.headcount)}</num>",
            "  <description><![CDATA[" + r.description.replace("]]>", "]]]]><![CDATA[>") + "]]></description>",
        ]
        out.append("<job>\n" + "\n".join(parts) + "\n</job>")
    out.append("</jobs>\n")
    return "\n".join(out).encode("utf-8")


class AgencyFeedsSite(Site):
    name, env_var = "agencies", "LINGONG_SANDBOX_AGENCIES_URL"
    FEEDS: ClassVar[dict[str, tuple[str, str]]] = {
        "/gz_labour/jobs.csv": ("feed_gz_labour", "csv"), "/fs_hr/jobs.xlsx": ("feed_fs_hr", "xlsx"),
        "/zh_service/jobs.xml": ("feed_zh_service", "xml")}

    def __init__(self, state: State) -> None:
        super().__init__(state)
        self._cache: dict[tuple[str, int], bytes] = {}
        self._lock = threading.Lock()

    def render(self, path: str, day: int) -> bytes:
        with self._lock:
            cached = self._cache.get((path, day))
        if cached is not None:
            return cached
        source_id, fmt = self.FEEDS[path]
        recs = sorted(self.state.province.listing(source_id, day), key=lambda r: r.native_id)
        if fmt == "csv":
            body = render_csv(recs)
        elif fmt == "xlsx":
            body = render_xlsx(recs)
        else:
            body = render_xml(recs)
        with self._lock:
            if len(self._cache) > 12:
                self._cache.clear()
            self._cache[(path, day)] = body
        return body

    def handle(self, req: Request) -> Response:
        if req.path not in self.FEEDS:
            return not_found()
        day = self.state.day
        body = self.render(req.path, day)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        modified = datetime.combine(self.state.today(), time(6), tzinfo=timezone(timedelta(hours=8)))
        headers = {"Content-Type": _TYPES[self.FEEDS[req.path][1]], "ETag": etag,
                   "Last-Modified": format_datetime(modified.astimezone(UTC), usegmt=True)}
        if req.headers.get("If-None-Match") == etag:
            return Response(304, b"", headers)
        return Response(200, body, headers)
