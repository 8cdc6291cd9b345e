"""Prometheus metrics and a health endpoint for each long-running stage.

``GET /metrics`` serves the default registry; ``GET /healthz`` answers 200 with the stage's
health details while ``health()`` says it is healthy, 503 otherwise.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

log = logging.getLogger(__name__)

HealthCheck = Callable[[], tuple[bool, dict[str, Any]]]


class StatusServer:
    def __init__(self, host: str, port: int, health: HealthCheck) -> None:
        check = health

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/metrics"):
                    body, status, ctype = generate_latest(), 200, CONTENT_TYPE_LATEST
                elif self.path.startswith("/healthz"):
                    ok, details = check()
                    body = json.dumps({"ok": ok, **details}, default=str).encode()
                    status, ctype = (200 if ok else 503), "application/json"
                else:
                    body, status, ctype = b"not found\n", 404, "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # scrapes every few seconds would drown the real log

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, name="status-http", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> StatusServer:
        self.thread.start()
        log.info("metrics and health endpoint up", extra={"url": self.url})
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
