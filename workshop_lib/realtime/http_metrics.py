"""The model service's Prometheus metrics, with ``prometheus-client``, right with several workers.

``GET /metrics`` renders these in the Prometheus text format, which a Prometheus server (or the
monitoring chapter) scrapes::

    # HELP predictions_total Predictions made, by decision.
    # TYPE predictions_total counter
    predictions_total{decision="approve"} 41

The names are a fixed contract: ``http_requests_total{method,path,status}``,
``http_request_duration_seconds{path}`` (histogram), ``predictions_total{decision}``,
``model_info{version}``, ``prediction_log_failures_total{reason}`` (requests refused because
their predictions could not be logged), plus the ``prediction_probability`` histogram.

Several workers (``uvicorn --workers N``) are several processes, each counting on its own. In
prometheus-client's multiprocess mode every process writes its counts to files in one folder and
a scrape of any worker adds them all up. The measured pitfalls:

- ``PROMETHEUS_MULTIPROC_DIR`` must be set *before* ``prometheus_client`` is imported (it
  chooses where values live at import): set it in the environment that starts uvicorn.
- Empty the folder before the service starts, never while it runs (the files are the counts).
- Call ``ServiceMetrics.close`` in the lifespan's shutdown (``atexit`` never runs in uvicorn
  workers) so that a stopped worker's live gauges disappear.
- Without the folder each worker serves only its own counts (after 300 predictions over two
  workers, scrapes read 132 or 168). A worker that finds itself one of several without the folder
  refuses to start (``refuse_unshared_workers``); ``support.servers.start_uvicorn`` gives several
  workers a fresh folder of their own.
- Gauges cannot be cleared across processes: a reload sets the old version's ``model_info``
  to 0 and the new one's to 1 (``livemax``: the largest value among the live workers).
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

import psutil
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    values,
)
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.parser import text_string_to_metric_families

from workshop_lib.support.servers import MULTIPROC_ENV_VAR

CONTENT_TYPE = CONTENT_TYPE_LATEST
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
# Label values are bounded: any other method or path is counted as OTHER.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER = "other"

disable_created_metrics()  # no *_created samples: counters and histograms only, as contracted

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def multiprocess_dir() -> Path | None:
    """The multiprocess folder if this process was started with one, else None.

    Raises ``RuntimeError`` when the variable was set only after prometheus-client was imported
    (its counts would then stay in memory and the scrape would miss them).
    """
    folder = os.environ.get(MULTIPROC_ENV_VAR)
    if not folder:
        return None
    if values.ValueClass.__name__ != "MmapedValue":
        raise RuntimeError(
            f"{MULTIPROC_ENV_VAR} was set after prometheus_client was imported; set it in the "
            "environment that starts the service"
        )
    path = Path(folder)
    if not path.is_dir():
        raise RuntimeError(f"{MULTIPROC_ENV_VAR}={folder} is not a folder: create it (empty)")
    return path


def uvicorn_workers() -> int:
    """How many workers the uvicorn that started this process runs (1 if it runs none)."""
    parent = multiprocessing.parent_process()
    if parent is None or parent.pid is None:
        return 1  # uvicorn serves in its own process with one worker
    try:
        argv = psutil.Process(parent.pid).cmdline()
    except psutil.Error:
        return 1
    for index, argument in enumerate(argv):
        if argument == "--workers" and index + 1 < len(argv):
            return int(argv[index + 1])
        if argument.startswith("--workers="):
            return int(argument.partition("=")[2])
    return int(os.environ.get("WEB_CONCURRENCY", "") or 1)  # uvicorn's default for --workers


def refuse_unshared_workers() -> None:
    """Refuse to start one of several workers that would each serve only their own counts."""
    workers = uvicorn_workers()
    if workers > 1 and multiprocess_dir() is None:
        raise RuntimeError(
            f"uvicorn runs {workers} workers but {MULTIPROC_ENV_VAR} is not set: each worker "
            f"would serve only its own counts on /metrics. Set {MULTIPROC_ENV_VAR} to an empty "
            "folder, or run one worker per replica behind a balancer (chapter 09)."
        )


class ServiceMetrics:
    """The service's metrics and the registry ``GET /metrics`` renders."""

    def __init__(self) -> None:
        self.folder = multiprocess_dir()
        self.registry = CollectorRegistry()
        # In multiprocess mode the metrics write to files and the collector reads them all.
        own = None if self.folder else self.registry
        if self.folder:
            MultiProcessCollector(self.registry, path=str(self.folder))
        self.requests = Counter(
            "http_requests", "HTTP requests answered.", ["method", "path", "status"], registry=own
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer a request, in seconds.",
            ["path"],
            buckets=LATENCY_BUCKETS,
            registry=own,
        )
        self.predictions = Counter(
            "predictions", "Predictions made, by decision.", ["decision"], registry=own
        )
        self.probability = Histogram(
            "prediction_probability",
            "Predicted default probabilities.",
            buckets=PROBABILITY_BUCKETS,
            registry=own,
        )
        self.log_failures = Counter(
            "prediction_log_failures",
            "Requests refused (503) because their predictions could not be logged, by reason.",
            ["reason"],
            registry=own,
        )
        self.model_info = Gauge(
            "model_info",
            "The model version being served (value 1).",
            ["version"],
            registry=own,
            multiprocess_mode="livemax",
        )

        # ``labels(...)`` takes a lock and checks the values on every call; the label sets are
        # bounded, so each child is looked up once and kept (a few microseconds per request).
        self._children: dict[tuple[Any, ...], Any] = {}

    def _child(self, metric: Any, *label_values: str) -> Any:
        key = (metric, *label_values)  # metrics hash by identity
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*label_values)
        return child

    def observe_request(self, method: str, path: str, status: int, seconds: float) -> None:
        """Count one answered request and its duration (bounded labels, see ``OTHER``)."""
        self._child(self.requests, method, path, str(status)).inc()
        self._child(self.duration, path).observe(seconds)

    def observe_prediction(self, decision: str, probability: float) -> None:
        """Count one prediction by decision and add its probability to the histogram."""
        self._child(self.predictions, decision).inc()
        self.probability.observe(probability)

    def observe_log_failure(self, reason: str) -> None:
        """Count one request refused because the prediction log could not be written."""
        self._child(self.log_failures, reason).inc()

    def serving(self, version: str, previous: str | None = None) -> None:
        """``model_info``: 1 for the version now served, 0 for the one it replaced."""
        if previous is not None and previous != version:
            self.model_info.labels(version=previous).set(0)
        self.model_info.labels(version=version).set(1)

    def render(self) -> bytes:
        """Every metric in the Prometheus text format (summed over workers if multiprocess)."""
        return generate_latest(self.registry)

    def close(self) -> None:
        """At shutdown: a stopped worker's live gauges leave the sum."""
        if self.folder is not None:
            mark_process_dead(os.getpid(), str(self.folder))


def parse_metrics(text: str) -> Samples:
    """Read Prometheus text back with prometheus-client's own parser.

    Returns ``{(sample name, sorted label pairs): value}``, e.g.
    ``samples[("predictions_total", (("decision", "approve"),))]``. Malformed text raises
    ``ValueError``.
    """
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = float(sample.value)
    return samples
