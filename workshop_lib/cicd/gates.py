"""Model tests: the quality gates a candidate model must pass before it may serve.

Each gate is a function ``gate(context) -> Outcome`` (pass/fail with a reason):

- ``min_roc_auc``: the candidate ranks defaulters above payers well enough on the holdout.
- ``max_calibration_error``: its probabilities mean what they say (the decision threshold
  depends on it).
- ``no_worse_than_production``: on the *same* holdout, its ROC AUC is at most a stated margin
  below the serving model's (both are scored now, not taken from old metadata).
- ``invariance``: changing what must not matter (the sales channel) barely changes decisions.
- ``directional``: a lower credit score, more debt or more late payments raise the risk.
- ``minimum_functionality``: clear-cut applicants get the obvious decision.

The last three are behavioural tests (Ribeiro et al., "Beyond Accuracy", 2020): they check what
the model *does*, which a single metric can hide. ``run_gates`` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workshop_lib import schema, scoring, training
from workshop_lib.cicd.outcomes import Outcome
from workshop_lib.registry import LoadedModel


@dataclass(frozen=True)
class GateLimits:
    """The thresholds of the gates: the release criteria, written down in one place."""

    min_roc_auc: float = 0.70
    max_calibration_error: float = 0.05
    max_auc_drop: float = 0.01
    max_invariance_flip_share: float = 0.05
    max_directional_violation_share: float = 0.05
    directional_tolerance: float = 0.01
    behaviour_rows: int = 2_000


@dataclass(frozen=True)
class GateContext:
    """Everything a gate may look at: the candidate, its holdout metrics, the serving model."""

    model: Any
    threshold: float
    holdout: pd.DataFrame
    metrics: dict[str, float]
    production: LoadedModel | None
    limits: GateLimits

    def probabilities(self, frame: pd.DataFrame) -> np.ndarray:
        """The candidate's default probability for each row of ``frame``."""
        return self.model.predict_proba(frame[schema.FEATURES])[:, 1]

    def behaviour_sample(self) -> pd.DataFrame:
        """A fixed random sample of the holdout for the behavioural tests."""
        rows = min(self.limits.behaviour_rows, len(self.holdout))
        return self.holdout.sample(rows, random_state=0).reset_index(drop=True)


Gate = Callable[[GateContext], Outcome]


def gate_min_roc_auc(context: GateContext) -> Outcome:
    """Holdout ROC AUC at or above the floor."""
    auc, floor = context.metrics["roc_auc"], context.limits.min_roc_auc
    verdict = ">=" if auc >= floor else "<"
    return Outcome(
        "min_roc_auc", auc >= floor, f"ROC AUC {auc:.3f} {verdict} {floor}", {"roc_auc": auc}
    )


def gate_max_calibration_error(context: GateContext) -> Outcome:
    """Expected calibration error at or below the ceiling."""
    error, ceiling = context.metrics["calibration_error"], context.limits.max_calibration_error
    verdict = "<=" if error <= ceiling else ">"
    return Outcome(
        "max_calibration_error",
        error <= ceiling,
        f"calibration error {error:.3f} {verdict} {ceiling}",
        {"calibration_error": error},
    )


def gate_no_worse_than_production(context: GateContext) -> Outcome:
    """ROC AUC no more than ``max_auc_drop`` below the production model's on the same holdout."""
    if context.production is None:
        return Outcome(
            "no_worse_than_production", True, "no model in production yet: nothing to beat"
        )
    serving = training.evaluate(context.production.model, context.holdout, context.threshold)
    candidate, current = context.metrics["roc_auc"], serving["roc_auc"]
    margin = context.limits.max_auc_drop
    passed = candidate >= current - margin
    return Outcome(
        "no_worse_than_production",
        passed,
        f"ROC AUC {candidate:.3f} vs production {context.production.version}'s {current:.3f} "
        f"(change {candidate - current:+.3f}, allowed drop {margin})",
        {"candidate_roc_auc": candidate, "production_roc_auc": current},
    )


def gate_invariance(context: GateContext) -> Outcome:
    """Setting every applicant's sales channel to one value flips few decisions."""
    sample = context.behaviour_sample()
    before = scoring.decide(context.probabilities(sample), context.threshold)
    flips = {}
    for channel in schema.CATEGORIES["channel"]:
        after = scoring.decide(
            context.probabilities(sample.assign(channel=channel)), context.threshold
        )
        flips[channel] = float(np.mean(after != before))
    worst = max(flips, key=lambda name: flips[name])
    limit = context.limits.max_invariance_flip_share
    return Outcome(
        "invariance",
        flips[worst] <= limit,
        f"changing only the sales channel (to {worst!r}) flips {flips[worst]:.1%} of decisions "
        f"(limit {limit:.0%})",
        {"flip_share": flips},
    )


