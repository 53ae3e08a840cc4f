"""MLflow mirrors the registry: runs tracked, versions mirrored, the alias follows production."""

from __future__ import annotations

import numpy as np
import pytest

from workshop_lib.cicd import mlflow_tracking, pipeline, releases
from workshop_lib.registry import PRODUCTION

pytestmark = pytest.mark.slow


@pytest.fixture
def tracking(tmp_path) -> mlflow_tracking.Tracking:
    return mlflow_tracking.Tracking(tmp_path / "mlflow")


def test_pipeline_run_is_tracked_and_the_alias_follows_promotion_and_rollback(
    tracking, registry, small_frames, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # artifacts must not land in ./mlruns of the current folder
    train, holdout = small_frames
    report = pipeline.run_pipeline(
        train, holdout, registry=registry, kind="logistic", tracking=tracking
    )
    assert report.passed, str(report)
    assert report.mlflow_run_id is not None
    assert mlflow_tracking.compare_with_registry(tracking, registry) == []
    assert mlflow_tracking.production_semver(tracking) == report.version == registry.stage()
    assert not (tmp_path / "mlruns").exists()
    assert (tracking.root / "artifacts").is_dir()

    run = tracking.client().get_run(report.mlflow_run_id)
    meta = registry.metadata(report.version)
    assert run.data.tags["data_fingerprint"] == meta["data_fingerprint"]
    assert run.data.tags[mlflow_tracking.SEMVER_TAG] == report.version
    assert run.data.tags["gates_passed"] == "true"
    assert any(key.startswith("gate.") for key in run.data.tags)
    assert run.data.metrics["roc_auc"] == pytest.approx(meta["metrics"]["roc_auc"])
    assert run.data.params["kind"] == "logistic"

    back = releases.rollback(registry, tracking=tracking)
    assert back.passed
    assert registry.stage(PRODUCTION) == "1.0.0"
    assert mlflow_tracking.production_semver(tracking) == "1.0.0"
    assert mlflow_tracking.compare_with_registry(tracking, registry) == []


def test_a_stopped_run_is_tracked_but_registers_nothing(tracking, registry, small_frames):
    from workshop_lib.cicd import data_checks

    train, holdout = small_frames
    broken = data_checks.corrupt(train, "shuffle_labels", seed=0)
    report = pipeline.run_pipeline(
        broken, holdout, registry=registry, kind="logistic", tracking=tracking
    )
    assert report.stopped_at == "gates"
    run = tracking.client().get_run(report.mlflow_run_id)
    assert run.data.tags["pipeline_outcome"] == "stopped at gates"
    assert run.data.tags["gates_passed"] == "false"
    # the backfilled 1.0.0 is the only mirrored version, and production agrees
    assert mlflow_tracking.compare_with_registry(tracking, registry) == []


def test_the_mirrored_model_predicts_probabilities(tracking, registry, small_frames):
    import mlflow

    mlflow_tracking.mirror_registry(tracking, registry)
    model = mlflow.pyfunc.load_model(f"models:/{tracking.model_name}@{mlflow_tracking.ALIAS}")
    rows = mlflow_tracking._signature_frame(small_frames[1]).head(50)
    proba = np.asarray(model.predict(rows))
    expected = registry.load().model.predict_proba(small_frames[1].head(50))
    assert proba.shape == (50, 2)
    assert np.allclose(proba, expected)


def test_disagreement_is_reported(tracking, registry):
    mlflow_tracking.mirror_registry(tracking, registry)
    client = tracking.client()
    client.delete_registered_model_alias(tracking.model_name, mlflow_tracking.ALIAS)
    problems = mlflow_tracking.compare_with_registry(tracking, registry)
    assert problems == ["registry production is 1.0.0, MLflow's alias is on None"]
