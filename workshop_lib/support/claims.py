"""What a notebook says it measured, asserted where the machine allows it and explained where not.

A sentence such as "a second worker serves more requests per second" is true only where the
second worker gets a core of its own. ``claim`` asserts such a sentence when the condition it
needs holds (``needs``, measured during the same run by ``cpu_share``), and where it does not
(Binder's shared CPU, a busy laptop, ``taskset -c 0``) prints what was measured and why the
sentence was not checked, instead of an ``AssertionError`` in the middle of a chapter.

Two rules keep "conditional" from becoming "never checked":
- in CI (``CI=true``) a claim is never set aside: a condition that does not hold fails the run,
  except in the contention run (``WORKBOOK_CONTENTION=1``), whose point is a busy machine;
- every claim is written to the ledger named by ``WORKBOOK_CLAIMS_LEDGER`` (JSON lines), which
  the test run counts (``conftest.py``): it prints how many were checked and set aside, and fails
  a CI run that set any aside.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import psutil

LEDGER_VARIABLE = "WORKBOOK_CLAIMS_LEDGER"
CONTENTION_VARIABLE = "WORKBOOK_CONTENTION"
SAMPLE_INTERVAL_S = 0.1  # how often cpu_share reads each descendant's CPU seconds
BACKGROUND_CORES = 0.4  # other programs (and what sampling misses) may use this much


class ClaimNotShown(AssertionError):
    """A notebook's sentence that this run's measurement contradicts."""


@dataclass(frozen=True)
class Condition:
    """What a claim needs from the machine, whether it held, and what was measured."""

    name: str
    holds: bool
    measured: str


@dataclass
class CpuShare:
    """CPU time used during a measurement by this process's tree and by everything else."""

    cores: int  # cores this process may run on
    seconds: float = 0.0
    ours: float = 0.0  # CPU seconds of this process and its descendants
    others: float = 0.0  # CPU seconds of every other program, on the same cores

    @property
    def others_cores(self) -> float:
        """How many of the cores other programs kept busy, on average."""
        return self.others / self.seconds if self.seconds else 0.0

    def needs(self, cores: int) -> Condition:
        """The condition "``cores`` cores free of other programs" over the measurement."""
        free = self.cores - self.others_cores
        holds = self.cores >= cores and free >= cores - BACKGROUND_CORES
        return Condition(
            f"{cores} core{'s' if cores > 1 else ''} free of other programs",
            holds,
            f"this process may use {self.cores} core{'s' if self.cores > 1 else ''}, and other "
            f"programs kept {self.others_cores:.2f} of them busy over the {self.seconds:.1f} s "
            "measured",
        )


