"""Operational metrics of the running service, read from its Prometheus ``GET /metrics`` page.

The API exposes counters and histograms in the Prometheus text format
(``workshop_lib.realtime.http_metrics``), e.g.::

    http_requests_total{method="POST",path="/predict",status="200"} 1027
    http_request_duration_seconds_bucket{path="/predict",le="0.005"} 803

``fetch_metrics`` scrapes and parses that page, ``ops_summary`` turns it into the numbers an
operator watches (traffic, error rate, latency percentiles, predictions per decision), and
``difference`` of two scrapes gives the same numbers for the window between them: counters only
ever grow, so a window's traffic is the later count minus the earlier one.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from workshop_lib.realtime.http_metrics import parse_metrics

REQUESTS = "http_requests_total"
DURATION = "http_request_duration_seconds"
PREDICTIONS = "predictions_total"
MODEL_INFO = "model_info"
# Scrapes and health checks are not user traffic: leave them out of rates and latency.
MONITORING_PATHS: tuple[str, ...] = ("/metrics", "/health")

_CUMULATIVE_SUFFIXES = ("_total", "_count", "_sum", "_bucket")


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def fetch_metrics(base_url: str, timeout: float = 5.0) -> Samples:
    """Scrape ``{base_url}/metrics`` and parse it (``{(name, label pairs): value}``)."""
    response = httpx.get(f"{base_url.rstrip('/')}/metrics", timeout=timeout)
    response.raise_for_status()
    return parse_metrics(response.text)


def difference(before: Samples, after: Samples) -> Samples:
    """What happened between two scrapes: counters and histograms as ``after - before``.

    Gauges (like ``model_info``) keep their ``after`` value. A counter lower than before means
    the server restarted: its ``after`` value is then the whole window's count.
    """
    result = {}
    for key, value in after.items():
        if key[0].endswith(_CUMULATIVE_SUFFIXES):
            previous = before.get(key, 0.0)
            value = value - previous if value >= previous else value
        result[key] = value
    return result


def histogram_quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float:
    """The ``q`` quantile of a histogram, as Prometheus' ``histogram_quantile`` estimates it.

    ``buckets`` are ``(upper_bound, cumulative_count)`` pairs including ``+Inf``. The value is
    interpolated linearly inside the bucket where the quantile falls; NaN without observations.
    A quantile in the ``+Inf`` bucket is reported as the largest finite bound.
    """
    if not 0 <= q <= 1:
        raise ValueError(f"q must be within [0, 1], got {q}")
    ordered = sorted(buckets)
    if not ordered or not math.isinf(ordered[-1][0]):
        raise ValueError("a histogram needs a +Inf bucket")
    total = ordered[-1][1]
    if total <= 0:
        return math.nan
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in ordered:
        if count >= rank:
            break
        lower_bound, lower_count = bound, count
    if math.isinf(bound):
        return lower_bound
    if count == lower_count:
        return bound
    return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count)


@dataclass(frozen=True)
class OpsSummary:
    """The numbers an operator watches, over a service's lifetime or one window."""

    requests: int
    server_errors: int
    client_errors: int
    error_rate: float
    client_error_rate: float
    latency_mean_ms: float
    latency_p50_ms: float
    latency_p95_ms: float
    latency_p99_ms: float
    requests_by_path: dict[str, int]
    predictions_by_decision: dict[str, int]
    model_version: str | None

    def as_metrics(self) -> dict[str, float]:
        """The numeric figures, e.g. for alert rules."""
        return {
            "requests": float(self.requests),
            "error_rate": self.error_rate,
            "client_error_rate": self.client_error_rate,
            "latency_p95_ms": self.latency_p95_ms,
            "latency_p99_ms": self.latency_p99_ms,
        }


def requests_by_status(
    samples: Samples, exclude_paths: Sequence[str] = MONITORING_PATHS
) -> dict[str, float]:
    """User requests per HTTP status (``{"200": 840, "422": 3}``), sorted by status."""
    counts: dict[str, float] = defaultdict(float)
    for (name, pairs), value in samples.items():
        labels = dict(pairs)
        if name == REQUESTS and labels.get("path", "") not in exclude_paths and value:
            counts[labels.get("status", "?")] += value
    return dict(sorted(counts.items()))


def ops_summary(samples: Samples, exclude_paths: Sequence[str] = MONITORING_PATHS) -> OpsSummary:
    """Traffic, error rates (5xx: server errors; 4xx: rejected input), latency and predictions.

    Requests to ``exclude_paths`` are left out of every figure. Rates and latencies are NaN
    when there was no traffic.
    """
    by_path: dict[str, float] = defaultdict(float)
    buckets: dict[float, float] = defaultdict(float)
    duration_sum = duration_count = 0.0
    decisions: dict[str, float] = defaultdict(float)
    version = None
    for (name, pairs), value in samples.items():
        labels = dict(pairs)
        path = labels.get("path", "")
        if path in exclude_paths:
            continue
        if name == REQUESTS:
            by_path[path] += value
        elif name == f"{DURATION}_bucket":
            buckets[float(labels["le"])] += value
        elif name == f"{DURATION}_sum":
            duration_sum += value
        elif name == f"{DURATION}_count":
            duration_count += value
        elif name == PREDICTIONS:
            decisions[labels.get("decision", "?")] += value
        elif name == MODEL_INFO and value > 0:
            version = labels.get("version")
    requests = sum(by_path.values())
    by_status = requests_by_status(samples, exclude_paths)
    server_errors = sum(n for status, n in by_status.items() if status.startswith("5"))
    client_errors = sum(n for status, n in by_status.items() if status.startswith("4"))
    bucket_pairs = list(buckets.items())

    def quantile_ms(q: float) -> float:
        return 1000 * histogram_quantile(q, bucket_pairs) if bucket_pairs else math.nan

    return OpsSummary(
        requests=int(requests),
        server_errors=int(server_errors),
        client_errors=int(client_errors),
        error_rate=server_errors / requests if requests else math.nan,
        client_error_rate=client_errors / requests if requests else math.nan,
        latency_mean_ms=1000 * duration_sum / duration_count if duration_count else math.nan,
        latency_p50_ms=quantile_ms(0.50),
        latency_p95_ms=quantile_ms(0.95),
        latency_p99_ms=quantile_ms(0.99),
        requests_by_path={p: int(v) for p, v in sorted(by_path.items())},
        predictions_by_decision={d: int(v) for d, v in sorted(decisions.items())},
        model_version=version,
    )
