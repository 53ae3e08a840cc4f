"""The Prometheus metrics registry renders the text format that Prometheus parses."""

from __future__ import annotations

import pytest

from workshop_lib.metrics import MetricsRegistry, parse_metrics


def test_counter_counts_per_label_set():
    metrics = MetricsRegistry()
    requests = metrics.counter("requests_total", "Requests.", ["path", "status"])
    requests.inc(path="/predict", status="200")
    requests.inc(2, path="/predict", status="200")
    requests.inc(path="/predict", status="422")
    samples = parse_metrics(metrics.render())
    assert samples[("requests_total", (("path", "/predict"), ("status", "200")))] == 3
    assert samples[("requests_total", (("path", "/predict"), ("status", "422")))] == 1
    assert "# TYPE requests_total counter" in metrics.render()


def test_histogram_buckets_are_cumulative_with_sum_and_count():
    metrics = MetricsRegistry()
    latency = metrics.histogram("latency_seconds", "Latency.", buckets=(0.1, 0.5, 1.0))
    for value in (0.05, 0.1, 0.3, 0.7, 3.0):
        latency.observe(value)
    samples = parse_metrics(metrics.render())
    buckets = [samples[("latency_seconds_bucket", (("le", le),))] for le in ("0.1", "0.5", "1")]
    assert buckets == [2, 3, 4]  # 0.1 counts in le="0.1": buckets are "less than or equal"
    assert samples[("latency_seconds_bucket", (("le", "+Inf"),))] == 5
    assert samples[("latency_seconds_count", ())] == 5
    assert samples[("latency_seconds_sum", ())] == pytest.approx(4.15)


def test_gauge_set_and_clear():
    metrics = MetricsRegistry()
    info = metrics.gauge("model_info", "Model.", ["version"])
    info.set(1, version="1.0.0")
    info.clear()
    info.set(1, version="1.1.0")
    samples = parse_metrics(metrics.render())
    assert samples == {("model_info", (("version", "1.1.0"),)): 1}


def test_label_values_are_escaped():
    metrics = MetricsRegistry()
    counter = metrics.counter("odd_total", "Odd labels.", ["value"])
    counter.inc(value='say "hi"\n')
    assert 'odd_total{value="say \\"hi\\"\\n"} 1' in metrics.render()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda m: m.counter("bad name", "x"), "not a valid Prometheus name"),
        (lambda m: m.counter("ok_total", "x", ["le"]), "label name 'le'"),
        (lambda m: m.histogram("h", "x", buckets=(1.0, 0.5)), "increasing"),
    ],
)
def test_bad_definitions_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make(MetricsRegistry())


def test_wrong_labels_and_negative_increments_are_refused():
    counter = MetricsRegistry().counter("c_total", "x", ["path"])
    with pytest.raises(ValueError, match="takes labels"):
        counter.inc(status="200")
    with pytest.raises(ValueError, match="cannot go down"):
        counter.inc(-1, path="/")


def test_a_name_is_registered_once():
    metrics = MetricsRegistry()
    metrics.counter("c_total", "x")
    with pytest.raises(ValueError, match="registered twice"):
        metrics.gauge("c_total", "x")


def test_parse_refuses_garbage():
    with pytest.raises(ValueError, match="line 1"):
        parse_metrics("this is not a sample line at all")
