"""A scriptable feed server on loopback for producer tests.

Each path gets a handler: a function of the request (path, headers) returning a
:class:`Reply` — status, headers, body, and optionally a drip (the body sent in pieces with a
pause between them). Ready-made handlers cover conditional GET, redirects, throttling and
hostile bodies. Every request is recorded with its headers and arrival time.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drip: float = 0.0  # seconds between 16-byte pieces of the body
    send_length: bool = True


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    at: float


Handler = Callable[[Request], Reply]
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # many feeds connect at once; the default backlog of 5 drops some


class ScriptedServer:
    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                request = Request(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()
                )
                with server._lock:
                    server.requests.append(request)
                    handler = server.handlers.get(self.path)
                reply = handler(request) if handler else Reply(404, b"not found")
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.send_length:
                    self.send_header("Content-Length", str(len(reply.body)))
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                try:
                    if not reply.drip:
                        self.wfile.write(reply.body)
                        return
                    for i in range(0, len(reply.body), 16):
                        if server._stopping.wait(reply.drip):
                            return
                        self.wfile.write(reply.body[i : i + 16])
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def route(self, path: str, handler: Handler) -> str:
        with self._lock:
            self.handlers[path] = handler
        return self.url(path)

    def static(
        self, path: str, body: bytes | str, status: int = 200, content_type: str | None = None
    ) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        headers = {"Content-Type": content_type} if content_type else RSS
        return self.route(path, constant(Reply(status, data, headers)))

    def hits(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self._stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def constant(reply: Reply) -> Handler:
    return lambda _: reply


class Conditional:
    """A feed that answers 304 to a request carrying its current validators.

    ``mode`` is ``etag`` or ``last-modified``; ``update(body)`` publishes a new version.
    """

    def __init__(self, body: str, mode: str = "etag") -> None:
        self.mode = mode
        self.version = 0
        self.body = body.encode("utf-8")
        self.full_replies = 0

    def update(self, body: str) -> None:
        self.version += 1
        self.body = body.encode("utf-8")

    def __call__(self, request: Request) -> Reply:
        etag = f'"v{self.version}"'
        stamp = f"Mon, 0{1 + self.version % 9} Jan 2024 00:00:00 GMT"
        if self.mode == "etag":
            if request.headers.get("if-none-match") == etag:
                return Reply(304, headers={"ETag": etag})
            self.full_replies += 1
            return Reply(200, self.body, {**RSS, "ETag": etag})
        if request.headers.get("if-modified-since") == stamp:
            return Reply(304, headers={"Last-Modified": stamp})
        self.full_replies += 1
        return Reply(200, self.body, {**RSS, "Last-Modified": stamp})


def gzip_bomb(inflated: int) -> bytes:
    """``inflated`` zero bytes, gzipped (about a thousandth of the size on the wire)."""
    return gzip.compress(b"\0" * inflated, compresslevel=9)


def entity_bomb(levels: int = 10) -> bytes:
    """The billion laughs: each entity ten of the previous one."""
    decls = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(decls) + "\n]>\n"
        '<rss version="2.0"><channel><title>bomb</title>'
        f"<item><title>&lol{levels - 1};</title><link>http://bomb.example/1</link></item>"
        "</channel></rss>"
    ).encode()
