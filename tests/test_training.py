"""Training and evaluation: the pipeline learns the risk rule and the metrics are right."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from workshop_lib import data, schema, training


def test_default_model_beats_chance_clearly(trained):
    assert trained.metrics["roc_auc"] > 0.75
    assert trained.metrics["calibration_error"] < 0.05
    assert 0 < trained.metrics["precision"] < 1 and 0 < trained.metrics["recall"] < 1


def test_evaluate_matches_sklearn(trained, small_frames):
    holdout = small_frames[1]
    proba = trained.model.predict_proba(holdout[schema.FEATURES])[:, 1]
    expected = roc_auc_score(holdout[schema.TARGET_COLUMN], proba)
    assert training.evaluate(trained.model, holdout)["roc_auc"] == pytest.approx(expected)


@pytest.mark.parametrize("kind", ["logistic", "random_forest"])
def test_other_kinds_train(kind, small_frames):
    result = training.train(*small_frames, kind=kind)
    assert result.kind == kind and result.metrics["roc_auc"] > 0.7


def test_training_is_deterministic(small_frames):
    first = training.train(*small_frames).model
    second = training.train(*small_frames).model
    features = small_frames[1][schema.FEATURES]
    np.testing.assert_array_equal(first.predict_proba(features), second.predict_proba(features))


def test_concept_drift_hurts_the_model(trained):
    drifted = data.make_applications(10_000, "concept_drift", seed=13)
    assert training.evaluate(trained.model, drifted)["roc_auc"] < trained.metrics["roc_auc"] - 0.03


def test_calibration_error_of_perfect_and_bad_forecasts():
    y = np.array([0, 0, 1, 1] * 50)
    assert training.expected_calibration_error(y, np.full(200, 0.5)) == pytest.approx(0.0)
    assert training.expected_calibration_error(y, np.full(200, 0.9)) == pytest.approx(0.4)


def test_invalid_training_data_is_refused(small_frames):
    bad = small_frames[0].drop(columns=["credit_score"])
    with pytest.raises(schema.SchemaError, match="credit_score: column is missing"):
        training.train(bad, small_frames[1])


def test_unknown_kind_is_named():
    with pytest.raises(ValueError, match="unknown model kind 'svm'"):
        training.build_pipeline("svm")
