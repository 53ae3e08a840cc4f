"""Several stream workers in one Redis consumer group: each event scored by one of them.

Redis hands each new event to one consumer of the group (``XREADGROUP``); an event a consumer
took but never acknowledged stays pending, and once it has been idle for ``min_idle_ms`` another
consumer takes it over (``XAUTOCLAIM``). So a consumer killed mid-stream loses nothing: what it
held is scored by the others, and the store's upsert by application id stores it once.
Each consumer is ``apps.stream_worker``, the chapter 05 worker, as its own process.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from workshop_lib import paths
from workshop_lib.support.process_tree import tree_memory


@dataclass
class ConsumerGroup:
    """Running consumers: their processes, names, and the group's peak memory (bytes)."""

    processes: dict[str, subprocess.Popen[bytes]]
    logs: dict[str, Path]
    peak_bytes: int = 0
    killed: list[str] = field(default_factory=list)

    def sample_memory(self) -> None:
        total = 0
        for process in self.processes.values():
            if process.poll() is None:
                total += tree_memory(psutil.Process(process.pid))[0]
        self.peak_bytes = max(self.peak_bytes, total)

    def wait_until_reading(self, requests: Any, timeout: float = 120.0) -> None:
        """Block until every consumer has joined the group (its first read reached Redis)."""
        deadline = time.monotonic() + timeout
        names = set(self.processes)
        while True:
            joined = {
                c["name"] for c in requests.client.xinfo_consumers(requests.stream, requests.group)
            }
            if names <= joined:
                return
            exited = [n for n, p in self.processes.items() if p.poll() is not None]
            if exited or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"consumers {sorted(names - joined)} never read the stream "
                    f"(exited: {exited}); see {self.logs}"
                )
            self.sample_memory()
            time.sleep(0.2)

    def wait(self, timeout: float = 120.0) -> dict[str, dict[str, Any]]:
        """Wait for every consumer to stop; return each survivor's printed summary."""
        deadline = time.monotonic() + timeout
        while any(p.poll() is None for p in self.processes.values()):
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"consumers still running after {timeout} s")
            self.sample_memory()
            time.sleep(0.2)
        summaries = {}
        for name, process in self.processes.items():
            output = self.logs[name].read_text()
            if process.returncode == -signal.SIGKILL:  # a crash drill: it killed itself
                self.killed.append(name)
                continue
            if process.returncode != 0:
                raise RuntimeError(f"consumer {name} exited with {process.returncode}: {output}")
            summaries[name] = json.loads(output.strip().splitlines()[-1])
        return summaries

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()


def start_consumers(
    redis_url: str,
    store_url: str,
    registry: Path,
    count: int = 3,
    *,
    stream: str = "loan-applications",
    min_idle_ms: int = 1_000,
    idle_exit_s: float = 3.0,
    log_dir: Path,
    max_batch: int = 200,
    crash_at_batch: dict[str, int] | None = None,
) -> ConsumerGroup:
    """``count`` workers, ``consumer-1`` … ``consumer-N``, reading ``stream`` until it is idle.

    ``crash_at_batch`` names consumers that SIGKILL themselves during that batch, after scoring
    it and before storing it (chapter 05's fault drill): they die holding unacknowledged events.
    """
    processes, logs = {}, {}
    log_dir.mkdir(parents=True, exist_ok=True)
    for index in range(1, count + 1):
        name = f"consumer-{index}"
        command = [
            sys.executable, "-m", "apps.stream_worker", "--redis-url", redis_url,
            "--stream", stream, "--consumer", name, "--db", store_url,
            "--registry", str(registry), "--min-idle-ms", str(min_idle_ms),
            "--idle-exit", str(idle_exit_s), "--max-batch", str(max_batch),
        ]  # fmt: skip
        if crash_at_batch and name in crash_at_batch:
            command += [
                "--crash-at-batch",
                str(crash_at_batch[name]),
                "--crash-phase",
                "after_score",
            ]
        logs[name] = log_dir / f"{name}.log"
        with logs[name].open("wb") as log:
            processes[name] = subprocess.Popen(
                command, cwd=paths.PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
    return ConsumerGroup(processes, logs)
