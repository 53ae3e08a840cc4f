"""A small Prometheus metrics registry: counters, gauges and histograms, no extra dependency.

The service counts what it does in memory and ``GET /metrics`` renders the counts in the
Prometheus text format, which a Prometheus server (or the monitoring chapter) scrapes::

    # HELP predictions_total Predictions made, by decision.
    # TYPE predictions_total counter
    predictions_total{decision="approve"} 41

A histogram keeps cumulative bucket counts (``le`` = "less than or equal"), a sum and a count,
so percentiles can be estimated later from any time window.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)$")
_LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

# Request latencies in seconds: 1 ms to 10 s.
LATENCY_BUCKETS: tuple[float, ...] = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    10.0,
)
# Probabilities: ten equal-width bins.
PROBABILITY_BUCKETS: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(1, 11))

Labels = tuple[str, ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _format_labels(names: Sequence[str], values: Sequence[str]) -> str:
    if not names:
        return ""
    pairs = ",".join(f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True))
    return "{" + pairs + "}"


def _format_value(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


@dataclass
class _Metric:
    name: str
    help: str
    labelnames: tuple[str, ...] = ()
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    kind = "untyped"

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"metric name {self.name!r} is not a valid Prometheus name")
        for label in self.labelnames:
            if not _LABEL.match(label) or label == "le":
                raise ValueError(f"label name {label!r} is not allowed in metric {self.name!r}")

    def _key(self, labels: dict[str, str]) -> Labels:
        if set(labels) != set(self.labelnames):
            raise ValueError(
                f"metric {self.name!r} takes labels {list(self.labelnames)}, got {sorted(labels)}"
            )
        return tuple(str(labels[n]) for n in self.labelnames)

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]


@dataclass
class _SingleValueMetric(_Metric):
    """A metric with one number per label set (counters and gauges)."""

    _values: dict[Labels, float] = field(default_factory=dict, repr=False)

    def render(self) -> list[str]:
        with self._lock:
            items = sorted(self._values.items())
        return self.header() + [
            f"{self.name}{_format_labels(self.labelnames, k)} {_format_value(v)}" for k, v in items
        ]


@dataclass
class Counter(_SingleValueMetric):
    """A number that only goes up (requests served, predictions made)."""

    kind = "counter"

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        if amount < 0:
            raise ValueError(f"counter {self.name!r} cannot go down (inc by {amount})")
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(self._key(labels), 0.0)


@dataclass
class Gauge(_SingleValueMetric):
    """A number that is set (the model version being served, queue length)."""

    kind = "gauge"

    def set(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = float(value)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


@dataclass
class Histogram(_Metric):
    """Counts of observations per bucket (cumulative when rendered), with their sum and count."""

    kind = "histogram"
    buckets: tuple[float, ...] = LATENCY_BUCKETS
    _counts: dict[Labels, list[int]] = field(default_factory=dict, repr=False)
    _sums: dict[Labels, float] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if list(self.buckets) != sorted(set(self.buckets)) or not self.buckets:
            raise ValueError(f"histogram {self.name!r} needs increasing, distinct bucket bounds")

    def observe(self, value: float, **labels: str) -> None:
        if math.isnan(value):
            raise ValueError(f"histogram {self.name!r} cannot observe NaN")
        key = self._key(labels)
        slot = bisect.bisect_left(self.buckets, value)  # first bound >= value; len = +Inf
        with self._lock:
            counts = self._counts.setdefault(key, [0] * (len(self.buckets) + 1))
            counts[slot] += 1
            self._sums[key] = self._sums.get(key, 0.0) + value

    def count(self, **labels: str) -> int:
        return sum(self._counts.get(self._key(labels), []))

    def render(self) -> list[str]:
        lines = self.header()
        with self._lock:
            items = sorted((k, list(c), self._sums[k]) for k, c in self._counts.items())
        names = (*self.labelnames, "le")
        for key, counts, total in items:
            running = 0
            for bound, count in zip((*self.buckets, math.inf), counts, strict=True):
                running += count
                labels = _format_labels(names, (*key, _format_value(bound)))
                lines.append(f"{self.name}_bucket{labels} {running}")
            plain = _format_labels(self.labelnames, key)
            lines.append(f"{self.name}_sum{plain} {_format_value(total)}")
            lines.append(f"{self.name}_count{plain} {running}")
        return lines


class MetricsRegistry:
    """The metrics of one process, rendered together for ``GET /metrics``."""

    content_type = "text/plain; version=0.0.4; charset=utf-8"

    def __init__(self) -> None:
        self._metrics: dict[str, _Metric] = {}

    def _add(self, metric: _Metric) -> _Metric:
        if metric.name in self._metrics:
            raise ValueError(f"metric {metric.name!r} is registered twice")
        self._metrics[metric.name] = metric
        return metric

    def counter(self, name: str, help: str, labelnames: Sequence[str] = ()) -> Counter:
        return self._add(Counter(name, help, tuple(labelnames)))

    def gauge(self, name: str, help: str, labelnames: Sequence[str] = ()) -> Gauge:
        return self._add(Gauge(name, help, tuple(labelnames)))

    def histogram(
        self,
        name: str,
        help: str,
        labelnames: Sequence[str] = (),
        buckets: Sequence[float] = LATENCY_BUCKETS,
    ) -> Histogram:
        return self._add(Histogram(name, help, tuple(labelnames), buckets=tuple(buckets)))

    def render(self) -> str:
        """Every metric in the Prometheus text exposition format."""
        lines = [line for metric in self._metrics.values() for line in metric.render()]
        return "\n".join(lines) + "\n"


def parse_metrics(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Read Prometheus text back: ``{(sample name, sorted label pairs): value}``.

    Enough for tests and notebooks to look up a value, e.g.
    ``samples[("predictions_total", (("decision", "approve"),))]``.
    """
    samples = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if not match:
            raise ValueError(f"line {number} is not a Prometheus sample: {line!r}")
        name, labels, value = match.groups()
        pairs = tuple(sorted(_LABEL_PAIR.findall(labels or "")))
        samples[(name, pairs)] = float(value.replace("Inf", "inf"))
    return samples
