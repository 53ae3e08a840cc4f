"""How long to wait for something that is starting: longer while it is still working.

A server or a cluster starting on a busy or shared CPU (a Binder pod, a one-core run, seven
replicas loading the model at once) answers late but keeps using CPU: importing, loading a
model, a JVM compiling. ``StartupDeadline`` gives up after ``timeout`` seconds in which the
processes it watches used next to no CPU, or after ``LONGEST_WAIT`` times ``timeout`` in all,
and says which of the two happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from workshop_lib.support.process_tree import tree_cpu_seconds

PROGRESS_WINDOW_S = 2.0  # CPU use is sampled this often (or twice per timeout, if shorter)
PROGRESS_SHARE = 0.05  # at least this share of one core over a window counts as progress
LONGEST_WAIT = 5  # times the timeout: the most a process still busy starting is given


class StartupDeadline:
    """A deadline that moves while the processes ``pids()`` names use CPU."""

    def __init__(self, pids: Callable[[], list[int]], timeout: float) -> None:
        self.pids, self.timeout = pids, timeout
        self.started = self.last_progress = self.last_sample = time.monotonic()
        self.window = min(PROGRESS_WINDOW_S, timeout / 2)
        self.cpu_at_sample = self.cpu_seconds()

    def cpu_seconds(self) -> float:
        return sum(tree_cpu_seconds(pid) for pid in self.pids())

    def expired(self) -> bool:
        """Whether to give up now (call it in the waiting loop)."""
        now = time.monotonic()
        if now - self.last_sample >= self.window:
            cpu_now = self.cpu_seconds()
            if cpu_now - self.cpu_at_sample >= PROGRESS_SHARE * (now - self.last_sample):
                self.last_progress = now
            self.cpu_at_sample, self.last_sample = cpu_now, now
        return (
            now - self.last_progress > self.timeout
            or now - self.started > LONGEST_WAIT * self.timeout
        )

    def explain(self) -> str:
        """How long it waited, and why it gave up: idle, or still busy at the longest wait."""
        now = time.monotonic()
        waited, idle = now - self.started, now - self.last_progress
        why = (
            f"no CPU to speak of in the last {idle:.0f} s"
            if idle > self.timeout
            else f"still busy, and {LONGEST_WAIT} x its timeout of {self.timeout:.0f} s is the most"
        )
        return f"after {waited:.0f} s ({self.cpu_seconds():.1f} CPU seconds used; {why})"
