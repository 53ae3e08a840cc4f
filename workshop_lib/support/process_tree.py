"""Run a command as its own process and measure it: wall time and the peak memory of its tree.

A Spark job is a Python driver, a JVM and Python workers; its memory is the sum over all of
them, so ``run_sampled`` sums the memory of the process and every descendant, sampled every
``interval`` seconds, and keeps the largest sum. Each process counts its proportional set size
(PSS: its private pages plus its share of pages shared with others, such as a Python worker
forked from Spark's worker daemon), so shared pages are counted once, not once per process;
where the system has no PSS (macOS), its unique set size (USS). Sampling can miss a peak shorter
than the interval: the figure is a lower bound, close for jobs that run for seconds.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

MB = 1024 * 1024


@dataclass(frozen=True)
class SampledRun:
    """What ``run_sampled`` measured; ``output`` is stdout and stderr together."""

    command: tuple[str, ...]
    returncode: int
    seconds: float
    peak_tree_mb: float
    peak_processes: int
    output: str


def _members(process: psutil.Process) -> list[psutil.Process]:
    """``process`` and all its descendants (none once it has ended)."""
    try:
        return [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its descendants."""
    try:
        members = _members(psutil.Process(pid))
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for member in members:
        try:
            total += sum(member.cpu_times()[:2])
        except psutil.NoSuchProcess:  # ended between the listing and the reading
            continue
    return total


def tree_memory(process: psutil.Process) -> tuple[int, int]:
    """Bytes used by ``process`` and all its descendants (PSS), and how many processes that is."""
    total, count = 0, 0
    for member in _members(process):
        try:
            info = member.memory_full_info()
        except psutil.NoSuchProcess:  # ended between the listing and the reading
            continue
        total += getattr(info, "pss", info.uss)
        count += 1
    return total, count


def run_sampled(
    command: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    interval: float = 0.05,
    timeout: float = 300.0,
) -> SampledRun:
    """Run ``command`` to the end, sampling its process tree's memory.

    Past ``timeout`` seconds the whole tree is killed and ``TimeoutError`` raised.
    """
    peak, peak_count = 0, 0
    with tempfile.TemporaryFile("w+") as log:  # a file, not a pipe: a chatty child never blocks
        started = time.perf_counter()
        child = subprocess.Popen(list(command), env=env, cwd=cwd, stdout=log, stderr=log, text=True)
        process = psutil.Process(child.pid)
        try:
            while child.poll() is None:
                used, count = tree_memory(process)
                if used > peak:
                    peak, peak_count = used, count
                if time.perf_counter() - started > timeout:
                    raise TimeoutError(f"{command[0]} ran past {timeout:.0f} s")
                time.sleep(interval)
        finally:
            if child.poll() is None:
                _kill_tree(process)
            child.wait()
        seconds = time.perf_counter() - started
        log.seek(0)
        output = log.read()
    return SampledRun(tuple(command), child.returncode, seconds, peak / MB, peak_count, output)


def _kill_tree(process: psutil.Process) -> None:
    for member in [*process.children(recursive=True), process]:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
