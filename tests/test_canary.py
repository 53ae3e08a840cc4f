"""The canary judge: a change beyond the limit that noise cannot explain fails, noise does not."""

from __future__ import annotations

import numpy as np
import pytest

from workshop_lib.monitoring.ops_metrics import OpsSummary
from workshop_lib.scaling.canary import CanaryLimits, Proportion, judge_canary, z_score


def summary(declined: int, approved: int, server_errors: int = 0) -> OpsSummary:
    """A replica's window with these counts (every request a prediction or a server error)."""
    requests = declined + approved + server_errors
    return OpsSummary(
        requests=requests, server_errors=server_errors, client_errors=0,
        error_rate=server_errors / requests, client_error_rate=0.0, latency_mean_ms=1.0,
        latency_p50_ms=1.0, latency_p95_ms=1.0, latency_p99_ms=1.0,
        requests_by_path={"/predict": requests},
        predictions_by_decision={"decline": declined, "approve": approved},
        model_version="1.0.0",
    )  # fmt: skip


def test_the_noise_of_the_ci_run_that_rolled_back_a_good_canary_now_passes():
    """CI saw 12.5% of 343 vs 17.7% of 984 declines from the same model: -5.1 points, z = -2.2."""
    verdict = judge_canary(summary(174, 810), summary(43, 300))
    assert verdict.passed, str(verdict)
    assert "z = -2.2" in verdict.outcome("canary_decline_rate").reason


def test_a_canary_that_declines_nearly_everyone_fails_on_declines_only():
    verdict = judge_canary(summary(157, 833), summary(270, 20))
    assert not verdict.passed
    assert not verdict.outcome("canary_decline_rate").passed
    assert verdict.outcome("canary_error_rate").passed


def test_a_canary_that_fails_requests_fails_on_errors():
    verdict = judge_canary(summary(160, 840), summary(40, 210, server_errors=30))
    assert not verdict.outcome("canary_error_rate").passed
    assert "server errors 10.7% of 280" in verdict.outcome("canary_error_rate").reason


def test_a_significant_change_within_the_limit_passes():
    """A 2-point change on a million predictions each is real, but allowed (±5 points)."""
    verdict = judge_canary(summary(170_000, 830_000), summary(190_000, 810_000))
    assert abs(verdict.outcome("canary_decline_rate").details["z"]) > 30
    assert verdict.passed


def test_too_few_predictions_are_refused_with_the_count():
    with pytest.raises(ValueError, match="made 150 predictions; judge it after 200"):
        judge_canary(summary(170, 830), summary(20, 130))


def test_z_score_of_equal_shares_is_zero_and_of_certain_change_infinite():
    assert z_score(Proportion(0, 300), Proportion(0, 900)) == 0.0
    assert z_score(Proportion(10, 100), Proportion(30, 300)) == pytest.approx(0.0)
    assert z_score(Proportion(300, 300), Proportion(0, 900)) > 30


@pytest.mark.parametrize("seed", range(3))
def test_same_model_is_kept_and_a_worse_one_rolled_back_on_thousands_of_simulated_windows(seed):
    """Binomial draws like the test's traffic: 300 canary and 900 stable predictions."""
    rng = np.random.default_rng(seed)
    limits = CanaryLimits()

    def verdicts(canary_rate: float, runs: int = 2_000) -> float:
        stable = rng.binomial(900, 0.16, runs)
        canary = rng.binomial(300, canary_rate, runs)
        return float(
            np.mean(
                [
                    judge_canary(summary(s, 900 - s), summary(c, 300 - c), limits).passed
                    for s, c in zip(stable, canary, strict=True)
                ]
            )
        )

    assert verdicts(0.16) >= 0.998  # false alarms: at most 0.2% (the design says 0.1%)
    assert verdicts(0.36) <= 0.001  # 20 points more declines: caught every time
