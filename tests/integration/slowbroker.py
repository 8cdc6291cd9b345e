"""A tansu broker behind a loopback TCP proxy that can delay the broker's answers or cut
the link: the broker has the records, the producer does not hear the acknowledgement.

tansu advertises the proxy's port, so every client connection goes through the proxy.
"""

from __future__ import annotations

import queue
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

from tests.integration.tcpproxy import TcpProxy
from wirewatch.embedded import free_port, tansu_binary


class DelayProxy(TcpProxy):
    """A :class:`TcpProxy` that holds the broker's answers for ``delay`` seconds."""

    def __init__(self, listen_port: int, upstream_port: int) -> None:
        self.delay = 0.0
        super().__init__("127.0.0.1", upstream_port, port=listen_port)

    def _pump(self, src: socket.socket, dst: socket.socket, answers: bool) -> None:
        if not answers:
            super()._pump(src, dst, answers)
            return
        held: queue.Queue[tuple[float, bytes] | None] = queue.Queue()

        def deliver() -> None:
            while (item := held.get()) is not None:
                arrived, data = item
                wait = arrived + self.delay - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                try:
                    dst.sendall(data)
                except OSError:
                    return

        threading.Thread(target=deliver, daemon=True).start()
        try:
            while data := src.recv(65536):
                held.put((time.monotonic(), data))
        except OSError:
            pass
        finally:
            held.put(None)


class SlowBroker:
    def __init__(self, log_dir: Path) -> None:
        self.broker_port = free_port()
        self.proxy_port = free_port()
        self.log_path = log_dir / "tansu.log"
        log_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    str(tansu_binary()),
                    "broker",
                    "--listener-url",
                    f"tcp://127.0.0.1:{self.broker_port}",
                    "--advertised-listener-url",
                    f"tcp://127.0.0.1:{self.proxy_port}",
                    "--storage-engine",
                    "memory://tansu/",
                    "--cluster-id",
                    f"slow-{uuid.uuid4().hex[:8]}",
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
            )
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.broker_port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"tansu did not start; see {self.log_path}") from None
                time.sleep(0.1)
        self.proxy = DelayProxy(self.proxy_port, self.broker_port)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.proxy_port}"

    def stop(self) -> None:
        self.proxy.close()
        self.proc.send_signal(2)  # tansu ignores SIGTERM while clients are connected
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
