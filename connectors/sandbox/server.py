"""``Sandbox``: every site of the sandbox province, each on its own port of 127.0.0.1.

One server per site, so that each site is its own host (``127.0.0.1:<port>``): its own
robots.txt, its own per-host politeness. The agency feeds share one host on purpose
(three sources, one host). The *main* server (``Sandbox.url``) serves the demo's
static feed files under ``/feeds/`` and the admin endpoints:

* ``GET  /admin/state``            seed, size, day, date, site URLs
* ``POST /admin/advance?days=1``   move the province on (postings appear, change, close)
* ``GET  /admin/truth[?day=N]``    ground truth (``Province.truth``; ``seekers``: ``SeekerRegistry.truth``)
* ``GET  /admin/counters``         requests per site and path; ``POST /admin/counters/reset``
* ``POST /admin/expire-tokens``    expire every portal token now
"""

from __future__ import annotations

import json
import mimetypes
import threading
from pathlib import Path
from typing import Any

from connectors.sandbox.feeds import AgencyFeedsSite
from connectors.sandbox.html_sites import BaiyunSite, DongguanJobSite, NanhaiSite, XiangzhouSite
from connectors.sandbox.portal import PortalSite
from connectors.sandbox.province import Province
from connectors.sandbox.seekers import SeekerRegistry
from connectors.sandbox.web import Request, Response, Site, State, not_found

SAMPLES_DATA = Path(__file__).resolve().parent.parent / "samples" / "data"
PORTAL_SECRET_ENV = "LINGONG_SANDBOX_PORTAL_SECRET"
_POLL = 0.1  # seconds: how fast stop() returns


def _json(doc: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(doc, ensure_ascii=False).encode(), {"Content-Type": "application/json"})


class MainSite(Site):
    name, env_var = "main", "LINGONG_SANDBOX_URL"

    def __init__(self, state: State, sandbox: Sandbox, data_dir: Path) -> None:
        super().__init__(state)
        self.sandbox, self.data_dir = sandbox, data_dir

    def handle(self, req: Request) -> Response:
        if req.path.startswith("/feeds/"):
            name = req.path.removeprefix("/feeds/")
            f = self.data_dir / name
            if "/" in name or name.startswith(".") or not f.is_file():
                return not_found()
            ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return Response(200, f.read_bytes(), {"Content-Type": ctype})
        sb = self.sandbox
        if req.path == "/admin/state":
            return _json(sb.state_doc())
        if req.path == "/admin/truth":
            day = req.arg("day")
            return _json(sb.truth(int(day) if day.lstrip("-").isdigit() else None))
        if req.path == "/admin/counters":
            return _json({name: dict(site.requests) for name, site in sb.sites.items()})
        if req.method != "POST":
            return not_found()
        if req.path == "/admin/advance":
            days = req.arg("days", "1")
            sb.advance_day(int(days) if days.isdigit() else 1)
            return _json(sb.state_doc())
        if req.path == "/admin/counters/reset":
            sb.reset_counters()
            return _json({"ok": True})
        if req.path == "/admin/expire-tokens":
            sb.portal.expire_tokens()
            return _json({"ok": True})
        return not_found()


class Sandbox:
    """The running sandbox province. A context manager, or ``start``/``stop``.

    ``port=0`` picks free ports; a fixed ``port`` puts the main server there and the sites
    on the next six ports (baiyun, xiangzhou, nanhai, portal, agencies, jobsite).
    ``data_dir`` is what ``/feeds/`` serves (tests point it at a temporary directory).
    """

    SITE_ORDER = ("baiyun", "xiangzhou", "nanhai", "portal", "agencies", "jobsite")

    def __init__(self, port: int = 0, data_dir: Path = SAMPLES_DATA, *, seed: int = 20261120, size: int = 400,
                 day: int = 0, page_size: int = 20, token_ttl: float = 600.0, rate: float = 20.0, burst: int = 40,
                 portal_secret: str = "sandbox-secret") -> None:
        self.province = Province(seed, size)
        self.seekers = SeekerRegistry(seed, size)
        self._state = State(self.province, day, page_size)
        self.portal = PortalSite(self._state, secret=portal_secret, token_ttl=token_ttl, rate=rate, burst=burst,
                                 seekers=self.seekers)
        self.portal_secret = portal_secret
        sites: list[Site] = [BaiyunSite(self._state), XiangzhouSite(self._state), NanhaiSite(self._state),
                             self.portal, AgencyFeedsSite(self._state), DongguanJobSite(self._state)]
        self.main = MainSite(self._state, self, data_dir)
        self.sites: dict[str, Site] = {"main": self.main, **{s.name: s for s in sites}}
        try:
            for k, site in enumerate(self.sites.values()):
                site.bind(port + k if port else 0)
        except OSError:
            self._close_servers()
            raise
        self._threads: list[threading.Thread] = []
        self.thread = threading.Thread(target=self._serve_main, name="lingong-sandbox", daemon=True)

    # --- where things are ---

    @property
    def url(self) -> str:
        """The main server: ``/feeds/`` and ``/admin/``."""
        return self.main.url

    @property
    def urls(self) -> dict[str, str]:
        return {name: site.url for name, site in self.sites.items()}

    def env(self) -> dict[str, str]:
        """Environment variables the sandbox source files use (``${LINGONG_SANDBOX_…}``)."""
        out = {site.env_var: site.url for site in self.sites.values()}
        out[PORTAL_SECRET_ENV] = self.portal_secret
        return out

    def site(self, name: str) -> Site:
        return self.sites[name]

    # --- time and truth ---

    @property
    def day(self) -> int:
        return self._state.day

    def advance_day(self, days: int = 1) -> int:
        """Move the province on by ``days``; returns the new day. Safe while serving."""
        return self._state.advance(days)

    def truth(self, day: int | None = None) -> dict[str, Any]:
        """``Province.truth`` and, under ``seekers``, ``SeekerRegistry.truth`` (the 求职登记 the portal shares)."""
        day = self.day if day is None else day
        return {**self.province.truth(day), "seekers": self.seekers.truth(day)}

    def reset_counters(self) -> None:
        for site in self.sites.values():
            site.reset_counters()

    def state_doc(self) -> dict[str, Any]:
        return {"seed": self.province.seed, "size": self.province.size, "day": self.day,
                "date": self._state.today().isoformat(), "sites": self.urls, "env": self.env()}

    # --- lifecycle ---

    def _serve_main(self) -> None:
        assert self.main.server is not None
        self.main.server.serve_forever(_POLL)

    def start(self) -> Sandbox:
        for name, site in self.sites.items():
            if name != "main":
                assert site.server is not None
                t = threading.Thread(target=site.server.serve_forever, args=(_POLL,), name=f"lingong-sandbox-{name}",
                                     daemon=True)
                t.start()
                self._threads.append(t)
        self.thread.start()
        return self

    def _close_servers(self) -> None:
        for site in self.sites.values():
            if site.server is not None:
                site.server.server_close()

    def stop(self) -> None:
        if self.thread.is_alive():  # shutdown() of a server that never served would wait forever
            stoppers = [threading.Thread(target=site.server.shutdown) for site in self.sites.values()
                        if site.server is not None]
            for t in stoppers:
                t.start()
            for t in stoppers:
                t.join()
        self._close_servers()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
