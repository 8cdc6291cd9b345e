"""A tansu broker behind a loopback TCP proxy that can delay the broker's answers or cut
the link: the broker has the records, the producer does not hear the acknowledgement.

tansu advertises the proxy's port, so every client connection goes through the proxy.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

from wirewatch.embedded import free_port, tansu_binary


class DelayProxy:
    def __init__(self, listen_port: int, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.port = listen_port
        self.delay = 0.0
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._listen()

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # cut while this one was being accepted
                    client.close()
                    upstream.close()
                    return
                self._conns += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, delayed: bool) -> None:
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

        if delayed:
            threading.Thread(target=deliver, daemon=True).start()
        try:
            while data := src.recv(65536):
                if delayed:
                    held.put((time.monotonic(), data))
                else:
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            held.put(None)

    def cut(self) -> None:
        """Close the listener and every connection: the broker is unreachable."""
        with self._lock:
            conns, self._conns = self._conns, []
            listener, self._listener = self._listener, None
        for sock in [*conns, *([listener] if listener else [])]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        self._listen()

    def close(self) -> None:
        self.cut()


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