def allowed_cores() -> list[int]:
    """The CPU numbers this process may run on (all of them where affinity is unknown)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(psutil.cpu_count() or 1))


def busy_seconds(cores: list[int]) -> float:
    """CPU seconds spent not idle on ``cores`` since boot."""
    per_cpu = psutil.cpu_times(percpu=True)
    total = 0.0
    for number in cores:
        times = per_cpu[number]
        idle = times.idle + getattr(times, "iowait", 0.0)
        total += (
            sum(times) - idle - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
        )
    return total


def tree_seconds(process: psutil.Process) -> float:
    """CPU seconds of ``process``, its live descendants and the children they have reaped."""
    total = 0.0
    for member in (process, *process.children(recursive=True)):
        try:
            times = member.cpu_times()
        except psutil.NoSuchProcess:  # ended between the listing and the reading
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


class TreeSampler:
    """Each descendant's own CPU seconds, sampled while a block runs.

    ``tree_seconds`` misses the CPU of a descendant that ends without being reaped inside the
    tree (Spark's Python workers outlive the JVM that started them, then init reaps them):
    sampling keeps what each one had used when last seen, so at most one interval is lost.
    """

    def __init__(self, process: psutil.Process, interval: float = SAMPLE_INTERVAL_S) -> None:
        self.process, self.interval = process, interval
        self.base: dict[tuple[int, float], float] = {}
        self.last: dict[tuple[int, float], float] = {}
        self.stopped = threading.Event()
        self.sample(first=True)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def sample(self, first: bool = False) -> None:
        """Read every live member's own CPU seconds (a member born now starts from zero)."""
        for member in (self.process, *self.process.children(recursive=True)):
            try:
                key = (member.pid, member.create_time())
                times = member.cpu_times()
            except psutil.NoSuchProcess:
                continue
            own = times.user + times.system
            self.base.setdefault(key, own if first else 0.0)
            self.last[key] = own

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.sample()

    def stop(self) -> float:
        """Stop sampling; the CPU seconds the tree used since it started."""
        self.stopped.set()
        self.thread.join()
        self.sample()
        return sum(self.last[key] - self.base[key] for key in self.last)


@contextmanager
def cpu_share() -> Iterator[CpuShare]:
    """Measure, around a block, how much CPU other programs took from the cores it ran on.

    This tree's CPU is the larger of two lower bounds: the tree's own and reaped children's
    seconds (exact when every descendant is reaped inside the tree), and the sampled seconds
    of every descendant seen (exact but for each one's last interval).
    """
    me = psutil.Process()
    cores = allowed_cores()
    share = CpuShare(len(cores))
    machine, ours, started = busy_seconds(cores), tree_seconds(me), time.perf_counter()
    sampler = TreeSampler(me)
    try:
        yield share
    finally:
        sampled = sampler.stop()
        share.seconds = time.perf_counter() - started
        share.ours = max(tree_seconds(me) - ours, sampled)
        share.others = max(0.0, busy_seconds(cores) - machine - share.ours)


def strict(environ: dict[str, str] | None = None) -> bool:
    """Whether every claim must be checked here: CI, unless it is the contention run."""
    variables = os.environ if environ is None else environ
    return variables.get("CI") == "true" and variables.get(CONTENTION_VARIABLE) != "1"


def claim(statement: str, holds: bool, shown: str, needs: Condition | None = None) -> None:
    """Assert ``statement`` (``holds``: what this run measured says it is true), or explain.

    ``shown`` is what the run measured, in the sentence's terms ("1.93x with 2 workers"). Without
    ``needs``, or where it holds, a false claim raises ``ClaimNotShown``. Where ``needs`` does not
    hold, the claim is set aside with an explanation (in CI that is a failure, see the module).
    Returns nothing, so a cell that ends with a claim shows no stray ``True`` under it.
    """
    holds = bool(holds)  # a comparison of numpy or pandas figures gives numpy.bool_
    checked = needs is None or bool(needs.holds)
    record(statement, holds, shown, needs, checked)
    if checked and not holds:
        condition = f" (and {needs.name} held: {needs.measured})" if needs else ""
        raise ClaimNotShown(f"the notebook says: {statement}; this run shows {shown}{condition}")
    if not checked and needs is not None:
        if strict():
            raise ClaimNotShown(
                f"CI must check every claim, but {statement!r} needs {needs.name}: "
                f"{needs.measured}. Run CI on a machine of its own."
            )
        print(
            f"Not checked on this machine: {statement}. It needs {needs.name}; "
            f"{needs.measured}. This run shows {shown}; where the condition holds (CI checks it "
            "on a machine of its own), the claim is checked."
        )


def record(statement: str, holds: bool, shown: str, needs: Condition | None, checked: bool) -> None:
    """Append the claim to the ledger, when the test run names one."""
    ledger = os.environ.get(LEDGER_VARIABLE)
    if not ledger:
        return
    entry = {
        "statement": statement,
        "holds": holds,
        "shown": shown,
        "checked": checked,
        "needs": asdict(needs) if needs else None,
    }
    with open(ledger, "a", encoding="utf-8") as file:
        file.write(json.dumps(entry) + "\n")
