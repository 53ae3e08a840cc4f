"""Dask and Spark as clusters: each part its own process, started from the engine's programs.

On real machines the scheduler (or master) and each worker run on different hosts; here they are
separate processes on one machine, started exactly as an operator would start them, and the
batch job reaches them only by address: ``tcp://...`` for Dask, ``spark://...`` for Spark.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from workshop_lib.batch.spark_engine import JavaMissingError, java_missing, spark_environment
from workshop_lib.support.process_tree import tree_memory
from workshop_lib.support.servers import BackgroundServer, free_port, start_server
from workshop_lib.support.startup import StartupDeadline

PROGRAMS = Path(sys.executable).parent  # the dask command lives beside this Python


@dataclass
class Cluster:
    """A running cluster: its address, its processes and how long it took to be ready."""

    address: str
    processes: list[BackgroundServer]
    startup_s: float
    scratch: tempfile.TemporaryDirectory[str] = field(repr=False)
    watcher: threading.Thread | None = field(default=None, repr=False)
    problem: BaseException | None = field(default=None, repr=False)

    def watch(self, ready: Callable[[], bool], timeout: float, started: float) -> None:
        """In the background, note when ``ready()`` first holds: ``startup_s`` is the time
        from ``started`` (``time.monotonic()`` when the processes were started)."""

        def poll() -> None:
            try:
                for server in self.processes:  # each JVM's port accepts connections
                    server.wait_until_healthy(timeout)
                deadline = StartupDeadline(self.pids, timeout)  # longer while still busy
                while not ready():
                    if deadline.expired():
                        raise TimeoutError(f"{self.address} was not ready {deadline.explain()}")
                    time.sleep(0.2)
                self.startup_s = time.monotonic() - started
            except BaseException as error:  # handed to wait_until_ready
                self.problem = error

        self.watcher = threading.Thread(target=poll, daemon=True)
        self.watcher.start()

    def pids(self) -> list[int]:
        """The process ids of its servers (each one's children count with it)."""
        return [server.process.pid for server in self.processes]

    def wait_until_ready(self) -> Cluster:
        """For a cluster started with ``wait=False``: wait until it takes jobs (or stop it and
        raise why it did not); ``startup_s`` is how long it took to get there."""
        if self.watcher is not None:
            self.watcher.join()
        if self.problem is not None:
            self.stop()
            raise self.problem
        return self

    def memory_mb(self) -> float:
        """Memory (PSS) of every process of the cluster, children included (MiB)."""
        total = 0
        for server in self.processes:
            if server.is_running():
                total += tree_memory(psutil.Process(server.process.pid))[0]
        return total / 2**20

    def stop(self) -> None:
        for server in reversed(self.processes):  # workers first, then the scheduler
            server.stop()
        self.scratch.cleanup()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_dask_cluster(workers: int = 2, memory_limit: str = "700MB") -> Cluster:
    """``dask scheduler`` and ``workers`` × ``dask worker`` (one thread each, with a nanny)."""
    started = time.monotonic()
    scratch = tempfile.TemporaryDirectory(prefix="workbook-dask-")
    dask = str(PROGRAMS / "dask")
    scheduler = start_server(
        [dask, "scheduler", "--host", "{host}", "--port", "{port}", "--no-dashboard"],
        name="dask-scheduler", health_path=None,
    )  # fmt: skip
    address = f"tcp://{scheduler.host}:{scheduler.port}"
    processes = [scheduler]
    try:
        for index in range(workers):
            processes.append(start_server(
                [dask, "worker", address, "--host", "{host}", "--nanny-port", "{port}",
                 "--nthreads", "1", "--memory-limit", memory_limit, "--no-dashboard",
                 "--name", f"worker-{index}", "--local-directory", scratch.name],
                name=f"dask-worker-{index}", health_path=None,
            ))  # fmt: skip
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(workers, timeout=60)
    except BaseException:
        Cluster(address, processes, 0.0, scratch).stop()
        raise
    return Cluster(address, processes, time.monotonic() - started, scratch)


def _alive_workers(webui: str) -> int:
    try:
        return int(httpx.get(f"{webui}/json/", timeout=2.0).json().get("aliveworkers", 0))
    except (httpx.TransportError, ValueError):
        return 0


def start_spark_cluster(
    worker_memory: str = "1g", timeout: float = 90.0, wait: bool = True
) -> Cluster:
    """A Spark standalone master and one worker (one core), each its own JVM.

    With ``wait=False`` both JVMs start and it returns at once (the worker keeps trying to
    register): the JVMs start while other work runs; ``wait_until_ready`` before a job.
    """
    if (problem := java_missing()) is not None:
        raise JavaMissingError(problem)
    import pyspark

    started = time.monotonic()
    scratch = tempfile.TemporaryDirectory(prefix="workbook-spark-cluster-")
    spark_home = Path(pyspark.__file__).parent
    spark_class = str(spark_home / "bin" / "spark-class")
    env = spark_environment() | {"SPARK_HOME": str(spark_home), "SPARK_DAEMON_MEMORY": "256m"}
    webui = f"http://127.0.0.1:{free_port()}"
    master = start_server(
        [spark_class, "org.apache.spark.deploy.master.Master", "--host", "{host}",
         "--port", "{port}", "--webui-port", webui.rsplit(":", 1)[1]],
        name="spark-master", health_path=None, env=env, timeout=timeout, wait=False,
    )  # fmt: skip
    address = f"spark://{master.host}:{master.port}"
    processes = [master]
    try:
        processes.append(start_server(
            [spark_class, "org.apache.spark.deploy.worker.Worker", address, "--host", "{host}",
             "--port", "{port}", "--webui-port", str(free_port()), "--cores", "1",
             "--memory", worker_memory, "--work-dir", scratch.name],
            name="spark-worker", health_path=None, env=env, timeout=timeout, wait=False,
        ))  # fmt: skip
    except BaseException:
        Cluster(address, processes, 0.0, scratch).stop()
        raise
    cluster = Cluster(address, processes, 0.0, scratch)
    cluster.watch(lambda: _alive_workers(webui) >= 1, timeout, started)
    return cluster.wait_until_ready() if wait else cluster
