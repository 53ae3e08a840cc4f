"""Dask and Spark as clusters: each part its own process, started from the engine's programs.

On real machines the scheduler (or master) and each worker run on different hosts; here they are
separate processes on one machine, started exactly as an operator would start them, and the
batch job reaches them only by address: ``tcp://...`` for Dask, ``spark://...`` for Spark.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from workshop_lib.batch.spark_engine import JavaMissingError, java_missing, spark_environment
from workshop_lib.support.process_tree import tree_memory
from workshop_lib.support.servers import BackgroundServer, free_port, start_server

PROGRAMS = Path(sys.executable).parent  # the dask command lives beside this Python


@dataclass
class Cluster:
    """A running cluster: its address, its processes and how long it took to be ready."""

    address: str
    processes: list[BackgroundServer]
    startup_s: float
    scratch: tempfile.TemporaryDirectory[str] = field(repr=False)

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
        for server in reversed(processes):
            server.stop()
        scratch.cleanup()
        raise
    return Cluster(address, processes, time.monotonic() - started, scratch)


def _alive_workers(webui: str) -> int:
    try:
        return int(httpx.get(f"{webui}/json/", timeout=2.0).json().get("aliveworkers", 0))
    except (httpx.TransportError, ValueError):
        return 0


def start_spark_cluster(worker_memory: str = "1g", timeout: float = 90.0) -> Cluster:
    """A Spark standalone master and one worker (one core), each its own JVM."""
    if (problem := java_missing()) is not None:
        raise JavaMissingError(problem)
    import pyspark

    started = time.monotonic()
    scratch = tempfile.TemporaryDirectory(prefix="workbook-spark-cluster-")
    spark_home = Path(pyspark.__file__).parent
    spark_class = str(spark_home / "bin" / "spark-class")
    env = spark_environment() | {"SPARK_HOME": str(spark_home), "SPARK_DAEMON_MEMORY": "256m"}
    webui_port = free_port()
    master = start_server(
        [spark_class, "org.apache.spark.deploy.master.Master", "--host", "{host}",
         "--port", "{port}", "--webui-port", str(webui_port)],
        name="spark-master", health_path=None, env=env, timeout=timeout,
    )  # fmt: skip
    address = f"spark://{master.host}:{master.port}"
    processes = [master]
    try:
        processes.append(start_server(
            [spark_class, "org.apache.spark.deploy.worker.Worker", address, "--host", "{host}",
             "--port", "{port}", "--webui-port", str(free_port()), "--cores", "1",
             "--memory", worker_memory, "--work-dir", scratch.name],
            name="spark-worker", health_path=None, env=env, timeout=timeout,
        ))  # fmt: skip
        webui = f"http://{master.host}:{webui_port}"
        deadline = time.monotonic() + timeout
        while _alive_workers(webui) < 1:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no Spark worker registered with {address} in {timeout} s")
            time.sleep(0.2)
    except BaseException:
        for server in reversed(processes):
            server.stop()
        scratch.cleanup()
        raise
    return Cluster(address, processes, time.monotonic() - started, scratch)
