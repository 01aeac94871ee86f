"""The sandbox: the demo's sample sources served by a real HTTP server on 127.0.0.1.

``lingong demo`` starts it in a background thread and sets ``LINGONG_SANDBOX_URL``
so source files can say ``url: ${LINGONG_SANDBOX_URL}/feeds/...``;
``lingong sandbox serve`` runs it in the foreground for connector authors.
Files under ``connectors/samples/data`` are served at ``/feeds/<name>``.
"""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SAMPLES_DATA = Path(__file__).resolve().parent / "samples" / "data"


class _Handler(SimpleHTTPRequestHandler):
    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0].split("#", 1)[0]
        if not path.startswith("/feeds/"):
            return str(Path(self.directory) / "__missing__")
        name = path.removeprefix("/feeds/")
        if "/" in name or name.startswith("."):
            return str(Path(self.directory) / "__missing__")
        return str(Path(self.directory) / name)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the demo prints its own progress


class Sandbox:
    """A running sandbox server. Use as a context manager, or call ``start``/``stop``."""

    def __init__(self, port: int = 0, data_dir: Path = SAMPLES_DATA) -> None:
        handler = partial(_Handler, directory=str(data_dir))
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="lingong-sandbox", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Sandbox:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
