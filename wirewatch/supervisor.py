"""``wirewatch run``: the embedded services and the three stages, started and stopped together.

Each stage is its own process (as in production), in its own session so a terminal's Ctrl-C
reaches only this supervisor, which then stops things in order: stages first (so they flush
and commit), then a last export of the embedded index, then the servers. Every child dies
with the supervisor if it is killed (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from wirewatch import runfile
from wirewatch.elastic import make_client
from wirewatch.embedded import Osmem, Tansu, die_with_parent, free_port
from wirewatch.errors import ServiceError
from wirewatch.kafka import ensure_topics
from wirewatch.settings import Settings
from wirewatch.snapshot import export_indices, seed_source

log = logging.getLogger(__name__)

STAGES = ("produce", "process", "sink")
_STAGE_STOP_GRACE = 6.0
_RESTART_BACKOFF_MAX = 30.0


@dataclass
class Stage:
    name: str  # the wirewatch command that runs it
    metrics_port: int
    label: str = ""  # unique among the stages, e.g. "process-2"
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = field(default_factory=time.monotonic)


class Pipeline:
    def __init__(self, settings: Settings, config_file: Path | None = None) -> None:
        self.settings = settings
        self.config_file = config_file
        self.log_dir = settings.data_dir / "logs"
        self.snapshot_dir = settings.data_dir / "index"
        self.tansu: Tansu | None = None
        self.osmem: Osmem | None = None
        self.kafka_url = settings.kafka.url or ""
        self.es_url = settings.elasticsearch.url or ""
        self.stages = [
            Stage(name, free_port(settings.metrics_host), label)
            for name in STAGES
            for label in self._labels(name)
        ]
        self.stopping = threading.Event()

    def _labels(self, name: str) -> list[str]:
        # Faust workers of one app split the partitions; spaCy wants one core each.
        if name == "process" and self.settings.processor.workers > 1:
            return [f"process-{n}" for n in range(1, self.settings.processor.workers + 1)]
        return [name]

    # -- start -------------------------------------------------------------------------------

    def start(self) -> None:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.kafka_url:
            self.tansu = Tansu(self.log_dir, self.settings.embedded.tansu_bin).start()
            self.kafka_url = self.tansu.bootstrap
        if not self.es_url:
            seed = seed_source(self.snapshot_dir)
            self.osmem = Osmem(
                self.log_dir, self.settings.embedded.osmem_bin, seed_dir=seed
            ).start()
            self.es_url = self.osmem.url
        ensure_topics(self.kafka_url, self.settings.kafka)
        for stage in self.stages:
            self._spawn(stage)
        self._record()

    def _child_env(self, stage: Stage) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "WIREWATCH_DATA_DIR": str(self.settings.data_dir),
                "WIREWATCH_KAFKA__URL": self.kafka_url,
                "WIREWATCH_ELASTICSEARCH__URL": self.es_url,
                "WIREWATCH_METRICS_PORT": str(stage.metrics_port),
            }
        )
        if self.settings.producer.feeds_file:
            env["WIREWATCH_PRODUCER__FEEDS_FILE"] = str(self.settings.producer.feeds_file)
        if self.config_file:
            env["WIREWATCH_CONFIG"] = str(self.config_file)
        return env

    def _spawn(self, stage: Stage) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "wirewatch", stage.name]
        # Stage logs go to the terminal (stderr) like the supervisor's own lines.
        stage.proc = subprocess.Popen(
            cmd,
            env=self._child_env(stage),
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        stage.started_at = time.monotonic()
        log.info("stage started", extra={"stage": stage.label, "pid": stage.proc.pid})

    def _record(self) -> None:
        host = self.settings.metrics_host
        info = runfile.RunInfo(
            pid=os.getpid(),
            kafka_url=self.kafka_url,
            elasticsearch_url=self.es_url,
            index_alias=self.settings.elasticsearch.index_prefix,
            embedded_kafka=self.tansu is not None,
            embedded_elasticsearch=self.osmem is not None,
            service_pids={
                name: svc.pid for name, svc in (("tansu", self.tansu), ("osmem", self.osmem)) if svc
            },
            stages={
                s.label: runfile.StageInfo(
                    pid=s.proc.pid if s.proc else 0, metrics_url=f"http://{host}:{s.metrics_port}"
                )
                for s in self.stages
            },
        )
        runfile.write(self.settings.run_file, info)

    def endpoints(self) -> list[tuple[str, str]]:
        kafka = f"{self.kafka_url}" + (" (embedded tansu)" if self.tansu else "")
        es = f"{self.es_url}" + (" (embedded osmem)" if self.osmem else "")
        host = self.settings.metrics_host
        rows = [
            ("Kafka", kafka),
            ("Elasticsearch", es),
            ("Index alias", self.settings.elasticsearch.index_prefix),
        ]
        rows += [
            (f"{s.label} metrics", f"http://{host}:{s.metrics_port}/metrics") for s in self.stages
        ]
        rows += [("Data directory", str(self.settings.data_dir))]
        return rows

    # -- supervise ---------------------------------------------------------------------------

    def _watch_stages(self) -> None:
        now = time.monotonic()
        for stage in self.stages:
            if stage.proc is None:
                if now >= stage.next_start:
                    self._spawn(stage)
                    self._record()
                continue
            code = stage.proc.poll()
            if code is None:
                if now - stage.started_at > 60:
                    stage.restarts = 0  # it has been healthy for a while
                continue
            stage.restarts += 1
            delay = min(_RESTART_BACKOFF_MAX, 2.0**stage.restarts)
            log.error(
                "stage exited unexpectedly; restarting",
                extra={"stage": stage.label, "code": code, "restart_in_s": delay},
            )
            stage.proc = None
            stage.next_start = now + delay

    def snapshot(self) -> None:
        if self.osmem is None:
            return
        try:
            client = make_client(self.es_url, self.settings.elasticsearch)
            try:
                count = export_indices(
                    client, f"{self.settings.elasticsearch.index_prefix}-*", self.snapshot_dir
                )
            finally:
                client.close()
            log.debug("embedded index exported", extra={"documents": count})
        except ServiceError as exc:
            log.warning("embedded index export failed", extra={"error": str(exc)})

    def supervise(self) -> None:
        last_snapshot = time.monotonic()
        while not self.stopping.wait(0.5):
            self._watch_stages()
            if time.monotonic() - last_snapshot >= self.settings.embedded.snapshot_seconds:
                self.snapshot()
                last_snapshot = time.monotonic()

    # -- stop --------------------------------------------------------------------------------

    def stop(self) -> None:
        self.stopping.set()
        running = [s.proc for s in self.stages if s.proc is not None and s.proc.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + _STAGE_STOP_GRACE
        for proc in running:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("stage did not stop in time; killing it", extra={"pid": proc.pid})
                proc.kill()
                proc.wait()
        self.snapshot()
        for service in (self.osmem, self.tansu):
            if service is not None:
                service.stop()
        self.settings.run_file.unlink(missing_ok=True)
        log.info("wirewatch stopped")
