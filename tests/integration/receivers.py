"""Real local receivers for alert deliveries: an HTTP server (webhook, Slack) and an SMTP
server (aiosmtpd), both on 127.0.0.1 and free ports."""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

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
    """A real SMTP server (aiosmtpd) that keeps every message it accepts; with ``tls`` (a
    certificate and key file) it requires STARTTLS, with ``login`` (user, password) AUTH."""

    def __init__(
        self, tls: tuple[Path, Path] | None = None, login: tuple[str, str] | None = None
    ) -> None:
        # aiosmtpd logs "%r connection lost" with a tuple argument that logging cannot format.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.messages: list[tuple[list[str], Message, float]] = []
        self.lock = threading.Lock()
        self.port = free_port()
        options: dict[str, Any] = {}
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls)
            options.update(tls_context=context, require_starttls=True)
        if login is not None:

            def authenticate(
                server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
            ) -> AuthResult:
                ok = (
                    isinstance(data, LoginPassword)
                    and (
                        data.login.decode(),
                        data.password.decode(),
                    )
                    == login
                )
                return AuthResult(success=ok, handled=False)

            options.update(authenticator=authenticate, auth_required=True)
            options.setdefault("auth_require_tls", tls is not None)
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, **options
        )
        self.controller.start()

    def received(self) -> list[tuple[list[str], Message, float]]:
        with self.lock:
            return list(self.messages)

    def close(self) -> None:
        self.controller.stop()


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and its key), made with the openssl command."""
    import subprocess

    cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key
