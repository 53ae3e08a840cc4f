"""Operational figures from Prometheus text: a real metrics registry and the real API."""

from __future__ import annotations

import math

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from workshop_lib import data, schema
from workshop_lib.monitoring import ops_metrics
from workshop_lib.prediction_log import read_prediction_log
from workshop_lib.realtime.http_metrics import parse_metrics
from workshop_lib.support.servers import start_uvicorn


class _Registry:
    """A prometheus-client registry shaped like the API's, with instruments to record into."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        reg = self.registry
        self.requests = Counter("http_requests", "r", ["method", "path", "status"], registry=reg)
        self.duration = Histogram(
            "http_request_duration_seconds", "l", ["path"], buckets=(0.01, 0.1, 1.0), registry=reg
        )
        self.predictions = Counter("predictions", "p", ["decision"], registry=reg)
        Gauge("model_info", "v", ["version"], registry=reg).labels(version="1.2.0").set(1)

    def render(self) -> str:
        return generate_latest(self.registry).decode()


def _service_metrics() -> tuple[_Registry, _Registry]:
    registry = _Registry()
    return registry, registry


def _serve(instruments, path: str, status: str, seconds: float, times: int) -> None:
    for _ in range(times):
        instruments.requests.labels(method="POST", path=path, status=status).inc()
        instruments.duration.labels(path=path).observe(seconds)


def test_summary_counts_traffic_errors_latency_and_decisions():
    registry, instruments = _service_metrics()
    _serve(instruments, "/predict", "200", 0.005, 80)
    _serve(instruments, "/predict", "422", 0.05, 15)
    _serve(instruments, "/predict", "500", 0.5, 5)
    _serve(instruments, "/metrics", "200", 0.5, 50)  # scrapes: not user traffic
    instruments.predictions.labels(decision="approve").inc(60)
    instruments.predictions.labels(decision="decline").inc(20)
    summary = ops_metrics.ops_summary(parse_metrics(registry.render()))
    assert summary.requests == 100 and summary.requests_by_path == {"/predict": 100}
    assert (summary.server_errors, summary.client_errors) == (5, 15)
    assert summary.error_rate == pytest.approx(0.05)
    assert summary.client_error_rate == pytest.approx(0.15)
    assert summary.latency_mean_ms == pytest.approx((80 * 5 + 15 * 50 + 5 * 500) / 100)
    # 80 of 100 in the first bucket (<= 10 ms): the median lies inside it, by interpolation
    assert summary.latency_p50_ms == pytest.approx(10 * 50 / 80)
    assert summary.latency_p99_ms == pytest.approx(100 + 900 * (99 - 95) / 5)
    assert summary.predictions_by_decision == {"approve": 60, "decline": 20}
    assert summary.model_version == "1.2.0"
    assert summary.as_metrics()["error_rate"] == pytest.approx(0.05)
    by_status = ops_metrics.requests_by_status(parse_metrics(registry.render()))
    assert by_status == {"200": 80, "422": 15, "500": 5}  # the scrapes left out


def test_difference_of_two_scrapes_is_the_window():
    registry, instruments = _service_metrics()
    _serve(instruments, "/predict", "500", 0.5, 10)
    before = parse_metrics(registry.render())
    _serve(instruments, "/predict", "200", 0.005, 40)
    window = ops_metrics.difference(before, parse_metrics(registry.render()))
    summary = ops_metrics.ops_summary(window)
    assert summary.requests == 40 and summary.server_errors == 0
    assert summary.latency_p99_ms <= 10
    assert summary.model_version == "1.2.0"  # gauges keep their latest value


def test_a_restarted_server_counts_from_zero():
    before = {("http_requests_total", (("path", "/predict"), ("status", "200"))): 500.0}
    after = {("http_requests_total", (("path", "/predict"), ("status", "200"))): 30.0}
    assert list(ops_metrics.difference(before, after).values()) == [30.0]


def test_histogram_quantile_edge_cases():
    buckets = [(0.1, 10.0), (1.0, 10.0), (math.inf, 20.0)]
    assert ops_metrics.histogram_quantile(0.25, buckets) == pytest.approx(0.05)
    assert ops_metrics.histogram_quantile(0.9, buckets) == 1.0  # in +Inf: the largest bound
    assert math.isnan(ops_metrics.histogram_quantile(0.5, [(0.1, 0.0), (math.inf, 0.0)]))
    with pytest.raises(ValueError, match=r"\+Inf bucket"):
        ops_metrics.histogram_quantile(0.5, [(0.1, 3.0)])
    with pytest.raises(ValueError, match="q must be"):
        ops_metrics.histogram_quantile(1.5, buckets)


def test_no_traffic_gives_nan_rates():
    registry, _ = _service_metrics()
    summary = ops_metrics.ops_summary(parse_metrics(registry.render()))
    assert summary.requests == 0
    assert math.isnan(summary.error_rate) and math.isnan(summary.latency_p95_ms)


@pytest.mark.slow
def test_the_real_api_metrics_and_logs(registry, tmp_path):
    log = tmp_path / "predictions.jsonl"
    env = {"MODEL_REGISTRY": str(registry.root), "PREDICTION_LOG": str(log)}
    rows = data.make_applications(20, seed=71)[schema.FEATURES]
    records = rows.astype({c: str for c in schema.CATEGORICAL_FEATURES}).to_dict("records")
    with start_uvicorn(env=env, name="ops-test-api") as api, httpx.Client(base_url=api.url) as c:
        before = ops_metrics.fetch_metrics(api.url)
        for record in records[:12]:
            assert c.post("/predict", json=record).status_code == 200
        assert c.post("/predict/batch", json={"applications": records[12:]}).status_code == 200
        for bad in ({**records[0], "age": -5}, {"age": 40}, {**records[0], "purpose": "yacht"}):
            assert c.post("/predict", json=bad).status_code == 422
        window = ops_metrics.ops_summary(
            ops_metrics.difference(before, ops_metrics.fetch_metrics(api.url))
        )
    assert window.requests == 16 and window.client_errors == 3
    assert window.client_error_rate == pytest.approx(3 / 16) and window.error_rate == 0
    assert sum(window.predictions_by_decision.values()) == 20
    assert window.model_version == "1.0.0" and window.latency_p50_ms > 0
    logged = read_prediction_log(log)
    assert logged.skipped_lines == 0 and len(logged.frame) == 20
    assert logged.frame["annual_income"].tolist() == rows["annual_income"].tolist()
