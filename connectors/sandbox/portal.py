"""portal_yuegong: a provincial 零工 portal JSON API in the style of 就在江苏.

* ``POST /api/v1/token`` with ``client_id`` and ``client_secret`` (form or JSON body)
  → ``{"code": 0, "data": {"access_token": …, "expires_in": ttl}}``; wrong secret → 401.
* ``GET /api/v1/jobs?page=1&size=50&updatedSince=2026-11-20 08:00:00`` with
  ``Authorization: Bearer <token>`` → ``{"code": 0, "data": {"total", "page", "size",
  "items": […]}}``, oldest update first, ``size`` at most 100; ``updatedSince`` keeps the
  items updated strictly after it (``YYYY-MM-DD[ T]HH:MM:SS``, a trailing offset ignored;
  a bare date is midnight). Missing token → 401 ``token required``, expired → 401
  ``token expired``.
* Over ``rate`` requests a second (a token bucket of ``burst`` per client) → 429 with
  ``Retry-After`` (whole seconds).
* ``GET /job/<jobId>`` is the human page each item's ``detailUrl`` points at.
* ``GET /api/v1/seekers?page=1&size=100`` (same token, same rate): the province's 求职登记
  (``connectors.sandbox.seekers``), registered at the county 零工市场 and shared with the portal,
  oldest registration first: ``{"regId", "name", "phone", "regionCode", "regionName",
  "wantedJobs": [{"code", "name"}], "expectedPay", "availableDays", "availableHours",
  "registeredAt", "market"}``. Names and phones are synthetic.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import Any
from urllib.parse import parse_qs

from connectors.sandbox.province import Record
from connectors.sandbox.seekers import Registration, SeekerRegistry
from connectors.sandbox.web import Request, Response, Site, State, esc, html, not_found, paginate


def _json(status: int, doc: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(doc, ensure_ascii=False).encode()
    return Response(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


class PortalSite(Site):
    name, env_var = "portal", "LINGONG_SANDBOX_PORTAL_URL"
    source_id = "portal_yuegong"

    def __init__(self, state: State, *, secret: str = "sandbox-secret", token_ttl: float = 600.0,
                 rate: float = 20.0, burst: int = 40, seekers: SeekerRegistry | None = None) -> None:
        super().__init__(state)
        self.seekers = seekers or SeekerRegistry(state.province.seed, state.province.size)
        self.secret, self.token_ttl, self.rate, self.burst = secret, token_ttl, rate, burst
        self._tokens: dict[str, float] = {}  # token → monotonic expiry
        self._buckets: dict[str, tuple[float, float]] = {}  # client → (tokens left, last refill)
        self._lock = threading.Lock()
        self._issued = 0
        self.rejected = 0  # 429s sent

    def expire_tokens(self) -> None:
        """Make every issued token expired now (tests; also ``POST /admin/expire-tokens``)."""
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, 0.0)

    def _allow(self, client: str) -> float:
        """0 when the request may go on, else seconds to wait."""
        now = time.monotonic()
        with self._lock:
            left, last = self._buckets.get(client, (float(self.burst), now))
            left = min(float(self.burst), left + (now - last) * self.rate)
            if left >= 1.0:
                self._buckets[client] = (left - 1.0, now)
                return 0.0
            self._buckets[client] = (left, now)
            self.rejected += 1
            return (1.0 - left) / self.rate

    def handle(self, req: Request) -> Response:
        if req.path == "/api/v1/token":
            return self._token(req)
        if req.path in ("/api/v1/jobs", "/api/v1/seekers"):
            auth = req.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
            wait = self._allow(token or req.headers.get("X-Forwarded-For", "anon"))
            if wait:
                return _json(429, {"code": 429, "msg": "请求过于频繁，请稍后再试"},
                             {"Retry-After": str(max(1, round(wait + 0.5)))})
            with self._lock:
                expiry = self._tokens.get(token)
            if not token or expiry is None:
                return _json(401, {"code": 401, "msg": "token required"})
            if time.monotonic() >= expiry:
                return _json(401, {"code": 401, "msg": "token expired"})
            return self._jobs(req) if req.path == "/api/v1/jobs" else self._seekers(req)
        if req.path.startswith("/job/"):
            rec = self.state.province.find(self.source_id, req.path.removeprefix("/job/"), self.state.day)
            if rec is None:
                return not_found()
            return html(f"<html><body><h1>{esc(rec.title)}</h1><p>{esc(rec.employer)}</p></body></html>")
        return not_found()

    def _token(self, req: Request) -> Response:
        if req.method != "POST":
            return _json(405, {"code": 405, "msg": "POST required"}, {"Allow": "POST"})
        form: dict[str, Any]
        if "json" in req.headers.get("Content-Type", ""):
            try:
                form = json.loads(req.body or b"{}")
            except ValueError:
                return _json(400, {"code": 400, "msg": "bad json"})
        else:
            form = {k: v[0] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
        if not form.get("client_id") or form.get("client_secret") != self.secret:
            return _json(401, {"code": 401, "msg": "invalid client"})
        with self._lock:
            self._issued += 1
            token = hashlib.sha256(f"{form['client_id']}/{self._issued}/{time.time_ns()}".encode()).hexdigest()[:32]
            self._tokens[token] = time.monotonic() + self.token_ttl
        return _json(200, {"code": 0, "msg": "ok", "data": {
            "access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl}})

    def _jobs(self, req: Request) -> Response:
        try:
            page = int(req.arg("page", "1"))
            size = min(100, max(1, int(req.arg("size", "20"))))
        except ValueError:
            return _json(400, {"code": 400, "msg": "page and size must be integers"})
        recs = list(reversed(self.state.province.listing(self.source_id, self.state.day)))
        since = req.arg("updatedSince").strip()
        if since:
            bound = since.replace("T", " ")[:19]
            if len(bound) == 10:
                bound += " 00:00:00"
            recs = [r for r in recs if f"{r.updated_at:%Y-%m-%d %H:%M:%S}" > bound]
        items, _ = paginate(recs, page, size)
        return _json(200, {"code": 0, "msg": "ok", "data": {
            "total": len(recs), "page": page, "size": size, "items": [self._item(r) for r in items]}})

    def _seekers(self, req: Request) -> Response:
        try:
            page = int(req.arg("page", "1"))
            size = min(100, max(1, int(req.arg("size", "20"))))
        except ValueError:
            return _json(400, {"code": 400, "msg": "page and size must be integers"})
        regs = self.seekers.listing(self.state.day)
        items, _ = paginate(regs, page, size)
        return _json(200, {"code": 0, "msg": "ok", "data": {
            "total": len(regs), "page": page, "size": size, "items": [_registration(r) for r in items]}})

    def _item(self, r: Record) -> dict[str, Any]:
        item: dict[str, Any] = {
            "jobId": r.native_id, "title": r.title or None,
            "company": {"name": r.employer, "creditCode": r.uscc or None},
            "salaryText": r.salary, "workAddress": r.address, "regionCode": r.county,
            "contact": {"name": r.contact, "phone": r.phone},
            "publishTime": f"{r.posted_at} 00:00:00", "updatedAt": f"{r.updated_at:%Y-%m-%d %H:%M:%S}",
            "expireDate": r.expires_at.isoformat() if r.expires_at else None,
            "jobType": r.kind, "headcount": int(r.headcount) if r.headcount.isdigit() else r.headcount,
            "description": r.description, "detailUrl": f"{self.url}/job/{r.native_id}",
        }
        return item


def _registration(r: Registration) -> dict[str, Any]:
    return {
        "regId": r.native_id, "name": r.name, "phone": r.phone or None, "regionCode": r.region,
        "regionName": r.region_name, "wantedJobs": [{"code": c, "name": n} for c, n in r.wants],
        "expectedPay": r.min_pay or None, "availableDays": r.days, "availableHours": r.hours or None,
        "registeredAt": "待核实" if r.malformed == "bad_date" else f"{r.registered_at:%Y-%m-%d %H:%M:%S}",
        "market": r.market,
    }
