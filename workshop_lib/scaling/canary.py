"""A canary release: a weighted share of traffic to the new version, judged, kept or rolled back.

The judgement reuses the workbook's own parts: each replica's Prometheus counters (chapter 08's
``ops_summary`` over the window, read from the replica's own ``/metrics``) and chapter 07's
``Outcome`` for every check. The canary fails when its server-error rate or its decline rate
departs from the stable version's over the same window by more than the allowed change *and*
by more than sampling noise explains (a two-proportion z-test, as canary analysers such as
Kayenta combine an effect size with a significance test): a canary that serves a few hundred
requests of the same model differs from the stable one by a few points by chance alone. Then
the balancer stops sending it traffic in one graceful reload (``Balancer.set_down``), and no
request fails on the way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from workshop_lib.cicd.outcomes import Outcome, summarise
from workshop_lib.monitoring.ops_metrics import OpsSummary, Samples, difference, ops_summary
from workshop_lib.scoring import DECLINE


@dataclass(frozen=True)
class CanaryLimits:
    """How far the canary may depart from the stable version before it is rolled back."""

    max_error_rate_increase: float = 0.01  # server errors per request, absolute
    max_decline_rate_change: float = 0.05  # share of declined applications, absolute
    min_predictions: int = 200  # fewer canary predictions than this: too early to judge
    false_alarm_rate: float = 0.001  # chance that noise alone rolls back a canary as good


@dataclass(frozen=True)
class Proportion:
    """``hits`` out of ``total`` (declines out of predictions, errors out of requests)."""

    hits: int
    total: int

    @property
    def rate(self) -> float:
        """The share, NaN when there is nothing to count."""
        return self.hits / self.total if self.total else float("nan")


def z_score(canary: Proportion, stable: Proportion) -> float:
    """The two-proportion z statistic of ``canary.rate - stable.rate`` (0 when both are equal)."""
    pooled = (canary.hits + stable.hits) / (canary.total + stable.total)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / canary.total + 1 / stable.total))
    change = canary.rate - stable.rate
    return change / spread if spread else (0.0 if change == 0 else math.copysign(math.inf, change))


def declines(summary: OpsSummary) -> Proportion:
    """This window's declines out of its predictions."""
    counts = summary.predictions_by_decision
    return Proportion(counts.get(DECLINE, 0), sum(counts.values()))


def server_errors(summary: OpsSummary) -> Proportion:
    """This window's server errors out of its requests."""
    return Proportion(summary.server_errors, summary.requests)


def compare(
    name: str, what: str, canary: Proportion, stable: Proportion, allowed: float, *,
    two_sided: bool, false_alarm_rate: float,
) -> Outcome:  # fmt: skip
    """Fail only for a change beyond ``allowed`` that noise is unlikely to explain."""
    change = canary.rate - stable.rate
    z = z_score(canary, stable)
    tails = 2 if two_sided else 1
    critical = NormalDist().inv_cdf(1 - false_alarm_rate / tails)
    beyond_limit = abs(change) > allowed if two_sided else change > allowed
    beyond_noise = abs(z) > critical if two_sided else z > critical
    sign = "±" if two_sided else "+"
    return Outcome(
        name,
        not (beyond_limit and beyond_noise),
        f"{what} {canary.rate:.1%} of {canary.total:,} vs stable {stable.rate:.1%} of "
        f"{stable.total:,} (change {change:+.1%}, allowed {sign}{allowed:.0%}; "
        f"z = {z:+.1f}, noise up to {critical:.1f})",
        {"canary": canary.rate, "stable": stable.rate, "z": z},
    )


def judge_canary(
    stable: OpsSummary, canary: OpsSummary, limits: CanaryLimits = CanaryLimits()
) -> Outcome:
    """Keep the canary (passed) or roll it back (failed), with each check's figures."""
    predictions = declines(canary).total
    if predictions < limits.min_predictions:
        raise ValueError(
            f"the canary made {predictions} predictions; judge it after "
            f"{limits.min_predictions} (CanaryLimits.min_predictions)"
        )
    errors_ok = compare(
        "canary_error_rate", "server errors", server_errors(canary), server_errors(stable),
        limits.max_error_rate_increase, two_sided=False,
        false_alarm_rate=limits.false_alarm_rate,
    )  # fmt: skip
    declines_ok = compare(
        "canary_decline_rate", "declines", declines(canary), declines(stable),
        limits.max_decline_rate_change, two_sided=True,
        false_alarm_rate=limits.false_alarm_rate,
    )  # fmt: skip
    return summarise("canary", [errors_ok, declines_ok], "canary checks")


def window(before: Samples, after: Samples) -> OpsSummary:
    """Chapter 08's operator summary of what a replica did between two scrapes."""
    return ops_summary(difference(before, after))