# Changes that must raise the default risk: (description, column, function of the column).
RISKIER: tuple[tuple[str, str, Callable[[pd.Series], pd.Series]], ...] = (
    ("credit score -100", "credit_score", lambda s: (s - 100).clip(300, 850)),
    ("debt-to-income +0.2", "debt_to_income", lambda s: (s + 0.2).clip(0, 2)),
    ("2 more late payments", "delinquencies_2y", lambda s: (s + 2).clip(0, 30)),
)


def gate_directional(context: GateContext) -> Outcome:
    """Riskier inputs raise the probability on average and lower it for few applicants."""
    sample = context.behaviour_sample()
    before = context.probabilities(sample)
    limits = context.limits
    problems, details = [], {}
    for description, column, change in RISKIER:
        after = context.probabilities(sample.assign(**{column: change(sample[column])}))
        mean_change = float(np.mean(after - before))
        wrong_way = float(np.mean(after < before - limits.directional_tolerance))
        details[description] = {"mean_change": mean_change, "wrong_way_share": wrong_way}
        if mean_change <= 0 or wrong_way > limits.max_directional_violation_share:
            problems.append(
                f"{description}: mean change {mean_change:+.3f} (must be > 0), lowers the "
                f"risk of {wrong_way:.1%} of applicants "
                f"(limit {limits.max_directional_violation_share:.0%})"
            )
    if problems:
        return Outcome("directional", False, "; ".join(problems), details)
    return Outcome(
        "directional", True, f"all {len(RISKIER)} riskier changes raise the risk", details
    )


# Applicants whose decision nobody would argue about: (description, changes, expected decision).
CLEAR_CASES: tuple[tuple[str, dict[str, Any], str], ...] = (
    (
        "excellent credit, small loan, high income",
        {
            "credit_score": 820,
            "annual_income": 150_000.0,
            "loan_amount": 8_000.0,
            "debt_to_income": 0.05,
            "employment_years": 15.0,
            "home_ownership": "own",
        },
        scoring.APPROVE,
    ),
    ("the typical applicant", {}, scoring.APPROVE),
    (
        "poor credit, loan above income, recent late payments",
        {
            "credit_score": 500,
            "annual_income": 20_000.0,
            "loan_amount": 30_000.0,
            "debt_to_income": 0.85,
            "delinquencies_2y": 4,
            "employment_years": 0.0,
            "home_ownership": "rent",
            "purpose": "small_business",
            "term": "60_months",
        },
        scoring.DECLINE,
    ),
    (
        "very high debt and several late payments",
        {
            "credit_score": 560,
            "debt_to_income": 0.9,
            "delinquencies_2y": 5,
            "loan_amount": 40_000.0,
            "term": "60_months",
        },
        scoring.DECLINE,
    ),
)


def clear_cases_frame() -> pd.DataFrame:
    """The clear-cut applicants as a table with the schema's categories."""
    frame = pd.DataFrame(
        [{**schema.EXAMPLE_APPLICATION, **changes} for _, changes, _ in CLEAR_CASES]
    )
    for column, categories in schema.CATEGORIES.items():
        frame[column] = pd.Categorical(frame[column], categories=categories)
    return schema.validate_frame(frame)


def gate_minimum_functionality(context: GateContext) -> Outcome:
    """Every clear-cut applicant gets the obvious decision."""
    probability = context.probabilities(clear_cases_frame())
    decisions = scoring.decide(probability, context.threshold)
    wrong = [
        f"{description}: {decision} at p={p:.2f}, expected {expected}"
        for (description, _, expected), decision, p in zip(
            CLEAR_CASES, decisions, probability, strict=True
        )
        if decision != expected
    ]
    if wrong:
        return Outcome("minimum_functionality", False, "; ".join(wrong))
    return Outcome(
        "minimum_functionality", True, f"all {len(CLEAR_CASES)} clear-cut cases decided correctly"
    )


DEFAULT_GATES: tuple[Gate, ...] = (
    gate_min_roc_auc,
    gate_max_calibration_error,
    gate_no_worse_than_production,
    gate_invariance,
    gate_directional,
    gate_minimum_functionality,
)


def run_gates(
    model: Any,
    holdout: pd.DataFrame,
    *,
    threshold: float = training.DECISION_THRESHOLD,
    production: LoadedModel | None = None,
    limits: GateLimits | None = None,
    gates: Sequence[Gate] = DEFAULT_GATES,
    metrics: dict[str, float] | None = None,
) -> list[Outcome]:
    """Run every gate on a candidate ``model`` (anything with ``predict_proba``)."""
    if not hasattr(model, "predict_proba"):
        raise TypeError(f"a candidate model needs predict_proba; got {type(model).__name__}")
    context = GateContext(
        model=model,
        threshold=threshold,
        holdout=holdout,
        metrics=metrics or training.evaluate(model, holdout, threshold),
        production=production,
        limits=limits or GateLimits(),
    )
    return [gate(context) for gate in gates]
