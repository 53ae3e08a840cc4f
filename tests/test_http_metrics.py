"""The service's Prometheus metrics: prometheus-client, its own parser, several processes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from workshop_lib.realtime.http_metrics import MULTIPROC_ENV_VAR, ServiceMetrics, parse_metrics


def test_contract_names_render_and_parse_back():
    metrics = ServiceMetrics()
    metrics.requests.labels(method="POST", path="/predict", status="200").inc()
    metrics.duration.labels(path="/predict").observe(0.003)
    metrics.predictions.labels(decision="approve").inc(2)
    metrics.serving("1.1.0", previous="1.0.0")
    samples = parse_metrics(metrics.render().decode())
    ok = ("http_requests_total", (("method", "POST"), ("path", "/predict"), ("status", "200")))
    assert samples[ok] == 1
    assert samples[("predictions_total", (("decision", "approve"),))] == 2
    assert samples[("http_request_duration_seconds_count", (("path", "/predict"),))] == 1
    assert samples[("model_info", (("version", "1.1.0"),))] == 1
    assert samples[("model_info", (("version", "1.0.0"),))] == 0
    assert not any(name.endswith("_created") for name, _ in samples)


def test_malformed_text_is_a_value_error():
    with pytest.raises(ValueError):
        parse_metrics("this is not a sample line at all")


COUNT_IN_A_PROCESS = """
from workshop_lib.realtime.http_metrics import ServiceMetrics
m = ServiceMetrics()
m.predictions.labels(decision="approve").inc({n})
"""


def test_multiprocess_mode_adds_up_the_processes(tmp_path):
    env = {**os.environ, MULTIPROC_ENV_VAR: str(tmp_path)}
    for n in (3, 4):
        code = COUNT_IN_A_PROCESS.format(n=n)
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
    scrape = (
        "from workshop_lib.realtime.http_metrics import ServiceMetrics; "
        "print(ServiceMetrics().render().decode())"
    )
    text = subprocess.run(
        [sys.executable, "-c", scrape], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert parse_metrics(text)[("predictions_total", (("decision", "approve"),))] == 7


def test_setting_the_folder_after_import_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(MULTIPROC_ENV_VAR, str(tmp_path))
    with pytest.raises(RuntimeError, match="set after prometheus_client was imported"):
        ServiceMetrics()
