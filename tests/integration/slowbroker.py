"""A tansu broker behind a loopback TCP proxy that can delay the broker's answers or cut
the link: the broker has the records, the producer does not hear the acknowledgement.

tansu advertises the proxy's port, so every client connection goes through the proxy.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from pathlib import Path

from tests.integration.tcpproxy import TcpProxy
from wirewatch.embedded import Tansu, free_port


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
    """tansu advertising the proxy's port, so every client connection goes through it."""

    def __init__(self, log_dir: Path) -> None:
        proxy_port = free_port()
        self.tansu = Tansu(log_dir, advertised_port=proxy_port).start()
        self.proxy = DelayProxy(proxy_port, self.tansu.port)

    @property
    def bootstrap(self) -> str:
        return self.tansu.bootstrap

    def stop(self) -> None:
        self.proxy.close()
        self.tansu.stop()
