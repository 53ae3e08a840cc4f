"""Measure latency and throughput the same way in every chapter, and plot the result."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class LatencySummary:
    """Percentiles of a set of latencies, in milliseconds, and the calls per second achieved."""

    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    per_second: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"n={self.count}  p50={self.p50_ms:.2f} ms  p95={self.p95_ms:.2f} ms  "
            f"p99={self.p99_ms:.2f} ms  ({self.per_second:,.0f}/s)"
        )


def summarize(
    latencies_s: Sequence[float] | np.ndarray, wall_s: float | None = None
) -> LatencySummary:
    """Summarise latencies given in seconds; ``wall_s`` is the elapsed time of the whole run.

    Without ``wall_s`` the calls are assumed to have run one after another.
    """
    values = np.asarray(latencies_s, dtype="float64") * 1_000
    if values.size == 0:
        raise ValueError("no latencies to summarise")
    elapsed = wall_s if wall_s is not None else values.sum() / 1_000
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return LatencySummary(
        count=int(values.size),
        p50_ms=float(p50),
        p95_ms=float(p95),
        p99_ms=float(p99),
        mean_ms=float(values.mean()),
        max_ms=float(values.max()),
        per_second=float(values.size / elapsed) if elapsed > 0 else float("inf"),
    )


def time_calls(call: Callable[[], object], repeat: int, warmup: int = 5) -> np.ndarray:
    """Run ``call`` ``warmup`` times unmeasured, then ``repeat`` times; latencies in seconds."""
    for _ in range(warmup):
        call()
    latencies = np.empty(repeat)
    for i in range(repeat):
        started = time.perf_counter()
        call()
        latencies[i] = time.perf_counter() - started
    return latencies


def rows_per_second(call: Callable[[], object], rows: int, repeat: int = 3) -> float:
    """Best-of-``repeat`` throughput of a call that processes ``rows`` rows."""
    best = min(time_calls(call, repeat, warmup=1))
    return rows / best


def plot_latencies(samples_s: dict[str, Sequence[float]], ax=None, title: str = "Latency"):
    """Overlaid latency histograms (log-scaled milliseconds) with each p50 and p99 marked."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    all_ms = np.concatenate([np.asarray(v) * 1_000 for v in samples_s.values()])
    bins = np.geomspace(max(all_ms.min(), 1e-3), all_ms.max() * 1.01, 50)
    for label, values in samples_s.items():
        ms = np.asarray(values) * 1_000
        p50, p99 = np.percentile(ms, [50, 99])
        lines = ax.hist(
            ms, bins=bins, alpha=0.5, label=f"{label} (p50 {p50:.2f}, p99 {p99:.2f} ms)"
        )
        color = lines[2][0].get_facecolor()
        ax.axvline(p50, color=color, linestyle="-", alpha=0.9)
        ax.axvline(p99, color=color, linestyle="--", alpha=0.9)
    ax.set_xscale("log")
    ax.set_xlabel("latency (ms, log scale)  —  solid: p50, dashed: p99")
    ax.set_ylabel("calls")
    ax.set_title(title)
    ax.legend()
    return ax
