"""``wirewatch kibana import`` against a local HTTP server that answers like Kibana's
saved objects ``_import`` API (no Kibana runs here; the request and report are what we check).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.integration.stages import clean_env

pytestmark = pytest.mark.integration


class FakeKibana:
    def __init__(self, fail_ids: set[str]) -> None:
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
                message = BytesParser(policy=HTTP).parsebytes(head + body)
                part = next(iter(message.iter_parts()))
                objects = [json.loads(line) for line in part.get_payload(decode=True).splitlines()]
                outer.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "objects": objects}
                )
                ok = [o for o in objects if o["id"] not in fail_ids]
                answer = {
                    "success": not fail_ids,
                    "successCount": len(ok),
                    "successResults": [
                        {
                            "type": o["type"],
                            "id": o["id"],
                            "meta": {"title": o["attributes"]["title"]},
                        }
                        for o in ok
                    ],
                    "errors": [
                        {"type": o["type"], "id": o["id"], "error": {"type": "missing_references"}}
                        for o in objects
                        if o["id"] in fail_ids
                    ],
                }
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"


def _kibana(fail_ids: set[str]) -> Iterator[FakeKibana]:
    server = FakeKibana(fail_ids)
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def kibana() -> Iterator[FakeKibana]:
    yield from _kibana(set())


@pytest.fixture
def broken_kibana() -> Iterator[FakeKibana]:
    yield from _kibana({"wirewatch-desk"})


def _import(url: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wirewatch", "kibana", "import", "--url", url, "--space", "desk"],
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_import_posts_every_object_with_credentials_and_reports_each(kibana: FakeKibana) -> None:
    done = _import(
        kibana.url,
        WIREWATCH_ELASTICSEARCH__USERNAME="desk",
        WIREWATCH_ELASTICSEARCH__PASSWORD="s3cret-pw",
        WIREWATCH_ELASTICSEARCH__INDEX_PREFIX="prod-articles",
    )
    assert done.returncode == 0, done.stderr
    (request,) = kibana.requests
    assert request["path"] == "/s/desk/api/saved_objects/_import?overwrite=true"
    assert request["headers"]["kbn-xsrf"]
    expected = "Basic " + base64.b64encode(b"desk:s3cret-pw").decode()
    assert request["headers"]["Authorization"] == expected
    views = {o["attributes"]["title"] for o in request["objects"] if o["type"] == "index-pattern"}
    assert views == {"prod-articles", "wirewatch-alerts"}  # the configured alias
    assert f"{len(request['objects'])} objects imported, 0 failed" in done.stdout
    assert "imported dashboard wirewatch-desk" in done.stdout
    assert "s3cret-pw" not in done.stdout + done.stderr


def test_import_fails_loudly_when_kibana_rejects_an_object(broken_kibana: FakeKibana) -> None:
    done = _import(broken_kibana.url)
    assert done.returncode == 1
    assert "FAILED dashboard wirewatch-desk" in done.stdout
