"""A local stand-in for the Daily Papers API: replays recorded days (tests/fixtures/daily_papers_api, real API
responses) page by page on 127.0.0.1, with faults to inject. Nothing here touches the internet."""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RECORDED = Path(__file__).resolve().parent / "fixtures" / "daily_papers_api"


class ReplayServer(ThreadingHTTPServer):
    """``days``: date -> items. ``faults``: a list of (date or None, status, headers) answered, one per request,
    to the next matching requests before the real answer; ``page_size``: the most items a page holds, whatever
    ``limit`` asks (a server's short pages). ``requests`` logs every (date, page) asked."""

    daemon_threads = True

    def __init__(self, days: dict[str, list], *, page_size: int | None = None):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.days, self.page_size = days, page_size
        self.faults: list[tuple[str | None, int, dict]] = []
        self.requests: list[tuple[str, int]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: ReplayServer

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        url = urllib.parse.urlparse(self.path)
        if url.path != "/api/daily_papers":
            return self._send(404, b'{"error": "not found"}')
        query = urllib.parse.parse_qs(url.query)
        day, page, limit = query["date"][0], int(query.get("p", ["0"])[0]), int(query.get("limit", ["50"])[0])
        with self.server.lock:
            self.server.requests.append((day, page))
            fault = next((f for f in self.server.faults if f[0] in (None, day)), None)
            if fault is not None:
                self.server.faults.remove(fault)
        if fault is not None:
            return self._send(fault[1], b'{"error": "injected"}', fault[2])
        size = min(limit, self.server.page_size or limit)
        items = self.server.days.get(day, [])[page * size : (page + 1) * size]
        self._send(200, json.dumps(items).encode())


def recorded_days() -> dict[str, list]:
    """The four recorded API days, by date."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(RECORDED.glob("*.json"))}


@contextlib.contextmanager
def replay_server(days: dict[str, list] | None = None, **kwargs) -> Iterator[ReplayServer]:
    with serving(ReplayServer(recorded_days() if days is None else days, **kwargs)) as server:
        yield server


@contextlib.contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[ThreadingHTTPServer]:
    """``server`` answering on a thread of its own while the block runs, then shut down."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
