"""Fixtures of the operations tests: the assets catalogue, a local webhook receiver, fast
retries, and loopback allow-listed for the SSRF guard."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.assets.conftest import catalogue, make_asset  # noqa: F401 - fixtures


@dataclass
class Received:
    """One request the receiver got."""

    at: float
    path: str
    headers: dict[str, str]
    body: bytes
    wall: float = 0.0


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 that answers ``statuses`` in turn (then 200)."""

    url: str
    statuses: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return len(self.requests) >= count


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.requests.append(
                Received(time.monotonic(), self.path, dict(self.headers.items()), body, time.time())
            )
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _operations_settings(settings: Any) -> None:
    settings.ASSETGRAPH_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.ASSETGRAPH_WEBHOOK_RETRY_BASE_SECONDS = 0.05
    settings.ASSETGRAPH_JOB_RETRY_BASE_SECONDS = 0.0
