"""Alert rules evaluated window by window, and the loop that answers an alert by retraining.

A rule compares one monitored figure of a window (drift share, ROC AUC, error rate) with a
limit. A problem that lasts ten windows is *one* incident: ``AlertMonitor`` fires when a rule
starts being breached, stays quiet while it goes on, and is ready to fire again once a window
is healthy. A window where the figure is unknown (NaN: labels not in yet, no traffic) changes
nothing.

Drift and quality alerts ask for ``retrain``; an error-rate alert asks to ``page`` a person
(retraining does not fix a crashing service). ``respond_to_alerts`` retrains on fresh data
through the CI/CD pipeline (``workshop_lib.pipeline.run_pipeline``), whose gates promote the new
model only if it passes them and is no worse than the production model on the same holdout.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from workshop_lib.cicd.pipeline import PipelineReport, run_pipeline
from workshop_lib.registry import Registry

Direction = Literal["above", "below"]
Action = Literal["retrain", "page"]


@dataclass(frozen=True)
class AlertRule:
    """Breached when ``metric`` is above (or below) ``limit``; ``action`` says what to do."""

    name: str
    metric: str
    limit: float
    direction: Direction
    action: Action
    description: str

    def __post_init__(self) -> None:
        if self.direction not in ("above", "below"):
            raise ValueError(f"rule {self.name!r}: direction must be 'above' or 'below'")
        if self.action not in ("retrain", "page"):
            raise ValueError(f"rule {self.name!r}: action must be 'retrain' or 'page'")

    def breached(self, value: float | None) -> bool | None:
        """True or False, or None when the value is unknown (missing or NaN)."""
        if value is None or math.isnan(value):
            return None
        return value > self.limit if self.direction == "above" else value < self.limit


@dataclass(frozen=True)
class Alert:
    """One fired alert: the start of an incident."""

    rule: str
    window: Any
    metric: str
    value: float
    limit: float
    action: Action
    message: str


def default_rules(
    drift_share: float = 0.3, auc_floor: float = 0.75, error_rate: float = 0.01
) -> list[AlertRule]:
    """The three rules of the chapter: drift share, AUC floor and server error rate."""
    return [
        AlertRule(
            "data_drift",
            "drift_share",
            drift_share,
            "above",
            "retrain",
            "share of features that drifted",
        ),
        AlertRule(
            "low_auc", "roc_auc", auc_floor, "below", "retrain", "ROC AUC on labelled predictions"
        ),
        AlertRule(
            "errors", "error_rate", error_rate, "above", "page", "share of requests failing (5xx)"
        ),
    ]


@dataclass
class AlertMonitor:
    """Evaluates rules on each window's figures and fires once per incident."""

    rules: list[AlertRule]
    active: set[str] = field(default_factory=set)
    events: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        names = [r.name for r in self.rules]
        if len(set(names)) != len(names):
            raise ValueError(f"rule names must be unique, got {names}")

    def observe(self, window: Any, metrics: Mapping[str, float]) -> list[Alert]:
        """Check one window's figures; return the alerts that start an incident now."""
        fired = []
        for rule in self.rules:
            value = metrics.get(rule.metric)
            breached = rule.breached(value)
            if breached and value is not None and rule.name not in self.active:
                self.active.add(rule.name)
                alert = _alert(rule, window, float(value))
                fired.append(alert)
                self.events.append({"window": window, "rule": rule.name, "event": "fired"})
            elif breached is False and rule.name in self.active:
                self.active.discard(rule.name)
                self.events.append({"window": window, "rule": rule.name, "event": "resolved"})
        return fired


def _alert(rule: AlertRule, window: Any, value: float) -> Alert:
    when = window.date() if isinstance(window, pd.Timestamp) else window
    word = "above the limit" if rule.direction == "above" else "below the floor"
    message = (
        f"[{rule.name}] {when}: {rule.description} is {value:.3g}, {word} of {rule.limit:g} "
        f"-> {rule.action}"
    )
    return Alert(rule.name, window, rule.metric, value, rule.limit, rule.action, message)


def evaluate_rules(
    windows: pd.DataFrame, rules: list[AlertRule], window_column: str = "window"
) -> list[Alert]:
    """Run a fresh ``AlertMonitor`` over a table of windows (one row each, in time order)."""
    monitor = AlertMonitor(rules)
    alerts = []
    for row in windows.sort_values(window_column).to_dict("records"):
        alerts += monitor.observe(row[window_column], row)
    return alerts


@dataclass
class RetrainOutcome:
    """What the managing-drift loop did about a set of alerts."""

    triggered_by: list[Alert]
    report: PipelineReport | None = None  # None when no alert asked for retraining

    @property
    def retrained(self) -> bool:
        return self.report is not None

    @property
    def promoted(self) -> bool:
        return bool(self.report is not None and self.report.promoted)

    def summary(self) -> str:
        """One line a learner can read."""
        if not self.triggered_by or self.report is None:
            return "no alert asks for retraining: nothing to do"
        rules = ", ".join(sorted({a.rule for a in self.triggered_by}))
        verdict = (
            f"promoted {self.report.version} to production"
            if self.promoted
            else f"production unchanged: the pipeline stopped at {self.report.stopped_at}"
        )
        return f"alerts {rules} -> retrained through the CI/CD gates -> {verdict}"


def respond_to_alerts(
    alerts: Iterable[Alert],
    *,
    fresh_train: pd.DataFrame,
    fresh_holdout: pd.DataFrame,
    registry: Registry,
    **pipeline_options: Any,
) -> RetrainOutcome:
    """Retrain on fresh data through the CI/CD pipeline if any alert asks for it.

    The pipeline's gates decide: the new model is promoted only if it passes every gate,
    including not being worse than the production model on ``fresh_holdout``.
    ``pipeline_options`` go to ``run_pipeline`` (e.g. ``kind``, ``api_url``).
    """
    retrain = [a for a in alerts if a.action == "retrain"]
    if not retrain:
        return RetrainOutcome(triggered_by=[])
    options = {"run_code_tests": False, **pipeline_options}
    report = run_pipeline(fresh_train, fresh_holdout, registry=registry, **options)
    return RetrainOutcome(triggered_by=retrain, report=report)
