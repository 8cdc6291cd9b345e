"""Running the stages as separate processes, as production does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from tests.conftest import settings_env
from wirewatch.settings import Settings


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env.update(extra)
    return env


@contextmanager
def stage_with_env(
    name: str, env: dict[str, str], log_dir: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """``wirewatch NAME`` as a subprocess with exactly ``env``; SIGTERM (then kill) at exit."""
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / f"{name}.log").open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wirewatch", name], env=env, stdout=log, stderr=log
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def stage(
    name: str, settings: Settings, log_dir: Path
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """A stage configured by ``settings`` (and nothing from this process's environment)."""
    return stage_with_env(name, clean_env(**settings_env(settings)), log_dir)
