"""Start and stop an osmem-server process (the binary the osmem-server wheel ships)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from typing import Any


class OsmemProcess:
    """One osmem-server process. ``addr`` 127.0.0.1:0 picks a free port."""

    def __init__(self, addr: str = "127.0.0.1:0") -> None:
        from osmem_server import resolve_binary  # type: ignore[import-untyped]

        self.proc = subprocess.Popen(
            [resolve_binary(), "--addr", addr, "--parent-pid", str(os.getpid()), "--no-ja"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        ready: dict[str, Any] = {}

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:  # keep draining so the server never blocks on a full pipe
                if not ready and line.startswith("{"):
                    ready.update(json.loads(line))
                    started.set()
            started.set()

        started = threading.Event()
        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        if not started.wait(30) or not ready:
            self.proc.kill()
            raise RuntimeError("osmem-server did not report ready within 30 s")
        self.url: str = ready["url"]
        self.addr = self.url.removeprefix("http://")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self._reader.join(10)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe:
                pipe.close()
