"""Real local receivers for alert deliveries: an HTTP server (webhook, Slack) and an SMTP
server (aiosmtpd), both on 127.0.0.1 and free ports."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from wirewatch.embedded import free_port


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when it arrived

    def json(self) -> Any:
        return json.loads(self.body)


class HttpReceiver:
    """Records every POST. ``fail_next(n)`` answers the next n with 500; ``hang()`` keeps
    every request open (never answers) until ``release()``."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.attempts = 0
        self._failures = 0
        self._released = threading.Event()
        self._released.set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.attempts += 1
                    fail = receiver._failures > 0
                    if fail:
                        receiver._failures -= 1
                receiver._released.wait(30)
                status = 500 if fail else 200
                if not fail:
                    with receiver._lock:
                        receiver.requests.append(
                            Request(self.path, dict(self.headers.items()), body, time.time())
                        )
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def fail_next(self, n: int) -> None:
        with self._lock:
            self._failures = n

    def hang(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def received(self) -> list[Request]:
        with self._lock:
            return list(self.requests)

    def close(self) -> None:
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler:
    def __init__(self, receiver: SmtpReceiver) -> None:
        self.receiver = receiver

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        with self.receiver.lock:
            self.receiver.messages.append(
                (list(envelope.rcpt_tos), message_from_bytes(data), time.time())
            )
        return "250 Message accepted for delivery"


class SmtpReceiver:
    """A real SMTP server (aiosmtpd) that keeps every message it accepts."""

    def __init__(self) -> None:
        # aiosmtpd logs "%r connection lost" with a tuple argument that logging cannot format.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.messages: list[tuple[list[str], Message, float]] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def received(self) -> list[tuple[list[str], Message, float]]:
        with self.lock:
            return list(self.messages)

    def close(self) -> None:
        self.controller.stop()
