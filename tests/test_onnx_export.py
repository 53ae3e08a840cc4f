"""ONNX export: the exported graph gives scikit-learn's probabilities, and bad input is named."""

from __future__ import annotations

import numpy as np
import pytest

from workshop_lib import data, schema, training
from workshop_lib.edge.onnx_export import PARITY_TOLERANCE, OnnxPredictor, parity, save, to_onnx


@pytest.fixture(scope="module")
def holdout():
    return data.make_applications(5_000, seed=31)


@pytest.fixture(scope="module")
def exported(trained):
    return to_onnx(trained.model)


def test_gradient_boosting_matches_sklearn_on_holdout(trained, exported, holdout):
    # Tree splits on rounded incomes and amounts: a tie must go the same way in both.
    assert parity(trained.model, OnnxPredictor(exported), holdout) <= PARITY_TOLERANCE


@pytest.mark.parametrize("kind", ["logistic", "random_forest"])
def test_other_kinds_match_sklearn(kind, holdout):
    frame = data.make_applications(3_000, seed=32)
    pipeline = training.build_pipeline(kind).fit(*training.split_features(frame))
    assert parity(pipeline, OnnxPredictor(to_onnx(pipeline)), holdout) <= PARITY_TOLERANCE


def test_model_path_and_bytes_give_the_same_probabilities(exported, holdout, tmp_path):
    path = save(exported, tmp_path / "m" / "model.onnx")
    frames = holdout.iloc[:50]
    expected = OnnxPredictor(exported).predict_proba(frames)
    assert expected.shape == (50, 2)
    np.testing.assert_allclose(expected.sum(axis=1), 1.0, atol=1e-6)
    for source in (path, str(path), path.read_bytes()):
        np.testing.assert_array_equal(OnnxPredictor(source).predict_proba(frames), expected)


def test_one_input_per_feature(exported):
    assert [i.name for i in exported.graph.input] == schema.FEATURES
    assert [o.name for o in exported.graph.output] == ["label", "probabilities"]


def test_missing_column_is_named(exported, holdout):
    with pytest.raises(schema.SchemaError, match="credit_score: column is missing"):
        OnnxPredictor(exported).predict_proba(holdout.drop(columns="credit_score"))


def test_bad_sources_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="no ONNX model file"):
        OnnxPredictor(tmp_path / "nope.onnx")
    with pytest.raises(TypeError, match="expected an onnx.ModelProto"):
        OnnxPredictor(42)
    with pytest.raises(ValueError, match="threads must be >= 1"):
        OnnxPredictor(b"", threads=0)


def test_unfitted_or_wrong_models_are_refused():
    with pytest.raises(ValueError, match="not fitted"):
        to_onnx(training.build_pipeline("logistic"))
    with pytest.raises(TypeError, match="expected a fitted scikit-learn Pipeline"):
        to_onnx(training.build_pipeline("logistic")[-1])
