"""A throwaway HTTP server on loopback answering fixed responses per path, for CLI tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = tuple[int, str]  # status, JSON or text body


@contextmanager
def serving(answers: dict[str, Answer]) -> Iterator[str]:
    """Serve `answers` (path -> status and body) on a free port; yield the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            status, body = answers.get(self.path, (404, "not found"))
            raw = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: object) -> None:
            pass

    with running(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as base_url:
        yield base_url


@contextmanager
def running(server: ThreadingHTTPServer, scheme: str = "http") -> Iterator[str]:
    """Serve `server` (bound to a loopback port) from a daemon thread; yield its base URL;
    shut it down and close its socket afterwards."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{scheme}://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
