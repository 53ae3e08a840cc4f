"""A canary release: a weighted share of traffic to the new version, judged, kept or rolled back.

The judgement reuses the workbook's own parts: each replica's Prometheus counters (chapter 08's
``ops_summary`` over the window, read from the replica's own ``/metrics``) and chapter 07's
``Outcome`` for every check. The canary fails when its server-error rate or its decline rate
departs from the stable version's over the same window; then the balancer stops sending it
traffic in one graceful reload (``Balancer.set_down``), and no request fails on the way.
"""

from __future__ import annotations

from dataclasses import dataclass

from workshop_lib.cicd.outcomes import Outcome, summarise
from workshop_lib.monitoring.ops_metrics import OpsSummary, Samples, difference, ops_summary
from workshop_lib.scoring import DECLINE


@dataclass(frozen=True)
class CanaryLimits:
    """How far the canary may depart from the stable version before it is rolled back."""

    max_error_rate_increase: float = 0.01  # server errors per request, absolute
    max_decline_rate_change: float = 0.05  # share of declined applications, absolute
    min_predictions: int = 200  # fewer canary predictions than this: too early to judge


def decline_rate(summary: OpsSummary) -> float:
    """The share of this window's predictions that were declines (NaN without predictions)."""
    total = sum(summary.predictions_by_decision.values())
    return summary.predictions_by_decision.get(DECLINE, 0) / total if total else float("nan")


def judge_canary(
    stable: OpsSummary, canary: OpsSummary, limits: CanaryLimits = CanaryLimits()
) -> Outcome:
    """Keep the canary (passed) or roll it back (failed), with each check's figures."""
    predictions = sum(canary.predictions_by_decision.values())
    if predictions < limits.min_predictions:
        raise ValueError(
            f"the canary made {predictions} predictions; judge it after "
            f"{limits.min_predictions} (CanaryLimits.min_predictions)"
        )
    errors = canary.error_rate - stable.error_rate
    errors_ok = Outcome(
        "canary_error_rate",
        errors <= limits.max_error_rate_increase,
        f"server errors {canary.error_rate:.2%} vs stable {stable.error_rate:.2%} "
        f"(change {errors:+.2%}, allowed +{limits.max_error_rate_increase:.0%})",
        {"canary": canary.error_rate, "stable": stable.error_rate},
    )
    declines = decline_rate(canary) - decline_rate(stable)
    declines_ok = Outcome(
        "canary_decline_rate",
        abs(declines) <= limits.max_decline_rate_change,
        f"declines {decline_rate(canary):.1%} vs stable {decline_rate(stable):.1%} "
        f"(change {declines:+.1%}, allowed ±{limits.max_decline_rate_change:.0%})",
        {"canary": decline_rate(canary), "stable": decline_rate(stable)},
    )
    return summarise("canary", [errors_ok, declines_ok], "canary checks")


def window(before: Samples, after: Samples) -> OpsSummary:
    """Chapter 08's operator summary of what a replica did between two scrapes."""
    return ops_summary(difference(before, after))
