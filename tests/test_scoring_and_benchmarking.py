"""The shared scoring rule and the measurement helpers."""

from __future__ import annotations

import numpy as np
import pytest

from workshop_lib import data
from workshop_lib.scoring import decide, score_batch
from workshop_lib.support import benchmarking


def test_decision_threshold_is_inclusive():
    assert decide(np.array([0.1, 0.35, 0.9]), 0.35).tolist() == ["approve", "decline", "decline"]


def test_score_batch_keeps_the_index_and_ignores_extra_columns(registry):
    loaded = registry.load()
    frame = data.make_applications(50, seed=3).set_index("application_id", drop=False)
    scored = score_batch(loaded, frame)
    assert scored.index.equals(frame.index)
    assert scored["probability"].between(0, 1).all()
    assert (scored["decision"] == decide(scored["probability"], loaded.threshold)).all()


def test_summary_percentiles_in_milliseconds():
    summary = benchmarking.summarize(np.arange(1, 101) / 1000, wall_s=2.0)
    assert summary.count == 100
    assert summary.p50_ms == pytest.approx(50.5)
    assert summary.p99_ms == pytest.approx(99.01)
    assert summary.per_second == pytest.approx(50.0)
    assert "p99=99.01 ms" in str(summary)


def test_summary_needs_latencies():
    with pytest.raises(ValueError, match="no latencies"):
        benchmarking.summarize([])


def test_time_calls_counts_every_call():
    calls = []
    latencies = benchmarking.time_calls(lambda: calls.append(1), repeat=20, warmup=3)
    assert len(calls) == 23 and len(latencies) == 20 and (latencies >= 0).all()
