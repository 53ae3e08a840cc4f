"""Alert rules fire once per incident; an alert retrains through the real CI/CD pipeline."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from workshop_lib import data
from workshop_lib.monitoring import alerts
from workshop_lib.monitoring.alerts import AlertMonitor, AlertRule
from workshop_lib.registry import PRODUCTION

AUC_FLOOR = AlertRule("low_auc", "roc_auc", 0.75, "below", "retrain", "ROC AUC")


def test_rule_breach_and_unknown_values():
    assert AUC_FLOOR.breached(0.70) is True
    assert AUC_FLOOR.breached(0.80) is False
    assert AUC_FLOOR.breached(0.75) is False  # at the floor is fine
    assert AUC_FLOOR.breached(math.nan) is None
    assert AUC_FLOOR.breached(None) is None


def test_bad_rules_are_refused():
    with pytest.raises(ValueError, match="direction must be"):
        AlertRule("x", "roc_auc", 0.7, "under", "retrain", "")
    with pytest.raises(ValueError, match="action must be"):
        AlertRule("x", "roc_auc", 0.7, "below", "email", "")
    with pytest.raises(ValueError, match="unique"):
        AlertMonitor([AUC_FLOOR, AUC_FLOOR])


def test_fires_once_per_incident():
    monitor = AlertMonitor([AUC_FLOOR])
    values = [0.80, 0.70, 0.68, math.nan, 0.69, 0.81, 0.72]
    fired = [monitor.observe(week, {"roc_auc": v}) for week, v in enumerate(values)]
    assert [len(f) for f in fired] == [0, 1, 0, 0, 0, 0, 1]  # NaN neither fires nor resolves
    first = fired[1][0]
    assert (first.rule, first.window, first.value, first.action) == ("low_auc", 1, 0.70, "retrain")
    assert "0.7" in first.message and "below the floor of 0.75" in first.message
    events = [(e["window"], e["event"]) for e in monitor.events]
    assert events == [(1, "fired"), (5, "resolved"), (6, "fired")]
    assert monitor.active == {"low_auc"}


def test_evaluate_rules_over_a_table_of_windows():
    weeks = pd.date_range("2025-01-06", periods=6, freq="7D")
    windows = pd.DataFrame(
        {
            "window": weeks,
            "drift_share": [0.0, 0.1, 0.5, 0.6, 0.0, 0.0],
            "roc_auc": [0.80, 0.79, 0.78, np.nan, 0.70, 0.69],
            "error_rate": [0.0, 0.0, 0.0, 0.05, 0.0, 0.0],
        }
    )
    fired = alerts.evaluate_rules(windows.iloc[::-1], alerts.default_rules())  # any order in
    assert [(a.rule, a.window) for a in fired] == [
        ("data_drift", weeks[2]),
        ("errors", weeks[3]),
        ("low_auc", weeks[4]),
    ]
    assert [a.action for a in fired] == ["retrain", "page", "retrain"]
    assert fired[0].message.startswith("[data_drift] 2025-01-20: share of features")


def test_no_retraining_without_a_retrain_alert(registry):
    page = alerts.Alert("errors", 1, "error_rate", 0.2, 0.01, "page", "")
    outcome = alerts.respond_to_alerts(
        [page], fresh_train=pd.DataFrame(), fresh_holdout=pd.DataFrame(), registry=registry
    )
    assert not outcome.retrained and not outcome.promoted
    assert "nothing to do" in outcome.summary()
    assert registry.versions() == ["1.0.0"]


@pytest.fixture(scope="module")
def concept_frames():
    return (
        data.make_applications(6_000, "concept_drift", seed=61),
        data.make_applications(4_000, "concept_drift", seed=62, first_id=20_001),
    )


LOW_AUC = alerts.Alert("low_auc", 1, "roc_auc", 0.70, 0.75, "retrain", "")


@pytest.mark.slow
def test_alert_retrains_and_promotes_the_better_model(registry, concept_frames):
    outcome = alerts.respond_to_alerts(
        [LOW_AUC],
        fresh_train=concept_frames[0],
        fresh_holdout=concept_frames[1],
        registry=registry,
        kind="logistic",  # fast, and passes the behavioural gates on a small table
    )
    assert outcome.retrained and outcome.promoted, outcome.report
    assert registry.stage(PRODUCTION) == outcome.report.version == "1.1.0"
    assert "promoted 1.1.0" in outcome.summary()


@pytest.mark.slow
def test_a_worse_model_is_not_promoted(registry, concept_frames):
    train, holdout = concept_frames
    rng = np.random.default_rng(0)
    noise = train.assign(defaulted=rng.permutation(train["defaulted"].to_numpy()))
    outcome = alerts.respond_to_alerts(
        [LOW_AUC], fresh_train=noise, fresh_holdout=holdout, registry=registry, kind="logistic"
    )
    assert outcome.retrained and not outcome.promoted
    assert registry.stage(PRODUCTION) == "1.0.0"
    assert "production unchanged" in outcome.summary()
