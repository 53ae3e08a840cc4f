"""A real Prometheus scrapes the real API; its PromQL figures agree with ops_metrics."""

from __future__ import annotations

import time

import httpx
import pytest
from helpers import require_in_ci

from workshop_lib import data, schema
from workshop_lib.monitoring import ops_metrics, prometheus_server
from workshop_lib.realtime.http_metrics import LATENCY_BUCKETS
from workshop_lib.support.servers import start_uvicorn

pytestmark = pytest.mark.slow
USER = 'path!~"/metrics|/health"'


def test_write_config_needs_a_target(tmp_path):
    with pytest.raises(ValueError, match="at least one target"):
        prometheus_server.write_config([], tmp_path)


def test_prometheus_agrees_with_ops_metrics(registry, tmp_path):
    require_in_ci("prometheus")
    env = {"MODEL_REGISTRY": str(registry.root), "PREDICTION_LOG": str(tmp_path / "p.jsonl")}
    rows = data.make_applications(60, seed=72)[schema.FEATURES]
    records = rows.astype({c: str for c in schema.CATEGORICAL_FEATURES}).to_dict("records")
    with start_uvicorn(env=env, name="prom-test-api") as api:
        target = f"{api.host}:{api.port}"
        with prometheus_server.start_prometheus([target], folder=tmp_path / "prom") as prom:
            with httpx.Client(base_url=api.url) as client:
                for record in records:
                    assert client.post("/predict", json=record).status_code == 200
                for _ in range(6):
                    assert client.post("/predict", json={"age": 40}).status_code == 422
            time.sleep(3)  # at least two scrapes after the traffic stopped
            ours = ops_metrics.ops_summary(ops_metrics.fetch_metrics(api.url))
            total = prometheus_server.query(prom, f"sum(http_requests_total{{{USER}}})")
            rejected = prometheus_server.query(
                prom, f'sum(http_requests_total{{{USER},status=~"4.."}}) / {total}'
            )
            p99 = prometheus_server.query(
                prom,
                "histogram_quantile(0.99, sum by (le) "
                f"(http_request_duration_seconds_bucket{{{USER}}}))",
            )
            fired = prometheus_server.alerts(prom)
    assert total == ours.requests == 66
    assert rejected == pytest.approx(ours.client_error_rate) == pytest.approx(6 / 66)
    # the same histogram, read by both: the same bucket, and here the same interpolation
    bucket = next(b for b in LATENCY_BUCKETS if b >= p99)
    assert ours.latency_p99_ms / 1000 <= bucket
    assert p99 == pytest.approx(ours.latency_p99_ms / 1000, rel=1e-6)
    assert not [a for a in fired if a["labels"]["alertname"] == "NoModelServing"]


def test_a_client_sending_bad_input_fires_refused_requests(registry, tmp_path):
    require_in_ci("prometheus")
    env = {"MODEL_REGISTRY": str(registry.root), "PREDICTION_LOG": str(tmp_path / "p.jsonl")}
    good = data.make_applications(1, seed=73)[schema.FEATURES]
    record = good.astype({c: str for c in schema.CATEGORICAL_FEATURES}).to_dict("records")[0]
    with start_uvicorn(env=env, name="prom-alert-api") as api:
        target = f"{api.host}:{api.port}"
        with prometheus_server.start_prometheus([target], folder=tmp_path / "prom") as prom:
            with httpx.Client(base_url=api.url) as client:
                started = time.monotonic()
                while time.monotonic() - started < 12:
                    for body in ({"age": 40}, {"age": 41}, record):
                        client.post("/predict", json=body)
            firing = prometheus_server.wait_for_alert(prom, "RefusedRequests", timeout=30)
            prometheus_server.wait_for_new_scrape(prom)
            with pytest.raises(prometheus_server.PrometheusError, match="was not firing"):
                prometheus_server.wait_for_alert(prom, "ServerErrors", timeout=2)
    assert firing["labels"]["severity"] == "ticket"
    assert "of requests are refused (4xx)" in firing["annotations"]["summary"]
